//! The `Line` chunk: source locations that `line` instructions refer to.

use crate::compact::{self, LineItem};
use crate::error::{Error, Result};
use crate::reader::Reader;

/// One source location.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Location {
    /// Index into [`LineTable::names`] (0 is the module's own `.erl` file).
    pub file: u32,
    /// Line number (0 for "unknown").
    pub line: u32,
}

/// The decoded `Line` chunk (format version 0, the one OTP 25-27 write).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineTable {
    /// Header flags (bit 0: the items carry column numbers in newer compilers).
    pub flags: u32,
    /// Number of `line` instructions in the code.
    pub instruction_count: u32,
    /// Locations, indexed as `line` operands index them: entry 0 is the undefined location.
    pub items: Vec<Location>,
    /// File names; index 0 is the implicit `Module.erl` and is stored as `None`.
    pub names: Vec<Option<String>>,
}

impl LineTable {
    /// Read the chunk; `Ok(None)` for a format version this reader does not know (OTP ignores
    /// such tables too, and runs the module without locations).
    pub fn read(r: &mut Reader<'_>) -> Result<Option<LineTable>> {
        let version = r.u32("line table version")?;
        if version != 0 {
            return Ok(None);
        }
        let flags = r.u32("line flags")?;
        let instruction_count = r.u32("line instruction count")?;
        let at = r.offset();
        let item_count = r.u32("line item count")? as usize;
        let name_count = r.u32("line file-name count")? as usize;
        // Items take at least a byte each, names at least two.
        r.check_count(item_count, 1, "line item count", at)?;
        r.check_count(name_count, 2, "line file-name count", at + 4)?;

        let mut items = Vec::with_capacity(item_count + 1);
        items.push(Location { file: 0, line: 0 });
        let mut file = 0;
        while items.len() <= item_count {
            let item_at = r.offset();
            match compact::read_line_item(r)? {
                LineItem::Line(line) => items.push(Location { file, line }),
                LineItem::File(f) => {
                    if f as usize > name_count {
                        return Err(Error::new(
                            item_at,
                            format!("file-name index {f} out of range"),
                        ));
                    }
                    file = f;
                }
            }
        }
        let mut names = Vec::with_capacity(name_count + 1);
        names.push(None);
        for _ in 0..name_count {
            let len = usize::from(r.u16("file-name length")?);
            let at = r.offset();
            let text = r.bytes(len, "file name")?;
            let name = std::str::from_utf8(text)
                .map_err(|_| Error::new(at, "file name is not valid UTF-8"))?;
            names.push(Some(name.to_owned()));
        }
        Ok(Some(LineTable {
            flags,
            instruction_count,
            items,
            names,
        }))
    }
}
