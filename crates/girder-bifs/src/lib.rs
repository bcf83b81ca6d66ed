//! Built-in functions: what ERTS implements in C for the `erlang` module and a few others
//! (`lists:reverse/2`...), registered into the runtime's export table by [`register_all`].
//!
//! Standard I/O is OTP's own `io` talking to girder's preloaded I/O server; [`stdio`] holds
//! the server's native reads and writes.

mod arith;
mod atomics;
mod binaries;
mod binary_search;
mod break_info;
mod calendar;
mod code;
mod compare;
mod control;
pub mod display;
mod dist;
pub(crate) mod ets;
mod external;
mod file;
mod floats;
mod hashing;
mod hot_code;
pub mod init;
mod lists;
mod maps;
mod math;
pub(crate) mod memory;
mod misc;
mod os;
mod packet;
mod persistent;
mod ports;
mod prim_loader;
mod processes;
mod re;
pub mod stdio;
mod system;
mod time;
mod tracing;
mod tuples;
mod types;
mod unicode;
pub mod util;

use girder_runtime::bif::BifFn;
use girder_runtime::module::register_bif;
use girder_term::Atom;

/// One BIF to register: module, function, arity, implementation.
pub type Entry = (&'static str, &'static str, u32, BifFn);

/// Every BIF table.
const TABLES: &[&[Entry]] = &[
    arith::BIFS,
    atomics::BIFS,
    binaries::BIFS,
    binary_search::BIFS,
    binary_search::STRING_BIFS,
    calendar::BIFS,
    code::BIFS,
    compare::BIFS,
    control::BIFS,
    dist::BIFS,
    ets::BIFS,
    external::BIFS,
    file::BIFS,
    floats::BIFS,
    hashing::BIFS,
    hot_code::BIFS,
    init::BIFS,
    lists::BIFS,
    maps::BIFS,
    misc::BIFS,
    math::BIFS,
    math::BIFS2,
    memory::BIFS,
    os::BIFS,
    packet::BIFS,
    persistent::BIFS,
    ports::BIFS,
    prim_loader::BIFS,
    processes::BIFS,
    re::BIFS,
    stdio::BIFS,
    system::BIFS,
    time::BIFS,
    tracing::BIFS,
    tuples::BIFS,
    unicode::BIFS,
    types::BIFS,
];

/// Register every BIF girder implements.
pub fn register_all() {
    misc::start_clock();
    time::start();
    girder_runtime::sched::add_exit_hook(ets::process_exited);
    girder_runtime::sched::add_exit_hook(file::process_exited);
    tracing::init();
    girder_runtime::port::inet::set_packet_hooks(packet::inet_hooks());
    let _ = girder_runtime::dist::HOOKS.set(dist::hooks());
    girder_runtime::port::tty::set_break_report(break_info::report);
    // Other nodes' pids, ports and references print with the node name's atom index.
    girder_format::term_fmt::set_node_channel(|node| Atom::existing(node).map(Atom::index));
    for &(m, f, a, bif) in TABLES.iter().copied().flatten() {
        register_bif(Atom::intern(m), Atom::intern(f), a, bif);
    }
}

/// Every registered BIF as `(module, function, arity)`, for `girder bifs`.
pub fn all() -> Vec<(&'static str, &'static str, u32)> {
    TABLES
        .iter()
        .copied()
        .flatten()
        .map(|&(m, f, a, _)| (m, f, a))
        .collect()
}

#[cfg(test)]
mod tests {
    /// Each BIF is registered once: the first registration of a name wins, so a second
    /// one would be dead code that looks alive.
    #[test]
    fn every_bif_is_registered_once() {
        let mut seen = std::collections::HashSet::new();
        let dups: Vec<_> = super::all()
            .into_iter()
            .filter(|b| !seen.insert(*b))
            .collect();
        assert!(dups.is_empty(), "registered more than once: {dups:?}");
    }
}
