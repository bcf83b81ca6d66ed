//! girder's preloaded Erlang modules (`lib/preloaded`): the committed `.beam` files, which
//! the binary embeds, are what `scripts/build-preloaded` makes of the sources now.

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;

use girder_testkit::{scratch_dir, workspace_root};

fn names(dir: &Path, ext: &str) -> BTreeSet<String> {
    std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == ext))
        .map(|p| p.file_stem().unwrap().to_string_lossy().into_owned())
        .collect()
}

#[test]
fn committed_beam_files_are_up_to_date() {
    let root = workspace_root();
    let src = root.join("lib/preloaded/src");
    let ebin = root.join("lib/preloaded/ebin");
    let fresh = scratch_dir("preloaded");
    let out = Command::new(root.join("scripts/build-preloaded"))
        .arg(&fresh)
        .output()
        .expect("run scripts/build-preloaded (needs erlc)");
    assert!(
        out.status.success(),
        "scripts/build-preloaded failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let modules = names(&src, "erl");
    assert!(modules.contains("init") && modules.contains("girder_user"));
    assert_eq!(
        names(&ebin, "beam"),
        modules,
        "lib/preloaded/ebin must hold exactly one .beam per source: run scripts/build-preloaded"
    );
    // The binary embeds every one of them.
    let embedded =
        std::fs::read_to_string(root.join("crates/girder-cli/src/preloaded.rs")).unwrap();
    for m in &modules {
        assert!(
            embedded.contains(&format!("lib/preloaded/ebin/{m}.beam")),
            "crates/girder-cli/src/preloaded.rs does not embed {m}.beam"
        );
    }
    for m in &modules {
        let file = format!("{m}.beam");
        let committed = std::fs::read(ebin.join(&file)).unwrap();
        let rebuilt = std::fs::read(fresh.join(&file)).unwrap();
        assert!(
            committed == rebuilt,
            "lib/preloaded/ebin/{file} is stale: run scripts/build-preloaded and commit the result"
        );
    }
}
