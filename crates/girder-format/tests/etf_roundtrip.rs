//! The external term format against a real OTP: `tests/etf/corpus.erl` (at the workspace
//! root) writes thousands of terms with `term_to_binary/1`, `term_to_binary/2` with
//! `[compressed]`, and `io_lib:format("~w")`. For every one this test checks that:
//!
//! * [`etf::decode`] accepts OTP's bytes;
//! * [`etf::encode`] of the decoded term gives back OTP's bytes exactly (with UTF-8 atoms
//!   when the OTP release is 26 or later, whose default that is);
//! * the compressed bytes decode to the same term;
//! * `Display` of the decoded term is the `~w` text, with two documented exceptions: maps
//!   of more than 32 keys, whose pairs `~w` prints in the reverse of the order
//!   `term_to_binary/1` writes them (the test reverses them before printing), and terms
//!   holding pids, ports or references of another node, which `~w` prints with an index into
//!   the running node's table (those are not compared).
//!
//! `erl` and `erlc` must be on the `PATH`: without them the test fails rather than skips.

use std::path::Path;

use girder_format::Term;
use girder_format::etf::{self, EncodeOptions};
use girder_testkit::{erl_eval, erlang_test_file, erlc, scratch_dir};

/// One term of the corpus, as OTP wrote it.
struct Record {
    label: String,
    etf: Vec<u8>,
    compressed: Vec<u8>,
    text: String,
}

/// Compiles and runs the corpus program; returns the OTP release and the records.
fn generate_corpus() -> (u32, Vec<Record>) {
    let src = erlang_test_file("etf/corpus.erl");
    let dir = scratch_dir("etf-corpus");
    erlc(&[&src], &dir);
    let file = dir.join("corpus.bin");
    erl_eval(
        &[&dir],
        &format!("corpus:main([{:?}]).", file.display().to_string()),
    );
    let bytes = std::fs::read(&file).expect("read the corpus file");
    parse_corpus(&bytes, &file)
}

fn parse_corpus(bytes: &[u8], file: &Path) -> (u32, Vec<Record>) {
    const MAGIC: &[u8] = b"GIRDER-ETF-CORPUS 1\n";
    let mut rest = bytes
        .strip_prefix(MAGIC)
        .unwrap_or_else(|| panic!("{}: not a corpus file", file.display()));
    fn u32_at(rest: &mut &[u8]) -> usize {
        let (n, tail) = rest.split_at(4);
        *rest = tail;
        u32::from_be_bytes(n.try_into().unwrap()) as usize
    }
    fn field(rest: &mut &[u8]) -> Vec<u8> {
        let n = u32_at(rest);
        let (f, tail) = rest.split_at(n);
        *rest = tail;
        f.to_vec()
    }
    let text = |b: Vec<u8>| String::from_utf8(b).expect("UTF-8 text");
    let release: u32 = text(field(&mut rest)).parse().expect("numeric OTP release");
    let count = u32_at(&mut rest);
    let records = (0..count)
        .map(|_| Record {
            label: text(field(&mut rest)),
            etf: field(&mut rest),
            compressed: field(&mut rest),
            text: text(field(&mut rest)),
        })
        .collect();
    assert!(rest.is_empty(), "trailing bytes in the corpus file");
    (release, records)
}

/// True if the term holds a pid, port or reference of a node other than `nonode@nohost`.
fn has_remote_node(t: &Term) -> bool {
    match t {
        Term::Pid { node, .. } | Term::Port { node, .. } | Term::Reference { node, .. } => {
            !etf::is_local_node(node)
        }
        Term::Tuple(items) => items.iter().any(has_remote_node),
        Term::List(items, tail) => items.iter().any(has_remote_node) || has_remote_node(tail),
        Term::Map(pairs) => pairs
            .iter()
            .any(|(k, v)| has_remote_node(k) || has_remote_node(v)),
        Term::Fun(f) => has_remote_node(&f.pid) || f.free.iter().any(has_remote_node),
        _ => false,
    }
}

/// The term with the pairs of every map of more than 32 keys reversed: the order in which
/// OTP's `maps:iterator/1`, and so `~w`, visits a hash-array-mapped map is the reverse of
/// the order `term_to_binary/1` writes it. Maps of up to 32 keys are sorted both ways.
fn in_iterator_order(t: &Term) -> Term {
    match t {
        Term::Tuple(items) => Term::Tuple(items.iter().map(in_iterator_order).collect()),
        Term::List(items, tail) => Term::List(
            items.iter().map(in_iterator_order).collect(),
            Box::new(in_iterator_order(tail)),
        ),
        Term::Map(pairs) => {
            let mut pairs: Vec<_> = pairs
                .iter()
                .map(|(k, v)| (in_iterator_order(k), in_iterator_order(v)))
                .collect();
            if pairs.len() > 32 {
                pairs.reverse();
            }
            Term::Map(pairs)
        }
        Term::Fun(f) => {
            let mut f = f.clone();
            f.free = f.free.iter().map(in_iterator_order).collect();
            Term::Fun(f)
        }
        other => other.clone(),
    }
}

/// A short view of where two texts first differ.
fn first_difference(ours: &str, otp: &str) -> String {
    let at = ours
        .bytes()
        .zip(otp.bytes())
        .take_while(|(a, b)| a == b)
        .count();
    let window = |s: &str| -> String {
        let start = s.floor_char_boundary(at.saturating_sub(40));
        let end = s.ceil_char_boundary((at + 40).min(s.len()));
        s[start..end].to_string()
    };
    format!(
        "first difference at byte {at} (lengths {} and {}):\n  ours: {:?}\n  otp:  {:?}",
        ours.len(),
        otp.len(),
        window(ours),
        window(otp)
    )
}

fn check_corpus() {
    let (release, records) = generate_corpus();
    assert!(
        records.len() > 3000,
        "only {} terms in the corpus",
        records.len()
    );
    let options = EncodeOptions {
        utf8_atoms: release >= 26,
    };
    let mut failures = Vec::new();
    let mut compared_text = 0;
    for r in &records {
        let term = match etf::decode(&r.etf) {
            Ok(t) => t,
            Err(e) => {
                failures.push(format!("{}: decode failed: {e}", r.label));
                continue;
            }
        };
        let again = etf::encode_with(&term, options);
        if again != r.etf {
            let at = again.iter().zip(&r.etf).take_while(|(a, b)| a == b).count();
            failures.push(format!(
                "{}: re-encoding differs from OTP at byte {at} (lengths {} and {}): ours {:?}, \
                 otp {:?}",
                r.label,
                again.len(),
                r.etf.len(),
                &again[at..(at + 16).min(again.len())],
                &r.etf[at..(at + 16).min(r.etf.len())],
            ));
        }
        match etf::decode(&r.compressed) {
            Ok(c) if etf::encode_with(&c, options) == r.etf => {}
            Ok(_) => failures.push(format!("{}: compressed form decodes differently", r.label)),
            Err(e) => failures.push(format!("{}: compressed form fails: {e}", r.label)),
        }
        if has_remote_node(&term) {
            continue;
        }
        compared_text += 1;
        let text = in_iterator_order(&term).to_string();
        if text != r.text {
            failures.push(format!(
                "{}: Display differs from ~w: {}",
                r.label,
                first_difference(&text, &r.text)
            ));
        }
    }
    assert!(compared_text > 3000, "only {compared_text} texts compared");
    assert!(
        failures.is_empty(),
        "{} of {} corpus terms failed (OTP {release}):\n{}",
        failures.len(),
        records.len(),
        failures
            .iter()
            .take(40)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
    );

    // The same bytes, back to back, read one at a time with decode_prefix, and at an offset
    // with decode_with_base.
    let joined: Vec<u8> = records
        .iter()
        .take(500)
        .flat_map(|r| r.etf.iter().copied())
        .collect();
    let mut at = 0;
    for r in records.iter().take(500) {
        let (t, used) = etf::decode_prefix(&joined[at..]).expect("decode_prefix");
        assert_eq!(used, r.etf.len(), "{}", r.label);
        assert_eq!(etf::encode_with(&t, options), r.etf, "{}", r.label);
        assert!(etf::decode_with_base(&joined[at..at + used], at).is_ok());
        at += used;
    }
}

#[test]
fn otp_corpus_round_trips() {
    // Deep terms in the corpus are compared and cloned recursively by this test's helpers.
    std::thread::Builder::new()
        .stack_size(256 << 20)
        .spawn(check_corpus)
        .expect("spawn")
        .join()
        .unwrap_or_else(|e| std::panic::resume_unwind(e));
}
