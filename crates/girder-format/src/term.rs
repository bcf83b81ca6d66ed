//! An owned Erlang term, as read from a file: literals, attributes, external-format data.
//!
//! This is not the runtime's term representation (tagged words on a process heap); it is the
//! file-level value that the loader converts from, and that `Display` prints as Erlang text.

use num_bigint::BigInt;

/// An Erlang term held in ordinary Rust memory.
#[derive(Debug, Clone, PartialEq)]
pub enum Term {
    /// An integer that fits in an `i64`.
    Int(i64),
    /// An integer outside the `i64` range. Invariant: never holds a value that fits `Int`.
    Big(BigInt),
    /// A finite IEEE double.
    Float(f64),
    /// An atom, by its UTF-8 text.
    Atom(String),
    /// The empty list `[]`.
    Nil,
    /// A tuple.
    Tuple(Vec<Term>),
    /// A non-empty list: its elements and its tail (`Nil` for a proper list).
    List(Vec<Term>, Box<Term>),
    /// A map, with its pairs in the order they were read (or built).
    Map(Vec<(Term, Term)>),
    /// A binary (a whole number of bytes).
    Binary(Vec<u8>),
    /// A bitstring whose last byte holds `bits` (1..=7) significant high-order bits.
    Bitstring { bytes: Vec<u8>, bits: u8 },
    /// A process identifier.
    Pid {
        node: String,
        id: u32,
        serial: u32,
        creation: u32,
    },
    /// A port identifier.
    Port {
        node: String,
        id: u64,
        creation: u32,
    },
    /// A reference: node, creation and its id words (1 to 5 of them).
    Reference {
        node: String,
        creation: u32,
        ids: Vec<u32>,
    },
    /// A local fun (`NEW_FUN_EXT`).
    Fun(Box<Fun>),
    /// An external fun `fun M:F/A`.
    Export {
        module: String,
        function: String,
        arity: u8,
    },
}

/// The parts of a local fun as the external term format carries them.
#[derive(Debug, Clone, PartialEq)]
pub struct Fun {
    /// The fun's arity.
    pub arity: u8,
    /// MD5 of the module's code (the module's `uniq`).
    pub uniq: [u8; 16],
    /// Index in the module's fun table.
    pub index: u32,
    /// The defining module.
    pub module: String,
    /// The old index (`OldIndex`): an integer term.
    pub old_index: Box<Term>,
    /// The old uniq (`OldUniq`): an integer term.
    pub old_uniq: Box<Term>,
    /// The creating process (a `Pid` term).
    pub pid: Box<Term>,
    /// The captured free variables.
    pub free: Vec<Term>,
}

impl Term {
    /// A term for an atom.
    pub fn atom(name: impl Into<String>) -> Term {
        Term::Atom(name.into())
    }

    /// A proper list of `items` (`Nil` when empty).
    pub fn list(items: Vec<Term>) -> Term {
        if items.is_empty() {
            Term::Nil
        } else {
            Term::List(items, Box::new(Term::Nil))
        }
    }

    /// An integer term from a big integer, normalised to `Int` when it fits.
    pub fn integer(n: BigInt) -> Term {
        match i64::try_from(&n) {
            Ok(small) => Term::Int(small),
            Err(_) => Term::Big(n),
        }
    }
}
