//! MD5 (RFC 1321) in the layout OTP keeps its context in (`erlang:md5_init/0` and friends
//! expose it as an 88-byte binary), also used for a module's MD5 (`Module:module_info(md5)`,
//! the `uniq` of its funs in the external format).

/// The size of OTP's `MD5_CTX`.
const MD5_CTX_SIZE: usize = 88;

/// An MD5 computation in the RFC 1321 reference layout, as OTP keeps it.
#[derive(Clone)]
pub struct Md5 {
    state: [u32; 4],
    count: [u32; 2],
    buffer: [u8; 64],
}

impl Default for Md5 {
    fn default() -> Md5 {
        Md5::new()
    }
}

impl Md5 {
    /// A fresh context (`MD5Init`).
    pub fn new() -> Md5 {
        Md5 {
            state: [0x6745_2301, 0xefcd_ab89, 0x98ba_dcfe, 0x1032_5476],
            count: [0, 0],
            buffer: [0; 64],
        }
    }

    /// The context as OTP's 88-byte binary.
    pub fn to_bytes(&self) -> [u8; MD5_CTX_SIZE] {
        let mut out = [0; MD5_CTX_SIZE];
        for (i, w) in self.state.iter().chain(&self.count).enumerate() {
            out[4 * i..4 * i + 4].copy_from_slice(&w.to_le_bytes());
        }
        out[24..].copy_from_slice(&self.buffer);
        out
    }

    /// A context from OTP's 88-byte binary.
    pub fn from_bytes(b: &[u8]) -> Option<Md5> {
        if b.len() != MD5_CTX_SIZE {
            return None;
        }
        let word =
            |i: usize| u32::from_le_bytes([b[4 * i], b[4 * i + 1], b[4 * i + 2], b[4 * i + 3]]);
        let mut buffer = [0; 64];
        buffer.copy_from_slice(&b[24..]);
        Some(Md5 {
            state: [word(0), word(1), word(2), word(3)],
            count: [word(4), word(5)],
            buffer,
        })
    }

    /// `MD5Update`.
    pub fn update(&mut self, input: &[u8]) {
        let len = input.len() as u32;
        let index = ((self.count[0] >> 3) & 0x3f) as usize;
        self.count[0] = self.count[0].wrapping_add(len << 3);
        if self.count[0] < (len << 3) {
            self.count[1] = self.count[1].wrapping_add(1);
        }
        self.count[1] = self.count[1].wrapping_add(len >> 29);
        let part = 64 - index;
        let mut i = 0;
        let mut index = index;
        if input.len() >= part {
            self.buffer[index..].copy_from_slice(&input[..part]);
            let block = self.buffer;
            transform(&mut self.state, &block);
            i = part;
            while i + 63 < input.len() {
                let block: &[u8; 64] = input[i..i + 64].try_into().expect("64 bytes");
                transform(&mut self.state, block);
                i += 64;
            }
            index = 0;
        }
        let rest = &input[i..];
        self.buffer[index..index + rest.len()].copy_from_slice(rest);
    }

    /// `MD5Final`: the digest (the context is consumed, as OTP works on a copy).
    pub fn finish(mut self) -> [u8; 16] {
        let mut bits = [0u8; 8];
        bits[..4].copy_from_slice(&self.count[0].to_le_bytes());
        bits[4..].copy_from_slice(&self.count[1].to_le_bytes());
        let index = ((self.count[0] >> 3) & 0x3f) as usize;
        let pad = if index < 56 { 56 - index } else { 120 - index };
        let mut padding = [0u8; 64];
        padding[0] = 0x80;
        self.update(&padding[..pad]);
        self.update(&bits);
        let mut out = [0; 16];
        for (i, w) in self.state.iter().enumerate() {
            out[4 * i..4 * i + 4].copy_from_slice(&w.to_le_bytes());
        }
        out
    }
}

/// The MD5 compression function over one 64-byte block (RFC 1321).
fn transform(state: &mut [u32; 4], block: &[u8; 64]) {
    const S: [u32; 64] = [
        7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22, 5, 9, 14, 20, 5, 9, 14, 20, 5,
        9, 14, 20, 5, 9, 14, 20, 4, 11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23, 6, 10,
        15, 21, 6, 10, 15, 21, 6, 10, 15, 21, 6, 10, 15, 21,
    ];
    /// `floor(2^32 * |sin(i + 1)|)`.
    const K: [u32; 64] = [
        0xd76aa478, 0xe8c7b756, 0x242070db, 0xc1bdceee, 0xf57c0faf, 0x4787c62a, 0xa8304613,
        0xfd469501, 0x698098d8, 0x8b44f7af, 0xffff5bb1, 0x895cd7be, 0x6b901122, 0xfd987193,
        0xa679438e, 0x49b40821, 0xf61e2562, 0xc040b340, 0x265e5a51, 0xe9b6c7aa, 0xd62f105d,
        0x02441453, 0xd8a1e681, 0xe7d3fbc8, 0x21e1cde6, 0xc33707d6, 0xf4d50d87, 0x455a14ed,
        0xa9e3e905, 0xfcefa3f8, 0x676f02d9, 0x8d2a4c8a, 0xfffa3942, 0x8771f681, 0x6d9d6122,
        0xfde5380c, 0xa4beea44, 0x4bdecfa9, 0xf6bb4b60, 0xbebfbc70, 0x289b7ec6, 0xeaa127fa,
        0xd4ef3085, 0x04881d05, 0xd9d4d039, 0xe6db99e5, 0x1fa27cf8, 0xc4ac5665, 0xf4292244,
        0x432aff97, 0xab9423a7, 0xfc93a039, 0x655b59c3, 0x8f0ccc92, 0xffeff47d, 0x85845dd1,
        0x6fa87e4f, 0xfe2ce6e0, 0xa3014314, 0x4e0811a1, 0xf7537e82, 0xbd3af235, 0x2ad7d2bb,
        0xeb86d391,
    ];
    let mut x = [0u32; 16];
    for (i, w) in x.iter_mut().enumerate() {
        *w = u32::from_le_bytes([
            block[4 * i],
            block[4 * i + 1],
            block[4 * i + 2],
            block[4 * i + 3],
        ]);
    }
    let [mut a, mut b, mut c, mut d] = *state;
    for (i, (&k, &s)) in K.iter().zip(&S).enumerate() {
        let (f, g) = match i / 16 {
            0 => ((b & c) | (!b & d), i),
            1 => ((d & b) | (!d & c), (5 * i + 1) % 16),
            2 => (b ^ c ^ d, (3 * i + 5) % 16),
            _ => (c ^ (b | !d), (7 * i) % 16),
        };
        let sum = a.wrapping_add(f).wrapping_add(k).wrapping_add(x[g]);
        (a, d, c) = (d, c, b);
        b = b.wrapping_add(sum.rotate_left(s));
    }
    state[0] = state[0].wrapping_add(a);
    state[1] = state[1].wrapping_add(b);
    state[2] = state[2].wrapping_add(c);
    state[3] = state[3].wrapping_add(d);
}

/// The MD5 of `data`.
pub fn digest(data: &[u8]) -> [u8; 16] {
    let mut m = Md5::new();
    m.update(data);
    m.finish()
}
