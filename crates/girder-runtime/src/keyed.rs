//! An insertion-ordered collection with O(1) lookup and removal by key: a process's links
//! (keyed by pid number) and monitors (keyed by reference), which OTP keeps in trees and
//! girder kept in vectors searched from the front (O(N) per `unlink`, `demonitor` or
//! `DOWN`, so a process with N monitors paid O(N^2) to end them).
//!
//! Removed entries leave a hole until holes outnumber entries, when the vector is
//! compacted (amortised O(1)); iteration skips holes and keeps insertion order.

use std::collections::HashMap;
use std::hash::Hash;

use girder_term::Term;
use girder_term::object as obj;

/// A reference as a hashable key: its ids (monitor references are local).
pub type RefKey = [u32; 5];

/// The key of a reference.
pub fn ref_key(r: Term) -> RefKey {
    if obj::is_local_ref(r) {
        let ids = obj::local_ref_ids(r);
        std::array::from_fn(|i| ids.get(i))
    } else {
        [u32::MAX; 5]
    }
}

/// Values in insertion order, each under a unique key.
#[derive(Debug)]
pub struct Keyed<K, V> {
    items: Vec<Option<(K, V)>>,
    index: HashMap<K, usize>,
}

impl<K, V> Default for Keyed<K, V> {
    fn default() -> Self {
        Keyed {
            items: Vec::new(),
            index: HashMap::new(),
        }
    }
}

impl<K: Hash + Eq + Copy, V> Keyed<K, V> {
    /// Adds `v` under `k` at the end (replacing an entry with that key).
    pub fn insert(&mut self, k: K, v: V) {
        self.remove(&k);
        self.index.insert(k, self.items.len());
        self.items.push(Some((k, v)));
    }

    pub fn contains(&self, k: &K) -> bool {
        self.index.contains_key(k)
    }

    pub fn get(&self, k: &K) -> Option<&V> {
        let i = *self.index.get(k)?;
        self.items[i].as_ref().map(|(_, v)| v)
    }

    /// Takes out the entry under `k`.
    pub fn remove(&mut self, k: &K) -> Option<V> {
        let i = self.index.remove(k)?;
        let (_, v) = self.items[i].take()?;
        if self.items.len() > 16 && self.index.len() * 2 < self.items.len() {
            self.compact();
        }
        Some(v)
    }

    fn compact(&mut self) {
        self.items.retain(Option::is_some);
        for (i, item) in self.items.iter().enumerate() {
            if let Some((k, _)) = item {
                self.index.insert(*k, i);
            }
        }
    }

    pub fn len(&self) -> usize {
        self.index.len()
    }

    pub fn is_empty(&self) -> bool {
        self.index.is_empty()
    }

    /// The values in insertion order.
    pub fn iter(&self) -> impl Iterator<Item = &V> {
        self.items.iter().flatten().map(|(_, v)| v)
    }

    /// The values in insertion order, to change them in place (not their keys).
    pub fn iter_mut(&mut self) -> impl Iterator<Item = &mut V> {
        self.items.iter_mut().flatten().map(|(_, v)| v)
    }

    /// Empties the collection, returning the values in insertion order.
    pub fn take(&mut self) -> Vec<V> {
        self.index.clear();
        std::mem::take(&mut self.items)
            .into_iter()
            .flatten()
            .map(|(_, v)| v)
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_order_through_removals_and_compaction() {
        let mut k: Keyed<u64, u64> = Keyed::default();
        for i in 0..100 {
            k.insert(i, i * 10);
        }
        for i in (0..100).filter(|i| i % 3 != 0) {
            assert_eq!(k.remove(&i), Some(i * 10));
        }
        assert_eq!(k.remove(&1), None);
        assert_eq!(k.len(), 34);
        let left: Vec<u64> = k.iter().copied().collect();
        let want: Vec<u64> = (0..100).filter(|i| i % 3 == 0).map(|i| i * 10).collect();
        assert_eq!(left, want);
        assert!(k.contains(&99) && !k.contains(&98));
        assert_eq!(k.get(&99), Some(&990));
        k.insert(3, 7);
        assert_eq!(k.iter().last(), Some(&7));
        assert_eq!(k.take().len(), 34);
        assert!(k.is_empty());
    }
}
