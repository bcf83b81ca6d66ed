//! The `girder` command as a user runs it: `disasm` on modules compiled by erlc, on .avm
//! packs and on malformed files (a clear error naming file, chunk and offset, a non-zero
//! exit, no panic); `run`, `-s`/`-run` and `bifs`. Program behaviour against erl is tested
//! by `erlang_programs.rs`.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use girder_format::avm;
use girder_testkit::{erlang_test_file, erlc, scratch_dir};

fn girder(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_girder"))
        .args(args)
        .output()
        .expect("run girder")
}

fn compiled_sample(name: &str) -> PathBuf {
    let dir = scratch_dir(name);
    erlc(&[&erlang_test_file("disasm/sample.erl")], &dir);
    dir.join("sample.beam")
}

fn stdout(out: &Output) -> String {
    String::from_utf8(out.stdout.clone()).unwrap()
}

fn stderr(out: &Output) -> String {
    String::from_utf8(out.stderr.clone()).unwrap()
}

#[test]
fn disassembles_a_module() {
    let beam = compiled_sample("cli-module");
    let out = girder(&["disasm", beam.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[0], "module sample");
    for f in [
        "fib/1",
        "shapes/1",
        "literals/0",
        "catcher/1",
        "waiter/1",
        "bits/1",
        "closure/1",
        "big/1",
    ] {
        assert!(
            lines.contains(&format!("function {f}").as_str()),
            "no function {f}"
        );
    }
    // Every instruction line starts with a known generic opcode name.
    for l in lines.iter().filter_map(|l| l.strip_prefix("    ")) {
        let name = l.split(' ').next().unwrap();
        assert!(
            girder_format::opcodes::by_name(name).is_some(),
            "unknown opcode in {l:?}"
        );
    }
    // Operands come out resolved and readable.
    let has = |needle: &str| assert!(text.contains(needle), "listing lacks {needle:?}:\n{text}");
    has("    func_info sample fib 1");
    has("lists:reverse/1");
    has("'Quoted atom'");
    has("'hello world'");
    has("123456789012345678901234567890");
    has("line \"");
    has("x0::");
}

#[test]
fn lists_chunks() {
    let beam = compiled_sample("cli-chunks");
    let out = girder(&["disasm", "--chunks", beam.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    for id in [
        "AtU8", "Code", "StrT", "ImpT", "ExpT", "FunT", "LitT", "Line", "Type", "Attr", "CInf",
    ] {
        assert!(
            text.lines().any(|l| l.starts_with(id)),
            "no {id} chunk listed:\n{text}"
        );
    }
}

#[test]
fn disassembles_every_module_of_an_avm_pack() {
    let beam = compiled_sample("cli-avm");
    let bytes = std::fs::read(&beam).unwrap();
    let pack = avm::write(&[
        ("sample.beam", avm::BEAM_CODE | avm::BEAM_START, &bytes),
        ("other.beam", avm::BEAM_CODE, &bytes),
    ]);
    let path = beam.with_file_name("pack.avm");
    std::fs::write(&path, pack).unwrap();
    let out = girder(&["disasm", path.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(
        text.contains("(sample.beam)") && text.contains("(other.beam)"),
        "{text}"
    );
    assert_eq!(text.matches("function fib/1").count(), 2);
}

fn assert_clean_error(path: &Path, expect: &[&str]) {
    let out = girder(&["disasm", path.to_str().unwrap()]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "stderr: {err}");
    assert!(!err.contains("panicked"), "{err}");
    assert!(
        err.contains(path.to_str().unwrap()),
        "error does not name the file: {err}"
    );
    for e in expect {
        assert!(err.contains(e), "error lacks {e:?}: {err}");
    }
}

#[test]
fn malformed_files_give_clear_errors() {
    let beam = compiled_sample("cli-bad");
    let good = std::fs::read(&beam).unwrap();
    let dir = beam.parent().unwrap();

    // Cut inside the Code chunk.
    let code_at = good.windows(4).position(|w| w == b"Code").unwrap();
    let truncated = dir.join("truncated.beam");
    std::fs::write(&truncated, &good[..code_at + 40]).unwrap();
    assert_clean_error(&truncated, &["byte"]);

    // A chunk size far beyond the file.
    let mut huge = good.clone();
    huge[code_at + 4..code_at + 8].copy_from_slice(&u32::MAX.to_be_bytes());
    let huge_path = dir.join("huge.beam");
    std::fs::write(&huge_path, &huge).unwrap();
    assert_clean_error(&huge_path, &["chunk Code", "byte"]);

    // An unknown opcode at the start of the code.
    let mut bad_op = good.clone();
    let head_size =
        u32::from_be_bytes(bad_op[code_at + 8..code_at + 12].try_into().unwrap()) as usize;
    bad_op[code_at + 12 + head_size] = 250;
    let bad_op_path = dir.join("bad_op.beam");
    std::fs::write(&bad_op_path, &bad_op).unwrap();
    assert_clean_error(&bad_op_path, &["chunk Code", "unknown opcode 250"]);

    // Not a BEAM file at all.
    let text = dir.join("text.beam");
    std::fs::write(&text, b"hello, world\n").unwrap();
    assert_clean_error(&text, &["not a BEAM file"]);

    // Missing file.
    let missing = dir.join("missing.beam");
    assert_clean_error(&missing, &["cannot read"]);
}

#[test]
fn bifs_missing_lists_only_what_girder_lacks() {
    let out = girder(&["bifs", "--missing"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let missing = stdout(&out);
    let implemented = stdout(&girder(&["bifs"]));
    assert!(implemented.lines().any(|l| l == "erlang:element/2"));
    for line in implemented.lines().filter(|l| l.starts_with("erlang:")) {
        assert!(
            !missing.lines().any(|m| m == line),
            "{line} is implemented but listed missing"
        );
    }
    // OTP implements these in C and girder does not yet (update when they arrive).
    assert!(missing.lines().count() > 10, "{missing}");
    assert!(stderr(&out).contains("missing from girder"));
}

/// A module for the run tests: `argv:show/1` prints its argument list, `argv:start/0`
/// returns a value.
fn compiled_argv(name: &str) -> PathBuf {
    let dir = scratch_dir(name);
    let src = dir.join("argv.erl");
    std::fs::write(
        &src,
        "-module(argv).\n-export([show/1, start/0, twice/1]).\n\
         show(Args) -> io:format(\"~p~n\", [Args]).\n\
         start() -> {started, lists:seq(1, 3)}.\n\
         twice([S]) -> 2 * list_to_integer(S).\n",
    )
    .unwrap();
    erlc(&[&src], &dir);
    dir
}

#[test]
fn run_flags_pass_atoms_and_strings_as_erl_does() {
    let dir = compiled_argv("cli-run-flags");
    let d = dir.to_str().unwrap();
    let with = |args: &[&str]| {
        let mut all = vec!["-noshell", "-pa", d];
        all.extend_from_slice(args);
        all.extend_from_slice(&["-s", "init", "stop"]);
        let g = girder(&all);
        let e = Command::new("erl").args(&all).output().expect("erl");
        assert_eq!(
            stdout(&g),
            String::from_utf8_lossy(&e.stdout),
            "{args:?}: {}",
            stderr(&g)
        );
        assert_eq!(g.status.code(), e.status.code());
    };
    with(&["-s", "argv", "show", "a", "b"]);
    with(&["-run", "argv", "show", "a", "b"]);
    with(&["-s", "argv", "show", "x", "-run", "argv", "show", "y"]);
}

#[test]
fn girder_run_prints_the_result() {
    let dir = compiled_argv("cli-run");
    let d = dir.to_str().unwrap();
    let out = girder(&["run", "--pa", d, "argv:start"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(stdout(&out), "{started,[1,2,3]}\n");
    let out = girder(&["run", "--pa", d, "argv:twice", "21"]);
    assert_eq!(stdout(&out), "42\n", "{}", stderr(&out));
    let out = girder(&["run", "--pa", d, "argv:nope"]);
    assert_eq!(out.status.code(), Some(1));
}

#[test]
fn modules_load_from_an_avm_pack_on_the_code_path() {
    let dir = compiled_argv("cli-avm-run");
    let bytes = std::fs::read(dir.join("argv.beam")).unwrap();
    let pack_dir = scratch_dir("cli-avm-pack");
    let pack = pack_dir.join("app.avm");
    std::fs::write(&pack, avm::write(&[("argv.beam", avm::BEAM_CODE, &bytes)])).unwrap();
    let out = girder(&["run", "--pa", pack.to_str().unwrap(), "argv:start"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(stdout(&out), "{started,[1,2,3]}\n");
}

/// `erlang:display/1` (standard output), `display_string/1` and `display_nl/0` (standard
/// error) write what erl writes, line ends as `\r\n` included.
#[test]
fn display_output_matches_erl() {
    let dir = scratch_dir("cli-display");
    let src = dir.join("disp.erl");
    std::fs::write(
        &src,
        "-module(disp).\n-export([main/0]).\n\
         main() ->\n\
             true = erlang:display({a, [1, 2], -3}),\n\
             true = erlang:display_string(\"one\\ntwo \\x{100}\"),\n\
             true = erlang:display_nl(),\n\
             true = erlang:display_string([]),\n\
             true = erlang:display(done).\n",
    )
    .unwrap();
    erlc(&[&src], &dir);
    let args = [
        "-noshell", "-pa", ".", "-s", "disp", "main", "-s", "init", "stop",
    ];
    let run = |vm: &Path| {
        Command::new(vm)
            .args(args)
            .current_dir(&dir)
            .output()
            .expect("run vm")
    };
    let erl = run(Path::new("erl"));
    let ours = run(Path::new(env!("CARGO_BIN_EXE_girder")));
    assert!(erl.status.success() && ours.status.success());
    assert_eq!(stdout(&ours), stdout(&erl));
    assert_eq!(stderr(&ours), stderr(&erl));
    assert_eq!(stderr(&erl), "one\r\ntwo \u{100}\r\n");
}
