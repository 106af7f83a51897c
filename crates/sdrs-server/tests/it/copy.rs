//! `sdrs-server copy-database`: an existing SQLite database moved to the suite's backend (PostgreSQL on the second
//! pass) keeps every group, job, task-centre entry, fault, domain and console session, in order.

use axum::http::StatusCode;
use serde_json::json;

use crate::util::{admin, v1, Owned, TestApp};
use sdrs_server::{demo, AppState, Database};

/// What a client sees of a database: the group list, each group's jobs, the task centre, the faults.
async fn seen(app: &TestApp) -> Vec<serde_json::Value> {
    let (_, groups) = app.get(&v1("/server-groups?limit=1000")).await;
    let mut seen = vec![groups.clone()];
    for group in groups["server_groups"].as_array().unwrap() {
        let id = group["id"].as_str().unwrap();
        seen.push(app.get(&admin(&format!("/server-groups/{id}/jobs"))).await.1);
    }
    seen.push(app.get(&v1("/task-center/failure-jobs")).await.1);
    seen.push(app.get(&admin("/faults")).await.1);
    seen.push(app.get(&v1("/protected-instances?limit=1000")).await.1);
    seen
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn copy_database_moves_a_sqlite_database_whole() {
    let source = TestApp::sqlite().await;
    demo::seed(&source.state).await.unwrap();
    source.run_jobs().await;
    let (group, _, _) = source.protected_group("moved").await;
    // A failed job (task centre), an armed fault, and a job still running when the server stopped.
    let fault = json!({"step": "failoverReplicationPairs", "server_group_id": group, "fail_reason": "array offline"});
    assert_eq!(source.post(&admin("/faults"), fault).await.0, StatusCode::CREATED);
    let failed = source.action(&group, json!({"failover-server-group": {}})).await;
    assert_eq!(failed["status"], "FAIL", "{failed}");
    let armed = json!({"step": "reverseReplicationPairs", "times": 2});
    assert_eq!(source.post(&admin("/faults"), armed).await.0, StatusCode::CREATED);
    let (status, running) =
        source.post(&v1(&format!("/server-groups/{group}/action")), json!({"failover-server-group": {}})).await;
    assert_eq!(status, StatusCode::OK, "{running}");
    let before = seen(&source).await;
    let config = (*source.state.config).clone();
    let Database::Sqlite(source_path) = &config.database else { panic!("a SQLite source") };
    let source_url = source_path.display().to_string();
    // The copy needs the file closed (one process per SQLite file); the file itself stays until `_source` drops.
    let (state, _source) = source.into_parts();
    drop(state);

    let target = Owned::fresh("copy-target", false);
    let target_url = match target.database() {
        Database::Sqlite(path) => path.display().to_string(),
        Database::Postgres(url) => url,
    };
    let copy = |to: &str| {
        std::process::Command::new(env!("CARGO_BIN_EXE_sdrs-server"))
            .args(["copy-database", "--from", &source_url, "--to", to])
            .output()
            .unwrap()
    };
    let output = copy(&target_url);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{stdout}{}", String::from_utf8_lossy(&output.stderr));
    assert!(stdout.contains("1 faults") && stdout.contains("1 domains"), "{stdout}");
    // Into a database that is no longer empty: refused, and nothing changes.
    let again = copy(&target_url);
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("not empty"), "{}", String::from_utf8_lossy(&again.stderr));

    let mut moved = config.clone();
    moved.database = target.database();
    let copied = TestApp::adopt(AppState::open(moved).unwrap(), target);
    assert_eq!(seen(&copied).await, before, "the copy answers every read as the original did");
    // The job that was running goes on in the new database.
    copied.run_jobs().await;
    let job_id = running["job_id"].as_str().unwrap();
    assert_eq!(copied.get(&v1(&format!("/jobs/{job_id}"))).await.1["status"], "SUCCESS");
}
