//! AtomVM `.avm` packs ("packbeam" files): a header, then named sections holding `.beam`
//! modules and plain files, then an `end` marker.
//!
//! The layout below was checked against AtomVM's loader (`src/libAtomVM/avmpack.c` and
//! `avmpack.h`), its format document (`doc/src/packbeam-format.md`) and the reference
//! packer, `atomvm_packbeam` (`src/packbeam_api.erl`).
//!
//! # Pack header
//!
//! Exactly 24 bytes: the 22 ASCII bytes `#!/usr/bin/env AtomVM\n` and two NUL bytes
//! ([`HEADER`]). AtomVM's `avmpack_is_valid` compares all 24 and nothing else.
//!
//! # Sections
//!
//! Sections follow back to back from byte 24. All integers are big-endian u32. Each is:
//!
//! | bytes | field |
//! | --- | --- |
//! | 4 | `size`: of the **whole** section, counted from its first byte: this 12-byte header, the name, the name's padding, the data and the data's padding |
//! | 4 | `flags` (below) |
//! | 4 | reserved: written as 0 and ignored by every reader |
//! | n + 1 | the name, NUL-terminated |
//! | 0–3 | NUL padding, so that the data starts on a 4-byte boundary (AtomVM skips `pad4(strlen(name) + 1)` bytes after the 12-byte header) |
//! | … | the data, then 0–3 NUL bytes so that `size` is a multiple of 4 |
//!
//! The next section starts at this section's offset plus `size` (AtomVM's `avmpack_fold`
//! does exactly `offset += size`; packbeam computes `size` as header + name padding + data +
//! data padding). The format document's phrase "size of the encoded file following the
//! header" is loose: the reference code includes the header. AtomVM reads the headers as
//! aligned 32-bit words, so `size` must be a multiple of 4; this reader insists on it.
//!
//! Section names are file names without directories: `module.beam` for a module, and
//! `app/priv/path` for a plain file that `atomvm:read_priv(app, "path")` returns.
//! AtomVM resolves a module `m` by looking up the section named `m.beam`; the first match
//! wins.
//!
//! # Flags
//!
//! [`BEAM_CODE`] (2) marks a `.beam` module, [`BEAM_START`] (1) a module exporting `start/0`
//! that may start the application. packbeam writes `3` for the start module it is given
//! (or, when given none, for every module exporting `start/0`), puts that module first, and
//! writes `2` for other modules. AtomVM starts the first section whose flags contain
//! [`BEAM_START`].
//! [`NORMAL_FILE`] (4) is packbeam's flag for a plain file; AtomVM itself never tests it.
//! Flags 0 mark the end (AtomVM's `END_OF_FILE`; its JIT code looks the end up as the
//! section whose low byte of flags, `END_OF_FILE_MASK` = 0xFF, is 0).
//!
//! # The `end` marker
//!
//! The pack ends with a section of size 0, flags 0, reserved 0, named `end`: the 16 bytes
//! `00000000 00000000 00000000 656E6400`. AtomVM's `avmpack_fold` stops at the first size
//! of 0 and its `avmpack_find_section_*` functions stop after the first flags of 0, so a pack
//! without the marker makes AtomVM read past its end: [`parse`] requires it. AtomVM's JIT
//! cache renames the marker to `END` in flash once its compiled code is valid; both names
//! are accepted. Bytes after the marker (erased flash, say) are ignored.
//!
//! # Section data
//!
//! A module's data is a complete IFF `.beam` file (`FOR1` size `BEAM` chunks…), possibly
//! followed by up to 3 NUL bytes of padding; the `FOR1` size tells its true length (see
//! [`AvmSection::contents`]).
//!
//! A plain file's data is a big-endian u32 byte length, then that many bytes of contents,
//! then padding: `atomvm:read_priv/2` reads the length word and returns the bytes after it
//! (see [`normal_file_data`] and [`AvmSection::contents`]).
//!
//! # What packbeam does to modules
//!
//! packbeam does not store `.beam` files as `erlc` wrote them. It rebuilds each with
//! `beam_lib:build_module/1`, keeping only the chunks `AtU8`, `Code`, `ExpT`, `LocT`,
//! `ImpT`, `LitU`, `FunT`, `StrT`, `LitT`, `avmN`, `Type` and `Recs` (plus `Line` when asked
//! to keep line numbers); everything else (`Attr`, `CInf`, `Dbgi`, `Docs`, `Meta`, `ExCk`,
//! the old Latin-1 `Atom` chunk, …) is dropped. A compressed `LitT` is replaced by an
//! uncompressed `LitU` chunk, because AtomVM may be built without zlib. So a module read
//! from a pack has `LitU` or `LitT` or neither, and usually no `Line`, `Attr` or `CInf`.
//!
//! ## LitU
//!
//! The `LitU` chunk's data (after the usual 8-byte chunk header) is exactly the
//! **decompressed payload of `LitT`, without `LitT`'s leading u32 uncompressed size**:
//!
//! ```text
//! LitU data = count:u32  { size:u32  etf:[u8; size] } × count
//! ```
//!
//! Each `etf` is a complete external-term-format encoding as `term_to_binary/1` writes it,
//! starting with the version byte 131. packbeam builds it as `zlib:uncompress(Z)` where
//! `LitT = <<UncompressedSize:32, Z/binary>>`, and AtomVM reads it by taking the literal
//! count from the first word after the chunk header (`module_build_literals_table` on
//! `LitU` data + 8). For comparison:
//!
//! ```text
//! LitT data = uncompressed_size:u32  zlib(LitU data)         when uncompressed_size != 0
//! LitT data = 0:u32                  LitU data (uncompressed) when uncompressed_size == 0
//! ```
//!
//! The second `LitT` form (a zero size word before uncompressed literals, as newer OTP
//! releases write) is accepted by AtomVM and kept as `LitT` by packbeam.

use crate::error::{Error, Result};
use crate::reader::Reader;

/// The 24-byte pack header: `#!/usr/bin/env AtomVM\n` and two NUL bytes.
pub const HEADER: [u8; 24] = *b"#!/usr/bin/env AtomVM\n\0\0";

/// Section flag: this `.beam` module exports `start/0` and may start the application
/// (AtomVM's `BEAM_START_FLAG`). packbeam sets it together with [`BEAM_CODE`].
pub const BEAM_START: u32 = 1;

/// Section flag: the data is a `.beam` module (AtomVM's `BEAM_CODE_FLAG`).
pub const BEAM_CODE: u32 = 2;

/// Section flag: the data is a plain file behind a u32 length (packbeam's
/// `NORMAL_FILE_FLAG`; AtomVM does not look at it).
pub const NORMAL_FILE: u32 = 4;

/// The flags of the `end` marker (AtomVM's `END_OF_FILE`).
pub const END: u32 = 0;

/// The name packbeam gives the end marker.
pub const END_NAME: &str = "end";

/// Bytes of a section header before the name: size, flags, reserved.
const FIXED_HEADER: usize = 12;

/// One named member of a pack.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AvmSection {
    /// The section name, e.g. `mymod.beam` or `myapp/priv/config.txt`.
    pub name: String,
    /// The flags word: a combination of [`BEAM_START`], [`BEAM_CODE`], [`NORMAL_FILE`].
    pub flags: u32,
    /// Absolute offset of [`data`](Self::data) in the pack.
    pub offset: usize,
    /// Everything from the end of the name padding to the end of the section, trailing
    /// padding included; [`contents`](Self::contents) removes the padding.
    pub data: Vec<u8>,
}

impl AvmSection {
    /// True for a `.beam` module: the [`BEAM_CODE`] flag is set, or the data starts with
    /// an IFF `FOR1 … BEAM` header.
    pub fn is_beam(&self) -> bool {
        self.flags & BEAM_CODE != 0 || is_beam_header(&self.data)
    }

    /// True when the [`BEAM_START`] flag is set.
    pub fn is_start(&self) -> bool {
        self.flags & BEAM_START != 0
    }

    /// The section name without a trailing `.beam`: the module name of a module.
    pub fn module_name(&self) -> &str {
        self.name.strip_suffix(".beam").unwrap_or(&self.name)
    }

    /// The member without its padding.
    ///
    /// For a module whose data starts with `FOR1`, the `.beam` file: `8 + ` the `FOR1` size
    /// bytes. For any other section, the plain-file contents: the bytes after the leading
    /// u32 length, as many as it says (what `atomvm:read_priv/2` returns). Errors, naming
    /// the section as the file, when the length word is missing or runs past the section.
    pub fn contents(&self) -> Result<&[u8]> {
        let mut r = Reader::new(&self.data, self.offset);
        let is_iff = self.data.starts_with(b"FOR1");
        let what = if is_iff {
            "FOR1 size"
        } else {
            "plain file length"
        };
        if is_iff {
            r.skip(4, "FOR1 tag").map_err(|e| e.in_file(&self.name))?;
        }
        let at = r.offset();
        let len = r.u32(what).map_err(|e| e.in_file(&self.name))? as usize;
        // A `.beam` file is its 8-byte IFF header and `len` more bytes; a plain file's
        // contents follow its 4-byte length.
        let (start, end) = if is_iff {
            (0, len.checked_add(8))
        } else {
            (4, len.checked_add(4))
        };
        end.and_then(|end| self.data.get(start..end))
            .ok_or_else(|| {
                Error::new(
                    at,
                    format!(
                        "{what} {len} runs past the section's {} data bytes",
                        self.data.len()
                    ),
                )
                .in_file(&self.name)
            })
    }
}

/// A parsed pack: its sections in file order, without the end marker.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AvmPack {
    /// The sections, in file order.
    pub sections: Vec<AvmSection>,
    /// Bytes the pack occupies, end marker included; anything after is ignored.
    pub len: usize,
}

impl AvmPack {
    /// The section AtomVM would start: the first with the [`BEAM_START`] flag.
    pub fn start_section(&self) -> Option<&AvmSection> {
        self.sections.iter().find(|s| s.is_start())
    }

    /// The first section with this name, as AtomVM looks sections up.
    pub fn section(&self, name: &str) -> Option<&AvmSection> {
        self.sections.iter().find(|s| s.name == name)
    }

    /// The section of module `module` (named `module.beam`).
    pub fn module(&self, module: &str) -> Option<&AvmSection> {
        self.sections
            .iter()
            .find(|s| s.name.strip_suffix(".beam") == Some(module))
    }
}

fn is_beam_header(data: &[u8]) -> bool {
    data.starts_with(b"FOR1") && data.get(8..12) == Some(b"BEAM")
}

/// Round up to a multiple of 4.
fn pad4(n: usize) -> usize {
    n.div_ceil(4) * 4
}

/// True when `bytes` starts with the 24-byte pack [`HEADER`] (what AtomVM checks).
pub fn is_avm(bytes: &[u8]) -> bool {
    bytes.starts_with(&HEADER)
}

/// Parse a pack: check the header, then read sections up to the `end` marker.
///
/// Strict where AtomVM would misbehave: every error names the absolute byte offset. It
/// fails on a wrong header; a truncated section header, name or name padding; a name
/// without a NUL before the section or file ends, or not UTF-8; a section size smaller
/// than its header, not a multiple of 4, or running past the file; a section of size 0
/// that is not the end marker (AtomVM would loop on it); flags 0 on any section but the end
/// marker (AtomVM stops looking there); and a pack without the end marker. The end marker
/// must have flags 0, be named `end` or `END`, and have size 0 (as packbeam writes it) or
/// exactly its own header length. The reserved word and padding bytes are not checked.
///
/// Copies each section's data once, so the result is never larger than the input.
pub fn parse(bytes: &[u8]) -> Result<AvmPack> {
    if !is_avm(bytes) {
        let shown = String::from_utf8_lossy(&bytes[..bytes.len().min(HEADER.len())]);
        return Err(Error::new(
            0,
            format!(
                "not an AtomVM pack: expected the 24-byte header \"#!/usr/bin/env AtomVM\\n\" and 2 NUL bytes, found {shown:?}"
            ),
        ));
    }
    let mut sections = Vec::new();
    let mut at = HEADER.len();
    loop {
        if at == bytes.len() {
            return Err(Error::new(
                at,
                "missing end section: the pack stops without the end marker (size 0, flags 0, name \"end\")",
            ));
        }
        let mut r = Reader::new(&bytes[at..], at);
        let size = r.u32("section header (size)")? as usize;
        let flags = r.u32("section header (flags)")?;
        let _reserved = r.u32("section header (reserved)")?;

        if size != 0 && size < FIXED_HEADER + 4 {
            return Err(Error::new(
                at,
                format!(
                    "section size {size} is smaller than the smallest section header (16 bytes)"
                ),
            ));
        }

        // The name must end inside the section (or, for the size-0 end marker, the file).
        let name_at = r.offset();
        let region = r.rest();
        let Some(nul) = region.iter().position(|&b| b == 0) else {
            return Err(Error::new(
                name_at,
                "section name has no NUL terminator before the file ends",
            ));
        };
        if size != 0 && FIXED_HEADER + nul >= size {
            return Err(Error::new(
                at,
                format!(
                    "section size {size} is smaller than its header: the name's NUL terminator is at byte {}",
                    name_at + nul
                ),
            ));
        }
        let name = std::str::from_utf8(&region[..nul])
            .map_err(|e| Error::new(name_at + e.valid_up_to(), "section name is not UTF-8"))?;
        let header_len = FIXED_HEADER + pad4(nul + 1);

        if size == 0 || flags == END {
            if flags != END {
                return Err(Error::new(
                    at,
                    format!(
                        "section {name:?} has size 0 but flags {flags:#x}: only the end marker (flags 0) may have size 0"
                    ),
                ));
            }
            if name != END_NAME && name != "END" {
                return Err(Error::new(
                    at,
                    format!(
                        "section {name:?} has flags 0, which mark the end of the pack, but the end marker must be named \"end\""
                    ),
                ));
            }
            if size != 0 && size != header_len {
                return Err(Error::new(
                    at,
                    format!(
                        "end marker has size {size}; expected 0 (or its header length, {header_len})"
                    ),
                ));
            }
            if bytes.len() - at < header_len {
                return Err(Error::new(
                    name_at + nul + 1,
                    format!(
                        "truncated: end marker needs {header_len} bytes, {} left",
                        bytes.len() - at
                    ),
                ));
            }
            return Ok(AvmPack {
                sections,
                len: at + header_len,
            });
        }

        if size < header_len {
            return Err(Error::new(
                at,
                format!(
                    "section {name:?} has size {size}, smaller than its {header_len}-byte header"
                ),
            ));
        }
        if size > bytes.len() - at {
            return Err(Error::new(
                at,
                format!(
                    "section {name:?} has size {size}, past the end of the file ({} bytes left)",
                    bytes.len() - at
                ),
            ));
        }
        if !size.is_multiple_of(4) {
            return Err(Error::new(
                at,
                format!("section {name:?} has size {size}, not a multiple of 4"),
            ));
        }
        sections.push(AvmSection {
            name: name.to_string(),
            flags,
            offset: at + header_len,
            data: bytes[at + header_len..at + size].to_vec(),
        });
        at += size;
    }
}

/// Wrap a plain file's contents as packbeam stores them: a big-endian u32 length, then the
/// bytes. Pass the result to [`write()`] with [`NORMAL_FILE`] for a file that
/// `atomvm:read_priv/2` can return (name it `app/priv/path`).
///
/// # Panics
///
/// If `contents` is 4 GiB or larger.
pub fn normal_file_data(contents: &[u8]) -> Vec<u8> {
    let len = u32::try_from(contents.len()).expect("a plain file in a pack is under 4 GiB");
    let mut out = Vec::with_capacity(4 + contents.len());
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(contents);
    out
}

/// Build a pack from `(name, flags, data)` triples, as packbeam lays it out.
///
/// Writes the [`HEADER`]; then for each triple a section: size, flags, a zero reserved word,
/// the NUL-terminated name padded with NULs to 4 bytes, the data verbatim, NUL padding to 4
/// bytes; then the 16-byte end marker. AtomVM accepts the result when modules carry
/// [`BEAM_CODE`] (and the start module [`BEAM_START`] too, i.e. flags 3) and plain files
/// carry [`NORMAL_FILE`] with data made by [`normal_file_data`]. The data is not rewritten:
/// to match packbeam exactly, strip chunks and turn `LitT` into `LitU` first (see the
/// module documentation). [`parse`] reads the result back with the same names, flags and
/// data (plus padding).
///
/// # Panics
///
/// If a name contains a NUL byte, has flags 0 (reserved for the end marker), or a section
/// would be 4 GiB or larger.
pub fn write(sections: &[(&str, u32, &[u8])]) -> Vec<u8> {
    let total: usize = HEADER.len()
        + 16
        + sections
            .iter()
            .map(|(name, _, data)| FIXED_HEADER + pad4(name.len() + 1) + pad4(data.len()))
            .sum::<usize>();
    let mut out = Vec::with_capacity(total);
    out.extend_from_slice(&HEADER);
    for &(name, flags, data) in sections {
        assert!(
            !name.as_bytes().contains(&0),
            "pack section name {name:?} contains NUL"
        );
        assert!(
            flags != END,
            "pack section {name:?} has flags 0, which mark the end of a pack"
        );
        let header_len = FIXED_HEADER + pad4(name.len() + 1);
        let size = u32::try_from(header_len + pad4(data.len()))
            .unwrap_or_else(|_| panic!("pack section {name:?} is 4 GiB or larger"));
        out.extend_from_slice(&size.to_be_bytes());
        out.extend_from_slice(&flags.to_be_bytes());
        out.extend_from_slice(&0u32.to_be_bytes());
        out.extend_from_slice(name.as_bytes());
        out.resize(out.len() + header_len - FIXED_HEADER - name.len(), 0);
        out.extend_from_slice(data);
        out.resize(out.len() + pad4(data.len()) - data.len(), 0);
    }
    out.extend_from_slice(&[0; 12]);
    out.extend_from_slice(b"end\0");
    out
}
