//! Per-file conversions of tape subtrees to `serde_json::Value`, made at most once each.
//!
//! JSONPath queries run on `serde_json` values, and converting a module's subtree for every
//! rule that asks would cost more than all the rules together: one file's rules share this
//! cache instead (declarative rules ask only for the blueprint object, and find modules in it
//! by pointer). It lives only as long as one file's check, on one worker thread, so plain
//! `RefCell`/`Rc` suffice.

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::rc::Rc;

use super::Value;

#[derive(Default)]
pub struct SerdeCache {
    values: RefCell<HashMap<u32, Rc<serde_json::Value>>>,
    conversions: Cell<usize>,
}

impl SerdeCache {
    /// The subtree at `v` as a `serde_json::Value`, converted on first request.
    pub fn get(&self, v: Value<'_>) -> Rc<serde_json::Value> {
        if let Some(hit) = self.values.borrow().get(&v.index()) {
            return Rc::clone(hit);
        }
        let converted = Rc::new(v.to_serde());
        self.conversions.set(self.conversions.get() + 1);
        self.values
            .borrow_mut()
            .insert(v.index(), Rc::clone(&converted));
        converted
    }

    /// How many subtrees were converted (for tests and measurements).
    pub fn conversions(&self) -> usize {
        self.conversions.get()
    }
}

impl std::fmt::Debug for SerdeCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SerdeCache({} values)", self.values.borrow().len())
    }
}
