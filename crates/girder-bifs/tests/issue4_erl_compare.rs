//! girder's float, external-format and hashing BIFs compared with OTP's, call by call.
//!
//! `erl` applies each BIF to a list of argument lists and prints, for each call, the
//! arguments and the result as external-format hex (`ARGS ok RESULT`, or `ARGS error:R`).
//! This test decodes the arguments, calls girder's BIF through the export table on a
//! process heap, and encodes girder's result the same way: the lines must be equal, so
//! results are compared exactly (a float to the bit, a binary to the byte).

use std::fmt::Write as _;
use std::sync::Once;

use girder_format::etf;
use girder_runtime::Process;
use girder_runtime::bif::BifError;
use girder_runtime::module::find_export;
use girder_term::convert::{self, StandaloneFuns};
use girder_term::object as obj;
use girder_term::{Atom, Term};
use girder_testkit::erl_eval;

fn setup() {
    static ONCE: Once = Once::new();
    ONCE.call_once(girder_bifs::register_all);
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().fold(String::new(), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

fn unhex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).expect("hex"))
        .collect()
}

/// The Erlang side: prints one line per call of `erlang:F` on each argument list.
const ERL_HARNESS: &str = r#"
    Hex = fun(B) -> [io_lib:format("~2.16.0b", [X]) || <<X>> <= B] end,
    Run = fun(F, ArgLists) ->
        lists:foreach(fun(Args) ->
            R = try {ok, apply(erlang, F, Args)} catch C:E -> {C, E} end,
            Out = case R of
                {ok, V} -> ["ok ", Hex(term_to_binary(V))];
                {C2, E2} -> io_lib:format("~w:~w", [C2, E2])
            end,
            io:format("~s ~s~n", [Hex(term_to_binary(Args)), Out])
        end, ArgLists)
    end,
"#;

/// Runs `erlang:function` on each argument list (an Erlang expression evaluating to a list
/// of lists) in erl and in girder; returns the mismatches.
fn compare(function: &str, arg_lists: &str) -> (usize, Vec<String>) {
    setup();
    let expr = format!("{ERL_HARNESS} Run({function}, {arg_lists}), halt().");
    let out = String::from_utf8(erl_eval(&[], &expr)).expect("utf-8");
    let mut failures = Vec::new();
    let mut n = 0;
    for line in out.lines() {
        n += 1;
        let (args_hex, expected) = line.split_once(' ').expect("two fields");
        let args = etf::decode(&unhex(args_hex)).expect("args decode");
        let mut funs = StandaloneFuns::new();
        let mut p = Process::new(1);
        let args_term = convert::from_format_with(&mut p.heap, &args, &mut funs).expect("args");
        let argv = obj::list_to_vec(args_term).expect("arg list");
        let export = find_export(
            Atom::intern("erlang"),
            Atom::intern(function),
            argv.len() as u32,
        )
        .unwrap_or_else(|| panic!("erlang:{function}/{} is not a BIF", argv.len()));
        let bif = export.bif().expect("a BIF");
        let got = match bif(&mut p, &argv) {
            Ok(v) => format!("ok {}", hex(&etf::encode(&convert::to_format(v)))),
            Err(BifError::Fail(r)) => format!("error:{}", convert::display(r)),
            Err(e) => format!("{e:?}"),
        };
        if got != expected {
            failures.push(format!(
                "erlang:{function} with {args}: erl {expected}, girder {got}"
            ));
        }
    }
    assert!(n > 0, "erl printed nothing for {function}");
    (n, failures)
}

fn assert_all_match(function: &str, arg_lists: &str) {
    let (n, failures) = compare(function, arg_lists);
    assert!(
        failures.is_empty(),
        "{} of {n} calls of {function} differ:\n{}",
        failures.len(),
        failures[..failures.len().min(40)].join("\n")
    );
}

/// A deterministic sequence of float bit patterns: special values, then pseudo-random
/// doubles over the whole exponent range and over "human" magnitudes.
fn float_bits(n: usize) -> Vec<u64> {
    let mut out: Vec<u64> = [
        0.0,
        -0.0,
        0.1,
        0.5,
        1.0,
        1.5,
        2.5,
        -2.5,
        0.125,
        0.045,
        1.005,
        123.456,
        1.0e-10,
        1.0e15,
        1.0e16,
        1.0e17,
        1.0e20,
        1.0e21,
        1.0e22,
        1.0e23,
        123456789.0,
        9007199254740992.0,
        9007199254740993.0,
        4503599627370495.5,
        5.0e-324,
        2.2250738585072014e-308,
        1.7976931348623157e308,
        -1.7976931348623157e308,
        0.00000095367431640625,
        99.999,
        0.95,
        9.95,
        1.0e-5,
        0.001,
        12345.678,
    ]
    .iter()
    .map(|x: &f64| x.to_bits())
    .collect();
    let mut s: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = || {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        s
    };
    while out.len() < n {
        let r = next();
        let bits = if out.len().is_multiple_of(2) {
            r
        } else {
            // Magnitudes around 1e-6..1e8 with short decimal forms now and then.
            let x = ((r >> 11) as f64 / (1u64 << 53) as f64) * 10f64.powi((r % 15) as i32 - 6);
            let x = if r & 1 == 0 {
                (x * 1000.0).round() / 1000.0
            } else {
                x
            };
            x.to_bits()
        };
        // Skip NaNs and infinities: they are not Erlang floats.
        if f64::from_bits(bits).is_finite() {
            out.push(bits);
        }
    }
    out
}

fn floats_expr(n: usize) -> String {
    let bits: Vec<String> = float_bits(n).iter().map(|b| b.to_string()).collect();
    format!(
        "[begin <<F:64/float>> = <<B:64>>, F end || B <- [{}]]",
        bits.join(",")
    )
}

#[test]
fn float_to_list_and_binary() {
    let floats = floats_expr(400);
    let options = "[[], [short], [compact], [{decimals,0}], [{decimals,1}], [{decimals,2}], \
        [{decimals,3},compact], [{decimals,0},compact], [{decimals,10}], [{decimals,17}], \
        [{decimals,18}], [{decimals,19}], [{decimals,20},compact], [{decimals,60}], \
        [{scientific,0}], [{scientific,3}], [{scientific,17}], [{scientific,25}], \
        [{scientific,-1}], [{scientific,249}], [{decimals,253}], [short,{decimals,2}], \
        [{decimals,2},short], [{scientific,2},{decimals,4}], [compact,{decimals,4}], \
        [{decimals,4294967298}], [{scientific,4294967296}], [{decimals,-1}], [bad], \
        [{decimals,a}], {decimals,2}, [{decimals,2}|x]]";
    let args = format!("[[F, O] || F <- {floats}, O <- {options}]");
    assert_all_match("float_to_list", &args);
    let args = format!(
        "[[F, O] || F <- {floats}, O <- [[], [short], [{{decimals,4}},compact], [{{scientific,5}}]]]"
    );
    assert_all_match("float_to_binary", &args);
    assert_all_match(
        "float_to_list",
        &format!("[[F] || F <- {floats}] ++ [[1], [a], [\"1.0\"]]"),
    );
    assert_all_match(
        "float_to_binary",
        &format!("[[F] || F <- {floats}] ++ [[1], [<<>>]]"),
    );
}

#[test]
fn list_to_float_and_binary_to_float() {
    let floats = floats_expr(300);
    let texts = r#"["1.5", "1,5", "+1.5", "-1.5", "1", "1e5", "1.0e5", "1.0E+5", "1.0e-5",
        ".5", "5.", "1.0e", "1.0e+", " 1.0", "1.0 ", [$1,$.,$5,0,$a], "1.0e400",
        "1.0e-400", "1.0e-320", "2.5e-324", "1.0e308", "1.8e308", "0.0", "-0.0",
        "00001.5000", "1.5e0005", "1.5e-0", "1..5", "1.5.0", "1,5e3", "1,5,3", "", "-",
        "1.7976931348623158e308", "1.7976931348623159e308", "0.1e1", "12345678901234567890.5",
        "0.30000000000000004", "4.9406564584124654e-324", "2.4703282292062328e-324",
        "2.4703282292062327e-324", "1.0e+99999999999", "1.0e-99999999999"]"#;
    // Every text a float prints as reads back as it.
    let args = format!(
        "[[T] || T <- {texts}] ++ [[float_to_list(F)] || F <- {floats}] ++ \
         [[float_to_list(F, [short])] || F <- {floats}] ++ \
         [[float_to_list(F, [{{decimals, 30}}])] || F <- {floats}, abs(F) < 1.0e200] ++ \
         [[1.5], [[$1, $., 16#135]], [\"1.5\" ++ x], [a]]"
    );
    assert_all_match("list_to_float", &args);
    let args = format!(
        "[[list_to_binary(T)] || T <- {texts}] ++ \
         [[float_to_binary(F, [short])] || F <- {floats}] ++ \
         [[<<\"1.5\":20>>], [\"1.5\"], [<<\"1.5\", 0>>], [a]]"
    );
    assert_all_match("binary_to_float", &args);
}

/// Terms of every kind, for hashing and the external format.
const TERMS: &str = r##"begin
    Ints = [0, 1, -1, 255, 256, -256, 1 bsl 27 - 1, 1 bsl 27, -(1 bsl 27), -(1 bsl 27) - 1,
            1 bsl 31 - 1, 1 bsl 31, -(1 bsl 31), 1 bsl 32, 1 bsl 32 - 1, -(1 bsl 32),
            1 bsl 59 - 1, 1 bsl 59, -(1 bsl 59), -(1 bsl 59) - 1, 1 bsl 60, 1 bsl 63,
            1 bsl 64 - 1, 1 bsl 64, -(1 bsl 64), 1 bsl 100, -(1 bsl 100) + 7,
            12345678901234567890123456789012345678901234567890,
            -98765432109876543210987654321098765432109876543210, 1 bsl 1000 + 1],
    Floats = [0.0, -0.0, 1.0, -1.0, 0.1, 1.5e300, -2.5e-300, 5.0e-324, 3.14159, 1.0e15],
    Atoms = [a, ok, '', 'hello world', 'é', 'ÿ', 'Ω', 'ok©', 'ᛗ', '😀',
             list_to_atom(lists:duplicate(255, $z)), abcdefghijklmnop, true, nonode@nohost],
    Lists = [[], "a", "ab", "abc", "abcd", "abcde", "hello world!!", [1,2,3,256], [256,1,2],
             [a], [a,b], [1|2], [a|b], "abc" ++ improper, [[]], [[],[]], [[1,2],[3]],
             [0], [255, 0, 255], lists:seq(1, 300), [1.5, 2.5], ["abc", <<"abc">>],
             [1, [2, [3, [4 | 5]]]], [-1, 1], [1, -1]],
    Tuples = [{}, {a}, {1,2}, {a, {b, {c, {}}}}, {[], []}, list_to_tuple(lists:seq(1, 300))],
    Bins = [<<>>, <<0>>, <<1,2,3>>, <<"hello">>, list_to_binary(lists:seq(0, 11)),
            list_to_binary(lists:seq(0, 12)), list_to_binary(lists:seq(0, 23)),
            list_to_binary(lists:seq(0, 24)), list_to_binary(lists:seq(0, 255)),
            list_to_binary(lists:duplicate(1000, 7)),
            <<1:1>>, <<0:1>>, <<5:3>>, <<1,2,3:4>>, <<255, 255:7>>,
            <<1,2,3,4,5,6,7,8,9,10,11,12,13:5>>],
    Maps = [#{}, #{a => 1}, #{1 => a}, #{a => 1, b => 2}, #{b => 2, a => 1},
            #{[] => [], {} => {}}, #{1 => 1.0, 1.0 => 1}, #{#{} => #{a => #{}}},
            maps:from_list([{I, I * I} || I <- lists:seq(1, 40)]),
            maps:from_list([{integer_to_list(I), I} || I <- lists:seq(1, 50)])],
    Ids = [list_to_pid("<0.0.0>"), list_to_pid("<0.80.0>"), list_to_pid("<0.32767.8191>"),
           list_to_ref("#Ref<0.1.2.3>"), list_to_ref("#Ref<0.3518422722.1421344769.200212>"),
           list_to_port("#Port<0.5>")],
    Funs = [fun lists:map/2, fun erlang:phash2/1, fun m:f/0],
    Ints ++ Floats ++ Atoms ++ Lists ++ Tuples ++ Bins ++ Maps ++ Ids ++ Funs ++
        [{Ints, Floats}, [Atoms | Tuples], {Bins, Maps}, #{Ints => Lists}]
end"##;

/// `TERMS` without maps of more than 32 keys anywhere inside (OTP writes those in its
/// hash-trie order, girder in key order).
const FLAT_TERMS: &str = r#"begin
    Small = fun Small(X) when is_map(X) ->
                    map_size(X) =< 32 andalso lists:all(Small, maps:keys(X) ++ maps:values(X));
                Small(X) when is_tuple(X) -> lists:all(Small, tuple_to_list(X));
                Small([H | T]) -> Small(H) andalso Small(T);
                Small(_) -> true
            end,
    [T || T <- TERMS, Small(T)]
end"#;

fn flat_terms() -> String {
    FLAT_TERMS.replace("TERMS", TERMS)
}

#[test]
fn phash2_and_phash() {
    let args = format!(
        "[[T] || T <- {TERMS}] ++ [[T, R] || T <- {TERMS}, R <- [1, 7, 1 bsl 32, 1 bsl 32 - 1, 1000003]] ++ \
         [[a, 0], [a, -1], [a, 1 bsl 32 + 1], [a, 1 bsl 70], [a, 1.0], [a, x]]"
    );
    assert_all_match("phash2", &args);
    let args = format!(
        "[[T, R] || T <- {TERMS}, R <- [1, 7, 1 bsl 32, 1 bsl 32 - 1, 1000003]] ++ \
         [[a, 0], [a, -1], [a, 1 bsl 32 + 1], [a, 1 bsl 70], [a, 1.0], [a, x]]"
    );
    assert_all_match("phash", &args);
}

#[test]
fn sub_binaries_hash_as_their_bits() {
    setup();
    let mut p = Process::new(1);
    let call = |p: &mut Process, f: &str, args: &[Term]| {
        let e = find_export(Atom::intern("erlang"), Atom::intern(f), args.len() as u32)
            .expect("export");
        e.bif().expect("bif")(p, args).expect("ok")
    };
    let data: Vec<u8> = (0..40u8).map(|i| i.wrapping_mul(37)).collect();
    let base = obj::heap_binary(&mut p.heap, &data);
    for offset in [0, 1, 3, 8, 13] {
        for size in [0, 1, 5, 8, 12, 13, 96, 100, 200] {
            if offset + size > data.len() * 8 {
                continue;
            }
            let sub = obj::sub_binary(&mut p.heap, base, offset, size);
            let copy = {
                let bytes = obj::bits(sub).to_vec();
                obj::heap_bitstring(&mut p.heap, &bytes, size)
            };
            let range = obj::integer_from_u64(&mut p.heap, 1 << 32);
            for (f, extra) in [
                ("phash2", None),
                ("phash2", Some(range)),
                ("phash", Some(range)),
            ] {
                let args = |t| match extra {
                    Some(r) => vec![t, r],
                    None => vec![t],
                };
                let a = call(&mut p, f, &args(sub));
                let b = call(&mut p, f, &args(copy));
                assert_eq!(a, b, "{f} of <<..>> at bit {offset}, {size} bits");
            }
        }
    }
}

#[test]
fn term_to_binary_is_otp_exact() {
    let terms = flat_terms();
    let args = format!(
        "[[T] || T <- {terms}] ++ \
         [[T, O] || T <- [1.5, [1.0, -0.0, 5.0e-324, 1.0e300], {{a, 2.5}}, 'Ω', \"abc\", #{{a => 0.5}}], \
                    O <- [[], [{{minor_version, 0}}], [{{minor_version, 1}}], [{{minor_version, 2}}], \
                          [deterministic], [{{minor_version, 0}}, {{minor_version, 2}}]]] ++ \
         [[a, O] || O <- [[{{compressed, 10}}], [{{compressed, -1}}], [{{minor_version, 3}}], \
                          [bad], x, [compressed | x], [local]]]"
    );
    assert_all_match("term_to_binary", &args);
}

#[test]
fn external_size_matches() {
    let terms = flat_terms();
    let args = format!(
        "[[T] || T <- {terms}] ++ \
         [[T, O] || T <- [1.5, a, \"abc\", 'Ω'], O <- [[], [{{minor_version, 0}}], [{{minor_version, 1}}], \
                    [{{minor_version, 2}}], [deterministic], [compressed], [bad], x]]"
    );
    assert_all_match("external_size", &args);
}

#[test]
fn binary_to_term_matches() {
    let terms = flat_terms();
    let args = format!(
        "[[term_to_binary(T)] || T <- {terms}] ++ \
         [[term_to_binary(T, [compressed])] || T <- {terms}] ++ \
         [[term_to_binary(T, [{{minor_version, 0}}])] || T <- {terms}] ++ \
         [[<<(term_to_binary({{a, 1}}))/binary, 1, 2>>], [<<131>>], [<<>>], \
          [<<(term_to_binary(a))/binary, 0:3>>], [[<<131, 97, 1>>]], [a], \
          [<<131,80,0,0,0,5,120,156,203,97,96,96,144,75,97,96,78,76,74,30,90,100,22,0,240,84,47,123>>], \
          [<<131,116,0,0,0,2,97,1,97,2,97,1,97,3>>], [<<131,116,0,0,0,2,97,2,97,2,97,1,97,3>>], \
          [<<131,77,0,0,0,1,3,255>>], [<<131,77,0,0,0,1,0,255>>], \
          [<<131,110,0,0>>], [<<131,98,0,0,0,5>>], [<<131,100,0,3,\"abcdef\">>]] ++ \
         [[B, O] || B <- [term_to_binary({{a, [1.5]}}), <<(term_to_binary(\"xy\"))/binary, 9, 9>>], \
                    O <- [[], [used], [safe], [used, safe], [bad], x, [used | x], [{{used}}]]] ++ \
         [[<<131,100,0,20,\"girder_no_such_atom1\">>, [safe]], \
          [<<131,100,0,20,\"girder_no_such_atom2\">>, [used, safe]], \
          [<<131,104,2,100,0,20,\"girder_no_such_atom3\",97,1>>, [safe]]]"
    );
    assert_all_match("binary_to_term", &args);
}

#[test]
fn md5_functions() {
    let data = "[<<>>, <<\"abc\">>, \"abc\", [<<\"a\">>, \"bc\"], [[[$a]], [], <<\"b\">> | <<\"c\">>], \
        list_to_binary(lists:seq(0, 255)), lists:seq(0, 255), lists:duplicate(70, $x), \
        [lists:duplicate(63, 1), <<2, 3>>, lists:duplicate(200, 4), <<5:800>>], \
        [<<1:3>>], [256], [1 | 2], a, [a], <<1:3>>, [<<\"a\">> | <<1:1>>]]";
    assert_all_match("md5", &format!("[[D] || D <- {data}]"));
    // OTP leaves the block buffer of a new context uninitialised: compare the rest.
    let out = erl_eval(
        &[],
        "io:format(\"~w\", [binary_part(erlang:md5_init(), 0, 24)]), halt().",
    );
    setup();
    let init = find_export(Atom::intern("erlang"), Atom::intern("md5_init"), 0)
        .expect("export")
        .bif()
        .expect("bif");
    let mut p = Process::new(1);
    let ctx = obj::bits(init(&mut p, &[]).expect("md5_init")).to_vec();
    assert_eq!(ctx.len(), 88);
    let head: Vec<String> = ctx[..24].iter().map(|b| b.to_string()).collect();
    assert_eq!(
        String::from_utf8(out).expect("utf-8"),
        format!("<<{}>>", head.join(","))
    );
    assert_all_match(
        "md5_update",
        &format!(
            "[[erlang:md5_init(), D] || D <- {data}] ++ \
             [[erlang:md5_update(erlang:md5_init(), lists:duplicate(70, $q)), D] || D <- {data}] ++ \
             [[<<1, 2, 3>>, <<>>], [<<0:88/unit:8>>, <<\"x\">>], [a, <<>>], [<<0:87/unit:8, 0:3>>, <<>>]]"
        ),
    );
    assert_all_match(
        "md5_final",
        &format!(
            "[[erlang:md5_update(erlang:md5_init(), D)] || D <- {data}, is_list(D) orelse is_binary(D), \
                 try erlang:md5(D), true catch _:_ -> false end] ++ \
             [[<<0:88/unit:8>>], [<<1, 2, 3>>], [a]]"
        ),
    );
}

#[test]
fn compressed_output_decodes_to_the_term() {
    setup();
    let expr = format!(
        "[io:format(\"~s~n\", [[io_lib:format(\"~2.16.0b\", [X]) || <<X>> <= term_to_binary(T)]]) \
         || T <- {TERMS}], halt()."
    );
    let out = String::from_utf8(erl_eval(&[], &expr)).expect("utf-8");
    let t2b = find_export(Atom::intern("erlang"), Atom::intern("term_to_binary"), 2)
        .expect("export")
        .bif()
        .expect("bif");
    for line in out.lines() {
        let term = etf::decode(&unhex(line)).expect("decode");
        let mut funs = StandaloneFuns::new();
        let mut p = Process::new(1);
        for level in [None, Some(0), Some(1), Some(9)] {
            let t = convert::from_format_with(&mut p.heap, &term, &mut funs).expect("term");
            let opt = match level {
                None => Term::atom(Atom::intern("compressed")),
                Some(l) => obj::tuple(
                    &mut p.heap,
                    &[Term::atom(Atom::intern("compressed")), Term::small(l)],
                ),
            };
            let opts = obj::cons(&mut p.heap, opt, Term::NIL);
            let bin = t2b(&mut p, &[t, opts]).expect("term_to_binary");
            let bytes = obj::bits(bin).to_vec();
            let back = etf::decode(&bytes).expect("decodes");
            let back = convert::from_format_with(&mut p.heap, &back, &mut funs).expect("term");
            assert!(girder_term::eq_exact(back, t), "level {level:?}: {line}");
        }
    }
}
