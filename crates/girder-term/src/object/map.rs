//! Maps: flat maps up to 32 keys, hash tries (HAMT) above, as OTP lays them out.
//!
//! **Flat map**: header (`MAP`, arity = 2 + n), the size `n` as a small, a term pointing at
//! a tuple of the `n` keys, then the `n` values in key order. Keys are unique (by `=:=`)
//! and sorted in map-key order ([`cmp_exact`]: like term order, except that every integer
//! sorts before every float), which is the order OTP gives small maps. Maps built from one
//! another may share a keys tuple (and literal maps' keys are literals).
//!
//! **Hash trie** (more than [`FLAT_MAX`] keys): the root is a `MAP` object whose first
//! payload word is `[]` (a flat map's is a small, which is how the two are told apart),
//! then the size as a small, the root node's bitmap as a small, and its children. Inner
//! nodes are `HAMT_NODE` objects: the number of keys below as a small, the bitmap as a
//! small, and the children. A child is a leaf, the cons cell `[Key | Value]` (as in OTP), or
//! an inner node. Level `l` indexes a node's 16 slots with bits `4l..4l+4` of the key's
//! 32-bit internal hash ([`internal_hash`]; from level 8 on, the hash with salt `l / 8`);
//! bit `i` of the bitmap says slot `i` is used, and the children are stored in slot order.
//! A node whose keys agree on every hash bit down to [`MAX_LEVEL`] is a collision node
//! (bitmap `-1`): its children are leaves in key order. The trie is canonical: a slot
//! holding one key holds its leaf, so the shape depends only on the keys.
//!
//! Not OTP's yet: the relative order of two keys whose 32-bit hashes are equal (about one
//! pair in a map of 77 000 keys). OTP 25.2.3 orders such pairs neither by the hash salted
//! with 1 nor by the hash of `[1 | Key]` (measured on 52 pairs of integers); girder uses the
//! salted hash.
//!
//! **Order.** OTP iterates a trie depth first, slots in order (`maps:iterator/1`,
//! `maps:next/1` and so `maps:fold/3` and `io_lib`'s printing visit pairs in that order) and
//! builds lists by consing in that order, so `maps:to_list/1`, `keys/1`, `values/1` and
//! `term_to_binary/1` give the reverse: [`map_pairs`] is that order; [`map_nth_iter`] and
//! [`trie_iter_batch`] (OTP's `erts_internal:map_next/3` walk) follow iteration order. A put that takes a flat map past 32 keys makes a trie; a removal that
//! leaves a trie with 32 keys makes a flat map again (both as OTP 25 does).

use std::cmp::Ordering;

use super::{alloc_object, cons, head, tail, term_slice, tuple, tuple_arity, tuple_elements};
use crate::compare::cmp_exact;
use crate::hash::internal_hash;
use crate::header::{boxed_subtag, header_of, payload, payload_ptr, subtag};
use crate::heap::Alloc;
use crate::word::Term;

/// The most keys a flat map holds.
pub const FLAT_MAX: usize = 32;
/// Levels below which keys that agree on every hash bit share a collision node.
pub const MAX_LEVEL: u32 = 64;
/// The bitmap word of a collision node.
const COLLISION: i64 = -1;

/// A key with its level-0 hash.
#[derive(Clone, Copy)]
struct Item {
    key: Term,
    value: Term,
    h0: u32,
}

impl Item {
    fn new(key: Term, value: Term) -> Item {
        Item {
            key,
            value,
            h0: internal_hash(key, 0),
        }
    }
}

/// The 32 bits of hash that levels `8s..8s+8` use.
#[inline]
fn hash_at(key: Term, h0: u32, salt: u32) -> u32 {
    if salt == 0 {
        h0
    } else {
        internal_hash(key, salt)
    }
}

/// The slot (0..16) of a key at `level`.
#[inline]
fn slot(key: Term, h0: u32, level: u32) -> u32 {
    (hash_at(key, h0, level / 8) >> (4 * (level % 8))) & 0xf
}

/// The hash with its nibbles reversed, so that comparing two of these compares slots level
/// by level.
#[inline]
fn nibbles_reversed(h: u32) -> u32 {
    let h = h.swap_bytes();
    ((h & 0x0f0f_0f0f) << 4) | ((h >> 4) & 0x0f0f_0f0f)
}

/// Compares the slot paths of two keys (iteration order); keys on one path compare by
/// [`cmp_exact`], the order of a collision node.
fn path_cmp(a: &Item, b: &Item) -> Ordering {
    let mut ord = nibbles_reversed(a.h0).cmp(&nibbles_reversed(b.h0));
    let mut salt = 1;
    while ord.is_eq() && salt < MAX_LEVEL / 8 {
        ord = nibbles_reversed(internal_hash(a.key, salt))
            .cmp(&nibbles_reversed(internal_hash(b.key, salt)));
        salt += 1;
    }
    ord.then_with(|| cmp_exact(a.key, b.key))
}

// ---------------------------------------------------------------------------------------
// Building

/// A map of `pairs`. When a key occurs more than once, keeps the pair that came last, as
/// `maps:from_list/1` does. Flat up to [`FLAT_MAX`] distinct keys, a trie above. Reorders
/// `pairs`.
pub fn map_from_pairs(h: &mut impl Alloc, pairs: &mut Vec<(Term, Term)>) -> Term {
    let n = sort_keep_last(pairs);
    pairs.truncate(n);
    if pairs.len() > FLAT_MAX {
        let mut items: Vec<Item> = pairs.iter().map(|&(k, v)| Item::new(k, v)).collect();
        return trie_from_items(h, &mut items);
    }
    let keys: Vec<Term> = pairs.iter().map(|p| p.0).collect();
    let keys = tuple(h, &keys);
    let values: Vec<Term> = pairs.iter().map(|p| p.1).collect();
    map_from_sorted(h, keys, &values)
}

/// Sort `pairs` by key and keep the last of equal keys (as `#{K => V1, K => V2}` and
/// `maps:from_list/1` do), in the first places: how many pairs remain.
fn sort_keep_last(pairs: &mut [(Term, Term)]) -> usize {
    pairs.sort_by(|a, b| cmp_exact(a.0, b.0));
    // Equal keys are adjacent and in their original order (the sort is stable).
    let mut n = 0;
    for i in 0..pairs.len() {
        if n > 0 && cmp_exact(pairs[n - 1].0, pairs[i].0).is_eq() {
            pairs[n - 1] = pairs[i];
        } else {
            pairs[n] = pairs[i];
            n += 1;
        }
    }
    n
}

/// A flat map of the keys in the tuple `keys` (already unique and sorted by [`cmp_exact`])
/// with `values` in the same order. Lets maps that differ only in values share one keys
/// tuple. Any size is accepted; only maps of up to [`FLAT_MAX`] keys are flat in OTP.
pub fn map_from_sorted(h: &mut impl Alloc, keys: Term, values: &[Term]) -> Term {
    let n = values.len();
    assert_eq!(tuple_arity(keys), n, "keys and values differ in number");
    debug_assert!(
        tuple_elements(keys)
            .windows(2)
            .all(|w| cmp_exact(w[0], w[1]).is_lt())
    );
    let (t, p) = alloc_object(h, 2 + n, subtag::MAP);
    // SAFETY: the object has `2 + n` payload words: size, keys, `n` values.
    unsafe {
        p.write(Term::small(n as i64).0);
        p.add(1).write(keys.0);
        std::ptr::copy_nonoverlapping(values.as_ptr(), p.add(2).cast::<Term>(), n);
    }
    t
}

/// A trie of distinct keys (any number; tests build small ones).
fn trie_from_items(h: &mut impl Alloc, items: &mut [Item]) -> Term {
    items.sort_by(path_cmp);
    let (bitmap, children) = build_children(h, items, 0);
    make_root(h, items.len(), bitmap, &children)
}

/// The bitmap and children of a node at `level` holding `items` (sorted by [`path_cmp`]).
fn build_children(h: &mut impl Alloc, items: &[Item], level: u32) -> (i64, Vec<Term>) {
    if level >= MAX_LEVEL {
        let leaves = items.iter().map(|it| cons(h, it.key, it.value)).collect();
        return (COLLISION, leaves);
    }
    let mut bitmap = 0i64;
    let mut children = Vec::new();
    let mut i = 0;
    while i < items.len() {
        let s = slot(items[i].key, items[i].h0, level);
        let mut j = i + 1;
        while j < items.len() && slot(items[j].key, items[j].h0, level) == s {
            j += 1;
        }
        bitmap |= 1 << s;
        children.push(if j - i == 1 {
            cons(h, items[i].key, items[i].value)
        } else {
            let (b, c) = build_children(h, &items[i..j], level + 1);
            make_node(h, b, j - i, &c)
        });
        i = j;
    }
    (bitmap, children)
}

/// A trie root.
fn make_root(h: &mut impl Alloc, size: usize, bitmap: i64, children: &[Term]) -> Term {
    let n = children.len();
    let (t, p) = alloc_object(h, 3 + n, subtag::MAP);
    // SAFETY: the object has `3 + n` payload words: marker, size, bitmap, `n` children.
    unsafe {
        p.write(Term::NIL.0);
        p.add(1).write(Term::small(size as i64).0);
        p.add(2).write(Term::small(bitmap).0);
        std::ptr::copy_nonoverlapping(children.as_ptr(), p.add(3).cast::<Term>(), n);
    }
    t
}

/// An inner (or collision) node.
fn make_node(h: &mut impl Alloc, bitmap: i64, count: usize, children: &[Term]) -> Term {
    let n = children.len();
    let (t, p) = alloc_object(h, 2 + n, subtag::HAMT_NODE);
    // SAFETY: the object has `2 + n` payload words: count, bitmap, `n` children.
    unsafe {
        p.write(Term::small(count as i64).0);
        p.add(1).write(Term::small(bitmap).0);
        std::ptr::copy_nonoverlapping(children.as_ptr(), p.add(2).cast::<Term>(), n);
    }
    t
}

/// The empty map.
pub fn empty_map(h: &mut impl Alloc) -> Term {
    let keys = tuple(h, &[]);
    map_from_sorted(h, keys, &[])
}

// ---------------------------------------------------------------------------------------
// Reading

/// Whether `t` is a map.
#[inline]
pub fn is_map(t: Term) -> bool {
    boxed_subtag(t) == Some(subtag::MAP)
}

/// Whether the map `m` is flat (its first payload word is its size).
#[inline]
pub fn is_flatmap(m: Term) -> bool {
    debug_assert!(is_map(m));
    Term(payload(m, 0)).is_small()
}

/// The number of pairs in the map `m`.
#[inline]
pub fn map_size(m: Term) -> usize {
    debug_assert!(is_map(m));
    if is_flatmap(m) {
        header_of(m).header_arity() - 2
    } else {
        Term(payload(m, 1)).small_value() as usize
    }
}

/// The keys tuple of the flat map `m`.
#[inline]
pub fn map_keys_tuple(m: Term) -> Term {
    debug_assert!(is_flatmap(m));
    Term(payload(m, 1))
}

/// The keys of the flat map `m`, sorted. Valid until the next GC of the heap holding `m`.
#[inline]
pub fn map_keys<'a>(m: Term) -> &'a [Term] {
    tuple_elements(map_keys_tuple(m))
}

/// The values of the flat map `m`, in key order. Valid until the next GC of the heap
/// holding `m`.
#[inline]
pub fn map_values<'a>(m: Term) -> &'a [Term] {
    debug_assert!(is_flatmap(m));
    let n = map_size(m);
    // SAFETY: a live flat map has `n` initialised values after its size and keys words.
    unsafe { term_slice(payload_ptr(m).add(2), n) }
}

/// A trie node (the root or an inner node) as its parts.
struct Node<'a> {
    bitmap: i64,
    children: &'a [Term],
}

/// The node `t`: a trie root or a `HAMT_NODE`.
fn node<'a>(t: Term) -> Node<'a> {
    let arity = header_of(t).header_arity();
    let first = if header_of(t).header_subtag() == subtag::MAP {
        1
    } else {
        0
    };
    // SAFETY: a live trie root has marker, size, bitmap then `arity - 3` children; an inner
    // node count, bitmap, then `arity - 2` children, all initialised.
    let children = unsafe { term_slice(payload_ptr(t).add(first + 2), arity - first - 2) };
    Node {
        bitmap: Term(payload(t, first + 1)).small_value(),
        children,
    }
}

/// A trie map (its root) or one of its inner nodes as parts: the slot bitmap (-1 for a
/// collision node) and the children, a leaf being the cell `[Key | Value]`; `None` for a
/// flat map. Valid until the next GC of the heap holding `t`.
pub fn trie_node<'a>(t: Term) -> Option<(i64, &'a [Term])> {
    if is_map(t) && is_flatmap(t) {
        return None;
    }
    let n = node(t);
    Some((n.bitmap, n.children))
}

/// The number of keys under a child (a leaf or an inner node).
#[inline]
fn child_count(c: Term) -> usize {
    if c.is_list() {
        1
    } else {
        Term(payload(c, 0)).small_value() as usize
    }
}

/// The index in `children` of slot `s` of a node with this bitmap, if used.
#[inline]
fn child_index(bitmap: i64, s: u32) -> Option<usize> {
    let bit = 1i64 << s;
    (bitmap & bit != 0).then(|| (bitmap & (bit - 1)).count_ones() as usize)
}

/// The value for `key` (matched with `=:=`), if present.
pub fn map_get(m: Term, key: Term) -> Option<Term> {
    if is_flatmap(m) {
        let keys = map_keys(m);
        // Small maps of immediates: a scan of words beats a binary search of comparisons.
        let i = if key.is_boxed() || key.is_list() {
            keys.binary_search_by(|k| cmp_exact(*k, key)).ok()?
        } else {
            keys.iter().position(|k| *k == key)?
        };
        return Some(map_values(m)[i]);
    }
    let h0 = internal_hash(key, 0);
    let mut t = m;
    let mut level = 0;
    loop {
        let n = node(t);
        let c = if n.bitmap == COLLISION {
            return n
                .children
                .iter()
                .find_map(|&leaf| crate::compare::eq_exact(head(leaf), key).then(|| tail(leaf)));
        } else {
            n.children[child_index(n.bitmap, slot(key, h0, level))?]
        };
        if c.is_list() {
            return crate::compare::eq_exact(head(c), key).then(|| tail(c));
        }
        t = c;
        level += 1;
    }
}

/// Calls `f` on each pair under the trie node `t`, depth first, slots in order, or in the
/// reverse of that order.
fn walk(t: Term, reverse: bool, f: &mut impl FnMut(Term, Term)) {
    let n = node(t);
    let mut visit = |c: Term| {
        if c.is_list() {
            f(head(c), tail(c));
        } else {
            walk(c, reverse, f);
        }
    };
    if reverse {
        n.children.iter().rev().copied().for_each(&mut visit);
    } else {
        n.children.iter().copied().for_each(&mut visit);
    }
}

/// The pairs of the map `m` in OTP's list order (what `maps:to_list/1` gives: key order for
/// a flat map, the reverse of iteration order for a trie). Valid until the next GC of the
/// heap holding `m`.
pub fn map_pairs<'a>(m: Term) -> MapPairs<'a> {
    if is_flatmap(m) {
        MapPairs::Flat(map_keys(m).iter().zip(map_values(m).iter()))
    } else {
        let mut all = Vec::with_capacity(map_size(m));
        walk(m, true, &mut |k, v| all.push((k, v)));
        MapPairs::Trie(all.into_iter())
    }
}

/// The pairs of the map `m` sorted by key ([`cmp_exact`]), whatever its layout: the order of
/// term comparison and of `term_to_binary(M, [deterministic])`.
pub fn map_sorted_pairs(m: Term) -> Vec<(Term, Term)> {
    let mut all: Vec<(Term, Term)> = map_pairs(m).collect();
    if !is_flatmap(m) {
        all.sort_by(|a, b| cmp_exact(a.0, b.0));
    }
    all
}

/// The pairs in the order OTP's internal hash visits a map nested in a key: key order for a
/// flat map, for a trie each node's slots last to first (which is [`map_pairs`]' order).
pub fn map_hash_walk(m: Term) -> Vec<(Term, Term)> {
    map_pairs(m).collect()
}

/// Iterator over a map's pairs (see [`map_pairs`]).
pub enum MapPairs<'a> {
    /// A flat map's keys and values.
    Flat(std::iter::Zip<std::slice::Iter<'a, Term>, std::slice::Iter<'a, Term>>),
    /// A trie's pairs, collected.
    Trie(std::vec::IntoIter<(Term, Term)>),
}

impl Iterator for MapPairs<'_> {
    type Item = (Term, Term);

    #[inline]
    fn next(&mut self) -> Option<(Term, Term)> {
        match self {
            MapPairs::Flat(it) => it.next().map(|(k, v)| (*k, *v)),
            MapPairs::Trie(it) => it.next(),
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        match self {
            MapPairs::Flat(it) => it.size_hint(),
            MapPairs::Trie(it) => it.size_hint(),
        }
    }
}

/// Pair `i` (0-based) in iteration order (key order for a flat map, depth
/// first with slots in order for a trie), in O(log n) for a trie.
pub fn map_nth_iter(m: Term, i: usize) -> Option<(Term, Term)> {
    if is_flatmap(m) {
        let k = *map_keys(m).get(i)?;
        return Some((k, map_values(m)[i]));
    }
    if i >= map_size(m) {
        return None;
    }
    let mut t = m;
    let mut i = i;
    'down: loop {
        for &c in node(t).children {
            let n = child_count(c);
            if i < n {
                if c.is_list() {
                    return Some((head(c), tail(c)));
                }
                t = c;
                continue 'down;
            }
            i -= n;
        }
        return None;
    }
}

/// A batch of a trie's pairs in iteration order, as OTP's `erts_internal:map_next/3` walks
/// it: from the leaf that `path` leads to (`path[l]` is the index among the children of the
/// node at level `l`; missing levels are 0, and a path ending at an inner node continues
/// into its first child), at most `max` (at least 1) pairs, and the path of the next leaf
/// if any remain. `None` when the path leads nowhere.
pub fn trie_iter_batch(m: Term, path: &[u8], max: usize) -> Option<IterBatch> {
    debug_assert!(!is_flatmap(m));
    let max = max.max(1);
    let mut out = Vec::new();
    // Each frame: a node's children and (where the walk is in it) + 1.
    let mut stack: Vec<(&[Term], usize)> = Vec::new();
    let mut t = m;
    for level in 0.. {
        let children = node(t).children;
        let elem = usize::from(path.get(level).copied().unwrap_or(0));
        let c = *children.get(elem)?;
        stack.push((children, elem + 1));
        if c.is_list() {
            out.push((head(c), tail(c)));
            break;
        }
        t = c;
    }
    while let Some((children, mut idx)) = stack.pop() {
        while idx < children.len() && out.len() < max && children[idx].is_list() {
            out.push((head(children[idx]), tail(children[idx])));
            idx += 1;
        }
        if out.len() == max {
            if idx < children.len() {
                stack.push((children, idx + 1));
            } else {
                while let Some((ch, i)) = stack.pop() {
                    if i < ch.len() {
                        stack.push((ch, i + 1));
                        break;
                    }
                }
            }
            break;
        }
        if idx < children.len() {
            stack.push((children, idx + 1));
            stack.push((node(children[idx]).children, 0));
        }
    }
    let next = (!stack.is_empty()).then(|| stack.iter().map(|&(_, i)| (i - 1) as u8).collect());
    Some(IterBatch { pairs: out, next })
}

/// What [`trie_iter_batch`] returns. The terms are valid until the next GC of the heap
/// holding the map.
pub struct IterBatch {
    /// The pairs, in iteration order.
    pub pairs: Vec<(Term, Term)>,
    /// The path of the next leaf, if pairs remain.
    pub next: Option<Vec<u8>>,
}

// ---------------------------------------------------------------------------------------
// Updating

/// The flat map `m` with the values of `pairs` put in, when every key of `pairs` is
/// already in `m` (`None` otherwise, or when `m` is not flat): the new map shares `m`'s
/// keys tuple, so updating known keys costs one copy of the values and no sorting. The new
/// map is made before the keys are looked up (no buffer): when a key is missing, it stays
/// behind as garbage, whole, for the next collection.
pub fn map_update_existing(
    h: &mut impl Alloc,
    m: Term,
    pairs: impl Iterator<Item = (Term, Term)>,
) -> Option<Term> {
    if !is_flatmap(m) {
        return None;
    }
    let keys = map_keys(m);
    let values = map_values(m);
    let n = values.len();
    let (t, p) = alloc_object(h, 2 + n, subtag::MAP);
    // SAFETY: the object has `2 + n` payload words: size, keys, `n` values; `m` is a
    // different, finished object (allocation never moves or frees terms).
    unsafe {
        p.write(Term::small(n as i64).0);
        p.add(1).write(map_keys_tuple(m).0);
        std::ptr::copy_nonoverlapping(values.as_ptr(), p.add(2).cast::<Term>(), n);
    }
    for (k, v) in pairs {
        let i = if k.is_boxed() || k.is_list() {
            keys.binary_search_by(|x| cmp_exact(*x, k)).ok()?
        } else {
            keys.iter().position(|x| *x == k)?
        };
        // SAFETY: `i < n`: a value slot of the object made above.
        unsafe { p.add(2 + i).write(v.0) };
    }
    Some(t)
}

/// The flat map `m` with `pairs` put in (added or replaced; of equal keys in `pairs` the
/// last wins), when the result is still flat (`None` otherwise, or when `m` is not flat).
/// `m`'s keys are already in order, so only `pairs` is sorted (usually a few keys) and the
/// two are merged, without sorting the whole map again. Reorders `pairs`.
pub fn map_put_flat(h: &mut impl Alloc, m: Term, pairs: &mut [(Term, Term)]) -> Option<Term> {
    if !is_flatmap(m) || pairs.len() > FLAT_MAX {
        return None;
    }
    let n = sort_keep_last(pairs);
    let pairs = &pairs[..n];
    let (keys, values) = (map_keys(m), map_values(m));
    let mut out_keys = [Term::NIL; 2 * FLAT_MAX];
    let mut out_values = [Term::NIL; 2 * FLAT_MAX];
    let (mut i, mut j, mut r) = (0, 0, 0);
    while i < keys.len() || j < pairs.len() {
        let order = match (keys.get(i), pairs.get(j)) {
            (Some(k), Some(p)) => cmp_exact(*k, p.0),
            (Some(_), None) => Ordering::Less,
            _ => Ordering::Greater,
        };
        let (k, v) = match order {
            Ordering::Less => {
                i += 1;
                (keys[i - 1], values[i - 1])
            }
            Ordering::Equal => {
                i += 1;
                j += 1;
                pairs[j - 1]
            }
            Ordering::Greater => {
                j += 1;
                pairs[j - 1]
            }
        };
        out_keys[r] = k;
        out_values[r] = v;
        r += 1;
    }
    if r > FLAT_MAX {
        return None;
    }
    let kt = tuple(h, &out_keys[..r]);
    Some(map_from_sorted(h, kt, &out_values[..r]))
}

/// `m` with `key` mapped to `value` (added or replaced).
pub fn map_put(h: &mut impl Alloc, m: Term, key: Term, value: Term) -> Term {
    if is_flatmap(m) {
        let keys = map_keys(m);
        let found = keys.binary_search_by(|k| cmp_exact(*k, key));
        return match found {
            Ok(i) => {
                let mut values = map_values(m).to_vec();
                values[i] = value;
                let kt = map_keys_tuple(m);
                map_from_sorted(h, kt, &values)
            }
            Err(_) if keys.len() >= FLAT_MAX => {
                let mut items: Vec<Item> = map_pairs(m).map(|(k, v)| Item::new(k, v)).collect();
                items.push(Item::new(key, value));
                trie_from_items(h, &mut items)
            }
            Err(i) => {
                let mut ks = keys.to_vec();
                let mut vs = map_values(m).to_vec();
                ks.insert(i, key);
                vs.insert(i, value);
                let kt = tuple(h, &ks);
                map_from_sorted(h, kt, &vs)
            }
        };
    }
    let item = Item::new(key, value);
    let (children, bitmap, added) = insert(h, m, item, 0);
    make_root(h, map_size(m) + usize::from(added), bitmap, &children)
}

/// The children and bitmap of the node `t` (at `level`) with `item` put in, and whether the
/// key is new.
fn insert(h: &mut impl Alloc, t: Term, item: Item, level: u32) -> (Vec<Term>, i64, bool) {
    let n = node(t);
    let mut children = n.children.to_vec();
    if n.bitmap == COLLISION {
        let leaf = cons(h, item.key, item.value);
        for c in children.iter_mut() {
            if crate::compare::eq_exact(head(*c), item.key) {
                *c = leaf;
                return (children, COLLISION, false);
            }
        }
        let at = children
            .iter()
            .position(|c| cmp_exact(head(*c), item.key).is_gt())
            .unwrap_or(children.len());
        children.insert(at, leaf);
        return (children, COLLISION, true);
    }
    let s = slot(item.key, item.h0, level);
    let Some(i) = child_index(n.bitmap, s) else {
        let bit = 1i64 << s;
        let at = (n.bitmap & (bit - 1)).count_ones() as usize;
        children.insert(at, cons(h, item.key, item.value));
        return (children, n.bitmap | bit, true);
    };
    let c = children[i];
    let added = if c.is_list() {
        if crate::compare::eq_exact(head(c), item.key) {
            children[i] = cons(h, item.key, item.value);
            false
        } else {
            let other = Item::new(head(c), tail(c));
            let mut two = [other, item];
            two.sort_by(path_cmp);
            let (b, cs) = build_children(h, &two, level + 1);
            children[i] = make_node(h, b, 2, &cs);
            true
        }
    } else {
        let (cs, b, added) = insert(h, c, item, level + 1);
        children[i] = make_node(h, b, child_count(c) + usize::from(added), &cs);
        added
    };
    (children, n.bitmap, added)
}

/// `m` without `key` (`m` itself when the key is absent).
pub fn map_remove(h: &mut impl Alloc, m: Term, key: Term) -> Term {
    if is_flatmap(m) {
        let keys = map_keys(m);
        let Ok(i) = keys.binary_search_by(|k| cmp_exact(*k, key)) else {
            return m;
        };
        let mut ks = keys.to_vec();
        let mut vs = map_values(m).to_vec();
        ks.remove(i);
        vs.remove(i);
        let kt = tuple(h, &ks);
        return map_from_sorted(h, kt, &vs);
    }
    if map_get(m, key).is_none() {
        return m;
    }
    let size = map_size(m) - 1;
    if size <= FLAT_MAX {
        let mut pairs: Vec<(Term, Term)> = map_pairs(m)
            .filter(|&(k, _)| !crate::compare::eq_exact(k, key))
            .collect();
        return map_from_pairs(h, &mut pairs);
    }
    let (children, bitmap) = delete(h, m, key, internal_hash(key, 0), 0);
    make_root(h, size, bitmap, &children)
}

/// The children and bitmap of the node `t` (at `level`, holding `key`) without `key`.
fn delete(h: &mut impl Alloc, t: Term, key: Term, h0: u32, level: u32) -> (Vec<Term>, i64) {
    let n = node(t);
    let mut children = n.children.to_vec();
    if n.bitmap == COLLISION {
        children.retain(|c| !crate::compare::eq_exact(head(*c), key));
        return (children, COLLISION);
    }
    let s = slot(key, h0, level);
    let i = child_index(n.bitmap, s).expect("the key is present");
    let c = children[i];
    if c.is_list() {
        children.remove(i);
        return (children, n.bitmap & !(1i64 << s));
    }
    let (cs, b) = delete(h, c, key, h0, level + 1);
    // A node left with one key gives way to that key's leaf.
    children[i] = if cs.len() == 1 && cs[0].is_list() {
        cs[0]
    } else {
        make_node(h, b, child_count(c) - 1, &cs)
    };
    (children, n.bitmap)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::atom::Atom;
    use crate::compare::eq_exact;
    use crate::heap::Heap;
    use crate::object::{float, heap_binary};

    #[test]
    fn build_and_look_up() {
        let mut h = Heap::new(64);
        let a = Term::atom(Atom::OK);
        let one_f = float(&mut h, 1.0);
        let mut pairs = vec![
            (a, Term::small(1)),
            (Term::small(1), Term::small(2)),
            (one_f, Term::small(3)),
            (a, Term::small(4)),
            (Term::small(2), Term::small(5)),
        ];
        let m = map_from_pairs(&mut h, &mut pairs);
        assert!(is_map(m));
        assert_eq!(map_size(m), 4);
        // Integers first, then floats, then atoms.
        assert_eq!(map_keys(m), &[Term::small(1), Term::small(2), one_f, a]);
        assert_eq!(map_get(m, a), Some(Term::small(4)));
        assert_eq!(map_get(m, Term::small(1)), Some(Term::small(2)));
        let other_one = float(&mut h, 1.0);
        assert_eq!(map_get(m, other_one), Some(Term::small(3)));
        assert_eq!(map_get(m, Term::small(3)), None);
        assert_eq!(map_pairs(m).count(), 4);
        let e = empty_map(&mut h);
        assert_eq!(map_size(e), 0);
        assert_eq!(map_get(e, a), None);
    }

    #[test]
    fn put_flat_and_update_existing_agree_with_building_anew() {
        let mut h = Heap::new(64);
        // Every split of keys 0..12 between a map and the pairs put into it (pairs given
        // out of order, with a repeated key whose last value must win), against the map
        // built from all pairs at once.
        for mask in 0u32..(1 << 12) {
            let in_map: Vec<i64> = (0..12).filter(|i| mask & (1 << i) != 0).collect();
            let mut base: Vec<(Term, Term)> = in_map
                .iter()
                .map(|&i| (Term::small(i), Term::small(i)))
                .collect();
            let m = map_from_pairs(&mut h, &mut base);
            let put: Vec<i64> = (0..12)
                .rev()
                .filter(|i| i % 3 == (mask % 3) as i64)
                .collect();
            let mut pairs: Vec<(Term, Term)> = put
                .iter()
                .map(|&i| (Term::small(i), Term::small(100)))
                .collect();
            if let Some(&k) = put.first() {
                pairs.push((Term::small(k), Term::small(200)));
            }
            let mut all: Vec<(Term, Term)> = map_pairs(m).chain(pairs.iter().copied()).collect();
            let want = map_from_pairs(&mut h, &mut all);
            let got = map_put_flat(&mut h, m, &mut pairs.clone()).expect("stays flat");
            assert!(eq_exact(got, want), "mask {mask}");
            let existing = put.iter().all(|k| in_map.contains(k));
            let updated = map_update_existing(&mut h, m, pairs.iter().copied());
            assert_eq!(updated.is_some(), existing, "mask {mask}");
            if let Some(u) = updated {
                assert!(eq_exact(u, want), "mask {mask}");
            }
        }
        // Past FLAT_MAX keys the result is not flat: no answer.
        let m = ints(&mut h, 1..=30);
        let mut pairs: Vec<(Term, Term)> = (31..=33)
            .map(|i| (Term::small(i), Term::small(i)))
            .collect();
        assert!(map_put_flat(&mut h, m, &mut pairs).is_none());
    }

    /// `maps:keys(maps:from_list([{I, I} || I <- lists:seq(1, 40)]))` in OTP 25.
    const OTP_KEYS_1_TO_40: [i64; 40] = [
        33, 12, 23, 29, 30, 39, 26, 31, 11, 37, 9, 32, 34, 25, 28, 6, 38, 13, 40, 20, 15, 14, 2, 7,
        1, 8, 3, 17, 22, 21, 4, 36, 24, 10, 35, 27, 19, 5, 18, 16,
    ];

    fn ints(h: &mut Heap, keys: impl Iterator<Item = i64>) -> Term {
        let mut pairs: Vec<(Term, Term)> =
            keys.map(|i| (Term::small(i), Term::small(-i))).collect();
        map_from_pairs(h, &mut pairs)
    }

    fn keys_of(m: Term) -> Vec<i64> {
        map_pairs(m).map(|(k, _)| k.small_value()).collect()
    }

    #[test]
    fn large_maps_are_tries_in_otps_order() {
        let mut h = Heap::new(64);
        let m = ints(&mut h, 1..=40);
        assert!(!is_flatmap(m));
        assert_eq!(map_size(m), 40);
        assert_eq!(keys_of(m), OTP_KEYS_1_TO_40);
        // Iteration is the reverse of list order.
        let iter: Vec<i64> = (0..40)
            .map(|i| map_nth_iter(m, i).unwrap().0.small_value())
            .collect();
        let mut rev = OTP_KEYS_1_TO_40;
        rev.reverse();
        assert_eq!(iter, rev);
        assert_eq!(map_nth_iter(m, 40), None);
        for i in 1..=40 {
            assert_eq!(map_get(m, Term::small(i)), Some(Term::small(-i)));
        }
        assert_eq!(map_get(m, Term::small(41)), None);
        let f = float(&mut h, 1.0);
        assert_eq!(map_get(m, f), None);
    }

    #[test]
    fn flat_and_trie_transitions() {
        let mut h = Heap::new(64);
        let m32 = ints(&mut h, 1..=32);
        assert!(is_flatmap(m32));
        let m33 = map_put(&mut h, m32, Term::small(33), Term::small(-33));
        assert!(!is_flatmap(m33));
        assert_eq!(map_size(m33), 33);
        let back = map_remove(&mut h, m33, Term::small(7));
        assert!(is_flatmap(back));
        assert_eq!(
            keys_of(back),
            (1..=33).filter(|&i| i != 7).collect::<Vec<_>>()
        );
        assert_eq!(map_remove(&mut h, m33, Term::small(99)), m33);
        // 40 entries, 20 distinct keys: flat.
        let mut pairs: Vec<(Term, Term)> = (0..40)
            .map(|i| (Term::small(i % 20), Term::small(i)))
            .collect();
        let m = map_from_pairs(&mut h, &mut pairs);
        assert!(is_flatmap(m));
        assert_eq!(map_get(m, Term::small(3)), Some(Term::small(23)));
    }

    /// Random puts and removes agree with a model, and a trie's shape depends only on its
    /// keys: however it was built, its order is the order of a trie built at once.
    #[test]
    fn updates_agree_with_a_model() {
        let mut h = Heap::new(1024);
        let mut model = std::collections::BTreeMap::new();
        let mut m = empty_map(&mut h);
        let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
        for step in 0..4000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let k = (x % 300) as i64 - 150;
            if x % 7 < 5 {
                m = map_put(&mut h, m, Term::small(k), Term::small(step));
                model.insert(k, step);
            } else {
                m = map_remove(&mut h, m, Term::small(k));
                model.remove(&k);
            }
            assert_eq!(map_size(m), model.len());
            assert_eq!(is_flatmap(m), model.len() <= FLAT_MAX);
            if step % 97 == 0 {
                for (&k, &v) in &model {
                    assert_eq!(map_get(m, Term::small(k)), Some(Term::small(v)));
                }
                let mut pairs: Vec<(Term, Term)> = model
                    .iter()
                    .map(|(&k, &v)| (Term::small(k), Term::small(v)))
                    .collect();
                let fresh = map_from_pairs(&mut h, &mut pairs);
                assert_eq!(keys_of(m), keys_of(fresh));
                assert!(eq_exact(m, fresh));
                let sorted: Vec<i64> = map_sorted_pairs(m)
                    .iter()
                    .map(|p| p.0.small_value())
                    .collect();
                assert_eq!(sorted, model.keys().copied().collect::<Vec<_>>());
            }
        }
    }

    #[test]
    fn boxed_keys() {
        let mut h = Heap::new(64);
        let mut pairs: Vec<(Term, Term)> = (0..50)
            .map(|i| {
                let b = heap_binary(&mut h, format!("key{i}").as_bytes());
                (b, Term::small(i))
            })
            .collect();
        let m = map_from_pairs(&mut h, &mut pairs);
        assert!(!is_flatmap(m));
        for i in 0..50 {
            let b = heap_binary(&mut h, format!("key{i}").as_bytes());
            assert_eq!(map_get(m, b), Some(Term::small(i)));
            let f = float(&mut h, i as f64);
            assert_eq!(map_get(m, f), None);
        }
    }

    /// Two keys whose 32-bit hashes are equal go below level 8, where the trie uses the hash
    /// salted with 1.
    #[test]
    fn keys_with_equal_hashes() {
        let mut seen = std::collections::HashMap::new();
        let (a, b) = (0i64..)
            .find_map(|i| {
                let h = internal_hash(Term::small(i), 0);
                seen.insert(h, i).map(|j| (j, i))
            })
            .unwrap();
        let mut h = Heap::new(64);
        let base = ints(&mut h, 1000..1040);
        let m = map_put(&mut h, base, Term::small(a), Term::small(1));
        let m = map_put(&mut h, m, Term::small(b), Term::small(2));
        assert_eq!(map_size(m), 42);
        assert_eq!(map_get(m, Term::small(a)), Some(Term::small(1)));
        assert_eq!(map_get(m, Term::small(b)), Some(Term::small(2)));
        let mut pairs: Vec<(Term, Term)> = map_pairs(m).collect();
        let fresh = map_from_pairs(&mut h, &mut pairs);
        assert_eq!(keys_of(fresh), keys_of(m));
        let without_a = map_remove(&mut h, m, Term::small(a));
        assert_eq!(map_get(without_a, Term::small(a)), None);
        assert_eq!(map_get(without_a, Term::small(b)), Some(Term::small(2)));
        assert_eq!(map_size(without_a), 41);
    }

    /// Batches follow paths the way OTP's `erts_internal:map_next/3` does: after the first
    /// 32 pairs of `maps:from_list([{I, I} || I <- lists:seq(1, 40)])`, OTP 25 gives the
    /// path 11 (the root's twelfth child).
    #[test]
    fn iteration_batches_and_paths() {
        let mut h = Heap::new(64);
        let m = ints(&mut h, 1..=40);
        let first = trie_iter_batch(m, &[], 32).unwrap();
        assert_eq!(first.pairs.len(), 32);
        assert_eq!(first.next.as_deref(), Some(&[11u8][..]));
        let mut rev = OTP_KEYS_1_TO_40;
        rev.reverse();
        for max in [1, 2, 3, 7, 32, 100] {
            let mut all = Vec::new();
            let mut path = Vec::new();
            loop {
                let b = trie_iter_batch(m, &path, max).unwrap();
                assert!(b.pairs.len() <= max);
                all.extend(b.pairs.iter().map(|p| p.0.small_value()));
                match b.next {
                    Some(p) => path = p,
                    None => break,
                }
            }
            assert_eq!(all, rev, "batches of {max}");
        }
        // A path past a node's children leads nowhere.
        assert!(trie_iter_batch(m, &[15], 1).is_none());
    }
}
