//! The NIFs of OTP's `zlib` module (erts' `zlib_nif.c`), over `flate2`'s raw deflate
//! streams (the C zlib erl itself links, so the compressed bytes are erl's).
//!
//! OTP's `zlib.erl` runs unmodified: it queues input with `enqueue_nif/2` and drives
//! `deflate_nif/4` and `inflate_nif/4` one chunk at a time (`{continue, Out}` until
//! `{finished, Out}`), keeping what it must across calls in the stream's stash. A stream is
//! a resource named by a reference; only its controlling process may use it.
//!
//! The compressor and decompressor always work on raw deflate data; the zlib (RFC 1950) and
//! gzip (RFC 1952) framing around it is written and checked here, which also lets
//! `deflateParams/3` change the level mid-stream (a new raw compressor after the flush
//! `zlib.erl` makes first). Not available with this backend: preset dictionaries
//! (`deflateSetDictionary`, `inflateSetDictionary` and `inflateGetDictionary` raise
//! `not_supported`; a zlib stream that needs one answers `need_dictionary` as erts does)
//! and windows smaller than 32 KiB when compressing (the window bits are checked and
//! written in the header, the data is compressed with a 32 KiB window, so a decompressor
//! limited to a smaller window may refuse it).

use flate2::{Compress, Compression, Decompress, FlushCompress, FlushDecompress, Status};
use girder_runtime::Process;
use girder_runtime::bif::{BifError, BifResult};
use girder_runtime::nif::NifTable;
use girder_term::copy::{copy_term, size_of_term};
use girder_term::heap::LiteralArea;
use girder_term::object as obj;
use girder_term::{Atom, Term};

use crate::resource::Registry;
use crate::util::{atom, bin, int, iolist, pair, raise};

pub static TABLE: NifTable = NifTable {
    module: "zlib",
    on_load_at_boot: true,
    load: None,
    functions: &[
        ("close_nif", 1, close),
        ("open_nif", 0, open),
        ("set_controller_nif", 2, set_controller),
        ("deflateInit_nif", 6, deflate_init),
        ("deflateSetDictionary_nif", 2, |p, a| {
            with(p, a[0], |_, z| {
                z.expect(State::Deflate)?;
                Err(raise(atom("not_supported")))
            })
        }),
        ("deflateReset_nif", 1, deflate_reset),
        ("deflateEnd_nif", 1, deflate_end),
        ("deflateParams_nif", 3, deflate_params),
        ("deflate_nif", 4, |p, a| codec(p, a, State::Deflate)),
        ("inflateInit_nif", 3, inflate_init),
        ("inflateSetDictionary_nif", 2, |p, a| {
            iolist(a[1])?;
            with(p, a[0], |_, z| {
                z.expect(State::Inflate)?;
                Err(raise(atom("not_supported")))
            })
        }),
        ("inflateGetDictionary_nif", 1, |p, a| {
            with(p, a[0], |_, z| {
                z.expect(State::Inflate)?;
                Err(raise(atom("not_supported")))
            })
        }),
        ("inflateReset_nif", 1, inflate_reset),
        ("inflateEnd_nif", 1, inflate_end),
        ("inflate_nif", 4, |p, a| codec(p, a, State::Inflate)),
        ("crc32_nif", 1, |p, a| {
            with(p, a[0], |p, z| match z.state {
                State::Deflate => Ok(obj::integer_from_u64(&mut p.heap, u64::from(z.input_crc))),
                State::Inflate => Ok(obj::integer_from_u64(&mut p.heap, u64::from(z.output_crc))),
                _ => Err(raise(atom("not_initialized"))),
            })
        }),
        ("getStash_nif", 1, |p, a| {
            with(p, a[0], |p, z| match &z.stash {
                None => Ok(atom("empty")),
                Some((_, t)) => {
                    let t = copy_term(*t, &mut p.heap);
                    pair(p, Term::atom(Atom::OK), t)
                }
            })
        }),
        ("clearStash_nif", 1, |p, a| {
            with(p, a[0], |_, z| match z.stash.take() {
                None => Err(raise(Term::atom(Atom::ERROR))),
                Some(_) => Ok(Term::atom(Atom::OK)),
            })
        }),
        ("setStash_nif", 2, |p, a| {
            let t = a[1];
            with(p, a[0], |_, z| {
                if z.stash.is_some() {
                    return Err(raise(Term::atom(Atom::ERROR)));
                }
                let mut area = Box::new(LiteralArea::with_capacity(size_of_term(t)));
                let copy = copy_term(t, &mut *area);
                z.stash = Some((area, copy));
                Ok(Term::atom(Atom::OK))
            })
        }),
        ("getBufSize_nif", 1, |p, a| {
            with(p, a[0], |_, z| Ok(Term::small(i64::from(z.buf_size))))
        }),
        ("setBufSize_nif", 2, |p, a| {
            let n = a[1];
            with(p, a[0], |_, z| {
                z.buf_size = int(n)?;
                Ok(Term::atom(Atom::OK))
            })
        }),
        ("enqueue_nif", 2, enqueue),
    ],
};

static STREAMS: Registry<Stream> = Registry::new(0x7a6c_6962);

#[derive(Clone, Copy, PartialEq, Eq)]
enum State {
    None,
    Deflate,
    Inflate,
    Closed,
}

/// The framing around the raw deflate data.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Wrap {
    Raw,
    Zlib,
    Gzip,
    /// Inflate only: zlib or gzip, decided by the first byte.
    Auto,
}

/// Where an inflating stream is in its framing.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Phase {
    Header,
    Body,
    Trailer,
    End,
}

struct Stream {
    state: State,
    owner: Term,
    wrap: Wrap,
    level: i32,
    eos_behavior: i32,
    eos_seen: bool,
    input_crc: u32,
    output_crc: u32,
    buf_size: i32,
    /// Queued input and how much of it is consumed.
    input: Vec<u8>,
    consumed: usize,
    compress: Option<Compress>,
    decompress: Option<Decompress>,
    /// Framing bytes (header, trailer) not yet handed out.
    pending: Vec<u8>,
    /// Inflate: framing bytes gathered so far, the framing phase, and the checksum and
    /// length of what the body produced (the trailer checks them).
    frame: Vec<u8>,
    phase: Phase,
    check: u32,
    adler: adler_state::Adler,
    length: u64,
    stash: Option<(Box<LiteralArea>, Term)>,
}

mod adler_state {
    /// A running Adler-32.
    #[derive(Clone, Copy)]
    pub struct Adler {
        a: u32,
        b: u32,
    }
    impl Adler {
        pub const fn new() -> Self {
            Adler { a: 1, b: 0 }
        }
        pub fn update(&mut self, data: &[u8]) {
            for chunk in data.chunks(5552) {
                for &x in chunk {
                    self.a += u32::from(x);
                    self.b += self.a;
                }
                self.a %= 65521;
                self.b %= 65521;
            }
        }
        pub fn value(self) -> u32 {
            (self.b << 16) | self.a
        }
    }
}

impl Stream {
    fn expect(&self, state: State) -> Result<(), BifError> {
        if self.state == state {
            Ok(())
        } else {
            Err(raise(atom("not_initialized")))
        }
    }

    fn reset_input(&mut self) {
        self.input.clear();
        self.consumed = 0;
        self.stash = None;
    }

    fn queued(&self) -> usize {
        self.input.len() - self.consumed
    }

    fn reset_inflate(&mut self) {
        if let Some(d) = &mut self.decompress {
            d.reset(false);
        }
        self.pending.clear();
        self.frame.clear();
        self.phase = if self.wrap == Wrap::Raw {
            Phase::Body
        } else {
            Phase::Header
        };
        self.check = 0;
        self.adler = adler_state::Adler::new();
        self.length = 0;
        self.output_crc = 0;
        self.eos_seen = false;
    }

    fn start_deflate(&mut self) {
        self.compress = Some(Compress::new(level(self.level), false));
        self.pending.clear();
        self.check = 0;
        self.adler = adler_state::Adler::new();
        self.length = 0;
        self.input_crc = 0;
        self.eos_seen = false;
        self.phase = Phase::Body;
        match self.wrap {
            Wrap::Zlib => {
                let flevel: u8 = match self.level {
                    0 | 1 => 0,
                    2..=5 => 1,
                    -1 | 6 => 2,
                    _ => 3,
                };
                let cmf: u8 = 0x78;
                let mut flg = flevel << 6;
                flg += 31 - ((u16::from(cmf) * 256 + u16::from(flg)) % 31) as u8;
                self.pending.extend([cmf, flg]);
            }
            Wrap::Gzip => {
                let xfl = match self.level {
                    9 => 2,
                    1 => 4,
                    _ => 0,
                };
                self.pending.extend([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, xfl, 3]);
            }
            Wrap::Raw | Wrap::Auto => {}
        }
    }
}

fn level(l: i32) -> Compression {
    match l {
        -1 => Compression::default(),
        l => Compression::new(l.clamp(0, 9) as u32),
    }
}

/// Run `f` on the stream `z` names, after erts' checks (a stream; the controlling
/// process).
fn with(
    p: &mut Process,
    z: Term,
    f: impl FnOnce(&mut Process, &mut Stream) -> BifResult,
) -> BifResult {
    let s = STREAMS.get(z)?;
    let mut s = s.lock().unwrap_or_else(|e| e.into_inner());
    if s.owner != p.pid() {
        return Err(raise(atom("not_on_controlling_process")));
    }
    f(p, &mut s)
}

fn open(p: &mut Process, _: &[Term]) -> BifResult {
    let owner = p.pid();
    Ok(STREAMS.make(
        p,
        Stream {
            state: State::None,
            owner,
            wrap: Wrap::Zlib,
            level: -1,
            eos_behavior: 2,
            eos_seen: false,
            input_crc: 0,
            output_crc: 0,
            buf_size: 4000,
            input: Vec::new(),
            consumed: 0,
            compress: None,
            decompress: None,
            pending: Vec::new(),
            frame: Vec::new(),
            phase: Phase::Header,
            check: 0,
            adler: adler_state::Adler::new(),
            length: 0,
            stash: None,
        },
    ))
}

fn close(p: &mut Process, a: &[Term]) -> BifResult {
    with(p, a[0], |_, z| {
        if z.state == State::Closed {
            return Err(raise(atom("not_initialized")));
        }
        z.state = State::Closed;
        z.compress = None;
        z.decompress = None;
        z.stash = None;
        z.input = Vec::new();
        z.consumed = 0;
        Ok(Term::atom(Atom::OK))
    })
}

fn set_controller(p: &mut Process, a: &[Term]) -> BifResult {
    let new = a[1];
    if !new.is_local_pid() {
        return Err(BifError::BADARG);
    }
    with(p, a[0], |_, z| {
        z.owner = new;
        Ok(Term::atom(Atom::OK))
    })
}

fn wrap_of(bits: i32, inflate: bool) -> Result<Wrap, BifError> {
    Ok(match bits {
        -15..=-8 => Wrap::Raw,
        8..=15 => Wrap::Zlib,
        24..=31 => Wrap::Gzip,
        40..=47 if inflate => Wrap::Auto,
        _ => return Err(raise(atom("stream_error"))),
    })
}

fn deflate_init(p: &mut Process, a: &[Term]) -> BifResult {
    let (lvl, method, bits, mem, strategy) =
        (int(a[1])?, int(a[2])?, int(a[3])?, int(a[4])?, int(a[5])?);
    with(p, a[0], |_, z| {
        if z.state != State::None {
            return Err(raise(atom("already_initialized")));
        }
        if !(-1..=9).contains(&lvl)
            || method != 8
            || !(1..=9).contains(&mem)
            || !(0..=4).contains(&strategy)
        {
            return Err(raise(atom("stream_error")));
        }
        let wrap = wrap_of(bits, false)?;
        z.wrap = wrap;
        z.level = lvl;
        z.state = State::Deflate;
        z.start_deflate();
        Ok(Term::atom(Atom::OK))
    })
}

fn deflate_reset(p: &mut Process, a: &[Term]) -> BifResult {
    with(p, a[0], |_, z| {
        z.expect(State::Deflate)?;
        z.start_deflate();
        z.reset_input();
        Ok(Term::atom(Atom::OK))
    })
}

fn deflate_end(p: &mut Process, a: &[Term]) -> BifResult {
    with(p, a[0], |_, z| {
        z.expect(State::Deflate)?;
        let left = z.queued() > 0;
        z.reset_input();
        z.compress = None;
        z.state = State::None;
        if left {
            return Err(raise(atom("data_error")));
        }
        Ok(Term::atom(Atom::OK))
    })
}

fn deflate_params(p: &mut Process, a: &[Term]) -> BifResult {
    let (lvl, strategy) = (int(a[1])?, int(a[2])?);
    with(p, a[0], |_, z| {
        z.expect(State::Deflate)?;
        if !(-1..=9).contains(&lvl) || !(0..=4).contains(&strategy) {
            return Err(raise(atom("stream_error")));
        }
        // `zlib.erl` flushed the stream (sync) first: the raw deflate data is at a byte
        // boundary, where a new compressor may go on.
        z.level = lvl;
        z.compress = Some(Compress::new(level(lvl), false));
        Ok(Term::atom(Atom::OK))
    })
}

fn inflate_init(p: &mut Process, a: &[Term]) -> BifResult {
    let (bits, eos) = (int(a[1])?, int(a[2])?);
    with(p, a[0], |_, z| {
        if z.state != State::None {
            return Err(raise(atom("already_initialized")));
        }
        z.wrap = wrap_of(bits, true)?;
        z.eos_behavior = eos;
        z.decompress = Some(Decompress::new(false));
        z.state = State::Inflate;
        z.reset_inflate();
        Ok(Term::atom(Atom::OK))
    })
}

fn inflate_reset(p: &mut Process, a: &[Term]) -> BifResult {
    with(p, a[0], |_, z| {
        z.expect(State::Inflate)?;
        z.reset_inflate();
        z.reset_input();
        Ok(Term::atom(Atom::OK))
    })
}

fn inflate_end(p: &mut Process, a: &[Term]) -> BifResult {
    with(p, a[0], |_, z| {
        z.expect(State::Inflate)?;
        let bad = !z.eos_seen || z.queued() > 0;
        z.reset_input();
        z.decompress = None;
        z.state = State::None;
        if bad {
            return Err(raise(atom("data_error")));
        }
        Ok(Term::atom(Atom::OK))
    })
}

fn enqueue(p: &mut Process, a: &[Term]) -> BifResult {
    let vec = a[1];
    with(p, a[0], |_, z| {
        if z.state != State::Deflate && z.state != State::Inflate {
            return Err(raise(atom("not_initialized")));
        }
        let bytes = iolist(vec)?;
        if z.consumed > 0 && z.consumed == z.input.len() {
            z.input.clear();
            z.consumed = 0;
        }
        z.input.extend_from_slice(&bytes);
        Ok(Term::atom(Atom::OK))
    })
}

/// What one codec step did.
enum Step {
    /// More may follow.
    Ok,
    /// The stream ended.
    End,
    /// The input is not valid.
    DataError,
    /// A zlib stream asks for a preset dictionary with this Adler-32.
    NeedDict(u32),
}

/// `deflate_nif(Z, InChunk, OutChunk, Flush)` and `inflate_nif/4`: `zlib_codec`.
fn codec(p: &mut Process, a: &[Term], kind: State) -> BifResult {
    let (in_chunk, out_chunk, flush) = (int(a[1])?, int(a[2])?, int(a[3])?);
    let in_chunk = in_chunk.max(1) as usize;
    let out_chunk = out_chunk.max(1) as usize;
    with(p, a[0], |p, z| {
        z.expect(kind)?;
        if kind == State::Inflate && z.eos_seen && z.queued() > 0 {
            match z.eos_behavior {
                0 => return Err(raise(atom("data_error"))),
                1 => z.reset_inflate(),
                _ => z.reset_input(),
            }
        }
        let mut out = Vec::with_capacity(out_chunk.min(1 << 16));
        let start = z.consumed;
        let limit = (start + in_chunk).min(z.input.len());
        let mut res = Step::Ok;
        // The queued input, up to the limit, without flushing.
        while z.consumed < limit && out.len() < out_chunk && matches!(res, Step::Ok) {
            let before = (z.consumed, out.len());
            res = if kind == State::Deflate {
                deflate_step(z, limit, &mut out, out_chunk, FlushCompress::None)
            } else {
                inflate_step(z, limit, &mut out, out_chunk)
            };
            if (z.consumed, out.len()) == before {
                break;
            }
        }
        let remaining = z.queued();
        if matches!(res, Step::Ok) && remaining == 0 && out.len() < out_chunk {
            // The end of the input: flush as asked (also with no flush: the output may
            // have been full last time).
            res = if kind == State::Deflate {
                let f = match flush {
                    2 => FlushCompress::Sync,
                    3 => FlushCompress::Full,
                    4 => FlushCompress::Finish,
                    _ => FlushCompress::None,
                };
                deflate_step(z, limit, &mut out, out_chunk, f)
            } else {
                inflate_step(z, limit, &mut out, out_chunk)
            };
        }
        let consumed = z.consumed - start;
        match res {
            Step::DataError => return Err(raise(atom("data_error"))),
            Step::End => z.eos_seen = true,
            Step::Ok | Step::NeedDict(_) => {}
        }
        if kind == State::Deflate && z.wrap == Wrap::Raw {
            z.input_crc = crc(z.input_crc, &z.input[start..z.consumed]);
        }
        if kind == State::Inflate && z.wrap == Wrap::Raw {
            z.output_crc = crc(z.output_crc, &out);
        }
        if z.consumed == z.input.len() {
            z.input.clear();
            z.consumed = 0;
        }
        let remaining = z.queued();
        if consumed == 0 && out.is_empty() && remaining != 0 {
            return Err(raise(atom("data_error")));
        }
        let output = if out.is_empty() {
            Term::NIL
        } else {
            let b = bin(p, &out);
            obj::list_from_slice(&mut p.heap, &[b], Term::NIL)
        };
        if remaining == 0 && out.len() < out_chunk {
            return pair(p, atom("finished"), output);
        }
        if let Step::NeedDict(adler) = res {
            let adler = obj::integer_from_u64(&mut p.heap, u64::from(adler));
            return Ok(obj::tuple(
                &mut p.heap,
                &[atom("need_dictionary"), adler, output],
            ));
        }
        pair(p, atom("continue"), output)
    })
}

fn crc(prev: u32, data: &[u8]) -> u32 {
    let mut h = crc32fast::Hasher::new_with_initial(prev);
    h.update(data);
    h.finalize()
}

/// Move framing bytes waiting in `z.pending` to `out`, as far as it has room.
fn drain_pending(z: &mut Stream, out: &mut Vec<u8>, cap: usize) {
    let n = z.pending.len().min(cap - out.len());
    out.extend(z.pending.drain(..n));
}

/// Compress queued input up to `limit` into `out` (at most `cap` bytes), with `flush`.
fn deflate_step(
    z: &mut Stream,
    limit: usize,
    out: &mut Vec<u8>,
    cap: usize,
    flush: FlushCompress,
) -> Step {
    drain_pending(z, out, cap);
    if !z.pending.is_empty() {
        return Step::Ok;
    }
    if z.phase == Phase::End {
        return Step::End;
    }
    let Some(c) = z.compress.as_mut() else {
        return Step::Ok;
    };
    let input = &z.input[z.consumed..limit];
    let (in0, out0, len) = (c.total_in(), c.total_out(), out.len());
    out.resize(cap, 0);
    let status = c.compress(input, &mut out[len..], flush);
    out.truncate(len + (c.total_out() - out0) as usize);
    let status = match status {
        Ok(s) => s,
        Err(_) => return Step::DataError,
    };
    let used = (c.total_in() - in0) as usize;
    let data = &z.input[z.consumed..z.consumed + used];
    z.adler.update(data);
    z.check = crc(z.check, data);
    z.length += used as u64;
    z.consumed += used;
    if status == Status::StreamEnd {
        z.phase = Phase::End;
        match z.wrap {
            Wrap::Zlib => z.pending.extend(z.adler.value().to_be_bytes()),
            Wrap::Gzip => {
                z.pending.extend(z.check.to_le_bytes());
                z.pending.extend((z.length as u32).to_le_bytes());
            }
            Wrap::Raw | Wrap::Auto => {}
        }
        drain_pending(z, out, cap);
        if z.pending.is_empty() {
            return Step::End;
        }
    }
    Step::Ok
}

/// The length of a complete gzip header at the start of `h`: `Ok(None)` while incomplete.
fn gzip_header(h: &[u8]) -> Result<Option<usize>, ()> {
    if h.len() < 10 {
        if h.first().is_some_and(|&b| b != 0x1f) || h.get(1).is_some_and(|&b| b != 0x8b) {
            return Err(());
        }
        return Ok(None);
    }
    if h[0] != 0x1f || h[1] != 0x8b || h[2] != 8 || h[3] & 0xe0 != 0 {
        return Err(());
    }
    let flags = h[3];
    let mut at = 10;
    if flags & 4 != 0 {
        let Some(x) = h.get(at..at + 2) else {
            return Ok(None);
        };
        at += 2 + usize::from(u16::from_le_bytes([x[0], x[1]]));
    }
    for bit in [8u8, 16] {
        if flags & bit != 0 {
            match h.get(at..).and_then(|r| r.iter().position(|&b| b == 0)) {
                Some(i) => at += i + 1,
                None => return Ok(None),
            }
        }
    }
    if flags & 2 != 0 {
        at += 2;
    }
    Ok((h.len() >= at).then_some(at))
}

/// Decompress queued input up to `limit` into `out` (at most `cap` bytes).
fn inflate_step(z: &mut Stream, limit: usize, out: &mut Vec<u8>, cap: usize) -> Step {
    loop {
        match z.phase {
            Phase::End => return Step::End,
            Phase::Header => {
                if z.consumed >= limit {
                    return Step::Ok;
                }
                let b = z.input[z.consumed];
                z.consumed += 1;
                z.frame.push(b);
                if z.wrap == Wrap::Auto {
                    z.wrap = if b == 0x1f { Wrap::Gzip } else { Wrap::Zlib };
                }
                if z.wrap == Wrap::Zlib {
                    if z.frame.len() == 2 {
                        let (cmf, flg) = (z.frame[0], z.frame[1]);
                        if cmf & 0x0f != 8
                            || cmf >> 4 > 7
                            || (u16::from(cmf) * 256 + u16::from(flg)) % 31 != 0
                        {
                            return Step::DataError;
                        }
                        if flg & 0x20 != 0 {
                            z.frame.clear();
                            z.phase = Phase::Trailer; // the dictionary id follows
                            z.check = u32::MAX;
                            continue;
                        }
                        z.frame.clear();
                        z.phase = Phase::Body;
                    }
                } else {
                    match gzip_header(&z.frame) {
                        Err(()) => return Step::DataError,
                        Ok(None) => {}
                        Ok(Some(_)) => {
                            z.frame.clear();
                            z.phase = Phase::Body;
                        }
                    }
                }
            }
            Phase::Body => {
                let Some(d) = z.decompress.as_mut() else {
                    return Step::Ok;
                };
                if out.len() >= cap {
                    return Step::Ok;
                }
                let input = &z.input[z.consumed..limit];
                let (in0, t0, out0) = (d.total_in(), d.total_out(), out.len());
                out.resize(cap, 0);
                let status = d.decompress(input, &mut out[out0..], FlushDecompress::None);
                out.truncate(out0 + (d.total_out() - t0) as usize);
                let status = match status {
                    Ok(s) => s,
                    Err(_) => return Step::DataError,
                };
                let used = (d.total_in() - in0) as usize;
                z.consumed += used;
                let produced = &out[out0..];
                z.adler.update(produced);
                z.check = crc(z.check, produced);
                z.length += produced.len() as u64;
                if status == Status::StreamEnd {
                    if z.wrap == Wrap::Raw {
                        z.phase = Phase::End;
                        return Step::End;
                    }
                    z.phase = Phase::Trailer;
                    continue;
                }
                return Step::Ok;
            }
            Phase::Trailer => {
                let need = if z.wrap == Wrap::Gzip { 8 } else { 4 };
                while z.frame.len() < need && z.consumed < limit {
                    z.frame.push(z.input[z.consumed]);
                    z.consumed += 1;
                }
                if z.frame.len() < need {
                    return Step::Ok;
                }
                let f = &z.frame;
                if z.check == u32::MAX && z.wrap == Wrap::Zlib && z.length == 0 {
                    // FDICT: the dictionary's Adler-32; girder cannot use a dictionary.
                    return Step::NeedDict(u32::from_be_bytes([f[0], f[1], f[2], f[3]]));
                }
                let ok = if z.wrap == Wrap::Gzip {
                    u32::from_le_bytes([f[0], f[1], f[2], f[3]]) == z.check
                        && u32::from_le_bytes([f[4], f[5], f[6], f[7]]) == z.length as u32
                } else {
                    u32::from_be_bytes([f[0], f[1], f[2], f[3]]) == z.adler.value()
                };
                if !ok {
                    return Step::DataError;
                }
                z.frame.clear();
                z.phase = Phase::End;
                return Step::End;
            }
        }
    }
}
