//! The single writer of a process, for both backends: one thread owns the one writing connection and commits queued
//! write operations in batches (group commit), so many accepted requests share one commit: one fsync on SQLite's
//! `synchronous = FULL`, one advisory lock and one WAL flush on PostgreSQL.
//!
//! A batch is one transaction (`Committer::begin`), a savepoint per operation (an operation that fails or panics rolls
//! back only its own savepoint and answers only its own caller), one commit, and only then the answers: no caller
//! hears "done" before its change is durable, and every caller of a batch whose commit failed hears that it failed.
//! An operation's writes may reach the database after it returned (PostgreSQL keeps them to send with the next
//! statement, `Sql::execute_later`); one that fails then is that operation's failure alone: its savepoint is rolled
//! back, the later operations' statements are sent again, and its caller hears the error
//! (`Sql::take_failed_operations`).
//!
//! An operation may announce the group it works on (`Writer::write_on`). Before running any operation of a batch, the
//! writer reads every announced group ahead together (`Writer::read_groups_with`: on PostgreSQL two flights for the
//! whole batch, where each operation reading for itself cost two round trips of its own), inside a savepoint of its
//! own: if that read fails, the transaction is as it was and each operation reads what it needs itself.

use std::collections::BTreeMap;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, OnceLock};

use tokio::sync::{mpsc, oneshot};

use super::sql::Sql;
use super::Store;
use crate::error::{ApiError, ApiResult};

/// Operations waiting for the writer at most; a caller beyond that waits to enqueue (backpressure, not memory).
const QUEUE_DEPTH: usize = 4096;

/// The answer a write gets when its batch did not commit (or the writer is gone): the change is not on disk.
#[derive(Debug, thiserror::Error)]
#[error("the write was not committed: {reason}")]
pub struct NotCommitted {
    pub reason: String,
}

/// A backend's writing connection and its transaction boundaries.
pub trait Committer: Send + 'static {
    type Conn: Sql;
    /// Operations committed together at most: enough to share one commit among a burst of requests, few enough that
    /// a batch's transaction stays short.
    const MAX_BATCH: usize;

    /// Begins the batch's transaction (reconnecting first if the connection was lost).
    fn begin(&mut self) -> Result<(), String>;
    /// What the batch's operations run on.
    fn conn(&self) -> &Self::Conn;
    fn commit(&mut self) -> Result<(), String>;
    /// Rolls the transaction back, as far as the connection still allows.
    fn rollback(&mut self);
    /// After each batch, committed or not, before any of its answers (a cache to invalidate).
    fn after_batch(&mut self) {}
}

/// Told after each batch: its number of operations and how long it took to run and commit.
pub type BatchObserver = Arc<dyn Fn(usize, std::time::Duration) + Send + Sync>;

/// How a batch ended for one operation that returned `Ok`.
enum Fate<'a> {
    Committed,
    /// One of its writes failed after it returned; it alone was rolled back.
    Failed(ApiError),
    /// The batch did not commit, for this reason.
    NotCommitted(&'a str),
}

/// What the writer calls once the operation's fate is known.
type Answer = Box<dyn FnOnce(Fate<'_>) + Send>;

/// One queued operation: runs inside the batch's transaction and says whether it succeeded (a failure rolls back its
/// savepoint) and how to answer its caller once the batch's fate is known.
type WriteOp<C> = Box<dyn FnOnce(&C) -> (bool, Answer) + Send>;

/// The group an operation works on, announced when it is queued so that its batch reads it ahead.
pub struct GroupAhead {
    pub project: String,
    pub group: String,
}

/// Reads groups of one project ahead, with what checking or changing them reads (`resources::read_groups_ahead`, set
/// by the server state).
pub type GroupsReader = Arc<dyn Fn(&dyn Store, &str, &[&str]) -> ApiResult<()> + Send + Sync>;

/// An operation in the queue, with the group it announced.
struct Queued<C> {
    group: Option<GroupAhead>,
    op: WriteOp<C>,
}

/// The queue to the writer thread. Cloned with the database; the thread ends when every clone is dropped.
pub struct Writer<C: Committer> {
    queue: mpsc::Sender<Queued<C::Conn>>,
    shared: Arc<Shared>,
}

impl<C: Committer> Clone for Writer<C> {
    fn clone(&self) -> Self {
        Writer { queue: self.queue.clone(), shared: self.shared.clone() }
    }
}

/// What the writer thread and the `Writer` handles share.
#[derive(Default)]
struct Shared {
    /// Batches committed so far, for tests and the benchmark report (operations per commit).
    batches: AtomicU32,
    /// Commits still to be refused (`fail_next_commits`): the fsync-failure and disk-full tests' fault.
    failing: AtomicU32,
    observer: OnceLock<BatchObserver>,
    groups_reader: OnceLock<GroupsReader>,
}

impl<C: Committer> Writer<C> {
    /// Starts the writer thread on `committer`.
    pub fn start(committer: C, name: &str) -> anyhow::Result<Writer<C>> {
        let (queue, receiver) = mpsc::channel(QUEUE_DEPTH);
        let shared = Arc::new(Shared::default());
        let on_thread = shared.clone();
        std::thread::Builder::new().name(name.into()).spawn(move || run(committer, receiver, &on_thread))?;
        Ok(Writer { queue, shared })
    }

    /// Queues `f` and waits for its batch to commit. `f`'s error is its own answer; its change is rolled back.
    pub async fn write<R, F>(&self, f: F) -> ApiResult<R>
    where
        R: Send + 'static,
        F: FnOnce(&C::Conn) -> ApiResult<R> + Send + 'static,
    {
        self.write_on(None, f).await
    }

    /// `write` for an operation on `group`, which its batch reads ahead with the other operations' groups.
    pub async fn write_on<R, F>(&self, group: Option<GroupAhead>, f: F) -> ApiResult<R>
    where
        R: Send + 'static,
        F: FnOnce(&C::Conn) -> ApiResult<R> + Send + 'static,
    {
        let (reply, answer) = oneshot::channel::<ApiResult<R>>();
        let op: WriteOp<C::Conn> = Box::new(move |conn| {
            let result = f(conn);
            let succeeded = result.is_ok();
            let answer: Answer = Box::new(move |fate| {
                let answer = match (result, fate) {
                    (Ok(value), Fate::Committed) => Ok(value),
                    (Err(error), _) | (Ok(_), Fate::Failed(error)) => Err(error),
                    (Ok(_), Fate::NotCommitted(reason)) => Err(not_committed(reason)),
                };
                let _ = reply.send(answer);
            });
            (succeeded, answer)
        });
        self.queue.send(Queued { group, op }).await.map_err(|_| not_committed("the writer has stopped"))?;
        // A dropped answer means the batch failed before this operation ran, or the operation panicked.
        answer.await.unwrap_or_else(|_| Err(not_committed("the operation did not run to its end")))
    }

    /// Sets what is told after each batch (once; later calls change nothing).
    pub fn observe(&self, observer: BatchObserver) {
        let _ = self.shared.observer.set(observer);
    }

    /// Sets what reads a batch's announced groups ahead (once; later calls change nothing).
    pub fn read_groups_with(&self, reader: GroupsReader) {
        let _ = self.shared.groups_reader.set(reader);
    }

    /// Makes the next `count` commits fail as a full disk or a failed fsync would: the batch is rolled back.
    pub fn fail_next_commits(&self, count: u32) {
        self.shared.failing.store(count, Ordering::SeqCst);
    }

    /// Operations waiting in the queue (not yet taken into a batch).
    pub fn queued(&self) -> usize {
        self.queue.max_capacity() - self.queue.capacity()
    }

    /// Batches committed since start.
    pub fn batches(&self) -> u32 {
        self.shared.batches.load(Ordering::Relaxed)
    }
}

pub(super) fn not_committed(reason: &str) -> ApiError {
    ApiError::Internal(NotCommitted { reason: reason.to_owned() }.into())
}

/// The writer thread: waits for an operation, takes whatever else is queued (up to `MAX_BATCH`), commits them as one.
fn run<C: Committer>(mut committer: C, mut receiver: mpsc::Receiver<Queued<C::Conn>>, shared: &Shared) {
    let mut batch = Vec::with_capacity(C::MAX_BATCH);
    while let Some(first) = receiver.blocking_recv() {
        batch.push(first);
        while batch.len() < C::MAX_BATCH {
            match receiver.try_recv() {
                Ok(op) => batch.push(op),
                Err(_) => break,
            }
        }
        let (started, operations) = (std::time::Instant::now(), batch.len());
        let committed = commit_batch(&mut committer, &mut batch, &shared.failing, shared.groups_reader.get());
        batch.clear();
        if let Some(observe) = shared.observer.get() {
            observe(operations, started.elapsed());
        }
        // Before any answer: a read that starts after an answer must not find what this batch replaced.
        committer.after_batch();
        match committed {
            Ok((answers, failed)) => {
                shared.batches.fetch_add(1, Ordering::Relaxed);
                let mut failed: BTreeMap<usize, ApiError> = failed.into_iter().collect();
                for (index, answer) in answers.into_iter().enumerate() {
                    answer(failed.remove(&index).map_or(Fate::Committed, Fate::Failed));
                }
            }
            Err(reason) => tracing::error!(%reason, "a write batch did not commit; its callers are told so"),
        }
    }
}

/// Reads the groups the batch's operations announced ahead, a project at a time, where the connection remembers
/// its reads. A failed read is rolled back to its savepoint and only logged: each operation then reads for itself.
fn read_groups_ahead<S: Sql>(conn: &S, reader: &GroupsReader, batch: &[Queued<S>]) -> Result<(), String> {
    let mut by_project: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for group in batch.iter().filter_map(|queued| queued.group.as_ref()) {
        by_project.entry(&group.project).or_default().push(&group.group);
    }
    if by_project.is_empty() || !conn.remembers_reads() {
        return Ok(());
    }
    conn.batch("SAVEPOINT read_ahead").map_err(|error| error.to_string())?;
    let read = by_project.iter().try_for_each(|(project, groups)| reader(conn, project, groups));
    let end = match read {
        Ok(()) => "RELEASE SAVEPOINT read_ahead",
        Err(error) => {
            tracing::warn!(%error, "reading a write batch's groups ahead failed; its operations read for themselves");
            "ROLLBACK TO SAVEPOINT read_ahead; RELEASE SAVEPOINT read_ahead"
        }
    };
    conn.batch(end).map_err(|error| error.to_string())
}

/// What a committed batch answers: each operation's answer, in the batch's order, and the operations whose writes
/// failed after they returned (by that order), with the error.
type Committed = (Vec<Answer>, Vec<(usize, ApiError)>);

/// Runs one batch. On success, the answers to give now that it committed. On failure, every operation that ran has
/// been answered with the reason already; one that did not run is dropped, and its caller hears that.
fn commit_batch<C: Committer>(
    committer: &mut C,
    batch: &mut Vec<Queued<C::Conn>>,
    failing: &AtomicU32,
    groups_reader: Option<&GroupsReader>,
) -> Result<Committed, String> {
    committer.begin()?;
    let mut answers: Vec<Answer> = Vec::new();
    let fail_all = |committer: &mut C, answers: Vec<Answer>, reason: String| {
        committer.rollback();
        answers.into_iter().for_each(|answer| answer(Fate::NotCommitted(&reason)));
        reason
    };
    if let Some(reader) = groups_reader {
        if let Err(reason) = read_groups_ahead(committer.conn(), reader, batch) {
            return Err(fail_all(committer, answers, reason));
        }
    }
    for (index, Queued { op, .. }) in batch.drain(..).enumerate() {
        if let Err(error) = committer.conn().begin_operation(index) {
            return Err(fail_all(committer, answers, error.to_string()));
        }
        let conn = committer.conn();
        let (succeeded, answer) = catch_unwind(AssertUnwindSafe(|| op(conn))).unwrap_or_else(|_| {
            tracing::error!("a write operation panicked; its change is rolled back");
            (false, Box::new(|_: Fate<'_>| {}) as Answer)
        });
        answers.push(answer);
        if let Err(error) = committer.conn().end_operation(index, succeeded) {
            return Err(fail_all(committer, answers, error.to_string()));
        }
    }
    if failing.fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1)).is_ok() {
        return Err(fail_all(committer, answers, "the commit was refused (injected fault)".to_owned()));
    }
    match committer.commit() {
        Ok(()) => {
            let failed = committer.conn().take_failed_operations();
            Ok((answers, failed))
        }
        Err(error) => Err(fail_all(committer, answers, error)),
    }
}
