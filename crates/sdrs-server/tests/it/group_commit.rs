//! The single writer's group commit: writes queued together share one commit, each answered only after it, an
//! operation's failure stays its own, and a failed commit answers every caller of its batch with an error.

use std::sync::mpsc;
use std::time::{Duration, Instant};

use axum::http::StatusCode;
use serde_json::json;

use crate::util::{v1, TestApp};
use sdrs_core::wire::ServerGroup;
use sdrs_server::store::{self, Db, NewJob};
use sdrs_server::ApiError;

/// Holds the writer inside one operation until `release` is sent, so the writes queued meanwhile form one batch.
/// Returns once the writer is inside it.
async fn hold_the_writer(db: &Db) -> (mpsc::Sender<()>, tokio::task::JoinHandle<Result<(), ApiError>>) {
    let (release, held) = mpsc::channel::<()>();
    let (started, inside) = tokio::sync::oneshot::channel::<()>();
    let db = db.clone();
    let handle = tokio::spawn(async move {
        db.write(move |_| {
            let _ = started.send(());
            let _ = held.recv_timeout(Duration::from_secs(30));
            Ok(())
        })
        .await
    });
    inside.await.expect("the writer runs the holding operation");
    (release, handle)
}

/// `count` protected groups named `<prefix>-<n>`, their ids in order.
async fn protected_groups(app: &TestApp, prefix: &str, count: usize) -> Vec<String> {
    let mut groups = Vec::new();
    for n in 0..count {
        groups.push(app.protected_group(&format!("{prefix}-{n}")).await.0);
    }
    groups
}

async fn wait_until_queued(db: &Db, count: usize) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while db.queued_writes() < count {
        assert!(Instant::now() < deadline, "only {} of {count} writes were queued", db.queued_writes());
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

async fn scratch_table(db: &Db) {
    db.sqlite()
        .expect("a SQLite test")
        .write_sqlite(|tx| Ok(tx.execute_batch("CREATE TABLE IF NOT EXISTS scratch (n INTEGER PRIMARY KEY)")?))
        .await
        .unwrap();
}

async fn scratch_rows(db: &Db) -> Vec<i64> {
    db.sqlite()
        .expect("a SQLite test")
        .call_sqlite(|conn| {
            let mut statement = conn.prepare("SELECT n FROM scratch ORDER BY n")?;
            let rows = statement.query_map([], |row| row.get(0))?.collect::<Result<Vec<i64>, _>>()?;
            Ok(rows)
        })
        .await
        .unwrap()
}

fn insert(db: &Db, n: i64) -> tokio::task::JoinHandle<Result<(), ApiError>> {
    let db = db.clone();
    tokio::spawn(async move {
        db.sqlite()
            .expect("a SQLite test")
            .write_sqlite(move |tx| {
                tx.execute("INSERT INTO scratch (n) VALUES (?1)", [n])?;
                Ok(())
            })
            .await
    })
}

/// **Group commit**: 50 writes queued while the writer is busy commit as one batch (one fsync), and each caller hears
/// only once that batch has committed.
// SQLite only: the single writer's batches.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn writes_queued_together_commit_as_one_batch() {
    let app = TestApp::sqlite().await;
    let db = &app.state.db;
    scratch_table(db).await;
    let (release, holder) = hold_the_writer(db).await;
    let before = db.write_batches();
    let writes: Vec<_> = (1..=50).map(|n| insert(db, n)).collect();
    wait_until_queued(db, 50).await;
    assert!(writes.iter().all(|write| !write.is_finished()), "no write is answered before its batch commits");
    release.send(()).unwrap();
    holder.await.unwrap().unwrap();
    for write in writes {
        write.await.unwrap().unwrap();
    }
    assert_eq!(db.write_batches() - before, 2, "the held batch, then all 50 queued writes in one more");
    assert_eq!(scratch_rows(db).await, (1..=50).collect::<Vec<_>>());
}

/// **An operation's failure is its own**: in one batch, a write that returns an error and a write that panics leave
/// no change behind, their callers hear an error, and the others in the batch commit.
// SQLite only: savepoints inside the single writer's batch.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_or_panicking_write_rolls_back_only_itself() {
    let app = TestApp::sqlite().await;
    let db = &app.state.db;
    scratch_table(db).await;
    let (release, holder) = hold_the_writer(db).await;
    let first = insert(db, 1);
    let refused = {
        let db = db.clone();
        tokio::spawn(async move {
            db.sqlite()
                .expect("a SQLite test")
                .write_sqlite(|tx| -> Result<(), ApiError> {
                    tx.execute("INSERT INTO scratch (n) VALUES (2)", [])?;
                    Err(ApiError::code(sdrs_core::ErrorCode::SDRS_1002, "refused after a change"))
                })
                .await
        })
    };
    let panicking = {
        let db = db.clone();
        tokio::spawn(async move {
            db.sqlite()
                .expect("a SQLite test")
                .write_sqlite(|tx| -> Result<(), ApiError> {
                    tx.execute("INSERT INTO scratch (n) VALUES (3)", [])?;
                    panic!("a bug in one operation")
                })
                .await
        })
    };
    let last = insert(db, 4);
    wait_until_queued(db, 4).await;
    release.send(()).unwrap();
    holder.await.unwrap().unwrap();
    first.await.unwrap().unwrap();
    last.await.unwrap().unwrap();
    assert_eq!(refused.await.unwrap().unwrap_err().sdrs_code(), Some("SDRS.1002"));
    let panicked = panicking.await.unwrap().unwrap_err();
    assert!(sdrs_server::store::is_database_failure(&panicked), "a write that did not complete is not committed");
    assert_eq!(scratch_rows(db).await, vec![1, 4]);
}

/// **No caller is told "accepted" for a batch whose commit failed** (a full disk or a failed fsync, injected with
/// SQLite's commit hook): every write of the batch gets an error and none of them is in the database; the writer
/// goes on with the next batch.
// SQLite only: the single writer's batches.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_commit_fails_every_write_of_its_batch() {
    let app = TestApp::sqlite().await;
    let db = &app.state.db;
    scratch_table(db).await;
    let (release, holder) = hold_the_writer(db).await;
    let writes: Vec<_> = (1..=10).map(|n| insert(db, n)).collect();
    wait_until_queued(db, 10).await;
    db.fail_next_commits(2); // the held batch's commit, and the next one's
    release.send(()).unwrap();
    let held = holder.await.unwrap().unwrap_err();
    assert!(sdrs_server::store::is_database_failure(&held), "{held}");
    for write in writes {
        let error = write.await.unwrap().unwrap_err();
        assert!(sdrs_server::store::is_database_failure(&error), "{error}");
    }
    assert_eq!(scratch_rows(db).await, Vec::<i64>::new());
    insert(db, 11).await.unwrap().unwrap();
    assert_eq!(scratch_rows(db).await, vec![11]);
}

/// Through the API: a submission whose commit fails is answered 500, not with a job id, and leaves no group behind.
#[tokio::test]
async fn a_submission_whose_commit_fails_is_not_accepted() {
    let app = TestApp::new().await;
    let (_, before) = app.get(&v1("/server-groups")).await;
    app.state.db.fail_next_commits(1);
    let body = json!({"server_group": {"name": "never-committed", "source_availability_zone": sdrs_server::demo::SOURCE_AZ,
        "target_availability_zone": sdrs_server::demo::TARGET_AZ, "domain_id": sdrs_server::demo::DOMAIN_ID,
        "source_vpc_id": sdrs_server::demo::VPC_ID}});
    let (status, answer) = app.post(&v1("/server-groups"), body.clone()).await;
    assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR, "{answer}");
    assert!(answer.get("job_id").is_none());
    let (_, after) = app.get(&v1("/server-groups")).await;
    assert_eq!(after["count"], before["count"], "the refused commit left nothing behind");
    let (status, answer) = app.post(&v1("/server-groups"), body).await;
    assert_eq!(status, StatusCode::OK, "the next commit goes through: {answer}");
}

/// On either backend, a write whose answer nobody waited for (PostgreSQL sends it later, pipelined: `execute_later`)
/// still fails its own operation when it does not do what it must: an update of a group that is gone fails that write
/// only, its other changes rolled back, while the next write of the same batch commits.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_write_sent_later_that_fails_fails_its_own_operation_only() {
    let app = TestApp::new().await;
    let (group, _, _) = app.protected_group("kept").await;
    let db = &app.state.db;
    let (release, holder) = hold_the_writer(db).await;
    let failing = {
        let (db, group) = (db.clone(), group.clone());
        tokio::spawn(async move {
            db.write(move |tx| {
                let mut kept: ServerGroup = store::get(tx, crate::util::P, &group)?.unwrap();
                kept.description = Some("changed by a write that fails".to_owned());
                store::update(tx, crate::util::P, &kept)?;
                let mut gone = kept.clone();
                gone.id = "0000000000000000000000000000dead".to_owned();
                store::update(tx, crate::util::P, &gone)
            })
            .await
        })
    };
    let next = {
        let (db, group) = (db.clone(), group.clone());
        tokio::spawn(async move {
            db.write(move |tx| {
                let mut kept: ServerGroup = store::get(tx, crate::util::P, &group)?.unwrap();
                kept.name = "renamed".to_owned();
                store::update(tx, crate::util::P, &kept)
            })
            .await
        })
    };
    wait_until_queued(db, 2).await;
    release.send(()).unwrap();
    holder.await.unwrap().unwrap();
    let error = failing.await.unwrap().unwrap_err();
    assert!(format!("{error:#}").contains("vanished during an update"), "{error:#}");
    next.await.unwrap().unwrap();
    let shown = app.group_json(&group).await;
    assert_eq!(shown["name"], "renamed", "the next write of the batch committed");
    assert_ne!(shown["description"], "changed by a write that fails", "the failed write's first change is undone");
}

/// On either backend, group operations queued together are read ahead together (`writer.rs`: the batch's groups,
/// members and servers before any operation runs), and still each sees what the earlier ones of its batch wrote:
/// of two failovers of one group in one batch, the second is refused by the status the first set, and failovers of
/// other groups in the same batch are each accepted once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn group_operations_read_ahead_together_still_see_their_batch_writes() {
    let app = TestApp::new().await;
    let groups = protected_groups(&app, "ahead", 4).await;
    let db = &app.state.db;
    let (release, holder) = hold_the_writer(db).await;
    let failover = |group: &str| {
        let (view, path) = (app.with_config(|_| {}), v1(&format!("/server-groups/{group}/action")));
        tokio::spawn(async move { view.post(&path, json!({"failover-server-group": {}})).await })
    };
    let mut sent: Vec<_> = groups.iter().map(|group| failover(group)).collect();
    sent.push(failover(&groups[0]));
    wait_until_queued(db, sent.len()).await;
    release.send(()).unwrap();
    holder.await.unwrap().unwrap();
    let mut answers = Vec::new();
    for answer in sent {
        answers.push(answer.await.unwrap());
    }
    for (status, answer) in &answers[1..groups.len()] {
        assert_eq!(*status, StatusCode::OK, "{answer}");
        assert!(answer["job_id"].is_string(), "{answer}");
    }
    // The two failovers of the first group reach the queue in either order: whichever runs second is refused.
    let mut first_group = [&answers[0], &answers[groups.len()]];
    first_group.sort_by_key(|(status, _)| *status);
    let [(accepted, answer), (refused, refusal)] = first_group;
    assert_eq!(*accepted, StatusCode::OK, "{answer}");
    assert_eq!(
        *refused,
        StatusCode::BAD_REQUEST,
        "the same group's second failover sees the first's status: {refusal}"
    );
    assert!(refusal.to_string().contains("failing-over"), "{refusal}");
    for group in &groups {
        assert_eq!(app.group_json(group).await["status"], "failing-over");
    }
}

/// On either backend, a kept write that fails only after later operations of its batch ran (PostgreSQL finds out when
/// it next sends statements: `postgres.rs`'s `run`) fails its own operation alone: a duplicate key (which aborts
/// PostgreSQL's transaction) found by the next operation's read, and an update of a row that is gone (which aborts
/// nothing) found only at the commit. Each failed operation's earlier changes are undone, and the operations around
/// them commit, including the one whose read found the failure (its read made again after the rollback).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_write_that_fails_after_later_operations_ran_fails_its_own_operation_only() {
    let app = TestApp::new().await;
    let groups = protected_groups(&app, "later", 3).await;
    let db = &app.state.db;
    db.write(job("job-taken")).await.unwrap();
    let (release, holder) = hold_the_writer(db).await;
    let spawn = |write: Write| spawn_write(db, write);
    let (g0, g0_again, g2) = (groups[0].clone(), groups[0].clone(), groups[2].clone());
    let duplicate = spawn(Box::new(move |tx| {
        rename(tx, &g0, "undone-duplicate")?;
        job("job-taken")(tx)
    }));
    // Reads what the failing operation before it wrote: from the database, whose answer comes after the rollback.
    let reader = spawn(Box::new(move |tx| {
        let mut kept: ServerGroup = store::get(tx, crate::util::P, &g0_again)?.unwrap();
        kept.description = Some("kept".to_owned());
        store::update(tx, crate::util::P, &kept)
    }));
    let vanished = spawn(Box::new(move |tx| {
        let mut gone = rename(tx, &g2, "undone-vanished")?;
        gone.id = "0000000000000000000000000000dead".to_owned();
        store::update(tx, crate::util::P, &gone)
    }));
    let writer_only = spawn(Box::new(job("job-fresh")));
    wait_until_queued(db, 4).await;
    release.send(()).unwrap();
    holder.await.unwrap().unwrap();
    assert_duplicate_key(duplicate.await.unwrap().unwrap_err());
    reader.await.unwrap().unwrap();
    let error = vanished.await.unwrap().unwrap_err();
    assert!(format!("{error:#}").contains("vanished during an update"), "{error:#}");
    writer_only.await.unwrap().unwrap();
    let names: Vec<String> = {
        let mut names = Vec::new();
        for group in &groups {
            names.push(app.group_json(group).await["name"].as_str().unwrap().to_owned());
        }
        names
    };
    assert_eq!(names, ["later-0", "later-1", "later-2"], "the failed operations' renames are undone");
    let first = app.group_json(&groups[0]).await;
    assert_eq!(first["description"], "kept", "the operation between the failed ones committed: {first}");
    assert_both_jobs_stored_as_given(db).await;
}

/// One queued write of a test.
type Write = Box<dyn FnOnce(&dyn store::Store) -> Result<(), ApiError> + Send>;

/// Queues `write` on the writer from a task of its own.
fn spawn_write(db: &Db, write: Write) -> tokio::task::JoinHandle<Result<(), ApiError>> {
    let db = db.clone();
    tokio::spawn(async move { db.write(write).await })
}

/// The error is a duplicate key, as either backend words it.
fn assert_duplicate_key(error: ApiError) {
    assert!(format!("{error:#}").contains("duplicate key") || format!("{error:#}").contains("UNIQUE"), "{error:#}");
}

/// `job-taken` (inserted before the batch) and `job-fresh` (the batch's last write) are stored with their bodies.
async fn assert_both_jobs_stored_as_given(db: &Db) {
    let bodies = db
        .call(|tx| Ok((tx.job_body(crate::util::P, "job-taken")?, tx.job_body(crate::util::P, "job-fresh")?)))
        .await
        .unwrap();
    assert_eq!(bodies, (Some("{\"job-taken\":1}".to_owned()), Some("{\"job-fresh\":1}".to_owned())));
}

/// A write that inserts a job whose body is its id, as given.
fn job(id: &'static str) -> impl FnOnce(&dyn store::Store) -> Result<(), ApiError> {
    move |tx: &dyn store::Store| {
        let new = NewJob {
            job_id: id,
            project_id: crate::util::P,
            server_group_id: None,
            now: 1,
            body: format!("{{\"{id}\":1}}"),
            plan: "{}".to_owned(),
        };
        tx.insert_job(&new)
    }
}

/// Renames a group; returns it as written.
fn rename(tx: &dyn store::Store, group: &str, name: &str) -> Result<ServerGroup, ApiError> {
    let mut kept: ServerGroup = store::get(tx, crate::util::P, group)?.unwrap();
    kept.name = name.to_owned();
    store::update(tx, crate::util::P, &kept)?;
    Ok(kept)
}

/// **A write sent ahead that fails fails its own operation alone, as a kept one does.** PostgreSQL sends kept writes
/// ahead once 32 wait (`postgres.rs`'s `SEND_AHEAD`), so an operation's duplicate key reaches the database while it
/// still runs, without it reading the answer, and later writes follow it into the aborted transaction. Here each
/// operation keeps 41 writes: the failing one's are undone, the next one's (found the failure by its read, and sent
/// ahead again) and a third one's commit. SQLite runs every write at once: the same outcome.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_write_sent_ahead_that_fails_fails_its_own_operation_only() {
    let app = TestApp::new().await;
    let groups = protected_groups(&app, "ahead", 2).await;
    let db = &app.state.db;
    db.write(job("job-taken")).await.unwrap();
    // Read once, then renamed 40 times from memory: writes only, nothing the operation waits for.
    let renamed_40_times = |tx: &dyn store::Store, group: &str, prefix: &str| -> Result<(), ApiError> {
        let mut kept = rename(tx, group, &format!("{prefix}-first"))?;
        for n in 0..40 {
            kept.name = format!("{prefix}-{n}");
            store::update(tx, crate::util::P, &kept)?;
        }
        Ok(())
    };
    let (release, holder) = hold_the_writer(db).await;
    let (g0, g1) = (groups[0].clone(), groups[1].clone());
    let duplicate = spawn_write(
        db,
        Box::new(move |tx| {
            let _: Option<ServerGroup> = store::get(tx, crate::util::P, &g0)?;
            job("job-taken")(tx)?;
            renamed_40_times(tx, &g0, "undone")
        }),
    );
    let after = spawn_write(db, Box::new(move |tx| renamed_40_times(tx, &g1, "kept")));
    let fresh = spawn_write(db, Box::new(job("job-fresh")));
    wait_until_queued(db, 3).await;
    release.send(()).unwrap();
    holder.await.unwrap().unwrap();
    assert_duplicate_key(duplicate.await.unwrap().unwrap_err());
    after.await.unwrap().unwrap();
    fresh.await.unwrap().unwrap();
    assert_eq!(app.group_json(&groups[0]).await["name"], "ahead-0", "the failed operation's renames are undone");
    assert_eq!(app.group_json(&groups[1]).await["name"], "kept-39", "the next operation's writes all committed");
    assert_both_jobs_stored_as_given(db).await;
}

/// On either backend, what a write batch reads ahead (PostgreSQL: one statement per kind and one for every member
/// list, split into the single reads they answer, `Store::read_ahead`) is what each single read answers from the
/// database: groups and servers found and missing, member lists in order, full and empty.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn what_a_batch_reads_ahead_is_what_each_single_read_answers() {
    use sdrs_core::wire::{DisasterRecoveryDrill, NativeServer, ProtectedInstance, Replication, ServerGroup};
    use sdrs_server::store::{self, ReadAhead, Resource};
    let app = TestApp::new().await;
    let (full, first, _) = app.protected_group("ahead-full").await;
    let (second, _) = app.protect(&full, "ahead-full-srv2").await;
    let empty = app.group("ahead-empty").await;
    let read = |tx: &dyn store::Store, ids: &[String]| -> Result<serde_json::Value, ApiError> {
        let mut answers = Vec::new();
        for id in ids {
            answers.push(json!({
                "group": store::get::<ServerGroup>(tx, crate::util::P, id)?,
                "server": store::get::<NativeServer>(tx, crate::util::P, id)?,
                "instances": store::members::<ProtectedInstance>(tx, crate::util::P, id)?,
                "replications": store::members::<Replication>(tx, crate::util::P, id)?,
                "drills": store::members::<DisasterRecoveryDrill>(tx, crate::util::P, id)?,
            }));
        }
        Ok(json!(answers))
    };
    let db = &app.state.db;
    let instances: Vec<ProtectedInstance> = {
        let full = full.clone();
        db.call(move |tx| store::members(tx, crate::util::P, &full)).await.unwrap()
    };
    assert_eq!(instances.iter().map(|i| i.id.clone()).collect::<Vec<_>>(), [first, second]);
    let mut ids = vec![full.clone(), empty, "0000000000000000000000000000dead".to_owned()];
    ids.extend(instances.iter().flat_map(|i| [i.source_server.clone(), i.target_server.clone()]));
    let from_database = {
        let ids = ids.clone();
        db.call(move |tx| read(tx, &ids)).await.unwrap()
    };
    let ahead = db
        .write(move |tx| {
            let mut reads = Vec::new();
            for id in &ids {
                reads.push(ReadAhead::Resource { kind: ServerGroup::KIND, id });
                reads.push(ReadAhead::Resource { kind: NativeServer::KIND, id });
                for kind in [ProtectedInstance::KIND, Replication::KIND, DisasterRecoveryDrill::KIND] {
                    reads.push(ReadAhead::Members { kind, server_group_id: id });
                }
            }
            tx.read_ahead(crate::util::P, &reads)?;
            read(tx, &ids)
        })
        .await
        .unwrap();
    assert_eq!(ahead, from_database);
    assert_eq!(from_database[0]["instances"].as_array().map(Vec::len), Some(2), "{from_database}");
    assert!(from_database[3]["server"].is_object(), "{from_database}");
}

/// **A savepoint inside an operation undoes what followed it when rolled back to, and keeps it when released,**
/// whether or not it reached the database: PostgreSQL's writer leaves out one whose extent is all still kept
/// (`PgConn::nested_savepoint`), so here one is rolled back to and released unsent, and one rolled back to after a
/// read sent it with the writes that followed it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_savepoint_inside_an_operation_undoes_or_keeps_its_writes_sent_or_not() {
    let app = TestApp::new().await;
    let groups = protected_groups(&app, "inner", 2).await;
    let (g0, g1) = (groups[0].clone(), groups[1].clone());
    let seen = app
        .state
        .db
        .write(move |tx| {
            // Both read here: the renames below read them from memory and send nothing.
            rename(tx, &g0, "before")?;
            rename(tx, &g1, "before")?;
            // Kept all along: rolled back to, then released, then one released with its write.
            tx.savepoint("nested")?;
            rename(tx, &g0, "undone-unsent")?;
            rename(tx, &g1, "undone-unsent")?;
            tx.rollback_to("nested")?;
            tx.release("nested")?;
            tx.savepoint("nested")?;
            rename(tx, &g1, "kept")?;
            tx.release("nested")?;
            // Sent by a read before it is rolled back to.
            tx.savepoint("sent")?;
            rename(tx, &g0, "undone-sent")?;
            assert_eq!(tx.job_body(crate::util::P, "no-such-job")?, None);
            tx.rollback_to("sent")?;
            tx.release("sent")?;
            let read =
                |group: &str| Ok::<_, ApiError>(store::get::<ServerGroup>(tx, crate::util::P, group)?.unwrap().name);
            Ok((read(&g0)?, read(&g1)?))
        })
        .await
        .unwrap();
    assert_eq!(seen, ("before".to_owned(), "kept".to_owned()), "what the operation reads back");
    assert_eq!(app.group_json(&groups[0]).await["name"], "before");
    assert_eq!(app.group_json(&groups[1]).await["name"], "kept");
}
