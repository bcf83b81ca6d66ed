//! Every module of OTP 25's stdlib, kernel and compiler loads: all its instructions translate
//! and every index checks out.

use girder_testkit::erl_eval;

#[test]
fn stdlib_kernel_and_compiler_load() {
    let out = erl_eval(
        &[],
        "io:put_chars(lists:join($\\n, [code:lib_dir(A, ebin) || A <- [stdlib, kernel, compiler]])), halt().",
    );
    let dirs = String::from_utf8(out).unwrap();
    let mut loaded = 0;
    let mut failures = Vec::new();
    for dir in dirs.lines() {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_none_or(|e| e != "beam") {
                continue;
            }
            let bytes = std::fs::read(&path).unwrap();
            match girder_runtime::code_server::load_bytes(&path.display().to_string(), &bytes) {
                Ok(_) => loaded += 1,
                Err(e) => failures.push(e.to_string()),
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} modules failed to load:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert!(loaded > 200, "only {loaded} modules found");
    eprintln!("{loaded} OTP modules loaded");
}
