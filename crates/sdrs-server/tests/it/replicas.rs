//! Two replicas on one PostgreSQL database, in one process: one winner per group across them, read-your-writes, and
//! jobs accepted by one replica run by either worker, each step once.
//!
//! Ignored in the plain `cargo test` (there is no PostgreSQL there); `scripts/test` starts a throwaway PostgreSQL and
//! runs the suite again against it with `--include-ignored`, so these run every time, in CI too.

use axum::http::StatusCode;
use serde_json::{json, Value};

use crate::auth::{send, signed};
use crate::gateway::{demo_gateway, SECRET};
use crate::util::{admin, test_postgres, v1, TestApp};
use sdrs_server::plans::{executor, Orchestrator};
use sdrs_server::{demo, jobs, now_millis, AppState, Database};

const NEEDS: &str = "these tests need PostgreSQL: set SDRS_TEST_POSTGRES (scripts/test does)";

async fn two_replicas() -> (TestApp, TestApp) {
    assert!(test_postgres().is_some(), "{NEEDS}");
    let first = TestApp::new().await;
    let second = first.replica();
    (first, second)
}

async fn failover(state: &AppState, group: &str) -> (StatusCode, Value) {
    use tower::ServiceExt;
    let request = axum::http::Request::post(format!("/v1/{}/server-groups/{group}/action", demo::PROJECT))
        .header("x-auth-token", demo::TOKEN)
        .body(axum::body::Body::from(r#"{"failover-server-group": {}}"#))
        .unwrap();
    let response = sdrs_server::router(state.clone()).oneshot(request).await.unwrap();
    let status = response.status();
    let bytes = http_body_util::BodyExt::collect(response.into_body()).await.unwrap().to_bytes();
    (status, serde_json::from_slice(&bytes).unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
#[ignore = "needs PostgreSQL (SDRS_TEST_POSTGRES); scripts/test runs it"]
async fn two_hundred_actions_on_one_group_over_two_replicas_yield_one_job() {
    let (first, second) = two_replicas().await;
    let groups = demo::seed_bulk(&first.state, 1, true).await.unwrap();
    let mut handles = Vec::new();
    for n in 0..200 {
        let state = if n % 2 == 0 { first.state.clone() } else { second.state.clone() };
        let group = groups[0].clone();
        handles.push(tokio::spawn(async move { failover(&state, &group).await }));
    }
    let mut accepted = 0;
    for handle in handles {
        let (status, body) = handle.await.unwrap();
        if status == StatusCode::OK {
            accepted += 1;
        } else {
            assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
            assert_eq!(body["error"]["code"], "SDRS.1002", "the losers get the state error: {body}");
        }
    }
    assert_eq!(accepted, 1, "exactly one of 200 simultaneous failovers over two replicas is accepted");
    let (status, listed) = second.get(&admin(&format!("/server-groups/{}/jobs", groups[0]))).await;
    assert_eq!(status, StatusCode::OK, "{listed}");
    assert_eq!(listed["jobs"].as_array().unwrap().len(), 1, "one job in the database: {listed}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs PostgreSQL (SDRS_TEST_POSTGRES); scripts/test runs it"]
async fn what_one_replica_accepted_the_other_shows_at_once_and_runs() {
    let (first, second) = two_replicas().await;
    let group = first.group("replicated").await;
    first.protect(&group, "replicated-srv").await;
    // Accepted by the first replica...
    let (status, body) =
        first.post(&v1(&format!("/server-groups/{group}/action")), json!({"start-server-group": {}})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let job_id = body["job_id"].as_str().unwrap().to_owned();
    // ...is read by the second at once: the job, and the group's new status.
    let (status, job) = second.get(&v1(&format!("/jobs/{job_id}"))).await;
    assert_eq!(status, StatusCode::OK, "read-your-writes across replicas: {job}");
    assert_eq!(second.group_json(&group).await["status"], "starting");
    // The second replica's worker runs it; the first sees the end.
    second.run_jobs().await;
    let (_, job) = first.get(&v1(&format!("/jobs/{job_id}"))).await;
    assert_eq!(job["status"], "SUCCESS", "{job}");
    assert_eq!(first.group_json(&group).await["status"], "protected");
    assert_eq!(first.state.db.synchronous().await.unwrap(), 2, "commits are durable (synchronous_commit on)");
}

/// A replica answers a hot read from memory while it is current, and never once another replica has answered a
/// write that changed it: 100 renames on one replica, each read back at once on the other, which had it in memory;
/// then with the second replica's notifications held back (a late delivery): it reads the database, never memory.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs PostgreSQL (SDRS_TEST_POSTGRES); scripts/test runs it"]
async fn a_replica_answers_from_memory_only_what_no_answered_write_replaced() {
    let (first, second) = two_replicas().await;
    let group = first.group("cached").await;
    let from_memory = || second.state.metrics.hot_reads_from_memory.get();
    let path = v1(&format!("/server-groups/{group}"));
    let rename = |name: String| {
        let (app, path) = (&first, &path);
        async move { app.call(axum::http::Method::PUT, path, Some(json!({"server_group": {"name": name}}))).await }
    };
    // The listener connects in the background: wait until the second replica serves from memory.
    let mut waited = 0;
    while from_memory() == 0 {
        assert_eq!(second.get(&path).await.0, StatusCode::OK);
        waited += 1;
        assert!(waited < 500, "the second replica never answered from memory");
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    for n in 0..100 {
        let before = from_memory();
        let (_, cached) = second.get(&path).await;
        let (_, again) = second.get(&path).await;
        assert_eq!(cached, again);
        assert!(from_memory() > before, "round {n}: the repeated read did not come from memory");
        let name = format!("cached-{n}");
        let (status, body) = rename(name.clone()).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let (_, read) = second.get(&path).await;
        assert_eq!(read["server_group"]["name"], name, "round {n}: a stale group after an answered write");
    }
    // Notifications late: the rename is read from the database, not from memory; released, memory serves again.
    second.state.db.hold_notifications(true);
    for n in 0..5 {
        let (_, cached) = second.get(&path).await;
        let before = from_memory();
        let (status, body) = rename(format!("late-{n}")).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let (_, read) = second.get(&path).await;
        assert_eq!(read["server_group"]["name"], format!("late-{n}"), "stale while notifications are late: {cached}");
        assert_eq!(from_memory(), before, "memory answered while a notification was late");
    }
    second.state.db.hold_notifications(false);
    let before = from_memory();
    for _ in 0..100 {
        let (_, read) = second.get(&path).await;
        assert_eq!(read["server_group"]["name"], "late-4");
        if from_memory() > before {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    assert!(from_memory() > before, "memory did not serve again once the notifications arrived");
    // A job, changed by the other replica's worker, is never stale either.
    first.protect(&group, "cached-srv").await;
    let (status, body) =
        first.post(&v1(&format!("/server-groups/{group}/action")), json!({"start-server-group": {}})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let job = v1(&format!("/jobs/{}", body["job_id"].as_str().unwrap()));
    assert_eq!(second.get(&job).await.1, second.get(&job).await.1);
    first.run_jobs().await;
    assert_eq!(second.get(&job).await.1["status"], "SUCCESS");
}

/// A replica that holds the sole-replica lease (its listener takes it in the background, when it is alone).
async fn sole_replica() -> TestApp {
    assert!(test_postgres().is_some(), "{NEEDS}");
    let app = TestApp::new().await;
    until_sole(&app).await;
    app
}

async fn until_sole(app: &TestApp) {
    for _ in 0..1000 {
        if app.state.db.sole_replica().0 {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    panic!("the replica never held the sole-replica lease");
}

/// A replica alone answers hot reads from memory without reading the version first, and its own writes are read
/// back at once, even with its notifications late: a rename and the new name on the next read, memory serving again
/// after it, no version read at all.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs PostgreSQL (SDRS_TEST_POSTGRES); scripts/test runs it"]
async fn a_sole_replica_answers_from_memory_without_a_version_read() {
    let app = sole_replica().await;
    let group = app.group("alone").await;
    let path = v1(&format!("/server-groups/{group}"));
    let from_memory = || app.state.metrics.hot_reads_from_memory.get();
    let version_reads = app.state.db.sole_replica().1;
    assert_eq!(app.get(&path).await.0, StatusCode::OK);
    // Its own notifications held back: only the writer's own invalidation keeps memory from answering stale.
    app.state.db.hold_notifications(true);
    for n in 0..20 {
        let before = from_memory();
        assert_eq!(
            app.get(&path).await.1["server_group"]["name"],
            if n == 0 { "alone".to_owned() } else { format!("alone-{}", n - 1) }
        );
        assert!(from_memory() > before, "round {n}: not from memory");
        let name = format!("alone-{n}");
        let (status, body) =
            app.call(axum::http::Method::PUT, &path, Some(json!({"server_group": {"name": name}}))).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let (_, read) = app.get(&path).await;
        assert_eq!(read["server_group"]["name"], name, "round {n}: its own write read stale");
    }
    assert!(app.state.db.sole_replica().0);
    assert_eq!(app.state.db.sole_replica().1, version_reads, "a hit read the version although the replica is alone");
}

/// A lease left to a replica that is gone (its name holds it, no connection of it is open) is taken back without
/// waiting for a write to clear it: the holder's next try waits it out and takes it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs PostgreSQL (SDRS_TEST_POSTGRES); scripts/test runs it"]
async fn a_lease_left_by_a_replica_that_is_gone_is_taken_back() {
    let app = sole_replica().await;
    let Database::Postgres(url) = &app.state.config.database else { panic!("{NEEDS}") };
    let url = url.clone();
    tokio::spawn(async move {
        let (client, connection) = tokio_postgres::connect(&url, tokio_postgres::NoTls).await.unwrap();
        tokio::spawn(connection);
        client.execute("UPDATE data_version SET sole_holder = 'sdrs-replica-gone'", &[]).await.unwrap();
    })
    .await
    .unwrap();
    for _ in 0..100 {
        if !app.state.db.sole_replica().0 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    assert!(!app.state.db.sole_replica().0, "the replica kept a lease another name holds");
    until_sole(&app).await;
}

/// A write on another replica ends the lease before it is answered: the holder, with its notifications held back (a
/// late delivery), reads the renamed group from the database, never the old name from memory, and reads the version
/// again; the write waited the lease out (the trigger of migration 009).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs PostgreSQL (SDRS_TEST_POSTGRES); scripts/test runs it"]
async fn another_replicas_write_ends_the_lease_before_it_is_answered() {
    let first = sole_replica().await;
    let second = first.replica();
    let group = first.group("leased").await;
    let path = v1(&format!("/server-groups/{group}"));
    let from_memory = || first.state.metrics.hot_reads_from_memory.get();
    let before = from_memory();
    assert_eq!(first.get(&path).await.1, first.get(&path).await.1);
    assert!(from_memory() > before, "the holder did not answer from memory");
    first.state.db.hold_notifications(true);
    let started = std::time::Instant::now();
    let (status, body) =
        second.call(axum::http::Method::PUT, &path, Some(json!({"server_group": {"name": "renamed-elsewhere"}}))).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let waited = started.elapsed();
    let (before, version_reads) = (from_memory(), first.state.db.sole_replica().1);
    let (_, read) = first.get(&path).await;
    assert_eq!(read["server_group"]["name"], "renamed-elsewhere", "the holder answered what the write replaced");
    assert!(waited >= std::time::Duration::from_millis(450), "the write did not wait the lease out: {waited:?}");
    assert_eq!(from_memory(), before, "memory answered while the notification was late");
    let (sole, reads) = first.state.db.sole_replica();
    assert!(!sole && reads > version_reads, "the lease outlived another replica's write");
    first.state.db.hold_notifications(false);
    // The lease is not taken back while the second's writer is connected: its next write is not held up.
    let started = std::time::Instant::now();
    let (status, _) =
        second.call(axum::http::Method::PUT, &path, Some(json!({"server_group": {"name": "again"}}))).await;
    assert_eq!(status, StatusCode::OK);
    assert!(started.elapsed() < std::time::Duration::from_millis(450), "a second write waited for a lease");
    // Nor later: the first does not take it back while the second's writer is connected.
    tokio::time::sleep(std::time::Duration::from_millis(5_500)).await;
    assert!(!first.state.db.sole_replica().0, "the lease was taken back from under a replica that writes");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
#[ignore = "needs PostgreSQL (SDRS_TEST_POSTGRES); scripts/test runs it"]
async fn two_workers_on_the_same_jobs_finish_each_once() {
    let (first, second) = two_replicas().await;
    let groups = demo::seed_bulk(&first.state, 40, true).await.unwrap();
    for (n, group) in groups.iter().enumerate() {
        let state = if n % 2 == 0 { &first.state } else { &second.state };
        let (status, body) = failover(state, group).await;
        assert_eq!(status, StatusCode::OK, "{body}");
    }
    // Both workers race over the same due jobs until none is left.
    let race = |state: AppState| {
        tokio::spawn(async move {
            let mut advanced = 0;
            for _ in 0..200 {
                advanced += jobs::run_due(&state.db, now_millis()).await.unwrap();
                if state.db.call(|store| store.next_due(i64::MAX)).await.unwrap().is_none() {
                    break;
                }
            }
            advanced
        })
    };
    let (a, b) = (race(first.state.clone()), race(second.state.clone()));
    let (a, b) = (a.await.unwrap(), b.await.unwrap());
    assert!(a + b > 0);
    for group in &groups {
        assert_eq!(first.group_json(group).await["status"], "failed-over", "group {group}");
        let (_, listed) = second.get(&admin(&format!("/server-groups/{group}/jobs"))).await;
        let jobs = listed["jobs"].as_array().unwrap();
        assert_eq!(jobs.len(), 1, "{listed}");
        // A step run twice would meet a group already past it, and the state machine would fail the job.
        assert_eq!(jobs[0]["status"], "SUCCESS", "{listed}");
    }
}

/// The tables and columns a database has, by name.
fn columns_of(pairs: impl IntoIterator<Item = (String, String)>) -> std::collections::BTreeSet<(String, String)> {
    pairs.into_iter().collect()
}

#[tokio::test]
#[ignore = "needs PostgreSQL (SDRS_TEST_POSTGRES); scripts/test runs it"]
async fn both_backends_migrate_to_the_same_tables() {
    let (postgres, _) = two_replicas().await;
    let sqlite = TestApp::sqlite().await;
    let sqlite_columns = sqlite
        .state
        .db
        .sqlite()
        .unwrap()
        .call_sqlite(|conn| {
            let mut statement = conn.prepare(
                "SELECT m.name, p.name FROM sqlite_master m, pragma_table_info(m.name) p WHERE m.type = 'table'",
            )?;
            let rows = statement.query_map([], |row| Ok((row.get(0)?, row.get(1)?)))?;
            Ok(rows.collect::<Result<Vec<(String, String)>, _>>()?)
        })
        .await
        .unwrap();
    let Database::Postgres(url) = &postgres.state.config.database else { panic!("{NEEDS}") };
    let url = url.clone();
    let postgres_columns = tokio::spawn(async move {
        let (client, connection) = tokio_postgres::connect(&url, tokio_postgres::NoTls).await.unwrap();
        tokio::spawn(connection);
        let rows = client
            .query("SELECT table_name::text, column_name::text FROM information_schema.columns WHERE table_schema = 'public'", &[])
            .await
            .unwrap();
        rows.iter().map(|row| (row.get(0), row.get(1))).collect::<Vec<(String, String)>>()
    })
    .await
    .unwrap();
    // What only one backend needs: PostgreSQL's schema and data versions and the jobs' insertion order (SQLite's
    // rowid).
    let sqlite_columns = columns_of(sqlite_columns.into_iter());
    let postgres_columns = columns_of(postgres_columns.into_iter().filter(|(table, column)| {
        let only_postgres = ["schema_version", "data_version"].contains(&table.as_str());
        !(only_postgres || table == "jobs" && column == "seq")
    }));
    assert_eq!(sqlite_columns, postgres_columns);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs PostgreSQL (SDRS_TEST_POSTGRES); scripts/test runs it"]
async fn a_signed_change_repeated_to_the_other_replica_is_not_run_again() {
    let (first, second) = two_replicas().await;
    let path = format!("/v1/{}/server-groups", demo::PROJECT);
    let body = json!({"server_group": {"name": "replayed", "source_availability_zone": demo::SOURCE_AZ,
        "target_availability_zone": demo::TARGET_AZ, "domain_id": demo::DOMAIN_ID, "source_vpc_id": demo::VPC_ID}})
    .to_string();
    let headers = signed("POST", &path, None, &body, &sdrs_auth::format_sdk_date(now_millis() / 1000), demo::PROJECT);
    let (status, answer) = send(&first, axum::http::Method::POST, &path, &body, &headers).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    let (status, again) = send(&second, axum::http::Method::POST, &path, &body, &headers).await;
    assert_eq!((status, &again), (StatusCode::OK, &answer), "the first answer, from the other replica");
    second.run_jobs().await;
    let (_, list) = first.get(&v1("/server-groups?name=replayed")).await;
    assert_eq!(list["count"], 1, "one group, not two");
}

/// Both replicas in gateway mode (the upstream is never reached: logins and plans are the gateway's own).
fn as_gateway(app: &TestApp) -> AppState {
    let mut state = app.state.clone();
    state.gateway = Some(demo_gateway("http://127.0.0.1:9", std::time::Duration::from_secs(1)));
    state
}

async fn gateway_call(
    state: &AppState,
    path: &str,
    body: Option<Value>,
    cookie: Option<&str>,
) -> (StatusCode, Option<String>) {
    use tower::ServiceExt;
    let mut builder = axum::http::Request::builder()
        .method(if body.is_some() { "POST" } else { "GET" })
        .uri(path)
        .header("content-type", "application/json");
    if let Some(cookie) = cookie {
        builder = builder.header("cookie", cookie);
    }
    let request = builder.body(body.map(|b| axum::body::Body::from(b.to_string())).unwrap_or_default()).unwrap();
    let response = sdrs_server::router(state.clone()).oneshot(request).await.unwrap();
    let cookie =
        response.headers().get("set-cookie").map(|v| v.to_str().unwrap().split(';').next().unwrap().to_owned());
    (response.status(), cookie)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs PostgreSQL (SDRS_TEST_POSTGRES); scripts/test runs it"]
async fn console_sessions_and_failed_logins_are_shared_by_the_replicas() {
    let (first, second) = two_replicas().await;
    let (a, b) = (as_gateway(&first), as_gateway(&second));
    let login = json!({"secret": SECRET});
    let (status, cookie) = gateway_call(&a, "/gateway/login", Some(login.clone()), None).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let cookie = cookie.expect("a session cookie");
    let plans = format!("/orchestration/v1/{}/recovery-plans", demo::PROJECT);
    assert_eq!(gateway_call(&b, &plans, None, None).await.0, StatusCode::UNAUTHORIZED);
    assert_eq!(gateway_call(&b, &plans, None, Some(&cookie)).await.0, StatusCode::OK, "the other replica knows it");
    // Logged out on the second replica: the first refuses the cookie too.
    assert_eq!(gateway_call(&b, "/gateway/logout", Some(json!({})), Some(&cookie)).await.0, StatusCode::NO_CONTENT);
    assert_eq!(gateway_call(&a, &plans, None, Some(&cookie)).await.0, StatusCode::UNAUTHORIZED);
    // Five wrong secrets on the first replica lock the address out on the second as well.
    for _ in 0..5 {
        let (status, _) = gateway_call(&a, "/gateway/login", Some(json!({"secret": "guess"})), None).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
    }
    assert_eq!(gateway_call(&b, "/gateway/login", Some(login), None).await.0, StatusCode::TOO_MANY_REQUESTS);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs PostgreSQL (SDRS_TEST_POSTGRES); scripts/test runs it"]
async fn one_replica_drives_plan_runs_and_a_replica_that_lost_the_lease_writes_nothing() {
    let (first, second) = two_replicas().await;
    let orchestrator = Orchestrator::for_state(&first.state);
    // Nothing to drive yet, but the first pass takes the lease.
    executor::run_due(&first.state, &orchestrator).await.unwrap();
    let holder = |state: &AppState| state.replica.to_string();
    let now = now_millis();
    let (name_a, name_b) = (holder(&first.state), holder(&second.state));
    let taken = second.state.db.write(move |tx| tx.take_lease("plan-executor", &name_b, now, now + 60_000)).await;
    assert_eq!(taken.unwrap(), None, "the first replica holds the lease");
    // The first replica's lease runs out (as if it had stalled for a minute): the second takes it, with a new token.
    let later = now + 61_000;
    let name_b = holder(&second.state);
    let taken = second.state.db.write(move |tx| tx.take_lease("plan-executor", &name_b, later, later + 60_000)).await;
    let token = taken.unwrap().expect("an expired lease changes hands");
    assert_eq!(token, 2, "the fencing token grows");
    // The executor's fence on each write: the first replica can no longer take (renew) the lease its token named.
    let fenced = first.state.db.write(move |tx| tx.take_lease("plan-executor", &name_a, later, later + 60_000)).await;
    assert_eq!(fenced.unwrap(), None, "the first replica's token no longer holds");
    assert_eq!(executor::run_due(&first.state, &orchestrator).await.unwrap(), 0, "and its executor does nothing");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs PostgreSQL (SDRS_TEST_POSTGRES); scripts/test runs it"]
async fn a_plan_run_one_replica_started_is_finished_by_the_other_once_the_lease_passes() {
    let (first, second) = two_replicas().await;
    let (db, _, _) = first.protected_group("db").await;
    let (web, _, _) = first.protected_group("web").await;
    let orch = |path: &str| format!("/orchestration/v1/{}{path}", demo::PROJECT);
    let stage = |id: &str| json!({"type": "groups", "groups": [{"server_group_id": id, "critical": true}]});
    let (status, plan) = first
        .post(
            &orch("/recovery-plans"),
            json!({"recovery_plan": {"name": "moving", "stages": [stage(&db), stage(&web)]}}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{plan}");
    let plan_id = plan["recovery_plan"]["id"].as_str().unwrap();
    let (status, started) = first
        .post(
            &orch(&format!("/recovery-plans/{plan_id}/runs")),
            json!({"mode": "failover", "confirm": "moving", "plan_version": 1}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{started}");
    let run = started["run"]["id"].as_str().unwrap().to_owned();
    // The first replica's executor submits stage 1, then the replica "dies": its lease lapses (a minute on).
    executor::run_due(&first.state, &Orchestrator::for_state(&first.state)).await.unwrap();
    let (_, current) = second.get(&orch(&format!("/plan-runs/{run}"))).await;
    assert_eq!(current["run"]["stages"][0]["groups"][0]["status"], "running", "{current}");
    let later = now_millis() + 61_000;
    let name = second.state.replica.to_string();
    let taken = second.state.db.write(move |tx| tx.take_lease("plan-executor", &name, later, later + 60_000)).await;
    assert_eq!(taken.unwrap(), Some(2));
    // The second replica's worker and executor carry the run to its end; the first one's does nothing.
    let orchestrator = Orchestrator::for_state(&second.state);
    let mut status = String::new();
    for _ in 0..100 {
        second.run_jobs().await;
        executor::run_due(&second.state, &orchestrator).await.unwrap();
        let (_, current) = second.get(&orch(&format!("/plan-runs/{run}"))).await;
        status = current["run"]["status"].as_str().unwrap().to_owned();
        if status != "running" {
            break;
        }
    }
    assert_eq!(status, "succeeded");
    assert_eq!(executor::run_due(&first.state, &Orchestrator::for_state(&first.state)).await.unwrap(), 0);
    for group in [&db, &web] {
        assert_eq!(first.group_json(group).await["status"], "failed-over");
        let (_, listed) = first.get(&admin(&format!("/server-groups/{group}/jobs"))).await;
        let failovers =
            listed["jobs"].as_array().unwrap().iter().filter(|j| j["job_type"] == "failoverProtectionGroupNoCG");
        assert_eq!(failovers.count(), 1, "each group failed over by one job: {listed}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs PostgreSQL (SDRS_TEST_POSTGRES); scripts/test runs it"]
async fn a_claim_keeps_the_other_worker_off_its_jobs_until_it_lapses() {
    let (first, second) = two_replicas().await;
    let groups = demo::seed_bulk(&first.state, 4, true).await.unwrap();
    for group in &groups {
        assert_eq!(failover(&first.state, group).await.0, StatusCode::OK);
    }
    let now = now_millis();
    // The first replica's worker claims two of the four due jobs, then stalls.
    let claimed = first.state.db.claim_due_jobs(now, now + 5_000, 2).await.unwrap();
    assert_eq!(claimed.len(), 2);
    // The second replica's worker takes the other two and leaves the claimed ones alone.
    assert_eq!(jobs::run_due(&second.state.db, now).await.unwrap(), 2);
    let mut done = 0;
    for group in &groups {
        done += usize::from(first.group_json(group).await["status"] == "failed-over");
    }
    assert_eq!(done, 2, "the claimed jobs waited");
    // Past the claims' five seconds, the second worker finishes them; the stalled claims no longer hold.
    let later = now + 6_000;
    assert_eq!(jobs::run_due(&second.state.db, later).await.unwrap(), 2);
    for group in &groups {
        assert_eq!(second.group_json(group).await["status"], "failed-over");
    }
    let worker = first.state.db.worker().to_owned();
    let (job, token) = claimed[0].clone();
    let taken = first.state.db.write(move |tx| tx.take_job_claims(&worker, &[(job, token)], later)).await.unwrap();
    assert!(taken.is_empty(), "the first worker's late advance would be refused");
}

/// A job's advance ends its claim: the next step, due before the claim would have lapsed, may run on the other
/// replica (the claims are read, not ended, when a batch takes them; the advance ends each).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs PostgreSQL (SDRS_TEST_POSTGRES); scripts/test runs it"]
async fn an_advance_ends_its_claim_so_the_next_step_may_run_on_the_other_replica() {
    let (first, second) = two_replicas().await;
    let groups = demo::seed_bulk(&first.state, 1, true).await.unwrap();
    // Steps of three seconds: the first replica's worker starts the job and claims it for five.
    let slow = first.with_config(|config| config.time_scale = 1.0);
    assert_eq!(failover(&slow.state, &groups[0]).await.0, StatusCode::OK);
    let now = now_millis();
    assert_eq!(jobs::run_due(&first.state.db, now).await.unwrap(), 1, "started");
    assert_eq!(first.group_json(&groups[0]).await["status"], "failing-over");
    // Its first step is due three seconds on, while the claim would still stand had the advance not ended it.
    let step_due = now + jobs::STEP_MILLIS as i64;
    assert_eq!(jobs::run_due(&second.state.db, step_due).await.unwrap(), 1, "the other replica runs the next step");
}

/// Two replicas started together with `--demo` on one empty database seed it once: one seeds, the other finds the
/// data (without the seed's lease both seeded, and the second failed on the servers the first had made).
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
#[ignore = "needs PostgreSQL (SDRS_TEST_POSTGRES); scripts/test runs it"]
async fn replicas_started_together_on_an_empty_database_seed_the_demo_once() {
    let (first, second) = two_replicas().await;
    let (a, b) = tokio::join!(demo::seed(&first.state), demo::seed(&second.state));
    let seeded = [a.unwrap(), b.unwrap()];
    assert_eq!(seeded.iter().filter(|seeded| **seeded).count(), 1, "one replica seeds: {seeded:?}");
    // The seeding replica finishes whatever the other saw of it.
    let (status, listed) = second.get(&v1("/server-groups?limit=100")).await;
    assert_eq!(status, StatusCode::OK, "{listed}");
    let mut names: Vec<&str> =
        listed["server_groups"].as_array().unwrap().iter().map(|g| g["name"].as_str().unwrap()).collect();
    let count = names.len();
    names.sort_unstable();
    names.dedup();
    assert_eq!(names.len(), count, "no group seeded twice: {listed}");
    assert!(names.contains(&"web-tier") && names.contains(&"db-tier"), "{names:?}");
}
