//! NIF resources: Rust state named by a reference, as erts' resource objects are named by
//! "magic" references.
//!
//! erts frees a resource when the last reference to it is garbage collected; girder's
//! collector has no such hook yet, so a registry keeps each resource for the VM's life
//! (as `atomics` arrays are kept). A resource's owner may drop its heavy state early
//! (`zlib:close/1` drops the stream's buffers).

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, LazyLock, Mutex};

use girder_runtime::Process;
use girder_runtime::bif::BifError;
use girder_term::Term;
use girder_term::object as obj;
use girder_term::object::RefIds;

/// Resources of one kind, told apart from other references by `tag` (the third word).
pub struct Registry<T> {
    tag: u32,
    items: LazyLock<Mutex<HashMap<u64, Arc<Mutex<T>>>>>,
}

static NEXT: AtomicU64 = AtomicU64::new(1);

impl<T> Registry<T> {
    /// An empty registry whose references carry `tag`.
    pub const fn new(tag: u32) -> Self {
        Registry {
            tag,
            items: LazyLock::new(|| Mutex::new(HashMap::new())),
        }
    }

    /// A new resource holding `value`, and the reference naming it.
    pub fn make(&self, p: &mut Process, value: T) -> Term {
        // Relaxed: only uniqueness matters.
        let id = NEXT.fetch_add(1, Ordering::Relaxed);
        self.items
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(id, Arc::new(Mutex::new(value)));
        let ids = RefIds::new(&[id as u32, (id >> 32) as u32, self.tag]).expect("three ids");
        obj::local_ref(&mut p.heap, &ids)
    }

    /// The resource `t` names (`enif_get_resource`), or `badarg`.
    pub fn get(&self, t: Term) -> Result<Arc<Mutex<T>>, BifError> {
        if !obj::is_local_ref(t) {
            return Err(BifError::BADARG);
        }
        let ids = obj::local_ref_ids(t);
        if ids.as_slice().len() != 3 || ids.get(2) != self.tag {
            return Err(BifError::BADARG);
        }
        let id = u64::from(ids.get(0)) | (u64::from(ids.get(1)) << 32);
        self.items
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(&id)
            .cloned()
            .ok_or(BifError::BADARG)
    }
}
