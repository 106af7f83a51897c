//! Each (project, kind)'s resources in list order (their `seq`s), kept in memory so that an unfiltered page is found
//! by position in O(1) and read from there in O(limit) (`PAGE_FROM`), however deep its offset: keyset paging under
//! the API's `offset`.
//!
//! An order is only used while no resource of its list was inserted or deleted since it was read. What says so is
//! the backend's stamp: SQLite's membership generation, bumped by its one writer; on PostgreSQL, where another
//! replica may have changed the list, the order's own fingerprint (`Fingerprint`), compared with the list's as read
//! after the request arrived.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// The `seq`s of a list, in order.
pub type ListOrder = Arc<Vec<i64>>;

/// Offsets below this are served by `OFFSET` when no current order is at hand (skipping this many index entries costs
/// about as much as reading one page).
pub const SHALLOW_OFFSET: u64 = 5_000;

/// A list's number of resources and its highest `seq`. Writes are serialised (one writer, or the replicas' write
/// lock) and `seq` only grows, so any insert raises the highest `seq` and a delete alone lowers the number: two reads
/// with the same fingerprint saw the same members.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Fingerprint {
    pub count: i64,
    pub last: i64,
}

impl Fingerprint {
    /// The fingerprint of an order as read.
    pub fn of(order: &[i64]) -> Fingerprint {
        Fingerprint { count: order.len() as i64, last: order.last().copied().unwrap_or(0) }
    }
}

/// A list: its project and its resources' kind.
type ListKey = (String, &'static str);

/// The orders read so far, each with the stamp it was read under.
pub struct ListOrders<S>(Mutex<HashMap<ListKey, (S, ListOrder)>>);

impl<S> Default for ListOrders<S> {
    fn default() -> Self {
        ListOrders(Mutex::default())
    }
}

impl<S: Clone + PartialEq> ListOrders<S> {
    /// The order last read for a list, with its stamp.
    pub fn last_read(&self, project_id: &str, kind: &'static str) -> Option<(S, ListOrder)> {
        let orders = self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        orders.get(&(project_id.to_owned(), kind)).cloned()
    }

    /// The order of a list if it was read under `stamp`.
    pub fn fresh(&self, project_id: &str, kind: &'static str, stamp: &S) -> Option<ListOrder> {
        self.last_read(project_id, kind).filter(|(read, _)| read == stamp).map(|(_, order)| order)
    }

    /// Keeps an order read under `stamp`.
    pub fn keep(&self, project_id: &str, kind: &'static str, stamp: S, order: ListOrder) {
        let mut orders = self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        orders.insert((project_id.to_owned(), kind), (stamp, order));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_fingerprint_changes_with_every_insert_and_every_delete() {
        let seeded = Fingerprint::of(&[1, 2, 3]);
        assert_ne!(Fingerprint::of(&[1, 2]), seeded, "the last deleted");
        assert_ne!(Fingerprint::of(&[1, 3]), seeded, "one in the middle deleted");
        assert_ne!(Fingerprint::of(&[1, 3, 4]), seeded, "one deleted and one added");
        assert_ne!(Fingerprint::of(&[1, 2, 3, 4]), seeded, "one added");
        assert_eq!(Fingerprint::of(&[]), Fingerprint { count: 0, last: 0 });
        let orders = ListOrders::default();
        orders.keep("p", "server_group", seeded, Arc::new(vec![1, 2, 3]));
        assert!(orders.fresh("p", "server_group", &seeded).is_some());
        assert!(orders.fresh("p", "server_group", &Fingerprint::of(&[1, 2])).is_none());
        assert!(orders.fresh("q", "server_group", &seeded).is_none());
    }
}
