//! The public-key NIFs of OTP's `crypto` that girder provides: X25519 key agreement
//! (`generate_key/2,3` and `compute_key/4` with `ecdh` or `eddh` and `x25519`), Ed25519
//! signatures (`generate_key(eddsa, ed25519)`, `sign/4,5` and `verify/5,6` with `eddsa`),
//! and on the NIST curve P-256 (`secp256r1`, `prime256v1`) ECDH (`generate_key`,
//! `compute_key` with `ecdh`) and ECDSA (`sign`, `verify` with `ecdsa`: DER signatures;
//! girder's nonces are RFC 6979's, OpenSSL's random, so signatures differ from erl's while
//! both verify), over the `x25519-dalek`, `ed25519-dalek` and `p256` crates. Keys are
//! OpenSSL's raw keys (EC points uncompressed), as erl's `crypto` takes and gives them.
//! Finite-field Diffie-Hellman (`generate_key(dh, [P, G | _])`, `compute_key(dh, ...)`) runs
//! on `num-bigint`: a private key given is used (erl 25 over OpenSSL 3 draws a new one
//! anyway), a random one has 256 bits (fewer for a small prime; OpenSSL's size depends on
//! the group), and a peer key outside 2..P-2 is refused. The other algorithms (RSA, DSS,
//! ECDSA and ECDH over other curves, X448, Ed448) fail with `notsup`, and `supports/1`
//! does not list them.

use ed25519_dalek::{Signer, Verifier};
use girder_runtime::Process;
use girder_runtime::bif::{BifError, BifResult};
use girder_term::Term;
use girder_term::object as obj;

use crate::crypto::err;
use crate::util::{atom, bin, iolist};

/// `crypto:supports(public_keys)`, in erl's order.
pub const PUBLIC_KEYS: &[&str] = &["dh", "ecdsa", "ecdh", "eddsa", "eddh"];
/// `crypto:supports(curves)`, in erl's order.
pub const CURVES: &[&str] = &["secp256r1", "prime256v1", "ed25519", "x25519"];

/// A raw 32-byte key, or `badarg` naming argument `arg`.
fn key32(p: &mut Process, t: Term, line: u32, arg: i64, text: &str) -> Result<[u8; 32], BifError> {
    obj::binary_bytes(t)
        .filter(|_| obj::is_binary(t))
        .and_then(|b| <[u8; 32]>::try_from(b).ok())
        .ok_or_else(|| err(p, "badarg", line, arg, text))
}

/// A private key given, or 32 random bytes for `undefined`.
fn private_or_random(p: &mut Process, t: Term, line: u32) -> Result<[u8; 32], BifError> {
    if t == atom("undefined") {
        let mut k = [0u8; 32];
        crate::crypto::fill_random(&mut k)
            .map_err(|_| err(p, "error", line, 1, "Can't generate a random key"))?;
        return Ok(k);
    }
    key32(p, t, line, 1, "Can't make a raw private key")
}

/// `evp_generate_key_nif(Curve, PrivKey | undefined)`: `{PublicKey, PrivateKey}`.
pub fn evp_generate_key(p: &mut Process, a: &[Term]) -> BifResult {
    let curve = a[0].as_atom().map(|c| c.name());
    let (public, private) = match curve {
        Some("x25519") => {
            let k = private_or_random(p, a[1], line!())?;
            let secret = x25519_dalek::StaticSecret::from(k);
            let public = x25519_dalek::PublicKey::from(&secret);
            (public.to_bytes(), k)
        }
        Some("ed25519") => {
            let k = private_or_random(p, a[1], line!())?;
            let signing = ed25519_dalek::SigningKey::from_bytes(&k);
            (signing.verifying_key().to_bytes(), k)
        }
        _ => return Err(err(p, "notsup", line!(), 0, "Unsupported curve")),
    };
    let (public, private) = (bin(p, &public), bin(p, &private));
    Ok(obj::tuple(&mut p.heap, &[public, private]))
}

/// `evp_compute_key_nif(Curve, OthersPublicKey, MyPrivateKey)`: the shared secret. A peer
/// key of small order (the secret would be all zeros) fails, as OpenSSL's derivation does.
pub fn evp_compute_key(p: &mut Process, a: &[Term]) -> BifResult {
    if a[0].as_atom().map(|c| c.name()) != Some("x25519") {
        return Err(err(p, "notsup", line!(), 0, "Unsupported curve"));
    }
    let others = key32(p, a[1], line!(), 1, "Not a raw public peer key")?;
    let mine = key32(p, a[2], line!(), 2, "Not a raw private key")?;
    let secret = x25519_dalek::StaticSecret::from(mine);
    let shared = secret.diffie_hellman(&x25519_dalek::PublicKey::from(others));
    if !shared.was_contributory() {
        return Err(err(p, "error", line!(), -1, "Can't EVP_PKEY_derive"));
    }
    Ok(bin(p, shared.as_bytes()))
}

/// The message of a sign or verify call: iodata, or `{digest, Digest}` (Ed25519 signs
/// the bytes given either way).
fn message(p: &mut Process, t: Term, line: u32) -> Result<Vec<u8>, BifError> {
    let t = if obj::is_tuple(t)
        && obj::tuple_arity(t) == 2
        && obj::tuple_element(t, 0) == atom("digest")
    {
        obj::tuple_element(t, 1)
    } else {
        t
    };
    iolist(t).map_err(|_| err(p, "badarg", line, 2, "Bad text"))
}

/// `[Key, ed25519]`, the key of an `eddsa` call.
fn ed25519_key(p: &mut Process, t: Term, arg: i64, line: u32) -> Result<[u8; 32], BifError> {
    let parts = obj::list_to_vec(t).unwrap_or_default();
    match parts.as_slice() {
        [k, c] if *c == atom("ed25519") => key32(p, *k, line, arg, "Couldn't get EDDSA key"),
        [_, c] if *c == atom("ed448") => Err(err(p, "notsup", line, arg, "Unsupported curve")),
        _ => Err(err(p, "badarg", line, arg, "Couldn't get EDDSA key")),
    }
}

/// `pkey_sign_nif(Algorithm, DigestType, Msg, Key, Options)`: an Ed25519 signature.
pub fn pkey_sign(p: &mut Process, a: &[Term]) -> BifResult {
    if a[0] == atom("ecdsa") {
        return ecdsa_sign(p, a);
    }
    if a[0] != atom("eddsa") {
        return Err(err(p, "notsup", line!(), 0, "Unsupported algorithm"));
    }
    let msg = message(p, a[2], line!())?;
    let k = ed25519_key(p, a[3], 3, line!())?;
    let signature = ed25519_dalek::SigningKey::from_bytes(&k).sign(&msg);
    Ok(bin(p, &signature.to_bytes()))
}

/// `pkey_verify_nif(Algorithm, DigestType, Msg, Signature, Key, Options)`: whether the
/// Ed25519 signature is right (false for a key that is no curve point, as OpenSSL).
pub fn pkey_verify(p: &mut Process, a: &[Term]) -> BifResult {
    if a[0] == atom("ecdsa") {
        return ecdsa_verify(p, a);
    }
    if a[0] != atom("eddsa") {
        return Err(err(p, "notsup", line!(), 0, "Unsupported algorithm"));
    }
    let msg = message(p, a[2], line!())?;
    let signature = obj::binary_bytes(a[3])
        .filter(|_| obj::is_binary(a[3]))
        .ok_or_else(|| err(p, "badarg", line!(), 3, "Expected a binary"))?
        .to_vec();
    let k = ed25519_key(p, a[4], 4, line!())?;
    let ok = match (
        ed25519_dalek::VerifyingKey::from_bytes(&k),
        ed25519_dalek::Signature::from_slice(&signature),
    ) {
        (Ok(key), Ok(sig)) => key.verify(&msg, &sig).is_ok(),
        _ => false,
    };
    Ok(Term::boolean(ok))
}

/// The curve of `nif_curve_params/1`'s `{Spec, Name}` when it is P-256 (by name).
fn p256_curve(p: &mut Process, t: Term, arg: i64, line: u32) -> Result<(), BifError> {
    let name = (obj::is_tuple(t) && obj::tuple_arity(t) == 2)
        .then(|| obj::tuple_element(t, 1).as_atom())
        .flatten()
        .map(|a| a.name());
    match name {
        Some("secp256r1" | "prime256v1") => Ok(()),
        _ => Err(err(p, "notsup", line, arg, "Unsupported curve")),
    }
}

/// A P-256 private key: big-endian bytes, at most 32 (shorter ones are padded).
fn p256_secret(p: &mut Process, t: Term, arg: i64, line: u32) -> Result<p256::SecretKey, BifError> {
    let bytes = obj::binary_bytes(t)
        .filter(|b| obj::is_binary(t) && b.len() <= 32)
        .map(|b| {
            let mut k = [0u8; 32];
            k[32 - b.len()..].copy_from_slice(b);
            k
        });
    bytes
        .and_then(|k| p256::SecretKey::from_bytes(&k.into()).ok())
        .ok_or_else(|| err(p, "badarg", line, arg, "Couldn't get ECDSA private key"))
}

/// A P-256 public key: an encoded point (uncompressed or compressed); else an error of
/// `kind` (OpenSSL's: `error` for a peer's ECDH key, `badarg` for an ECDSA key).
fn p256_public(
    p: &mut Process,
    t: Term,
    arg: i64,
    line: u32,
    kind: &str,
) -> Result<p256::PublicKey, BifError> {
    obj::binary_bytes(t)
        .filter(|_| obj::is_binary(t))
        .and_then(|b| p256::PublicKey::from_sec1_bytes(b).ok())
        .ok_or_else(|| err(p, kind, line, arg, "Couldn't get an EC public key"))
}

fn uncompressed(public: &p256::PublicKey) -> Vec<u8> {
    use p256::elliptic_curve::sec1::ToEncodedPoint;
    public.to_encoded_point(false).as_bytes().to_vec()
}

/// `ec_generate_key_nif(CurveParams, PrivKey | undefined)`: `{PublicKey, PrivateKey}` on
/// P-256.
pub fn ec_generate_key(p: &mut Process, a: &[Term]) -> BifResult {
    p256_curve(p, a[0], 0, line!())?;
    let secret = if a[1] == atom("undefined") {
        loop {
            let mut k = [0u8; 32];
            crate::crypto::fill_random(&mut k)
                .map_err(|_| err(p, "error", line!(), 1, "Can't generate a random key"))?;
            if let Ok(s) = p256::SecretKey::from_bytes(&k.into()) {
                break s;
            }
        }
    } else {
        p256_secret(p, a[1], 1, line!())?
    };
    let public = uncompressed(&secret.public_key());
    let (public, private) = (bin(p, &public), bin(p, &secret.to_bytes()));
    Ok(obj::tuple(&mut p.heap, &[public, private]))
}

/// `ecdh_compute_key_nif(OthersPublicKey, CurveParams, MyPrivateKey)`: the shared secret
/// (the x coordinate) on P-256.
pub fn ecdh_compute_key(p: &mut Process, a: &[Term]) -> BifResult {
    p256_curve(p, a[1], 1, line!())?;
    let others = p256_public(p, a[0], 0, line!(), "error")?;
    let mine = p256_secret(p, a[2], 2, line!())?;
    let shared = p256::ecdh::diffie_hellman(mine.to_nonzero_scalar(), others.as_affine());
    Ok(bin(p, shared.raw_secret_bytes()))
}

/// The digest an ECDSA call signs: `{digest, D}` as given, else the message hashed with
/// the digest type.
fn ecdsa_digest(p: &mut Process, ty: Term, msg: Term, line: u32) -> Result<Vec<u8>, BifError> {
    if obj::is_tuple(msg)
        && obj::tuple_arity(msg) == 2
        && obj::tuple_element(msg, 0) == atom("digest")
    {
        return iolist(obj::tuple_element(msg, 1))
            .map_err(|_| err(p, "badarg", line, 2, "Bad digest"));
    }
    let data = iolist(msg).map_err(|_| err(p, "badarg", line, 2, "Bad text"))?;
    let name = ty.as_atom().map(|a| a.name()).unwrap_or("");
    if !matches!(name, "sha" | "sha224" | "sha256" | "sha384" | "sha512") {
        return Err(err(p, "badarg", line, 1, "Bad digest type"));
    }
    crate::crypto::digest(name, &data).ok_or_else(|| err(p, "badarg", line, 1, "Bad digest type"))
}

/// `{CurveParams, Key}`, the key of an `ecdsa` call.
fn ecdsa_key(t: Term) -> Option<(Term, Term)> {
    (obj::is_tuple(t) && obj::tuple_arity(t) == 2)
        .then(|| (obj::tuple_element(t, 0), obj::tuple_element(t, 1)))
}

fn ecdsa_sign(p: &mut Process, a: &[Term]) -> BifResult {
    use p256::ecdsa::signature::hazmat::PrehashSigner;
    let (curve, key) = ecdsa_key(a[3])
        .ok_or_else(|| err(p, "badarg", line!(), 3, "Couldn't get ECDSA private key"))?;
    p256_curve(p, curve, 3, line!())?;
    let digest = ecdsa_digest(p, a[1], a[2], line!())?;
    let secret = p256_secret(p, key, 3, line!())?;
    let signer = p256::ecdsa::SigningKey::from(secret);
    let signature: p256::ecdsa::Signature = signer
        .sign_prehash(&digest)
        .map_err(|_| err(p, "badarg", line!(), 2, "Bad digest"))?;
    Ok(bin(p, signature.to_der().as_bytes()))
}

fn ecdsa_verify(p: &mut Process, a: &[Term]) -> BifResult {
    use p256::ecdsa::signature::hazmat::PrehashVerifier;
    let (curve, key) = ecdsa_key(a[4])
        .ok_or_else(|| err(p, "badarg", line!(), 4, "Couldn't get ECDSA public key"))?;
    p256_curve(p, curve, 4, line!())?;
    let digest = ecdsa_digest(p, a[1], a[2], line!())?;
    let public = p256_public(p, key, 4, line!(), "badarg")?;
    let signature = obj::binary_bytes(a[3])
        .filter(|_| obj::is_binary(a[3]))
        .ok_or_else(|| err(p, "badarg", line!(), 3, "Expected a binary"))?
        .to_vec();
    let verifier = p256::ecdsa::VerifyingKey::from(public);
    let ok = p256::ecdsa::Signature::from_der(&signature)
        .is_ok_and(|sig| verifier.verify_prehash(&digest, &sig).is_ok());
    Ok(Term::boolean(ok))
}

/// A non-negative integer given as big-endian bytes.
fn big(t: Term) -> Option<num_bigint::BigUint> {
    obj::binary_bytes(t)
        .filter(|_| obj::is_binary(t))
        .map(num_bigint::BigUint::from_bytes_be)
}

/// `[P, G]` of a DH call (integers already made binaries by `crypto`).
fn dh_params(
    p: &mut Process,
    t: Term,
    arg: i64,
    line: u32,
) -> Result<(num_bigint::BigUint, num_bigint::BigUint), BifError> {
    let parts = obj::list_to_vec(t).unwrap_or_default();
    let two = num_bigint::BigUint::from(2u8);
    match parts.as_slice() {
        [pt, gt, ..] => match (big(*pt), big(*gt)) {
            (Some(prime), Some(g))
                if prime > two && g > num_bigint::BigUint::from(1u8) && g < prime =>
            {
                Ok((prime, g))
            }
            _ => Err(err(p, "badarg", line, arg, "Bad DH parameters")),
        },
        _ => Err(err(p, "badarg", line, arg, "Bad DH parameters")),
    }
}

/// `dh_generate_key_nif(PrivKey | undefined, [P, G], Mpint, Length)`: `{PublicKey,
/// PrivateKey}`, big-endian without leading zeros.
pub fn dh_generate_key(p: &mut Process, a: &[Term]) -> BifResult {
    let (prime, g) = dh_params(p, a[1], 1, line!())?;
    let one = num_bigint::BigUint::from(1u8);
    let private = if a[0] == atom("undefined") {
        let length = a[3].as_small().filter(|&n| n > 0).map(|n| n as u64);
        let bits = length.unwrap_or(256).min(prime.bits() - 1).max(2);
        loop {
            let mut bytes = vec![0u8; bits.div_ceil(8) as usize];
            crate::crypto::fill_random(&mut bytes)
                .map_err(|_| err(p, "error", line!(), 0, "Can't generate DH key pair"))?;
            let extra = bytes.len() as u64 * 8 - bits;
            bytes[0] &= 0xff >> extra;
            let k = num_bigint::BigUint::from_bytes_be(&bytes);
            if k > one && k < &prime - &one {
                break k;
            }
        }
    } else {
        match big(a[0]) {
            Some(k) if k > num_bigint::BigUint::from(0u8) && k < prime => k,
            _ => return Err(err(p, "badarg", line!(), 0, "Bad private key")),
        }
    };
    let public = g.modpow(&private, &prime);
    let (public, private) = (
        bin(p, &public.to_bytes_be()),
        bin(p, &private.to_bytes_be()),
    );
    Ok(obj::tuple(&mut p.heap, &[public, private]))
}

/// `dh_compute_key_nif(OthersPublicKey, MyPrivateKey, [P, G])`: the shared secret,
/// big-endian without leading zeros (as erl gives it).
pub fn dh_compute_key(p: &mut Process, a: &[Term]) -> BifResult {
    let (prime, _) = dh_params(p, a[2], 2, line!())?;
    let one = num_bigint::BigUint::from(1u8);
    let others = big(a[0]).ok_or_else(|| err(p, "badarg", line!(), 0, "Bad public key"))?;
    let mine = big(a[1]).ok_or_else(|| err(p, "badarg", line!(), 1, "Bad private key"))?;
    if others <= one || others >= &prime - &one {
        return Err(err(p, "error", line!(), -1, "Can't derive secret"));
    }
    let shared = others.modpow(&mine, &prime).to_bytes_be();
    Ok(bin(p, &shared))
}

/// `mod_exp_nif(Base, Exponent, Modulus, Mode)`: `Base^Exponent mod Modulus`, big-endian
/// without leading zeros (mode 0) or as an mpint (mode 4: a 4-byte length, then the bytes
/// with a zero byte before a high bit); `badarg` for a zero modulus.
pub fn mod_exp(p: &mut Process, a: &[Term]) -> BifResult {
    let (Some(base), Some(exp), Some(modulus)) = (big(a[0]), big(a[1]), big(a[2])) else {
        return Err(BifError::BADARG);
    };
    if modulus == num_bigint::BigUint::from(0u8) {
        return Err(BifError::BADARG);
    }
    let r = base.modpow(&exp, &modulus);
    let mut bytes = if r == num_bigint::BigUint::from(0u8) {
        Vec::new()
    } else {
        r.to_bytes_be()
    };
    match a[3].as_small() {
        Some(0) => {}
        Some(4) => {
            if bytes.first().is_some_and(|b| b & 0x80 != 0) {
                bytes.insert(0, 0);
            }
            let mut out = (bytes.len() as u32).to_be_bytes().to_vec();
            out.extend(bytes);
            bytes = out;
        }
        _ => return Err(BifError::BADARG),
    }
    Ok(bin(p, &bytes))
}

/// An atom list for `supports/1`.
pub fn names(p: &mut Process, names: &[&str]) -> Term {
    let items: Vec<Term> = names.iter().map(|n| atom(n)).collect();
    obj::list_from_slice(&mut p.heap, &items, Term::NIL)
}
