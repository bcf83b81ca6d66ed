//! References, and pids, ports and references of other nodes.
//!
//! - Local reference (`REF`): header (arity 3), then up to five `u32` ids and their count,
//!   packed: word 0 = `ids[0] | ids[1] << 32`, word 1 = `ids[2] | ids[3] << 32`, word 2 =
//!   `ids[4] | count << 32`. Unused ids are zero. `ids[0]` is the least significant id, as in
//!   the external term format; a reference prints as `#Ref<0.ids[2].ids[1].ids[0]>`.
//!   [`make_ref`] makes three ids from a global 64-bit counter (18 + 32 + 14 bits), so
//!   references made later compare greater.
//! - Local pids and ports are immediates (see [`word`](crate::word)). A local pid's number is
//!   `id | serial << 32` (so `<0.N.0>` is `Term::pid(N)`), which makes comparing the raw
//!   numbers give OTP's order: serial first, then id.
//! - `EXTERNAL_PID`: header (arity 4): node atom, id, serial, creation.
//! - `EXTERNAL_PORT`: header (arity 3): node atom, id, creation.
//! - `EXTERNAL_REF`: header (arity 3 + count): node atom, creation, id count, one id per word.
//!
//! External identifiers only arise from decoding terms of other nodes (or of this node with a
//! non-zero creation); girder is not distributed yet.

use std::sync::atomic::{AtomicU64, Ordering};

use super::alloc_object;
use crate::atom::Atom;
use crate::header::{boxed_subtag, header_of, payload, subtag};
use crate::heap::Alloc;
use crate::word::Term;

/// The most ids a reference has.
pub const MAX_REF_IDS: usize = 5;

/// Reference ids, least significant first.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct RefIds {
    ids: [u32; MAX_REF_IDS],
    len: usize,
}

impl RefIds {
    /// Ids from a slice of 1 to [`MAX_REF_IDS`] ids.
    pub fn new(ids: &[u32]) -> Option<RefIds> {
        if ids.is_empty() || ids.len() > MAX_REF_IDS {
            return None;
        }
        let mut all = [0; MAX_REF_IDS];
        all[..ids.len()].copy_from_slice(ids);
        Some(RefIds {
            ids: all,
            len: ids.len(),
        })
    }

    /// The ids.
    pub fn as_slice(&self) -> &[u32] {
        &self.ids[..self.len]
    }

    /// Id `i`, zero beyond the end (references of different lengths compare as if padded
    /// with zeros at the significant end).
    pub fn get(&self, i: usize) -> u32 {
        self.ids.get(i).copied().unwrap_or(0)
    }
}

static NEXT_REF: AtomicU64 = AtomicU64::new(1);

/// A new local reference, unique in this OS process.
pub fn make_ref(h: &mut impl Alloc) -> Term {
    // Relaxed: only uniqueness matters, which any read-modify-write of one atomic gives.
    let c = NEXT_REF.fetch_add(1, Ordering::Relaxed);
    let ids = [(c & 0x3_ffff) as u32, (c >> 18) as u32, (c >> 50) as u32];
    local_ref(h, &RefIds::new(&ids).expect("three ids"))
}

/// A local reference with these ids.
pub fn local_ref(h: &mut impl Alloc, ids: &RefIds) -> Term {
    let id = |i: usize| u64::from(ids.get(i));
    let (t, p) = alloc_object(h, 3, subtag::REF);
    // SAFETY: the object has three payload words.
    unsafe {
        p.write(id(0) | id(1) << 32);
        p.add(1).write(id(2) | id(3) << 32);
        p.add(2).write(id(4) | (ids.len as u64) << 32);
    }
    t
}

/// Whether `t` is a local reference.
#[inline]
pub fn is_local_ref(t: Term) -> bool {
    boxed_subtag(t) == Some(subtag::REF)
}

/// Whether `t` is a reference (local or external).
#[inline]
pub fn is_ref(t: Term) -> bool {
    matches!(boxed_subtag(t), Some(subtag::REF | subtag::EXTERNAL_REF))
}

/// Whether `t` is a pid (local or external).
#[inline]
pub fn is_pid(t: Term) -> bool {
    t.is_local_pid() || boxed_subtag(t) == Some(subtag::EXTERNAL_PID)
}

/// Whether `t` is a port (local or external).
#[inline]
pub fn is_port(t: Term) -> bool {
    t.is_local_port() || boxed_subtag(t) == Some(subtag::EXTERNAL_PORT)
}

/// The local pid `<0.id.serial>`, or `None` when `serial` does not fit (28 bits).
pub fn local_pid(id: u32, serial: u32) -> Option<Term> {
    (serial < 1 << 28).then(|| Term::pid(u64::from(id) | u64::from(serial) << 32))
}

/// The `(id, serial)` of a local pid.
pub fn local_pid_parts(t: Term) -> (u32, u32) {
    debug_assert!(t.is_local_pid());
    let n = t.immediate_id();
    (n as u32, (n >> 32) as u32)
}

/// A node, its creation and the ids of a pid, port or reference, wherever it lives.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Ident {
    /// The node (`nonode@nohost` for local ones).
    pub node: Atom,
    /// The node's creation (0 for local ones).
    pub creation: u32,
    /// Pid: `[id, serial]`; port: `[id]`; reference: its ids.
    pub ids: IdentIds,
}

/// The numbers of an identifier.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum IdentIds {
    /// A pid.
    Pid {
        /// Id.
        id: u32,
        /// Serial.
        serial: u32,
    },
    /// A port.
    Port(u64),
    /// A reference.
    Ref(RefIds),
}

/// A pid of another node (or of this node's name with a non-zero creation).
pub fn external_pid(h: &mut impl Alloc, node: Atom, id: u32, serial: u32, creation: u32) -> Term {
    let (t, p) = alloc_object(h, 4, subtag::EXTERNAL_PID);
    // SAFETY: the object has four payload words.
    unsafe {
        p.write(Term::atom(node).0);
        p.add(1).write(u64::from(id));
        p.add(2).write(u64::from(serial));
        p.add(3).write(u64::from(creation));
    }
    t
}

/// A port of another node.
pub fn external_port(h: &mut impl Alloc, node: Atom, id: u64, creation: u32) -> Term {
    let (t, p) = alloc_object(h, 3, subtag::EXTERNAL_PORT);
    // SAFETY: the object has three payload words.
    unsafe {
        p.write(Term::atom(node).0);
        p.add(1).write(id);
        p.add(2).write(u64::from(creation));
    }
    t
}

/// A reference of another node.
pub fn external_ref(h: &mut impl Alloc, node: Atom, creation: u32, ids: &RefIds) -> Term {
    let ids = ids.as_slice();
    let (t, p) = alloc_object(h, 3 + ids.len(), subtag::EXTERNAL_REF);
    // SAFETY: the object has `3 + ids.len()` payload words.
    unsafe {
        p.write(Term::atom(node).0);
        p.add(1).write(u64::from(creation));
        p.add(2).write(ids.len() as u64);
        for (i, &id) in ids.iter().enumerate() {
            p.add(3 + i).write(u64::from(id));
        }
    }
    t
}

/// The ids of a local reference.
pub fn local_ref_ids(t: Term) -> RefIds {
    debug_assert!(is_local_ref(t));
    let (w0, w1, w2) = (payload(t, 0), payload(t, 1), payload(t, 2));
    let ids = [
        w0 as u32,
        (w0 >> 32) as u32,
        w1 as u32,
        (w1 >> 32) as u32,
        w2 as u32,
    ];
    RefIds {
        ids,
        len: ((w2 >> 32) as usize).clamp(1, MAX_REF_IDS),
    }
}

/// This node's name atom (an index into the atom table) and creation, packed: 0 while it is
/// `nonode@nohost` with creation 0.
static THIS_NODE: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

/// This node's name and creation (`nonode@nohost` and 0 until it is distributed).
pub fn this_node() -> (Atom, u32) {
    let w = THIS_NODE.load(std::sync::atomic::Ordering::Acquire);
    if w == 0 {
        (Atom::NONODE, 0)
    } else {
        (Atom::from_index(w as u32), (w >> 32) as u32)
    }
}

/// Name this node (`erlang:setnode/2`): local pids, ports and references belong to `node`
/// with `creation` from now on, in terms built, printed and encoded.
pub fn set_this_node(node: Atom, creation: u32) {
    girder_format::etf::set_local_node(node.name(), creation);
    let w = u64::from(node.index()) | u64::from(creation) << 32;
    THIS_NODE.store(w, std::sync::atomic::Ordering::Release);
}

/// The parts of a pid, port or reference (local or external); `None` for other terms.
pub fn ident(t: Term) -> Option<Ident> {
    let local = |ids| {
        let (node, creation) = this_node();
        Some(Ident {
            node,
            creation,
            ids,
        })
    };
    if t.is_local_pid() {
        let (id, serial) = local_pid_parts(t);
        return local(IdentIds::Pid { id, serial });
    }
    if t.is_local_port() {
        return local(IdentIds::Port(t.immediate_id()));
    }
    let st = boxed_subtag(t)?;
    if st == subtag::REF {
        return local(IdentIds::Ref(local_ref_ids(t)));
    }
    let node = || Term(payload(t, 0)).as_atom().expect("node atom");
    let ids = match st {
        subtag::EXTERNAL_PID => IdentIds::Pid {
            id: payload(t, 1) as u32,
            serial: payload(t, 2) as u32,
        },
        subtag::EXTERNAL_PORT => IdentIds::Port(payload(t, 1)),
        subtag::EXTERNAL_REF => {
            let n = (payload(t, 2) as usize).min(header_of(t).header_arity() - 3);
            let ids: Vec<u32> = (0..n).map(|i| payload(t, 3 + i) as u32).collect();
            IdentIds::Ref(RefIds::new(&ids)?)
        }
        _ => return None,
    };
    let creation = match st {
        subtag::EXTERNAL_PID => payload(t, 3),
        subtag::EXTERNAL_PORT => payload(t, 2),
        _ => payload(t, 1),
    } as u32;
    Some(Ident {
        node: node(),
        creation,
        ids,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::heap::Heap;

    #[test]
    fn refs_and_idents() {
        let mut h = Heap::new(64);
        let a = make_ref(&mut h);
        let b = make_ref(&mut h);
        assert!(is_ref(a) && is_local_ref(a));
        assert_ne!(local_ref_ids(a), local_ref_ids(b));
        assert_eq!(local_ref_ids(a).as_slice().len(), 3);
        let ids = RefIds::new(&[1, 2, 3, 4, 5]).unwrap();
        let r = local_ref(&mut h, &ids);
        assert_eq!(local_ref_ids(r), ids);
        let node = Atom::intern("a@b");
        let x = external_ref(&mut h, node, 7, &ids);
        assert!(is_ref(x) && !is_local_ref(x));
        assert_eq!(
            ident(x),
            Some(Ident {
                node,
                creation: 7,
                ids: IdentIds::Ref(ids)
            })
        );
        let p = external_pid(&mut h, node, 1, 2, 3);
        assert!(is_pid(p));
        assert_eq!(
            ident(p),
            Some(Ident {
                node,
                creation: 3,
                ids: IdentIds::Pid { id: 1, serial: 2 }
            })
        );
        let q = external_port(&mut h, node, 1 << 62, 3);
        assert!(is_port(q));
        assert_eq!(ident(q).unwrap().ids, IdentIds::Port(1 << 62));
        let lp = local_pid(5, 1).unwrap();
        assert_eq!(local_pid_parts(lp), (5, 1));
        assert_eq!(ident(lp).unwrap().node, Atom::NONODE);
        assert!(RefIds::new(&[]).is_none());
    }
}
