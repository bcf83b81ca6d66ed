//! girder's preloaded Erlang modules, as OTP's `erts/preloaded`: compiled from
//! `lib/preloaded/src` by `scripts/build-preloaded` (the `.beam` files are committed, and a
//! test fails when they are stale), embedded in the binary and loaded at boot.

use girder_runtime::code_server;
use girder_runtime::loader::LoadError;

/// (module, `.beam` bytes).
pub const MODULES: &[(&str, &[u8])] = &[
    (
        "erl_prim_loader",
        include_bytes!("../../../lib/preloaded/ebin/erl_prim_loader.beam"),
    ),
    (
        "girder_user",
        include_bytes!("../../../lib/preloaded/ebin/girder_user.beam"),
    ),
    (
        "girder_logger",
        include_bytes!("../../../lib/preloaded/ebin/girder_logger.beam"),
    ),
    (
        "prim_file",
        include_bytes!("../../../lib/preloaded/ebin/prim_file.beam"),
    ),
    (
        "code_server",
        include_bytes!("../../../lib/preloaded/ebin/code_server.beam"),
    ),
    (
        "standard_error",
        include_bytes!("../../../lib/preloaded/ebin/standard_error.beam"),
    ),
    (
        "user_sup",
        include_bytes!("../../../lib/preloaded/ebin/user_sup.beam"),
    ),
    (
        "girder_on_load",
        include_bytes!("../../../lib/preloaded/ebin/girder_on_load.beam"),
    ),
    (
        "init",
        include_bytes!("../../../lib/preloaded/ebin/init.beam"),
    ),
];

/// Load every preloaded module.
pub fn load() -> Result<(), LoadError> {
    for (name, bytes) in MODULES {
        code_server::load_bytes(&format!("preloaded/{name}.beam"), bytes)?;
    }
    Ok(())
}
