//! Recovery plans: CRUD, the plan check, and runs driven to their end by the executor, through every command.

use axum::http::{Method, StatusCode};
use serde_json::{json, Value};

use sdrs_core::plan::run::{GroupAt, PlanRun};
use sdrs_server::plans::{executor, Orchestrator};
use sdrs_server::store;

use crate::util::{admin, TestApp, P};

fn orch(path: &str) -> String {
    format!("/orchestration/v1/{P}{path}")
}

fn groups(ids: &[&str], critical: bool) -> Value {
    json!({"type": "groups", "groups": ids.iter().map(|id| json!({"server_group_id": id, "critical": critical})).collect::<Vec<_>>()})
}

async fn create_plan(app: &TestApp, name: &str, stages: Value) -> String {
    let (status, body) =
        app.post(&orch("/recovery-plans"), json!({"recovery_plan": {"name": name, "stages": stages}})).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    body["recovery_plan"]["id"].as_str().unwrap().to_owned()
}

/// Starts a run of the plan as it is now (its current `version`, unless the body names one).
async fn start(app: &TestApp, plan: &str, mut body: Value) -> (StatusCode, Value) {
    if body.get("plan_version").is_none() {
        body["plan_version"] = crate::util::plan_version(app, plan).await.into();
    }
    app.post(&orch(&format!("/recovery-plans/{plan}/runs")), body).await
}

async fn run_json(app: &TestApp, run: &str) -> Value {
    let (status, body) = app.get(&orch(&format!("/plan-runs/{run}"))).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body["run"].clone()
}

/// Runs jobs and the executor until the run stops moving by itself: it ended, or waits for a person.
async fn drive(app: &TestApp, run: &str) -> Value {
    let orchestrator = Orchestrator::for_state(&app.state);
    for _ in 0..100 {
        app.run_jobs().await;
        executor::run_due(&app.state, &orchestrator).await.unwrap();
        let current = run_json(app, run).await;
        let status = current["status"].as_str().unwrap();
        if status != "running" || current["stages"].as_array().unwrap().iter().all(|s| s["status"] == "done") {
            return current;
        }
    }
    panic!("the run did not settle: {}", run_json(app, run).await);
}

async fn command(app: &TestApp, run: &str, what: &str, body: Value) -> (StatusCode, Value) {
    app.post(&orch(&format!("/plan-runs/{run}/{what}")), body).await
}

#[tokio::test]
async fn plans_are_created_shown_listed_replaced_and_deleted() {
    let app = TestApp::new().await;
    let plan = create_plan(&app, "site-b", json!([groups(&["g1"], true), {"type": "wait", "seconds": 5}])).await;
    let (status, shown) = app.get(&orch(&format!("/recovery-plans/{plan}"))).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(shown["recovery_plan"]["stages"][1], json!({"type": "wait", "seconds": 5}));
    let (_, listed) = app.get(&orch("/recovery-plans")).await;
    assert_eq!(listed["count"], 1);
    let (status, replaced) = app
        .call(
            Method::PUT,
            &orch(&format!("/recovery-plans/{plan}")),
            Some(json!({"recovery_plan": {"name": "site-b-v2", "stages": [{"type": "gate", "text": "go?"}]}})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{replaced}");
    assert_eq!(replaced["recovery_plan"]["name"], "site-b-v2");
    // Bad plans are refused in the API's envelope, with this tool's own code.
    for bad in [
        json!({"recovery_plan": {"name": "has space", "stages": []}}),
        json!({"recovery_plan": {"name": "p", "stages": [{"type": "wait", "seconds": 0}]}}),
        json!({"recovery_plan": {"name": "p", "stages": [{"type": "teleport"}]}}),
        json!({"recovery_plan": {"name": "p", "stages": [], "extra": true}}),
    ] {
        let answer = app.post(&orch("/recovery-plans"), bad.clone()).await;
        assert_eq!(answer.0, StatusCode::BAD_REQUEST, "{bad}: {}", answer.1);
        let code = answer.1["error"]["code"].as_str().unwrap();
        assert!(code == "PLAN.0400" || code == "SDRS.0201", "{bad}: {code}");
    }
    TestApp::expect_error(&app.get(&orch("/recovery-plans/nope")).await, 404, "PLAN.0404");
    TestApp::expect_error(&app.get(&orch("/plan-runs/nope")).await, 404, "PLAN.0404");
    let (status, _) = app.call(Method::DELETE, &orch(&format!("/recovery-plans/{plan}")), None).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    TestApp::expect_error(&app.get(&orch(&format!("/recovery-plans/{plan}"))).await, 404, "PLAN.0404");
    // Another project's credential never sees this project's plans.
    let (status, _) = app.raw(Method::GET, &orch("/recovery-plans"), "", &[("x-auth-token", "other-token")]).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

/// Security review (issue 30, item 2): a project's plans, runs and events are bounded, every list pages within a
/// bounded answer, and a gate's confirmer is one short line.
#[tokio::test]
async fn plans_runs_and_their_answers_are_bounded() {
    use sdrs_core::plan::{MAX_PLANS, MAX_RUNS_KEPT};
    let app = TestApp::new().await;
    // A plan of 2,000 groups, each with a 64-character drill VPC, is more than 256 KiB as JSON.
    let vpc = "v".repeat(64);
    let many: Vec<Value> = (0..2000)
        .map(|n| json!({"server_group_id": format!("{n:064}"), "critical": true, "drill_vpc_id": vpc}))
        .collect();
    let (status, body) = app
        .post(
            &orch("/recovery-plans"),
            json!({"recovery_plan": {"name": "huge", "stages": [
            {"type": "groups", "groups": many}]}}),
        )
        .await;
    TestApp::expect_error(&(status, body.clone()), 400, "PLAN.0400");
    assert!(body["error"]["message"].as_str().unwrap().contains("bytes"), "{body}");

    let (group, _, _) = app.protected_group("bounded").await;
    let first = create_plan(&app, "plan-0", json!([groups(&[&group], true)])).await;
    let gated = create_plan(&app, "gated", json!([{"type": "gate", "text": "go?"}, groups(&[&group], true)])).await;
    for n in 2..MAX_PLANS {
        create_plan(&app, &format!("plan-{n}"), json!([groups(&[&group], true)])).await;
    }
    let one_more = app.post(&orch("/recovery-plans"), json!({"recovery_plan": {"name": "plan-x", "stages": []}})).await;
    TestApp::expect_error(&one_more, 400, "PLAN.0403");
    let (status, page) = app.get(&orch("/recovery-plans")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!((page["recovery_plans"].as_array().unwrap().len(), page["count"].as_u64()), (50, Some(MAX_PLANS)));
    TestApp::expect_error(&app.get(&orch("/recovery-plans?limit=51")).await, 400, "SDRS.0221");
    let (_, second) = app.get(&orch("/recovery-plans?offset=50&limit=50")).await;
    assert_eq!(second["recovery_plans"].as_array().unwrap().len(), 50);

    // Runs kept per plan: the oldest finished ones go; the list pages newest first.
    let mut started = Vec::new();
    for _ in 0..=MAX_RUNS_KEPT {
        let (status, run) = start(&app, &first, json!({"mode": "drill", "confirm": "plan-0"})).await;
        assert_eq!(status, StatusCode::CREATED, "{run}");
        let id = run["run"]["id"].as_str().unwrap().to_owned();
        let (status, cancelled) = command(&app, &id, "cancel", json!({})).await;
        assert_eq!(status, StatusCode::OK, "{cancelled}");
        started.push(id);
    }
    let (_, runs) = app.get(&orch(&format!("/recovery-plans/{first}/runs?limit=3"))).await;
    assert_eq!(runs["count"].as_u64(), Some(MAX_RUNS_KEPT as u64), "{runs}");
    let newest: Vec<&str> = runs["runs"].as_array().unwrap().iter().map(|r| r["id"].as_str().unwrap()).collect();
    let expected: Vec<&str> = started.iter().rev().take(3).map(String::as_str).collect();
    assert_eq!(newest, expected, "newest first");
    let (status, _) = app.get(&orch(&format!("/plan-runs/{}", started[0]))).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "the oldest finished run was forgotten");
    let (_, oldest_page) = app.get(&orch(&format!("/recovery-plans/{first}/runs?offset=99&limit=5"))).await;
    assert_eq!(oldest_page["runs"][0]["id"], started[1].as_str(), "{oldest_page}");

    // A gate's confirmer: one line of at most 255 characters, or refused (it is written into the run's events).
    let (_, run) = start(&app, &gated, json!({"mode": "drill", "confirm": "gated"})).await;
    let run = run["run"]["id"].as_str().unwrap().to_owned();
    let at_gate = drive(&app, &run).await;
    assert_eq!(at_gate["status"], "waiting-for-gate", "{at_gate}");
    let forged = "ops\n2026-12-04T00:00:00.000Z run ended: succeeded";
    for bad in [forged.to_owned(), "x".repeat(256)] {
        let refused = command(&app, &run, "confirm-gate", json!({"confirmed_by": bad})).await;
        TestApp::expect_error(&refused, 409, "PLAN.0409");
    }
    let (status, _) = command(&app, &run, "confirm-gate", json!({"confirmed_by": "x".repeat(255)})).await;
    assert_eq!(status, StatusCode::OK);
}

/// A plan replaced after the operator checked it is not run on their confirmation (issue 30, item 10).
#[tokio::test]
async fn a_confirmation_is_bound_to_the_plan_version_it_confirmed() {
    let app = TestApp::new().await;
    let (db, _, _) = app.protected_group("db").await;
    let (web, _, _) = app.protected_group("web").await;
    let plan = create_plan(&app, "versioned", json!([groups(&[&db], true)])).await;
    let checked = crate::util::plan_version(&app, &plan).await;
    assert_eq!(checked, 1);
    let (status, replaced) = app
        .call(
            Method::PUT,
            &orch(&format!("/recovery-plans/{plan}")),
            Some(json!({"recovery_plan": {"name": "versioned", "stages": [groups(&[&db, &web], true)]}})),
        )
        .await;
    assert_eq!((status, replaced["recovery_plan"]["version"].as_u64()), (StatusCode::OK, Some(2)));
    let refused =
        start(&app, &plan, json!({"mode": "failover", "confirm": "versioned", "plan_version": checked})).await;
    TestApp::expect_error(&refused, 409, "PLAN.0409");
    assert!(refused.1["error"]["message"].as_str().unwrap().contains("replaced"), "{}", refused.1);
    assert_eq!(app.group_json(&web).await["status"], "protected", "nothing was sent");
    let (status, _) = start(&app, &plan, json!({"mode": "failover", "confirm": "versioned", "plan_version": 2})).await;
    assert_eq!(status, StatusCode::CREATED);
}

#[tokio::test]
async fn the_check_returns_every_reason_and_a_start_is_refused_for_them() {
    let app = TestApp::new().await;
    let (db, _, _) = app.protected_group("db").await;
    let plan =
        create_plan(&app, "broken", json!([groups(&[&db], true), groups(&[&db, "gone"], true), groups(&[], true)]))
            .await;
    let (status, check) = app.post(&orch(&format!("/recovery-plans/{plan}/check")), json!({"mode": "failover"})).await;
    assert_eq!(status, StatusCode::OK, "{check}");
    assert_eq!(check["allowed"], false);
    let mut kinds: Vec<&str> =
        check["findings"].as_array().unwrap().iter().map(|f| f["kind"].as_str().unwrap()).collect();
    kinds.sort();
    assert_eq!(kinds, ["empty-stage", "group-in-two-stages", "group-not-found"]);
    assert_eq!(check["timeline"][0]["groups"][0]["statuses"], json!(["protected", "failing-over", "failed-over"]));
    // The run must be confirmed by the plan's name, and a blocked plan does not start.
    TestApp::expect_error(&start(&app, &plan, json!({"mode": "failover", "confirm": "brokn"})).await, 400, "PLAN.0401");
    let refused = start(&app, &plan, json!({"mode": "failover", "confirm": "broken"})).await;
    TestApp::expect_error(&refused, 400, "PLAN.0412");
    assert!(refused.1["error"]["message"].as_str().unwrap().contains("gone"), "{}", refused.1);
    TestApp::expect_error(
        &start(&app, &plan, json!({"mode": "planned-failover", "confirm": "broken"})).await,
        400,
        "PLAN.0400",
    );
    assert_eq!(app.group_json(&db).await["status"], "protected", "nothing was sent");
}

#[tokio::test]
async fn a_failover_run_goes_through_a_gate_to_success_with_evidence() {
    let app = TestApp::new().await;
    let (db, _, _) = app.protected_group("db").await;
    let (web1, _, _) = app.protected_group("web1").await;
    let (web2, _, _) = app.protected_group("web2").await;
    let stages =
        json!([groups(&[&db], true), {"type": "gate", "text": "Is the database <up>?"}, groups(&[&web1, &web2], true)]);
    let plan = create_plan(&app, "site-loss", stages).await;
    let (status, started) = start(&app, &plan, json!({"mode": "failover", "confirm": "site-loss"})).await;
    assert_eq!(status, StatusCode::CREATED, "{started}");
    let run = started["run"]["id"].as_str().unwrap().to_owned();
    // One run of a plan at a time.
    TestApp::expect_error(
        &start(&app, &plan, json!({"mode": "failover", "confirm": "site-loss"})).await,
        409,
        "PLAN.0409",
    );

    let at_gate = drive(&app, &run).await;
    assert_eq!(at_gate["status"], "waiting-for-gate", "{at_gate}");
    assert_eq!(app.group_json(&db).await["status"], "failed-over");
    assert_eq!(app.group_json(&web1).await["status"], "protected", "stage 3 waits behind the gate");
    TestApp::expect_error(&command(&app, &run, "resume", json!({})).await, 409, "PLAN.0409");
    let (status, confirmed) = command(&app, &run, "confirm-gate", json!({"confirmed_by": "Ana (INC-42)"})).await;
    assert_eq!(status, StatusCode::OK, "{confirmed}");
    assert_eq!(confirmed["run"]["stages"][1]["confirmed_with"], format!("a token of project {P}"));

    let done = drive(&app, &run).await;
    assert_eq!(done["status"], "succeeded", "{done}");
    for group in [&db, &web1, &web2] {
        assert_eq!(app.group_json(group).await["status"], "failed-over");
    }
    let db_entry = &done["stages"][0]["groups"][0];
    assert_eq!(db_entry["attempts"], 1);
    let job_id = db_entry["job_id"].as_str().unwrap();
    let (_, job) = app.get(&crate::util::v1(&format!("/jobs/{job_id}"))).await;
    assert_eq!(job["status"], "SUCCESS");
    assert_eq!(db_entry["steps"].as_array().unwrap().len(), job["entities"]["sub_jobs"].as_array().unwrap().len());

    let (status, report) = app.get(&orch(&format!("/plan-runs/{run}/report"))).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(report["status"], "succeeded");
    assert!(report["groups"].as_array().unwrap().iter().all(|g| g["recovery_millis"].as_i64().is_some()));
    assert_eq!(report["gates"][0]["confirmed_by"], "Ana (INC-42)");
    // Every server of every group, from the core's login engine with the inventory's profiles.
    let logins = report["run"]["logins"].as_array().unwrap();
    assert_eq!(logins.len(), 6, "{logins:?}");
    assert!(logins.iter().all(|l| l["documented"] == true && !l["rules"].as_array().unwrap().is_empty()), "{logins:?}");

    let (status, page) = app.get(&orch(&format!("/plan-runs/{run}/report.html"))).await;
    assert_eq!(status, StatusCode::OK);
    let page = page.as_str().unwrap();
    assert!(page.contains("site-loss") && page.contains("Ana (INC-42)"));
    assert!(page.contains("Is the database &lt;up&gt;?"), "text is escaped");
    assert!(!page.contains("<script") && !page.contains("src=") && !page.contains("href="), "self-contained");
}

#[tokio::test]
async fn a_critical_failure_pauses_the_run_an_optional_one_does_not() {
    let app = TestApp::new().await;
    let (db, _, _) = app.protected_group("db").await;
    let (cache, _, _) = app.protected_group("cache").await;
    let (web, _, _) = app.protected_group("web").await;
    for group in [&db, &cache] {
        let (status, _) = app
            .post(
                &admin("/faults"),
                json!({"server_group_id": group, "step": "failoverReplicationPairs", "fail_reason": "array offline"}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED);
    }
    let stages = json!([
        {"type": "groups", "groups": [{"server_group_id": db, "critical": true}, {"server_group_id": cache, "critical": false}]},
        groups(&[&web], true)
    ]);
    let plan = create_plan(&app, "flaky", stages).await;
    let (_, started) = start(&app, &plan, json!({"mode": "failover", "confirm": "flaky"})).await;
    let run = started["run"]["id"].as_str().unwrap().to_owned();
    let paused = drive(&app, &run).await;
    assert_eq!(paused["status"], "paused-on-failure", "{paused}");
    assert_eq!(paused["stages"][0]["groups"][0]["fail_reason"], "array offline");
    assert_eq!(app.group_json(&web).await["status"], "protected", "the next stage did not start");
    TestApp::expect_error(&command(&app, &run, &format!("groups/{web}/retry"), json!({})).await, 409, "PLAN.0409");
    // Retry the critical group (its fault fired once): the run goes on; the optional failure stays recorded.
    let (status, retried) = command(&app, &run, &format!("groups/{db}/retry"), json!({})).await;
    assert_eq!(status, StatusCode::OK, "{retried}");
    let done = drive(&app, &run).await;
    assert_eq!(done["status"], "finished-with-failures", "{done}");
    assert_eq!(done["stages"][0]["groups"][0]["status"], "succeeded");
    assert_eq!(done["stages"][0]["groups"][0]["earlier_job_ids"].as_array().unwrap().len(), 1);
    assert_eq!(done["stages"][0]["groups"][1]["status"], "failed");
    assert_eq!(app.group_json(&web).await["status"], "failed-over");
    TestApp::expect_error(&command(&app, &run, "cancel", json!({})).await, 409, "PLAN.0409");
}

#[tokio::test]
async fn pause_resume_skip_and_cancel() {
    let app = TestApp::new().await;
    let (db, _, _) = app.protected_group("db").await;
    let (web, _, _) = app.protected_group("web").await;
    let (extra, _, _) = app.protected_group("extra").await;
    let stages = json!([
        groups(&[&db], true),
        {"type": "groups", "groups": [{"server_group_id": web, "critical": true}, {"server_group_id": extra, "critical": false}]}
    ]);
    let plan = create_plan(&app, "careful", stages).await;
    let (_, started) = start(&app, &plan, json!({"mode": "failover", "confirm": "careful"})).await;
    let run = started["run"]["id"].as_str().unwrap().to_owned();
    let (status, _) = command(&app, &run, "pause", json!({})).await;
    assert_eq!(status, StatusCode::OK);
    let paused = drive(&app, &run).await;
    assert_eq!(paused["status"], "paused");
    assert_eq!(app.group_json(&db).await["status"], "protected", "a paused run submits nothing");
    let (status, _) = command(&app, &run, &format!("groups/{extra}/skip"), json!({})).await;
    assert_eq!(status, StatusCode::OK);
    TestApp::expect_error(&command(&app, &run, &format!("groups/{web}/skip"), json!({})).await, 409, "PLAN.0409");
    command(&app, &run, "resume", json!({})).await;
    // Cancel once stage 1 is done: stage 2's groups are never sent.
    let orchestrator = Orchestrator::for_state(&app.state);
    executor::run_due(&app.state, &orchestrator).await.unwrap();
    app.run_jobs().await;
    let (status, cancelled) = command(&app, &run, "cancel", json!({})).await;
    assert_eq!(status, StatusCode::OK, "{cancelled}");
    let after = drive(&app, &run).await;
    assert_eq!(after["status"], "cancelled");
    assert_eq!(app.group_json(&web).await["status"], "protected");
    assert_eq!(app.group_json(&extra).await["status"], "protected");
    let (_, runs) = app.get(&orch(&format!("/recovery-plans/{plan}/runs"))).await;
    assert_eq!(runs["runs"][0]["status"], "cancelled");
}

#[tokio::test]
async fn a_drill_run_and_its_cleanup() {
    let app = TestApp::new().await;
    let (db, _, _) = app.protected_group("db").await;
    let (web, _, _) = app.protected_group("web").await;
    let plan = create_plan(
        &app,
        "drill",
        json!([groups(&[&db], true), {"type": "gate", "text": "checked?"}, groups(&[&web], true)]),
    )
    .await;
    let (_, started) = start(&app, &plan, json!({"mode": "drill", "confirm": "drill"})).await;
    let run = started["run"]["id"].as_str().unwrap().to_owned();
    assert_eq!(drive(&app, &run).await["status"], "waiting-for-gate");
    command(&app, &run, "confirm-gate", json!({"confirmed_by": "auditor"})).await;
    let done = drive(&app, &run).await;
    assert_eq!(done["status"], "succeeded", "{done}");
    for group in [&db, &web] {
        assert_eq!(app.group_json(group).await["status"], "protected", "production untouched");
        assert_eq!(app.group_json(group).await["disaster_recovery_drill_num"], 1);
    }
    assert!(done["stages"][0]["groups"][0]["disaster_recovery_drill_id"].is_string());
    assert_eq!(done["logins"].as_array().unwrap().len(), 2, "one drill server per group: {}", done["logins"]);

    // An unknown drill run is refused; the real one deletes exactly the drills it made.
    TestApp::expect_error(
        &start(&app, &plan, json!({"mode": "drill-cleanup", "drill_run_id": "nope", "confirm": "drill"})).await,
        400,
        "PLAN.0412",
    );
    let (status, cleanup) =
        start(&app, &plan, json!({"mode": "drill-cleanup", "drill_run_id": run, "confirm": "drill"})).await;
    assert_eq!(status, StatusCode::CREATED, "{cleanup}");
    let cleanup = cleanup["run"]["id"].as_str().unwrap().to_owned();
    assert_eq!(drive(&app, &cleanup).await["status"], "waiting-for-gate");
    command(&app, &cleanup, "confirm-gate", json!({"confirmed_by": "auditor"})).await;
    assert_eq!(drive(&app, &cleanup).await["status"], "succeeded");
    for group in [&db, &web] {
        assert_eq!(app.group_json(group).await["disaster_recovery_drill_num"], 0);
    }
}

/// Marks the run's first stage `submitting`, as a process killed right after storing that would leave it.
async fn interrupt(app: &TestApp, run: &str) {
    let run = run.to_owned();
    app.state
        .db
        .write(move |tx| {
            let mut stored: PlanRun = store::get(tx, P, &run)?.unwrap();
            let work = stored.advance(sdrs_server::now_millis());
            assert_eq!(work.submit, [GroupAt { stage: 0, group: 0 }]);
            store::update(tx, P, &stored)
        })
        .await
        .unwrap();
}

#[tokio::test]
async fn an_interrupted_submission_is_sent_once() {
    let app = TestApp::new().await;
    let (db, _, _) = app.protected_group("db").await;
    let plan = create_plan(&app, "cut", json!([groups(&[&db], true)])).await;
    // Cut off before the action was sent: this server is the service, so it certainly never had it; sent now.
    let (_, started) = start(&app, &plan, json!({"mode": "failover", "confirm": "cut"})).await;
    let run = started["run"]["id"].as_str().unwrap().to_owned();
    interrupt(&app, &run).await;
    let app = app.restart(|_| {});
    let done = drive(&app, &run).await;
    assert_eq!(done["status"], "succeeded", "{done}");
    assert_eq!(done["stages"][0]["groups"][0]["attempts"], 1);
    assert!(done["stages"][0]["groups"][0]["job_id"].is_string());

    // Cut off after the service accepted it (the job id was never recorded): followed by the group's status,
    // never sent again.
    let (web, _, _) = app.protected_group("web").await;
    let plan = create_plan(&app, "cut2", json!([groups(&[&web], true)])).await;
    let (_, started) = start(&app, &plan, json!({"mode": "failover", "confirm": "cut2"})).await;
    let run = started["run"]["id"].as_str().unwrap().to_owned();
    interrupt(&app, &run).await;
    let (status, _) =
        app.post(&crate::util::v1(&format!("/server-groups/{web}/action")), json!({"failover-server-group": {}})).await;
    assert_eq!(status, StatusCode::OK);
    let done = drive(&app, &run).await;
    assert_eq!(done["status"], "succeeded", "{done}");
    let entry = &done["stages"][0]["groups"][0];
    assert_eq!(entry["followed_by_status"], true);
    assert!(entry["job_id"].is_null());
    let (_, failures) = app.get(&crate::util::v1("/task-center/failure-jobs")).await;
    assert_eq!(failures["count"], 0, "no second action was refused or failed");
}

/// Holds the first drill submission back until told to let it go: a replica stalled (or cut off from the database)
/// between marking the group `submitting` and its request reaching the service.
struct HeldBack {
    inner: Box<dyn sdrs_client::Transport>,
    reached: std::sync::Arc<tokio::sync::Notify>,
    release: std::sync::Arc<tokio::sync::Notify>,
    held: std::sync::atomic::AtomicBool,
}

impl sdrs_client::Transport for HeldBack {
    fn send(&self, request: http::Request<bytes::Bytes>) -> sdrs_client::Sending<'_> {
        let hold = request.method() == Method::POST
            && request.uri().path().ends_with("/disaster-recovery-drills")
            && !self.held.swap(true, std::sync::atomic::Ordering::SeqCst);
        Box::pin(async move {
            if hold {
                self.reached.notify_one();
                self.release.notified().await;
            }
            self.inner.send(request).await
        })
    }
}

/// Security review (issue 30, item 1): replica A marks a group `submitting` and loses the database past its lease
/// while its drill request is on the way; B takes the lease, finds the submission interrupted and sends it again;
/// then A's request arrives. Both carry the submission's idempotency key, which the service accepts once: the group
/// gets one drill, not two, and A writes nothing more.
#[tokio::test]
async fn a_fenced_out_executor_whose_request_arrives_late_makes_no_second_drill() {
    let app = TestApp::new().await;
    let (group, _, _) = app.protected_group("fenced").await;
    let plan = create_plan(&app, "fenced", json!([groups(&[&group], true)])).await;
    let (status, started) = start(&app, &plan, json!({"mode": "drill", "confirm": "fenced"})).await;
    assert_eq!(status, StatusCode::CREATED, "{started}");
    let run = started["run"]["id"].as_str().unwrap().to_owned();
    let replica = |name: &str| {
        let mut state = app.state.clone();
        state.replica = name.into();
        state
    };
    let (a, b) = (replica("replica-a"), replica("replica-b"));

    let reached = std::sync::Arc::new(tokio::sync::Notify::new());
    let release = std::sync::Arc::new(tokio::sync::Notify::new());
    let (reached_a, release_a) = (reached.clone(), release.clone());
    let orchestrator_a = Orchestrator::through(&a, move |inner| {
        Box::new(HeldBack {
            inner,
            reached: reached_a.clone(),
            release: release_a.clone(),
            held: std::sync::atomic::AtomicBool::new(false),
        })
    });
    let a_task = {
        let a = a.clone();
        tokio::spawn(async move { executor::run_due(&a, &orchestrator_a).await })
    };
    reached.notified().await;
    // A's lease lapses (a minute on): B takes it, with a new token.
    let later = sdrs_server::now_millis() + 61_000;
    let taken = b.db.write(move |tx| tx.take_lease("plan-executor", "replica-b", later, later + 60_000)).await;
    assert!(taken.unwrap().is_some(), "the lapsed lease changes hands");
    let orchestrator_b = Orchestrator::for_state(&b);
    for _ in 0..3 {
        executor::run_due(&b, &orchestrator_b).await.unwrap();
    }
    let resubmitted = run_json(&app, &run).await;
    let job = resubmitted["stages"][0]["groups"][0]["job_id"].as_str().expect("B submitted").to_owned();

    release.notify_one();
    assert_eq!(a_task.await.unwrap().unwrap(), 0, "A, fenced out, records nothing");
    app.run_jobs().await;
    for _ in 0..3 {
        executor::run_due(&b, &orchestrator_b).await.unwrap();
    }
    let (_, drills) = app.get(&crate::util::v1(&format!("/disaster-recovery-drills?server_group_id={group}"))).await;
    assert_eq!(drills["count"], 1, "one drill, though the submission was sent twice: {drills}");
    let done = run_json(&app, &run).await;
    assert_eq!(done["status"], "succeeded", "{done}");
    assert_eq!(done["stages"][0]["groups"][0]["job_id"], job.as_str());
}

#[tokio::test]
async fn the_demo_plan_runs_as_a_drill_and_says_why_a_failover_would_not() {
    let app = TestApp::new().await;
    assert!(sdrs_server::demo::seed(&app.state).await.unwrap());
    let (_, plans) = app.get(&orch("/recovery-plans")).await;
    assert_eq!(plans["count"], 1);
    let plan = plans["recovery_plans"][0]["id"].as_str().unwrap().to_owned();
    let (_, failover) = app.post(&orch(&format!("/recovery-plans/{plan}/check")), json!({"mode": "failover"})).await;
    assert_eq!(failover["allowed"], false);
    let blocking: Vec<&str> = failover["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["severity"] == "blocking")
        .map(|f| f["precheck"].as_str().unwrap_or_default())
        .collect();
    assert!(blocking.contains(&"wrong-status") && blocking.contains(&"replication-link-broken"), "{blocking:?}");
    let (_, started) = start(&app, &plan, json!({"mode": "drill", "confirm": "site-b-recovery"})).await;
    let run = started["run"]["id"].as_str().expect("the drill starts").to_owned();
    assert_eq!(drive(&app, &run).await["status"], "waiting-for-gate");
    command(&app, &run, "confirm-gate", json!({"confirmed_by": "demo"})).await;
    assert_eq!(drive(&app, &run).await["status"], "succeeded");
}

/// The executor's holder renews its lease in the background (`executor::renew`); a renewal extends only a lease its
/// replica still holds, never one another replica took after it lapsed.
#[tokio::test]
async fn only_the_holder_renews_the_executor_lease() {
    let app = TestApp::new().await;
    let db = &app.state.db;
    let now = sdrs_server::now_millis();
    let take =
        |holder: &'static str, at: i64| db.write(move |tx| tx.take_lease("plan-executor", holder, at, at + 10_000));
    let renew = |holder: &'static str, until: i64| db.write(move |tx| tx.renew_lease("plan-executor", holder, until));
    assert_eq!(take("a", now).await.unwrap(), Some(1));
    assert!(renew("a", now + 20_000).await.unwrap(), "the holder renews");
    assert_eq!(take("b", now + 15_000).await.unwrap(), None, "renewed: still held 15 s on");
    assert_eq!(take("b", now + 25_000).await.unwrap(), Some(2), "lapsed: it changes hands");
    assert!(!renew("a", now + 40_000).await.unwrap(), "a's renewal no longer extends anything");
    assert_eq!(take("a", now + 30_000).await.unwrap(), None, "b's lease stands");
}
