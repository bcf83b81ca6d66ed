//! The public-key NIFs of OTP's `crypto` that girder provides: X25519 key agreement
//! (`generate_key/2,3` and `compute_key/4` with `ecdh` or `eddh` and `x25519`) and Ed25519
//! signatures (`generate_key(eddsa, ed25519)`, `sign/4,5` and `verify/5,6` with `eddsa`),
//! over the `x25519-dalek` and `ed25519-dalek` crates. Keys are OpenSSL's raw 32-byte
//! keys, as erl's `crypto` takes and gives them. The other algorithms (RSA, DSS, DH, ECDSA
//! and ECDH over other curves, X448, Ed448) fail with `notsup`, and `supports/1` does not
//! list them.

use ed25519_dalek::{Signer, Verifier};
use girder_runtime::Process;
use girder_runtime::bif::{BifError, BifResult};
use girder_term::Term;
use girder_term::object as obj;

use crate::crypto::err;
use crate::util::{atom, bin, iolist};

/// `crypto:supports(public_keys)`, in erl's order.
pub const PUBLIC_KEYS: &[&str] = &["ecdh", "eddsa", "eddh"];
/// `crypto:supports(curves)`, in erl's order.
pub const CURVES: &[&str] = &["ed25519", "x25519"];

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

/// An atom list for `supports/1`.
pub fn names(p: &mut Process, names: &[&str]) -> Term {
    let items: Vec<Term> = names.iter().map(|n| atom(n)).collect();
    obj::list_from_slice(&mut p.heap, &items, Term::NIL)
}
