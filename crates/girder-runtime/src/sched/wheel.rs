//! A hashed timing wheel: timers by millisecond tick, O(1) to add, fired tick by tick.
//!
//! [`SLOTS`] slots cover the next `SLOTS` ticks; a timer further away waits in an ordered
//! overflow heap until the wheel comes within range of it. Only timer numbers are stored:
//! what a timer does, and whether it was cancelled, the caller keeps.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

/// Slots in the wheel: ticks (milliseconds) it covers ahead of the current one.
pub const SLOTS: u64 = 1024;

pub struct Wheel {
    slots: Box<[Vec<(u64, u64)>]>,
    /// Every tick up to and including this one has fired.
    done: u64,
    /// Timers in the slots.
    in_slots: usize,
    /// Timers beyond the slots' range, earliest first.
    far: BinaryHeap<Reverse<(u64, u64)>>,
}

impl Wheel {
    /// An empty wheel whose ticks up to `done` count as fired.
    pub fn new(done: u64) -> Wheel {
        Wheel {
            slots: (0..SLOTS).map(|_| Vec::new()).collect(),
            done,
            in_slots: 0,
            far: BinaryHeap::new(),
        }
    }

    /// Timers not fired yet (cancelled ones included until their tick passes).
    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.in_slots + self.far.len()
    }

    #[cfg(test)]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Timer `id` fires at `tick` (at the next tick if that has passed).
    pub fn insert(&mut self, tick: u64, id: u64) {
        let tick = tick.max(self.done + 1);
        if tick - self.done <= SLOTS {
            self.slots[(tick % SLOTS) as usize].push((tick, id));
            self.in_slots += 1;
        } else {
            self.far.push(Reverse((tick, id)));
        }
    }

    /// Fire every tick up to and including `now`: the timers due, in tick order.
    pub fn advance(&mut self, now: u64, due: &mut Vec<u64>) {
        while self.done < now {
            if self.in_slots == 0 {
                // Nothing in range: jump to just before the next far timer (or to `now`).
                let next_far = self.far.peek().map_or(u64::MAX, |Reverse((t, _))| *t);
                let jump = now.min(next_far.saturating_sub(1));
                if jump > self.done {
                    self.done = jump;
                    self.pull_far();
                    continue;
                }
            }
            let tick = self.done + 1;
            let slot = &mut self.slots[(tick % SLOTS) as usize];
            let before = slot.len();
            // A slot holds only timers of one lap: those of `tick`.
            due.extend(slot.drain(..).map(|(t, id)| {
                debug_assert_eq!(t, tick);
                id
            }));
            self.in_slots -= before;
            self.done = tick;
            self.pull_far();
        }
    }

    /// Move far timers that came within range into their slots.
    fn pull_far(&mut self) {
        while let Some(&Reverse((tick, id))) = self.far.peek() {
            if tick - self.done.min(tick) > SLOTS {
                break;
            }
            self.far.pop();
            self.insert(tick, id);
        }
    }

    /// The earliest tick a timer waits for, if any.
    pub fn next_tick(&self) -> Option<u64> {
        if self.in_slots > 0 {
            for tick in self.done + 1..=self.done + SLOTS {
                if !self.slots[(tick % SLOTS) as usize].is_empty() {
                    return Some(tick);
                }
            }
        }
        self.far.peek().map(|Reverse((t, _))| *t)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fire(w: &mut Wheel, now: u64) -> Vec<u64> {
        let mut v = Vec::new();
        w.advance(now, &mut v);
        v
    }

    #[test]
    fn timers_fire_at_their_tick_in_order() {
        let mut w = Wheel::new(0);
        w.insert(5, 1);
        w.insert(3, 2);
        w.insert(5, 3);
        w.insert(SLOTS * 3 + 7, 4);
        w.insert(0, 5); // already past: the next tick
        assert_eq!(w.len(), 5);
        assert_eq!(w.next_tick(), Some(1));
        assert_eq!(fire(&mut w, 2), vec![5]);
        assert_eq!(fire(&mut w, 4), vec![2]);
        assert_eq!(fire(&mut w, 5), vec![1, 3]);
        assert_eq!(w.next_tick(), Some(SLOTS * 3 + 7));
        assert!(fire(&mut w, SLOTS * 3 + 6).is_empty());
        assert_eq!(fire(&mut w, SLOTS * 10), vec![4]);
        assert!(w.is_empty());
        assert_eq!(w.next_tick(), None);
    }

    #[test]
    fn long_idle_stretches_are_jumped_and_laps_kept_apart() {
        let mut w = Wheel::new(100);
        w.insert(100 + SLOTS, 1);
        w.insert(100 + 2 * SLOTS, 2);
        w.insert(1_000_000_000, 3);
        assert_eq!(fire(&mut w, 100 + SLOTS), vec![1]);
        assert_eq!(fire(&mut w, 100 + 2 * SLOTS - 1), Vec::<u64>::new());
        assert_eq!(fire(&mut w, 999_999_999), vec![2]);
        assert_eq!(fire(&mut w, 1_000_000_000), vec![3]);
    }
}
