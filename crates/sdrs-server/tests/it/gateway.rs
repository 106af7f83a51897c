//! Gateway mode in front of a second sdrs-server acting as the upstream, with AK/SK verification on.

use std::time::Duration;

use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use http_body_util::BodyExt;
use serde_json::{json, Value};
use tower::ServiceExt;

use sdrs_server::gateway::{Gateway, GatewayConfig};
use sdrs_server::{demo, jobs, router, AppState, Config};

pub(crate) const SECRET: &str = "console-secret-of-some-length";

fn temp_db(name: &str) -> std::path::PathBuf {
    std::env::temp_dir().join(format!("sdrs-gw-{name}-{}.db", uuid::Uuid::new_v4()))
}

/// A real upstream on loopback: demo data, demo AK/SK, jobs at time scale 0. Returns its base URL.
async fn upstream() -> String {
    let mut config = Config::new(temp_db("upstream"));
    config.time_scale = 0.0;
    demo::add_credentials(&mut config);
    let state = AppState::open(config).unwrap();
    demo::seed(&state).await.unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let (_stop, stop_rx) = tokio::sync::watch::channel(false);
    tokio::spawn(jobs::worker(state.clone(), stop_rx));
    tokio::spawn(async move { axum::serve(listener, router(state)).await.unwrap() });
    std::mem::forget(_stop);
    base
}

/// The gateway of the demo project in front of `upstream`, with the console secret `SECRET`.
pub(crate) fn demo_gateway(upstream: &str, timeout: Duration) -> Gateway {
    Gateway::new(GatewayConfig {
        upstream: upstream.to_owned(),
        project_id: demo::PROJECT.to_owned(),
        access_key: demo::ACCESS_KEY.to_owned(),
        secret_key: demo::SECRET_KEY.to_owned(),
        console_secret: SECRET.to_owned(),
        timeout,
        ecs_upstream: None,
        ims_upstream: None,
    })
    .unwrap()
}

fn gateway(upstream: &str, timeout: Duration) -> AppState {
    let mut state = AppState::open(Config::new(temp_db("gateway"))).unwrap();
    state.gateway = Some(demo_gateway(upstream, timeout));
    state
}

async fn send(
    state: &AppState,
    method: Method,
    path: &str,
    body: Option<Value>,
    cookie: Option<&str>,
) -> (StatusCode, Value, Option<String>) {
    let mut builder = Request::builder().method(method).uri(path);
    if let Some(cookie) = cookie {
        builder = builder.header("cookie", cookie);
    }
    if body.is_some() {
        // As the console sends every change: the gateway refuses a change that is not JSON (cross-site guard).
        builder = builder.header("content-type", "application/json");
    }
    let request = builder.body(body.map(|b| Body::from(b.to_string())).unwrap_or_else(Body::empty)).unwrap();
    let response = router(state.clone()).oneshot(request).await.unwrap();
    let status = response.status();
    let set_cookie = response.headers().get("set-cookie").map(|v| v.to_str().unwrap().to_owned());
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    (status, serde_json::from_slice(&bytes).unwrap_or(Value::Null), set_cookie)
}

async fn login(state: &AppState) -> String {
    let (status, _, cookie) = send(state, Method::POST, "/gateway/login", Some(json!({"secret": SECRET})), None).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let cookie = cookie.expect("a session cookie");
    assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"), "{cookie}");
    cookie.split(';').next().unwrap().to_owned()
}

fn v1(path: &str) -> String {
    format!("/v1/{}{path}", demo::PROJECT)
}

async fn wait_for(state: &AppState, cookie: &str, job_id: &str) -> Value {
    for _ in 0..100 {
        let (_, job, _) = send(state, Method::GET, &v1(&format!("/jobs/{job_id}")), None, Some(cookie)).await;
        if job["status"] == "SUCCESS" || job["status"] == "FAIL" {
            return job;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("job {job_id} did not finish");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failover_lifecycle_through_the_gateway() {
    let upstream = upstream().await;
    let gw = gateway(&upstream, Duration::from_secs(10));

    // Not an open proxy: nothing is forwarded without a session.
    let (status, body, _) = send(&gw, Method::GET, &v1("/server-groups"), None, None).await;
    assert_eq!((status, body["error_code"].as_str()), (StatusCode::UNAUTHORIZED, Some("APIG.0301")));
    let (status, _, _) = send(&gw, Method::POST, "/gateway/login", Some(json!({"secret": "guess"})), None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let cookie = login(&gw).await;
    let (status, _, _) =
        send(&gw, Method::GET, &format!("/admin/v1/{}/servers", demo::PROJECT), None, Some(&cookie)).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "the admin API is not forwarded");
    let (status, _, _) = send(&gw, Method::GET, "/v1/someone-else/server-groups", None, Some(&cookie)).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "another project is not forwarded");

    let (status, list, _) =
        send(&gw, Method::GET, &v1("/server-groups?name=web-tier&limit=5"), None, Some(&cookie)).await;
    assert_eq!(
        (status, list["count"].as_u64()),
        (StatusCode::OK, Some(1)),
        "the query is signed and forwarded: {list}"
    );
    let group = list["server_groups"][0]["id"].as_str().unwrap().to_owned();
    let action = v1(&format!("/server-groups/{group}/action"));

    // Refusals pass through unchanged.
    let (status, body, _) =
        send(&gw, Method::POST, &action, Some(json!({"start-server-group": {}})), Some(&cookie)).await;
    assert_eq!((status, body["error"]["code"].as_str()), (StatusCode::BAD_REQUEST, Some("SDRS.1002")));

    for (body, job_type, status_after) in [
        (json!({"failover-server-group": {}}), "failoverProtectionGroupNoCG", "failed-over"),
        (json!({"start-server-group": {}}), "reprotectProtectionGroupNoCG", "protected"),
        (json!({"stop-server-group": {}}), "stopProtectionGroupNoCG", "available"),
    ] {
        let (status, submitted, _) = send(&gw, Method::POST, &action, Some(body), Some(&cookie)).await;
        assert_eq!(status, StatusCode::OK, "{submitted}");
        let job = wait_for(&gw, &cookie, submitted["job_id"].as_str().unwrap()).await;
        assert_eq!((job["job_type"].as_str(), job["status"].as_str()), (Some(job_type), Some("SUCCESS")));
        let (_, shown, _) = send(&gw, Method::GET, &v1(&format!("/server-groups/{group}")), None, Some(&cookie)).await;
        assert_eq!(shown["server_group"]["status"], status_after);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn logging_out_ends_only_that_session() {
    let upstream = upstream().await;
    let gw = gateway(&upstream, Duration::from_secs(10));
    let (first, second) = (login(&gw).await, login(&gw).await);
    let (status, _, cleared) = send(&gw, Method::POST, "/gateway/logout", None, Some(&first)).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let cleared = cleared.expect("the cookie is cleared");
    assert!(cleared.starts_with(&format!("{}=;", sdrs_server::gateway::COOKIE)) && cleared.contains("Max-Age=0"));
    let (status, body, _) = send(&gw, Method::GET, &v1("/server-groups"), None, Some(&first)).await;
    assert_eq!((status, body["error_code"].as_str()), (StatusCode::UNAUTHORIZED, Some("APIG.0301")));
    let (status, _, _) = send(&gw, Method::GET, &v1("/server-groups"), None, Some(&second)).await;
    assert_eq!(status, StatusCode::OK, "the other console stays logged in");
    let (status, _, _) = send(&gw, Method::POST, "/gateway/logout", None, None).await;
    assert_eq!(status, StatusCode::NO_CONTENT, "logging out without a session is harmless");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tampered_body_is_rejected_upstream() {
    let upstream = upstream().await;
    let host = upstream.trim_start_matches("http://").to_owned();
    let path = v1("/server-groups");
    let headers = vec![
        ("host".to_owned(), host),
        ("x-sdk-date".to_owned(), sdrs_auth::format_sdk_date(sdrs_server::now_millis() / 1000)),
        ("content-type".to_owned(), "application/json".to_owned()),
    ];
    let signed_body = r#"{"server_group": {"name": "harmless"}}"#;
    let parts = sdrs_auth::RequestParts {
        method: "POST",
        path: &path,
        query: None,
        headers: &headers,
        body: signed_body.as_bytes(),
    };
    let authorization = sdrs_auth::sign(&parts, demo::ACCESS_KEY, demo::SECRET_KEY).unwrap();
    let client = reqwest::Client::new();
    let response = client
        .post(format!("{upstream}{path}"))
        .header("x-sdk-date", &headers[1].1)
        .header("content-type", "application/json")
        .header("authorization", authorization)
        .body(r#"{"server_group": {"name": "tampered"}}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 401);
    let body: Value = serde_json::from_slice(&response.bytes().await.unwrap()).unwrap();
    assert!(body["error_msg"].as_str().unwrap().contains("verify aksk signature fail"), "{body}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn upstream_failures_say_which_side_failed() {
    // Nothing listens: refused.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap();
    let gw = gateway(&format!("http://{closed}"), Duration::from_secs(5));
    let cookie = login(&gw).await;
    let (status, body, _) = send(&gw, Method::GET, &v1("/server-groups"), None, Some(&cookie)).await;
    assert_eq!((status, body["error"]["code"].as_str()), (StatusCode::BAD_GATEWAY, Some("GATEWAY.0502")));
    let message = body["error"]["message"].as_str().unwrap();
    assert!(message.contains("could not be connected to") && !message.contains(&closed.to_string()), "{body}");

    // TLS to something that does not speak it: a TLS error, named as such.
    let plain = upstream().await.replace("http://", "https://");
    let gw = gateway(&plain, Duration::from_secs(5));
    let cookie = login(&gw).await;
    let (status, body, _) = send(&gw, Method::GET, &v1("/server-groups"), None, Some(&cookie)).await;
    assert_eq!((status, body["error"]["code"].as_str()), (StatusCode::BAD_GATEWAY, Some("GATEWAY.0526")), "{body}");

    // Accepts but never answers: a timeout.
    let silent = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = silent.local_addr().unwrap();
    tokio::spawn(async move {
        let mut held = Vec::new();
        loop {
            if let Ok((socket, _)) = silent.accept().await {
                held.push(socket);
            }
        }
    });
    let gw = gateway(&format!("http://{address}"), Duration::from_secs(1));
    let cookie = login(&gw).await;
    let (status, body, _) = send(&gw, Method::GET, &v1("/server-groups"), None, Some(&cookie)).await;
    assert_eq!((status, body["error"]["code"].as_str()), (StatusCode::GATEWAY_TIMEOUT, Some("GATEWAY.0504")));
}

/// A recovery plan in gateway mode: stored in the gateway's database, its actions sent upstream signed with AK/SK,
/// the upstream's job status polled. One critical and one optional group fail at the upstream (fault injection).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_recovery_plan_drives_the_upstream_through_the_gateway() {
    use sdrs_server::plans::{executor, Orchestrator};

    let upstream = crate::util::TestApp::new().await;
    let (db, _, _) = upstream.protected_group("db").await;
    let (cache, _, _) = upstream.protected_group("cache").await;
    let (web, _, _) = upstream.protected_group("web").await;
    for group in [&db, &cache] {
        let fault =
            json!({"server_group_id": group, "step": "failoverReplicationPairs", "fail_reason": "array offline"});
        let (status, _) = upstream.post(&crate::util::admin("/faults"), fault).await;
        assert_eq!(status, StatusCode::CREATED);
    }
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let (_stop, stop_rx) = tokio::sync::watch::channel(false);
    tokio::spawn(jobs::worker(upstream.state.clone(), stop_rx));
    let served = upstream.state.clone();
    tokio::spawn(async move { axum::serve(listener, router(served)).await.unwrap() });

    let gw = gateway(&base, Duration::from_secs(10));
    let plans = format!("/orchestration/v1/{}/recovery-plans", demo::PROJECT);
    let plan = json!({"recovery_plan": {"name": "site-b", "stages": [
        {"type": "groups", "groups": [{"server_group_id": db}, {"server_group_id": cache, "critical": false}]},
        {"type": "gate", "text": "Call the DBA"},
        {"type": "groups", "groups": [{"server_group_id": web}]}]}});
    let (status, _, _) = send(&gw, Method::POST, &plans, Some(plan.clone()), None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "plans need the console's session");
    let cookie = login(&gw).await;
    let (status, created, _) = send(&gw, Method::POST, &plans, Some(plan), Some(&cookie)).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let plan_id = created["recovery_plan"]["id"].as_str().unwrap();
    let (_, upstream_plans) = upstream.get(&format!("/orchestration/v1/{}/recovery-plans", demo::PROJECT)).await;
    assert_eq!(upstream_plans["count"], 0, "plans live in the gateway's database, not upstream");

    let (status, check, _) =
        send(&gw, Method::POST, &format!("{plans}/{plan_id}/check"), Some(json!({"mode": "failover"})), Some(&cookie))
            .await;
    assert_eq!((status, &check["allowed"]), (StatusCode::OK, &json!(true)), "{check}");
    let start = json!({"mode": "failover", "confirm": "site-b", "plan_version": created["recovery_plan"]["version"]});
    let (status, started, _) =
        send(&gw, Method::POST, &format!("{plans}/{plan_id}/runs"), Some(start), Some(&cookie)).await;
    assert_eq!(status, StatusCode::CREATED, "{started}");
    let run = started["run"]["id"].as_str().unwrap().to_owned();
    let run_path = format!("/orchestration/v1/{}/plan-runs/{run}", demo::PROJECT);

    let orchestrator = Orchestrator::for_state(&gw);
    assert!(!orchestrator.is_local());
    let settle = |want: &'static str| {
        let (gw, orchestrator, run_path, cookie) = (gw.clone(), &orchestrator, run_path.clone(), cookie.clone());
        async move {
            for _ in 0..200 {
                executor::run_due(&gw, orchestrator).await.unwrap();
                let (_, body, _) = send(&gw, Method::GET, &run_path, None, Some(&cookie)).await;
                if body["run"]["status"] == want {
                    return body["run"].clone();
                }
                tokio::time::sleep(Duration::from_millis(25)).await;
            }
            panic!("the run never reached {want}");
        }
    };
    let paused = settle("paused-on-failure").await;
    let first = &paused["stages"][0]["groups"];
    assert_eq!((&first[0]["status"], &first[1]["status"]), (&json!("failed"), &json!("failed")), "{paused}");
    assert_eq!(first[0]["fail_reason"], "array offline");
    assert_eq!(upstream.group_json(&web).await["status"], "protected", "stage 2 waits for the critical group");
    // The job the run follows is the upstream's own.
    let job_id = first[0]["job_id"].as_str().unwrap();
    assert_eq!(upstream.get(&crate::util::v1(&format!("/jobs/{job_id}"))).await.1["status"], "FAIL");

    let (status, _, _) =
        send(&gw, Method::POST, &format!("{run_path}/groups/{db}/retry"), Some(json!({})), Some(&cookie)).await;
    assert_eq!(status, StatusCode::OK);
    settle("waiting-for-gate").await;
    assert_eq!(upstream.group_json(&web).await["status"], "protected", "stage 3 waits for the gate");
    let gate = json!({"confirmed_by": "Ana (INC-7)"});
    let (status, _, _) = send(&gw, Method::POST, &format!("{run_path}/confirm-gate"), Some(gate), Some(&cookie)).await;
    assert_eq!(status, StatusCode::OK);
    let done = settle("finished-with-failures").await;
    assert_eq!(done["stages"][0]["groups"][0]["status"], "succeeded");
    assert_eq!(done["stages"][0]["groups"][1]["status"], "failed", "the optional failure stays recorded");
    assert_eq!(upstream.group_json(&db).await["status"], "failed-over");
    assert_eq!(upstream.group_json(&cache).await["status"], "error-failing-over");
    assert_eq!(upstream.group_json(&web).await["status"], "failed-over");
    // The logins of the evidence come from the upstream's ECS and IMS, read through the same signed client.
    let logins = done["logins"].as_array().unwrap();
    assert!(!logins.is_empty(), "{done}");
    assert!(
        logins.iter().all(|l| l["facts"].as_array().unwrap().iter().any(|f| f.as_str().unwrap().contains("ECS"))),
        "{logins:?}"
    );
    let (status, report, _) = send(&gw, Method::GET, &format!("{run_path}/report"), None, Some(&cookie)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(report["gates"][0]["confirmed_by"], "Ana (INC-7)", "{report}");
    // The evidence carries what people did to the run: its start, the retry and the gate, oldest first.
    let done_by: Vec<&str> =
        report["audit_events"].as_array().unwrap().iter().map(|e| e["operation"].as_str().unwrap()).collect();
    assert_eq!(
        done_by,
        [
            "POST /orchestration/v1/{project_id}/recovery-plans/{plan_id}/runs",
            "POST /orchestration/v1/{project_id}/plan-runs/{run_id}/groups/{server_group_id}/retry",
            "POST /orchestration/v1/{project_id}/plan-runs/{run_id}/confirm-gate"
        ],
        "{report}"
    );
    assert!(report["recovery_millis"].as_i64().is_some());
    let gate = json!({"confirmed_by": "x"});
    let (status, refused, _) =
        send(&gw, Method::POST, &format!("{run_path}/confirm-gate"), Some(gate), Some(&cookie)).await;
    assert_eq!((status, refused["error"]["code"].as_str()), (StatusCode::CONFLICT, Some("PLAN.0409")));

    // The gateway's audit trail: the login and the gate confirmation, each once, by the console's session (its
    // fingerprint, never the cookie or the gateway's secret); the refused second confirmation with its code.
    let audit = format!("/orchestration/v1/{}/audit-events?limit=500", demo::PROJECT);
    let (status, trail, _) = send(&gw, Method::GET, &audit, None, Some(&cookie)).await;
    assert_eq!(status, StatusCode::OK, "{trail}");
    let events = trail["audit_events"].as_array().unwrap();
    let session = cookie.split_once('=').unwrap().1;
    let of = |operation: &str| events.iter().filter(|e| e["operation"] == operation).collect::<Vec<_>>();
    let gates = of("POST /orchestration/v1/{project_id}/plan-runs/{run_id}/confirm-gate");
    assert_eq!(gates.len(), 2, "{gates:?}");
    let actor = gates[0]["actor"].as_str().unwrap();
    assert!(actor.starts_with("gateway-session:") && gates.iter().all(|e| e["actor"] == actor), "{gates:?}");
    assert_eq!(gates.iter().filter(|e| e["outcome"] == "ok").count(), 1, "{gates:?}");
    assert!(gates.iter().any(|e| e["outcome"] == "refused 409 PLAN.0409"), "{gates:?}");
    assert!(gates.iter().all(|e| e["resources"].to_string().contains(&run)), "{gates:?}");
    assert_eq!(of("POST /gateway/login").len(), 1, "{events:?}");
    let text = trail.to_string();
    assert!(!text.contains(SECRET) && !text.contains(session), "no secret in the trail");
}

/// Console sessions are rows of the database: a restart of the gateway logs no console out (both backends).
#[tokio::test]
async fn a_console_session_survives_a_restart() {
    let with_gateway = |app: &crate::util::TestApp| {
        let mut state = app.state.clone();
        state.gateway = Some(demo_gateway("http://127.0.0.1:9", Duration::from_secs(1)));
        state
    };
    let app = crate::util::TestApp::new().await;
    let cookie = login(&with_gateway(&app)).await;
    let plans = format!("/orchestration/v1/{}/recovery-plans", demo::PROJECT);
    let app = app.restart(|_| {});
    let state = with_gateway(&app);
    assert_eq!(send(&state, Method::GET, &plans, None, Some(&cookie)).await.0, StatusCode::OK);
    assert_eq!(send(&state, Method::GET, &plans, None, Some("sdrs_gateway=forged")).await.0, StatusCode::UNAUTHORIZED);
}

/// An IMS that refuses every request, as a real one does for a credential without IMS rights.
async fn refusing_ims() -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let app = axum::Router::new().fallback(|| async {
        (StatusCode::FORBIDDEN, axum::Json(json!({"error": {"code": "IMG.0003", "message": "no permission"}})))
    });
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    base
}

/// The ECS and IMS reads are forwarded, signed, to where each service lives; no change to either is, and no other
/// project's. A refusal of IMS passes through as IMS said it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ecs_and_ims_reads_are_forwarded_and_nothing_else() {
    let upstream = upstream().await;
    let ims = refusing_ims().await;
    let mut state = AppState::open(Config::new(temp_db("gateway"))).unwrap();
    let mut config = GatewayConfig {
        upstream: upstream.clone(),
        project_id: demo::PROJECT.to_owned(),
        access_key: demo::ACCESS_KEY.to_owned(),
        secret_key: demo::SECRET_KEY.to_owned(),
        console_secret: SECRET.to_owned(),
        timeout: Duration::from_secs(10),
        ecs_upstream: Some(upstream.clone()),
        ims_upstream: None,
    };
    state.gateway = Some(Gateway::new(config.clone()).unwrap());
    let gw = state;
    let cookie = login(&gw).await;

    let (status, body, _) = send(&gw, Method::GET, &v1("/cloudservers/srv-web-01"), None, Some(&cookie)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["server"]["metadata"]["os_type"], "Windows");
    let (status, body, _) = send(&gw, Method::GET, &v1("/cloudservers/detail?limit=2"), None, Some(&cookie)).await;
    assert_eq!((status, body["servers"].as_array().map(Vec::len)), (StatusCode::OK, Some(2)), "{body}");
    let (status, body, _) = send(&gw, Method::GET, "/v2/cloudimages?__imagetype=gold", None, Some(&cookie)).await;
    assert_eq!(status, StatusCode::OK, "IMS derived from the SDRS upstream (no `sdrs.` host): {body}");
    let (status, body, _) = send(&gw, Method::GET, "/v2/images/srv-web-02-image", None, Some(&cookie)).await;
    assert_eq!((status, body["__imagetype"].as_str()), (StatusCode::OK, Some("private")), "{body}");

    // Reads only, this project only.
    for (method, path) in [
        (Method::DELETE, v1("/cloudservers/srv-web-01")),
        (Method::POST, v1("/cloudservers/action")),
        (Method::PUT, v1("/cloudservers/srv-web-01")),
        (Method::DELETE, "/v2/images/srv-web-02-image".to_owned()),
        (Method::GET, "/v1/someone-else/cloudservers/srv-web-01".to_owned()),
        (Method::GET, v1("/cloudservers/..%2f..%2fadmin")),
    ] {
        let (status, body, _) = send(&gw, method.clone(), &path, Some(json!({})), Some(&cookie)).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{method} {path} must not be forwarded: {body}");
    }

    // IMS elsewhere, refusing: its answer, not an error of the gateway's.
    config.ims_upstream = Some(ims);
    let mut state = AppState::open(Config::new(temp_db("gateway"))).unwrap();
    state.gateway = Some(Gateway::new(config).unwrap());
    let cookie = login(&state).await;
    let (status, body, _) = send(&state, Method::GET, "/v2/images/srv-web-02-image", None, Some(&cookie)).await;
    assert_eq!((status, body["error"]["code"].as_str()), (StatusCode::FORBIDDEN, Some("IMG.0003")), "{body}");
    let (status, _, _) = send(&state, Method::GET, &v1("/cloudservers/srv-web-01"), None, Some(&cookie)).await;
    assert_eq!(status, StatusCode::OK, "ECS is still where it was");
}
