//! The NIFs of OTP's `crypto` module (its `crypto.so` over OpenSSL in erts), over
//! RustCrypto's crates. OTP's `crypto.beam` runs unmodified on top.
//!
//! Provided: hashes (`hash/2`, `hash_init/update/final`, `hash_info/1`: md5, sha, sha224,
//! sha256, sha384, sha512, sha3_224..sha3_512, blake2b, blake2s), HMAC over those
//! (`mac/3,4`, `mac_init/update/final`, `macN`), `pbkdf2_hmac/5`, `strong_rand_bytes/1` (the
//! kernel's `getrandom`), `rand_seed`, `exor/2`, `hash_equals/2`, and what `supports/0,1`,
//! `info_lib/0`, `info/0` and `info_fips/0` report; ciphers in `cipher.rs`, X25519 and Ed25519
//! in `pubkey.rs`. Everything else (other public-key algorithms, CMAC, poly1305...) has no
//! NIF here: those functions fail as erl's `crypto` fails without
//! its library (`nif_not_loaded`), and `supports/1` does not list them. Errors are raised
//! in OTP's three-element form (`{badarg | notsup, #{c_file_name, c_file_line_num,
//! c_function_arg_num}, Text}`), naming this file where OTP names its C files.

use std::sync::Mutex;

use digest::Digest;
use girder_runtime::Process;
use girder_runtime::bif::{BifError, BifResult};
use girder_runtime::nif::NifTable;
use girder_term::object as obj;
use girder_term::{Atom, Term};
use hmac::Mac;

use crate::resource::Registry;
use crate::util::{atom, bin, iolist, raise};

pub static TABLE: NifTable = NifTable {
    module: "crypto",
    on_load_at_boot: false,
    load: None,
    functions: &[
        ("info_lib", 0, info_lib),
        ("info_nif", 0, info_nif),
        ("info_fips", 0, |_, _| Ok(atom("not_supported"))),
        ("enable_fips_mode_nif", 1, |_, _| {
            Ok(Term::atom(Atom::FALSE))
        }),
        ("hash_info", 1, hash_info),
        ("hash_nif", 2, hash),
        ("hash_init_nif", 1, hash_init),
        ("hash_update_nif", 2, hash_update),
        ("hash_final_nif", 1, hash_final),
        ("mac_nif", 4, mac),
        ("mac_init_nif", 3, mac_init),
        ("mac_update_nif", 2, mac_update),
        ("mac_final_nif", 1, mac_final),
        ("pbkdf2_hmac_nif", 5, pbkdf2),
        ("strong_rand_bytes_nif", 1, strong_rand_bytes),
        ("rand_seed_nif", 1, |_, a| {
            // OpenSSL mixes the seed into its generator; the kernel's needs none.
            if !obj::is_binary(a[0]) {
                return Err(BifError::BADARG);
            }
            Ok(Term::atom(Atom::OK))
        }),
        ("rand_uniform_nif", 2, rand_uniform),
        ("do_exor", 2, exor),
        ("hash_equals_nif", 2, hash_equals),
        ("hash_algorithms", 0, |p, _| {
            let names: Vec<Term> = HASHES.iter().rev().map(|h| atom(h.name)).collect();
            Ok(obj::list_from_slice(&mut p.heap, &names, Term::NIL))
        }),
        ("pubkey_algorithms", 0, |p, _| {
            Ok(crate::pubkey::names(p, crate::pubkey::PUBLIC_KEYS))
        }),
        ("evp_generate_key_nif", 2, crate::pubkey::evp_generate_key),
        ("evp_compute_key_nif", 3, crate::pubkey::evp_compute_key),
        ("pkey_sign_nif", 5, crate::pubkey::pkey_sign),
        ("ec_generate_key_nif", 2, crate::pubkey::ec_generate_key),
        ("dh_generate_key_nif", 4, crate::pubkey::dh_generate_key),
        ("dh_compute_key_nif", 3, crate::pubkey::dh_compute_key),
        ("mod_exp_nif", 4, crate::pubkey::mod_exp),
        ("ecdh_compute_key_nif", 3, crate::pubkey::ecdh_compute_key),
        ("pkey_verify_nif", 6, crate::pubkey::pkey_verify),
        ("cipher_algorithms", 0, crate::cipher::algorithms),
        ("ng_crypto_one_time_nif", 5, crate::cipher::one_time),
        ("ng_crypto_init_nif", 4, crate::cipher::init_nif),
        ("ng_crypto_update_nif", 2, crate::cipher::update),
        ("ng_crypto_final_nif", 1, crate::cipher::final_nif),
        ("ng_crypto_get_data_nif", 1, crate::cipher::get_data),
        ("aead_cipher_nif", 7, crate::cipher::aead),
        ("mac_algorithms", 0, |p, _| {
            Ok(obj::list_from_slice(
                &mut p.heap,
                &[atom("hmac")],
                Term::NIL,
            ))
        }),
        ("curve_algorithms", 0, |p, _| {
            Ok(crate::pubkey::names(p, crate::pubkey::CURVES))
        }),
        ("rsa_opts_algorithms", 0, |_, _| Ok(Term::NIL)),
    ],
};

/// A hash algorithm: its name in `crypto`, OpenSSL's NID (what `hash_info/1` calls its
/// type), its block size and its digest size.
struct Hash {
    name: &'static str,
    nid: i64,
    block: i64,
    size: i64,
}

static HASHES: &[Hash] = &[
    Hash {
        name: "md5",
        nid: 4,
        block: 64,
        size: 16,
    },
    Hash {
        name: "sha",
        nid: 64,
        block: 64,
        size: 20,
    },
    Hash {
        name: "sha224",
        nid: 675,
        block: 64,
        size: 28,
    },
    Hash {
        name: "sha256",
        nid: 672,
        block: 64,
        size: 32,
    },
    Hash {
        name: "sha384",
        nid: 673,
        block: 128,
        size: 48,
    },
    Hash {
        name: "sha512",
        nid: 674,
        block: 128,
        size: 64,
    },
    Hash {
        name: "sha3_224",
        nid: 1096,
        block: 144,
        size: 28,
    },
    Hash {
        name: "sha3_256",
        nid: 1097,
        block: 136,
        size: 32,
    },
    Hash {
        name: "sha3_384",
        nid: 1098,
        block: 104,
        size: 48,
    },
    Hash {
        name: "sha3_512",
        nid: 1099,
        block: 72,
        size: 64,
    },
    Hash {
        name: "blake2b",
        nid: 1056,
        block: 128,
        size: 64,
    },
    Hash {
        name: "blake2s",
        nid: 1057,
        block: 64,
        size: 32,
    },
];

/// `{Kind, #{c_file_name, c_file_line_num, c_function_arg_num}, Text}`, raised as OTP's
/// crypto NIFs raise their errors (`crypto.erl` turns it into its three-tuple error).
pub(crate) fn err(p: &mut Process, kind: &str, line: u32, arg: i64, text: &str) -> BifError {
    let file = crate::util::charlist(p, file!());
    let mut pairs = vec![
        (atom("c_file_name"), file),
        (atom("c_file_line_num"), Term::small(i64::from(line))),
        (atom("c_function_arg_num"), Term::small(arg)),
    ];
    let info = obj::map_from_pairs(&mut p.heap, &mut pairs);
    let text = crate::util::charlist(p, text);
    let reason = obj::tuple(&mut p.heap, &[atom(kind), info, text]);
    raise(reason)
}

fn hash_of(t: Term) -> Option<&'static Hash> {
    let a = t.as_atom()?;
    HASHES.iter().find(|h| h.name == a.name())
}

/// Algorithms OpenSSL's crypto knows that girder does not provide.
fn known_elsewhere(t: Term) -> bool {
    t.as_atom().is_some_and(|a| {
        matches!(
            a.name(),
            "md4" | "ripemd160" | "sm3" | "shake128" | "shake256" | "sha512_224" | "sha512_256"
        )
    })
}

fn bad_hash(p: &mut Process, t: Term, line: u32, arg: i64) -> BifError {
    if known_elsewhere(t) {
        err(p, "notsup", line, arg, "Unsupported digest type")
    } else {
        err(p, "badarg", line, arg, "Bad digest type")
    }
}

fn info_lib(p: &mut Process, _: &[Term]) -> BifResult {
    let name = bin(p, b"girder (RustCrypto)");
    let text = bin(
        p,
        concat!("girder ", env!("CARGO_PKG_VERSION"), " RustCrypto").as_bytes(),
    );
    let t = obj::tuple(&mut p.heap, &[name, Term::small(0), text]);
    Ok(obj::list_from_slice(&mut p.heap, &[t], Term::NIL))
}

fn info_nif(p: &mut Process, _: &[Term]) -> BifResult {
    let version = crate::util::charlist(
        p,
        concat!("girder ", env!("CARGO_PKG_VERSION"), " RustCrypto"),
    );
    let mut pairs = vec![
        (atom("compile_type"), atom("normal")),
        (atom("cryptolib_version_compiled"), version),
        (atom("cryptolib_version_linked"), version),
        (atom("link_type"), atom("static")),
    ];
    Ok(obj::map_from_pairs(&mut p.heap, &mut pairs))
}

fn hash_info(p: &mut Process, a: &[Term]) -> BifResult {
    // Not wrapped by `crypto.erl`'s error conversion: a plain `badarg`, as OTP's.
    let Some(h) = hash_of(a[0]) else {
        return Err(BifError::BADARG);
    };
    let size = h.size;
    let mut pairs = vec![
        (atom("type"), Term::small(h.nid)),
        (atom("size"), Term::small(size)),
        (atom("block_size"), Term::small(h.block)),
    ];
    Ok(obj::map_from_pairs(&mut p.heap, &mut pairs))
}

fn bytes_arg(p: &mut Process, t: Term, line: u32, arg: i64) -> Result<Vec<u8>, BifError> {
    iolist(t).map_err(|_| err(p, "badarg", line, arg, "Bad text"))
}

fn hash(p: &mut Process, a: &[Term]) -> BifResult {
    let Some(h) = hash_of(a[0]) else {
        return Err(bad_hash(p, a[0], line!(), 0));
    };
    let data = bytes_arg(p, a[1], line!(), 1)?;
    let mut d = Hasher::new(h.name).expect("every listed hash has a hasher");
    d.update(&data);
    let out = d.finish();
    Ok(bin(p, &out))
}

/// `data` hashed with the hash named `name` (one of [`HASHES`]).
pub(crate) fn digest(name: &str, data: &[u8]) -> Option<Vec<u8>> {
    let mut h = Hasher::new(name)?;
    h.update(data);
    Some(h.finish())
}

/// A streaming hash's state: one of [`HASHES`]' hashers.
#[derive(Clone)]
enum Hasher {
    Md5(md5::Md5),
    Sha1(sha1::Sha1),
    Sha224(sha2::Sha224),
    Sha256(sha2::Sha256),
    Sha384(sha2::Sha384),
    Sha512(sha2::Sha512),
    Sha3_224(sha3::Sha3_224),
    Sha3_256(sha3::Sha3_256),
    Sha3_384(sha3::Sha3_384),
    Sha3_512(sha3::Sha3_512),
    Blake2b(blake2::Blake2b512),
    Blake2s(blake2::Blake2s256),
}

macro_rules! each_hasher {
    ($m:expr, $v:ident => $e:expr) => {
        match $m {
            Hasher::Md5($v) => $e,
            Hasher::Sha1($v) => $e,
            Hasher::Sha224($v) => $e,
            Hasher::Sha256($v) => $e,
            Hasher::Sha384($v) => $e,
            Hasher::Sha512($v) => $e,
            Hasher::Sha3_224($v) => $e,
            Hasher::Sha3_256($v) => $e,
            Hasher::Sha3_384($v) => $e,
            Hasher::Sha3_512($v) => $e,
            Hasher::Blake2b($v) => $e,
            Hasher::Blake2s($v) => $e,
        }
    };
}

impl Hasher {
    fn new(name: &str) -> Option<Hasher> {
        Some(match name {
            "md5" => Hasher::Md5(Digest::new()),
            "sha" => Hasher::Sha1(Digest::new()),
            "sha224" => Hasher::Sha224(Digest::new()),
            "sha256" => Hasher::Sha256(Digest::new()),
            "sha384" => Hasher::Sha384(Digest::new()),
            "sha512" => Hasher::Sha512(Digest::new()),
            "sha3_224" => Hasher::Sha3_224(Digest::new()),
            "sha3_256" => Hasher::Sha3_256(Digest::new()),
            "sha3_384" => Hasher::Sha3_384(Digest::new()),
            "sha3_512" => Hasher::Sha3_512(Digest::new()),
            "blake2b" => Hasher::Blake2b(Digest::new()),
            "blake2s" => Hasher::Blake2s(Digest::new()),
            _ => return None,
        })
    }
    fn update(&mut self, data: &[u8]) {
        each_hasher!(self, h => Digest::update(h, data))
    }
    fn finish(self) -> Vec<u8> {
        each_hasher!(self, h => h.finalize().to_vec())
    }
}

static HASH_STATES: Registry<Hasher> = Registry::new(0x6861_7368);

fn hash_init(p: &mut Process, a: &[Term]) -> BifResult {
    let Some(h) = hash_of(a[0]).and_then(|h| Hasher::new(h.name)) else {
        return Err(bad_hash(p, a[0], line!(), 0));
    };
    Ok(HASH_STATES.make(p, h))
}

fn hash_update(p: &mut Process, a: &[Term]) -> BifResult {
    let Ok(s) = HASH_STATES.get(a[0]) else {
        return Err(err(p, "badarg", line!(), 0, "Bad state"));
    };
    let data = bytes_arg(p, a[1], line!(), 1)?;
    // A new state: the old one stays usable, as OTP copies the context.
    let mut copy = s.lock().unwrap_or_else(|e| e.into_inner()).clone();
    copy.update(&data);
    Ok(HASH_STATES.make(p, copy))
}

fn hash_final(p: &mut Process, a: &[Term]) -> BifResult {
    let Ok(s) = HASH_STATES.get(a[0]) else {
        return Err(err(p, "badarg", line!(), 0, "Bad state"));
    };
    let out = s.lock().unwrap_or_else(|e| e.into_inner()).clone().finish();
    Ok(bin(p, &out))
}

/// An HMAC over one of [`HASHES`].
enum Hmac {
    Md5(hmac::Hmac<md5::Md5>),
    Sha1(hmac::Hmac<sha1::Sha1>),
    Sha224(hmac::Hmac<sha2::Sha224>),
    Sha256(hmac::Hmac<sha2::Sha256>),
    Sha384(hmac::Hmac<sha2::Sha384>),
    Sha512(hmac::Hmac<sha2::Sha512>),
    Sha3_224(hmac::Hmac<sha3::Sha3_224>),
    Sha3_256(hmac::Hmac<sha3::Sha3_256>),
    Sha3_384(hmac::Hmac<sha3::Sha3_384>),
    Sha3_512(hmac::Hmac<sha3::Sha3_512>),
}

macro_rules! each_hmac {
    ($m:expr, $v:ident => $e:expr) => {
        match $m {
            Hmac::Md5($v) => $e,
            Hmac::Sha1($v) => $e,
            Hmac::Sha224($v) => $e,
            Hmac::Sha256($v) => $e,
            Hmac::Sha384($v) => $e,
            Hmac::Sha512($v) => $e,
            Hmac::Sha3_224($v) => $e,
            Hmac::Sha3_256($v) => $e,
            Hmac::Sha3_384($v) => $e,
            Hmac::Sha3_512($v) => $e,
        }
    };
}

impl Hmac {
    fn new(name: &str, key: &[u8]) -> Option<Hmac> {
        // HMAC takes keys of any length.
        Some(match name {
            "md5" => Hmac::Md5(Mac::new_from_slice(key).ok()?),
            "sha" => Hmac::Sha1(Mac::new_from_slice(key).ok()?),
            "sha224" => Hmac::Sha224(Mac::new_from_slice(key).ok()?),
            "sha256" => Hmac::Sha256(Mac::new_from_slice(key).ok()?),
            "sha384" => Hmac::Sha384(Mac::new_from_slice(key).ok()?),
            "sha512" => Hmac::Sha512(Mac::new_from_slice(key).ok()?),
            "sha3_224" => Hmac::Sha3_224(Mac::new_from_slice(key).ok()?),
            "sha3_256" => Hmac::Sha3_256(Mac::new_from_slice(key).ok()?),
            "sha3_384" => Hmac::Sha3_384(Mac::new_from_slice(key).ok()?),
            "sha3_512" => Hmac::Sha3_512(Mac::new_from_slice(key).ok()?),
            _ => return None,
        })
    }
    fn update(&mut self, data: &[u8]) {
        each_hmac!(self, m => m.update(data))
    }
    fn finish(self) -> Vec<u8> {
        each_hmac!(self, m => m.finalize().into_bytes().to_vec())
    }
    fn copy(&self) -> Hmac {
        match self {
            Hmac::Md5(m) => Hmac::Md5(m.clone()),
            Hmac::Sha1(m) => Hmac::Sha1(m.clone()),
            Hmac::Sha224(m) => Hmac::Sha224(m.clone()),
            Hmac::Sha256(m) => Hmac::Sha256(m.clone()),
            Hmac::Sha384(m) => Hmac::Sha384(m.clone()),
            Hmac::Sha512(m) => Hmac::Sha512(m.clone()),
            Hmac::Sha3_224(m) => Hmac::Sha3_224(m.clone()),
            Hmac::Sha3_256(m) => Hmac::Sha3_256(m.clone()),
            Hmac::Sha3_384(m) => Hmac::Sha3_384(m.clone()),
            Hmac::Sha3_512(m) => Hmac::Sha3_512(m.clone()),
        }
    }
}

/// The HMAC `mac_nif/4` or `mac_init_nif/3` asks for, or the error OTP raises.
fn mac_of(p: &mut Process, kind: Term, sub: Term, key: Term) -> Result<Hmac, BifError> {
    match kind.as_atom().map(|a| a.name()) {
        Some("hmac") => {}
        Some("cmac" | "poly1305") => {
            return Err(err(p, "notsup", line!(), 0, "Unsupported mac algorithm"));
        }
        _ => return Err(err(p, "badarg", line!(), 0, "Unknown mac algorithm")),
    }
    let Some(name) = sub.as_atom().map(|a| a.name()) else {
        return Err(err(
            p,
            "badarg",
            line!(),
            1,
            "Bad digest algorithm for HMAC",
        ));
    };
    let Ok(key) = iolist(key) else {
        return Err(err(p, "badarg", line!(), 2, "Bad key"));
    };
    match Hmac::new(name, &key) {
        Some(m) => Ok(m),
        None if known_elsewhere(sub) || matches!(name, "blake2b" | "blake2s") => {
            Err(err(p, "notsup", line!(), 1, "Unsupported digest algorithm"))
        }
        None => Err(err(
            p,
            "badarg",
            line!(),
            1,
            "Bad digest algorithm for HMAC",
        )),
    }
}

fn mac(p: &mut Process, a: &[Term]) -> BifResult {
    let mut m = mac_of(p, a[0], a[1], a[2])?;
    let Ok(data) = iolist(a[3]) else {
        return Err(err(p, "badarg", line!(), 3, "Bad text"));
    };
    m.update(&data);
    let out = m.finish();
    Ok(bin(p, &out))
}

static MAC_STATES: Registry<Option<Hmac>> = Registry::new(0x686d_6163);

fn mac_init(p: &mut Process, a: &[Term]) -> BifResult {
    let m = mac_of(p, a[0], a[1], a[2])?;
    Ok(MAC_STATES.make(p, Some(m)))
}

fn mac_state(p: &mut Process, t: Term) -> Result<std::sync::Arc<Mutex<Option<Hmac>>>, BifError> {
    MAC_STATES
        .get(t)
        .map_err(|_| err(p, "badarg", line!(), 0, "Bad ref"))
}

fn mac_update(p: &mut Process, a: &[Term]) -> BifResult {
    let s = mac_state(p, a[0])?;
    let Ok(data) = iolist(a[1]) else {
        return Err(err(p, "badarg", line!(), 1, "Bad text"));
    };
    let mut g = s.lock().unwrap_or_else(|e| e.into_inner());
    match g.as_mut() {
        Some(m) => m.update(&data),
        None => return Err(err(p, "badarg", line!(), 0, "Bad ref")),
    }
    Ok(a[0])
}

fn mac_final(p: &mut Process, a: &[Term]) -> BifResult {
    let s = mac_state(p, a[0])?;
    let m = s
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .as_ref()
        .map(Hmac::copy);
    match m {
        Some(m) => {
            let out = m.finish();
            Ok(bin(p, &out))
        }
        None => Err(err(p, "badarg", line!(), 0, "Bad ref")),
    }
}

fn pbkdf2(p: &mut Process, a: &[Term]) -> BifResult {
    let name = a[0].as_atom().map(|a| a.name()).unwrap_or("");
    let (Some(pass), Some(salt)) = (obj::binary_bytes(a[1]), obj::binary_bytes(a[2])) else {
        return Err(err(p, "badarg", line!(), 1, "Not binary"));
    };
    let (pass, salt) = (pass.to_vec(), salt.to_vec());
    let iter = match a[3].as_small() {
        Some(n) if n >= 1 && n <= i64::from(u32::MAX) => n as u32,
        _ => return Err(err(p, "badarg", line!(), 3, "Not integer")),
    };
    let len = match a[4].as_small() {
        Some(n) if (1..=(1 << 30)).contains(&n) => n as usize,
        _ => return Err(err(p, "badarg", line!(), 4, "Not integer")),
    };
    let mut out = vec![0u8; len];
    match name {
        "sha" => pbkdf2::pbkdf2_hmac::<sha1::Sha1>(&pass, &salt, iter, &mut out),
        "sha224" => pbkdf2::pbkdf2_hmac::<sha2::Sha224>(&pass, &salt, iter, &mut out),
        "sha256" => pbkdf2::pbkdf2_hmac::<sha2::Sha256>(&pass, &salt, iter, &mut out),
        "sha384" => pbkdf2::pbkdf2_hmac::<sha2::Sha384>(&pass, &salt, iter, &mut out),
        "sha512" => pbkdf2::pbkdf2_hmac::<sha2::Sha512>(&pass, &salt, iter, &mut out),
        _ => return Err(err(p, "badarg", line!(), 0, "Bad digest type")),
    }
    Ok(bin(p, &out))
}

fn strong_rand_bytes(p: &mut Process, a: &[Term]) -> BifResult {
    let n = match a[0].as_small() {
        Some(n) if (0..=(1 << 31)).contains(&n) => n as usize,
        _ => return Err(BifError::BADARG),
    };
    let mut buf = vec![0u8; n];
    if fill_random(&mut buf).is_err() {
        return Ok(Term::atom(Atom::FALSE));
    }
    Ok(bin(p, &buf))
}

/// Fill `buf` from the kernel's random number generator.
pub(crate) fn fill_random(buf: &mut [u8]) -> std::io::Result<()> {
    let mut filled = 0;
    while filled < buf.len() {
        let rest = &mut buf[filled..];
        // SAFETY: the pointer and length describe `rest`, writable memory.
        let r = unsafe { libc::getrandom(rest.as_mut_ptr().cast(), rest.len(), 0) };
        if r < 0 {
            let e = std::io::Error::last_os_error();
            if e.kind() == std::io::ErrorKind::Interrupted {
                continue;
            }
            return Err(e);
        }
        filled += r as usize;
    }
    Ok(())
}

/// An OpenSSL `BN_mpi` number: a 32-bit length, then the big-endian magnitude whose top
/// bit is the sign.
fn mpint(t: Term) -> Option<num_bigint::BigInt> {
    let b = obj::binary_bytes(t)?;
    let (len, mag) = (b.get(..4)?, b.get(4..)?);
    if u32::from_be_bytes([len[0], len[1], len[2], len[3]]) as usize != mag.len() {
        return None;
    }
    let mut mag = mag.to_vec();
    let neg = mag.first().is_some_and(|&x| x & 0x80 != 0);
    if let Some(x) = mag.first_mut() {
        *x &= 0x7f;
    }
    let n = num_bigint::BigInt::from_bytes_be(num_bigint::Sign::Plus, &mag);
    Some(if neg { -n } else { n })
}

fn to_mpint(n: &num_bigint::BigInt) -> Vec<u8> {
    let (sign, mut mag) = n.to_bytes_be();
    if mag == [0] {
        mag.clear();
    }
    if mag.first().is_some_and(|&x| x & 0x80 != 0) {
        mag.insert(0, 0);
    }
    if sign == num_bigint::Sign::Minus {
        mag[0] |= 0x80;
    }
    let mut out = (mag.len() as u32).to_be_bytes().to_vec();
    out.extend(mag);
    out
}

/// `rand_uniform_nif(From, To)`: a random number in `[From, To)`, all `BN_mpi` binaries.
fn rand_uniform(p: &mut Process, a: &[Term]) -> BifResult {
    let (Some(lo), Some(hi)) = (mpint(a[0]), mpint(a[1])) else {
        return Err(BifError::BADARG);
    };
    if hi <= lo {
        return Err(BifError::BADARG);
    }
    let range = (&hi - &lo).magnitude().clone();
    let bytes = range.to_bytes_be().len();
    let mut buf = vec![0u8; bytes + 8];
    // Rejection sampling over `bytes + 8` random bytes: below the largest multiple of
    // `range`, uniform.
    let span = num_bigint::BigUint::from(1u8) << (8 * buf.len());
    let limit = &span - (&span % &range);
    loop {
        fill_random(&mut buf).map_err(|_| BifError::BADARG)?;
        let r = num_bigint::BigUint::from_bytes_be(&buf);
        if r < limit {
            let n = lo + num_bigint::BigInt::from(r % &range);
            return Ok(bin(p, &to_mpint(&n)));
        }
    }
}

fn exor(p: &mut Process, a: &[Term]) -> BifResult {
    let (Ok(x), Ok(y)) = (iolist(a[0]), iolist(a[1])) else {
        return Err(BifError::BADARG);
    };
    if x.len() != y.len() {
        return Err(BifError::BADARG);
    }
    let out: Vec<u8> = x.iter().zip(&y).map(|(a, b)| a ^ b).collect();
    Ok(bin(p, &out))
}

fn hash_equals(_: &mut Process, a: &[Term]) -> BifResult {
    let (Some(x), Some(y)) = (obj::binary_bytes(a[0]), obj::binary_bytes(a[1])) else {
        return Err(BifError::BADARG);
    };
    if x.len() != y.len() {
        return Err(BifError::BADARG);
    }
    // Constant time in the contents, as CRYPTO_memcmp.
    let diff = x.iter().zip(y).fold(0u8, |acc, (a, b)| acc | (a ^ b));
    Ok(Term::boolean(diff == 0))
}
