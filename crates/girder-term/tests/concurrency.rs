//! Stress tests of girder-term's lock-free shared structures, from several threads at once:
//! the atom table (segments published with release/acquire, names read without a lock) and
//! the growable binary buffer (appenders racing on a compare-and-swap for the bytes past
//! its end). `scripts/cross-test aarch64` also runs them on aarch64 under qemu, where loads
//! and stores are reordered in ways x86-64 never shows.

use std::sync::Barrier;
use std::sync::atomic::{AtomicU32, Ordering};

use girder_term::object::{append, binary_bytes, byte_size, growable_capacity, heap_binary};
use girder_term::{Atom, Heap, Term, copy_term};

const THREADS: usize = 4;

/// Threads intern fresh atoms (thousands, so that new segments of the table are created
/// and published while others read) and publish the newest index; reader threads read the
/// name of every atom up to the published index, without a lock.
#[test]
fn atoms_interned_and_read_concurrently() {
    const PER_THREAD: usize = 3000;
    let newest = AtomicU32::new(Atom::intern("concurrency_first").index());
    let start = Barrier::new(2 * THREADS);
    std::thread::scope(|s| {
        for t in 0..THREADS {
            let (newest, start) = (&newest, &start);
            s.spawn(move || {
                start.wait();
                for i in 0..PER_THREAD {
                    let name = format!("concurrency_{t}_{i}");
                    let a = Atom::intern(&name);
                    assert_eq!(a.name(), name);
                    // Every thread interns some of the same names: one atom each.
                    let shared = format!("concurrency_shared_{}", i % 500);
                    assert_eq!(Atom::intern(&shared), Atom::intern(&shared));
                    // Release: the reader's Acquire load then sees the atom's segment.
                    newest.fetch_max(a.index(), Ordering::Release);
                }
            });
        }
        for _ in 0..THREADS {
            let (newest, start) = (&newest, &start);
            s.spawn(move || {
                start.wait();
                let mut seen = 0;
                for _ in 0..200 {
                    // Acquire: pairs with the writers' Release (as a message would).
                    let up_to = newest.load(Ordering::Acquire);
                    for i in seen..=up_to {
                        // `name` panics if the atom's segment or slot is not visible.
                        assert!(Atom::from_index(i).name().len() <= 255);
                    }
                    seen = up_to;
                    std::thread::yield_now();
                }
            });
        }
    });
    for t in 0..THREADS {
        for i in (0..PER_THREAD).step_by(97) {
            let name = format!("concurrency_{t}_{i}");
            assert_eq!(Atom::existing(&name).map(Atom::name), Some(name.as_str()));
        }
    }
}

/// One binary over a growable buffer, copied into one heap per thread; every thread then
/// appends to its copy at once. Exactly one may extend the buffer in place (the others
/// copy), and each thread's result holds exactly its own bytes after the shared prefix,
/// which would not hold if two threads wrote past the buffer's end together.
#[test]
fn appends_to_one_buffer_race_for_its_end() {
    for round in 0..200u32 {
        let mut h = Heap::new(64);
        let base = heap_binary(&mut h, &[7; 70]);
        // Appending to a plain binary (not a short one) gives one over a growable buffer.
        let grown = append(&mut h, base, &[round as u8], 8);
        assert!(growable_capacity(grown).is_some());
        let heaps: Vec<(Heap, u64)> = (0..THREADS)
            .map(|_| {
                let mut heap = Heap::new(64);
                let copy = copy_term(grown, &mut heap);
                (heap, copy.0)
            })
            .collect();
        let start = Barrier::new(THREADS);
        let results: Vec<(Vec<u8>, bool)> = std::thread::scope(|s| {
            let handles: Vec<_> = heaps
                .into_iter()
                .enumerate()
                .map(|(t, (mut heap, copy))| {
                    let start = &start;
                    s.spawn(move || {
                        let copy = Term(copy);
                        let data = |t: Term| binary_bytes(t).expect("a binary").as_ptr();
                        start.wait();
                        let mut b = append(&mut heap, copy, &[100 + t as u8], 8);
                        let in_place = data(b) == data(copy);
                        for i in 0..50u8 {
                            b = append(&mut heap, b, &[i, t as u8], 16);
                        }
                        let bytes = binary_bytes(b).expect("a binary").to_vec();
                        assert_eq!(byte_size(b), bytes.len());
                        (bytes, in_place)
                    })
                })
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
        let winners = results.iter().filter(|(_, in_place)| *in_place).count();
        assert_eq!(
            winners, 1,
            "round {round}: one append extends the buffer in place"
        );
        for (t, (bytes, _)) in results.iter().enumerate() {
            let mut want = vec![7; 70];
            want.push(round as u8);
            want.push(100 + t as u8);
            for i in 0..50u8 {
                want.extend([i, t as u8]);
            }
            assert_eq!(bytes, &want, "round {round}, thread {t}");
        }
        // The original still sees only its own bytes.
        assert_eq!(byte_size(grown), 71);
    }
}
