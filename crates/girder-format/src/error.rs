//! The one error type of this crate: every failure names where it happened.

use std::fmt;

/// A four-byte chunk identifier such as `*b"Code"`.
pub type ChunkId = [u8; 4];

/// A malformed or unsupported input.
///
/// Every error carries the byte offset at which reading failed (counted from the start of
/// the file, or of the buffer handed to the reader) and, where known, the chunk and file.
/// `Display` prints `FILE: chunk CODE: byte OFFSET: WHAT`, leaving out the parts not known.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct Error {
    /// The file being read, when the caller named one (see [`Error::in_file`]).
    pub file: Option<String>,
    /// The chunk being read, if any.
    pub chunk: Option<ChunkId>,
    /// Byte offset of the failure, from the start of the outermost buffer.
    pub offset: usize,
    /// What is wrong, in a few words.
    pub what: String,
}

/// This crate's result type.
pub type Result<T> = std::result::Result<T, Error>;

impl Error {
    /// An error at `offset`, with no chunk or file yet.
    pub fn new(offset: usize, what: impl Into<String>) -> Self {
        Error {
            file: None,
            chunk: None,
            offset,
            what: what.into(),
        }
    }

    /// Attach the chunk, unless an inner reader already named one.
    pub fn in_chunk(mut self, chunk: ChunkId) -> Self {
        self.chunk.get_or_insert(chunk);
        self
    }

    /// Attach the file name, unless already named (an `.avm` member names itself).
    pub fn in_file(mut self, file: impl Into<String>) -> Self {
        if self.file.is_none() {
            self.file = Some(file.into());
        }
        self
    }
}

/// Prints a chunk id as text when it is printable ASCII, else as hex.
pub fn chunk_name(id: &ChunkId) -> String {
    if id.iter().all(|b| b.is_ascii_graphic()) {
        String::from_utf8_lossy(id).into_owned()
    } else {
        format!("0x{:02x}{:02x}{:02x}{:02x}", id[0], id[1], id[2], id[3])
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(file) = &self.file {
            write!(f, "{file}: ")?;
        }
        if let Some(chunk) = &self.chunk {
            write!(f, "chunk {}: ", chunk_name(chunk))?;
        }
        write!(f, "byte {}: {}", self.offset, self.what)
    }
}
