//! AtomVM `.avm` packs.
