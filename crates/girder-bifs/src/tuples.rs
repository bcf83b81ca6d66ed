//! Tuple BIFs.

use girder_runtime::Process;
use girder_runtime::bif::{BifError, BifResult};
use girder_term::Term;
use girder_term::object as obj;

use crate::Entry;
use crate::util::{list_arg, usize_arg};

pub const BIFS: &[Entry] = &[
    ("erlang", "element", 2, element),
    ("erlang", "setelement", 3, setelement),
    ("erlang", "tuple_size", 1, tuple_size),
    ("erlang", "size", 1, size),
    ("erlang", "make_tuple", 2, make_tuple),
    ("erlang", "make_tuple", 3, make_tuple3),
    ("erlang", "append_element", 2, append_element),
    ("erlang", "tuple_to_list", 1, tuple_to_list),
    ("erlang", "list_to_tuple", 1, list_to_tuple),
    ("erlang", "byte_size", 1, byte_size),
    ("erlang", "bit_size", 1, bit_size),
    ("erlang", "make_ref", 0, |p, _| {
        Ok(obj::make_ref(&mut p.heap))
    }),
];

fn byte_size(_: &mut Process, a: &[Term]) -> BifResult {
    if !obj::is_bitstring(a[0]) {
        return Err(BifError::BADARG);
    }
    Ok(Term::small(obj::byte_size(a[0]) as i64))
}

fn bit_size(_: &mut Process, a: &[Term]) -> BifResult {
    if !obj::is_bitstring(a[0]) {
        return Err(BifError::BADARG);
    }
    Ok(Term::small(obj::bit_size(a[0]) as i64))
}

fn tuple_arg(t: Term) -> Result<&'static [Term], BifError> {
    if obj::is_tuple(t) {
        Ok(obj::tuple_elements(t))
    } else {
        Err(BifError::BADARG)
    }
}

/// A 1-based index within `len`, or `badarg`.
fn index(t: Term, len: usize) -> Result<usize, BifError> {
    match usize_arg(t)? {
        i @ 1.. if i <= len => Ok(i - 1),
        _ => Err(BifError::BADARG),
    }
}

fn element(_: &mut Process, a: &[Term]) -> BifResult {
    let elems = tuple_arg(a[1])?;
    Ok(elems[index(a[0], elems.len())?])
}

fn setelement(p: &mut Process, a: &[Term]) -> BifResult {
    let elems = tuple_arg(a[1])?;
    let i = index(a[0], elems.len())?;
    let (t, dst) = obj::make_tuple_uninit(&mut p.heap, elems.len());
    // SAFETY: `dst` points at `elems.len()` fresh words of the new tuple; allocating does
    // not move or free the old tuple (no collection), and the two do not overlap. Every
    // element is written before the tuple is used.
    unsafe {
        std::ptr::copy_nonoverlapping(elems.as_ptr(), dst, elems.len());
        dst.add(i).write(a[2]);
    }
    Ok(t)
}

fn tuple_size(_: &mut Process, a: &[Term]) -> BifResult {
    Ok(Term::small(tuple_arg(a[0])?.len() as i64))
}

fn size(p: &mut Process, a: &[Term]) -> BifResult {
    if obj::is_tuple(a[0]) {
        return tuple_size(p, a);
    }
    match obj::binary_bytes(a[0]) {
        Some(b) => Ok(Term::small(b.len() as i64)),
        None => Err(BifError::BADARG),
    }
}

/// Largest tuple arity (OTP's).
const MAX_ARITY: usize = (1 << 24) - 1;

fn make_tuple(p: &mut Process, a: &[Term]) -> BifResult {
    let n = usize_arg(a[0])?;
    if n > MAX_ARITY {
        return Err(BifError::BADARG);
    }
    Ok(obj::tuple(&mut p.heap, &vec![a[1]; n]))
}

fn make_tuple3(p: &mut Process, a: &[Term]) -> BifResult {
    let n = usize_arg(a[0])?;
    if n > MAX_ARITY {
        return Err(BifError::BADARG);
    }
    let mut elems = vec![a[1]; n];
    for init in list_arg(a[2])? {
        if !obj::is_tuple(init) || obj::tuple_arity(init) != 2 {
            return Err(BifError::BADARG);
        }
        let i = index(obj::tuple_element(init, 0), n)?;
        elems[i] = obj::tuple_element(init, 1);
    }
    Ok(obj::tuple(&mut p.heap, &elems))
}

fn append_element(p: &mut Process, a: &[Term]) -> BifResult {
    let mut elems = tuple_arg(a[0])?.to_vec();
    elems.push(a[1]);
    Ok(obj::tuple(&mut p.heap, &elems))
}

fn tuple_to_list(p: &mut Process, a: &[Term]) -> BifResult {
    let elems = tuple_arg(a[0])?.to_vec();
    Ok(obj::list_from_slice(&mut p.heap, &elems, Term::NIL))
}

fn list_to_tuple(p: &mut Process, a: &[Term]) -> BifResult {
    let elems = list_arg(a[0])?;
    Ok(obj::tuple(&mut p.heap, &elems))
}
