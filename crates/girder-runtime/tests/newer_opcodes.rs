//! Instructions that OTP 26 and 27 compilers emit, which the installed OTP 25 cannot produce:
//! a module built byte by byte is loaded and run.

use girder_format::compact::{Tag, encode};
use girder_format::opcodes::op;
use girder_runtime::{Outcome, Process, code_server, module};
use girder_term::object as obj;
use girder_term::{Atom, Term};
use girder_testkit::beam_builder::{atoms, code, form, u32s};
use num_bigint::BigInt;

fn arg(out: &mut Vec<u8>, tag: Tag, v: i64) {
    encode(tag, &BigInt::from(v), out);
}

/// `newer:f/1`: `executable_line`, then `update_record` replacing element 2 with 42.
fn module_bytes() -> Vec<u8> {
    let mut c = Vec::new();
    c.push(op::label);
    arg(&mut c, Tag::U, 1);
    c.push(op::func_info);
    arg(&mut c, Tag::A, 1);
    arg(&mut c, Tag::A, 2);
    arg(&mut c, Tag::U, 1);
    c.push(op::label);
    arg(&mut c, Tag::U, 2);
    c.push(op::executable_line);
    arg(&mut c, Tag::U, 0);
    arg(&mut c, Tag::U, 0);
    c.push(op::update_record);
    arg(&mut c, Tag::A, 3); // hint: copy
    arg(&mut c, Tag::U, 3); // size
    arg(&mut c, Tag::X, 0);
    arg(&mut c, Tag::X, 0);
    c.push(0x17); // list of (position, value)
    arg(&mut c, Tag::U, 2);
    arg(&mut c, Tag::U, 2);
    arg(&mut c, Tag::I, 42);
    c.push(op::r#return);
    c.push(op::int_code_end);
    form(&[
        (b"AtU8", atoms(&["newer", "f", "copy"])),
        (b"Code", code(u32::from(op::executable_line), 3, 1, &c)),
        (b"ImpT", u32s(&[0])),
        (b"ExpT", u32s(&[1, 2, 1, 2])),
    ])
}

#[test]
fn update_record_and_executable_line_run() {
    code_server::load_bytes("newer.beam", &module_bytes()).unwrap();
    let mut p = Process::new(1);
    let a = Term::atom(Atom::intern("a"));
    let t = obj::tuple(&mut p.heap, &[a, a, a]);
    p.start_call(
        module::export(Atom::intern("newer"), Atom::intern("f"), 1),
        &[t],
    )
    .unwrap();
    let Outcome::Returned(v) = girder_runtime::run(&mut p) else {
        panic!("did not return")
    };
    assert_eq!(girder_term::convert::display(v), "{a,42,a}");
    // The original is untouched.
    assert_eq!(girder_term::convert::display(t), "{a,a,a}");
}
