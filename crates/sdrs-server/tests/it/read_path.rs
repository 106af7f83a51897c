//! The hot read path (`Db::hot_read`): stored wire JSON answered as is, from memory or the thread's own connection,
//! and every answered write visible to it.

use axum::http::Method;
use serde_json::json;

use crate::util::{v1, TestApp};
use sdrs_core::wire::{Job, ServerGroup, ServerGroupList, ServerGroupResponse};
use sdrs_server::{jobs, store};

/// **A read after an answered write sees it**: each rename, once answered, is what the next GET returns, on
/// whichever worker thread (and so whichever reading connection) serves it.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_read_right_after_an_answered_write_sees_it() {
    let app = TestApp::new().await;
    let group = app.group("read-your-writes").await;
    for n in 0..40 {
        let name = format!("renamed-{n}");
        let (status, _) = app
            .call(Method::PUT, &v1(&format!("/server-groups/{group}")), Some(json!({"server_group": {"name": name}})))
            .await;
        assert!(status.is_success());
        assert_eq!(app.group_json(&group).await["name"], name.as_str());
    }
}

/// **The hot-read cache never serves a replaced document**: readers that keep missing and filling the cache while
/// the group is renamed 150 times (so some of them read just before a commit and fill just after it) never make a
/// read that follows an answered rename return an older name; nor does a job read after a worker step.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn reads_racing_writes_never_see_a_replaced_document() {
    let app = TestApp::new().await;
    let group = app.group("racing").await;
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let readers: Vec<_> = (0..3)
        .map(|_| {
            let (view, stop, path) = (app.with_config(|_| {}), stop.clone(), v1(&format!("/server-groups/{group}")));
            tokio::spawn(async move {
                let mut reads = 0u32;
                while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                    assert!(view.get(&path).await.0.is_success());
                    reads += 1;
                    // A cache hit never waits, so without this the task would never give the runtime a chance to
                    // cancel it should the test fail.
                    tokio::task::yield_now().await;
                }
                reads
            })
        })
        .collect();
    for n in 0..150 {
        let name = format!("race-{n}");
        let (status, _) = app
            .call(Method::PUT, &v1(&format!("/server-groups/{group}")), Some(json!({"server_group": {"name": name}})))
            .await;
        assert!(status.is_success());
        assert_eq!(app.group_json(&group).await["name"], name.as_str(), "after rename {n}");
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    for reader in readers {
        assert!(reader.await.unwrap() > 0, "every reader read");
    }

    let (protected, _, _) = app.protected_group("racing-job").await;
    let slow = app.restart(|config| config.time_scale = 1.0);
    let (_, submitted) =
        slow.post(&v1(&format!("/server-groups/{protected}/action")), json!({"failover-server-group": {}})).await;
    let job_path = v1(&format!("/jobs/{}", submitted["job_id"].as_str().expect("a job id")));
    assert_eq!(slow.get(&job_path).await.1["status"], "INIT", "read (and cached) before the first step");
    jobs::run_due(&slow.state.db, sdrs_server::now_millis()).await.unwrap();
    assert_eq!(slow.get(&job_path).await.1["status"], "RUNNING", "the worker's step invalidated the cached job");
}

/// One process per database file: a second state on an open file is refused with the reason, so two processes can
/// never serve each other's stale cache or race two writers.
// SQLite only: one process per database file (replicas share a PostgreSQL database).
#[tokio::test]
async fn a_database_in_use_is_refused() {
    let app = TestApp::sqlite().await;
    let second = sdrs_server::AppState::open((*app.state.config).clone()).err().expect("refused while open");
    assert!(format!("{second:#}").contains("in use by another sdrs-server"), "{second:#}");
    let _reopened = app.restart(|_| {});
}

/// The stored document answered without decoding is exactly what the typed path would have written.
#[tokio::test]
async fn hot_reads_answer_what_the_typed_path_would() {
    let app = TestApp::new().await;
    let (group, _, _) = app.protected_group("stored").await;
    let job = app.action(&group, json!({"failover-server-group": {}})).await;
    let job_id = job["job_id"].as_str().unwrap().to_owned();

    let (_, answered) = app.get(&v1(&format!("/server-groups/{group}"))).await;
    let (project, id) = (crate::util::P.to_owned(), group.clone());
    let typed = app.state.db.call(move |conn| store::get::<ServerGroup>(conn, &project, &id)).await.unwrap().unwrap();
    assert_eq!(answered, serde_json::to_value(ServerGroupResponse { server_group: typed }).unwrap());

    let (_, answered) = app.get(&v1("/server-groups?limit=5")).await;
    let (project, filter) = (crate::util::P.to_owned(), store::ListFilter { limit: 5, ..store::ListFilter::default() });
    let (server_groups, count) =
        app.state.db.call(move |conn| store::list::<ServerGroup>(conn, &project, &filter)).await.unwrap();
    assert_eq!(answered, serde_json::to_value(ServerGroupList { server_groups, count }).unwrap());

    let (_, answered) = app.get(&v1(&format!("/jobs/{job_id}"))).await;
    let project = crate::util::P.to_owned();
    let typed: Job = app.state.db.call(move |conn| jobs::get(conn, &project, &job_id)).await.unwrap().unwrap();
    assert_eq!(answered, serde_json::to_value(typed).unwrap());
}

/// **A page's position does not depend on how it is found**: unfiltered pages (found by position in the list order)
/// equal the `OFFSET` pages of the typed path, at every offset, after inserts and deletes too, and the count follows.
/// On PostgreSQL the changes are made by another replica, whose writes this one's list orders never saw.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unfiltered_pages_follow_inserts_and_deletes() {
    let app = TestApp::new().await;
    let other = crate::util::test_postgres().map(|_| app.replica());
    let changer = other.as_ref().unwrap_or(&app);
    // Past 5,000 so that deep pages take the list order (shallow ones after a change take OFFSET).
    let groups = sdrs_server::demo::seed_bulk(&app.state, 5_020, false).await.unwrap();
    let check = |label: &'static str| {
        let app = &app;
        async move {
            let pages =
                [(5u32, 0u64), (5, 5), (7, 14), (1000, 0), (0, 0), (5, 5_000), (7, 5_010), (30, 5_015), (5, 6_000)];
            for (limit, offset) in pages {
                let (_, answered) = app.get(&v1(&format!("/server-groups?limit={limit}&offset={offset}"))).await;
                let project = crate::util::P.to_owned();
                let filter = store::ListFilter { limit, offset, ..store::ListFilter::default() };
                let (server_groups, count) =
                    app.state.db.call(move |conn| store::list::<ServerGroup>(conn, &project, &filter)).await.unwrap();
                let expected = serde_json::to_value(ServerGroupList { server_groups, count }).unwrap();
                assert_eq!(answered, expected, "{label}: limit {limit} offset {offset}");
            }
        }
    };
    check("seeded").await;
    let (status, _) = changer.call(Method::DELETE, &v1(&format!("/server-groups/{}", groups[3])), None).await;
    assert!(status.is_success());
    changer.run_jobs().await;
    check("after a delete").await;
    changer.group("added-after").await;
    check("after an insert").await;
    let (status, _) = changer.call(Method::DELETE, &v1(&format!("/server-groups/{}", groups[5_010])), None).await;
    assert!(status.is_success());
    changer.run_jobs().await;
    changer.group("added-after-2").await;
    check("after a delete and an insert").await;
    let (_, page) = app.get(&v1("/server-groups?limit=1000")).await;
    assert_eq!(page["count"], 5_020, "two deleted, two added");
}
