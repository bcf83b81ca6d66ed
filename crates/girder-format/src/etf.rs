//! The external term format.
