//! Exception classes and the pieces of an exception in flight.

use girder_term::{Atom, Term};

/// The class of an exception.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Class {
    /// `error`
    Error,
    /// `exit`
    Exit,
    /// `throw`
    Throw,
}

impl Class {
    /// The class as an atom.
    pub fn atom(self) -> Atom {
        match self {
            Class::Error => Atom::ERROR,
            Class::Exit => Atom::EXIT,
            Class::Throw => Atom::THROW,
        }
    }

    /// The class named by an atom term.
    pub fn from_term(t: Term) -> Option<Class> {
        match t.as_atom()? {
            Atom::ERROR => Some(Class::Error),
            Atom::EXIT => Some(Class::Exit),
            Atom::THROW => Some(Class::Throw),
            _ => None,
        }
    }
}
