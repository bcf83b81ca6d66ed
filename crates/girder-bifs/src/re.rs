//! The `re` module's native half: `re:version/0`, `compile/1,2`, `run/2,3`,
//! `internal_run/4` and `inspect/2`, over PCRE2 (the `pcre2-sys` crate, built from the
//! PCRE2 source it vendors). OTP's own `re.beam` supplies `replace`, `split` and the rest,
//! unmodified, on top of these.
//!
//! What erts does by trapping to Erlang code in `re.beam` (`re:grun/3` for `global`,
//! `re:urun/3` and `re:ucompile/2` for Unicode character lists) is done here directly, with
//! the same results: the global loop retries an empty match anchored with
//! `notempty_atstart` and otherwise steps one character (a CRLF pair where the pattern's
//! newline convention includes CRLF), as `re:loopexec/8` does.
//!
//! A compiled pattern is `{re_pattern, Groups, Unicode, UseCRLF, Binary}` as in OTP; the
//! binary is girder's own (the pattern source and its compile options, OTP's holds PCRE 8's
//! compiled code), and the compiled code is kept in a cache keyed by it. Compile errors carry
//! PCRE 8's wording (the text OTP 25 reports) where PCRE2 has an error of the same meaning.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use girder_runtime::Process;
use girder_runtime::bif::{BifError, BifResult};
use girder_term::object as obj;
use girder_term::{Atom, Term};
use pcre2_sys::*;

use crate::Entry;
use crate::binaries::iolist_bytes;

pub const BIFS: &[Entry] = &[
    ("re", "version", 0, version),
    ("re", "compile", 1, |p, a| compile(p, a[0], Term::NIL)),
    ("re", "compile", 2, |p, a| compile(p, a[0], a[1])),
    ("re", "run", 2, |p, a| run(p, a[0], a[1], Term::NIL)),
    ("re", "run", 3, |p, a| run(p, a[0], a[1], a[2])),
    ("re", "internal_run", 4, |p, a| {
        if a[3] != Term::atom(Atom::TRUE) && a[3] != Term::atom(Atom::FALSE) {
            return Err(BifError::BADARG);
        }
        run(p, a[0], a[1], a[2])
    }),
    ("re", "inspect", 2, inspect),
];

const UNSET: usize = usize::MAX;

/// A compiled PCRE2 pattern and what `run` needs to know about it.
struct Code {
    code: *mut pcre2_code_8,
    groups: u32,
    use_crlf: bool,
    dupnames: bool,
    /// The name table, in PCRE2's order (by name, then group number).
    names: Vec<(Vec<u8>, u32)>,
}

// SAFETY: PCRE2 documents a compiled pattern as read-only once compiled: any number of
// threads may match against it at once, each with its own match data.
unsafe impl Send for Code {}
// SAFETY: as above.
unsafe impl Sync for Code {}

impl Drop for Code {
    fn drop(&mut self) {
        // SAFETY: `code` came from `pcre2_compile_8` and is freed once, here.
        unsafe { pcre2_code_free_8(self.code) }
    }
}

/// A pointer to `bytes`, or to a real byte when it is empty (an empty `Vec`'s pointer is
/// dangling, and PCRE2 may read the byte at the end of an empty subject).
fn nonempty(bytes: &[u8]) -> *const u8 {
    static EMPTY: [u8; 1] = [0];
    if bytes.is_empty() {
        EMPTY.as_ptr()
    } else {
        bytes.as_ptr()
    }
}

/// What a compile needs: the pattern and PCRE2's compile-time settings.
#[derive(Clone, PartialEq, Eq, Hash)]
struct Source {
    pattern: Vec<u8>,
    options: u32,
    newline: u32,
    bsr: u32,
}

const MAGIC: &[u8; 4] = b"GRE2";

impl Source {
    fn encode(&self) -> Vec<u8> {
        let mut out = MAGIC.to_vec();
        out.extend(self.options.to_le_bytes());
        out.push(self.newline as u8);
        out.push(self.bsr as u8);
        out.extend(&self.pattern);
        out
    }

    fn decode(bytes: &[u8]) -> Option<Source> {
        let rest = bytes.strip_prefix(MAGIC)?;
        if rest.len() < 6 {
            return None;
        }
        Some(Source {
            options: u32::from_le_bytes(rest[..4].try_into().ok()?),
            newline: u32::from(rest[4]),
            bsr: u32::from(rest[5]),
            pattern: rest[6..].to_vec(),
        })
    }
}

/// Compiled patterns by source, so a pattern compiled by `re:compile` (or given as text to
/// `re:run` again and again, as `re:replace` and `re:split` do) is compiled once.
static CACHE: Mutex<Option<HashMap<Source, Arc<Code>>>> = Mutex::new(None);
const CACHE_MAX: usize = 512;

/// A compile error: PCRE2's error code and the offset in the pattern.
struct CompileError {
    code: i32,
    offset: usize,
}

fn compile_source(src: &Source) -> Result<Arc<Code>, CompileError> {
    if let Some(code) = CACHE
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .as_ref()
        .and_then(|m| m.get(src))
    {
        return Ok(code.clone());
    }
    let mut err = 0i32;
    let mut offset = 0usize;
    // SAFETY: a fresh compile context (null general context: PCRE2's malloc), freed below.
    let ctx = unsafe { pcre2_compile_context_create_8(std::ptr::null_mut()) };
    if ctx.is_null() {
        return Err(CompileError {
            code: 121,
            offset: 0,
        });
    }
    // SAFETY: `ctx` is a live compile context; the values are PCRE2's own constants; the
    // tables are static, so they outlive every pattern compiled with them.
    unsafe {
        pcre2_set_character_tables_8(ctx, latin1_tables().as_ptr());
        if src.newline != 0 {
            pcre2_set_newline_8(ctx, src.newline);
        }
        if src.bsr != 0 {
            pcre2_set_bsr_8(ctx, src.bsr);
        }
    }
    // SAFETY: the pattern pointer and length describe a live slice; `err` and `offset` are
    // valid out-parameters; `ctx` is live.
    let code = unsafe {
        pcre2_compile_8(
            nonempty(&src.pattern),
            src.pattern.len(),
            src.options,
            &mut err,
            &mut offset,
            ctx,
        )
    };
    // SAFETY: `ctx` is not used after this; the compiled code does not refer to it.
    unsafe { pcre2_compile_context_free_8(ctx) };
    if code.is_null() {
        return Err(CompileError { code: err, offset });
    }
    let info = |what: u32| -> u32 {
        let mut v = 0u32;
        // SAFETY: `code` is live; every item asked for here is a uint32_t.
        unsafe { pcre2_pattern_info_8(code, what, (&mut v as *mut u32).cast()) };
        v
    };
    let groups = info(PCRE2_INFO_CAPTURECOUNT);
    let newline = info(PCRE2_INFO_NEWLINE);
    let all = info(PCRE2_INFO_ALLOPTIONS);
    let count = info(PCRE2_INFO_NAMECOUNT) as usize;
    let size = info(PCRE2_INFO_NAMEENTRYSIZE) as usize;
    if all & PCRE2_UTF != 0 {
        let mut bitmap: *const u8 = std::ptr::null();
        // SAFETY: `code` is live; FIRSTBITMAP is a pointer to 32 bytes or null.
        unsafe {
            pcre2_pattern_info_8(
                code,
                PCRE2_INFO_FIRSTBITMAP,
                (&mut bitmap as *mut *const u8).cast(),
            )
        };
        if !bitmap.is_null() {
            // PCRE2's study (`set_type_bits`) tests the space class instead of the class
            // at hand for the characters U+0080..U+00FF in UTF-8 mode, which only tables
            // with letters above 127 expose: `\w` would never start a match at `é`. Let
            // every character there start one (the bitmap only filters start positions;
            // more bits skip fewer, never change a result).
            // SAFETY: the bitmap is 32 bytes inside the compiled code, which nothing else
            // uses yet (it is shared only once this function returns).
            unsafe { *bitmap.cast_mut().add(0xc2 / 8) |= 0b1100 };
        }
    }
    let mut table: *const u8 = std::ptr::null();
    // SAFETY: `code` is live; NAMETABLE is a PCRE2_SPTR.
    unsafe {
        pcre2_pattern_info_8(
            code,
            PCRE2_INFO_NAMETABLE,
            (&mut table as *mut *const u8).cast(),
        )
    };
    let mut names = Vec::with_capacity(count);
    if count > 0 && !table.is_null() {
        // SAFETY: PCRE2 documents the name table as `count` entries of `size` bytes each,
        // living as long as the compiled code.
        let bytes = unsafe { std::slice::from_raw_parts(table, count * size) };
        for entry in bytes.chunks(size) {
            let group = u32::from(entry[0]) << 8 | u32::from(entry[1]);
            let name = &entry[2..];
            let end = name.iter().position(|&b| b == 0).unwrap_or(name.len());
            names.push((name[..end].to_vec(), group));
        }
    }
    let compiled = Arc::new(Code {
        code,
        groups,
        use_crlf: matches!(
            newline,
            PCRE2_NEWLINE_ANY | PCRE2_NEWLINE_CRLF | PCRE2_NEWLINE_ANYCRLF
        ),
        dupnames: all & PCRE2_DUPNAMES != 0,
        names,
    });
    let mut cache = CACHE.lock().unwrap_or_else(|e| e.into_inner());
    let map = cache.get_or_insert_with(HashMap::new);
    if map.len() >= CACHE_MAX {
        map.clear();
    }
    map.insert(src.clone(), compiled.clone());
    Ok(compiled)
}

/// PCRE2's character tables (the layout `pcre2_maketables` documents: lower-case map,
/// case-flip map, ten class bitmaps, a type byte per character) for ISO Latin-1, as OTP
/// builds its PCRE: `\w`, `[:alpha:]`, caseless matching and so on know the letters
/// U+00C0..U+00FF (and ª, µ, º) below 256, in Unicode mode as well, where PCRE2's default
/// tables know ASCII only.
fn latin1_tables() -> &'static [u8; 1088] {
    static TABLES: std::sync::OnceLock<[u8; 1088]> = std::sync::OnceLock::new();
    TABLES.get_or_init(|| {
        let upper = |c: u8| c.is_ascii_uppercase() || (0xc0..=0xde).contains(&c) && c != 0xd7;
        let lower = |c: u8| {
            c.is_ascii_lowercase()
                || matches!(c, 0xaa | 0xb5 | 0xba)
                || (0xdf..=0xff).contains(&c) && c != 0xf7
        };
        let alpha = |c: u8| upper(c) || lower(c);
        let digit = |c: u8| c.is_ascii_digit();
        let alnum = |c: u8| alpha(c) || digit(c);
        let space = |c: u8| (9..=13).contains(&c) || c == b' ';
        let cntrl = |c: u8| c < 32 || (127..160).contains(&c);
        let print = |c: u8| (32..127).contains(&c) || c >= 160;
        let graph = |c: u8| print(c) && c != b' ';
        let punct = |c: u8| graph(c) && !alnum(c);
        // The case partner: ASCII letters, and U+00C0..U+00DE with U+00E0..U+00FE (but the
        // multiplication and division signs).
        let to_lower = |c: u8| if upper(c) { c + 32 } else { c };
        let to_upper = |c: u8| {
            if c.is_ascii_lowercase() || (0xe0..=0xfe).contains(&c) && c != 0xf7 {
                c - 32
            } else {
                c
            }
        };
        let mut t = [0u8; 1088];
        for c in 0..=255u8 {
            let i = usize::from(c);
            t[i] = to_lower(c);
            t[256 + i] = if lower(c) { to_upper(c) } else { to_lower(c) };
            let bits = 512;
            let classes: [(usize, bool); 10] = [
                (0, space(c)),
                (32, c.is_ascii_hexdigit()),
                (64, digit(c)),
                (96, upper(c)),
                (128, lower(c)),
                (160, alnum(c) || c == b'_'),
                (192, graph(c)),
                (224, print(c)),
                (256, punct(c)),
                (288, cntrl(c)),
            ];
            for (offset, member) in classes {
                if member {
                    t[bits + offset + i / 8] |= 1 << (i % 8);
                }
            }
            t[832 + i] = u8::from(space(c))
                | u8::from(alpha(c)) << 1
                | u8::from(lower(c)) << 2
                | u8::from(digit(c)) << 3
                | u8::from(alnum(c) || c == b'_') << 4;
        }
        t
    })
}

/// The options of `compile` and `run`, parsed as erts parses them.
#[derive(Default)]
struct Opts {
    compile: u32,
    newline: u32,
    bsr: u32,
    flags: u32,
    unicode: bool,
    compile_only: bool,
    run_only: bool,
    global: bool,
    report_errors: bool,
    offset: usize,
    capture: Option<(Term, Term)>,
    match_limit: Option<u32>,
    depth_limit: Option<u32>,
}

/// erts' `term_to_int`: a small integer in 0..=INT_MAX.
fn int(t: Term) -> Option<u32> {
    t.as_small()
        .filter(|&n| (0..=i64::from(i32::MAX)).contains(&n))
        .map(|n| n as u32)
}

fn parse_options(mut list: Term) -> Option<Opts> {
    let mut o = Opts::default();
    while list.is_list() {
        let item = obj::head(list);
        list = obj::tail(list);
        if obj::is_tuple(item) {
            let el = obj::tuple_elements(item);
            let key = el.first().and_then(|t| t.as_atom());
            if el.len() == 3 && key == Some(Atom::intern("capture")) {
                o.capture = Some((el[1], el[2]));
                o.run_only = true;
                continue;
            }
            let (Some(key), 2) = (key, el.len()) else {
                return None;
            };
            let v = el[1];
            match key.name() {
                "capture" => {
                    o.capture = Some((v, Term::atom(Atom::intern("index"))));
                    o.run_only = true;
                }
                "offset" => {
                    o.offset = int(v)? as usize;
                    o.run_only = true;
                }
                "match_limit" => {
                    o.match_limit = Some(int(v)?);
                    o.run_only = true;
                }
                "match_limit_recursion" => {
                    o.depth_limit = Some(int(v)?);
                    o.run_only = true;
                }
                "newline" => {
                    o.newline = match v.as_atom()?.name() {
                        "cr" => PCRE2_NEWLINE_CR,
                        "crlf" => PCRE2_NEWLINE_CRLF,
                        "lf" => PCRE2_NEWLINE_LF,
                        "anycrlf" => PCRE2_NEWLINE_ANYCRLF,
                        "any" => PCRE2_NEWLINE_ANY,
                        _ => return None,
                    }
                }
                _ => return None,
            }
            continue;
        }
        let (c, f, compile_only) = match item.as_atom()?.name() {
            "anchored" => {
                o.compile |= PCRE2_ANCHORED;
                o.flags |= PCRE2_ANCHORED;
                continue;
            }
            "notempty" => (0, PCRE2_NOTEMPTY, false),
            "notempty_atstart" => (0, PCRE2_NOTEMPTY_ATSTART, false),
            "notbol" => (0, PCRE2_NOTBOL, false),
            "noteol" => (0, PCRE2_NOTEOL, false),
            "no_start_optimize" => (PCRE2_NO_START_OPTIMIZE, 0, true),
            "caseless" => (PCRE2_CASELESS, 0, true),
            "dollar_endonly" => (PCRE2_DOLLAR_ENDONLY, 0, true),
            "dotall" => (PCRE2_DOTALL, 0, true),
            "extended" => (PCRE2_EXTENDED, 0, true),
            "firstline" => (PCRE2_FIRSTLINE, 0, true),
            "multiline" => (PCRE2_MULTILINE, 0, true),
            "no_auto_capture" => (PCRE2_NO_AUTO_CAPTURE, 0, true),
            "dupnames" => (PCRE2_DUPNAMES, 0, true),
            "ungreedy" => (PCRE2_UNGREEDY, 0, true),
            "ucp" => (PCRE2_UCP, 0, true),
            "never_utf" => (PCRE2_NEVER_UTF, 0, true),
            "unicode" => {
                o.unicode = true;
                (PCRE2_UTF, 0, true)
            }
            "report_errors" => {
                o.report_errors = true;
                (0, 0, false)
            }
            "global" => {
                o.global = true;
                (0, 0, false)
            }
            "bsr_anycrlf" => {
                o.bsr = PCRE2_BSR_ANYCRLF;
                continue;
            }
            "bsr_unicode" => {
                o.bsr = PCRE2_BSR_UNICODE;
                continue;
            }
            _ => return None,
        };
        o.compile |= c;
        o.flags |= f;
        if compile_only {
            o.compile_only = true;
        } else {
            o.run_only = true;
        }
    }
    list.is_nil().then_some(o)
}

fn badopt() -> BifError {
    BifError::FailCause {
        reason: Term::atom(Atom::BADARG),
        cause: Atom::intern("badopt"),
    }
}

/// The bytes of iodata (a binary, or an iolist), as erts' `get_iolist_as_bytes`.
fn iodata(t: Term) -> Result<Vec<u8>, BifError> {
    if let Some(b) = obj::binary_bytes(t) {
        return Ok(b.to_vec());
    }
    let mut out = Vec::new();
    iolist_bytes(t, &mut out)?;
    Ok(out)
}

/// Unicode character data as UTF-8 (what `unicode:characters_to_binary/1` gives), or
/// `badarg` where that would return an error or incomplete tuple.
fn chardata(p: &mut Process, t: Term) -> Result<Vec<u8>, BifError> {
    if let Some(b) = obj::binary_bytes(t) {
        return std::str::from_utf8(b)
            .map(|_| b.to_vec())
            .map_err(|_| BifError::BADARG);
    }
    crate::unicode::chardata_utf8(p, t).ok_or(BifError::BADARG)
}

fn version(p: &mut Process, _: &[Term]) -> BifResult {
    let mut buf = [0u8; 64];
    // SAFETY: PCRE2_CONFIG_VERSION writes a NUL-terminated string of at most 24 code units.
    let n = unsafe { pcre2_config_8(PCRE2_CONFIG_VERSION, buf.as_mut_ptr().cast()) };
    let len = usize::try_from(n)
        .unwrap_or(1)
        .saturating_sub(1)
        .min(buf.len());
    Ok(obj::binary_from_bytes(&mut p.heap, &buf[..len]))
}

/// `{re_pattern, Groups, Unicode, UseCRLF, Binary}`.
fn pattern_term(p: &mut Process, src: &Source, code: &Code, unicode: bool) -> Term {
    let bin = obj::binary_from_bytes(&mut p.heap, &src.encode());
    obj::tuple(
        &mut p.heap,
        &[
            Term::atom(Atom::intern("re_pattern")),
            Term::small(i64::from(code.groups)),
            Term::small(i64::from(unicode)),
            Term::small(i64::from(code.use_crlf)),
            bin,
        ],
    )
}

/// `{Message, Offset}`, the message in PCRE 8's words where PCRE2 has the same error.
fn error_term(p: &mut Process, e: &CompileError) -> Term {
    let text = match pcre1_message(e.code) {
        Some(t) => t.to_string(),
        None => {
            let mut buf = [0u8; 256];
            // SAFETY: the buffer and its length are valid; PCRE2 writes a NUL-terminated text.
            let n = unsafe { pcre2_get_error_message_8(e.code, buf.as_mut_ptr(), buf.len()) };
            if n < 0 {
                format!("Unknown error ({})", e.code)
            } else {
                String::from_utf8_lossy(&buf[..n as usize]).into_owned()
            }
        }
    };
    let msg = crate::util::charlist(p, &text);
    obj::tuple(&mut p.heap, &[msg, Term::small(e.offset as i64)])
}

/// PCRE 8.44's text (the one OTP 25 bundles) for a PCRE2 compile error of the same meaning.
fn pcre1_message(code: i32) -> Option<&'static str> {
    if (PCRE2_ERROR_UTF8_ERR21..=PCRE2_ERROR_UTF8_ERR1).contains(&code) {
        return Some("invalid UTF-8 string");
    }
    Some(match code {
        101 => "\\ at end of pattern",
        102 => "\\c at end of pattern",
        103 => "unrecognized character follows \\",
        104 => "numbers out of order in {} quantifier",
        105 => "number too big in {} quantifier",
        106 => "missing terminating ] for character class",
        107 => "invalid escape sequence in character class",
        108 => "range out of order in character class",
        109 => "nothing to repeat",
        110 => "internal error: unexpected repeat",
        111 => "unrecognized character after (? or (?-",
        112 => "POSIX named classes are supported only within a class",
        113 => "POSIX collating elements are not supported",
        114 => "missing )",
        115 => "reference to non-existent subpattern",
        118 => "missing ) after comment",
        119 => "parentheses are too deeply nested",
        120 => "regular expression is too large",
        121 => "failed to get memory",
        122 => "unmatched parentheses",
        123 => "internal error: code overflow",
        125 => "lookbehind assertion is not fixed length",
        126 => "a numbered reference must not be zero",
        127 => "conditional group contains more than two branches",
        128 => "assertion expected after (?(",
        129 => "digit expected after (?+",
        130 => "unknown POSIX class name",
        133 => "parentheses are too deeply nested (stack check)",
        134 => "character value in \\x{} or \\o{} is too large",
        136 => "\\C not allowed in lookbehind assertion",
        137 => "PCRE does not support \\L, \\l, \\N{name}, \\U, or \\u",
        138 => "number after (?C is > 255",
        139 => "closing ) for (?C expected",
        141 => "unrecognized character after (?P",
        142 => "syntax error in subpattern name (missing terminator)",
        143 => "two named subpatterns have the same name",
        144 => "group name must start with a non-digit",
        146 => "malformed \\P or \\p sequence",
        147 => "unknown property name after \\P or \\p",
        148 => "subpattern name is too long (maximum 32 characters)",
        149 => "too many named subpatterns (maximum 10000)",
        150 => "invalid range in character class",
        151 => "octal value is greater than \\377 in 8-bit non-UTF-8 mode",
        154 => "DEFINE group contains more than one branch",
        155 => "missing opening brace after \\o",
        157 => {
            "\\g is not followed by a braced, angle-bracketed, or quoted name/number or by a plain number"
        }
        158 => "(?R or (?[+-]digits must be followed by )",
        160 => "(*VERB) not recognized or malformed",
        161 => "number is too big",
        162 => "subpattern name expected",
        164 => "non-octal character in \\o{} (closing brace missing?)",
        165 => "different names for subpatterns of the same number are not allowed",
        166 => "(*MARK) must have an argument",
        167 => "non-hex character in \\x{} (closing brace missing?)",
        168 => "\\c must be followed by an ASCII character",
        169 => "\\k is not followed by a braced, angle-bracketed, or quoted name",
        171 => "\\N is not supported in a class",
        173 => "disallowed Unicode code point (>= 0xd800 && <= 0xdfff)",
        174 => "setting UTF is disabled by the application",
        176 => "name is too long in (*MARK), (*PRUNE), (*SKIP), or (*THEN)",
        177 => "character value in \\u.... sequence is too large",
        178 => "digits missing in \\x{} or \\o{}",
        _ => return None,
    })
}

/// The pattern `re` (chardata with `unicode`, else iodata) with the compile options of `o`.
fn source(p: &mut Process, re: Term, o: &Opts) -> Result<Source, BifError> {
    let pattern = if o.unicode && !obj::is_bitstring(re) {
        chardata(p, re)?
    } else {
        iodata(re)?
    };
    Ok(Source {
        pattern,
        options: o.compile,
        newline: o.newline,
        bsr: o.bsr,
    })
}

fn compile(p: &mut Process, re: Term, options: Term) -> BifResult {
    let o = parse_options(options).ok_or_else(badopt)?;
    if o.run_only {
        return Err(badopt());
    }
    let src = source(p, re, &o)?;
    let result = match compile_source(&src) {
        Ok(code) => {
            let t = pattern_term(p, &src, &code, o.unicode);
            (Atom::OK, t)
        }
        Err(e) => (Atom::ERROR, error_term(p, &e)),
    };
    Ok(obj::tuple(&mut p.heap, &[Term::atom(result.0), result.1]))
}

/// A compiled pattern term's source and Unicode flag, or `None` if `t` is not one.
fn precompiled(t: Term) -> Option<(Source, bool)> {
    let el = obj::tuple_elements(t);
    if el[0] != Term::atom(Atom::intern("re_pattern"))
        || !el[1].is_small()
        || !el[2].is_small()
        || !el[3].is_small()
    {
        return None;
    }
    let src = Source::decode(obj::binary_bytes(el[4])?)?;
    Some((src, el[2].small_value() != 0))
}

/// What to return for each match, as erts' `ReturnInfo`.
enum Values {
    /// `none`, `[]`, or `all_names` of a pattern without names: the atom `match`.
    None,
    /// `all` (0) or `all_but_first` (1): the groups from this one to the last set one.
    From(usize),
    /// Chosen groups; a name shared by several groups (`dupnames`) picks the first set one.
    Chosen(Vec<Vec<i64>>),
}

#[derive(Clone, Copy, PartialEq)]
enum Kind {
    Index,
    List,
    Binary,
}

fn name_groups(code: &Code, name: &[u8]) -> Vec<i64> {
    let found: Vec<i64> = code
        .names
        .iter()
        .filter(|(n, _)| n == name)
        .map(|&(_, g)| i64::from(g))
        .collect();
    if found.is_empty() {
        vec![-1]
    } else if code.dupnames {
        found
    } else {
        found[..1].to_vec()
    }
}

fn capture_spec(spec: (Term, Term), code: &Code) -> Option<(Values, Kind)> {
    let kind = match spec.1.as_atom()?.name() {
        "index" => Kind::Index,
        "list" => Kind::List,
        "binary" => Kind::Binary,
        _ => return None,
    };
    let values = spec.0;
    let v = match values.as_atom().map(|a| a.name()) {
        Some("all") => Values::From(0),
        Some("none") => Values::None,
        Some("all_but_first") => Values::From(1),
        Some("first") => Values::Chosen(vec![vec![0]]),
        Some("all_names") => {
            if code.names.is_empty() {
                Values::None
            } else {
                let mut chosen = Vec::new();
                let mut last: Option<&[u8]> = None;
                for (name, group) in &code.names {
                    if code.dupnames {
                        if last != Some(name.as_slice()) {
                            chosen.push(name_groups(code, name));
                        }
                    } else {
                        chosen.push(vec![i64::from(*group)]);
                    }
                    last = Some(name);
                }
                Values::Chosen(chosen)
            }
        }
        Some(_) => return None,
        None if values.is_nil() => Values::None,
        None if values.is_list() => {
            let mut chosen = Vec::new();
            let mut l = values;
            while l.is_list() {
                let item = obj::head(l);
                l = obj::tail(l);
                if let Some(n) = int(item) {
                    chosen.push(vec![i64::from(n)]);
                } else if let Some(a) = item.as_atom() {
                    chosen.push(name_groups(code, a.name().as_bytes()));
                } else if obj::is_bitstring(item) || item.is_list() || item.is_nil() {
                    let mut name = iodata(item).ok()?;
                    if let Some(nul) = name.iter().position(|&b| b == 0) {
                        name.truncate(nul);
                    }
                    chosen.push(name_groups(code, &name));
                } else {
                    return None;
                }
            }
            if !l.is_nil() {
                return None;
            }
            Values::Chosen(chosen)
        }
        None => return None,
    };
    Some((v, kind))
}

/// One successful match: the number of pairs set (PCRE2's return code) and the ovector.
struct Found {
    rc: usize,
    ovector: Vec<(usize, usize)>,
}

enum MatchError {
    NoMatch,
    MatchLimit,
    DepthLimit,
    Badarg,
}

struct Matcher<'a> {
    code: &'a Code,
    subject: &'a [u8],
    match_limit: Option<u32>,
    depth_limit: Option<u32>,
}

impl Matcher<'_> {
    fn run(&self, offset: usize, flags: u32) -> Result<Found, MatchError> {
        if offset > self.subject.len() {
            return Err(MatchError::Badarg);
        }
        // SAFETY: the code is live; a null general context means PCRE2's malloc.
        let md =
            unsafe { pcre2_match_data_create_from_pattern_8(self.code.code, std::ptr::null_mut()) };
        if md.is_null() {
            return Err(MatchError::Badarg);
        }
        let mut mctx = std::ptr::null_mut();
        if self.match_limit.is_some() || self.depth_limit.is_some() {
            // SAFETY: a fresh match context, freed below.
            mctx = unsafe { pcre2_match_context_create_8(std::ptr::null_mut()) };
            if !mctx.is_null() {
                // SAFETY: `mctx` is live.
                unsafe {
                    if let Some(n) = self.match_limit {
                        pcre2_set_match_limit_8(mctx, n);
                    }
                    if let Some(n) = self.depth_limit {
                        pcre2_set_depth_limit_8(mctx, n);
                    }
                }
            }
        }
        // SAFETY: the subject pointer and length describe a live slice; `md` was created for
        // this pattern; `mctx` is null or live. No PCRE2_NO_UTF_CHECK: PCRE2 checks UTF-8.
        let ptr = nonempty(self.subject);
        // SAFETY: as above.
        let rc = unsafe {
            pcre2_match_8(
                self.code.code,
                ptr,
                self.subject.len(),
                offset,
                flags,
                md,
                mctx,
            )
        };
        let result = if rc > 0 {
            // SAFETY: `md` is live; its ovector holds `count` pairs.
            let (ptr, count) = unsafe {
                (
                    pcre2_get_ovector_pointer_8(md),
                    pcre2_get_ovector_count_8(md) as usize,
                )
            };
            // SAFETY: as above: `2 * count` PCRE2_SIZE values.
            let ov = unsafe { std::slice::from_raw_parts(ptr, 2 * count) };
            Ok(Found {
                rc: rc as usize,
                ovector: ov.chunks(2).map(|c| (c[0], c[1])).collect(),
            })
        } else {
            Err(match rc {
                PCRE2_ERROR_NOMATCH | PCRE2_ERROR_HEAPLIMIT | PCRE2_ERROR_RECURSELOOP => {
                    MatchError::NoMatch
                }
                PCRE2_ERROR_MATCHLIMIT => MatchError::MatchLimit,
                PCRE2_ERROR_DEPTHLIMIT => MatchError::DepthLimit,
                _ => MatchError::Badarg,
            })
        };
        // SAFETY: neither is used after this.
        unsafe {
            if !mctx.is_null() {
                pcre2_match_context_free_8(mctx);
            }
            pcre2_match_data_free_8(md);
        }
        result
    }
}

/// The subject as bytes, and the binary it came from (for sub-binaries in the result).
/// A binary's bytes are borrowed: nothing collects the heap while a BIF runs.
struct Subject<'a> {
    bytes: std::borrow::Cow<'a, [u8]>,
    binary: Option<Term>,
}

fn run(p: &mut Process, subject: Term, re: Term, options: Term) -> BifResult {
    let o = parse_options(options).ok_or_else(badopt)?;
    let (src, unicode) = if obj::is_tuple(re) && obj::tuple_arity(re) == 5 {
        if o.compile_only {
            return Err(BifError::BADARG);
        }
        let (mut src, unicode) = precompiled(re).ok_or(BifError::BADARG)?;
        // PCRE 8 took `newline` and `bsr` at match time too; PCRE2 only at compile time.
        if o.newline != 0 {
            src.newline = o.newline;
        }
        if o.bsr != 0 {
            src.bsr = o.bsr;
        }
        (src, unicode)
    } else {
        if !(obj::is_bitstring(re) || re.is_list() || re.is_nil()) {
            return Err(BifError::BADARG);
        }
        (source(p, re, &o)?, o.unicode)
    };
    let code = match compile_source(&src) {
        Ok(code) => code,
        Err(e) if o.report_errors => {
            let err = error_term(p, &e);
            let compile = Term::atom(Atom::intern("compile"));
            let inner = obj::tuple(&mut p.heap, &[compile, err]);
            return Ok(obj::tuple(&mut p.heap, &[Term::atom(Atom::ERROR), inner]));
        }
        Err(_) => return Err(BifError::BADARG),
    };
    let (values, kind) = match o.capture {
        Some(spec) => capture_spec(spec, &code).ok_or(BifError::BADARG)?,
        None => (Values::From(0), Kind::Index),
    };
    let subj = if unicode && !obj::is_bitstring(subject) {
        Subject {
            bytes: chardata(p, subject)?.into(),
            binary: None,
        }
    } else if let Some(b) = obj::binary_bytes(subject) {
        Subject {
            bytes: b.into(),
            binary: Some(subject),
        }
    } else {
        Subject {
            bytes: iodata(subject)?.into(),
            binary: None,
        }
    };
    if unicode && std::str::from_utf8(&subj.bytes).is_err() {
        return Err(BifError::BADARG);
    }
    let m = Matcher {
        code: &code,
        subject: &subj.bytes,
        match_limit: o.match_limit,
        depth_limit: o.depth_limit,
    };
    let limit_error = |p: &mut Process, e: MatchError| -> BifResult {
        let reason = match e {
            MatchError::MatchLimit if o.report_errors => "match_limit",
            MatchError::DepthLimit if o.report_errors => "match_limit_recursion",
            MatchError::Badarg => return Err(BifError::BADARG),
            _ => return Ok(Term::atom(Atom::intern("nomatch"))),
        };
        let r = Term::atom(Atom::intern(reason));
        Ok(obj::tuple(&mut p.heap, &[Term::atom(Atom::ERROR), r]))
    };
    let matched = Term::atom(Atom::intern("match"));
    if !o.global {
        return match m.run(o.offset, o.flags) {
            Ok(found) => {
                if matches!(values, Values::None) {
                    return Ok(matched);
                }
                let r = result(p, &found, &values, kind, &subj, unicode);
                Ok(obj::tuple(&mut p.heap, &[matched, r]))
            }
            Err(e) => limit_error(p, e),
        };
    }
    // `global`, as re:grun/3 and re:loopexec/8 do it.
    let len = subj.bytes.len();
    let mut x = o.offset;
    let mut all = Vec::new();
    while x <= len {
        let found = match m.run(x, o.flags) {
            Ok(f) => f,
            Err(MatchError::Badarg) => return Err(BifError::BADARG),
            Err(e @ (MatchError::MatchLimit | MatchError::DepthLimit)) if o.report_errors => {
                return limit_error(p, e);
            }
            Err(_) => break,
        };
        let (a, b) = found.ovector[0];
        let end = b - a;
        all.push(found);
        if end > 0 {
            x = a + end;
            continue;
        }
        let retry = m.run(x, o.flags | PCRE2_ANCHORED | PCRE2_NOTEMPTY_ATSTART);
        match retry {
            Ok(f) if f.ovector[0].1 > f.ovector[0].0 => {
                x = a + (f.ovector[0].1 - f.ovector[0].0);
                all.push(f);
            }
            Ok(f) => {
                all.push(f);
                x = forward(&subj.bytes, a, unicode, code.use_crlf);
            }
            Err(MatchError::Badarg) => return Err(BifError::BADARG),
            Err(_) => x = forward(&subj.bytes, a, unicode, code.use_crlf),
        }
    }
    if all.is_empty() {
        return Ok(Term::atom(Atom::intern("nomatch")));
    }
    if matches!(values, Values::None) {
        return Ok(matched);
    }
    let mut items = Vec::with_capacity(all.len());
    for found in &all {
        items.push(result(p, found, &values, kind, &subj, unicode));
    }
    let list = obj::list_from_slice(&mut p.heap, &items, Term::NIL);
    Ok(obj::tuple(&mut p.heap, &[matched, list]))
}

/// One character on from `a`: a CRLF pair as one where the newline convention has CRLF,
/// a whole UTF-8 sequence in Unicode mode (re:forward/5).
fn forward(s: &[u8], a: usize, unicode: bool, crlf: bool) -> usize {
    if crlf && s.get(a..a + 2) == Some(b"\r\n") {
        return a + 2;
    }
    if unicode {
        return a + match s.get(a) {
            Some(b) if b & 0xe0 == 0xc0 => 2,
            Some(b) if b & 0xf0 == 0xe0 => 3,
            Some(b) if b & 0xf8 == 0xf0 => 4,
            _ => 1,
        };
    }
    a + 1
}

/// The captured part of one group: `None` when unset or beyond the last set group.
fn part(found: &Found, group: i64) -> Option<(usize, usize)> {
    let g = usize::try_from(group).ok()?;
    if g >= found.rc {
        return None;
    }
    let (s, e) = *found.ovector.get(g)?;
    (s != UNSET).then_some((s, e - s))
}

fn result(
    p: &mut Process,
    found: &Found,
    values: &Values,
    kind: Kind,
    subj: &Subject<'_>,
    unicode: bool,
) -> Term {
    let parts: Vec<Option<(usize, usize)>> = match values {
        Values::None => Vec::new(),
        Values::From(first) => (*first..found.rc).map(|g| part(found, g as i64)).collect(),
        Values::Chosen(chosen) => chosen
            .iter()
            .map(|groups| {
                if groups.len() == 1 {
                    part(found, groups[0])
                } else {
                    // Several groups share the name: the first one set.
                    groups.iter().find_map(|&g| {
                        let g2 = usize::try_from(g).ok()?;
                        found
                            .ovector
                            .get(g2)
                            .is_some_and(|&(s, _)| s != UNSET)
                            .then(|| part(found, g))
                            .flatten()
                    })
                }
            })
            .collect(),
    };
    let mut items = Vec::with_capacity(parts.len());
    for part in parts {
        let t = match kind {
            Kind::Index => {
                let (s, l) = part.map_or((-1, 0), |(s, l)| (s as i64, l as i64));
                obj::tuple(&mut p.heap, &[Term::small(s), Term::small(l)])
            }
            Kind::Binary => match (part, subj.binary) {
                (Some((s, l)), Some(bin)) => obj::sub_binary(&mut p.heap, bin, s * 8, l * 8),
                (Some((s, l)), None) => obj::binary_from_bytes(&mut p.heap, &subj.bytes[s..s + l]),
                (None, _) => obj::binary_from_bytes(&mut p.heap, &[]),
            },
            Kind::List => {
                let bytes = part.map_or(&[][..], |(s, l)| &subj.bytes[s..s + l]);
                let chars: Vec<Term> = if unicode {
                    String::from_utf8_lossy(bytes)
                        .chars()
                        .map(|c| Term::small(i64::from(u32::from(c))))
                        .collect()
                } else {
                    bytes.iter().map(|&b| Term::small(i64::from(b))).collect()
                };
                obj::list_from_slice(&mut p.heap, &chars, Term::NIL)
            }
        };
        items.push(t);
    }
    obj::list_from_slice(&mut p.heap, &items, Term::NIL)
}

fn inspect(p: &mut Process, a: &[Term]) -> BifResult {
    if !(obj::is_tuple(a[0]) && obj::tuple_arity(a[0]) == 5)
        || a[1] != Term::atom(Atom::intern("namelist"))
    {
        return Err(BifError::BADARG);
    }
    let (src, _) = precompiled(a[0]).ok_or(BifError::BADARG)?;
    let code = compile_source(&src).map_err(|_| BifError::BADARG)?;
    let mut names: Vec<&[u8]> = Vec::new();
    for (name, _) in &code.names {
        if names.last() != Some(&name.as_slice()) {
            names.push(name);
        }
    }
    let items: Vec<Term> = names
        .iter()
        .map(|n| obj::binary_from_bytes(&mut p.heap, n))
        .collect();
    let list = obj::list_from_slice(&mut p.heap, &items, Term::NIL);
    Ok(obj::tuple(
        &mut p.heap,
        &[Term::atom(Atom::intern("namelist")), list],
    ))
}
