//! Lists: cons cells of two words, head then tail, pointed at by list terms (tag `01`).

use crate::heap::Alloc;
use crate::word::Term;

/// The cons cell `[head | tail]`.
#[inline]
pub fn cons(h: &mut impl Alloc, head: Term, tail: Term) -> Term {
    let p = h.alloc(2);
    // SAFETY: `alloc` returned two writable words.
    unsafe {
        p.write(head.0);
        p.add(1).write(tail.0);
    }
    Term::list_ptr(p)
}

/// The head of the cons cell `t` (which must be a list term).
#[inline]
pub fn head(t: Term) -> Term {
    debug_assert!(t.is_list());
    // SAFETY: a live list term points at a cons cell whose first word is the head.
    Term(unsafe { *t.ptr() })
}

/// The tail of the cons cell `t` (which must be a list term).
#[inline]
pub fn tail(t: Term) -> Term {
    debug_assert!(t.is_list());
    // SAFETY: a live list term points at a cons cell whose second word is the tail.
    Term(unsafe { *t.ptr().add(1) })
}

/// The list of `items` ending in `tail` (`Term::NIL` for a proper list); `tail` itself when
/// `items` is empty. One allocation of `2 * items.len()` words.
pub fn list_from_slice(h: &mut impl Alloc, items: &[Term], tail: Term) -> Term {
    if items.is_empty() {
        return tail;
    }
    fill_cells(h, items.len(), items.iter().copied(), tail)
}

/// A list of the `n` terms `items` yields (exactly `n`) ending in `tail`, in one allocation
/// of `2n` cells laid out in order (`n` > 0).
fn fill_cells(h: &mut impl Alloc, n: usize, items: impl Iterator<Item = Term>, tail: Term) -> Term {
    let p = h.alloc(2 * n);
    let mut written = 0;
    for (i, item) in items.take(n).enumerate() {
        let next = if i + 1 < n {
            Term::list_ptr(p.wrapping_add(2 * i + 2))
        } else {
            tail
        };
        // SAFETY: `i < n`, so cell `i` (words `2i`, `2i+1`) lies inside the `2n` words just
        // allocated.
        unsafe {
            p.add(2 * i).write(item.0);
            p.add(2 * i + 1).write(next.0);
        }
        written += 1;
    }
    assert_eq!(written, n, "fill_cells: fewer items than promised");
    Term::list_ptr(p)
}

/// The elements of the proper list `list` in reverse order, in front of `tail`
/// (`lists:reverse/2`); `None` when `list` is improper. One allocation, no copy of the
/// elements elsewhere first.
pub fn reverse_onto(h: &mut impl Alloc, list: Term, tail: Term) -> Option<Term> {
    let n = list_length(list)?;
    if n == 0 {
        return Some(tail);
    }
    let p = h.alloc(2 * n);
    let mut acc = tail;
    for (i, item) in list_iter(list).enumerate() {
        // SAFETY: the list has exactly `n` elements, so cell `i` (words `2i`, `2i+1`) lies
        // inside the `2n` words just allocated.
        unsafe {
            let cell = p.add(2 * i);
            cell.write(item.0);
            cell.add(1).write(acc.0);
            acc = Term::list_ptr(cell);
        }
    }
    Some(acc)
}

/// A copy of the proper list `list` ending in `tail` instead of `[]` (`erlang:'++'/2`);
/// `None` when `list` is improper. One allocation, no copy of the elements elsewhere first.
pub fn append_onto(h: &mut impl Alloc, list: Term, tail: Term) -> Option<Term> {
    let n = list_length(list)?;
    if n == 0 {
        return Some(tail);
    }
    Some(fill_cells(h, n, list_iter(list), tail))
}

/// The code points of `s` as a proper list, in one allocation.
pub fn charlist(h: &mut impl Alloc, s: &str) -> Term {
    let n = if s.is_ascii() {
        s.len()
    } else {
        s.chars().count()
    };
    if n == 0 {
        return Term::NIL;
    }
    let chars = s.chars().map(|c| Term::small(i64::from(u32::from(c))));
    fill_cells(h, n, chars, Term::NIL)
}

/// Iterates over a list's elements. After it returns `None`, [`ListIter::tail`] is the term
/// that ended the list: `[]` for a proper list, anything else for an improper one.
#[derive(Clone, Copy, Debug)]
pub struct ListIter {
    rest: Term,
}

impl ListIter {
    /// What is left: the remaining list, or (once exhausted) the final tail.
    pub fn tail(&self) -> Term {
        self.rest
    }

    /// Once exhausted: whether the list was proper.
    pub fn is_proper(&self) -> bool {
        self.rest.is_nil()
    }
}

impl Iterator for ListIter {
    type Item = Term;

    #[inline]
    fn next(&mut self) -> Option<Term> {
        if !self.rest.is_list() {
            return None;
        }
        let item = head(self.rest);
        self.rest = tail(self.rest);
        Some(item)
    }
}

/// An iterator over the elements of `t` (a list, `[]`, or any term, which yields nothing and
/// is its own tail).
#[inline]
pub fn list_iter(t: Term) -> ListIter {
    ListIter { rest: t }
}

/// The length of a proper list (`[]` has 0); `None` for an improper list or a non-list.
pub fn list_length(t: Term) -> Option<usize> {
    let mut it = list_iter(t);
    let n = it.by_ref().count();
    it.is_proper().then_some(n)
}

/// The elements of a proper list, or `None` if it is improper.
pub fn list_to_vec(t: Term) -> Option<Vec<Term>> {
    let mut it = list_iter(t);
    let v: Vec<Term> = it.by_ref().collect();
    it.is_proper().then_some(v)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::heap::Heap;

    #[test]
    fn cons_and_iterate() {
        let mut h = Heap::new(64);
        let l = cons(&mut h, Term::small(1), Term::NIL);
        let l = cons(&mut h, Term::small(0), l);
        assert_eq!(head(l), Term::small(0));
        assert_eq!(head(tail(l)), Term::small(1));
        assert_eq!(list_length(l), Some(2));
        assert_eq!(list_length(Term::NIL), Some(0));
        assert_eq!(list_length(Term::small(3)), None);

        let items: Vec<Term> = (0..10).map(Term::small).collect();
        let l = list_from_slice(&mut h, &items, Term::small(99));
        let mut it = list_iter(l);
        assert_eq!(it.by_ref().collect::<Vec<_>>(), items);
        assert!(!it.is_proper());
        assert_eq!(it.tail(), Term::small(99));
        assert_eq!(list_length(l), None);
        assert_eq!(list_from_slice(&mut h, &[], Term::NIL), Term::NIL);
        let p = list_from_slice(&mut h, &items, Term::NIL);
        assert_eq!(list_to_vec(p), Some(items));
    }

    #[test]
    fn append_and_charlist() {
        let mut h = Heap::new(64);
        let items: Vec<Term> = (0..5).map(Term::small).collect();
        let a = list_from_slice(&mut h, &items, Term::NIL);
        let b = list_from_slice(&mut h, &items[..2], Term::NIL);
        let ab = append_onto(&mut h, a, b).expect("proper");
        let want: Vec<Term> = items.iter().chain(&items[..2]).copied().collect();
        assert_eq!(list_to_vec(ab), Some(want));
        assert_eq!(
            append_onto(&mut h, Term::NIL, Term::small(7)),
            Some(Term::small(7))
        );
        let improper = cons(&mut h, Term::small(1), Term::small(2));
        assert_eq!(append_onto(&mut h, improper, Term::NIL), None);
        assert_eq!(append_onto(&mut h, Term::small(1), Term::NIL), None);

        for s in ["", "abc", "h\u{e9}llo \u{20ac}"] {
            let l = charlist(&mut h, s);
            let want: Vec<Term> = s.chars().map(|c| Term::small(c as i64)).collect();
            assert_eq!(list_to_vec(l), Some(want));
        }
    }
}
