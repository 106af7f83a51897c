//! Operating the server: health and readiness, the metrics moving with the work, the audit trail (every change once,
//! with who and what, never a secret, per project) and webhooks (signed, delivered at least once, across a restart).

use std::sync::{Arc, Mutex};

use axum::http::{Method, StatusCode};
use serde_json::{json, Value};

use sdrs_server::plans::{executor, Orchestrator};
use sdrs_server::{demo, notify, now_millis};

use crate::util::{v1, TestApp, OTHER, P};

fn orch(path: &str) -> String {
    format!("/orchestration/v1/{P}{path}")
}

async fn text(app: &TestApp, path: &str) -> (StatusCode, String) {
    use http_body_util::BodyExt;
    use tower::ServiceExt;
    let request = axum::http::Request::get(path).body(axum::body::Body::empty()).unwrap();
    let response = sdrs_server::router(app.state.clone()).oneshot(request).await.unwrap();
    let status = response.status();
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    (status, String::from_utf8_lossy(&bytes).into_owned())
}

/// The value of the metric line that starts with `prefix` (its name and labels as printed).
fn metric(text: &str, prefix: &str) -> Option<f64> {
    text.lines().find(|line| line.starts_with(prefix)).and_then(|line| line.rsplit(' ').next()?.parse().ok())
}

#[tokio::test]
async fn health_readiness_and_metrics_follow_the_work() {
    let app = TestApp::new().await;
    let (status, body) = app.get("/healthz").await;
    assert_eq!((status, &body), (StatusCode::OK, &json!({"status": "ok"})));
    let (status, body) = app.get("/readyz").await;
    assert_eq!((status, body["status"].as_str()), (StatusCode::OK, Some("ready")), "{body}");

    let (group, _, _) = app.protected_group("measured").await;
    let (_, before) = text(&app, "/metrics").await;
    let accepted = r#"sdrs_jobs_accepted_total{job_type="failoverProtectionGroupNoCG"}"#;
    assert_eq!(metric(&before, accepted), None, "no failover yet:\n{before}");
    let answered = r#"sdrs_http_requests_total{operation="/v1/{project_id}/server-groups/{server_group_id}/action",method="POST",status="200"}"#;
    let actions_before = metric(&before, answered).expect("the group's start was an action");
    let job = app.action(&group, json!({"failover-server-group": {}})).await;
    assert_eq!(job["status"], "SUCCESS", "{job}");
    let (status, after) = text(&app, "/metrics").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(metric(&after, accepted), Some(1.0), "{after}");
    assert_eq!(metric(&after, answered), Some(actions_before + 1.0), "{after}");
    assert!(metric(&after, "sdrs_write_batch_operations_count").is_some_and(|n| n > 0.0), "{after}");
    assert_eq!(metric(&after, "sdrs_ready"), Some(1.0));
    assert!(after.ends_with("# EOF\n"), "OpenMetrics text");

    // The dashboard and the alert rules in docs/monitoring name only metrics the server exposes. A family without a
    // sample yet is not printed, so the names are those ops.rs registers, every printed family among them.
    let source = std::fs::read_to_string(format!("{}/src/ops.rs", env!("CARGO_MANIFEST_DIR"))).unwrap();
    let registered: Vec<String> = source
        .split("registry.register(")
        .skip(1)
        .filter_map(|call| Some(format!("sdrs_{}", call.split('"').nth(1)?)))
        .collect();
    let printed = after.lines().filter_map(|line| line.strip_prefix("# TYPE ")?.split(' ').next());
    for family in printed {
        assert!(registered.iter().any(|name| name == family), "{family} printed, not among {registered:?}");
    }
    let families: Vec<&str> = registered.iter().map(String::as_str).collect();
    for file in ["alerts.yml", "grafana-dashboard.json"] {
        let text =
            std::fs::read_to_string(format!("{}/../../docs/monitoring/{file}", env!("CARGO_MANIFEST_DIR"))).unwrap();
        let mut named = 0;
        for (at, _) in text.match_indices("sdrs_") {
            let name: String =
                text[at..].chars().take_while(|c| c.is_ascii_lowercase() || *c == '_' || c.is_ascii_digit()).collect();
            let family = ["_total", "_bucket", "_count", "_sum"]
                .iter()
                .find_map(|suffix| name.strip_suffix(suffix))
                .unwrap_or(&name);
            if name == "sdrs_" || family == "sdrs_server" {
                continue; // the dashboard's uid, the rule group's name
            }
            assert!(families.contains(&family), "{file} names {name}, which the server does not have: {families:?}");
            named += 1;
        }
        assert!(named >= 8, "{file} names {named} metrics");
    }

    // Shutting down: not ready, still alive.
    app.state.stopping.begin();
    let (status, body) = app.get("/readyz").await;
    assert_eq!((status, body["reason"].as_str()), (StatusCode::SERVICE_UNAVAILABLE, Some("shutting down")));
    assert_eq!(app.get("/healthz").await.0, StatusCode::OK);
}

/// Every audit event of the project, oldest first.
async fn trail(app: &TestApp, headers: &[(&str, &str)], project: &str) -> Vec<Value> {
    let (status, body) = app.raw(Method::GET, &format!("/orchestration/v1/{project}/audit-events"), "", headers).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let mut events = body["audit_events"].as_array().unwrap().clone();
    events.reverse();
    events
}

#[tokio::test]
async fn the_audit_trail_records_each_change_once_with_who_and_never_a_secret() {
    let app = TestApp::new().await;
    let (group, _, _) = app.protected_group("audited").await;
    let token = [("x-auth-token", demo::TOKEN)];
    let changes_so_far = trail(&app, &token, P).await.len();
    assert!(changes_so_far >= 4, "the group, its instance, pair and start were changes");

    // A failover signed with AK/SK.
    let path = v1(&format!("/server-groups/{group}/action"));
    let body = r#"{"failover-server-group": {}}"#;
    let date = sdrs_auth::format_sdk_date(now_millis() / 1000);
    let headers = crate::auth::signed("POST", &path, None, body, &date, P);
    let (status, submitted) = crate::auth::send(&app, Method::POST, &path, body, &headers).await;
    assert_eq!(status, StatusCode::OK, "{submitted}");
    let job = submitted["job_id"].as_str().unwrap().to_owned();
    app.run_jobs().await;
    // Refused: a second failover of a failed-over group.
    let headers =
        crate::auth::signed("POST", &path, None, body, &sdrs_auth::format_sdk_date(now_millis() / 1000 + 1), P);
    let (status, _) = crate::auth::send(&app, Method::POST, &path, body, &headers).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    // A gate confirmed with the project's token, in a drill of another group.
    let (drilled, _, _) = app.protected_group("drilled").await;
    // A fault injected through the admin API.
    let (status, fault) =
        app.post(&format!("/admin/v1/{P}/faults"), json!({"step": "createDrServer", "fail_reason": "disk full"})).await;
    assert_eq!(status, StatusCode::CREATED, "{fault}");
    let stages =
        json!([{"type": "groups", "groups": [{"server_group_id": drilled}]}, {"type": "gate", "text": "Go on?"}]);
    let (_, plan) =
        app.post(&orch("/recovery-plans"), json!({"recovery_plan": {"name": "gated", "stages": stages}})).await;
    let plan = plan["recovery_plan"]["id"].as_str().unwrap().to_owned();
    let (status, run) = app
        .post(
            &orch(&format!("/recovery-plans/{plan}/runs")),
            json!({"mode": "drill", "confirm": "gated", "plan_version": 1}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{run}");
    let run = run["run"]["id"].as_str().unwrap().to_owned();
    let orchestrator = Orchestrator::for_state(&app.state);
    for _ in 0..50 {
        app.run_jobs().await;
        executor::run_due(&app.state, &orchestrator).await.unwrap();
        let (_, shown) = app.get(&orch(&format!("/plan-runs/{run}"))).await;
        if shown["run"]["status"] == "waiting-for-gate" {
            break;
        }
    }
    let (status, confirmed) =
        app.post(&orch(&format!("/plan-runs/{run}/confirm-gate")), json!({"confirmed_by": "Ana"})).await;
    assert_eq!(status, StatusCode::OK, "{confirmed}");
    // A webhook, whose secret must not be kept in the trail.
    let secret = "a-webhook-secret-of-some-length";
    let (status, hook) = app
        .post(
            &orch("/webhooks"),
            json!({"webhook": {"url": "https://hooks.example.com/sdrs", "events": ["job.finished"], "secret": secret}}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{hook}");

    let events = trail(&app, &token, P).await;
    let of = |operation: &str| events.iter().filter(|e| e["operation"] == operation).cloned().collect::<Vec<_>>();
    let failovers = of("POST /v1/{project_id}/server-groups/{server_group_id}/action");
    let accepted: Vec<&Value> = failovers.iter().filter(|e| e["outcome"] == format!("job {job}")).collect();
    assert_eq!(accepted.len(), 1, "the failover, once: {failovers:?}");
    assert_eq!(accepted[0]["actor"], format!("access-key:{}", demo::ACCESS_KEY));
    let resources = accepted[0]["resources"].to_string();
    assert!(resources.contains(&group) && resources.contains(&job), "{resources}");
    assert!(failovers.iter().any(|e| e["outcome"] == "refused 400 SDRS.1002"), "the refusal too: {failovers:?}");
    let faults = of("POST /admin/v1/{project_id}/faults");
    assert_eq!(faults.len(), 1, "{faults:?}");
    assert!(faults[0]["actor"].as_str().unwrap().starts_with("admin-token:"));
    assert_eq!(faults[0]["detail"]["fail_reason"], "disk full");
    let gates = of("POST /orchestration/v1/{project_id}/plan-runs/{run_id}/confirm-gate");
    assert_eq!(gates.len(), 1, "{gates:?}");
    assert!(gates[0]["actor"].as_str().unwrap().starts_with("token:"));
    assert!(gates[0]["resources"].to_string().contains(&run));
    let webhooks = of("POST /orchestration/v1/{project_id}/webhooks");
    assert_eq!(webhooks[0]["detail"]["webhook"]["secret"], "***");
    assert!(events.iter().all(|e| e["request_id"].as_str().is_some_and(|id| !id.is_empty())));

    // No secret anywhere in the table.
    let all = app
        .state
        .db
        .call(|store| {
            let query = sdrs_server::store::AuditQuery {
                since: 0,
                until: i64::MAX,
                resource_id: None,
                before: None,
                limit: 10_000,
            };
            let mine = store.audit_events(P, &query)?;
            let theirs = store.audit_events(OTHER, &query)?;
            Ok(serde_json::to_string(&(mine, theirs))?)
        })
        .await
        .unwrap();
    for secret in [demo::TOKEN, demo::SECRET_KEY, demo::ADMIN_TOKEN, secret] {
        assert!(!all.contains(secret), "`{secret}` is in the audit trail");
    }
    // Another project sees none of it; a filter by resource finds the run's events.
    assert!(trail(&app, &[("x-auth-token", "other-token")], OTHER).await.is_empty());
    let (status, about_run) = app.get(&orch(&format!("/audit-events?resource_id={run}"))).await;
    assert_eq!(status, StatusCode::OK);
    assert!(about_run["audit_events"].as_array().unwrap().iter().all(|e| e["resources"].to_string().contains(&run)));
    TestApp::expect_error(&app.get(&orch("/audit-events?colour=red")).await, 400, "PLAN.0400");
}

/// What a receiver got: each request's headers of interest and body.
type Received = Arc<Mutex<Vec<(String, String, String, String)>>>;

/// A webhook receiver on `port` (0: any); returns its port, what it received and its task.
async fn receiver(port: u16) -> (u16, Received, tokio::task::JoinHandle<()>) {
    let received: Received = Arc::default();
    let kept = received.clone();
    let app = axum::Router::new().route(
        "/hook",
        axum::routing::post(move |headers: axum::http::HeaderMap, body: String| {
            let kept = kept.clone();
            async move {
                let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or("").to_owned();
                kept.lock().unwrap().push((
                    header("x-sdrs-event"),
                    header("x-sdrs-event-id"),
                    header("x-sdrs-signature"),
                    body,
                ));
                StatusCode::NO_CONTENT
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let task = tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (port, received, task)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn webhooks_receive_signed_events_at_least_once_across_a_restart() {
    let app = TestApp::new().await;
    // A loopback target is refused unless the server allows private targets.
    let secret = "the-receivers-shared-secret";
    let hook = |url: String| json!({"webhook": {"url": url, "events": ["job.finished", "plan-run.waiting-for-gate"], "secret": secret}});
    TestApp::expect_error(
        &app.post(&orch("/webhooks"), hook("http://127.0.0.1:9/hook".into())).await,
        400,
        "PLAN.0400",
    );
    let app = app.restart(|config| config.allow_private_webhooks = true);
    // The groups exist before the webhook: their creation jobs are not this test's events.
    let (group, _, _) = app.protected_group("notified").await;
    let (drilled, _, _) = app.protected_group("drilled").await;
    let (second, _, _) = app.protected_group("later").await;
    let (port, received, task) = receiver(0).await;
    let (status, created) = app.post(&orch("/webhooks"), hook(format!("http://127.0.0.1:{port}/hook"))).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    assert!(created["webhook"].get("secret").is_none(), "never shown");
    let webhook = created["webhook"]["id"].as_str().unwrap().to_owned();

    // A failover ends: job.finished. A run reaches its gate: plan-run.waiting-for-gate.
    let job = app.action(&group, json!({"failover-server-group": {}})).await;
    let stages =
        json!([{"type": "gate", "text": "Call the DBA"}, {"type": "groups", "groups": [{"server_group_id": drilled}]}]);
    let (_, plan) =
        app.post(&orch("/recovery-plans"), json!({"recovery_plan": {"name": "called", "stages": stages}})).await;
    let plan = plan["recovery_plan"]["id"].as_str().unwrap().to_owned();
    let (status, run) = app
        .post(
            &orch(&format!("/recovery-plans/{plan}/runs")),
            json!({"mode": "drill", "confirm": "called", "plan_version": 1}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{run}");
    executor::run_due(&app.state, &Orchestrator::for_state(&app.state)).await.unwrap();
    assert_eq!(notify::deliver_due(&app.state, now_millis()).await.unwrap(), 2);
    {
        let got = received.lock().unwrap();
        let events: Vec<&str> = got.iter().map(|(event, ..)| event.as_str()).collect();
        assert!(events.contains(&"job.finished") && events.contains(&"plan-run.waiting-for-gate"), "{events:?}");
        for (_, id, signature, body) in got.iter() {
            assert_eq!(signature, &format!("sha256={}", sdrs_auth::signature(secret, body)), "signed with the secret");
            let payload: Value = serde_json::from_str(body).unwrap();
            assert_eq!(payload["id"], id.as_str(), "the id de-duplicates");
            assert_eq!(payload["project_id"], P);
        }
        let finished = got.iter().find(|(event, ..)| event == "job.finished").unwrap();
        assert!(finished.3.contains(job["job_id"].as_str().unwrap()));
    }

    // The receiver goes down; an event happens; the attempt fails; the server restarts; the receiver comes back: the
    // event arrives.
    task.abort();
    let _ = task.await;
    app.action(&second, json!({"failover-server-group": {}})).await;
    assert_eq!(notify::deliver_due(&app.state, now_millis()).await.unwrap(), 1);
    let app = app.restart(|_| {});
    let (_, received_again, _task) = receiver(port).await;
    assert_eq!(notify::deliver_due(&app.state, now_millis()).await.unwrap(), 0, "not due again yet");
    assert_eq!(notify::deliver_due(&app.state, now_millis() + 5_000).await.unwrap(), 1, "due after the backoff");
    let got = received_again.lock().unwrap().clone();
    assert_eq!(got.len(), 1, "{got:?}");
    assert_eq!(got[0].0, "job.finished");
    let (status, deliveries) = app.get(&orch(&format!("/webhooks/{webhook}/deliveries"))).await;
    assert_eq!(status, StatusCode::OK, "{deliveries}");
    let deliveries = deliveries["deliveries"].as_array().unwrap();
    assert_eq!(deliveries.len(), 3);
    assert!(deliveries.iter().all(|d| d["status"] == "delivered"), "{deliveries:?}");
    assert_eq!(deliveries[0]["attempts"], 2, "the latest: one failed attempt, then delivered");
    assert_eq!(app.call(Method::DELETE, &orch(&format!("/webhooks/{webhook}")), None).await.0, StatusCode::NO_CONTENT);
    TestApp::expect_error(&app.get(&orch(&format!("/webhooks/{webhook}/deliveries"))).await, 404, "PLAN.0404");
}

/// On PostgreSQL, two replicas delivering at the same moment deliver each event once: a delivery is claimed (`SKIP
/// LOCKED`) by one of them.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
#[ignore = "needs PostgreSQL (SDRS_TEST_POSTGRES); scripts/test runs it"]
async fn two_replicas_deliver_each_event_once() {
    assert!(crate::util::test_postgres().is_some(), "needs SDRS_TEST_POSTGRES (scripts/test sets it)");
    let first = TestApp::new().await.restart(|config| config.allow_private_webhooks = true);
    let second = first.replica();
    let groups = demo::seed_bulk(&first.state, 20, true).await.unwrap();
    let (port, received, task) = receiver(0).await;
    let hook = json!({"webhook": {"url": format!("http://127.0.0.1:{port}/hook"), "events": ["job.finished"],
        "secret": "the-receivers-shared-secret"}});
    assert_eq!(first.post(&orch("/webhooks"), hook).await.0, StatusCode::CREATED);
    for group in &groups {
        let path = v1(&format!("/server-groups/{group}/action"));
        assert_eq!(first.post(&path, json!({"failover-server-group": {}})).await.0, StatusCode::OK);
    }
    first.run_jobs().await;
    // Both replicas deliver what is due, at the same moment, until nothing is left.
    let mut attempted = 0;
    loop {
        let (a, b) = tokio::join!(
            notify::deliver_due(&first.state, now_millis()),
            notify::deliver_due(&second.state, now_millis())
        );
        let round = a.unwrap() + b.unwrap();
        if round == 0 {
            break;
        }
        attempted += round;
    }
    let got = received.lock().unwrap();
    let ids: std::collections::HashSet<&str> = got.iter().map(|(_, id, ..)| id.as_str()).collect();
    assert_eq!(ids.len(), groups.len(), "one job.finished per failover");
    assert_eq!((got.len(), attempted), (groups.len(), groups.len()), "each event delivered once, by one replica");
    task.abort();
}
