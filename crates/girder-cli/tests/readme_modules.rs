//! The README's list "OTP modules known to run" is the list of modules the corpus program
//! `tests/erlang/stdlib_smoke.erl` calls (its `modules/0`), which `erlang_programs.rs` runs
//! under girder and erl and compares: the list says exactly what the tests cover.

use girder_testkit::{erlang_test_file, workspace_root};

/// The atoms of `modules() -> [...]` in the smoke program.
fn smoke_modules() -> Vec<String> {
    let src = std::fs::read_to_string(erlang_test_file("erlang/stdlib_smoke.erl"))
        .expect("read stdlib_smoke.erl");
    let start = src
        .find("modules() ->")
        .expect("modules/0 in stdlib_smoke.erl");
    let list = &src[start..];
    let (open, close) = (list.find('[').unwrap(), list.find(']').unwrap());
    list[open + 1..close]
        .split(',')
        .map(|m| m.trim().to_string())
        .filter(|m| !m.is_empty())
        .collect()
}

/// The backquoted names on the line after the README's heading.
fn readme_modules() -> Vec<String> {
    let readme = std::fs::read_to_string(workspace_root().join("README.md")).expect("README");
    let mut lines = readme
        .lines()
        .skip_while(|l| !l.starts_with("## OTP modules known to run"));
    lines
        .next()
        .expect("README has a section \"OTP modules known to run\"");
    let line = lines
        .find(|l| l.starts_with('`'))
        .expect("the list of modules follows the heading");
    line.split('`')
        .skip(1)
        .step_by(2)
        .map(str::to_string)
        .collect()
}

#[test]
fn readme_lists_the_modules_the_smoke_test_runs() {
    let (smoke, readme) = (smoke_modules(), readme_modules());
    assert!(smoke.len() > 20, "modules/0 parsed: {smoke:?}");
    assert_eq!(
        readme, smoke,
        "README's \"OTP modules known to run\" must list stdlib_smoke:modules() in order"
    );
}
