//! Modules in the shape OTP 21-24's compilers emit: binary construction with `bs_init2`,
//! `bs_put_*`, `bs_append`, `bs_add` and `bs_utf8_size` (OTP 25 still loads them; Elixir
//! 1.14 as Debian packages it was compiled so), and funs made by `make_fun2` (OTP 23 and
//! older). `tests/asm/old_bs.S` and `old_fun.S` are assembled with `erlc +from_asm`, and erl and girder (both engines, the JIT compiling every function)
//! must print the same results and errors.

use std::path::Path;
use std::process::Command;

use girder_testkit::{erlang_test_file, program_timeout, run_captured, scratch_dir};

const EXPR: &str = r#"
    P = fun(F) -> try F() of V -> io:format("~w~n", [V])
                  catch C:R:St -> io:format("~w ~w ~w~n", [C, R, hd(St)]) end end,
    P(fun() -> old_bs:build(258, <<"xyz">>) end),
    P(fun() -> old_bs:build(-1, [1, 2]) end),
    P(fun() -> old_bs:build(a, <<>>) end),
    P(fun() -> old_bs:app(<<"ab">>, -1) end),
    P(fun() -> old_bs:app(<<1:3>>, 5) end),
    P(fun() -> old_bs:utf(16#20AC) end),
    P(fun() -> old_bs:utf($a) end),
    P(fun() -> old_bs:utf(16#10FFFF) end),
    P(fun() -> old_bs:utf(-1) end),
    P(fun() -> old_bs:add(3, 4) end),
    P(fun() -> F = old_fun:adder(5), {F(10), erlang:fun_info(F, arity)} end),
    P(fun() -> G = old_fun:pair(a, [b]), {G(), erlang:fun_info(G, env)} end),
    P(fun() -> (old_fun:adder(x))(1) end),
    halt()."#;

#[test]
fn old_binary_construction_matches_erl() {
    let dir = scratch_dir("old-compilers");
    let out = Command::new("erlc")
        .arg("+from_asm")
        .arg("-o")
        .arg(&dir)
        .arg(erlang_test_file("asm/old_bs.S"))
        .arg(erlang_test_file("asm/old_fun.S"))
        .output()
        .expect("erlc (OTP) must be installed: tests compare girder with erl");
    assert!(
        out.status.success(),
        "erlc: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let run = |vm: &Path, flags: &[&str], envs: &[(&str, &str)]| {
        let mut cmd = Command::new(vm);
        cmd.args(flags)
            .arg("-noshell")
            .arg("-pa")
            .arg(&dir)
            .arg("-eval")
            .arg(EXPR);
        for (k, v) in envs {
            cmd.env(k, v);
        }
        run_captured(&mut cmd, program_timeout())
    };
    let erl = run(Path::new("erl"), &[], &[]);
    assert!(erl.stdout.len() > 100, "erl printed too little: {:?}", erl);
    let girder = Path::new(env!("CARGO_BIN_EXE_girder"));
    for (flags, envs) in [
        (&["-emu_flavor", "emu"][..], &[][..]),
        (
            &["-emu_flavor", "jit"][..],
            &[("GIRDER_JIT_THRESHOLD", "0")][..],
        ),
    ] {
        let g = run(girder, flags, envs);
        assert_eq!(
            String::from_utf8_lossy(&g.stdout),
            String::from_utf8_lossy(&erl.stdout),
            "girder {flags:?} differs from erl (stderr: {})",
            String::from_utf8_lossy(&g.stderr)
        );
    }
}
