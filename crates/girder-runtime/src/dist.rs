//! Hooks into the distribution layer (`girder-bifs/src/dist.rs`), which owns the connections
//! to other nodes: the runtime calls it where a message, a port's input or a process's exit
//! concerns another node.

use std::sync::OnceLock;

use girder_term::Term;

use crate::process::Process;

/// What the distribution layer does for the runtime.
pub struct Hooks {
    /// Send `msg` from `from` to `to`, a pid or alias of another node or `{Name, Node}` with
    /// `Node` not this one; false when `to` is none of those.
    pub send: fn(from: &mut Process, to: Term, msg: Term) -> bool,
    /// A packet arrived on distribution controller port `port`.
    pub input: fn(port: u64, packet: Vec<u8>),
    /// Distribution controller port `port` closed with `reason`.
    pub port_closed: fn(port: u64, reason: Term),
    /// Process `p` exited with `reason`: its links and monitors on other nodes.
    pub exited: fn(p: &Process, reason: Term),
}

/// Set once when the BIFs are registered.
pub static HOOKS: OnceLock<Hooks> = OnceLock::new();

/// Send through the distribution layer (see [`Hooks::send`]).
pub fn send(from: &mut Process, to: Term, msg: Term) -> bool {
    HOOKS.get().is_some_and(|h| (h.send)(from, to, msg))
}
