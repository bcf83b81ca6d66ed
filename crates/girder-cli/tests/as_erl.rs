//! girder as `erl` (issue 16): `girder shim DIR` writes the link `DIR/erl`; with `DIR`
//! first on the `PATH`, OTP's own `escript` runs girder. Each run is compared with the same
//! command under erl, output and exit status: erl's command line (`ERL_AFLAGS`,
//! `ERL_FLAGS`, `ERL_ZFLAGS`, `ERL_LIBS`, `-extra`, `-env`, `-config`, `-App Key Value`,
//! `-boot_var`, `-hidden`, `-noinput`, `+` emulator flags), OTP's `init` API, `sasl`,
//! `init:make_permanent/2` and `init:restart/0` (`tests/toolchain/init_api.erl`), and
//! escripts in source, compiled and archive form, with and without a shebang line, and
//! `.ez` archives on the code path. That girder (not
//! erl) ran is checked through `GIRDER_OPCODE_COVERAGE`, which only girder writes. Every
//! girder run is made twice, on the JIT and on the interpreter (`-emu_flavor emu` put in
//! front of `ERL_AFLAGS`, as a user would: the installed erl has one flavor only and
//! refuses the flag, so erl runs once). OTP's `erlc` on girder writes erl's bytes, and
//! Elixir's launchers (Debian's `elixir`: `elixir -e`, `elixir script.exs`, `elixirc`) run
//! the scripts of `tests/elixir/` as they run on erl.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use girder_testkit::{erlang_test_file, erlc, scratch_dir};

/// `girder shim DIR/shim`, and a `PATH` with that directory first.
fn shim(dir: &Path) -> std::ffi::OsString {
    let shim = dir.join("shim");
    let out = Command::new(env!("CARGO_BIN_EXE_girder"))
        .arg("shim")
        .arg(&shim)
        .output()
        .expect("run girder shim");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let link = std::fs::read_link(shim.join("erl")).expect("girder shim writes DIR/erl");
    assert!(link.is_absolute(), "{link:?}");
    let mut paths = vec![shim];
    paths.extend(std::env::split_paths(
        &std::env::var_os("PATH").unwrap_or_default(),
    ));
    std::env::join_paths(paths).unwrap()
}

/// The engines every girder run is made on.
const FLAVORS: [&str; 2] = ["jit", "emu"];

/// Run `cmd` with erl, then with the shim first on the `PATH` on each engine, and check
/// that each girder run gives erl's output; girder must have run (it writes the coverage
/// file). Returns the last girder output.
fn same_on_both_engines(
    what: &str,
    dir: &Path,
    path_with_shim: &std::ffi::OsString,
    cmd: impl Fn() -> Command,
) -> Output {
    let erl = cmd().output().expect("run with erl");
    let coverage = dir.join("coverage.txt");
    let mut girder = None;
    for flavor in FLAVORS {
        let _ = std::fs::remove_file(&coverage);
        let mut girder_cmd = cmd();
        let aflags = girder_cmd
            .get_envs()
            .find(|(k, _)| *k == "ERL_AFLAGS")
            .and_then(|(_, v)| v.map(|v| v.to_string_lossy().into_owned()));
        let aflags = match aflags {
            Some(a) => format!("-emu_flavor {flavor} {a}"),
            None => format!("-emu_flavor {flavor}"),
        };
        let out = girder_cmd
            .env("PATH", path_with_shim)
            .env("ERL_AFLAGS", aflags)
            .env("GIRDER_OPCODE_COVERAGE", &coverage)
            .output()
            .expect("run with girder");
        assert!(
            std::fs::metadata(&coverage).is_ok_and(|m| m.len() > 0),
            "the shim did not run girder"
        );
        same(&format!("{what} ({flavor})"), &erl, &out);
        girder = Some(out);
    }
    girder.unwrap()
}

fn same(what: &str, erl: &Output, girder: &Output) {
    let text = |o: &Output| {
        format!(
            "status {:?}\n--- stdout\n{}--- stderr\n{}",
            o.status.code(),
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        )
    };
    assert_eq!(
        text(girder),
        text(erl),
        "{what}: girder (left) differs from erl (right)"
    );
}

#[test]
fn girder_answers_as_erl() {
    let dir = scratch_dir("as-erl");
    let path = shim(&dir);
    erlc(&[&erlang_test_file("toolchain/init_api.erl")], &dir);
    for lib in ["libs/foo-1.0/ebin", "libs/bar/ebin", "z"] {
        std::fs::create_dir_all(dir.join(lib)).unwrap();
    }
    let config = erlang_test_file("toolchain/sys");
    let girder = same_on_both_engines("init_api", &dir, &path, || {
        let mut cmd = Command::new("erl");
        cmd.current_dir(&dir)
            .env("ERL_AFLAGS", "-a 1 -extra ax")
            .env("ERL_FLAGS", "-f 1")
            .env("ERL_ZFLAGS", "-z 1 -extra zx")
            .env("ERL_LIBS", dir.join("libs"))
            .env_remove("INIT_API_ROUND")
            .args("+S1 +sbtu +A0 +K true +P 100000 +Q 4000 +hms 233 +MMscs 10 +stbt db".split(' '))
            .args("+sub false +sbwt none +pc unicode -noinput -c 1 2".split(' '))
            .args(["-env", "INIT_API_ENV", "val", "-config"])
            .arg(&config)
            .args(["-myapp", "key", "\"v\"", "-kernel", "from_flag", "42"])
            .args([
                "-boot_var",
                "MYVAR",
                "/tmp",
                "-hidden",
                "-pa",
                ".",
                "-pz",
                "z",
            ])
            .args(["-s", "init_api", "main", "-extra", "x", "y"]);
        cmd
    });
    assert_eq!(
        girder.status.code(),
        Some(3),
        "init:stop(3) after the restart"
    );

    // A slogan, as erl prints it without a crash dump.
    same_on_both_engines("halt/1 with a slogan", &dir, &path, || {
        let mut cmd = Command::new("erl");
        cmd.current_dir(&dir)
            .env("ERL_CRASH_DUMP_SECONDS", "0")
            .args(["-noshell", "-eval", "halt(\"the slogan\")"]);
        cmd
    });

    // erl detaches; girder says it does not.
    let out = Command::new(env!("CARGO_BIN_EXE_girder"))
        .args(["-detached", "-noshell"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("-detached is not supported"));
}

#[test]
fn otp_escript_runs_girder() {
    let dir = scratch_dir("as-erl-escript");
    let path = shim(&dir);
    erlc(&[&erlang_test_file("toolchain/hello.erl")], &dir);
    // The compiled forms, made by OTP's escript:create/2 under erl.
    let make = "{ok, B} = file:read_file(\"hello.beam\"), \
                ok = escript:create(\"beam_shebang\", [shebang, {beam, B}]), \
                ok = escript:create(\"beam_plain\", [{beam, B}]), halt().";
    let out = Command::new("erl")
        .current_dir(&dir)
        .args(["-noshell", "-eval", make])
        .output()
        .expect("run erl");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let scripts: Vec<(PathBuf, Vec<&str>)> = vec![
        (
            erlang_test_file("toolchain/hello_src.escript"),
            vec!["1", "2"],
        ),
        (
            erlang_test_file("toolchain/hello_noshebang.escript"),
            vec!["a"],
        ),
        (dir.join("beam_shebang"), vec!["x", "y"]),
        (dir.join("beam_plain"), vec![]),
    ];
    for (script, args) in &scripts {
        same_on_both_engines(&script.display().to_string(), &dir, &path, || {
            let mut cmd = Command::new("escript");
            cmd.current_dir(&dir).arg(script).args(args);
            cmd
        });
    }
}

/// Escripts whose body is a zip archive (`escript:create/2` with `{archive, Files, Opts}`,
/// made under erl): modules load from the archive (the primary archive of
/// `code:set_primary_archive/4`), at its top or in `App/ebin`, deflated or stored, the
/// main module named by the script or by `-escript main`, with and without a shebang
/// line; `tests/toolchain/archived.erl` reads the archive through `erl_prim_loader`. A
/// script whose module the archive lacks fails as on erl, and `escript -s` checks one. An
/// `.ez` archive's `App/ebin` on the code path (`-pa`) loads as on erl.
#[test]
fn otp_escript_runs_archives() {
    let dir = scratch_dir("as-erl-escript-archive");
    let path = shim(&dir);
    erlc(
        &[
            &erlang_test_file("toolchain/archived.erl"),
            &erlang_test_file("toolchain/archived_helper.erl"),
        ],
        &dir,
    );
    std::fs::create_dir_all(dir.join("plain")).unwrap();
    let make = r#"{ok, M} = file:read_file("archived.beam"),
        {ok, H} = file:read_file("archived_helper.beam"),
        Top = [{"archived.beam", M}, {"archived_helper.beam", H},
               {"data/greeting.txt", <<"hello from the archive
">>}],
        App = [{"archived/ebin/archived.beam", M},
               {"archived/ebin/archived_helper.beam", H},
               {"data/greeting.txt", <<"hello
">>}],
        ok = escript:create("archived", [shebang, {archive, Top, []}]),
        ok = escript:create("arch_main", [shebang, comment,
                                          {emu_args, "-escript main archived"},
                                          {archive, App, []}]),
        ok = escript:create("plain/archived.escript",
                            [{archive, Top, [{compress, []}]}]),
        ok = escript:create("arch_misnamed", [shebang, {archive, Top, []}]),
        {ok, _} = zip:create("app.ez", App),
        halt()."#;
    let out = Command::new("erl")
        .current_dir(&dir)
        .args(["-noshell", "-eval", make])
        .output()
        .expect("run erl");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let runs: Vec<(&str, Vec<&str>, i32)> = vec![
        ("archived", vec!["a", "b"], 0),
        ("arch_main", vec!["x"], 0),
        ("plain/archived.escript", vec![], 0),
        ("arch_misnamed", vec![], 127),
    ];
    for (script, args, status) in &runs {
        let out = same_on_both_engines(script, &dir, &path, || {
            let mut cmd = Command::new("escript");
            cmd.current_dir(&dir).arg(script).args(args);
            cmd
        });
        assert_eq!(out.status.code(), Some(*status), "{script}");
        if *status == 0 {
            assert!(String::from_utf8_lossy(&out.stdout).contains("helper 42 from"));
        }
    }
    same_on_both_engines("escript -s", &dir, &path, || {
        let mut cmd = Command::new("escript");
        cmd.current_dir(&dir).args(["-s", "arch_main"]);
        cmd
    });
    // With erl 25's order of -pa and -pz directories (each -pa one before those given
    // earlier; missing ones left out, repeated ones kept once).
    for d in ["pa1", "pa2", "pz1", "pz2"] {
        std::fs::create_dir_all(dir.join(d)).unwrap();
    }
    let ez = same_on_both_engines(".ez on the code path", &dir, &path, || {
        let mut cmd = Command::new("erl");
        cmd.current_dir(&dir)
            .args("-noshell -pa pa1 pa2 -pa app.ez/archived/ebin missing pa1".split(' '))
            .args("-pz pz1 pz2 -pz missing2 pz1 -eval".split(' '))
            .arg(
                "io:format(\"~p ~p~n~p~n~p~n\", [archived_helper:double(4), \
                 code:which(archived_helper), erl_prim_loader:list_dir(\"app.ez/archived\"), \
                 [D || D <- code:get_path(), filename:pathtype(D) =:= relative]]), \
                 halt().",
            );
        cmd
    });
    assert!(String::from_utf8_lossy(&ez.stdout).starts_with("8 "));
}

/// `ERLC_EMULATOR=girder erlc +deterministic` writes erl's bytes: OTP's compiler run on
/// girder is the largest Erlang program in the tests, and any runtime or BIF difference it
/// meets shows up in the `.beam` (a zlib that compresses the literal table differently
/// changes `LitT`, the module's MD5 and so the funs' `FunT` uniq). One `erlc` run per
/// engine compiles the whole set (one VM boot each).
#[test]
fn erlc_on_girder_writes_erls_bytes() {
    let dir = scratch_dir("as-erl-erlc");
    let root = girder_testkit::workspace_root();
    let sources: Vec<PathBuf> = [
        "tests/erlang/maps_ops.erl",
        "bench/format.erl",
        "tests/erlang/records.erl",
        "tests/erlang/bit_syntax.erl",
        "tests/erlang/exceptions.erl",
        "tests/erlang/binaries.erl",
        "tests/erlang/control.erl",
        "bench/nbody.erl",
    ]
    .iter()
    .map(|s| root.join(s))
    .collect();
    let compile = |out: &Path, girder: Option<&str>| {
        std::fs::create_dir_all(out).unwrap();
        let mut cmd = Command::new("erlc");
        cmd.arg("+deterministic").arg("-o").arg(out).args(&sources);
        let coverage = dir.join("coverage.txt");
        if let Some(flavor) = girder {
            let _ = std::fs::remove_file(&coverage);
            cmd.env("ERLC_EMULATOR", env!("CARGO_BIN_EXE_girder"))
                .env("ERL_AFLAGS", format!("-emu_flavor {flavor}"))
                .env("GIRDER_OPCODE_COVERAGE", &coverage);
        }
        let done = cmd.output().expect("run erlc");
        assert!(
            done.status.success(),
            "erlc ({girder:?}): {}{}",
            String::from_utf8_lossy(&done.stdout),
            String::from_utf8_lossy(&done.stderr)
        );
        if girder.is_some() {
            assert!(
                std::fs::metadata(&coverage).is_ok_and(|m| m.len() > 0),
                "ERLC_EMULATOR did not run girder"
            );
        }
    };
    compile(&dir.join("erl"), None);
    for flavor in FLAVORS {
        let out = dir.join(flavor);
        compile(&out, Some(flavor));
        for src in &sources {
            let beam = format!("{}.beam", src.file_stem().unwrap().to_string_lossy());
            let want = std::fs::read(dir.join("erl").join(&beam)).unwrap();
            let got = std::fs::read(out.join(&beam)).unwrap();
            let first_difference = want.iter().zip(&got).position(|(a, b)| a != b);
            assert!(
                want == got,
                "{beam} compiled on girder ({flavor}) differs from erl's: sizes {} and {}, \
                 first different byte {first_difference:?}",
                got.len(),
                want.len()
            );
        }
    }
}

/// The files of `tests/elixir/DIR` ending in `ext`, sorted.
fn elixir_files(dir: &str, ext: &str) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(erlang_test_file(dir))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == ext))
        .collect();
    files.sort();
    files
}

/// Debian's `elixir` (its launchers run `erl` from the `PATH`): `elixirc` on girder writes
/// the bytes it writes on erl (`Kernel.ParallelCompiler`, one file waiting through its
/// `error_handler` for the struct another defines), and each script of `tests/elixir/`
/// prints, on standard output and error, what it prints on erl, with the same status.
#[test]
fn elixir_launchers_run_girder() {
    let dir = scratch_dir("as-erl-elixir");
    let path = shim(&dir);
    let sources = elixir_files("elixir/lib", "ex");
    let elixirc = |out: &Path, girder: Option<&str>| {
        std::fs::create_dir_all(out).unwrap();
        let mut cmd = Command::new("elixirc");
        cmd.arg("-o").arg(out).args(&sources);
        let coverage = dir.join("coverage.txt");
        if let Some(flavor) = girder {
            let _ = std::fs::remove_file(&coverage);
            cmd.env("PATH", &path)
                .env("ERL_AFLAGS", format!("-emu_flavor {flavor}"))
                .env("GIRDER_OPCODE_COVERAGE", &coverage);
        }
        let done = cmd
            .output()
            .expect("elixirc must be installed (scripts/setup installs Debian's elixir)");
        assert!(
            done.status.success(),
            "elixirc ({girder:?}): {}{}",
            String::from_utf8_lossy(&done.stdout),
            String::from_utf8_lossy(&done.stderr)
        );
        if girder.is_some() {
            assert!(
                std::fs::metadata(&coverage).is_ok_and(|m| m.len() > 0),
                "the shim did not run girder"
            );
        }
    };
    let compiled = dir.join("erl-ebin");
    elixirc(&compiled, None);
    let mut beams: Vec<_> = std::fs::read_dir(&compiled)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    beams.sort();
    assert_eq!(beams.len(), 3, "{beams:?}");
    for flavor in FLAVORS {
        let out = dir.join(format!("{flavor}-ebin"));
        elixirc(&out, Some(flavor));
        for beam in &beams {
            let want = std::fs::read(compiled.join(beam)).unwrap();
            let got = std::fs::read(out.join(beam)).unwrap_or_default();
            assert!(
                want == got,
                "{beam:?}: elixirc on girder ({flavor}) differs from erl's"
            );
        }
    }

    same_on_both_engines("elixir -e", &dir, &path, || {
        let mut cmd = Command::new("elixir");
        cmd.args(["-e", "IO.puts(Enum.sum(1..10)); System.halt(3)"]);
        cmd
    });
    let scripts = elixir_files("elixir", "exs");
    assert!(scripts.len() >= 5, "{scripts:?}");
    for script in &scripts {
        same_on_both_engines(&script.display().to_string(), &dir, &path, || {
            let mut cmd = Command::new("elixir");
            cmd.current_dir(erlang_test_file("elixir"))
                .arg("-pa")
                .arg(&compiled)
                .arg(script.file_name().unwrap())
                .args(["a", "b"]);
            cmd
        });
    }
}

/// Copy the directory `from` into `to` (files and subdirectories).
fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

/// `mix compile`, `mix run -e` and `mix test` (ExUnit, a doctest, an application with a
/// supervisor, an Agent, a Registry and a Task.Supervisor) of `tests/elixir/mix_project`
/// on girder print what they print on erl, ExUnit's timing line aside. Each VM works on its
/// own copy of the project (mix writes `_build` into it).
#[test]
fn mix_project_on_girder() {
    let dir = scratch_dir("as-erl-mix");
    let path = shim(&dir);
    let steps: [&[&str]; 3] = [
        &["compile"],
        &["run", "-e", "IO.inspect(Shelf.add(\"x\"))"],
        &["test", "--seed", "0"],
    ];
    // The elapsed time ExUnit prints is the one line that may differ.
    let untimed = |o: &Output| {
        let text = String::from_utf8_lossy(&o.stdout)
            .lines()
            .map(|l| {
                if l.starts_with("Finished in ") {
                    "Finished in (time)"
                } else {
                    l
                }
            })
            .collect::<Vec<_>>()
            .join("\n");
        format!(
            "status {:?}\n--- stdout\n{text}\n--- stderr\n{}",
            o.status.code(),
            String::from_utf8_lossy(&o.stderr)
        )
    };
    let run = |project: &Path, args: &[&str], girder: Option<&str>| {
        let mut cmd = Command::new("mix");
        cmd.current_dir(project).args(args).env_remove("MIX_ENV");
        let coverage = dir.join("coverage.txt");
        if let Some(flavor) = girder {
            let _ = std::fs::remove_file(&coverage);
            cmd.env("PATH", &path)
                .env("ERL_AFLAGS", format!("-emu_flavor {flavor}"))
                .env("GIRDER_OPCODE_COVERAGE", &coverage);
        }
        let out = cmd
            .output()
            .expect("mix must be installed (scripts/setup installs Debian's elixir)");
        if girder.is_some() {
            assert!(
                std::fs::metadata(&coverage).is_ok_and(|m| m.len() > 0),
                "the shim did not run girder"
            );
        }
        out
    };
    let source = erlang_test_file("elixir/mix_project");
    let erl_project = dir.join("erl");
    copy_dir(&source, &erl_project);
    let erl: Vec<Output> = steps
        .iter()
        .map(|args| run(&erl_project, args, None))
        .collect();
    let summary = String::from_utf8_lossy(&erl[2].stdout).into_owned();
    assert!(
        erl[2].status.success() && summary.contains("5 tests, 0 failures, 1 skipped"),
        "mix test under erl: {summary}"
    );
    for flavor in FLAVORS {
        let project = dir.join(flavor);
        copy_dir(&source, &project);
        for (args, want) in steps.iter().zip(&erl) {
            let got = run(&project, args, Some(flavor));
            assert_eq!(
                untimed(&got),
                untimed(want),
                "mix {args:?} on girder ({flavor}, left) differs from erl (right)"
            );
        }
    }
}
