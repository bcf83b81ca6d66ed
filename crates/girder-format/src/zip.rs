//! Zip archives, as OTP's `prim_zip` reads them: an escript's archive body and `.ez`
//! archives on the code path. Only what a reader needs: the central directory (found
//! through the end record, behind an optional comment), and entries stored or deflated.
//!
//! The bytes are untrusted: a malformed archive is a [`ZipError`] named as `prim_zip`
//! names it (`bad_eocd`, `bad_central_directory`...), never a panic, and an entry is never
//! inflated past the size the central directory declares. Each entry's CRC-32 is checked
//! (`prim_zip` skips this and hands out what it inflated).

use std::io::Read;

/// Why an archive or one of its entries cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ZipError {
    /// No end-of-central-directory record: not a zip archive.
    #[error("no end of central directory record (not a zip archive)")]
    BadEocd,
    /// The central directory lies outside the bytes or does not parse.
    #[error("bad central directory")]
    BadCentralDirectory,
    /// An entry's local header is missing or its data lies outside the bytes.
    #[error("bad local file header for {0}")]
    BadLocalFileHeader(String),
    /// A compression method other than stored (0) and deflated (8).
    #[error("unsupported compression method {1} for {0}")]
    UnsupportedCompression(String, u16),
    /// Deflated data that does not inflate, or to another size than declared.
    #[error("corrupt compressed data for {0}")]
    BadData(String),
    /// The entry's bytes do not have the CRC-32 the central directory records.
    #[error("bad CRC-32 for {0}")]
    BadCrc(String),
}

impl ZipError {
    /// The reason as `prim_zip` names it (the atom of `{error, Reason}`).
    pub fn reason(&self) -> &'static str {
        match self {
            ZipError::BadEocd => "bad_eocd",
            ZipError::BadCentralDirectory => "bad_central_directory",
            ZipError::BadLocalFileHeader(_) => "bad_local_file_header",
            ZipError::UnsupportedCompression(..) => "unsupported_compression",
            ZipError::BadData(_) => "bad_data",
            ZipError::BadCrc(_) => "bad_crc",
        }
    }
}

/// One entry of the central directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// The name as stored (`/`-separated; a directory's ends with `/`).
    pub name: String,
    /// 0 stored, 8 deflated.
    pub method: u16,
    pub crc32: u32,
    pub compressed_size: u32,
    pub size: u32,
    /// MS-DOS time and date of the last change, as stored.
    pub dos_time: u16,
    pub dos_date: u16,
    local_header_offset: u32,
}

impl Entry {
    /// Whether the entry is a directory (its name ends with `/`).
    pub fn is_dir(&self) -> bool {
        self.name.ends_with('/')
    }

    /// The last change as `((year, month, day), (hour, minute, second))`, decoded as
    /// `prim_zip` decodes it (seconds counted in twos, no range check).
    pub fn datetime(&self) -> ((u32, u32, u32), (u32, u32, u32)) {
        let (d, t) = (u32::from(self.dos_date), u32::from(self.dos_time));
        (
            ((d >> 9) + 1980, (d >> 5) & 0xf, d & 0x1f),
            (t >> 11, (t >> 5) & 0x3f, t & 0x1f),
        )
    }
}

/// A parsed archive: its bytes and central directory.
#[derive(Debug, Clone)]
pub struct Archive {
    data: Vec<u8>,
    entries: Vec<Entry>,
}

const EOCD_MAGIC: u32 = 0x0605_4b50;
const CENTRAL_MAGIC: u32 = 0x0201_4b50;
const LOCAL_MAGIC: u32 = 0x0403_4b50;
const EOCD_SIZE: usize = 22;
const CENTRAL_SIZE: usize = 46;
const LOCAL_SIZE: usize = 30;

fn u16_at(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_le_bytes(b.get(at..at + 2)?.try_into().ok()?))
}

fn u32_at(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(b.get(at..at + 4)?.try_into().ok()?))
}

impl Archive {
    /// Parse the central directory of `data` (a whole archive).
    pub fn parse(data: Vec<u8>) -> Result<Archive, ZipError> {
        let eocd = find_eocd(&data).ok_or(ZipError::BadEocd)?;
        let count = usize::from(u16_at(&data, eocd + 10).ok_or(ZipError::BadEocd)?);
        let cd_size = u32_at(&data, eocd + 12).ok_or(ZipError::BadEocd)? as usize;
        let cd_offset = u32_at(&data, eocd + 16).ok_or(ZipError::BadEocd)? as usize;
        let cd = cd_offset
            .checked_add(cd_size)
            .and_then(|end| data.get(cd_offset..end))
            .ok_or(ZipError::BadCentralDirectory)?;
        let mut entries = Vec::with_capacity(count.min(cd.len() / CENTRAL_SIZE));
        let mut at = 0;
        for _ in 0..count {
            let bad = || ZipError::BadCentralDirectory;
            if u32_at(cd, at).ok_or_else(bad)? != CENTRAL_MAGIC {
                return Err(bad());
            }
            let h = cd.get(at..at + CENTRAL_SIZE).ok_or_else(bad)?;
            let name_len = usize::from(u16_at(h, 28).ok_or_else(bad)?);
            let extra_len = usize::from(u16_at(h, 30).ok_or_else(bad)?);
            let comment_len = usize::from(u16_at(h, 32).ok_or_else(bad)?);
            let name_at = at + CENTRAL_SIZE;
            let name = cd.get(name_at..name_at + name_len).ok_or_else(bad)?;
            let next = name_at + name_len + extra_len + comment_len;
            if next > cd.len() {
                return Err(bad());
            }
            entries.push(Entry {
                name: String::from_utf8_lossy(name).into_owned(),
                method: u16_at(h, 10).ok_or_else(bad)?,
                dos_time: u16_at(h, 12).ok_or_else(bad)?,
                dos_date: u16_at(h, 14).ok_or_else(bad)?,
                crc32: u32_at(h, 16).ok_or_else(bad)?,
                compressed_size: u32_at(h, 20).ok_or_else(bad)?,
                size: u32_at(h, 24).ok_or_else(bad)?,
                local_header_offset: u32_at(h, 42).ok_or_else(bad)?,
            });
            at = next;
        }
        Ok(Archive { data, entries })
    }

    /// The central directory's entries, in its order.
    pub fn entries(&self) -> &[Entry] {
        &self.entries
    }

    /// The entry named `name` exactly.
    pub fn find(&self, name: &str) -> Option<&Entry> {
        self.entries.iter().find(|e| e.name == name)
    }

    /// The contents of `entry` (one of this archive's), inflated and checked.
    pub fn read(&self, entry: &Entry) -> Result<Vec<u8>, ZipError> {
        let bad_header = || ZipError::BadLocalFileHeader(entry.name.clone());
        let at = entry.local_header_offset as usize;
        if u32_at(&self.data, at).ok_or_else(bad_header)? != LOCAL_MAGIC {
            return Err(bad_header());
        }
        let name_len = usize::from(u16_at(&self.data, at + 26).ok_or_else(bad_header)?);
        let extra_len = usize::from(u16_at(&self.data, at + 28).ok_or_else(bad_header)?);
        let start = at + LOCAL_SIZE + name_len + extra_len;
        let raw = start
            .checked_add(entry.compressed_size as usize)
            .and_then(|end| self.data.get(start..end))
            .ok_or_else(bad_header)?;
        let size = entry.size as usize;
        let bytes = match entry.method {
            0 => raw.to_vec(),
            8 => {
                let mut out = Vec::with_capacity(size.min(raw.len().saturating_mul(4)));
                flate2::read::DeflateDecoder::new(raw)
                    .take(size as u64 + 1)
                    .read_to_end(&mut out)
                    .map_err(|_| ZipError::BadData(entry.name.clone()))?;
                out
            }
            m => return Err(ZipError::UnsupportedCompression(entry.name.clone(), m)),
        };
        if bytes.len() != size {
            return Err(ZipError::BadData(entry.name.clone()));
        }
        let mut crc = flate2::Crc::new();
        crc.update(&bytes);
        if crc.sum() != entry.crc32 {
            return Err(ZipError::BadCrc(entry.name.clone()));
        }
        Ok(bytes)
    }
}

/// The offset of the end record: the last one whose comment reaches exactly the end.
fn find_eocd(data: &[u8]) -> Option<usize> {
    let last = data.len().checked_sub(EOCD_SIZE)?;
    let first = last.saturating_sub(0xffff);
    (first..=last).rev().find(|&at| {
        u32_at(data, at) == Some(EOCD_MAGIC)
            && u16_at(data, at + 20).map(|c| at + EOCD_SIZE + usize::from(c)) == Some(data.len())
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    /// A minimal zip writer for the tests: (name, contents, deflate?) entries.
    fn zip(files: &[(&str, &[u8], bool)], comment: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        let mut central = Vec::new();
        for &(name, contents, deflate) in files {
            let data = if deflate {
                let mut e =
                    flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::default());
                e.write_all(contents).unwrap();
                e.finish().unwrap()
            } else {
                contents.to_vec()
            };
            let mut crc = flate2::Crc::new();
            crc.update(contents);
            let offset = out.len() as u32;
            let method: u16 = if deflate { 8 } else { 0 };
            let common = |v: &mut Vec<u8>| {
                v.extend_from_slice(&20u16.to_le_bytes()); // version needed
                v.extend_from_slice(&0u16.to_le_bytes()); // flags
                v.extend_from_slice(&method.to_le_bytes());
                v.extend_from_slice(&0x6000u16.to_le_bytes()); // 12:00:00
                v.extend_from_slice(&0x5d84u16.to_le_bytes()); // 2026-12-04
                v.extend_from_slice(&crc.sum().to_le_bytes());
                v.extend_from_slice(&(data.len() as u32).to_le_bytes());
                v.extend_from_slice(&(contents.len() as u32).to_le_bytes());
                v.extend_from_slice(&(name.len() as u16).to_le_bytes());
                v.extend_from_slice(&0u16.to_le_bytes()); // extra
            };
            out.extend_from_slice(&LOCAL_MAGIC.to_le_bytes());
            common(&mut out);
            out.extend_from_slice(name.as_bytes());
            out.extend_from_slice(&data);
            central.extend_from_slice(&CENTRAL_MAGIC.to_le_bytes());
            central.extend_from_slice(&20u16.to_le_bytes()); // made by
            common(&mut central);
            central.extend_from_slice(&[0; 6]); // comment length, disk, internal attributes
            central.extend_from_slice(&0u32.to_le_bytes()); // external attributes
            central.extend_from_slice(&offset.to_le_bytes());
            central.extend_from_slice(name.as_bytes());
        }
        let cd_offset = out.len() as u32;
        out.extend_from_slice(&central);
        out.extend_from_slice(&EOCD_MAGIC.to_le_bytes());
        out.extend_from_slice(&[0; 4]);
        out.extend_from_slice(&(files.len() as u16).to_le_bytes());
        out.extend_from_slice(&(files.len() as u16).to_le_bytes());
        out.extend_from_slice(&(central.len() as u32).to_le_bytes());
        out.extend_from_slice(&cd_offset.to_le_bytes());
        out.extend_from_slice(&(comment.len() as u16).to_le_bytes());
        out.extend_from_slice(comment);
        out
    }

    fn sample() -> Vec<u8> {
        let long: Vec<u8> = (0..5000u32).flat_map(|i| (i % 251).to_le_bytes()).collect();
        zip(
            &[
                ("app/", b"", false),
                ("app/ebin/m.beam", &long, true),
                ("top.txt", b"stored text", false),
            ],
            b"a comment",
        )
    }

    #[test]
    fn reads_stored_and_deflated_entries() {
        let a = Archive::parse(sample()).unwrap();
        let names: Vec<&str> = a.entries().iter().map(|e| e.name.as_str()).collect();
        assert_eq!(names, ["app/", "app/ebin/m.beam", "top.txt"]);
        assert!(a.find("app/").unwrap().is_dir());
        assert_eq!(a.read(a.find("top.txt").unwrap()).unwrap(), b"stored text");
        let m = a.find("app/ebin/m.beam").unwrap();
        assert_eq!(m.method, 8);
        assert_eq!(a.read(m).unwrap().len(), 20000);
        assert_eq!(m.datetime(), ((2026, 12, 4), (12, 0, 0)));
        assert!(a.read(a.find("app/").unwrap()).unwrap().is_empty());
    }

    #[test]
    fn an_empty_archive_has_no_entries() {
        assert!(Archive::parse(zip(&[], b"")).unwrap().entries().is_empty());
    }

    #[test]
    fn not_an_archive() {
        for bytes in [&b""[..], b"PK", b"#!/usr/bin/env escript\nmain(_) -> ok.\n"] {
            assert_eq!(
                Archive::parse(bytes.to_vec()).unwrap_err(),
                ZipError::BadEocd
            );
        }
    }

    /// Every truncation and every single corrupted byte gives an error or some bytes,
    /// never a panic.
    #[test]
    fn damaged_archives_fail_cleanly() {
        let good = sample();
        for len in 0..good.len() {
            if let Ok(a) = Archive::parse(good[..len].to_vec()) {
                for e in a.entries() {
                    let _ = a.read(e);
                }
            }
        }
        for at in 0..good.len() {
            let mut bad = good.clone();
            bad[at] ^= 0x5a;
            if let Ok(a) = Archive::parse(bad) {
                for e in a.entries() {
                    let _ = a.read(e);
                }
            }
        }
    }

    #[test]
    fn unsupported_methods_and_bad_data_are_errors() {
        let mut bytes = zip(&[("x", b"hello hello hello", true)], b"");
        // The central directory's method field (the local one is not read).
        let cd = find_eocd(&bytes).unwrap();
        let cd_offset = u32_at(&bytes, cd + 16).unwrap() as usize;
        bytes[cd_offset + 10] = 12;
        let a = Archive::parse(bytes.clone()).unwrap();
        assert_eq!(
            a.read(&a.entries()[0]).unwrap_err().reason(),
            "unsupported_compression"
        );
        // Declared larger than what inflates.
        bytes[cd_offset + 10] = 8;
        bytes[cd_offset + 24] += 1;
        let a = Archive::parse(bytes).unwrap();
        assert_eq!(a.read(&a.entries()[0]).unwrap_err().reason(), "bad_data");
    }
}
