//! The action endpoint: every action through its job, the refusals, fault injection and retry.

use axum::http::{Method, StatusCode};
use serde_json::{json, Value};

use crate::util::{admin, v1, TestApp};

async fn power(app: &TestApp, server: &str) -> String {
    let (_, body) = app.get(&admin(&format!("/servers/{server}"))).await;
    body["server"]["power_state"].as_str().unwrap().to_owned()
}

async fn instance(app: &TestApp, id: &str) -> Value {
    app.get(&v1(&format!("/protected-instances/{id}"))).await.1["protected_instance"].clone()
}

#[tokio::test]
async fn failover_reprotect_planned_failover_disable() {
    let app = TestApp::new().await;
    let (group, instance_id, pair) = app.protected_group("life").await;
    let pi = instance(&app, &instance_id).await;
    let (a, b) = (pi["source_server"].as_str().unwrap().to_owned(), pi["target_server"].as_str().unwrap().to_owned());
    assert_eq!(pi["status"], "protected");
    assert_eq!(power(&app, &a).await, "running");
    assert_eq!(power(&app, &b).await, "stopped", "the DR server SDRS created starts stopped");

    let job = app.action(&group, json!({"failover-server-group": {}})).await;
    assert_eq!(job["status"], "SUCCESS", "{job}");
    assert_eq!(job["job_type"], "failoverProtectionGroupNoCG");
    let steps: Vec<(&str, &str)> = job["entities"]["sub_jobs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| (s["job_type"].as_str().unwrap(), s["status"].as_str().unwrap()))
        .collect();
    assert_eq!(
        steps,
        [
            ("stopProductionServers", "SUCCESS"),
            ("failoverReplicationPairs", "SUCCESS"),
            ("moveNics", "SUCCESS"),
            ("startDrServers", "SUCCESS")
        ]
    );
    let g = app.group_json(&group).await;
    assert_eq!((g["status"].as_str(), g["priority_station"].as_str()), (Some("failed-over"), Some("target")));
    assert_eq!(g["source_availability_zone"], "eu-de-01", "AZs never change");
    let pi = instance(&app, &instance_id).await;
    assert_eq!((pi["status"].as_str(), pi["priority_station"].as_str()), (Some("failed-over"), Some("target")));
    let (_, rp) = app.get(&v1(&format!("/replications/{pair}"))).await;
    assert_eq!(rp["replication"]["status"], "failed-over");
    assert_eq!(rp["replication"]["replication_status"], "active-stopped");
    assert_eq!((power(&app, &a).await, power(&app, &b).await), ("stopped".into(), "running".into()));

    // Re-protect: `start-server-group` from failed-over; DR servers (now A) are stopped.
    let job = app.action(&group, json!({"start-server-group": {}})).await;
    assert_eq!(job["job_type"], "reprotectProtectionGroupNoCG");
    assert_eq!(job["status"], "SUCCESS");
    let g = app.group_json(&group).await;
    assert_eq!((g["status"].as_str(), g["priority_station"].as_str()), (Some("protected"), Some("target")));

    // Planned failover back needs the current production server (B) stopped.
    let back = json!({"reverse-server-group": {"priority_station": "source"}});
    let refused = app.call(Method::POST, &v1(&format!("/server-groups/{group}/action")), Some(back.clone())).await;
    TestApp::expect_error(&refused, 400, "SDRS.1319");
    let (status, _) =
        app.call(Method::PATCH, &admin(&format!("/servers/{b}")), Some(json!({"power_state": "stopped"}))).await;
    assert_eq!(status, StatusCode::OK);
    let job = app.action(&group, back).await;
    assert_eq!(
        (job["job_type"].as_str(), job["status"].as_str()),
        (Some("reverseProtectionGroupNoCG"), Some("SUCCESS"))
    );
    let g = app.group_json(&group).await;
    assert_eq!((g["status"].as_str(), g["priority_station"].as_str()), (Some("protected"), Some("source")));
    assert_eq!(power(&app, &a).await, "running", "the new production servers are started");

    let job = app.action(&group, json!({"stop-server-group": {}})).await;
    assert_eq!((job["job_type"].as_str(), job["status"].as_str()), (Some("stopProtectionGroupNoCG"), Some("SUCCESS")));
    assert_eq!(app.group_json(&group).await["status"], "available");
    assert_eq!(instance(&app, &instance_id).await["status"], "available");
}

#[tokio::test]
async fn state_machine_refusals() {
    let app = TestApp::new().await;
    let group = app.group("plain").await;
    let action = |body: Value| {
        let app = &app;
        let path = v1(&format!("/server-groups/{group}/action"));
        async move { app.call(Method::POST, &path, Some(body)).await }
    };
    TestApp::expect_error(&action(json!({"failover-server-group": {}})).await, 400, "SDRS.1002");
    TestApp::expect_error(&action(json!({"stop-server-group": {}})).await, 400, "SDRS.1002");
    // Enable needs a replication pair.
    let refused = action(json!({"start-server-group": {}})).await;
    TestApp::expect_error(&refused, 400, "SDRS.1002");
    assert!(refused.1["error"]["message"].as_str().unwrap().contains("replication pair"), "{}", refused.1);
    // Malformed bodies, each with its code.
    TestApp::expect_error(&action(json!({})).await, 400, "SDRS.0206");
    TestApp::expect_error(&action(json!({"failover": {}})).await, 400, "SDRS.0206");
    TestApp::expect_error(&action(json!({"failover-server-group": null})).await, 400, "SDRS.0201");
    TestApp::expect_error(&action(json!({"reverse-server-group": {"priority_station": "dr"}})).await, 400, "SDRS.0216");
    TestApp::expect_error(&action(json!([1])).await, 400, "SDRS.0201");
    let path = v1(&format!("/server-groups/{group}/action"));
    TestApp::expect_error(
        &app.raw(Method::POST, &path, "{not json", &[("x-auth-token", sdrs_server::demo::TOKEN)]).await,
        400,
        "SDRS.0201",
    );
    TestApp::expect_error(
        &app.post(&v1("/server-groups/missing/action"), json!({"failover-server-group": {}})).await,
        400,
        "SDRS.1013",
    );
}

#[tokio::test]
async fn nothing_is_accepted_while_a_job_runs() {
    let app = TestApp::new().await;
    let (group, _, _) = app.protected_group("busy").await;
    let path = v1(&format!("/server-groups/{group}/action"));
    let (status, _) = app.post(&path, json!({"failover-server-group": {}})).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(app.group_json(&group).await["status"], "failing-over");
    TestApp::expect_error(&app.post(&path, json!({"failover-server-group": {}})).await, 400, "SDRS.1002");
    TestApp::expect_error(&app.post(&path, json!({"stop-server-group": {}})).await, 400, "SDRS.1002");
    TestApp::expect_error(
        &app.call(Method::DELETE, &v1(&format!("/server-groups/{group}")), None).await,
        400,
        "SDRS.1002",
    );
    app.run_jobs().await;
    assert_eq!(app.group_json(&group).await["status"], "failed-over");
}

#[tokio::test]
async fn injected_failure_then_retry() {
    let app = TestApp::new().await;
    let (group, instance_id, _) = app.protected_group("flaky").await;
    let (status, _) = app
        .post(
            &admin("/faults"),
            json!({"server_group_id": group, "step": "failoverReplicationPairs", "fail_reason": "array offline"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let job = app.action(&group, json!({"failover-server-group": {}})).await;
    assert_eq!(job["status"], "FAIL");
    assert_eq!(job["error_code"], "SDRS.1030");
    assert_eq!(job["fail_reason"], "array offline");
    let subs = job["entities"]["sub_jobs"].as_array().unwrap();
    assert_eq!(subs[1]["status"], "FAIL");
    assert_eq!(subs[2]["status"], "INIT", "later steps never ran");
    assert_eq!(app.group_json(&group).await["status"], "error-failing-over");
    assert_eq!(instance(&app, &instance_id).await["status"], "error-failing-over");
    let (_, failures) = app.get(&v1("/task-center/failure-jobs")).await;
    assert_eq!(failures["count"], 1);
    assert_eq!(failures["failure_jobs"][0]["failure_status"], "failoverFail");
    assert_eq!(failures["failure_jobs"][0]["job_id"], job["job_id"]);

    let retry = app.action(&group, json!({"failover-server-group": {}})).await;
    assert_eq!(retry["status"], "SUCCESS", "the fault fired once; the retry from error-failing-over succeeds");
    assert_eq!(app.group_json(&group).await["status"], "failed-over");
    let (_, faults) = app.get(&admin("/faults")).await;
    assert_eq!(faults["faults"].as_array().unwrap().len(), 0);
    TestApp::expect_error(&app.post(&admin("/faults"), json!({"step": "noSuchStep"})).await, 400, "SDRS.0201");
    TestApp::expect_error(
        &app.post(&admin("/faults"), json!({"step": "moveNics", "error_code": "SDRS.9999"})).await,
        400,
        "SDRS.0201",
    );
}

#[tokio::test]
async fn injected_code_is_reported() {
    let app = TestApp::new().await;
    let (group, _, _) = app.protected_group("coded").await;
    app.post(&admin("/faults"), json!({"step": "stopProtectionGroupRepNoCG", "error_code": "SDRS.0406"})).await;
    let job = app.action(&group, json!({"stop-server-group": {}})).await;
    assert_eq!((job["status"].as_str(), job["error_code"].as_str()), (Some("FAIL"), Some("SDRS.0406")));
    assert_eq!(app.group_json(&group).await["status"], "error-stopping");
    assert_eq!(app.action(&group, json!({"stop-server-group": {}})).await["status"], "SUCCESS");
}

#[tokio::test]
async fn native_deletion_and_broken_links_block() {
    let app = TestApp::new().await;
    let (group, instance_id, pair) = app.protected_group("broken").await;
    let path = v1(&format!("/server-groups/{group}/action"));
    let (status, _) =
        app.call(Method::PATCH, &admin(&format!("/replications/{pair}")), Some(json!({"fault_level": "5"}))).await;
    assert_eq!(status, StatusCode::OK);
    TestApp::expect_error(&app.post(&path, json!({"failover-server-group": {}})).await, 400, "SDRS.1824");
    TestApp::expect_error(
        &app.post(&path, json!({"reverse-server-group": {"priority_station": "source"}})).await,
        400,
        "SDRS.0216",
    );
    app.call(Method::PATCH, &admin(&format!("/replications/{pair}")), Some(json!({"fault_level": "0"}))).await;

    let server = instance(&app, &instance_id).await["source_server"].as_str().unwrap().to_owned();
    let (status, _) = app.call(Method::DELETE, &admin(&format!("/servers/{server}")), None).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(instance(&app, &instance_id).await["status"], "invalid");
    TestApp::expect_error(&app.post(&path, json!({"failover-server-group": {}})).await, 400, "SDRS.1326");
    TestApp::expect_error(&app.post(&path, json!({"stop-server-group": {}})).await, 400, "SDRS.1326");
    assert_eq!(app.group_json(&group).await["status"], "protected");
}

#[tokio::test]
async fn snapshot_agrees_with_the_server() {
    use sdrs_core::precheck::precheck;
    use sdrs_core::snapshot::{GroupSnapshot, Intent};
    let app = TestApp::new().await;
    let (group, _, pair) = app.protected_group("snap").await;
    app.call(Method::PATCH, &admin(&format!("/replications/{pair}")), Some(json!({"fault_level": "5"}))).await;
    let (status, body) = app.get(&admin(&format!("/server-groups/{group}/snapshot"))).await;
    assert_eq!(status, StatusCode::OK);
    let snapshot: GroupSnapshot = serde_json::from_value(body).unwrap();
    assert_eq!(snapshot.servers.len(), 2);
    let result = precheck(&snapshot.facts(), Intent::Failover);
    assert!(!result.allowed);
    let refused = app.post(&v1(&format!("/server-groups/{group}/action")), json!({"failover-server-group": {}})).await;
    assert_eq!(refused.1["error"]["code"], result.blocking().next().unwrap().code.as_str());
}

/// The worker's sleep: of the unfinished jobs due before a bound, when the first may run (its step, or another
/// worker's claim on it lapsing); nothing due before the bound, or only finished jobs, is `None`.
#[tokio::test]
async fn next_due_is_the_first_unfinished_job_due_before_the_bound_or_its_claim() {
    use sdrs_server::store::NewJob;
    let app = TestApp::new().await;
    let db = &app.state.db;
    let job = |id: &'static str, due: i64| NewJob {
        job_id: id,
        project_id: crate::util::P,
        server_group_id: None,
        now: due,
        body: "{}".to_owned(),
        plan: "{}".to_owned(),
    };
    db.write(move |tx| {
        tx.insert_job(&job("due-early", 1_000))?;
        tx.insert_job(&job("due-late", 5_000))
    })
    .await
    .unwrap();
    let next_due = |before: i64| db.call(move |store| store.next_due(before));
    assert_eq!(next_due(i64::MAX).await.unwrap(), Some(1_000));
    assert_eq!(next_due(2_000).await.unwrap(), Some(1_000));
    assert_eq!(next_due(1_000).await.unwrap(), None, "due at the bound is not before it");
    db.write(|tx| tx.update_job(crate::util::P, "due-early", "SUCCESS", 1_000, "{}", "{}")).await.unwrap();
    assert_eq!(next_due(2_000).await.unwrap(), None, "a finished job is never due");
    assert_eq!(next_due(i64::MAX).await.unwrap(), Some(5_000));
    // Claimed until 9,000 by another worker: it may run when the claim lapses.
    let claimed = db.write(|tx| tx.claim_due_jobs("another-worker", 6_000, 9_000, 10)).await.unwrap();
    assert_eq!(claimed.len(), 1);
    assert_eq!(next_due(6_000).await.unwrap(), Some(9_000));
}
