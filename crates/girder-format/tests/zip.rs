//! Zip archives made by OTP's own `zip` module (the one `escript:create/2` uses): every
//! entry reads back as the bytes erl put in.

use girder_format::zip::Archive;
use girder_testkit::{erl_eval, scratch_dir};

#[test]
fn reads_archives_otp_makes() {
    let dir = scratch_dir("zip-otp");
    // Deflated (the default) and stored (`{compress, []}`), an empty file, a comment; each entry's contents are also written out for comparison.
    let expr = format!(
        r#"Files = [{{"a/ebin/m.beam", list_to_binary(lists:seq(0, 255) ++ lists:duplicate(5000, $x))}},
                   {{"a/priv/empty", <<>>}}, {{"top.txt", <<"top\n">>}}],
        {{ok, _}} = zip:create("{d}/deflated.zip", Files, [{{comment, "made by erl"}}]),
        {{ok, _}} = zip:create("{d}/stored.zip", Files, [{{compress, []}}]),
        [ok = file:write_file("{d}/" ++ integer_to_list(N), B)
         || {{N, {{_, B}}}} <- lists:zip(lists:seq(1, 3), Files)],
        halt()."#,
        d = dir.display()
    );
    erl_eval(&[], &expr);
    for zip in ["deflated.zip", "stored.zip"] {
        let archive = Archive::parse(std::fs::read(dir.join(zip)).unwrap()).unwrap();
        let names: Vec<&str> = archive.entries().iter().map(|e| e.name.as_str()).collect();
        assert_eq!(names, ["a/ebin/m.beam", "a/priv/empty", "top.txt"], "{zip}");
        for (n, name) in names.iter().enumerate() {
            let want = std::fs::read(dir.join((n + 1).to_string())).unwrap();
            let entry = archive.find(name).unwrap();
            let got = archive.read(entry).unwrap();
            Archive::check(entry, &got).unwrap();
            assert_eq!(got, want, "{zip}: {name}");
        }
    }
}
