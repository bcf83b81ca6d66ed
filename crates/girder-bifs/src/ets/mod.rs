//! `ets`: what OTP 25 implements in C for the `ets` module (OTP's `ets.beam` supplies the
//! rest: `tab2list`, `foldl`, `select_delete`, `match_delete`...).
//!
//! - [`table`]: tables and the global registry (one lock, so any scheduler thread may use
//!   any table).
//! - [`object`]: object storage: each object in its own area outside every process heap.
//! - [`ms`]: match specifications.
//! - [`basic`], [`select`], [`admin`]: the BIFs (objects; match and select; tables,
//!   ownership and the process-exit hook).

mod admin;
mod basic;
pub(crate) mod ms;
mod object;
mod select;
pub(crate) mod table;

use girder_runtime::bif::BifError;
use girder_term::Atom;

pub use admin::process_exited;

/// Words the objects of every table take (`erlang:memory(ets)`).
pub fn memory_words() -> usize {
    table::registry().tables.values().map(|t| t.memory()).sum()
}
use table::Cause;

use crate::Entry;

pub const BIFS: &[Entry] = &[
    ("ets", "new", 2, admin::new),
    ("ets", "delete", 1, admin::delete1),
    ("ets", "whereis", 1, admin::whereis),
    (
        "ets",
        "internal_request_all",
        0,
        admin::internal_request_all,
    ),
    ("ets", "rename", 2, admin::rename),
    ("ets", "give_away", 3, admin::give_away),
    ("ets", "setopts", 2, admin::setopts),
    ("ets", "info", 1, admin::info1),
    ("ets", "info", 2, admin::info2),
    ("ets", "safe_fixtable", 2, admin::safe_fixtable),
    ("ets", "insert", 2, basic::insert),
    ("ets", "insert_new", 2, basic::insert_new),
    ("ets", "lookup", 2, basic::lookup),
    ("ets", "lookup_element", 3, basic::lookup_element),
    ("ets", "member", 2, basic::member),
    ("ets", "delete", 2, basic::delete2),
    ("ets", "delete_object", 2, basic::delete_object),
    ("ets", "internal_delete_all", 2, basic::internal_delete_all),
    ("ets", "take", 2, basic::take),
    ("ets", "update_counter", 3, basic::update_counter3),
    ("ets", "update_counter", 4, basic::update_counter4),
    ("ets", "update_element", 3, basic::update_element),
    ("ets", "first", 1, basic::first),
    ("ets", "last", 1, basic::last),
    ("ets", "next", 2, basic::next),
    ("ets", "prev", 2, basic::prev),
    ("ets", "slot", 2, basic::slot),
    ("ets", "match", 1, select::cont1),
    ("ets", "match", 2, select::match2),
    ("ets", "match", 3, select::match3),
    ("ets", "match_object", 1, select::cont1),
    ("ets", "match_object", 2, select::match_object2),
    ("ets", "match_object", 3, select::match_object3),
    ("ets", "select", 1, select::cont1),
    ("ets", "select", 2, select::select2),
    ("ets", "select", 3, select::select3),
    ("ets", "select_reverse", 1, select::cont1),
    ("ets", "select_reverse", 2, select::select_reverse2),
    ("ets", "select_reverse", 3, select::select_reverse3),
    ("ets", "select_count", 2, select::select_count),
    ("ets", "internal_select_delete", 2, select::select_delete),
    ("ets", "select_replace", 2, select::select_replace),
    ("ets", "match_spec_compile", 1, select::match_spec_compile),
    ("ets", "is_compiled_ms", 1, select::is_compiled_ms),
    ("ets", "match_spec_run_r", 3, select::match_spec_run_r),
];

/// `badarg` with OTP's `error_info` for ETS (`erl_stdlib_errors`, and the cause if any).
fn fail(cause: Cause) -> BifError {
    girder_runtime::trace::set_error_info(
        Atom::intern("erl_stdlib_errors"),
        cause.atom().map(Atom::intern),
    );
    if cause == Cause::SystemLimit {
        BifError::SYSTEM_LIMIT
    } else {
        BifError::BADARG
    }
}

/// An ETS BIF's result: a term or the cause of its `badarg`.
type EtsResult<T> = Result<T, Cause>;

/// Turn an [`EtsResult`] into a BIF result.
fn bif(r: EtsResult<girder_term::Term>) -> girder_runtime::bif::BifResult {
    r.map_err(fail)
}
