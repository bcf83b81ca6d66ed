//! The `girder` command as a user runs it: `disasm` on modules compiled by erlc, on .avm
//! packs and on malformed files (a clear error naming file, chunk and offset, a non-zero
//! exit, no panic); `run`, `-s`/`-run`, `-eval` and `bifs`; standard I/O through the group
//! leader (output encodings, the I/O protocol, standard input) against erl. Program
//! behaviour against erl is tested by `erlang_programs.rs`.

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

/// A module file on the code path that does not load leaves its functions undefined, as in
/// erl (which logs "Loading of FILE failed: badfile"; girder says why on standard error):
/// the VM goes on, on both engines.
#[test]
fn a_module_that_does_not_load_is_undefined() {
    let dir = scratch_dir("cli-unloadable");
    std::fs::write(dir.join("broken.beam"), b"FOR1\x00\x00\x00\x08BEAMjunk").unwrap();
    let expr = "io:format(\"~p~n\", [catch broken:f()]), halt(3).";
    let d = dir.to_str().unwrap();
    let erl = Command::new("erl")
        .args(["-noshell", "-pa", d, "-eval", expr])
        .output()
        .expect("run erl");
    let want = stdout(&erl).lines().next().unwrap_or_default().to_owned();
    assert!(
        want.starts_with("{'EXIT',{undef,[{broken,f,[],[]}"),
        "{want}"
    );
    for flavor in ["jit", "emu"] {
        let out = girder(&["-emu_flavor", flavor, "-noshell", "-pa", d, "-eval", expr]);
        assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
        assert_eq!(stdout(&out).lines().next(), Some(want.as_str()));
        assert!(
            stderr(&out).contains("error loading module broken"),
            "{}",
            stderr(&out)
        );
    }
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

/// Run `args` under girder (normally and with `GIRDER_GC_STRESS=1`) and under erl (in
/// `dir`, `stdin` on standard input) and check that they print the same standard output,
/// exit with the same status and report the same `init terminating in do_boot` slogan on
/// standard error. Returns girder's stderr.
fn same_as_erl(dir: &Path, args: &[&str], stdin: &[u8]) -> String {
    let first = same_as_erl_with(dir, args, stdin, false);
    same_as_erl_with(dir, args, stdin, true);
    first
}

fn same_as_erl_with(dir: &Path, args: &[&str], stdin: &[u8], gc_stress: bool) -> String {
    use std::io::Write;
    let run = |vm: &str| {
        let mut child = Command::new(vm)
            .args(args)
            .current_dir(dir)
            .env("ERL_CRASH_DUMP_SECONDS", "0")
            .env("GIRDER_GC_STRESS", if gc_stress { "1" } else { "0" })
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot run {vm}: {e}"));
        let mut input = child.stdin.take().unwrap();
        input.write_all(stdin).unwrap();
        drop(input);
        child.wait_with_output().unwrap()
    };
    let g = run(env!("CARGO_BIN_EXE_girder"));
    let e = run("erl");
    let slogan = |o: &Output| {
        String::from_utf8_lossy(&o.stderr)
            .lines()
            .filter(|l| l.starts_with("init terminating in do_boot"))
            .map(String::from)
            .collect::<Vec<_>>()
    };
    assert_eq!(
        String::from_utf8_lossy(&g.stdout),
        String::from_utf8_lossy(&e.stdout),
        "{args:?} (GC stress: {gc_stress}): standard output differs (left girder, right erl); \
         girder stderr: {}",
        stderr(&g)
    );
    assert_eq!(g.status.code(), e.status.code(), "{args:?}: exit status");
    assert_eq!(slogan(&g), slogan(&e), "{args:?}: do_boot report");
    stderr(&g)
}

#[test]
fn eval_prints_what_erl_prints() {
    let dir = scratch_dir("cli-eval");
    same_as_erl(
        &dir,
        &[
            "-noshell",
            "-eval",
            "io:format(\"~p~n\", [lists:seq(1,30)]), halt().",
        ],
        b"",
    );
    // The machine, exactly (tests/erlang/system_bifs checks only its shape, so that it
    // also runs under qemu against the native erl).
    same_as_erl(
        &dir,
        &[
            "-noshell",
            "-eval",
            "io:format(\"~s~n\", [erlang:system_info(system_architecture)]), halt().",
        ],
        b"",
    );
}

#[test]
fn evals_run_in_command_line_order_with_s_and_run() {
    let dir = compiled_argv("cli-eval-order");
    let d = dir.to_str().unwrap();
    same_as_erl(
        &dir,
        &[
            "-noshell",
            "-pa",
            d,
            "-eval",
            "io:format(\"one~n\")",
            "-s",
            "argv",
            "show",
            "x",
            "-eval",
            "io:format(\"~p~n\", [{two, 2}])",
            "-run",
            "argv",
            "show",
            "y",
            "-eval",
            "X = 3, io:format(\"~w~n\", [X * X]).",
            "-s",
            "init",
            "stop",
        ],
        b"",
    );
}

#[test]
fn eval_errors_are_reported_as_erl_reports_them() {
    let dir = scratch_dir("cli-eval-errors");
    for expr in [
        "io:format(\"x\" ",                      // parse error
        "\"unterminated",                        // scan error
        "erlang:error(boom)",                    // error from a BIF called by erl_eval
        "io:format(\"~d\", [a])",                // the I/O server refuses the format
        "X = 1, X = 2.",                         // badmatch raised by erl_eval
        "throw(t).",                             // nocatch
        "exit(bye).",                            // exit
        "nomod:f().",                            // undef
        "case 1 of 2 -> ok end.",                // case_clause
        "F = fun(A) when A > 1 -> A end, F(0).", // function_clause in an interpreted fun
        "erlang:error({1.5, [[\"ab\"], \"c\"], {a, {b, {c, {d}}}}, <<1>>, #{k => v}}).",
        "io:format(\"before~n\"), halt(3).", // halt with a status
        // the I/O server dies of a bad setopts request (as OTP's does): io reports terminated
        "catch io:setopts([a | b]), io:format(\"after~n\").",
    ] {
        same_as_erl(&dir, &["-noshell", "-eval", expr], b"");
    }
}

#[test]
fn io_through_the_group_leader_matches_erl() {
    let dir = scratch_dir("cli-io");
    // Output: encodings on the latin1 -noshell device, the I/O protocol spoken directly,
    // error replies, standard_error.
    let err = same_as_erl(
        &dir,
        &[
            "-noshell",
            "-eval",
            "P = fun(X) -> io:format(\"~p~n\", [X]) end, \
             io:format(\"~ts|~p|~tp|~s~n\", [[8364], [8364], [8364], \"abc\"]), \
             io:put_chars([8364]), io:put_chars(<<\"\\x{e9}\"/utf8>>), io:nl(), \
             io:format(\"~p ~tp~n\", [<<\"\\x{e9}\"/utf8>>, <<\"\\x{e9}\\x{20ac}\"/utf8>>]), \
             U = whereis(user), \
             Req = fun(R) -> Ref = make_ref(), U ! {io_request, self(), Ref, R}, \
                   receive {io_reply, Ref, Rep} -> Rep end end, \
             P(Req(getopts)), P(Req({foo})), P(Req({get_geometry, columns})), \
             P(Req({requests, [{put_chars, latin1, \"a\"}, {put_chars, unicode, [8364]}, nl]})), \
             P(Req({requests, [{put_chars, latin1, \"a\"}, \
                               {put_chars, unicode, io_lib, format, [\"~p\", [x]]}]})), \
             P(Req({setopts, [{encoding, unicode}]})), \
             io:format(\"~ts ~p ~tp~n\", [[8364], [8364], [8364]]), io:put_chars([8364]), \
             P(Req({setopts, [bogus]})), \
             P(Req({put_chars, unicode, io_lib, format, [\"~d\", [x]]})), \
             P(Req({put_chars, latin1, [256]})), \
             P(io:put_chars(standard_error, \"to stderr\\n\")), \
             P(catch io:put_chars([a])), P(catch io:format(nosuch, \"x\", [])), \
             P(io:columns()), P(io:rows()), halt().",
        ],
        b"",
    );
    assert!(
        err.contains("to stderr\n"),
        "standard_error output: {err:?}"
    );
    // Group leaders: the boot process's is `user`, spawned processes inherit it, and
    // output follows a new group leader.
    same_as_erl(
        &dir,
        &[
            "-noshell",
            "-eval",
            "U = whereis(user), \
             io:format(\"~p~n\", [{group_leader() =:= U, \
                                  process_info(self(), group_leader) =:= {group_leader, U}, \
                                  is_pid(whereis(standard_error))}]), \
             {_, R} = spawn_monitor(fun() -> io:format(\"child ~p~n\", [group_leader() =:= U]) end), \
             receive {'DOWN', R, _, _, _} -> ok end, \
             G = spawn(fun() -> receive {io_request, F, A, Req} -> \
                                  U ! {io_request, self(), x, Req}, \
                                  receive {io_reply, x, Rep} -> F ! {io_reply, A, Rep} end \
                                end end), \
             group_leader(G, self()), io:format(\"through G~n\"), group_leader(U, self()), \
             {'EXIT', {badarg, _}} = (catch group_leader(a, self())), \
             io:format(\"done~n\"), halt().",
        ],
        b"",
    );
}

#[test]
fn input_from_stdin_matches_erl() {
    let dir = scratch_dir("cli-stdin");
    let input = b"hello\nabcdef\n{term, 1}.\nx\xe9y\nlast";
    same_as_erl(
        &dir,
        &[
            "-noshell",
            "-eval",
            "P = fun(X) -> io:format(\"~p~n\", [X]) end, P(io:get_line(\"\")), \
             P(io:get_chars(\"\", 3)), P(io:get_line(\"\")), P(io:read(\"\")), \
             P(io:get_line(\"\")), P(io:get_line(\"\")), P(io:get_line(\"\")), \
             P(io:get_chars(\"\", 2)), halt().",
        ],
        input,
    );
    same_as_erl(
        &dir,
        &[
            "-noshell",
            "-eval",
            "P = fun(X) -> io:format(\"~p~n\", [X]) end, P(io:get_line(\"prompt> \")), \
             P(io:get_line(p2)), P(io:getopts()), P(io:setopts([{encoding, unicode}])), \
             P(io:get_line(\"\")), P(io:get_line(\"\")), P(io:get_line(\"\")), \
             P(io:get_line(\"\")), halt().",
        ],
        input,
    );
}

/// While the I/O server waits for standard input, other processes run, even on one
/// scheduler thread: the test writes the input only after another process has printed
/// (bounded waits; with a scheduler thread blocked in the read, that line never comes).
#[test]
fn waiting_for_stdin_blocks_no_scheduler_thread() {
    use std::io::{BufRead, BufReader, Write};
    for flavor in ["jit", "emu"] {
        let mut child = Command::new(env!("CARGO_BIN_EXE_girder"))
            .args(["+S", "1", "-emu_flavor", flavor, "-noshell", "-eval"])
            .arg(
                "spawn(fun() -> timer:sleep(100), io:format(standard_error, \"other ran~n\", []) end), \
                 io:format(\"~p~n\", [io:get_line(\"\")]), halt().",
            )
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("run girder");
        let mut stdin = child.stdin.take().unwrap();
        let stderr = child.stderr.take().unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut line = String::new();
            let _ = BufReader::new(stderr).read_line(&mut line);
            let _ = tx.send(line);
        });
        let line = rx.recv_timeout(std::time::Duration::from_secs(20));
        // Whatever happened, the input goes in (so girder ends).
        let _ = stdin.write_all(b"typed\n");
        drop(stdin);
        let out = child.wait_with_output().expect("wait for girder");
        assert_eq!(
            line.as_deref().ok(),
            Some("other ran\n"),
            "{flavor}: no other process ran while waiting for input"
        );
        assert_eq!(stdout(&out), "\"typed\\n\"\n", "{flavor}");
    }
}

/// erl's logger header `=ERROR REPORT==== 22-Nov-2026::05:15:42.079971 ===`, checked and
/// replaced by `HEADER`; pids replaced by `PID` (girder numbers its processes differently).
fn normalise_reports(out: &[u8]) -> String {
    let text = String::from_utf8_lossy(out);
    let mut lines = Vec::new();
    for line in text.split('\n') {
        if let Some(rest) = line.strip_prefix("=ERROR REPORT==== ") {
            let stamp = rest.strip_suffix(" ===").expect("header ends with ===");
            let (date, time) = stamp.split_once("::").expect("date::time");
            let date: Vec<&str> = date.split('-').collect();
            assert!(
                date.len() == 3
                    && date[0].parse::<u32>().is_ok_and(|d| (1..=31).contains(&d))
                    && [
                        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct",
                        "Nov", "Dec"
                    ]
                    .contains(&date[1])
                    && date[2].len() == 4,
                "bad date in {line:?}"
            );
            let ok_time = time.len() == 15
                && time.chars().enumerate().all(|(i, c)| match i {
                    2 | 5 => c == ':',
                    8 => c == '.',
                    _ => c.is_ascii_digit(),
                });
            assert!(ok_time, "bad time in {line:?}");
            lines.push("HEADER".to_owned());
            continue;
        }
        lines.push(girder_testkit::mask_pids(line));
    }
    lines.join("\n")
}

#[test]
fn crashed_processes_are_reported_as_erl_reports_them() {
    let dir = scratch_dir("cli-crash-report");
    let expr = "W = fun(F) -> {_, R} = spawn_monitor(F), receive {'DOWN', R, _, _, _} -> ok end end, \
                W(fun() -> throw(t) end), W(fun() -> exit(quiet) end), \
                W(fun() -> error(lists:seq(1, 40)) end), \
                W(fun() -> error({<<\"\\x{e9}\"/utf8>>, [8364], \"\\x{e9}\"}) end), \
                receive after 200 -> ok end, halt().";
    let run = |vm: &str| {
        Command::new(vm)
            .args(["-noshell", "-eval", expr])
            .current_dir(&dir)
            .output()
            .unwrap_or_else(|e| panic!("cannot run {vm}: {e}"))
    };
    let (g, e) = (run(env!("CARGO_BIN_EXE_girder")), run("erl"));
    assert_eq!(g.status.code(), e.status.code());
    // erl's logger writes them to standard output some milliseconds later (or never, when
    // the VM stops first); girder writes the same text to standard error at once.
    assert!(g.stdout.is_empty(), "{}", stdout(&g));
    let (g, e) = (normalise_reports(&g.stderr), normalise_reports(&e.stdout));
    assert_eq!(g.matches("HEADER").count(), 3, "{g}");
    // erl's logger may print reports in another order than the crashes happened.
    let sorted = |s: &str| {
        let mut v: Vec<String> = s.split("HEADER").map(str::to_owned).collect();
        v.sort();
        v
    };
    assert_eq!(sorted(&g), sorted(&e), "left girder, right erl");
}

#[test]
fn failing_bifs_name_their_applications_error_formatter() {
    let dir = scratch_dir("cli-error-info");
    same_as_erl(
        &dir,
        &[
            "-noshell",
            "-eval",
            "F = fun(G) -> try G() catch error:_:S -> [{M, Fn, _, L} | _] = S, \
                                          {M, Fn, proplists:get_value(error_info, L)} end end, \
             io:format(\"~p~n\", [[F(fun() -> lists:reverse(a, []) end), \
                                 F(fun() -> lists:keyfind(a, x, []) end), \
                                 F(fun() -> maps:get(a, b) end), F(fun() -> binary:split(a, b) end), \
                                 F(fun() -> math:sqrt(a) end), F(fun() -> persistent_term:get(zz) end), \
                                 F(fun() -> os:getenv(1) end), \
                                 F(fun() -> unicode:characters_to_list(a) end), \
                                 F(fun() -> erlang:atom_to_list(1) end)]]), halt().",
        ],
        b"",
    );
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

/// `girder` and `erl` with no `-noshell`, standard input a pipe and a shell script on it:
/// the shell (OTP's `user` over the `{fd, 0, 1}` port, as erl falls back on without a
/// terminal) prints prompts and results on standard output and the VM ends at end of
/// input. Byte for byte as erl, under both engines; standard input a regular file too;
/// `halt/1`'s status; `c/1`.
#[test]
fn shell_with_piped_input_matches_erl() {
    use std::io::Write;
    let dir = scratch_dir("cli-shell-pipe");
    let script: &[u8] = b"X = 1+2.\nX*2.\nlists:seq(1,3).\nfoo:bar().\n\
        [A, B] = [1, 2], A + B.\nio:format(\"~p ~s~n\", [{X, \"text\"}, \"str\"]).\n\
        catch throw(oops).\nelement(5, {a}).\nf(X).\nX.\n\"h\xc3\xa9llo\".\n<<1,2>>.\n\
        #{a => 1}.\nfun(Y) -> Y * 3 end(7).\nv(3).\n1 +\n 2.\nlists:map(fun(E) -> E + 1 end, [1, 2]).\n";
    let file = dir.join("script.txt");
    std::fs::write(&file, script).unwrap();
    std::fs::write(
        dir.join("hello.erl"),
        "-module(hello).\n-export([hi/0]).\nhi() -> {hello, world}.\n",
    )
    .unwrap();
    let piped = |vm: &str, args: &[&str], input: &[u8]| {
        let mut child = Command::new(vm)
            .args(args)
            .current_dir(&dir)
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot run {vm}: {e}"));
        child.stdin.take().unwrap().write_all(input).unwrap();
        child.wait_with_output().unwrap()
    };
    let girder_bin = env!("CARGO_BIN_EXE_girder");
    let inputs: [(&[u8], bool); 3] = [
        (script, false),
        (b"1.\nhalt(3).\n2.\n", true),
        // c/1: OTP's compiler on girder, then code:load_abs/1.
        (b"c(hello).\nhello:hi().\n", true),
    ];
    for (input, status_script) in inputs {
        let erl = piped("erl", &[], input);
        for flavor in ["emu", "jit"] {
            let ours = piped(girder_bin, &["-emu_flavor", flavor], input);
            assert_eq!(
                stdout(&ours),
                stdout(&erl),
                "{flavor}: standard output (left girder, right erl); girder stderr: {}",
                stderr(&ours)
            );
            assert_eq!(
                ours.status.code(),
                erl.status.code(),
                "{flavor}: exit status"
            );
            if status_script {
                continue;
            }
            // A regular file on standard input (epoll cannot watch one).
            let from_file = Command::new(girder_bin)
                .args(["-emu_flavor", flavor])
                .current_dir(&dir)
                .stdin(std::fs::File::open(&file).unwrap())
                .output()
                .unwrap();
            assert_eq!(stdout(&from_file), stdout(&erl), "{flavor}: from a file");
        }
    }
}

/// A VM in a terminal: a `tmux` session on a server of its own, typed at with `send-keys`
/// and read with `capture-pane`. Killed when dropped.
struct Terminal {
    socket: String,
}

impl Terminal {
    /// Start `command` (a shell command line) in a 100x60 terminal (`name`: letters,
    /// digits and dashes). After it ends, the
    /// pane shows `[exit N]`, whether the terminal's mode came back as it was, and `[end]`.
    fn start(name: &str, command: &str) -> Terminal {
        let socket = format!("girder-test-{}-{name}", std::process::id());
        let line = format!(
            "stty -g > {socket}.before; {command}; echo \"[exit $?]\"; stty -g > {socket}.after; \
             cmp -s {socket}.before {socket}.after && echo '[mode restored]'; echo '[end]'; sleep 60"
        );
        let t = Terminal { socket };
        let out = t
            .tmux(&[
                "start-server",
                ";",
                "set",
                "-g",
                "history-limit",
                "100000",
                ";",
                "new-session",
                "-d",
                "-x",
                "100",
                "-y",
                "60",
                &line,
            ])
            .expect("tmux (scripts/setup installs it)");
        assert!(out.status.success(), "tmux: {}", stderr(&out));
        t
    }

    /// The server's socket: a file of its own, removed when the terminal is dropped.
    fn socket_path(&self) -> PathBuf {
        std::env::temp_dir().join(&self.socket)
    }

    fn tmux(&self, args: &[&str]) -> std::io::Result<Output> {
        let socket = self.socket_path();
        Command::new("tmux")
            .args(["-S", socket.to_str().unwrap(), "-f", "/dev/null"])
            .args(args)
            .current_dir(std::env::temp_dir())
            .output()
    }

    fn screen(&self) -> String {
        let out = self
            .tmux(&["capture-pane", "-p"])
            .expect("tmux capture-pane");
        stdout(&out)
    }

    /// The screen with the lines scrolled off its top before it.
    fn history(&self) -> String {
        let out = self
            .tmux(&["capture-pane", "-p", "-S", "-"])
            .expect("tmux capture-pane");
        stdout(&out)
    }

    /// Type `keys` (tmux key names); `["resize", "W"]` makes the window `W` columns wide.
    fn keys(&self, keys: &[&str]) {
        if let ["resize", width] = keys {
            let out = self.tmux(&["resize-window", "-x", width]).expect("tmux");
            assert!(out.status.success(), "tmux resize-window: {}", stderr(&out));
            return;
        }
        let mut args = vec!["send-keys"];
        args.extend_from_slice(keys);
        let out = self.tmux(&args).expect("tmux send-keys");
        assert!(out.status.success(), "tmux send-keys: {}", stderr(&out));
    }

    /// Wait (at most 30 s) until `text` shows `n` times on the screen (whose lines
    /// `capture-pane` gives without their trailing spaces).
    fn wait_for(&self, text: &str, n: usize) {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
        loop {
            let screen = self.screen();
            if screen.matches(text).count() >= n {
                return;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "waited for {text:?} ({n} times); the screen:\n{screen}"
            );
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
    }
}

impl Terminal {
    /// As [`Terminal::wait_for`], counting the lines scrolled off the screen too.
    fn wait_for_in_history(&self, text: &str, n: usize) {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
        loop {
            let history = self.history();
            if history.matches(text).count() >= n {
                return;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "waited for {text:?} ({n} times); the terminal:\n{history}"
            );
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
    }

    /// Wait (at most 30 s) until the terminal has shown nothing new for 0.6 s: the end of
    /// output whose last line is not known in advance.
    fn wait_quiet(&self) {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
        let (mut last, mut same) = (self.history(), 0);
        while same < 3 && std::time::Instant::now() < deadline {
            std::thread::sleep(std::time::Duration::from_millis(200));
            let now = self.history();
            same = if now == last { same + 1 } else { 0 };
            last = now;
        }
    }
}

impl Drop for Terminal {
    fn drop(&mut self) {
        let _ = self.tmux(&["kill-server"]);
        let _ = std::fs::remove_file(self.socket_path());
        let tmp = std::env::temp_dir();
        let _ = std::fs::remove_file(tmp.join(format!("{}.before", self.socket)));
        let _ = std::fs::remove_file(tmp.join(format!("{}.after", self.socket)));
    }
}

/// Type `steps` (keys, then what to wait for and how many times it must show) into `erl`
/// and into girder under both engines, each in a terminal of its own; the screens from
/// the `Eshell` line on must be the same.
fn shell_session_matches_erl(name: &str, steps: &[(&[&str], &str, usize)]) {
    shell_session_with_matches_erl(name, "", steps);
}

/// As [`shell_session_matches_erl`], `flags` added to each command line (`$VM`: the VM's
/// name, `erl`, `emu` or `jit`).
fn shell_session_with_matches_erl(name: &str, flags: &str, steps: &[(&[&str], &str, usize)]) {
    let girder_bin = env!("CARGO_BIN_EXE_girder");
    let vms = [
        ("erl", format!("erl {flags}")),
        ("emu", format!("{girder_bin} -emu_flavor emu {flags}")),
        ("jit", format!("{girder_bin} -emu_flavor jit {flags}")),
    ];
    let vms = vms.map(|(vm, command)| (vm, command.replace("$VM", vm)));
    screens_match(name, &vms, "Eshell V", steps);
}

/// Run each of `vms` (name, shell command line; the first is the reference) in a
/// terminal of its own, type `steps` into each, and compare the screens from the first
/// line starting with `first` on.
fn screens_match(
    name: &str,
    vms: &[(&str, String)],
    first: &str,
    steps: &[(&[&str], &str, usize)],
) {
    let screens: Vec<(&str, String)> = std::thread::scope(|s| {
        let runs: Vec<_> = vms
            .iter()
            .map(|(vm, command)| {
                s.spawn(move || {
                    let command = format!("env LANG=C.UTF-8 LC_ALL= {command}");
                    let t = Terminal::start(&format!("{name}-{vm}"), &command);
                    for (keys, wait, n) in steps {
                        t.keys(keys);
                        t.wait_for(wait, *n);
                    }
                    (*vm, t.history())
                })
            })
            .collect();
        runs.into_iter().map(|r| r.join().unwrap()).collect()
    });
    let from_first = |screen: &str| {
        let lines: Vec<&str> = screen.lines().map(str::trim_end).collect();
        let start = lines.iter().position(|l| l.starts_with(first));
        let start = start.unwrap_or_else(|| panic!("no line {first:?}:\n{screen}"));
        let end = lines.iter().rposition(|l| !l.is_empty()).unwrap_or(0);
        lines[start..=end].join("\n")
    };
    let reference = from_first(&screens[0].1);
    for (vm, screen) in &screens[1..] {
        assert_eq!(
            from_first(screen),
            reference,
            "{name}: {vm} on the left, {} on the right",
            screens[0].0
        );
    }
}

/// `iex` (Elixir's launcher, which runs `erl`) with girder as `erl` (`girder shim`), both
/// engines, against `iex` on erl: evaluation, completion of `Enum.ma`, `h Enum.map`
/// (the documentation from the `Docs` chunk, in colour), Ctrl-C and `a`. Needs Elixir
/// (`apt-get install elixir`): without `iex` on the `PATH` the test says so and checks
/// nothing else.
#[test]
fn iex_runs_on_girder_as_on_erl() {
    assert!(
        Command::new("iex").arg("--version").output().is_ok(),
        "no iex on the PATH: scripts/setup installs Elixir"
    );
    let dir = scratch_dir("cli-iex");
    let shim = dir.join("bin");
    let out = girder(&["shim", shim.to_str().unwrap()]);
    assert!(out.status.success(), "girder shim: {}", stderr(&out));
    let path = format!("PATH={}:$PATH", shim.display());
    let vms = [
        ("erl", "iex".to_owned()),
        ("emu", format!("{path} ERL_AFLAGS='-emu_flavor emu' iex")),
        ("jit", format!("{path} iex")),
    ];
    screens_match(
        "iex",
        &vms,
        "Interactive Elixir",
        &[
            (&[], "iex(1)>", 1),
            (&["Enum.map([1, 2], &(&1 * 2))", "Enter"], "iex(2)>", 1),
            (&["Enum.ma", "Tab"], "max_by/2", 1),
            (&["C-u", "h Enum.map", "Enter"], "iex(3)>", 1),
            (&["C-c"], "BREAK: ", 1),
            (&["a", "Enter"], "[mode restored]\n[end]", 1),
        ],
    );
}

/// The interactive shell in a terminal, as erl's: evaluation, tab completion of
/// `lists:se`, history recall with the up arrow, line editing (Ctrl-A, Ctrl-E), UTF-8
/// input, exceptions and a killed shell restarted, the window resized, Ctrl-G's job control (`j`, `s`, `c`),
/// the Ctrl-C BREAK menu and `c`, then Ctrl-G and `q` (the terminal's mode restored).
#[test]
fn shell_on_a_terminal_matches_erl() {
    shell_session_matches_erl(
        "edit",
        &[
            (&[], "1>", 1),
            (&["X = 1+2.", "Enter"], "2>", 1),
            (&["lists:se", "Tab"], "seq/3", 1),
            (&["q", "Tab"], "lists:seq(", 1),
            (&["1,3).", "Enter"], "3>", 1),
            (&["Up"], "3> lists:seq(1,3).", 1),
            (&["Enter"], "4>", 1),
            (&["abc", "C-a", "[1,", "C-e", "].", "Enter"], "5>", 1),
            (&["\"h\u{e9}llo \u{20ac}\".", "Enter"], "6>", 1),
            (&["foo:bar(3).", "Enter"], "7>", 1),
            (&["exit(self(), kill).", "Enter"], "8>", 1),
            (&["X.", "Enter"], "9>", 1),
            // The window narrows (SIGWINCH): io:columns/0, and a long line edited.
            (&["resize", "50"], "9>", 1),
            (&["io:columns().", "Enter"], "10>", 1),
            (
                &[&"a".repeat(60), "C-a", &"b".repeat(30), "C-e", ".", "Enter"],
                "11>",
                1,
            ),
            (&["C-g"], " -->", 1),
            (&["j", "Enter"], " -->", 2),
            (&["s", "Enter"], " -->", 3),
            (&["j", "Enter"], " -->", 4),
            (&["c 1", "Enter"], " --> c 1", 1),
            (&["1+1.", "Enter"], "12>", 1),
            (&["C-c"], "BREAK: ", 1),
            (&["c", "Enter"], "\nc\n", 1),
            (&["2+2.", "Enter"], "13>", 1),
            (&["C-g"], " -->", 5),
            (&["q", "Enter"], "[mode restored]\n[end]", 1),
        ],
    );
}

/// `q().`, and the BREAK menu's `a`: the VM ends, the terminal's mode restored.
#[test]
fn shell_quits_as_erl_does() {
    shell_session_matches_erl(
        "quit",
        &[
            (&[], "1>", 1),
            (&["q().", "Enter"], "[mode restored]\n[end]", 1),
        ],
    );
    shell_session_matches_erl(
        "abort",
        &[
            (&[], "1>", 1),
            (&["C-c"], "BREAK: ", 1),
            (&["a", "Enter"], "[mode restored]\n[end]", 1),
        ],
    );
}

/// `-kernel shell_history enabled`: a line typed in one session comes back with the up
/// arrow in the next (OTP's `group_history` over `disk_log`, each VM its own `HOME`).
#[test]
fn shell_history_is_kept_across_runs() {
    let dir = scratch_dir("cli-shell-history");
    for vm in ["erl", "emu", "jit"] {
        let home = dir.join(vm);
        let _ = std::fs::remove_dir_all(&home);
        std::fs::create_dir_all(&home).unwrap();
    }
    let flags = format!(
        "-kernel shell_history enabled -env HOME {}/$VM",
        dir.display()
    );
    shell_session_with_matches_erl(
        "history1",
        &flags,
        &[
            (&[], "1>", 1),
            (&["lists:reverse([kept, across, runs]).", "Enter"], "2>", 1),
            (&["q().", "Enter"], "[mode restored]\n[end]", 1),
        ],
    );
    shell_session_with_matches_erl(
        "history2",
        &flags,
        &[
            (&[], "1>", 1),
            (&["Up"], "1> q().", 1),
            (&["Up"], "1> lists:reverse(", 1),
            (&["Enter"], "2>", 1),
        ],
    );
}

/// The shell's commands and the rest of its line editing, as erl's: Ctrl-K, Ctrl-W,
/// Ctrl-R (searching the history), `b()`, `f()`, `f(X)`, `h()`, `v(N)`, `rr/1` of a
/// header, `rl()`, a record, Ctrl-G's `h`, `s`, `i` (interrupting a busy shell) and `k`,
/// then `halt().`.
#[test]
fn shell_commands_match_erl() {
    let dir = scratch_dir("cli-shell-commands");
    let hrl = dir.join("point.hrl");
    std::fs::write(&hrl, "-record(point, {x = 0, y = 0}).\n").unwrap();
    let rr = format!("rr(\"{}\").", hrl.display());
    shell_session_matches_erl(
        "commands",
        &[
            (&[], "1>", 1),
            (&["X = 1, Y = [a, b].", "Enter"], "2>", 1),
            (&["b().", "Enter"], "3>", 1),
            (&["junk", "C-a", "C-k", "tuple_size({}).", "Enter"], "4>", 1),
            (
                &["atom_to_list(foo bar", "C-w", "C-w", "baz).", "Enter"],
                "5>",
                1,
            ),
            (&["C-r", "atom"], "(search)`atom': atom_to_list(baz).", 1),
            (&["Enter"], "6>", 1),
            (&["f(X).", "Enter"], "7>", 1),
            (&["b().", "Enter"], "8>", 1),
            (&["f().", "Enter"], "9>", 1),
            (&["b().", "Enter"], "10>", 1),
            (&["v(4).", "Enter"], "11>", 1),
            (&["h().", "Enter"], "12>", 1),
            (&[&rr, "Enter"], "13>", 1),
            (&["rl().", "Enter"], "14>", 1),
            (&["#point{x = 3}.", "Enter"], "15>", 1),
            (&["C-g"], " -->", 1),
            (&["h", "Enter"], " -->", 2),
            (&["s", "Enter"], " -->", 3),
            (&["c 2", "Enter"], "1>", 2),
            (
                &["receive after infinity -> ok end.", "Enter"],
                "ok end.",
                1,
            ),
            (&["C-g"], " -->", 4),
            (&["i 2", "Enter"], " -->", 5),
            (&["c 2", "Enter"], "exit: killed", 1),
            (&["C-g"], " -->", 6),
            (&["k 2", "Enter"], " -->", 7),
            (&["j", "Enter"], " -->", 8),
            (&["c 1", "Enter"], " --> c 1", 1),
            (&["halt().", "Enter"], "[mode restored]\n[end]", 1),
        ],
    );
}

/// A signal that ends the VM leaves the terminal in the mode it found (erl leaves it raw
/// after SIGHUP; here only girder is checked): each signal sent by the shell's own
/// `os:cmd/1`, both engines.
#[test]
fn shell_signals_restore_the_terminal() {
    let girder_bin = env!("CARGO_BIN_EXE_girder");
    std::thread::scope(|s| {
        for sig in ["TERM", "HUP", "QUIT", "ABRT", "USR1", "USR2", "ALRM"] {
            for flavor in ["emu", "jit"] {
                s.spawn(move || {
                    let command = format!("env LANG=C.UTF-8 {girder_bin} -emu_flavor {flavor}");
                    let t = Terminal::start(&format!("sig-{sig}-{flavor}"), &command);
                    t.wait_for("1>", 1);
                    let kill = format!("os:cmd(\"kill -{sig} \" ++ os:getpid()).");
                    t.keys(&[&kill, "Enter"]);
                    t.wait_for("[end]", 1);
                    let screen = t.screen();
                    assert!(
                        screen.contains("[mode restored]"),
                        "SIG{sig}, {flavor}: the terminal's mode changed:\n{screen}"
                    );
                });
            }
        }
    });
}

/// What the terminal shows of a BREAK report: the lines after the menu's key, up to the
/// expression typed after it (`"end_ok"`'s).
fn break_report(history: &str) -> Vec<String> {
    let lines: Vec<&str> = history.lines().map(str::trim_end).collect();
    let menu = lines
        .iter()
        .rposition(|l| l.starts_with("BREAK: "))
        .unwrap_or_else(|| panic!("no BREAK menu:\n{history}"));
    let end = lines[menu..]
        .iter()
        .position(|l| l.starts_with("[$e,$n,$d]"))
        .map_or(lines.len(), |i| menu + i);
    // The menu's two lines and the key typed.
    lines[menu + 3..end].iter().map(|l| l.to_string()).collect()
}

/// A report's blocks: each header line (`=proc:<0.1.0>`, `=memory`...) with its pids,
/// ports, numbers and quoted atoms made placeholders, and the labels of its lines
/// (`Reductions`, `State`...), the stack dump's lines aside.
fn report_blocks(lines: &[String]) -> Vec<(String, Vec<String>)> {
    let kind = |l: &str| {
        let mut k = String::new();
        let mut chars = l.chars().peekable();
        while let Some(c) = chars.next() {
            match c {
                '<' => {
                    while chars.next().is_some_and(|c| c != '>') {}
                    k.push_str("ID");
                }
                '\'' => {
                    while chars.next().is_some_and(|c| c != '\'') {}
                    k.push_str("ATOM");
                }
                '0'..='9' => {
                    while chars.peek().is_some_and(char::is_ascii_digit) {
                        chars.next();
                    }
                    k.push('N');
                }
                c => k.push(c),
            }
        }
        k
    };
    let mut blocks: Vec<(String, Vec<String>)> = Vec::new();
    let mut in_stack = false;
    for l in lines {
        if l.starts_with('=') {
            blocks.push((kind(l), Vec::new()));
            in_stack = false;
            continue;
        }
        if l == "Stack dump:" {
            in_stack = true;
        }
        if l.starts_with("Internal State:") {
            in_stack = false;
        }
        if in_stack && l != "Stack dump:" {
            continue;
        }
        let Some((label, _)) = l.split_once(": ") else {
            continue;
        };
        if let Some(b) = blocks.last_mut() {
            b.1.push(label.to_string());
        }
    }
    blocks
}

/// girder's report has erl's shape: the same kinds of blocks, each block's lines in the
/// order erl prints them, and every line erl prints in each block of a kind, except the
/// labels in `absent` (what girder does not keep).
fn same_report_shape(key: &str, ours: &[String], erl: &[String], absent: &[&str]) {
    let (ours_b, erl_b) = (report_blocks(ours), report_blocks(erl));
    assert!(!ours_b.is_empty(), "{key}: no report:\n{}", ours.join("\n"));
    for (kind, labels) in &ours_b {
        let theirs: Vec<&Vec<String>> = erl_b
            .iter()
            .filter(|(k, _)| k == kind)
            .map(|(_, l)| l)
            .collect();
        assert!(
            !theirs.is_empty(),
            "{key}: erl has no block {kind}:\n{}",
            erl.join("\n")
        );
        // Every label erl prints, and never in the other order in any of erl's blocks.
        let mut order: Vec<&String> = Vec::new();
        for l in theirs.iter().flat_map(|l| l.iter()) {
            if !order.contains(&l) {
                order.push(l);
            }
        }
        for (i, a) in labels.iter().enumerate() {
            assert!(
                order.contains(&a),
                "{key}: {kind}: erl prints no {a:?} ({order:?})"
            );
            for b in &labels[i + 1..] {
                let reversed = theirs.iter().any(|t| {
                    let pa = t.iter().position(|x| x == a);
                    let pb = t.iter().position(|x| x == b);
                    matches!((pa, pb), (Some(pa), Some(pb)) if pb < pa)
                });
                assert!(!reversed, "{key}: {kind}: erl prints {b:?} before {a:?}");
            }
        }
        for l in &order {
            if theirs.iter().all(|t| t.contains(l)) && !absent.contains(&l.as_str()) {
                assert!(labels.contains(l), "{key}: {kind}: no {l:?} in {labels:?}");
            }
        }
    }
}

/// The BREAK menu's reports, as erl prints them (their format; the numbers are each VM's
/// own): `p` (processes, then ports), `o` (ports), `i` (memory and tables), `l` (loaded
/// code), `D` (ETS tables), `d` (distribution: none here), both engines; after each the
/// shell goes on.
#[test]
fn break_reports_match_erl() {
    let girder_bin = env!("CARGO_BIN_EXE_girder");
    let run = |vm: &str, command: String, key: &'static str| {
        let t = Terminal::start(
            &format!("break-{}-{vm}", if key == "D" { "tables" } else { key }),
            &format!("env LANG=C.UTF-8 LC_ALL= {command}"),
        );
        t.wait_for("1>", 1);
        // A port to an external process, for the port reports.
        t.keys(&["open_port({spawn, \"cat\"}, []).", "Enter"]);
        t.wait_for("2>", 1);
        t.keys(&["C-c"]);
        t.wait_for("BREAK: ", 1);
        t.keys(&[key, "Enter"]);
        // The terminal echoes what is typed at once: the report must be out first.
        t.wait_quiet();
        t.keys(&["[$e,$n,$d] ++ \"_ok\".", "Enter"]);
        t.wait_for("\"end_ok\"", 1);
        break_report(&t.history())
    };
    for key in ["p", "o", "i", "l", "D", "d"] {
        let reports: Vec<Vec<String>> = std::thread::scope(|s| {
            let runs: Vec<_> = [
                ("erl", "erl".to_owned()),
                ("emu", format!("{girder_bin} -emu_flavor emu")),
                ("jit", format!("{girder_bin} -emu_flavor jit")),
            ]
            .into_iter()
            .map(|(vm, command)| s.spawn(move || run(vm, command, key)))
            .collect();
            runs.into_iter().map(|r| r.join().unwrap()).collect()
        });
        let erl = &reports[0];
        for ours in &reports[1..] {
            match key {
                "d" => assert_eq!(ours, erl, "d: left girder, right erl"),
                "l" => {
                    let shape = |lines: &[String]| {
                        assert!(lines[0].starts_with("Current code: "), "{lines:?}");
                        assert!(lines[1].starts_with("Old code: "), "{lines:?}");
                        for l in &lines[2..] {
                            let (m, size) = l.split_once(' ').expect("module size");
                            assert!(!m.is_empty() && size.parse::<u64>().is_ok(), "{l:?}");
                        }
                        lines[2..]
                            .iter()
                            .map(|l| l.split(' ').next().unwrap().to_string())
                            .collect::<Vec<_>>()
                    };
                    let (ours_m, erl_m) = (shape(ours), shape(erl));
                    for m in ["lists", "shell", "user_drv", "group", "edlin", "erl_eval"] {
                        assert!(ours_m.iter().any(|x| x == m), "l: no {m}");
                        assert!(erl_m.iter().any(|x| x == m), "l: erl: no {m}");
                    }
                }
                "p" => same_report_shape(
                    key,
                    ours,
                    erl,
                    &[
                        "BinVHeap",
                        "OldBinVHeap",
                        "BinVHeap unused",
                        "OldBinVHeap unused",
                    ],
                ),
                "D" => same_report_shape(
                    key,
                    ours,
                    erl,
                    &[
                        "Buckets",
                        "Chain Length Avg",
                        "Chain Length Max",
                        "Chain Length Min",
                        "Chain Length Std Dev",
                        "Chain Length Expected Std Dev",
                    ],
                ),
                _ => same_report_shape(key, ours, erl, &["size", "limit", "used", "depth"]),
            }
        }
    }
}

/// The BREAK menu's `k`: the processes from the newest, each shown with erts' question;
/// `n` passes on (over the shell's own), `k` kills the one shown (a waiting process
/// registered as `victim`), `r` goes back to the shell, where `victim` is gone. As erl,
/// both engines.
#[test]
fn break_kill_walk_matches_erl() {
    let girder_bin = env!("CARGO_BIN_EXE_girder");
    let question = "(k)ill (n)ext (r)eturn:";
    let run = |vm: &str, command: String| {
        let t = Terminal::start(
            &format!("break-kill-{vm}"),
            &format!("env LANG=C.UTF-8 LC_ALL= {command}"),
        );
        t.wait_for("1>", 1);
        let spawn = "register(victim, spawn(fun() -> receive after infinity -> ok end end)).";
        t.keys(&[spawn, "Enter"]);
        t.wait_for("2>", 1);
        t.keys(&["C-c"]);
        t.wait_for("BREAK: ", 1);
        t.keys(&["k", "Enter"]);
        // `n` up to `victim` (the shell's processes come first), then `k`.
        let mut nexts = 0;
        for asked in 1..=6 {
            t.wait_for_in_history(question, asked);
            let history = t.history();
            let shown = &history[history.rfind("=proc:").unwrap_or(0)..];
            if shown.contains("\nName: victim\n") {
                t.keys(&["k", "Enter"]);
                t.wait_for_in_history(question, asked + 1);
                break;
            }
            nexts += 1;
            t.keys(&["n", "Enter"]);
        }
        t.keys(&["r", "Enter"]);
        t.wait_quiet();
        t.keys(&["{gone, whereis(victim)}.", "Enter"]);
        t.wait_for_in_history("{gone,", 2);
        let history = t.history();
        let lines: Vec<&str> = history.lines().map(str::trim_end).collect();
        let start = lines
            .iter()
            .position(|l| *l == "Process Information")
            .unwrap_or_else(|| panic!("{vm}: no walk:\n{history}"));
        let victim = lines[start..]
            .iter()
            .position(|l| *l == "Name: victim")
            .map_or(start, |i| start + i);
        // The state of `victim` as shown; then what the shell says of it.
        let first: Vec<&str> = lines[victim - 1..=victim]
            .iter()
            .filter(|l| l.starts_with("Name: ") || l.starts_with("State: "))
            .copied()
            .collect();
        let last = lines
            .iter()
            .rposition(|l| l.starts_with("{gone,"))
            .unwrap_or_else(|| panic!("{vm}: no answer:\n{history}"));
        (
            format!("{} after {nexts} n", lines[start..start + 3].join("\n")),
            first.join("\n"),
            lines[last].to_owned(),
        )
    };
    let results: Vec<(String, String, String)> = std::thread::scope(|s| {
        let runs: Vec<_> = [
            ("erl", "erl".to_owned()),
            ("emu", format!("{girder_bin} -emu_flavor emu")),
            ("jit", format!("{girder_bin} -emu_flavor jit")),
        ]
        .into_iter()
        .map(|(vm, command)| s.spawn(move || run(vm, command)))
        .collect();
        runs.into_iter().map(|r| r.join().unwrap()).collect()
    });
    assert_eq!(results[0].1, "State: Waiting\nName: victim", "erl's walk");
    assert_eq!(results[0].2, "{gone,undefined}", "erl killed victim");
    for r in &results[1..] {
        assert_eq!(r, &results[0], "left girder, right erl");
    }
}

/// A child process killed (and waited for) when dropped: an `epmd` or a node.
struct Killed(std::process::Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// `-remsh`: a shell on another node (an erl one, then a girder one, which gets funs of
/// modules it has not loaded: the shell's `expand_fun`), started by erl and by girder
/// under both engines, each a node of its own; evaluation there, completion through the other node,
/// output, Ctrl-G's job list, then `q` (only the local node ends).
/// A private `epmd` on a free port of 127.0.0.1; every node `-start_epmd false`; the shells'
/// nodes hidden, so that they form no cluster among themselves (whose `global` would warn
/// as they leave).
#[test]
fn remote_shell_matches_erl() {
    use std::net::{TcpListener, TcpStream};
    let cookie = "girder_remsh_test";
    let port = TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    let epmd = std::fs::read_dir(girder_testkit::otp_root())
        .expect("OTP's root")
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().starts_with("erts-"))
        .map(|e| e.path().join("bin").join("epmd"))
        .find(|p| p.is_file())
        .expect("OTP's epmd");
    let _epmd = Killed(
        Command::new(epmd)
            .args(["-port", &port.to_string(), "-address", "127.0.0.1"])
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("start epmd"),
    );
    let listening = (0..200).any(|_| {
        std::thread::sleep(std::time::Duration::from_millis(10));
        TcpStream::connect(("127.0.0.1", port)).is_ok()
    });
    assert!(listening, "epmd did not start on port {port}");
    let girder_bin = env!("CARGO_BIN_EXE_girder");
    let dist = format!(
        "-start_epmd false -setcookie {cookie} -kernel inet_dist_use_interface '{{127,0,0,1}}'"
    );
    for (target_vm, target) in [("erl", "erl"), ("girder", girder_bin)] {
        let name = format!("remsh_target_{target_vm}");
        let mut node = Command::new(target);
        node.env("ERL_EPMD_PORT", port.to_string())
            .args(["-noshell", "-sname", &name, "-start_epmd", "false"])
            .args(["-setcookie", cookie])
            .args(["-kernel", "inet_dist_use_interface", "{127,0,0,1}"])
            .args(["-eval", "io:format(\"~s~n\", [node()])"])
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::null());
        let mut node = Killed(node.spawn().expect("start the target node"));
        let mut line = String::new();
        std::io::BufRead::read_line(
            &mut std::io::BufReader::new(node.0.stdout.as_mut().unwrap()),
            &mut line,
        )
        .unwrap();
        let target_node = line.trim().to_owned();
        assert!(target_node.contains('@'), "the target printed {line:?}");
        let vms: Vec<(&str, String)> = [
            ("erl", "erl".to_owned()),
            ("emu", format!("{girder_bin} -emu_flavor emu")),
            ("jit", format!("{girder_bin} -emu_flavor jit")),
        ]
        .into_iter()
        .map(|(vm, command)| {
            (
                vm,
                format!(
                    "ERL_EPMD_PORT={port} {command} {dist} -hidden \
                     -sname remsh_{vm}_{target_vm} -remsh {target_node}"
                ),
            )
        })
        .collect();
        let prompt = format!("({target_node})");
        screens_match(
            &format!("remsh-{target_vm}"),
            &vms,
            "Eshell V",
            &[
                (&[], &format!("{prompt}1>"), 1),
                (&["node().", "Enter"], &format!("{prompt}2>"), 1),
                (&["lists:se", "Tab"], "seq/3", 1),
                (
                    &["C-u", "io:format(\"hi~n\").", "Enter"],
                    &format!("{prompt}3>"),
                    1,
                ),
                (&["C-g"], " -->", 1),
                (&["j", "Enter"], " -->", 2),
                (&["q", "Enter"], "[end]", 1),
            ],
        );
        // The target is still up (a remote shell's `q` ends only its own node).
        assert!(
            node.0.try_wait().unwrap().is_none(),
            "the {target_vm} target node ended"
        );
    }
}
