//! A bounds-checked big-endian byte cursor that reports absolute offsets.

use crate::error::{Error, Result};

/// Reads big-endian values from a slice without ever panicking.
///
/// `base` is the absolute offset of `data[0]` in the outermost buffer, so that errors from a
/// reader over one chunk still name the byte offset in the whole file.
#[derive(Clone, Debug)]
pub struct Reader<'a> {
    data: &'a [u8],
    pos: usize,
    base: usize,
}

impl<'a> Reader<'a> {
    /// A reader over `data`, whose first byte lies at absolute offset `base`.
    pub fn new(data: &'a [u8], base: usize) -> Self {
        Reader { data, pos: 0, base }
    }

    /// Absolute offset of the next byte to be read.
    pub fn offset(&self) -> usize {
        self.base + self.pos
    }

    /// Position relative to the start of this reader's slice.
    pub fn position(&self) -> usize {
        self.pos
    }

    /// Bytes not read yet.
    pub fn remaining(&self) -> usize {
        self.data.len() - self.pos
    }

    /// True when every byte has been read.
    pub fn is_empty(&self) -> bool {
        self.remaining() == 0
    }

    /// An error at the current offset.
    pub fn error(&self, what: impl Into<String>) -> Error {
        Error::new(self.offset(), what)
    }

    fn need(&self, n: usize, what: &str) -> Result<()> {
        if self.remaining() < n {
            Err(self.error(format!(
                "truncated: {what} needs {n} bytes, {} left",
                self.remaining()
            )))
        } else {
            Ok(())
        }
    }

    /// The next `n` bytes.
    pub fn bytes(&mut self, n: usize, what: &str) -> Result<&'a [u8]> {
        self.need(n, what)?;
        let s = &self.data[self.pos..self.pos + n];
        self.pos += n;
        Ok(s)
    }

    /// A sub-reader over the next `n` bytes, keeping absolute offsets.
    pub fn sub(&mut self, n: usize, what: &str) -> Result<Reader<'a>> {
        let base = self.offset();
        Ok(Reader::new(self.bytes(n, what)?, base))
    }

    /// Everything not read yet.
    pub fn rest(&mut self) -> &'a [u8] {
        let s = &self.data[self.pos..];
        self.pos = self.data.len();
        s
    }

    /// Skip `n` bytes.
    pub fn skip(&mut self, n: usize, what: &str) -> Result<()> {
        self.bytes(n, what).map(|_| ())
    }

    /// One byte.
    pub fn u8(&mut self, what: &str) -> Result<u8> {
        Ok(self.bytes(1, what)?[0])
    }

    /// A big-endian u16.
    pub fn u16(&mut self, what: &str) -> Result<u16> {
        let b = self.bytes(2, what)?;
        Ok(u16::from_be_bytes([b[0], b[1]]))
    }

    /// A big-endian u32.
    pub fn u32(&mut self, what: &str) -> Result<u32> {
        let b = self.bytes(4, what)?;
        Ok(u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
    }

    /// A big-endian i32.
    pub fn i32(&mut self, what: &str) -> Result<i32> {
        Ok(self.u32(what)? as i32)
    }

    /// A big-endian u64.
    pub fn u64(&mut self, what: &str) -> Result<u64> {
        let b = self.bytes(8, what)?;
        Ok(u64::from_be_bytes(b.try_into().expect("8 bytes")))
    }

    /// A big-endian i64.
    pub fn i64(&mut self, what: &str) -> Result<i64> {
        Ok(self.u64(what)? as i64)
    }

    /// A u32 element count, checked against the bytes left: each element needs at least
    /// `min_item_size` bytes, so a huge declared count fails here instead of allocating.
    pub fn count(&mut self, min_item_size: usize, what: &str) -> Result<usize> {
        let at = self.offset();
        let n = self.u32(what)? as usize;
        self.check_count(n, min_item_size, what, at)?;
        Ok(n)
    }

    /// Check that `n` items of at least `min_item_size` bytes each can still follow.
    pub fn check_count(&self, n: usize, min_item_size: usize, what: &str, at: usize) -> Result<()> {
        match n.checked_mul(min_item_size.max(1)) {
            Some(need) if need <= self.remaining() || min_item_size == 0 => Ok(()),
            _ => Err(Error::new(
                at,
                format!(
                    "{what}: count {n} is larger than the {} bytes left allow",
                    self.remaining()
                ),
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn truncation_names_offset() {
        let mut r = Reader::new(&[1, 2, 3], 100);
        assert_eq!(r.u16("x").unwrap(), 0x0102);
        let e = r.u32("word").unwrap_err();
        assert_eq!(e.offset, 102);
        assert!(e.what.contains("truncated"));
    }

    #[test]
    fn huge_count_is_rejected_before_allocation() {
        let mut r = Reader::new(&[0xff, 0xff, 0xff, 0xff, 0, 0], 0);
        assert!(r.count(4, "atoms").is_err());
    }
}
