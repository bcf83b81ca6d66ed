//! Every `.beam` of the installed OTP disassembles, and agrees with OTP's own `beam_disasm`:
//! the same functions, the same number of instructions, the same opcode for each.

use std::collections::BTreeMap;

use girder_format::{BeamFile, disasm};
use girder_testkit::{erl_eval, erlang_test_file, erlc, scratch_dir};

/// Parse the summary `otp_disasm.erl` writes: file -> lines after it.
fn reference(text: &str) -> BTreeMap<String, Vec<String>> {
    let mut files = BTreeMap::new();
    let mut current: Option<(String, Vec<String>)> = None;
    for line in text.lines() {
        if let Some(path) = line.strip_prefix("file ") {
            if let Some((f, l)) = current.take() {
                files.insert(f, l);
            }
            current = Some((path.to_owned(), Vec::new()));
        } else if let Some((_, lines)) = current.as_mut() {
            lines.push(line.to_owned());
        }
    }
    if let Some((f, l)) = current {
        files.insert(f, l);
    }
    files
}

/// The same summary from girder's listing: `function` lines kept, instructions cut to
/// their opcode name.
fn summary(listing: &str) -> Vec<String> {
    listing
        .lines()
        .filter(|l| !l.starts_with("module "))
        .map(|l| match l.strip_prefix("    ") {
            Some(ins) => ins.split(' ').next().unwrap().to_owned(),
            None => l.to_owned(),
        })
        .collect()
}

#[test]
fn all_of_otp_matches_beam_disasm() {
    let dir = scratch_dir("otp-disasm");
    erlc(&[&erlang_test_file("disasm/otp_disasm.erl")], &dir);
    let out = dir.join("summary.txt");
    erl_eval(
        &[&dir],
        &format!("otp_disasm:main([{:?}]).", out.display().to_string()),
    );
    let expected = reference(&std::fs::read_to_string(&out).unwrap());
    assert!(
        expected.len() > 500,
        "only {} .beam files found in OTP",
        expected.len()
    );

    let mut failures = Vec::new();
    for (file, want) in &expected {
        let bytes = std::fs::read(file).unwrap();
        let got = BeamFile::parse_file(&bytes, file).and_then(|b| disasm::listing(&b));
        match got {
            Err(e) => failures.push(format!("{e}")),
            Ok(text) => {
                let got = summary(&text);
                if &got != want {
                    let at = got
                        .iter()
                        .zip(want)
                        .position(|(a, b)| a != b)
                        .unwrap_or(got.len().min(want.len()));
                    failures.push(format!(
                        "{file}: first difference at line {at}: girder {:?}, beam_disasm {:?} ({} vs {} lines)",
                        got.get(at),
                        want.get(at),
                        got.len(),
                        want.len()
                    ));
                }
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} files differ:\n{}",
        failures.len(),
        expected.len(),
        failures
            .iter()
            .take(20)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
    );
    eprintln!("{} OTP modules match beam_disasm", expected.len());
}
