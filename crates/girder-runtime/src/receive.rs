//! Receive markers (OTP 24+ `recv_marker_reserve`, `_bind`, `_use`, `_clear`) and taking a
//! message out of the queue: the one meaning of these instructions, which the interpreter's
//! arms and native code call.
//!
//! The compiler brackets `Ref = make_ref(), ..., receive {Ref, _} -> ...` with them:
//! `reserve` marks the end of the queue before the reference exists, `bind` ties the mark
//! to the reference, `use` (just before the receive loop) starts the scan at the mark, and
//! `clear` drops it when the receive is done. No message queued before the mark can hold
//! the new reference, so skipping them changes nothing but the cost: a call from a process
//! with a long queue costs O(new messages), not O(queue).
//!
//! A mark is a position in [`Process::msgs`]; taking a message out before it moves it
//! back. Marks are few (at most [`MAX_MARKERS`], the oldest dropped first): a dropped or
//! unknown mark makes `use` do nothing, and the receive scans the whole queue as without
//! markers.

use girder_term::Term;
use girder_term::object::{self as obj, RefIds};

use crate::process::Process;

/// How many marks a process keeps (OTP keeps a small fixed block of them too).
pub const MAX_MARKERS: usize = 16;

/// One receive mark.
#[derive(Clone, Copy, Debug)]
pub struct RecvMarker {
    /// The number `recv_marker_reserve` gave it.
    id: i64,
    /// The reference it is bound to, by its ids (references move with the heap).
    bound: Option<RefIds>,
    /// How many messages are queued before it.
    pos: usize,
}

impl Process {
    /// `loop_rec`: the message at the receive position, or `None` past the last one
    /// (messages that reached this process on other threads are taken in first).
    #[inline]
    pub fn peek_message(&mut self) -> Option<Term> {
        if self.recv_pos >= self.msgs.len() {
            crate::sched::pull_messages(self);
        }
        self.msgs.get(self.recv_pos).copied()
    }

    /// `recv_marker_reserve`: a mark at the end of the queue (messages that reached this
    /// process on other threads are taken in first), as a term to keep in a register.
    pub fn recv_marker_reserve(&mut self) -> Term {
        crate::sched::pull_messages(self);
        if self.recv_markers.len() >= MAX_MARKERS {
            self.recv_markers.remove(0);
        }
        self.next_marker = self.next_marker.wrapping_add(1) & 0x0fff_ffff;
        let id = self.next_marker;
        self.recv_markers.push(RecvMarker {
            id,
            bound: None,
            pos: self.msgs.len(),
        });
        Term::small(id)
    }

    /// `recv_marker_bind Marker, Ref`: ties the mark to the reference.
    pub fn recv_marker_bind(&mut self, marker: Term, reference: Term) {
        let (Some(id), true) = (marker.as_small(), obj::is_local_ref(reference)) else {
            return;
        };
        let ids = obj::local_ref_ids(reference);
        for m in &mut self.recv_markers {
            if m.bound == Some(ids) {
                m.bound = None;
            }
        }
        if let Some(m) = self.recv_markers.iter_mut().find(|m| m.id == id) {
            m.bound = Some(ids);
        }
    }

    fn recv_marker_find(&self, reference: Term) -> Option<usize> {
        if !obj::is_local_ref(reference) {
            return None;
        }
        let ids = obj::local_ref_ids(reference);
        self.recv_markers.iter().position(|m| m.bound == Some(ids))
    }

    /// `recv_marker_use Ref`: the receive that follows starts at the mark bound to `Ref`.
    pub fn recv_marker_use(&mut self, reference: Term) {
        if let Some(i) = self.recv_marker_find(reference) {
            self.recv_pos = self.recv_markers[i].pos.min(self.msgs.len());
        }
    }

    /// `recv_marker_clear Ref`: drops the mark bound to `Ref`.
    pub fn recv_marker_clear(&mut self, reference: Term) {
        if let Some(i) = self.recv_marker_find(reference) {
            self.recv_markers.remove(i);
        }
    }

    /// `remove_message`: takes the message at the receive position out of the queue and
    /// ends the receive (the position back to the start, no timeout pending).
    pub fn remove_message(&mut self) {
        let at = self.recv_pos;
        if at < self.msgs.len() {
            self.msgs.remove(at);
            for m in &mut self.recv_markers {
                if m.pos > at {
                    m.pos -= 1;
                }
            }
        }
        self.recv_pos = 0;
        self.deadline = None;
        self.timed_out = false;
    }

    /// Keeps only the queued messages `keep` accepts (`demonitor(R, [flush])`), keeping
    /// the marks in place, and restarts any receive at the start of the queue.
    pub fn retain_messages(&mut self, mut keep: impl FnMut(Term) -> bool) {
        let mut removed_before = vec![0usize; self.msgs.len() + 1];
        let mut removed = 0;
        let mut i = 0;
        self.msgs.retain(|&m| {
            removed_before[i] = removed;
            i += 1;
            let k = keep(m);
            if !k {
                removed += 1;
            }
            k
        });
        removed_before[i] = removed;
        for m in &mut self.recv_markers {
            m.pos -= removed_before[m.pos.min(i)];
        }
        self.recv_pos = 0;
    }
}
