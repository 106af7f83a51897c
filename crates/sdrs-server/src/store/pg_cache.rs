//! A PostgreSQL replica's hot-read cache (groups and jobs in memory), kept correct across replicas by a version and
//! notifications.
//!
//! - **Writes announce what they changed.** A write transaction that changed a hot document bumps `data_version` and
//!   sends, in the same transaction, notifications naming its keys (`NOTIFY_CHANGED`, pipelined in front of the
//!   commit: no round trip). The row lock serialises the bumps, so versions follow commit order, and PostgreSQL
//!   delivers notifications in commit order, after the commit.
//! - **Each replica listens** on a connection of its own (a thread with its own runtime) and invalidates the keys of
//!   each version in turn; `applied` is the version through which every invalidation is done. A version that arrives
//!   past a gap (the listening connection was lost and opened again) forgets everything.
//! - **A hit is served only if it is current.** After the request arrived, the replica reads `data_version` (one
//!   statement shared by every hit waiting at that moment: `probe`); if `applied` has reached it, every write
//!   answered before the request arrived, on any replica, has been invalidated here, and the cached bytes (looked up
//!   after the check) are current. Otherwise the document is read from the database. So a read never returns what an
//!   answered write replaced; the cost of a hit is a share of one round trip instead of a statement of its own.
//! - **Fills** follow `hot.rs`'s generation rule: a value read before an invalidation is not kept.
//! - **A sole replica skips the version read.** When no other replica has a connection open (each names its listening
//!   and writing connections `sdrs-replica-<id>`), a replica's listener takes the sole-replica lease (`SOLE_TAKE`,
//!   migration 009; tried at connection and every `SOLE_RETRY`). Once every invalidation up to the version it took it
//!   at is applied, and after each confirmation (`SOLE_HELD`, every 100 ms, under a share lock of the lease's row),
//!   hits skip the version read until `LEASE` after the statement was sent.
//!   Its own writes are invalidated here before they are answered (`PgCommitter::after_batch`). Any other connection's
//!   write that bumps the version locks the row and waits the lease out in the trigger (0.5 s, more than `LEASE`)
//!   before it ends the lease and commits: the holder's last confirmation came before that lock, so it has stopped
//!   skipping before that write can be answered. A lost listening connection ends the lease here at once (it would
//!   lapse anyway). While two replicas are connected, neither takes it, so they do not pass it back and forth; the first
//!   write of a replica that joins waits the 0.5 s once, as does taking the lease from a replica that is gone.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::time::{Duration, Instant};

use tokio::sync::oneshot;
use tokio_postgres::AsyncMessage;

use super::hot::{HotCache, HotKey, BUDGET_BYTES, HOT_KINDS};
use super::sql::postgres_placeholders;
use super::statements::{DATA_VERSION, SOLE_HELD, SOLE_TAKE};

/// The channel the notifications go on.
pub const CHANNEL: &str = "sdrs_hot_documents";
/// Separates the parts of one version's announcement (each part is one notification).
const PART_SEPARATOR: char = '\u{1e}';
/// A notification's payload at most (PostgreSQL refuses 8,000 bytes or more).
const PART_BYTES: usize = 7_000;
/// How long the listener waits before it connects again after losing its connection.
const RECONNECT_DELAY: Duration = Duration::from_secs(1);
/// How long a confirmation of the sole-replica lease lets hits skip the version read, counted from when it was sent:
/// the trigger of migration 009 makes another replica's write wait `pg_sleep(0.5)`, less a margin for timers.
const LEASE: Duration = Duration::from_millis(450);
/// How often the holder confirms the lease (well within `LEASE`, so that a hit rarely finds it lapsed).
const SOLE_CONFIRM: Duration = Duration::from_millis(100);
/// How often a replica that does not hold the lease tries to take it.
const SOLE_RETRY: Duration = Duration::from_secs(5);

/// The cache, the version its invalidations have reached, and the shared version reads.
pub struct SharedCache {
    pub documents: HotCache,
    /// Every announced version up to this one has been invalidated here; -1 until the listener first connects.
    applied: AtomicI64,
    probe: Mutex<Probe>,
    /// While set, the listener keeps what arrives without applying it (the test of a late notification).
    held: std::sync::atomic::AtomicBool,
    /// Until when (nanoseconds after `epoch`) hits may skip the version read: this replica holds the sole-replica
    /// lease; 0 when it does not.
    sole_until: AtomicU64,
    epoch: Instant,
    /// Reads of `data_version` made for hits, which the tests count.
    version_reads: AtomicU64,
}

/// Hits waiting for the next read of `data_version`, and whether a task is reading it.
#[derive(Default)]
struct Probe {
    running: bool,
    waiting: Vec<oneshot::Sender<Result<i64, String>>>,
}

impl SharedCache {
    pub fn new() -> SharedCache {
        SharedCache {
            documents: HotCache::new(BUDGET_BYTES),
            applied: AtomicI64::new(-1),
            probe: Mutex::default(),
            held: Default::default(),
            sole_until: AtomicU64::new(0),
            epoch: Instant::now(),
            version_reads: AtomicU64::new(0),
        }
    }

    /// Whether this replica holds the sole-replica lease now: a hit needs no version read.
    pub fn sole(&self) -> bool {
        self.epoch.elapsed().as_nanos() < u128::from(self.sole_until.load(Ordering::Acquire))
    }

    /// The lease was confirmed by a statement sent at `sent`.
    fn confirm_sole(&self, sent: Instant) {
        let until = (sent + LEASE).saturating_duration_since(self.epoch).as_nanos();
        self.sole_until.store(u64::try_from(until).unwrap_or(u64::MAX), Ordering::Release);
    }

    fn end_sole(&self) {
        self.sole_until.store(0, Ordering::Release);
    }

    /// Reads of `data_version` made for hits since start.
    pub fn version_reads(&self) -> u64 {
        self.version_reads.load(Ordering::Relaxed)
    }

    /// Holds back (or releases) the notifications that arrive, as a slow delivery would.
    pub fn hold_notifications(&self, held: bool) {
        self.held.store(held, Ordering::SeqCst);
    }

    /// Whether memory may answer a request that arrived before `version` was read: every invalidation up to it is
    /// applied.
    pub fn current_at(&self, version: i64) -> bool {
        self.applied.load(Ordering::Acquire) >= version
    }

    /// Queues a hit for the next version read. Returns the answer to wait for, and whether the caller must start the
    /// reading task (`read_versions`), because none runs.
    pub fn wait_for_version(&self) -> (oneshot::Receiver<Result<i64, String>>, bool) {
        let (reply, answer) = oneshot::channel();
        let mut probe = self.probe.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        probe.waiting.push(reply);
        let start = !probe.running;
        probe.running = true;
        (answer, start)
    }

    /// The reading task: reads the version for everyone waiting when the read begins, answers them, and goes on while
    /// hits keep waiting. Every hit it answers was queued before its read was sent.
    pub async fn read_versions<F, Fut>(self: Arc<Self>, read: F)
    where
        F: Fn() -> Fut,
        Fut: std::future::Future<Output = Result<i64, String>>,
    {
        /// Lets the next hit start a task again if this one ends in any way (a panic, a runtime shutting down).
        struct Stopped<'a>(&'a Mutex<Probe>);
        impl Drop for Stopped<'_> {
            fn drop(&mut self) {
                self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner).running = false;
            }
        }
        let _stopped = Stopped(&self.probe);
        loop {
            let waiting = {
                let mut probe = self.probe.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
                if probe.waiting.is_empty() {
                    probe.running = false;
                    return;
                }
                std::mem::take(&mut probe.waiting)
            };
            self.version_reads.fetch_add(1, Ordering::Relaxed);
            let version = read().await;
            for reply in waiting {
                let _ = reply.send(version.clone());
            }
        }
    }

    /// The listener (re)connected and listens again: what it missed is unknown, so everything is forgotten, and
    /// `version` (read after `LISTEN`) is where invalidations resume.
    fn resume_at(&self, version: i64) {
        self.documents.invalidate_all();
        self.applied.store(version, Ordering::Release);
    }

    /// Applies a complete announcement of `version`: the next one in turn, or one past a gap (everything forgotten).
    fn apply(&self, version: i64, keys: Option<Vec<HotKey>>) {
        let applied = self.applied.load(Ordering::Acquire);
        if version <= applied {
            return;
        }
        match keys {
            Some(keys) if version == applied + 1 => self.documents.invalidate(keys),
            _ => self.documents.invalidate_all(),
        }
        self.applied.store(version, Ordering::Release);
    }
}

/// The payload of `NOTIFY_CHANGED` for the keys a transaction changed (hot kinds only): parts of at most
/// `PART_BYTES`, each `"<index>/<parts>\n"` and one `"<kind>\t<project>\t<id>"` per line; `"*"` alone (forget
/// everything) if a key cannot be written so. `None` if no hot document changed.
pub fn announcement(keys: &[HotKey]) -> Option<String> {
    let mut lines: Vec<String> = keys
        .iter()
        .filter(|key| HOT_KINDS.contains(&key.0))
        .map(|(kind, project, id)| format!("{kind}\t{project}\t{id}"))
        .collect();
    if lines.is_empty() {
        return None;
    }
    lines.sort_unstable();
    lines.dedup();
    let writable = |line: &String| line.matches('\t').count() == 2 && !line.contains(['\n', PART_SEPARATOR]);
    if !lines.iter().all(writable) || lines.iter().any(|line| line.len() > PART_BYTES - 32) {
        return Some("1/1\n*".to_owned());
    }
    let mut parts: Vec<String> = vec![String::new()];
    for line in lines {
        let last = parts.last_mut().expect("one part at least");
        if !last.is_empty() && last.len() + 1 + line.len() > PART_BYTES - 32 {
            parts.push(line);
        } else {
            if !last.is_empty() {
                last.push('\n');
            }
            last.push_str(&line);
        }
    }
    let count = parts.len();
    let parts: Vec<String> =
        parts.into_iter().enumerate().map(|(index, part)| format!("{}/{count}\n{part}", index + 1)).collect();
    Some(parts.join(&PART_SEPARATOR.to_string()))
}

/// One version's announcement as it arrives, part by part.
#[derive(Default)]
struct Arriving {
    parts: usize,
    seen: usize,
    /// `None` once a part says "forget everything" or cannot be read.
    keys: Option<Vec<HotKey>>,
}

/// Collects notifications into complete announcements, in version order.
#[derive(Default)]
struct Assembler {
    arriving: BTreeMap<i64, Arriving>,
}

impl Assembler {
    /// Takes one notification's payload (`"<version> <index>/<parts>\n<lines>"`); returns the announcement it
    /// completes, with its keys (`None`: forget everything). A payload that cannot be read completes a version that
    /// forgets everything, so that nothing is kept on a guess.
    fn take(&mut self, payload: &str) -> Option<(i64, Option<Vec<HotKey>>)> {
        let (version, rest) = payload.split_once(' ')?;
        let version: i64 = version.parse().ok()?;
        let (header, lines) = rest.split_once('\n').unwrap_or((rest, ""));
        let parts = header.split_once('/').and_then(|(_, parts)| parts.parse::<usize>().ok()).filter(|n| *n > 0);
        let arriving = self.arriving.entry(version).or_insert_with(|| Arriving {
            parts: parts.unwrap_or(1),
            seen: 0,
            keys: Some(Vec::new()),
        });
        arriving.seen += 1;
        let keys: Option<Vec<HotKey>> =
            if parts.is_none() || lines == "*" { None } else { lines.lines().map(parse_key).collect() };
        match (keys, &mut arriving.keys) {
            (Some(more), Some(keys)) => keys.extend(more),
            _ => arriving.keys = None,
        }
        if arriving.seen < arriving.parts {
            return None;
        }
        let done = self.arriving.remove(&version)?;
        // Parts of older versions still waiting were lost: the version that completes past them forgets everything.
        let lost = self.arriving.range(..version).next().is_some();
        self.arriving.retain(|&waiting, _| waiting > version);
        Some((version, if lost { None } else { done.keys }))
    }
}

fn parse_key(line: &str) -> Option<HotKey> {
    let mut fields = line.split('\t');
    let (kind, project, id) = (fields.next()?, fields.next()?, fields.next()?);
    let kind = HOT_KINDS.iter().copied().find(|hot| *hot == kind)?;
    Some((kind, project.to_owned(), id.to_owned()))
}

/// Starts the listening thread; it ends once `cache` is dropped. `replica` is the application_name of this replica's
/// connections, its name on the sole-replica lease.
pub fn listen(
    config: tokio_postgres::Config,
    tls: tokio_postgres_rustls::MakeRustlsConnect,
    cache: &Arc<SharedCache>,
    replica: Arc<str>,
) -> anyhow::Result<()> {
    let cache = Arc::downgrade(cache);
    std::thread::Builder::new().name("sdrs-pg-listener".into()).spawn(move || {
        let runtime = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
            Ok(runtime) => runtime,
            Err(error) => return tracing::error!(%error, "the PostgreSQL listener could not start"),
        };
        runtime.block_on(async {
            while cache.strong_count() > 0 {
                if let Err(error) = listen_once(&config, &tls, &cache, &replica).await {
                    tracing::warn!(error = %format!("{error:#}"), "the hot-read listener lost PostgreSQL; reads go to the database until it is back");
                }
                if let Some(cache) = cache.upgrade() {
                    cache.end_sole();
                }
                tokio::time::sleep(RECONNECT_DELAY).await;
            }
        });
    })?;
    Ok(())
}

/// One listening connection, until it fails or the cache is dropped.
async fn listen_once(
    config: &tokio_postgres::Config,
    tls: &tokio_postgres_rustls::MakeRustlsConnect,
    cache: &Weak<SharedCache>,
    replica: &str,
) -> anyhow::Result<()> {
    let (client, mut connection) = config.connect(tls.clone()).await?;
    let (notify, mut notifications) = tokio::sync::mpsc::unbounded_channel::<String>();
    let driver = tokio::spawn(async move {
        loop {
            match std::future::poll_fn(|cx| connection.poll_message(cx)).await {
                Some(Ok(AsyncMessage::Notification(notification))) => {
                    if notify.send(notification.payload().to_owned()).is_err() {
                        return Ok(());
                    }
                }
                Some(Ok(_)) => {}
                Some(Err(error)) => return Err(error),
                None => return Ok(()),
            }
        }
    });
    // Named as the replica's writer is (a hex name, written inline): the lease's holder, and a replica to the others.
    client.batch_execute(&format!("SET application_name = '{replica}'; LISTEN {CHANNEL}")).await?;
    let (take, confirm) = (
        client.prepare(&postgres_placeholders(SOLE_TAKE)).await?,
        client.prepare(&postgres_placeholders(SOLE_HELD)).await?,
    );
    // The lease is tried first, so that the version read here is the one it was taken at.
    let sent = Instant::now();
    let taken = take_lease(&client, &take, replica).await?.map(|version| (version, sent));
    let version: i64 = match taken.map(|(version, _)| version) {
        Some(version) => version,
        None => client.query_one(DATA_VERSION, &[]).await?.get(0),
    };
    match cache.upgrade() {
        Some(cache) => cache.resume_at(version),
        None => return Ok(()),
    }
    // The lease taken, at the version it was taken at, and when the taking was sent; sole once that version is applied.
    let mut taking: Option<(i64, Instant)> = taken;
    let mut last_try = Instant::now();
    let mut assembler = Assembler::default();
    let mut alive = tokio::time::interval(SOLE_CONFIRM);
    let mut waiting: Vec<String> = Vec::new();
    let mut holding = taking.is_some();
    loop {
        let tick = tokio::select! {
            payload = notifications.recv() => {
                let Some(payload) = payload else { break };
                waiting.push(payload);
                false
            }
            _ = alive.tick() => true,
        };
        let Some(cache) = cache.upgrade() else { return Ok(()) };
        if !cache.held.load(Ordering::SeqCst) {
            for payload in waiting.drain(..) {
                if let Some((version, keys)) = assembler.take(&payload) {
                    cache.apply(version, keys);
                }
            }
        }
        if let Some((version, sent)) = taking {
            if cache.current_at(version) {
                taking = None;
                cache.confirm_sole(sent);
                tracing::info!("this replica holds the sole-replica lease: hot reads need no version read");
            }
        }
        if !tick {
            continue;
        }
        if holding {
            let sent = Instant::now();
            let still: bool = client.query_one(&confirm, &[&replica]).await?.get(0);
            if !still {
                holding = false;
                taking = None;
                cache.end_sole();
                tracing::info!("another replica wrote: this replica gave up the sole-replica lease");
            } else if taking.is_none() {
                cache.confirm_sole(sent);
            }
        } else if last_try.elapsed() >= SOLE_RETRY {
            let sent = Instant::now();
            last_try = sent;
            if let Some(version) = take_lease(&client, &take, replica).await? {
                holding = true;
                taking = Some((version, sent));
            }
        }
    }
    drop(client);
    driver.await??;
    anyhow::bail!("the listening connection ended")
}

/// Tries to take the sole-replica lease (`SOLE_TAKE`): the version it was taken at, if taken. A first try that only
/// cleared what a replica that is gone left is followed by a second.
async fn take_lease(
    client: &tokio_postgres::Client,
    take: &tokio_postgres::Statement,
    replica: &str,
) -> Result<Option<i64>, tokio_postgres::Error> {
    for _ in 0..2 {
        match client.query_opt(take, &[&replica]).await? {
            None => return Ok(None),
            Some(row) if row.get::<_, bool>(1) => return Ok(Some(row.get(0))),
            Some(_) => {}
        }
    }
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::hot::{KeyRef, Lookup, JOB_KIND};

    fn key(id: &str) -> HotKey {
        (JOB_KIND, "p".to_owned(), id.to_owned())
    }

    fn notifications(version: i64, keys: &[HotKey]) -> Vec<String> {
        let payload = announcement(keys).expect("hot keys");
        payload.split(PART_SEPARATOR).map(|part| format!("{version} {part}")).collect()
    }

    #[test]
    fn an_announcement_names_each_hot_key_once_in_parts_that_fit() {
        assert_eq!(announcement(&[("fault", "p".into(), "x".into())]), None, "only hot kinds are announced");
        let many: Vec<HotKey> = (0..400).map(|n| key(&format!("{n:036}"))).chain([key("a"), key("a")]).collect();
        let parts = notifications(7, &many);
        assert!(parts.len() > 1 && parts.iter().all(|part| part.len() < 8_000), "{:?}", parts.len());
        let mut assembler = Assembler::default();
        let mut done = None;
        for part in parts.iter().rev() {
            assert!(done.is_none(), "complete before its last part");
            done = assembler.take(part);
        }
        let (version, keys) = done.expect("complete");
        let mut keys = keys.expect("keys");
        keys.sort();
        let mut expected = many.clone();
        expected.sort();
        expected.dedup();
        assert_eq!((version, keys), (7, expected));
        assert_eq!(announcement(&[key("a\tb")]), Some("1/1\n*".to_owned()), "an unwritable key forgets everything");
    }

    #[test]
    fn a_hit_is_current_only_once_every_announcement_before_it_is_applied() {
        let cache = SharedCache::new();
        assert!(!cache.current_at(0), "nothing is current before the listener connects");
        cache.resume_at(3);
        let fill = |id: &str| {
            let at = KeyRef(JOB_KIND, "p", id);
            cache.documents.fill(at, cache.documents.generation(at), b"v");
        };
        let held = |id: &str| matches!(cache.documents.lookup(KeyRef(JOB_KIND, "p", id)), Lookup::Hit(_));
        fill("a");
        fill("b");
        assert!(cache.current_at(3) && !cache.current_at(4));
        let mut assembler = Assembler::default();
        for part in notifications(4, &[key("a")]) {
            if let Some((version, keys)) = assembler.take(&part) {
                cache.apply(version, keys);
            }
        }
        assert!(cache.current_at(4) && !held("a") && held("b"), "version 4 invalidates a only");
        // Version 5 was lost: 6 arrives past a gap and forgets everything.
        for part in notifications(6, &[key("c")]) {
            if let Some((version, keys)) = assembler.take(&part) {
                cache.apply(version, keys);
            }
        }
        assert!(cache.current_at(6) && !held("b"), "a gap kept b");
        // An old announcement changes nothing.
        fill("b");
        cache.apply(5, Some(vec![key("b")]));
        assert!(held("b"));
    }

    #[test]
    fn a_part_left_waiting_forgets_everything_when_a_later_version_completes() {
        let mut assembler = Assembler::default();
        let many: Vec<HotKey> = (0..400).map(|n| key(&format!("{n:036}"))).collect();
        let first = notifications(8, &many);
        assert_eq!(assembler.take(&first[0]), None);
        let (version, keys) = assembler.take(&notifications(9, &[key("x")])[0]).expect("complete");
        assert_eq!((version, keys), (9, None));
        assert_eq!(assembler.take("garbage"), None);
        assert_eq!(assembler.take("10 1/1\nnot a key"), Some((10, None)));
    }

    #[tokio::test]
    async fn hits_waiting_together_share_one_version_read() {
        let cache = Arc::new(SharedCache::new());
        let reads = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let (first, start) = cache.wait_for_version();
        assert!(start);
        let (second, start_again) = cache.wait_for_version();
        assert!(!start_again, "a second task while one runs");
        let counted = reads.clone();
        cache
            .clone()
            .read_versions(move || {
                let counted = counted.clone();
                async move { Ok(counted.fetch_add(1, Ordering::SeqCst) as i64 + 40) }
            })
            .await;
        assert_eq!((first.await.unwrap(), second.await.unwrap()), (Ok(40), Ok(40)));
        assert_eq!(reads.load(Ordering::SeqCst), 1);
        let (_third, start) = cache.wait_for_version();
        assert!(start, "the task ended, so the next hit starts one");
    }
}
