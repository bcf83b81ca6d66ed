//! girder's runtime: loaded code, processes, exceptions and the interpreter loop.
//!
//! The path of a module: [`code_server`] finds its bytes, `girder_format` parses them,
//! [`loader`] translates the generic instructions into [`instr::Instr`] with every operand
//! resolved and checked, and [`module`] publishes it (code index, export entries). A
//! [`process::Process`] runs in [`interp::run`], which returns to its caller whenever the
//! process finishes, raises uncaught, halts the VM or yields.

pub mod archive;
pub mod bif;
pub mod bits;
pub mod code_server;
pub mod coverage;
pub mod dict;
pub mod dist;
pub mod engine;
pub mod exception;
pub mod instr;
pub mod interp;
pub mod keyed;
pub mod loader;
pub mod memory;
pub mod module;
pub mod nif;
pub mod port;
pub mod process;
pub mod reactor;
pub mod receive;
pub mod sched;
pub mod sysmon;
pub mod trace;
pub mod tracing;

pub use exception::Class;
pub use interp::{Outcome, run};
pub use process::Process;
