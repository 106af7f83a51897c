//! The hot-read cache: the response bytes of recently read groups and jobs, kept in memory so that a hot read asks
//! the database nothing, and invalidated by key after each commit that changed them.
//!
//! Consistency rests on two rules, both under the entry's shard lock. Whoever invalidates (SQLite's writer after a
//! batch, before it answers; a PostgreSQL replica's listener, on another replica's notification) removes every key
//! the commit wrote and bumps its shard's generation. A reader that missed notes the shard's generation *before* it
//! reads the database, and keeps what it read only if the generation is unchanged. So a value read before a commit
//! is either removed by that commit's invalidation or refused by its generation check. When an answer may be served
//! from memory is the backend's rule: on SQLite at once (its writer invalidates before it answers); on PostgreSQL
//! once the replica has applied every commit's invalidation up to the request's arrival (`pg_cache.rs`).

use std::hash::{BuildHasher, Hash, Hasher};
use std::sync::Mutex;

use axum::body::Bytes;
use hashbrown::{Equivalent, HashMap};
use prometheus_client::metrics::counter::Counter;

/// Shards of the cache: enough that the writer's invalidations and the readers' fills rarely meet on one lock.
const SHARDS: usize = 64;

/// The key kind of a job (resources use their `Resource::KIND`).
pub const JOB_KIND: &str = "job";

/// The kinds read hot (a group, a job): only their changes are announced to other replicas.
pub const HOT_KINDS: [&str; 2] = ["server_group", JOB_KIND];

/// Memory a cache holds at most (entries counted with their keys and overhead): about 130,000 groups of 800 bytes,
/// every group of a large deployment, bounded whatever the data.
pub const BUDGET_BYTES: usize = 128 << 20;

/// What a key is: the kind of document, its project, its id (`"server_group"`, `"job"`).
pub type HotKey = (&'static str, String, String);

/// A key by borrowed parts, so that a lookup allocates nothing; it hashes and compares as the `HotKey` it names.
#[derive(Clone, Copy)]
pub struct KeyRef<'a>(pub &'static str, pub &'a str, pub &'a str);

impl Hash for KeyRef<'_> {
    fn hash<H: Hasher>(&self, state: &mut H) {
        (self.0, self.1, self.2).hash(state);
    }
}

impl Equivalent<HotKey> for KeyRef<'_> {
    fn equivalent(&self, key: &HotKey) -> bool {
        self.0 == key.0 && self.1 == key.1 && self.2 == key.2
    }
}

impl KeyRef<'_> {
    fn owned(self) -> HotKey {
        (self.0, self.1.to_owned(), self.2.to_owned())
    }
}

/// Bounded by the memory of its entries (`entry_bytes`: value, key texts and a fixed allowance for the map and the
/// allocator), at most `budget / SHARDS` per shard. A full shard evicts arbitrary entries (no recency is tracked: a
/// miss costs one SQLite point read, so a simple bound is enough). Values are kept exactly sized (`fill` copies
/// them), so that what is counted is what is held: a `Bytes` made from a `String` keeps its spare capacity, and a
/// soak run with that held three times its budget.
pub struct HotCache {
    shards: Box<[Mutex<Shard>]>,
    hasher: hashbrown::DefaultHashBuilder,
    shard_budget: usize,
    /// Reads answered from memory (`sdrs_hot_reads_from_memory`), once the server has set it.
    served: std::sync::OnceLock<Counter>,
}

#[derive(Default)]
struct Shard {
    /// Bumped by every invalidation of a key of this shard.
    generation: u64,
    bytes: usize,
    entries: HashMap<HotKey, Bytes>,
}

/// What an entry costs beyond its texts: the map's slot (key and value headers) and the allocator's headers of three
/// allocations, rounded up.
const ENTRY_OVERHEAD: usize = 160;

/// The memory an entry holds, as counted against the budget.
fn entry_bytes(key: &HotKey, value: &Bytes) -> usize {
    value.len() + key.1.len() + key.2.len() + ENTRY_OVERHEAD
}

/// What a lookup found: the bytes, or the generation to fill the entry with once read.
pub enum Lookup {
    Hit(Bytes),
    Miss(u64),
}

impl HotCache {
    /// A cache holding at most `budget` bytes of values (0 turns it off: every lookup misses, nothing is kept).
    pub fn new(budget: usize) -> HotCache {
        HotCache {
            shards: (0..SHARDS).map(|_| Mutex::default()).collect(),
            hasher: hashbrown::DefaultHashBuilder::default(),
            shard_budget: budget / SHARDS,
            served: std::sync::OnceLock::new(),
        }
    }

    fn shard(&self, key: KeyRef<'_>) -> std::sync::MutexGuard<'_, Shard> {
        let index = self.hasher.hash_one(key) as usize % SHARDS;
        self.shards[index].lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    pub fn lookup(&self, key: KeyRef<'_>) -> Lookup {
        let shard = self.shard(key);
        match shard.entries.get(&key) {
            Some(bytes) => Lookup::Hit(bytes.clone()),
            None => Lookup::Miss(shard.generation),
        }
    }

    /// Counts the reads answered from memory on `counter` from now on (once; later calls change nothing).
    pub fn count_served_on(&self, counter: Counter) {
        let _ = self.served.set(counter);
    }

    /// A read was answered from memory.
    pub fn served(&self) {
        if let Some(counter) = self.served.get() {
            counter.inc();
        }
    }

    /// The generation a reader notes before it reads the database for `key` (as `Lookup::Miss` carries it).
    pub fn generation(&self, key: KeyRef<'_>) -> u64 {
        self.shard(key).generation
    }

    /// Keeps what a reader read, unless the shard was invalidated since `generation` (the value may be older than a
    /// commit) or the value alone exceeds a shard's budget.
    pub fn fill(&self, key: KeyRef<'_>, generation: u64, value: &[u8]) {
        let (key, value) = (key.owned(), Bytes::copy_from_slice(value));
        let cost = entry_bytes(&key, &value);
        if cost > self.shard_budget {
            return;
        }
        let mut shard = self.shard(KeyRef(key.0, &key.1, &key.2));
        if shard.generation != generation {
            return;
        }
        if let Some(previous) = shard.entries.remove(&key) {
            shard.bytes -= entry_bytes(&key, &previous);
        }
        while shard.bytes + cost > self.shard_budget {
            let Some(victim) = shard.entries.keys().next().cloned() else { break };
            if let Some(removed) = shard.entries.remove(&victim) {
                shard.bytes -= entry_bytes(&victim, &removed);
            }
        }
        shard.bytes += cost;
        shard.entries.insert(key, value);
    }

    /// Forgets the keys a write batch touched; called by the writer after the batch's commit and before answering.
    pub fn invalidate(&self, keys: impl IntoIterator<Item = HotKey>) {
        for key in keys {
            let key = KeyRef(key.0, &key.1, &key.2);
            let mut shard = self.shard(key);
            shard.generation += 1;
            if let Some((removed_key, removed)) = shard.entries.remove_entry(&key) {
                shard.bytes -= entry_bytes(&removed_key, &removed);
            }
        }
    }

    /// Forgets everything and refuses every fill begun before (invalidations may have been missed).
    pub fn invalidate_all(&self) {
        for shard in self.shards.iter() {
            let mut shard = shard.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            shard.generation += 1;
            shard.entries.clear();
            shard.bytes = 0;
        }
    }

    /// Memory held now, as counted against the budget (the budget test's measure).
    #[cfg(test)]
    fn bytes(&self) -> usize {
        self.shards.iter().map(|shard| shard.lock().map_or(0, |shard| shard.bytes)).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(id: &str) -> KeyRef<'_> {
        KeyRef("server_group", "p", id)
    }

    fn owned(id: &str) -> HotKey {
        key(id).owned()
    }

    #[test]
    fn a_value_read_before_an_invalidation_is_not_kept() {
        let cache = HotCache::new(1 << 20);
        let Lookup::Miss(generation) = cache.lookup(key("a")) else { panic!("empty cache hit") };
        cache.invalidate([owned("a")]);
        cache.fill(key("a"), generation, b"old");
        assert!(matches!(cache.lookup(key("a")), Lookup::Miss(_)), "a stale value was kept");
        let Lookup::Miss(generation) = cache.lookup(key("a")) else { unreachable!() };
        cache.fill(key("a"), generation, b"new");
        assert!(matches!(cache.lookup(key("a")), Lookup::Hit(bytes) if bytes == "new"));
        cache.invalidate([owned("a")]);
        assert!(matches!(cache.lookup(key("a")), Lookup::Miss(_)), "an invalidated value is still served");
        cache.fill(key("a"), cache.generation(key("a")), b"newer");
        let before_all = cache.generation(key("b"));
        cache.invalidate_all();
        assert!(matches!(cache.lookup(key("a")), Lookup::Miss(_)), "invalidate_all kept a value");
        cache.fill(key("b"), before_all, b"old");
        assert!(matches!(cache.lookup(key("b")), Lookup::Miss(_)), "a fill begun before invalidate_all was kept");
    }

    #[test]
    fn the_hot_kinds_are_the_routes_kinds() {
        use crate::store::Resource;
        assert!(HOT_KINDS.contains(&sdrs_core::wire::ServerGroup::KIND));
    }

    #[test]
    fn the_budget_bounds_the_bytes_held() {
        let cache = HotCache::new(SHARDS * 1000);
        for n in 0..10_000 {
            if let Lookup::Miss(generation) = cache.lookup(key(&n.to_string())) {
                cache.fill(key(&n.to_string()), generation, &[b'x'; 300]);
            }
        }
        assert!(cache.bytes() <= SHARDS * 1000, "{} bytes held", cache.bytes());
        assert!(cache.bytes() >= SHARDS * 500, "the cache keeps what fits: {} bytes", cache.bytes());
        let one = entry_bytes(&owned("1"), &Bytes::from_static(&[b'x'; 300]));
        assert!(one > 300 + ENTRY_OVERHEAD, "keys are counted: {one}");
        let off = HotCache::new(0);
        off.fill(key("a"), 0, b"x");
        assert!(matches!(off.lookup(key("a")), Lookup::Miss(_)));
    }
}
