//! `crypto`'s symmetric ciphers: `crypto_one_time/4,5`, `crypto_init/3,4`,
//! `crypto_update/2`, `crypto_final/1` (`ng_crypto_*_nif`) for AES in ECB, CBC, CTR and
//! CFB128 modes and for chacha20, and `crypto_one_time_aead/6,7` (`aead_cipher_nif/7`) for
//! AES-GCM and chacha20-poly1305, as OpenSSL's EVP ciphers behave under OTP's crypto.
//!
//! The modes are written here over the AES block function (`aes`), so streaming updates of
//! any length behave as EVP's (CBC and ECB keep a partial block until more data comes;
//! `crypto_final` drops an incomplete block when there is no padding, as OpenSSL does).
//! chacha20 takes OpenSSL's 16-byte IV: a little-endian 32-bit block counter, then the
//! 96-bit nonce. The AEADs take 12-byte IVs and tags of 1 to 16 bytes.

use aes::cipher::{BlockDecrypt, BlockEncrypt, KeyInit, KeyIvInit, StreamCipher, StreamCipherSeek};
use aes_gcm::aead::AeadInPlace;
use girder_runtime::Process;
use girder_runtime::bif::{BifError, BifResult};
use girder_term::object as obj;
use girder_term::{Atom, Term};

use crate::crypto::err;
use crate::resource::Registry;
use crate::util::{atom, bin, iolist};

#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    Ecb,
    Cbc,
    Ctr,
    Cfb128,
    Chacha20,
    Gcm,
    ChachaPoly,
}

struct Def {
    name: &'static str,
    mode: Mode,
    key: usize,
}

static CIPHERS: &[Def] = &[
    Def {
        name: "aes_128_ecb",
        mode: Mode::Ecb,
        key: 16,
    },
    Def {
        name: "aes_192_ecb",
        mode: Mode::Ecb,
        key: 24,
    },
    Def {
        name: "aes_256_ecb",
        mode: Mode::Ecb,
        key: 32,
    },
    Def {
        name: "aes_128_cbc",
        mode: Mode::Cbc,
        key: 16,
    },
    Def {
        name: "aes_192_cbc",
        mode: Mode::Cbc,
        key: 24,
    },
    Def {
        name: "aes_256_cbc",
        mode: Mode::Cbc,
        key: 32,
    },
    Def {
        name: "aes_128_ctr",
        mode: Mode::Ctr,
        key: 16,
    },
    Def {
        name: "aes_192_ctr",
        mode: Mode::Ctr,
        key: 24,
    },
    Def {
        name: "aes_256_ctr",
        mode: Mode::Ctr,
        key: 32,
    },
    Def {
        name: "aes_128_cfb128",
        mode: Mode::Cfb128,
        key: 16,
    },
    Def {
        name: "aes_192_cfb128",
        mode: Mode::Cfb128,
        key: 24,
    },
    Def {
        name: "aes_256_cfb128",
        mode: Mode::Cfb128,
        key: 32,
    },
    Def {
        name: "chacha20",
        mode: Mode::Chacha20,
        key: 32,
    },
    Def {
        name: "aes_128_gcm",
        mode: Mode::Gcm,
        key: 16,
    },
    Def {
        name: "aes_192_gcm",
        mode: Mode::Gcm,
        key: 24,
    },
    Def {
        name: "aes_256_gcm",
        mode: Mode::Gcm,
        key: 32,
    },
    Def {
        name: "chacha20_poly1305",
        mode: Mode::ChachaPoly,
        key: 32,
    },
];

/// `cipher_algorithms/0`: the ciphers girder provides (`crypto` adds the `aes_cbc`-style
/// aliases itself).
pub fn algorithms(p: &mut Process, _: &[Term]) -> BifResult {
    let names: Vec<Term> = CIPHERS.iter().rev().map(|c| atom(c.name)).collect();
    Ok(obj::list_from_slice(&mut p.heap, &names, Term::NIL))
}

/// The IV length of a mode (EVP's `iv_length`).
fn iv_len(mode: Mode) -> usize {
    match mode {
        Mode::Ecb => 0,
        Mode::Cbc | Mode::Ctr | Mode::Cfb128 | Mode::Chacha20 => 16,
        Mode::Gcm | Mode::ChachaPoly => 12,
    }
}

/// One AES key schedule of any size.
#[derive(Clone)]
enum Aes {
    A128(aes::Aes128),
    A192(aes::Aes192),
    A256(aes::Aes256),
}

impl Aes {
    fn new(key: &[u8]) -> Aes {
        match key.len() {
            16 => Aes::A128(aes::Aes128::new_from_slice(key).expect("16-byte key")),
            24 => Aes::A192(aes::Aes192::new_from_slice(key).expect("24-byte key")),
            _ => Aes::A256(aes::Aes256::new_from_slice(key).expect("32-byte key")),
        }
    }
    fn encrypt(&self, b: &mut [u8; 16]) {
        let b = aes::Block::from_mut_slice(b);
        match self {
            Aes::A128(c) => c.encrypt_block(b),
            Aes::A192(c) => c.encrypt_block(b),
            Aes::A256(c) => c.encrypt_block(b),
        }
    }
    fn decrypt(&self, b: &mut [u8; 16]) {
        let b = aes::Block::from_mut_slice(b);
        match self {
            Aes::A128(c) => c.decrypt_block(b),
            Aes::A192(c) => c.decrypt_block(b),
            Aes::A256(c) => c.decrypt_block(b),
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Padding {
    None,
    Pkcs,
}

/// A cipher context (`crypto_init`'s state).
struct Ctx {
    mode: Mode,
    encrypt: bool,
    padding: Padding,
    aes: Option<Aes>,
    chacha: Option<chacha20::ChaCha20>,
    /// CBC: the chaining block; CTR: the counter; CFB: the shift register.
    reg: [u8; 16],
    /// CTR and CFB: the keystream block and the position in it.
    ks: [u8; 16],
    pos: usize,
    /// ECB and CBC: input not yet a whole block.
    partial: Vec<u8>,
    size: u64,
}

impl Ctx {
    fn block(&mut self, b: &mut [u8; 16]) {
        let aes = self.aes.as_ref().expect("AES modes have a key schedule");
        match (self.mode, self.encrypt) {
            (Mode::Ecb, true) => aes.encrypt(b),
            (Mode::Ecb, false) => aes.decrypt(b),
            (Mode::Cbc, true) => {
                for (x, r) in b.iter_mut().zip(self.reg) {
                    *x ^= r;
                }
                aes.encrypt(b);
                self.reg = *b;
            }
            _ => {
                let c = *b;
                aes.decrypt(b);
                for (x, r) in b.iter_mut().zip(self.reg) {
                    *x ^= r;
                }
                self.reg = c;
            }
        }
    }

    /// `EVP_CipherUpdate`.
    fn update(&mut self, data: &[u8]) -> Vec<u8> {
        self.size += data.len() as u64;
        match self.mode {
            Mode::Ecb | Mode::Cbc => {
                self.partial.extend_from_slice(data);
                // Decrypting with padding keeps the last whole block for `final`.
                let keep = if !self.encrypt && self.padding == Padding::Pkcs {
                    if self.partial.len().is_multiple_of(16) {
                        16
                    } else {
                        self.partial.len() % 16
                    }
                } else {
                    self.partial.len() % 16
                };
                let whole = self.partial.len().saturating_sub(keep);
                let blocks: Vec<[u8; 16]> = self.partial[..whole]
                    .chunks_exact(16)
                    .map(|c| c.try_into().expect("16-byte chunk"))
                    .collect();
                self.partial.drain(..whole);
                let mut out = Vec::with_capacity(whole);
                for mut b in blocks {
                    self.block(&mut b);
                    out.extend_from_slice(&b);
                }
                out
            }
            Mode::Ctr => {
                let aes = self.aes.clone().expect("AES key");
                data.iter()
                    .map(|&x| {
                        if self.pos == 16 {
                            increment(&mut self.reg);
                            self.ks = self.reg;
                            aes.encrypt(&mut self.ks);
                            self.pos = 0;
                        }
                        let y = x ^ self.ks[self.pos];
                        self.pos += 1;
                        y
                    })
                    .collect()
            }
            Mode::Cfb128 => {
                let aes = self.aes.clone().expect("AES key");
                data.iter()
                    .map(|&x| {
                        if self.pos == 16 {
                            aes.encrypt(&mut self.ks);
                            self.pos = 0;
                        }
                        let y = x ^ self.ks[self.pos];
                        // The register takes the ciphertext byte.
                        self.ks[self.pos] = if self.encrypt { y } else { x };
                        self.pos += 1;
                        y
                    })
                    .collect()
            }
            Mode::Chacha20 => {
                let mut out = data.to_vec();
                if let Some(c) = self.chacha.as_mut() {
                    c.apply_keystream(&mut out);
                }
                out
            }
            Mode::Gcm | Mode::ChachaPoly => Vec::new(),
        }
    }

    /// `EVP_CipherFinal`: `Err` when padding is wrong.
    fn finish(&mut self) -> Result<Vec<u8>, ()> {
        if !matches!(self.mode, Mode::Ecb | Mode::Cbc) {
            return Ok(Vec::new());
        }
        let rest = std::mem::take(&mut self.partial);
        match (self.padding, self.encrypt) {
            // No padding: OpenSSL refuses a partial block, which OTP turns into `<<>>`.
            (Padding::None, _) => Ok(Vec::new()),
            (Padding::Pkcs, true) => {
                let n = 16 - rest.len();
                let mut b = [n as u8; 16];
                b[..rest.len()].copy_from_slice(&rest);
                self.block(&mut b);
                Ok(b.to_vec())
            }
            (Padding::Pkcs, false) => {
                if rest.len() != 16 {
                    return Err(());
                }
                let mut b: [u8; 16] = rest[..].try_into().expect("16 bytes");
                self.block(&mut b);
                let n = b[15] as usize;
                if n == 0 || n > 16 || b[16 - n..].iter().any(|&x| x as usize != n) {
                    return Err(());
                }
                Ok(b[..16 - n].to_vec())
            }
        }
    }
}

/// The 128-bit big-endian counter plus one, wrapping (OpenSSL's CTR mode).
fn increment(c: &mut [u8; 16]) {
    for x in c.iter_mut().rev() {
        *x = x.wrapping_add(1);
        if *x != 0 {
            break;
        }
    }
}

static CTXS: Registry<Ctx> = Registry::new(0x6369_7068);

fn def_of(p: &mut Process, t: Term) -> Result<&'static Def, BifError> {
    t.as_atom()
        .and_then(|a| CIPHERS.iter().find(|c| c.name == a.name()))
        .ok_or_else(|| err(p, "badarg", line!(), 0, "Unknown cipher"))
}

/// The encrypt flag and padding of `FlagOrOptions` (argument `arg`).
fn options(p: &mut Process, t: Term, arg: i64) -> Result<(bool, Padding), BifError> {
    let bad = |p: &mut Process| {
        err(
            p,
            "badarg",
            line!(),
            arg,
            "Options are not a boolean or a proper list",
        )
    };
    match t.as_atom() {
        Some(Atom::TRUE) => return Ok((true, Padding::None)),
        Some(Atom::FALSE) => return Ok((false, Padding::None)),
        _ => {}
    }
    let Some(items) = obj::list_to_vec(t) else {
        return Err(bad(p));
    };
    let (mut encrypt, mut padding) = (true, Padding::None);
    for item in items {
        if !obj::is_tuple(item) || obj::tuple_arity(item) != 2 {
            return Err(err(p, "badarg", line!(), arg, "Bad option"));
        }
        let (k, v) = (obj::tuple_element(item, 0), obj::tuple_element(item, 1));
        match (k.as_atom().map(|a| a.name()), v.as_atom().map(|a| a.name())) {
            (Some("encrypt"), Some("true")) => encrypt = true,
            (Some("encrypt"), Some("false")) => encrypt = false,
            (Some("padding"), Some("none")) => padding = Padding::None,
            (Some("padding"), Some("pkcs_padding")) => padding = Padding::Pkcs,
            (Some("padding"), Some("zero" | "random" | "undefined")) => {
                return Err(err(p, "notsup", line!(), arg, "Unsupported padding type"));
            }
            _ => return Err(err(p, "badarg", line!(), arg, "Bad option")),
        }
    }
    Ok((encrypt, padding))
}

/// A context for `Cipher, Key, IV, FlagOrOptions` (`ng_crypto_init_nif`'s arguments,
/// `opts_arg` being the options' argument number).
fn init(p: &mut Process, a: &[Term], opts_arg: usize) -> Result<Ctx, BifError> {
    let def = def_of(p, a[0])?;
    let Ok(key) = iolist(a[1]) else {
        return Err(err(p, "badarg", line!(), 1, "Bad key"));
    };
    if key.len() != def.key {
        return Err(err(p, "badarg", line!(), 1, "Bad key size"));
    }
    if matches!(def.mode, Mode::Gcm | Mode::ChachaPoly) {
        return Err(err(p, "badarg", line!(), 0, "Unknown cipher"));
    }
    let Ok(iv) = iolist(a[2]) else {
        return Err(err(p, "badarg", line!(), 2, "Bad iv type"));
    };
    if iv.len() != iv_len(def.mode) {
        return Err(err(p, "badarg", line!(), 2, "Bad iv size"));
    }
    let (encrypt, padding) = options(p, a[opts_arg], opts_arg as i64)?;
    let mut ctx = Ctx {
        mode: def.mode,
        encrypt,
        padding,
        aes: None,
        chacha: None,
        reg: [0; 16],
        ks: [0; 16],
        pos: 16,
        partial: Vec::new(),
        size: 0,
    };
    if def.mode == Mode::Chacha20 {
        let counter = u32::from_le_bytes([iv[0], iv[1], iv[2], iv[3]]);
        let mut c = chacha20::ChaCha20::new_from_slices(&key, &iv[4..]).expect("sizes checked");
        c.seek(u64::from(counter) * 64);
        ctx.chacha = Some(c);
    } else {
        let aes = Aes::new(&key);
        if iv.len() == 16 {
            ctx.reg.copy_from_slice(&iv);
        }
        match def.mode {
            Mode::Ctr => {
                ctx.ks = ctx.reg;
                aes.encrypt(&mut ctx.ks);
                ctx.pos = 0;
            }
            Mode::Cfb128 => {
                ctx.ks = ctx.reg;
                aes.encrypt(&mut ctx.ks);
                ctx.pos = 0;
            }
            _ => {}
        }
        ctx.aes = Some(aes);
    }
    Ok(ctx)
}

fn data_arg(p: &mut Process, t: Term, arg: i64) -> Result<Vec<u8>, BifError> {
    iolist(t).map_err(|_| err(p, "badarg", line!(), arg, "Bad text"))
}

/// `ng_crypto_one_time_nif(Cipher, Key, IV, Data, FlagOrOptions)`.
pub fn one_time(p: &mut Process, a: &[Term]) -> BifResult {
    let mut ctx = init(p, &[a[0], a[1], a[2], a[4]], 3)?;
    let data = data_arg(p, a[3], 3)?;
    let mut out = ctx.update(&data);
    match ctx.finish() {
        Ok(rest) => out.extend(rest),
        Err(()) => return Err(err(p, "error", line!(), 3, "Can't finalize")),
    }
    Ok(bin(p, &out))
}

/// `ng_crypto_init_nif(Cipher, Key, IV, FlagOrOptions)`.
pub fn init_nif(p: &mut Process, a: &[Term]) -> BifResult {
    let ctx = init(p, a, 3)?;
    Ok(CTXS.make(p, ctx))
}

fn ctx_of(p: &mut Process, t: Term) -> Result<std::sync::Arc<std::sync::Mutex<Ctx>>, BifError> {
    CTXS.get(t)
        .map_err(|_| err(p, "badarg", line!(), 0, "Bad State"))
}

/// `ng_crypto_update_nif(State, Data)`.
pub fn update(p: &mut Process, a: &[Term]) -> BifResult {
    let c = ctx_of(p, a[0])?;
    let data = data_arg(p, a[1], 1)?;
    let out = c.lock().unwrap_or_else(|e| e.into_inner()).update(&data);
    Ok(bin(p, &out))
}

/// `ng_crypto_final_nif(State)`.
pub fn final_nif(p: &mut Process, a: &[Term]) -> BifResult {
    let c = ctx_of(p, a[0])?;
    let r = c.lock().unwrap_or_else(|e| e.into_inner()).finish();
    match r {
        Ok(out) => Ok(bin(p, &out)),
        Err(()) => Err(err(p, "error", line!(), 0, "Can't finalize")),
    }
}

/// `ng_crypto_get_data_nif(State)`: what `crypto_get_data/1` reports.
pub fn get_data(p: &mut Process, a: &[Term]) -> BifResult {
    let c = ctx_of(p, a[0])?;
    let (size, encrypt, padding, mode) = {
        let c = c.lock().unwrap_or_else(|e| e.into_inner());
        (c.size, c.encrypt, c.padding, c.mode)
    };
    // What a last block would need, from the bytes passed through so far.
    let rest = (size % 16) as i64;
    let padding_size = match (mode, padding) {
        (Mode::Ecb | Mode::Cbc, Padding::None) => (16 - rest) % 16,
        (Mode::Ecb | Mode::Cbc, Padding::Pkcs) => 16 - rest,
        _ => 0,
    };
    let mut pairs = vec![
        (atom("size"), obj::integer_from_u64(&mut p.heap, size)),
        (atom("padding_size"), Term::small(padding_size)),
        (
            atom("padding_type"),
            atom(if padding == Padding::Pkcs {
                "pkcs_padding"
            } else {
                "undefined"
            }),
        ),
        (atom("encrypt"), Term::boolean(encrypt)),
    ];
    Ok(obj::map_from_pairs(&mut p.heap, &mut pairs))
}

/// `aead_cipher_nif(Cipher, Key, IV, In, AAD, TagLengthOrTag, Encrypt)`: `{Out, Tag}`
/// when encrypting; the plain text or `error` when decrypting.
pub fn aead(p: &mut Process, a: &[Term]) -> BifResult {
    let def = def_of(p, a[0])?;
    if !matches!(def.mode, Mode::Gcm | Mode::ChachaPoly) {
        return Err(err(
            p,
            "badarg",
            line!(),
            0,
            "Unknown cipher or invalid key size",
        ));
    }
    let Ok(key) = iolist(a[1]) else {
        return Err(err(p, "badarg", line!(), 1, "Bad key"));
    };
    if key.len() != def.key {
        return Err(err(
            p,
            "badarg",
            line!(),
            1,
            "Unknown cipher or invalid key size",
        ));
    }
    let Ok(iv) = iolist(a[2]) else {
        return Err(err(p, "badarg", line!(), 2, "Bad iv type"));
    };
    if iv.len() != 12 {
        return Err(if iv.is_empty() {
            err(p, "badarg", line!(), 2, "Bad IV length")
        } else {
            err(p, "notsup", line!(), 2, "Unsupported IV length")
        });
    }
    let input = data_arg(p, a[3], 3)?;
    let Ok(aad) = iolist(a[4]) else {
        return Err(err(p, "badarg", line!(), 4, "Bad aad"));
    };
    let encrypt = match a[6].as_atom() {
        Some(Atom::TRUE) => true,
        Some(Atom::FALSE) => false,
        _ => return Err(err(p, "badarg", line!(), 6, "Bad enc flag")),
    };
    let (tag_len, tag) = if encrypt {
        match a[5].as_small() {
            Some(n) if (1..=16).contains(&n) => (n as usize, Vec::new()),
            _ => return Err(err(p, "badarg", line!(), 5, "Bad Tag length")),
        }
    } else {
        match obj::binary_bytes(a[5]) {
            Some(t) if (1..=16).contains(&t.len()) => (t.len(), t.to_vec()),
            _ => return Err(err(p, "badarg", line!(), 5, "Bad Tag")),
        }
    };
    if encrypt {
        let mut buf = input;
        let full = seal(def.mode, &key, &iv, &aad, &mut buf);
        let out = bin(p, &buf);
        let tag = bin(p, &full[..tag_len]);
        Ok(obj::tuple(&mut p.heap, &[out, tag]))
    } else {
        // Decrypt (the keystream is the same both ways), then compute the tag the plain
        // text gives and compare its first bytes with the one given.
        let mut plain = input.clone();
        keystream(def.mode, &key, &iv, &mut plain);
        let mut again = plain.clone();
        let full = seal(def.mode, &key, &iv, &aad, &mut again);
        let diff = full[..tag_len]
            .iter()
            .zip(&tag)
            .fold(0u8, |acc, (x, y)| acc | (x ^ y));
        if diff != 0 || again != input {
            return Ok(Term::atom(Atom::ERROR));
        }
        Ok(bin(p, &plain))
    }
}

/// Encrypt `buf` in place; the full 16-byte tag.
fn seal(mode: Mode, key: &[u8], iv: &[u8], aad: &[u8], buf: &mut [u8]) -> [u8; 16] {
    let nonce = aes_gcm::Nonce::from_slice(iv);
    let tag = match (mode, key.len()) {
        (Mode::ChachaPoly, _) => {
            let c = chacha20poly1305::ChaCha20Poly1305::new_from_slice(key).expect("32 bytes");
            c.encrypt_in_place_detached(nonce, aad, buf)
        }
        (_, 16) => aes_gcm::Aes128Gcm::new_from_slice(key)
            .expect("16 bytes")
            .encrypt_in_place_detached(nonce, aad, buf),
        (_, 24) => aes_gcm::AesGcm::<aes::Aes192, aes_gcm::aead::consts::U12>::new_from_slice(key)
            .expect("24 bytes")
            .encrypt_in_place_detached(nonce, aad, buf),
        _ => aes_gcm::Aes256Gcm::new_from_slice(key)
            .expect("32 bytes")
            .encrypt_in_place_detached(nonce, aad, buf),
    };
    let mut out = [0u8; 16];
    out.copy_from_slice(&tag.expect("in-memory buffers do not fail"));
    out
}

/// XOR `buf` with the AEAD's keystream for the message (GCM: AES-CTR from the counter
/// block after `IV || 1`, incrementing its last 32 bits; chacha20-poly1305: chacha20 from
/// block 1).
fn keystream(mode: Mode, key: &[u8], iv: &[u8], buf: &mut [u8]) {
    if mode == Mode::ChachaPoly {
        let mut c = chacha20::ChaCha20::new_from_slices(key, iv).expect("sizes checked");
        c.seek(64u64);
        c.apply_keystream(buf);
        return;
    }
    let aes = Aes::new(key);
    let mut ctr = [0u8; 16];
    ctr[..12].copy_from_slice(iv);
    let mut n: u32 = 2;
    for chunk in buf.chunks_mut(16) {
        ctr[12..].copy_from_slice(&n.to_be_bytes());
        let mut ks = ctr;
        aes.encrypt(&mut ks);
        for (x, k) in chunk.iter_mut().zip(ks) {
            *x ^= k;
        }
        n = n.wrapping_add(1);
    }
}
