//! Property tests against erl, on generated programs run by both VMs with identical output
//! required:
//! - integer arithmetic: random small and big integers (around every boundary that matters:
//!   0, 2^27, 2^31, 2^59 where girder's smalls end, 2^63, 2^64, and up to thousands of bits),
//!   every arithmetic and bitwise operator and the radix conversions;
//! - random nested terms through `term_to_binary`/`binary_to_term` and `phash2`;
//! - random large maps (hash tries): their order in every listing, printing, iteration and
//!   encoding, updates, removals and merges.
//!
//! The seeds are fixed so a failure reproduces; set `GIRDER_PROP_SEED` to explore others.

use std::fmt::Write as _;
use std::process::Command;

use girder_testkit::{erlc, scratch_dir};

/// Run `module:main()` from `dir` under `vm` (erl or girder) as erl runs it; its output.
fn run(vm: &str, dir: &std::path::Path, module: &str) -> String {
    let out = Command::new(vm)
        .args([
            "-noshell",
            "-pa",
            dir.to_str().unwrap(),
            "-s",
            module,
            "main",
            "-s",
            "init",
            "stop",
        ])
        .output()
        .unwrap_or_else(|e| panic!("cannot run {vm}: {e}"));
    assert!(
        out.status.success(),
        "{vm} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// xorshift64*: small, deterministic, good enough to spread test inputs.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// An integer literal near one of the interesting boundaries, or a large random one.
fn integer(rng: &mut Rng) -> String {
    let sign = if rng.below(2) == 0 { "" } else { "-" };
    match rng.below(6) {
        0 => format!("{sign}{}", rng.below(1000)),
        1 => {
            let bits = [27u32, 31, 32, 59, 60, 63, 64, 65][rng.below(8) as usize];
            let delta = rng.below(5) as i64 - 2;
            format!("{sign}((1 bsl {bits}) + ({delta}))")
        }
        2 => format!("{sign}{}", rng.next() >> rng.below(64)),
        _ => {
            // A big integer from a few random 64-bit limbs.
            let max_limbs = if rng.below(4) == 0 { 40 } else { 4 };
            let limbs = 1 + rng.below(max_limbs);
            let mut text = String::from(sign);
            text.push('(');
            for i in 0..limbs {
                if i > 0 {
                    text.push_str(" bsl 64 + ");
                }
                write!(text, "{}", rng.next()).unwrap();
            }
            text.push(')');
            text
        }
    }
}

/// An Erlang module whose `main/0` prints, for every pair, each operator's result (or the
/// error it raises) as one `~w` line.
fn program(seed: u64, pairs: usize) -> String {
    let mut rng = Rng(seed | 1);
    let mut items = Vec::new();
    for _ in 0..pairs {
        let (a, b) = (integer(&mut rng), integer(&mut rng));
        let shift = rng.below(200) as i64 - 100;
        items.push(format!("{{{a}, {b}, {shift}}}"));
    }
    format!(
        r#"-module(arith_props).
-export([main/0]).

main() ->
    [begin
         io:format("~w~n", [[try Op(A, B) catch C:R -> {{C, R}} end
                              || Op <- ops()]]),
         io:format("~w~n", [[A bsl S, A bsr S, -A, abs(A), bnot A,
                             integer_to_list(A, 16), integer_to_list(A, 36),
                             list_to_integer(integer_to_list(B, 7), 7) =:= B]])
     end || {{A, B, S}} <- pairs()],
    ok.

ops() ->
    [fun(X, Y) -> X + Y end, fun(X, Y) -> X - Y end, fun(X, Y) -> X * Y end,
     fun(X, Y) -> X div Y end, fun(X, Y) -> X rem Y end,
     fun(X, Y) -> X band Y end, fun(X, Y) -> X bor Y end, fun(X, Y) -> X bxor Y end,
     fun(X, Y) -> X < Y end, fun(X, Y) -> X == Y end, fun(X, Y) -> max(X, Y) end].

pairs() ->
    [{}].
"#,
        items.join(",\n     ")
    )
}

#[test]
fn integer_arithmetic_matches_erl() {
    let seed = std::env::var("GIRDER_PROP_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0x5eed_1234);
    let dir = scratch_dir("arith-props");
    let src = dir.join("arith_props.erl");
    std::fs::write(&src, program(seed, 300)).unwrap();
    erlc(&[&src], &dir);
    let expected = run("erl", &dir, "arith_props");
    let got = run(env!("CARGO_BIN_EXE_girder"), &dir, "arith_props");
    assert!(expected.lines().count() >= 600);
    for (n, (e, g)) in expected.lines().zip(got.lines()).enumerate() {
        assert_eq!(g, e, "seed {seed:#x}, line {}", n + 1);
    }
    assert_eq!(got.lines().count(), expected.lines().count());
}

/// A random term as Erlang source text, nested at most `depth` deep.
fn term(rng: &mut Rng, depth: u32) -> String {
    let leaf = depth == 0 || rng.below(3) == 0;
    match if leaf { rng.below(6) } else { 6 + rng.below(4) } {
        0 => integer(rng),
        1 => format!(
            "({} / {})",
            rng.below(1 << 40) as i64 - (1 << 39),
            1 + rng.below(1000)
        ),
        2 => ["a", "'B c'", "ok", "'é'", "[]", "true"][rng.below(6) as usize].to_owned(),
        3 => format!("\"s{}\"", rng.below(100_000)),
        4 => {
            let n = rng.below(6);
            let bytes: Vec<String> = (0..n).map(|_| rng.below(256).to_string()).collect();
            format!("<<{}>>", bytes.join(","))
        }
        5 => format!("<<{}:{}>>", rng.below(128), 1 + rng.below(7)),
        6 => {
            let n = rng.below(4);
            let items: Vec<String> = (0..n).map(|_| term(rng, depth - 1)).collect();
            format!("{{{}}}", items.join(", "))
        }
        7 => {
            let n = rng.below(4);
            let items: Vec<String> = (0..n).map(|_| term(rng, depth - 1)).collect();
            format!("[{}]", items.join(", "))
        }
        8 => {
            let n = rng.below(4);
            let items: Vec<String> = (0..n)
                .map(|i| format!("k{i} => {}", term(rng, depth - 1)))
                .collect();
            format!("#{{{}}}", items.join(", "))
        }
        _ => format!("[{} | {}]", term(rng, depth - 1), term(rng, depth - 1)),
    }
}

#[test]
fn random_terms_round_trip_through_the_external_format_like_erl() {
    let seed = std::env::var("GIRDER_PROP_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0x7e12_5eed);
    let mut rng = Rng(seed | 1);
    let terms: Vec<String> = (0..300).map(|_| term(&mut rng, 4)).collect();
    let src = format!(
        "-module(etf_props).\n-export([main/0]).\n\
         main() ->\n    [io:format(\"~w ~w ~w~n\", [term_to_binary(T), binary_to_term(term_to_binary(T)) =:= T, \
         erlang:phash2(T)]) || T <- terms()],\n    ok.\n\
         terms() ->\n    [{}].\n",
        terms.join(",\n     ")
    );
    let dir = scratch_dir("etf-props");
    let file = dir.join("etf_props.erl");
    std::fs::write(&file, src).unwrap();
    erlc(&[&file], &dir);
    let expected = run("erl", &dir, "etf_props");
    let got = run(env!("CARGO_BIN_EXE_girder"), &dir, "etf_props");
    assert_eq!(expected.lines().count(), 300);
    for (n, (e, g)) in expected.lines().zip(got.lines()).enumerate() {
        assert_eq!(g, e, "seed {seed:#x}, term {}: {}", n + 1, terms[n]);
    }
}

/// A random map key as Erlang source text: any term but atoms (OTP hashes an atom by its
/// index in the atom table, which no other VM shares, so maps keyed by atoms have no order
/// girder could reproduce).
fn key_term(rng: &mut Rng, depth: u32) -> String {
    let leaf = depth == 0 || rng.below(3) == 0;
    match if leaf { rng.below(6) } else { 6 + rng.below(4) } {
        0 => integer(rng),
        1 => format!(
            "({} / {})",
            rng.below(1 << 40) as i64 - (1 << 39),
            1 + rng.below(1000)
        ),
        2 => rng.below(100).to_string(),
        3 => format!("\"s{}\"", rng.below(100_000)),
        4 => {
            let n = rng.below(14);
            let bytes: Vec<String> = (0..n).map(|_| rng.below(256).to_string()).collect();
            format!("<<{}>>", bytes.join(","))
        }
        5 => format!("<<{}:{}>>", rng.below(128), 1 + rng.below(7)),
        6 => {
            let n = rng.below(4);
            let items: Vec<String> = (0..n).map(|_| key_term(rng, depth - 1)).collect();
            format!("{{{}}}", items.join(", "))
        }
        7 => {
            let n = rng.below(4);
            let items: Vec<String> = (0..n).map(|_| key_term(rng, depth - 1)).collect();
            format!("[{}]", items.join(", "))
        }
        8 => {
            // Small maps, and now and then a large one, as keys.
            let n = if rng.below(4) == 0 {
                33 + rng.below(8)
            } else {
                rng.below(4)
            };
            let items: Vec<String> = (0..n)
                .map(|i| format!("{{{i}, {}}}", key_term(rng, 0)))
                .collect();
            format!("maps:from_list([{}])", items.join(", "))
        }
        _ => format!(
            "[{} | {}]",
            key_term(rng, depth - 1),
            key_term(rng, depth - 1)
        ),
    }
}

#[test]
fn random_large_maps_have_erls_order() {
    let seed = std::env::var("GIRDER_PROP_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0x0a4_5eed);
    let mut rng = Rng(seed | 1);
    let maps: Vec<String> = (0..40)
        .map(|_| {
            let n = 20 + rng.below(120);
            let depth = rng.below(4) as u32;
            let pairs: Vec<String> = (0..n)
                .map(|i| format!("{{{}, {i}}}", key_term(&mut rng, depth)))
                .collect();
            format!("[{}]", pairs.join(", "))
        })
        .collect();
    let src = format!(
        r#"-module(map_props).
-export([main/0]).

main() ->
    [show(maps:from_list(Pairs), Pairs) || Pairs <- pairs()],
    ok.

show(M, Pairs) ->
    io:format("~w~n~w~n~w~n", [M, maps:keys(M), maps:values(M)]),
    io:format("~w~n~w~n", [term_to_binary(M), term_to_binary(M, [deterministic])]),
    io:format("~w~n", [maps:fold(fun(K, V, A) -> [{{K, V}} | A] end, [], M)]),
    io:format("~w~n", [walk(maps:next(maps:iterator(M)))]),
    Built = lists:foldl(fun({{K, V}}, Acc) -> Acc#{{K => V}} end, #{{}}, Pairs),
    Half = lists:foldl(fun({{K, _}}, Acc) -> maps:remove(K, Acc) end, M,
                       lists:sublist(Pairs, length(Pairs) div 2)),
    io:format("~w ~w ~w~n", [Built =:= M, Built == M, erlang:phash2(M)]),
    io:format("~w~n~w~n", [Half, maps:merge(Half, maps:map(fun(_, V) -> -V end, M))]),
    io:format("~w~n", [[maps:get(K, M) || {{K, _}} <- Pairs]]).

walk(none) -> [];
walk({{K, V, I}}) -> [{{K, V}} | walk(maps:next(I))].

pairs() ->
    [{}].
"#,
        maps.join(",\n     ")
    );
    let dir = scratch_dir("map-props");
    let file = dir.join("map_props.erl");
    std::fs::write(&file, src).unwrap();
    erlc(&[&file], &dir);
    let expected = run("erl", &dir, "map_props");
    let got = run(env!("CARGO_BIN_EXE_girder"), &dir, "map_props");
    assert_eq!(expected.lines().count(), 40 * 11);
    for (n, (e, g)) in expected.lines().zip(got.lines()).enumerate() {
        assert_eq!(g, e, "seed {seed:#x}, line {} (map {})", n + 1, n / 11 + 1);
    }
    assert_eq!(got.lines().count(), expected.lines().count());
}

/// A random regular expression over a small alphabet: literals, classes, anchors, groups
/// (plain, non-capturing, named), alternation, greedy, lazy and counted quantifiers,
/// lookarounds and backreferences to groups already closed. Only patterns PCRE 8 and PCRE2
/// both accept are generated (`\8`, `[\d-z]`... differ: see the README).
fn regex(rng: &mut Rng, depth: u32, groups: &mut u32, out: &mut String) {
    let items = 1 + rng.below(4);
    for _ in 0..items {
        match rng.below(if depth == 0 { 9 } else { 14 }) {
            0..=2 => out.push(['a', 'b', 'c', 'x', '1', ' '][rng.below(6) as usize]),
            3 => out.push_str(["[ab]", "[^c]", "[a-c1]", "[[:alpha:]]"][rng.below(4) as usize]),
            4 => out.push_str(["\\d", "\\w", "\\s", "\\W", "."][rng.below(5) as usize]),
            5 => out.push_str(["^", "$", "\\b", "\\B"][rng.below(4) as usize]),
            6 if *groups > 0 => {
                let _ = write!(out, "\\{}", 1 + rng.below(u64::from(*groups)));
            }
            7 => out.push_str(["é", "ä", "€"][rng.below(3) as usize]),
            9 => {
                let name = rng.below(3);
                match rng.below(3) {
                    0 => out.push('('),
                    1 => out.push_str("(?:"),
                    _ => {
                        let _ = write!(out, "(?<n{name}>");
                    }
                }
                regex(rng, depth - 1, groups, out);
                if rng.below(3) == 0 {
                    out.push('|');
                    regex(rng, depth - 1, groups, out);
                }
                out.push(')');
                *groups = out.matches("(?<").count() as u32 + count_plain_groups(out);
            }
            10 => {
                out.push_str(["(?=", "(?!", "(?<=", "(?<!"][rng.below(4) as usize]);
                out.push(['a', 'b', 'c'][rng.below(3) as usize]);
                out.push(')');
            }
            _ => out.push(['a', 'b', 'c'][rng.below(3) as usize]),
        }
        if rng.below(3) == 0
            && !out.ends_with(['^', '$', '(', '|'])
            && !out.ends_with("\\b")
            && !out.ends_with("\\B")
        {
            out.push_str(["*", "+", "?", "{1,2}", "*?", "+?", "{2}"][rng.below(7) as usize]);
        }
    }
}

/// Capturing groups opened by `(` not followed by `?`.
fn count_plain_groups(s: &str) -> u32 {
    let b = s.as_bytes();
    (0..b.len())
        .filter(|&i| b[i] == b'(' && (i == 0 || b[i - 1] != b'\\') && b.get(i + 1) != Some(&b'?'))
        .count() as u32
}

/// The Erlang string literal for `s` (code points as a list, so any character survives).
fn erl_string(s: &str) -> String {
    let codes: Vec<String> = s.chars().map(|c| u32::from(c).to_string()).collect();
    format!("[{}]", codes.join(","))
}

fn re_program(seed: u64, cases: usize) -> String {
    let mut rng = Rng(seed);
    let mut body = String::new();
    for _ in 0..cases {
        let mut pattern = String::new();
        regex(&mut rng, 2, &mut 0, &mut pattern);
        let len = rng.below(12);
        let subject: String = (0..len)
            .map(|_| ['a', 'b', 'c', 'x', '1', ' ', '\n', 'A', 'é', '€'][rng.below(10) as usize])
            .collect();
        let mut opts: Vec<String> = Vec::new();
        for (opt, chance) in [
            ("caseless", 4),
            ("multiline", 4),
            ("dotall", 5),
            ("ungreedy", 6),
            ("anchored", 6),
            ("notempty", 6),
            ("global", 3),
            ("dupnames", 8),
        ] {
            if rng.below(chance) == 0 {
                opts.push(opt.to_string());
            }
        }
        if rng.below(4) == 0 {
            opts.push(format!("{{offset,{}}}", rng.below(len + 1)));
        }
        if rng.below(2) == 0 {
            let values = [
                "all",
                "first",
                "all_but_first",
                "all_names",
                "none",
                "[1,n0,n2,0]",
            ];
            let types = ["index", "list", "binary"];
            opts.push(format!(
                "{{capture,{},{}}}",
                values[rng.below(6) as usize],
                types[rng.below(3) as usize]
            ));
        }
        // Non-ASCII characters need `unicode` (as a list subject) or are UTF-8 bytes in a
        // binary subject matched byte by byte.
        let unicode = !(pattern.is_ascii() && subject.is_ascii()) || rng.below(3) == 0;
        let binary = rng.below(2) == 0;
        if unicode {
            opts.push("unicode".into());
        }
        let subj = if binary {
            format!("unicode:characters_to_binary({})", erl_string(&subject))
        } else {
            erl_string(&subject)
        };
        let pat = if unicode || pattern.is_ascii() {
            erl_string(&pattern)
        } else {
            format!("unicode:characters_to_binary({})", erl_string(&pattern))
        };
        let _ = writeln!(body, "    t({subj}, {pat}, [{}]),", opts.join(","));
    }
    format!(
        "-module(re_props).\n-export([main/0]).\n\
         t(S, P, O) ->\n\
         \x20   R = try re:run(S, P, [report_errors | O]) of\n\
         \x20           {{error, {{compile, _}}}} -> compile_error;\n\
         \x20           X -> X\n\
         \x20       catch C:E -> {{C, E}} end,\n\
         \x20   io:format(\"~w~n\", [{{P, O, R}}]).\n\
         main() ->\n{body}    ok.\n"
    )
}

#[test]
fn random_regular_expressions_match_like_erl() {
    let seed = std::env::var("GIRDER_PROP_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0x5eed_0e0e);
    let dir = scratch_dir("re-props");
    let src = dir.join("re_props.erl");
    std::fs::write(&src, re_program(seed, 400)).unwrap();
    erlc(&[&src], &dir);
    let expected = run("erl", &dir, "re_props");
    let got = run(env!("CARGO_BIN_EXE_girder"), &dir, "re_props");
    assert_eq!(expected.lines().count(), 400);
    for (n, (e, g)) in expected.lines().zip(got.lines()).enumerate() {
        assert_eq!(g, e, "seed {seed:#x}, case {}", n + 1);
    }
    assert_eq!(got.lines().count(), expected.lines().count());
}
