//! The NIFs of OTP modules that girder provides in Rust: `zlib` (over `flate2`),
//! `crypto` (over RustCrypto's crates), `prim_socket` (over girder's I/O reactor) and
//! `prim_net`. Each module's functions are a
//! [`girder_runtime::nif::NifTable`], registered by [`register_all`] at start and bound to
//! the module when it calls `erlang:load_nif/2` (see `girder_runtime::nif`). A separate
//! crate from `girder-bifs` so that the hash and compression dependencies stay out of it.

mod cipher;
mod crypto;
mod net;
mod pubkey;
mod resource;
mod socket;
mod util;
mod zlib;

/// Register every module's NIF table.
pub fn register_all() {
    girder_runtime::nif::register(&zlib::TABLE);
    girder_runtime::nif::register(&crypto::TABLE);
    girder_runtime::nif::register(&socket::TABLE);
    girder_runtime::nif::register(&net::TABLE);
    girder_runtime::sched::add_exit_hook(socket::process_exited);
}
