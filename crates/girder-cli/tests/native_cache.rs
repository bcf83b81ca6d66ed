//! The native-code cache: a warm start compiles nothing; damaged, truncated, swapped and
//! foreign entries are ignored and replaced, never trusted; VMs filling one cache at once
//! leave it whole. Each run's output is compared with erl's.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use girder_testkit::{Exit, erl_eval, erlc, run_captured, scratch_dir};

const PROGRAM: &str = r#"
-module(cached).
-export([main/0]).
main() ->
    L = lists:seq(1, 200),
    M = maps:from_list([{K, K * K} || K <- L]),
    S = lists:sum([maps:get(K, M) rem 7 || K <- L]),
    T = try list_to_atom(S) catch error:badarg -> badarg end,
    io:format("~p ~p ~s~n", [S, T, string:join(["a", "b", "c"], "-")]),
    io:format("~p~n", [lists:sort(fun(A, B) -> A > B end, lists:sublist(L, 5))]).
"#;

/// Compile the program; erl's output for it.
fn setup(name: &str) -> (PathBuf, Vec<u8>) {
    let dir = scratch_dir(name);
    let src = dir.join("cached.erl");
    std::fs::write(&src, PROGRAM).unwrap();
    erlc(&[&src], &dir);
    let want = erl_eval(&[&dir], "cached:main(), halt().");
    (dir, want)
}

/// Run the program under girder with every function compiled on its first call, with the
/// cache in `cache`: (standard output, the JIT's and cache's counters).
fn run(dir: &Path, cache: &Path) -> (Vec<u8>, String) {
    run_with(dir, cache, "0")
}

/// [`run`] with `GIRDER_JIT_THRESHOLD=threshold`.
fn run_with(dir: &Path, cache: &Path, threshold: &str) -> (Vec<u8>, String) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_girder"));
    cmd.args(["-noshell", "-pa"])
        .arg(dir)
        .args(["-eval", "cached:main(), halt()."])
        .env("GIRDER_CACHE_DIR", cache)
        .env("GIRDER_JIT_THRESHOLD", threshold)
        .env("GIRDER_JIT_STATS", "1");
    let out = run_captured(&mut cmd, Duration::from_secs(120));
    assert_eq!(
        out.exit,
        Exit::Code(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    (
        out.stdout,
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// The number before `label` in the counters line starting with `line`.
fn counter(stats: &str, line: &str, label: &str) -> u64 {
    let l = stats
        .lines()
        .find(|l| l.starts_with(line))
        .unwrap_or_else(|| panic!("no {line:?} line in {stats}"));
    let at = l
        .find(label)
        .unwrap_or_else(|| panic!("no {label:?} in {l}"));
    l[..at]
        .split_whitespace()
        .last()
        .and_then(|w| w.trim_start_matches('(').parse().ok())
        .unwrap_or_else(|| panic!("no number before {label:?} in {l}"))
}

fn compiled(stats: &str) -> u64 {
    counter(stats, "girder jit:", "functions compiled")
}

fn entries(cache: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(cache)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "gnc"))
        .collect();
    v.sort();
    v
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for f in entries(from) {
        std::fs::copy(&f, to.join(f.file_name().unwrap())).unwrap();
    }
}

fn verify(cache: &Path) {
    let out = Command::new(env!("CARGO_BIN_EXE_girder"))
        .args(["cache", "verify"])
        .env("GIRDER_CACHE_DIR", cache)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "girder cache verify: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn warm_start_compiles_nothing_and_damage_is_never_trusted() {
    let (dir, want) = setup("native-cache");
    let warm = dir.join("cache");
    let (out, stats) = run(&dir, &warm);
    assert_eq!(out, want);
    assert!(compiled(&stats) > 0, "a cold start compiles: {stats}");
    verify(&warm);

    let (out, stats) = run(&dir, &warm);
    assert_eq!(out, want);
    assert_eq!(
        compiled(&stats),
        0,
        "a warm start compiles nothing: {stats}"
    );
    assert!(
        counter(&stats, "girder cache:", "functions loaded") > 0,
        "{stats}"
    );

    // Every kind of damage at once, on a copy of the warm cache, each entry damaged one
    // way (in turn: a flipped byte in one region, a truncation, a foreign build id, or
    // another module's entry under its name): the run recompiles what it must, prints
    // what erl prints, and leaves a cache that checks out and is warm again.
    let cache = dir.join("damaged");
    copy_dir(&warm, &cache);
    let files = entries(&cache);
    let contents: Vec<Vec<u8>> = files.iter().map(|f| std::fs::read(f).unwrap()).collect();
    assert!(files.len() >= 8, "the program loads several modules");
    for (k, f) in files.iter().enumerate() {
        let mut d = contents[k].clone();
        let turn = k / 4;
        match k % 4 {
            0 => {
                // The header's fields, then the payload's start, middle and end.
                let at = [0, 9, 41, 73, 81, 112, d.len() / 2, d.len() - 1][turn % 8];
                d[at] ^= 0x20;
            }
            1 => d.truncate([0, 7, 60, 112, d.len() / 3, d.len() - 1][turn % 6]),
            2 => d[8..40].fill(0xab),
            _ => {
                // Swapped: the entry of the previous file in this group (or the next
                // one's, for the first).
                let other = if k >= 7 { k - 4 } else { k + 4 };
                d = contents[other.min(files.len() - 1)].clone();
                if d == contents[k] {
                    d.truncate(1);
                }
            }
        }
        std::fs::write(f, d).unwrap();
    }
    let (out, stats) = run(&dir, &cache);
    assert_eq!(out, want, "damaged cache");
    let rejected = counter(&stats, "girder cache:", "entries rejected");
    assert!(rejected as usize >= files.len() / 2, "damaged: {stats}");
    verify(&cache);
    let (out, stats) = run(&dir, &cache);
    assert_eq!(out, want, "damaged, then warm");
    assert_eq!(compiled(&stats), 0, "replaced entries are warm: {stats}");
}

#[test]
fn many_vms_fill_one_cache() {
    // Eight VMs at once on an empty cache (compiling hot functions only, as by default, to
    // keep the test short; each still writes the entries of the modules it compiled for).
    let (dir, want) = setup("native-cache-many");
    let cache = dir.join("cache");
    let runs: Vec<_> = (0..8)
        .map(|_| {
            let (dir, cache) = (dir.clone(), cache.clone());
            std::thread::spawn(move || run_with(&dir, &cache, "20").0)
        })
        .collect();
    for r in runs {
        assert_eq!(r.join().unwrap(), want);
    }
    verify(&cache);
    assert!(!entries(&cache).is_empty());
    let (out, stats) = run_with(&dir, &cache, "20");
    assert_eq!(out, want);
    assert!(
        counter(&stats, "girder cache:", "functions loaded") > 0,
        "{stats}"
    );
}
