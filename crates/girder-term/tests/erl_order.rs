//! Term order, equality and `~w` printing of runtime terms, compared with OTP's `erl` on a set
//! of tricky terms (numbers around every representation boundary, integer/float ties, maps
//! with integer and float keys, bitstrings, identifiers, external funs).

use girder_format::Term as F;
use girder_term::compare::cmp_exact;
use girder_term::convert::{StandaloneFuns, from_format_with};
use girder_term::{Heap, Term, cmp, display, eq, eq_exact};
use num_bigint::BigInt;

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn pick<T: Clone>(&mut self, items: &[T]) -> T {
        items[self.below(items.len())].clone()
    }
}

fn numbers() -> Vec<F> {
    let mut v: Vec<F> = [
        "0",
        "1",
        "-1",
        "576460752303423487",
        "576460752303423488",
        "-576460752303423488",
        "-576460752303423489",
        "9007199254740992",
        "9007199254740993",
        "9223372036854775807",
        "9223372036854775808",
        "-9223372036854775809",
        "18446744073709551616",
        "1000000000000000019884624838656",
        "-1000000000000000019884624838657",
    ]
    .iter()
    .map(|s| F::integer(s.parse::<BigInt>().unwrap()))
    .collect();
    for x in [
        0.0,
        -0.0,
        1.0,
        -1.0,
        0.5,
        576460752303423488.0,
        9007199254740992.0,
        9223372036854775808.0,
        1.8446744073709552e19,
        1.0e30,
        -1.0e30,
        1.0e300,
        5.0e-324,
    ] {
        v.push(F::Float(x));
    }
    v
}

fn leaves(rng: &mut Rng) -> F {
    let local = "nonode@nohost".to_string();
    match rng.below(10) {
        0..=3 => rng.pick(&numbers()),
        4 => F::atom(rng.pick(&["a", "b", "aa", "B", "ok", "é", "日本", ""])),
        5 => F::Nil,
        6 => match rng.below(3) {
            0 => F::Binary(rng.pick(&[vec![], vec![1], vec![1, 2], vec![0; 70], vec![255]])),
            _ => F::Bitstring {
                bytes: rng.pick(&[vec![0x80], vec![0x20], vec![1, 0x80], vec![0xfe]]),
                bits: rng.pick(&[1, 3, 7]),
            },
        },
        7 => F::Pid {
            node: local,
            id: rng.below(3) as u32,
            serial: rng.below(2) as u32,
            creation: 0,
        },
        8 => match rng.below(3) {
            0 => F::Port {
                node: local,
                id: rng.below(3) as u64,
                creation: 0,
            },
            _ => F::Reference {
                node: local,
                creation: 0,
                ids: vec![rng.below(3) as u32, rng.below(2) as u32, 1],
            },
        },
        _ => F::Export {
            module: rng.pick(&["lists", "m"]).into(),
            function: rng.pick(&["map", "f"]).into(),
            arity: rng.below(3) as u8,
        },
    }
}

fn term(rng: &mut Rng, depth: u32) -> F {
    if depth == 0 || rng.below(3) == 0 {
        return leaves(rng);
    }
    let items = |rng: &mut Rng, n: usize| (0..n).map(|_| term(rng, depth - 1)).collect::<Vec<_>>();
    let n = rng.below(3);
    match rng.below(4) {
        0 => F::Tuple(items(rng, n)),
        1 => F::list(items(rng, n)),
        2 => {
            let tail = leaves(rng);
            let tail = if matches!(tail, F::Nil) {
                F::Int(0)
            } else {
                tail
            };
            F::List(items(rng, 1 + n), Box::new(tail))
        }
        _ => {
            // Keys from a small set with integer/float twins; duplicates removed.
            let mut pairs: Vec<(F, F)> = Vec::new();
            for _ in 0..rng.below(4) {
                let k = rng.pick(&[
                    F::Int(1),
                    F::Float(1.0),
                    F::Int(2),
                    F::atom("k"),
                    F::Tuple(vec![F::Int(1)]),
                    F::Tuple(vec![F::Float(1.0)]),
                ]);
                if !pairs.iter().any(|(x, _)| *x == k) {
                    pairs.push((k, term(rng, depth - 1)));
                }
            }
            F::Map(pairs)
        }
    }
}

#[test]
#[cfg_attr(miri, ignore = "runs erl")]
fn order_equality_and_printing_match_erl() {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let mut fs: Vec<F> = numbers();
    while fs.len() < 160 {
        fs.push(term(&mut rng, 3));
    }
    let dir = girder_testkit::scratch_dir("term-order");
    let input = dir.join("terms.bin");
    std::fs::write(&input, girder_format::etf::encode(&F::list(fs.clone()))).unwrap();
    let (cmp_out, text_out) = (dir.join("cmp.bin"), dir.join("text.txt"));
    let expr = format!(
        r#"{{ok,B}} = file:read_file("{}"), L = binary_to_term(B),
        C = fun(X, Y) -> if X < Y -> 0; X == Y -> 1; true -> 2 end end,
        M = << <<(C(X, Y)), (erts_internal:cmp_term(X, Y) + 1), (case X =:= Y of true -> 1; false -> 0 end)>> || X <- L, Y <- L >>,
        W = [io_lib:format("~w~n", [X]) || X <- L],
        ok = file:write_file("{}", M), ok = file:write_file("{}", unicode:characters_to_binary(W)), halt()."#,
        input.display(),
        cmp_out.display(),
        text_out.display()
    );
    girder_testkit::erl_eval(&[], &expr);
    let matrix = std::fs::read(&cmp_out).unwrap();
    let text = String::from_utf8(std::fs::read(&text_out).unwrap()).unwrap();

    let mut h = Heap::new(1024);
    let mut funs = StandaloneFuns::new();
    let ts: Vec<Term> = fs
        .iter()
        .map(|f| from_format_with(&mut h, f, &mut funs).unwrap())
        .collect();
    for (t, line) in ts.iter().zip(text.lines()) {
        assert_eq!(display(*t), line);
    }
    let n = ts.len();
    assert_eq!(matrix.len(), 3 * n * n);
    let code = |o: std::cmp::Ordering| o as i8 + 1;
    for i in 0..n {
        for j in 0..n {
            let k = 3 * (i * n + j);
            let (a, b) = (ts[i], ts[j]);
            let what = format!("{} vs {}", fs[i], fs[j]);
            assert_eq!(code(cmp(a, b)) as u8, matrix[k], "order: {what}");
            assert_eq!(eq(a, b), matrix[k] == 1, "==: {what}");
            assert_eq!(
                code(cmp_exact(a, b)) as u8,
                matrix[k + 1],
                "cmp_term: {what}"
            );
            assert_eq!(eq_exact(a, b) as u8, matrix[k + 2], "=:=: {what}");
        }
    }
}
