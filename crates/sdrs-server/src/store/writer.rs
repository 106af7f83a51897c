//! The single writer: one thread owns the one writing connection and commits queued write operations in batches
//! (group commit), so many accepted requests share one fsync on `synchronous = FULL`.
//!
//! A batch is one `BEGIN IMMEDIATE`, a savepoint per operation (an operation that fails or panics rolls back only its
//! own savepoint and answers only its own caller), one `COMMIT`, and only then the answers: no caller hears "done"
//! before its change is on disk, and every caller of a batch whose commit failed hears that it failed.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::Path;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;

use std::time::Duration;

use r2d2_sqlite::rusqlite::{Connection, Transaction, TransactionBehavior};
use tokio::sync::{mpsc, oneshot};

use super::hot::HotCache;
use crate::error::{ApiError, ApiResult};

/// Operations committed together at most: enough to share one fsync among a burst of requests, few enough that a
/// batch's transaction stays short.
const MAX_BATCH: usize = 256;

/// Operations waiting for the writer at most; a caller beyond that waits to enqueue (backpressure, not memory).
const QUEUE_DEPTH: usize = 4096;

/// The answer a write gets when its batch did not commit (or the writer is gone): the change is not on disk.
#[derive(Debug, thiserror::Error)]
#[error("the write was not committed: {reason}")]
pub struct NotCommitted {
    pub reason: String,
}

/// What the writer calls after the batch's `COMMIT`: `Ok` if it committed, the reason if not.
type Answer = Box<dyn FnOnce(Result<(), &str>) + Send>;

/// One queued operation: runs inside the batch's transaction and says whether it succeeded (a failure rolls back its
/// savepoint) and how to answer its caller once the batch's fate is known.
type WriteOp = Box<dyn FnOnce(&Transaction<'_>) -> (bool, Answer) + Send>;

/// The queue to the writer thread. Cloned with `Db`; the thread ends when every clone is dropped.
#[derive(Clone)]
pub struct Writer {
    queue: mpsc::Sender<WriteOp>,
    /// Commits still to be refused (`fail_next_commits`): the fsync-failure and disk-full tests' fault.
    failing_commits: Arc<AtomicU32>,
    /// Batches committed so far, for tests and the benchmark report (operations per fsync).
    batches: Arc<AtomicU32>,
}

/// Counts the commits that inserted or deleted resource rows (the writer bumps it after such a commit, before
/// answering), so that what depends on which rows exist (`store`'s list order) knows when it is stale.
pub type Membership = Arc<std::sync::atomic::AtomicU64>;

impl Writer {
    /// Opens the writing connection to `path` (already migrated) and starts the writer thread.
    pub fn start(path: &Path, membership: Membership, hot: Arc<HotCache>) -> anyhow::Result<Writer> {
        let conn = Connection::open(path)?;
        conn.execute_batch(super::sqlite::CONNECTION_PRAGMAS)?;
        // A request's commit never pays for a checkpoint: the checkpointer thread does them (`checkpoint`).
        conn.execute_batch("PRAGMA wal_autocheckpoint = 0;")?;
        let (queue, receiver) = mpsc::channel(QUEUE_DEPTH);
        let writer = Writer { queue, failing_commits: Arc::default(), batches: Arc::default() };
        let failing = writer.failing_commits.clone();
        // SQLite itself refuses the commit (and rolls the batch back), as it would on a full disk or a failed fsync.
        conn.commit_hook(Some(move || {
            failing.fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1)).is_ok()
        }))?;
        // Which rows exist changes only with an INSERT or a DELETE on `resources`; the hook sees every one, whichever
        // code ran it. Noted during the batch, published after its commit.
        let rows_changed = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let noted = rows_changed.clone();
        conn.update_hook(Some(move |action, _: &str, table: &str, _| {
            if table == "resources" && action != rusqlite::hooks::Action::SQLITE_UPDATE {
                noted.store(true, Ordering::SeqCst);
            }
        }))?;
        let checkpointer = Connection::open(path)?;
        let (alive, writer_alive) = std::sync::mpsc::channel::<()>();
        std::thread::Builder::new()
            .name("sdrs-checkpoint".into())
            .spawn(move || checkpoint(checkpointer, writer_alive))?;
        let batches = writer.batches.clone();
        std::thread::Builder::new().name("sdrs-writer".into()).spawn(move || {
            run(conn, receiver, &batches, &rows_changed, &membership, &hot);
            drop(alive);
        })?;
        Ok(writer)
    }

    /// Queues `f` and waits for its batch to commit. `f`'s error is its own answer; its change is rolled back.
    pub async fn write<R, F>(&self, f: F) -> ApiResult<R>
    where
        R: Send + 'static,
        F: FnOnce(&Transaction<'_>) -> ApiResult<R> + Send + 'static,
    {
        let (reply, answer) = oneshot::channel::<ApiResult<R>>();
        let op: WriteOp = Box::new(move |tx| {
            let result = f(tx);
            let succeeded = result.is_ok();
            let answer: Answer = Box::new(move |commit| {
                let answer = match (result, commit) {
                    (Ok(value), Ok(())) => Ok(value),
                    (Err(error), _) => Err(error),
                    (Ok(_), Err(reason)) => Err(not_committed(reason)),
                };
                let _ = reply.send(answer);
            });
            (succeeded, answer)
        });
        self.queue.send(op).await.map_err(|_| not_committed("the writer has stopped"))?;
        // A dropped answer means the batch failed before this operation ran, or the operation panicked.
        answer.await.unwrap_or_else(|_| Err(not_committed("the operation did not run to its end")))
    }

    /// Makes the next `count` commits fail as a full disk or a failed fsync would: the batch is rolled back.
    pub fn fail_next_commits(&self, count: u32) {
        self.failing_commits.store(count, Ordering::SeqCst);
    }

    /// Operations waiting in the queue (not yet taken into a batch).
    pub fn queued(&self) -> usize {
        self.queue.max_capacity() - self.queue.capacity()
    }

    /// Batches committed since start.
    pub fn batches(&self) -> u32 {
        self.batches.load(Ordering::Relaxed)
    }
}

fn not_committed(reason: &str) -> ApiError {
    ApiError::Internal(NotCommitted { reason: reason.to_owned() }.into())
}

/// The writer thread: waits for an operation, takes whatever else is queued (up to `MAX_BATCH`), commits them as one.
fn run(
    mut conn: Connection,
    mut receiver: mpsc::Receiver<WriteOp>,
    batches: &AtomicU32,
    rows_changed: &std::sync::atomic::AtomicBool,
    membership: &Membership,
    hot: &HotCache,
) {
    let mut batch = Vec::with_capacity(MAX_BATCH);
    while let Some(first) = receiver.blocking_recv() {
        batch.push(first);
        while batch.len() < MAX_BATCH {
            match receiver.try_recv() {
                Ok(op) => batch.push(op),
                Err(_) => break,
            }
        }
        let committed = commit_batch(&mut conn, batch.drain(..));
        // Before any answer: a read that starts after an answer misses the cache and reads the commit.
        hot.invalidate(super::sqlite::take_touched());
        if rows_changed.swap(false, Ordering::SeqCst) {
            // Before any answer: a reader that starts after an answer sees the new generation.
            membership.fetch_add(1, Ordering::SeqCst);
        }
        match committed {
            Ok(answers) => {
                batches.fetch_add(1, Ordering::Relaxed);
                answers.into_iter().for_each(|answer| answer(Ok(())));
            }
            Err(reason) => tracing::error!(%reason, "a write batch did not commit; its callers are told so"),
        }
    }
}

/// Runs one batch. On success, the answers to give now that it committed. On failure, every operation that ran has
/// been answered with the reason already; one that did not run is dropped, and its caller hears that.
fn commit_batch(conn: &mut Connection, batch: impl Iterator<Item = WriteOp>) -> Result<Vec<Answer>, String> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate).map_err(|e| e.to_string())?;
    let mut answers: Vec<Answer> = Vec::new();
    let fail_all = |answers: Vec<Answer>, reason: String| {
        answers.into_iter().for_each(|answer| answer(Err(&reason)));
        reason
    };
    for op in batch {
        if let Err(error) = tx.execute_batch("SAVEPOINT write_op") {
            return Err(fail_all(answers, error.to_string()));
        }
        let (succeeded, answer) = catch_unwind(AssertUnwindSafe(|| op(&tx))).unwrap_or_else(|_| {
            tracing::error!("a write operation panicked; its change is rolled back");
            (false, Box::new(|_: Result<(), &str>| {}) as Answer)
        });
        answers.push(answer);
        let undo = if succeeded { "RELEASE write_op" } else { "ROLLBACK TO write_op; RELEASE write_op" };
        if let Err(error) = tx.execute_batch(undo) {
            return Err(fail_all(answers, error.to_string()));
        }
    }
    match tx.commit() {
        Ok(()) => Ok(answers),
        Err(error) => Err(fail_all(answers, error.to_string())),
    }
}

/// How often the checkpointer copies the WAL back into the database.
const CHECKPOINT_EVERY: Duration = Duration::from_secs(1);

/// The checkpointer thread: `wal_checkpoint(PASSIVE)` on its own connection every second, beside the writer rather
/// than inside a request's commit (the writer's connection has `wal_autocheckpoint = 0`). PASSIVE never blocks the
/// writer or readers. It stops when the writer thread does.
fn checkpoint(conn: Connection, writer_alive: std::sync::mpsc::Receiver<()>) {
    use std::sync::mpsc::RecvTimeoutError;
    while let Err(RecvTimeoutError::Timeout) = writer_alive.recv_timeout(CHECKPOINT_EVERY) {
        if let Err(error) = conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(())) {
            tracing::warn!(%error, "checkpoint failed; the WAL grows until the next one succeeds");
        }
    }
}
