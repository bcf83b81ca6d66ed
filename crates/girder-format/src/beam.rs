//! `.beam` module files: the IFF container and every chunk OTP 25-27 compilers write.

use std::io::Read;

use crate::code::{self, Code};
use crate::error::{ChunkId, Error, Result};
use crate::reader::Reader;
use crate::term::Term;
use crate::types::TypeTable;
use crate::{etf, lines::LineTable};

/// Largest module accepted after gzip decompression, and largest literal table after zlib
/// decompression. OTP's largest modules are a few MiB; the bound stops decompression bombs.
pub const MAX_INFLATED_SIZE: usize = 256 << 20;

/// Where one chunk lies in the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChunkInfo {
    /// The chunk's four-byte id.
    pub id: ChunkId,
    /// Absolute offset of the chunk's data (after its 8-byte header).
    pub offset: usize,
    /// Size of the data, without the padding to four bytes.
    pub size: usize,
}

/// An imported function (`ImpT`): atom indices are 1-based into [`BeamFile::atoms`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Import {
    /// Module atom index.
    pub module: u32,
    /// Function atom index.
    pub function: u32,
    /// Arity.
    pub arity: u32,
}

/// An exported or local function (`ExpT`, `LocT`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Export {
    /// Function atom index.
    pub function: u32,
    /// Arity.
    pub arity: u32,
    /// Entry label.
    pub label: u32,
}

/// A fun (lambda) table entry (`FunT`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Lambda {
    /// Atom index of the function implementing the fun.
    pub function: u32,
    /// Arity of that function (the fun's arity plus its free variables).
    pub arity: u32,
    /// Entry label.
    pub label: u32,
    /// The fun's index in this module.
    pub index: u32,
    /// Number of free variables.
    pub num_free: u32,
    /// The old uniq value.
    pub old_uniq: u32,
}

/// A fully read `.beam` module.
#[derive(Debug, Clone, PartialEq)]
pub struct BeamFile {
    /// Every chunk in file order, known or not.
    pub chunks: Vec<ChunkInfo>,
    /// The atom table; operand atom index `n` is `atoms[n - 1]`, and `atoms[0]` is the module.
    pub atoms: Vec<String>,
    /// The code chunk, decoded.
    pub code: Code,
    /// `StrT`: the string table that `bs_put_string`/`bs_match_string` index.
    pub strings: Vec<u8>,
    /// `ImpT`.
    pub imports: Vec<Import>,
    /// `ExpT`.
    pub exports: Vec<Export>,
    /// `LocT` (empty when absent).
    pub locals: Vec<Export>,
    /// `FunT` (empty when absent).
    pub lambdas: Vec<Lambda>,
    /// `LitT` (or AtomVM's uncompressed `LitU`), decoded.
    pub literals: Vec<Term>,
    /// `Line`, when present and of a known version.
    pub lines: Option<LineTable>,
    /// `Type`, when present.
    pub types: Option<TypeTable>,
    /// `Attr`: the module attributes as a term (a list of `{Key, Values}`).
    pub attributes: Option<Term>,
    /// `CInf`: compile information.
    pub compile_info: Option<Term>,
    /// `Meta`: meta data such as enabled features (OTP 27).
    pub meta: Option<Term>,
    /// Chunks this reader does not interpret (`Dbgi`, `Docs`, `ExCk`...): kept as bytes.
    pub other_chunks: Vec<(ChunkId, Vec<u8>)>,
    /// The module's MD5 as OTP computes it (`beam_lib:md5/1`, `Module:module_info(md5)`,
    /// the `uniq` of its funs in the external format): see [`module_md5`].
    pub md5: [u8; 16],
}

/// The MD5 of a module's significant chunks, as `beam_lib:md5/1` and erts compute it: the
/// data of `Atom`, `AtU8`, `Code`, `StrT`, `ImpT`, `ExpT`, `FunT` (each entry's old uniq
/// zeroed), `LitT` and `Meta`, those present, in that order.
pub fn module_md5(bytes: &[u8], chunks: &[ChunkInfo]) -> [u8; 16] {
    const SIGNIFICANT: [&[u8; 4]; 9] = [
        b"Atom", b"AtU8", b"Code", b"StrT", b"ImpT", b"ExpT", b"FunT", b"LitT", b"Meta",
    ];
    let mut md5 = crate::md5::Md5::new();
    for id in SIGNIFICANT {
        let Some(c) = chunks.iter().find(|c| &c.id == id) else {
            continue;
        };
        let data = &bytes[c.offset..c.offset + c.size];
        if id == b"FunT" && data.len() >= 4 {
            md5.update(&data[..4]);
            let mut entries = data[4..].chunks_exact(24);
            for e in &mut entries {
                md5.update(&e[..20]);
                md5.update(&[0; 4]);
            }
            md5.update(entries.remainder());
        } else {
            md5.update(data);
        }
    }
    md5.finish()
}

/// True if `bytes` start like a `.beam` file (plain or gzip-compressed).
pub fn is_beam(bytes: &[u8]) -> bool {
    (bytes.len() >= 12 && &bytes[0..4] == b"FOR1" && &bytes[8..12] == b"BEAM")
        || bytes.starts_with(&[0x1f, 0x8b])
}

/// Inflate `compressed` with the given decoder, refusing output beyond `limit` bytes.
pub(crate) fn inflate_bounded(reader: impl Read, limit: usize) -> std::io::Result<Vec<u8>> {
    let mut out = Vec::new();
    reader.take(limit as u64 + 1).read_to_end(&mut out)?;
    Ok(out)
}

/// Split an IFF `FOR1 … BEAM` container into its chunks.
pub fn read_chunks(bytes: &[u8]) -> Result<Vec<ChunkInfo>> {
    let mut r = Reader::new(bytes, 0);
    if r.bytes(4, "file header")? != b"FOR1" {
        return Err(Error::new(0, "not a BEAM file: no FOR1 header"));
    }
    let size_at = r.offset();
    let form_size = r.u32("form size")? as usize;
    if form_size > r.remaining() {
        return Err(Error::new(
            size_at,
            format!(
                "form size {form_size} exceeds the {} bytes present",
                r.remaining()
            ),
        ));
    }
    let mut r = r.sub(form_size, "form")?;
    if r.bytes(4, "form type")? != b"BEAM" {
        return Err(Error::new(8, "not a BEAM file: form type is not BEAM"));
    }
    let mut chunks = Vec::new();
    while r.remaining() > 0 {
        // Some writers pad the form with fewer than 8 bytes; OTP ignores such a tail.
        if r.remaining() < 8 {
            break;
        }
        let id: ChunkId = r.bytes(4, "chunk id")?.try_into().expect("4 bytes");
        let size_at = r.offset();
        let size = r.u32("chunk size")? as usize;
        let offset = r.offset();
        if size > r.remaining() {
            return Err(Error::new(
                size_at,
                format!("chunk size {size} exceeds the {} bytes left", r.remaining()),
            )
            .in_chunk(id));
        }
        r.skip(size, "chunk")?;
        let pad = (4 - size % 4) % 4;
        r.skip(pad.min(r.remaining()), "chunk padding")?;
        chunks.push(ChunkInfo { id, offset, size });
    }
    Ok(chunks)
}

impl BeamFile {
    /// Read a module from its bytes (gzip-compressed modules are accepted).
    pub fn parse(bytes: &[u8]) -> Result<BeamFile> {
        if bytes.starts_with(&[0x1f, 0x8b]) {
            let data = inflate_bounded(flate2::read::GzDecoder::new(bytes), MAX_INFLATED_SIZE)
                .map_err(|e| Error::new(0, format!("bad gzip compression: {e}")))?;
            if data.len() > MAX_INFLATED_SIZE {
                return Err(Error::new(
                    0,
                    "gzip-compressed module inflates beyond 256 MiB",
                ));
            }
            // Offsets in errors then refer to the decompressed module.
            return Self::parse_plain(&data);
        }
        Self::parse_plain(bytes)
    }

    /// Read a module and name `file` in any error.
    pub fn parse_file(bytes: &[u8], file: &str) -> Result<BeamFile> {
        Self::parse(bytes).map_err(|e| e.in_file(file))
    }

    fn parse_plain(bytes: &[u8]) -> Result<BeamFile> {
        let chunks = read_chunks(bytes)?;
        let find = |id: &[u8; 4]| chunks.iter().find(|c| &c.id == id);
        let reader = |c: &ChunkInfo| Reader::new(&bytes[c.offset..c.offset + c.size], c.offset);
        let in_chunk = |c: &ChunkInfo| {
            let id = c.id;
            move |e: Error| e.in_chunk(id)
        };

        let atoms = match (find(b"AtU8"), find(b"Atom")) {
            (Some(c), _) => read_atoms(&mut reader(c)).map_err(in_chunk(c))?,
            (None, Some(c)) => {
                return Err(Error::new(
                    c.offset,
                    "obsolete Latin-1 atom table (compiled before OTP 21); recompile the module",
                )
                .in_chunk(c.id));
            }
            (None, None) => return Err(Error::new(0, "no atom table (AtU8 chunk)")),
        };
        let atom_count = atoms.len() as u32;
        let check_atom = |at: usize, n: u32, what: &str| -> Result<()> {
            if n == 0 || n > atom_count {
                Err(Error::new(
                    at,
                    format!("{what}: atom index {n} out of range 1..={atom_count}"),
                ))
            } else {
                Ok(())
            }
        };

        let code_chunk = find(b"Code").ok_or_else(|| Error::new(0, "no Code chunk"))?;
        let code = code::read_code(&mut reader(code_chunk)).map_err(in_chunk(code_chunk))?;

        let imports = match find(b"ImpT") {
            Some(c) => {
                let mut r = reader(c);
                let n = r.count(12, "import count").map_err(in_chunk(c))?;
                let mut v = Vec::with_capacity(n);
                for _ in 0..n {
                    let at = r.offset();
                    let module = r.u32("import module").map_err(in_chunk(c))?;
                    let function = r.u32("import function").map_err(in_chunk(c))?;
                    let arity = r.u32("import arity").map_err(in_chunk(c))?;
                    check_atom(at, module, "import").map_err(in_chunk(c))?;
                    check_atom(at, function, "import").map_err(in_chunk(c))?;
                    v.push(Import {
                        module,
                        function,
                        arity,
                    });
                }
                v
            }
            None => return Err(Error::new(0, "no import table (ImpT chunk)")),
        };
        let read_exports = |c: &ChunkInfo| -> Result<Vec<Export>> {
            let mut r = reader(c);
            let n = r.count(12, "function count")?;
            let mut v = Vec::with_capacity(n);
            for _ in 0..n {
                let at = r.offset();
                let function = r.u32("function")?;
                let arity = r.u32("arity")?;
                let label = r.u32("label")?;
                check_atom(at, function, "function")?;
                v.push(Export {
                    function,
                    arity,
                    label,
                });
            }
            Ok(v)
        };
        let exports = match find(b"ExpT") {
            Some(c) => read_exports(c).map_err(in_chunk(c))?,
            None => return Err(Error::new(0, "no export table (ExpT chunk)")),
        };
        let locals = match find(b"LocT") {
            Some(c) => read_exports(c).map_err(in_chunk(c))?,
            None => Vec::new(),
        };
        let lambdas = match find(b"FunT") {
            Some(c) => {
                let mut r = reader(c);
                let read = |r: &mut Reader<'_>| -> Result<Vec<Lambda>> {
                    let n = r.count(24, "fun count")?;
                    let mut v = Vec::with_capacity(n);
                    for _ in 0..n {
                        let at = r.offset();
                        let function = r.u32("fun function")?;
                        check_atom(at, function, "fun")?;
                        v.push(Lambda {
                            function,
                            arity: r.u32("fun arity")?,
                            label: r.u32("fun label")?,
                            index: r.u32("fun index")?,
                            num_free: r.u32("fun free variables")?,
                            old_uniq: r.u32("fun old uniq")?,
                        });
                    }
                    Ok(v)
                };
                read(&mut r).map_err(in_chunk(c))?
            }
            None => Vec::new(),
        };
        let literals = match (find(b"LitT"), find(b"LitU")) {
            (Some(c), _) => read_literals(&mut reader(c), true).map_err(in_chunk(c))?,
            (None, Some(c)) => read_literals(&mut reader(c), false).map_err(in_chunk(c))?,
            (None, None) => Vec::new(),
        };
        let lines = match find(b"Line") {
            Some(c) => LineTable::read(&mut reader(c)).map_err(in_chunk(c))?,
            None => None,
        };
        let types = match find(b"Type") {
            Some(c) => Some(TypeTable::read(&mut reader(c)).map_err(in_chunk(c))?),
            None => None,
        };
        let term_chunk = |id: &[u8; 4]| -> Result<Option<Term>> {
            match find(id) {
                Some(c) if c.size > 0 => {
                    let data = &bytes[c.offset..c.offset + c.size];
                    etf::decode_with_base(data, c.offset)
                        .map(Some)
                        .map_err(in_chunk(c))
                }
                _ => Ok(None),
            }
        };
        let attributes = term_chunk(b"Attr")?;
        let compile_info = term_chunk(b"CInf")?;
        let meta = term_chunk(b"Meta")?;
        let strings = find(b"StrT")
            .map(|c| bytes[c.offset..c.offset + c.size].to_vec())
            .unwrap_or_default();

        const KNOWN: [&[u8; 4]; 15] = [
            b"AtU8", b"Atom", b"Code", b"StrT", b"ImpT", b"ExpT", b"LocT", b"FunT", b"LitT",
            b"LitU", b"Line", b"Type", b"Attr", b"CInf", b"Meta",
        ];
        let other_chunks = chunks
            .iter()
            .filter(|c| !KNOWN.contains(&&c.id))
            .map(|c| (c.id, bytes[c.offset..c.offset + c.size].to_vec()))
            .collect();
        let md5 = module_md5(bytes, &chunks);

        let beam = BeamFile {
            chunks,
            atoms,
            code,
            strings,
            imports,
            exports,
            locals,
            lambdas,
            literals,
            lines,
            types,
            attributes,
            compile_info,
            meta,
            other_chunks,
            md5,
        };
        Ok(beam)
    }

    /// The module's name (the first atom).
    pub fn module_name(&self) -> &str {
        &self.atoms[0]
    }

    /// The text of operand atom index `n` (1-based), if in range.
    pub fn atom(&self, n: u32) -> Option<&str> {
        (n as usize)
            .checked_sub(1)
            .and_then(|i| self.atoms.get(i))
            .map(String::as_str)
    }
}

/// Largest atom, in bytes: 255 characters of up to four UTF-8 bytes each.
const MAX_ATOM_BYTES: usize = 255 * 4;

fn read_atoms(r: &mut Reader<'_>) -> Result<Vec<String>> {
    let at = r.offset();
    let raw = r.i32("atom count")?;
    // OTP 28 writes a negated count when lengths use the compact encoding (long atoms).
    let long_lengths = raw < 0;
    let n = raw.unsigned_abs() as usize;
    if n == 0 {
        return Err(Error::new(
            at,
            "empty atom table: the module name is missing",
        ));
    }
    r.check_count(n, 1, "atom count", at)?;
    let mut atoms = Vec::with_capacity(n);
    for _ in 0..n {
        let len_at = r.offset();
        let len = if long_lengths {
            crate::compact::read_u32(r, "atom length")? as usize
        } else {
            usize::from(r.u8("atom length")?)
        };
        if len > MAX_ATOM_BYTES {
            return Err(Error::new(
                len_at,
                format!("atom of {len} bytes is too long"),
            ));
        }
        let text = r.bytes(len, "atom text")?;
        let s = std::str::from_utf8(text)
            .map_err(|_| Error::new(len_at + 1, "atom is not valid UTF-8"))?;
        if s.chars().count() > 255 {
            return Err(Error::new(len_at, "atom longer than 255 characters"));
        }
        atoms.push(s.to_owned());
    }
    Ok(atoms)
}

/// `LitT` is `u32 uncompressed size` + zlib data; `LitU` (AtomVM packs) is the inflated
/// payload itself. Either way the payload is `u32 count`, then `count` × (`u32 size`, term).
fn read_literals(r: &mut Reader<'_>, compressed: bool) -> Result<Vec<Term>> {
    let mut payload = if compressed {
        let size_at = r.offset();
        let size = r.u32("uncompressed size")? as usize;
        if size == 0 {
            // OTP 28 stores the table uncompressed, marked by a zero size.
            r.clone()
        } else {
            if size > MAX_INFLATED_SIZE {
                return Err(Error::new(
                    size_at,
                    format!("literal table of {size} bytes is too large"),
                ));
            }
            let data_at = r.offset();
            let data = r.rest();
            let inflated = inflate_bounded(flate2::read::ZlibDecoder::new(data), size)
                .map_err(|e| Error::new(data_at, format!("bad zlib data: {e}")))?;
            if inflated.len() != size {
                return Err(Error::new(
                    size_at,
                    format!(
                        "literal table inflates to {} bytes, {size} declared",
                        inflated.len()
                    ),
                ));
            }
            // Offsets inside the inflated table name no file byte: errors report the start of
            // the compressed data and say where in the inflated table they are.
            return read_literal_entries(&mut Reader::new(&inflated, 0)).map_err(|mut e| {
                e.what = format!("{} (at byte {} of the inflated table)", e.what, e.offset);
                e.offset = data_at;
                e
            });
        }
    } else {
        r.clone()
    };
    read_literal_entries(&mut payload)
}

fn read_literal_entries(r: &mut Reader<'_>) -> Result<Vec<Term>> {
    let n = r.count(5, "literal count")?;
    let mut literals = Vec::with_capacity(n);
    for i in 0..n {
        let size = r.u32("literal size")? as usize;
        let at = r.offset();
        let data = r.bytes(size, "literal")?;
        let term = etf::decode_with_base(data, at).map_err(|mut e| {
            e.what = format!("literal {i}: {}", e.what);
            e
        })?;
        literals.push(term);
    }
    Ok(literals)
}
