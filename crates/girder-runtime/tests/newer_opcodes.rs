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

/// `newer2:g/1` matches `<<"a", X:8, Rest/binary>>` with OTP 26's `bs_match`.
fn bs_match_module() -> Vec<u8> {
    let atoms_list = [
        "newer2",
        "g",
        "no_fail",
        "ensure_at_least",
        "=:=",
        "integer",
        "get_tail",
        "nomatch",
    ];
    let a = |name: &str| atoms_list.iter().position(|x| *x == name).unwrap() as i64 + 1;
    let mut c = Vec::new();
    c.push(op::label);
    arg(&mut c, Tag::U, 1);
    c.push(op::func_info);
    arg(&mut c, Tag::A, 1);
    arg(&mut c, Tag::A, 2);
    arg(&mut c, Tag::U, 1);
    c.push(op::label);
    arg(&mut c, Tag::U, 2);
    c.push(op::bs_start_match4);
    arg(&mut c, Tag::A, a("no_fail"));
    arg(&mut c, Tag::U, 1);
    arg(&mut c, Tag::X, 0);
    arg(&mut c, Tag::X, 1);
    c.push(op::bs_match);
    arg(&mut c, Tag::F, 3);
    arg(&mut c, Tag::X, 1);
    c.push(0x17);
    arg(&mut c, Tag::U, 17);
    arg(&mut c, Tag::A, a("ensure_at_least"));
    arg(&mut c, Tag::U, 16);
    arg(&mut c, Tag::U, 8);
    arg(&mut c, Tag::A, a("=:="));
    arg(&mut c, Tag::A, 0); // nil
    arg(&mut c, Tag::U, 8);
    arg(&mut c, Tag::I, 97);
    arg(&mut c, Tag::A, a("integer"));
    arg(&mut c, Tag::U, 2);
    arg(&mut c, Tag::A, 0); // no flags
    arg(&mut c, Tag::U, 8);
    arg(&mut c, Tag::U, 1);
    arg(&mut c, Tag::X, 2);
    arg(&mut c, Tag::A, a("get_tail"));
    arg(&mut c, Tag::U, 3);
    arg(&mut c, Tag::U, 8);
    arg(&mut c, Tag::X, 3);
    c.push(op::put_tuple2);
    arg(&mut c, Tag::X, 0);
    c.push(0x17);
    arg(&mut c, Tag::U, 2);
    arg(&mut c, Tag::X, 2);
    arg(&mut c, Tag::X, 3);
    c.push(op::r#return);
    c.push(op::label);
    arg(&mut c, Tag::U, 3);
    c.push(op::r#move);
    arg(&mut c, Tag::A, a("nomatch"));
    arg(&mut c, Tag::X, 0);
    c.push(op::r#return);
    c.push(op::int_code_end);
    form(&[
        (b"AtU8", atoms(&atoms_list)),
        (b"Code", code(u32::from(op::bs_match), 4, 1, &c)),
        (b"ImpT", u32s(&[0])),
        (b"ExpT", u32s(&[1, 2, 1, 2])),
    ])
}

#[test]
fn bs_match_runs() {
    code_server::load_bytes("newer2.beam", &bs_match_module()).unwrap();
    for (input, expected) in [
        (&b"abc"[..], "{98,<<99>>}"),
        (b"xbc", "nomatch"),
        (b"a", "nomatch"),
    ] {
        let mut p = Process::new(2);
        let bin = obj::heap_binary(&mut p.heap, input);
        p.start_call(
            module::export(Atom::intern("newer2"), Atom::intern("g"), 1),
            &[bin],
        )
        .unwrap();
        let Outcome::Returned(v) = girder_runtime::run(&mut p) else {
            panic!("did not return")
        };
        assert_eq!(girder_term::convert::display(v), expected, "{input:?}");
    }
}
