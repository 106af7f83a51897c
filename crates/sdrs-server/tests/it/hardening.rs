//! The server under attack: signatures that cover what runs, jobs that fail alone, limits over a real socket, the
//! gateway's guards, replay protection, per-project ids, the console's serving and input checks. Each test failed on
//! the code before its fix.

use std::time::{Duration, Instant};

use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use http_body_util::BodyExt;
use serde_json::{json, Value};
use sha2::Digest;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tower::ServiceExt;

use crate::auth::{send, signed};
use crate::util::{admin, v1, TestApp, OTHER, P};
use sdrs_server::{demo, jobs, now_millis, router, AppState, Config};

fn now_date() -> String {
    sdrs_auth::format_sdk_date(now_millis() / 1000)
}

/// A signature over one body, sent with another and the signed body's hash in `X-Sdk-Content-Sha256`.
#[tokio::test]
async fn the_signature_covers_the_body_received() {
    let app = TestApp::new().await;
    let (group, _, _) = app.protected_group("swap").await;
    let path = format!("/v1/{P}/server-groups/{group}/action");
    let stop = r#"{"stop-server-group": {}}"#;
    let stop_hash = hex::encode(sha2::Sha256::digest(stop.as_bytes()));
    let signed_with = |extra: (&str, &str)| {
        let mut headers = vec![
            ("content-type".to_owned(), "application/json".to_owned()),
            ("host".to_owned(), "127.0.0.1:8080".to_owned()),
            ("x-sdk-date".to_owned(), now_date()),
            (extra.0.to_owned(), extra.1.to_owned()),
        ];
        let parts = sdrs_auth::RequestParts {
            method: "POST",
            path: &path,
            query: None,
            headers: &headers,
            body: stop.as_bytes(),
        };
        let authorization = sdrs_auth::sign(&parts, demo::ACCESS_KEY, demo::SECRET_KEY).unwrap();
        headers.push(("authorization".to_owned(), authorization));
        headers
    };
    let failover = r#"{"failover-server-group": {}}"#;
    let (status, body) =
        send(&app, Method::POST, &path, failover, &signed_with(("x-sdk-content-sha256", &stop_hash))).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    assert!(body["error_msg"].as_str().unwrap().contains("not the SHA-256 of the body"), "{body}");
    let unsigned = signed_with(("x-sdk-content-sha256", "UNSIGNED-PAYLOAD"));
    let (status, body) = send(&app, Method::POST, &path, failover, &unsigned).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    assert!(body["error_msg"].as_str().unwrap().contains("UNSIGNED-PAYLOAD is not accepted"), "{body}");
    assert_eq!(app.group_json(&group).await["status"], "protected", "nothing ran");

    // The operator's opt-in accepts UNSIGNED-PAYLOAD (and then the body is not covered: that is what it means).
    let lenient = app.with_config(|config| config.allow_unsigned_payload = true);
    let (status, body) = send(&lenient, Method::POST, &path, stop, &unsigned).await;
    assert_eq!(status, StatusCode::OK, "{body}");
}

/// Every step of every job kind, in an order the state machine allows, each as one job. Returns the first job that
/// did not succeed (with its group), or `None` when all did.
/// Before each job, a group creation is submitted in the other project, to run in the same worker batch.
async fn lifecycle(app: &TestApp) -> Option<(Value, String)> {
    let create = json!({"server_group": {"name": "life", "source_availability_zone": demo::SOURCE_AZ,
        "target_availability_zone": demo::TARGET_AZ, "domain_id": demo::DOMAIN_ID, "source_vpc_id": demo::VPC_ID}});
    let mut group = String::new();
    let mut ids: (String, String, String) = Default::default();
    for stage in 0..16 {
        let (method, path, body) = match stage {
            0 => (Method::POST, v1("/server-groups"), Some(create.clone())),
            1 => {
                app.server("life-srv", json!({"family": "linux", "coreos": false, "cloud_init": false}), "key-pair")
                    .await;
                let instance =
                    json!({"protected_instance": {"server_group_id": group, "server_id": "life-srv", "name": "i"}});
                (Method::POST, v1("/protected-instances"), Some(instance))
            }
            2 => {
                let pair =
                    json!({"replication": {"server_group_id": group, "volume_id": "life-srv-disk", "name": "rp"}});
                (Method::POST, v1("/replications"), Some(pair))
            }
            3 => {
                let attach = json!({"replicationAttachment": {"replication_id": ids.1, "device": "/dev/vda"}});
                (Method::POST, v1(&format!("/protected-instances/{}/attachreplication", ids.0)), Some(attach))
            }
            4 => (
                Method::POST,
                v1(&format!("/replications/{}/action", ids.1)),
                Some(json!({"extend-replication": {"new_size": 20}})),
            ),
            5 => (Method::POST, v1(&format!("/server-groups/{group}/action")), Some(json!({"start-server-group": {}}))),
            6 => {
                let drill = json!({"disaster_recovery_drill": {"server_group_id": group, "name": "d"}});
                (Method::POST, v1("/disaster-recovery-drills"), Some(drill))
            }
            7 => (Method::DELETE, v1(&format!("/disaster-recovery-drills/{}", ids.2)), None),
            8 => {
                // A planned failover needs the production servers stopped first.
                let stopped =
                    app.call(Method::PATCH, &admin("/servers/life-srv"), Some(json!({"power_state": "stopped"}))).await;
                assert_eq!(stopped.0, StatusCode::OK, "{}", stopped.1);
                let planned = json!({"reverse-server-group": {"priority_station": "target"}});
                (Method::POST, v1(&format!("/server-groups/{group}/action")), Some(planned))
            }
            9 => (
                Method::POST,
                v1(&format!("/server-groups/{group}/action")),
                Some(json!({"failover-server-group": {}})),
            ),
            10 => {
                (Method::POST, v1(&format!("/server-groups/{group}/action")), Some(json!({"start-server-group": {}})))
            }
            11 => (Method::POST, v1(&format!("/server-groups/{group}/action")), Some(json!({"stop-server-group": {}}))),
            12 => (Method::DELETE, v1(&format!("/protected-instances/{}/detachreplication/{}", ids.0, ids.1)), None),
            13 => (Method::DELETE, v1(&format!("/replications/{}", ids.1)), None),
            14 => (Method::DELETE, v1(&format!("/protected-instances/{}", ids.0)), None),
            _ => (Method::DELETE, v1(&format!("/server-groups/{group}")), None),
        };
        let other_job = other_project_group_create(app, &format!("bystander-{stage}")).await;
        let (status, submitted) = app.call(method, &path, body).await;
        assert_eq!(status, StatusCode::OK, "stage {stage}: {submitted}");
        let job_id = submitted["job_id"].as_str().unwrap().to_owned();
        app.run_jobs().await;
        let (_, job) = app.get(&v1(&format!("/jobs/{job_id}"))).await;
        let (_, other) = app
            .raw(Method::GET, &format!("/v1/{OTHER}/jobs/{other_job}"), "", &[("x-auth-token", "other-token")])
            .await;
        assert_eq!(other["status"], "SUCCESS", "another project's job in the same batch as stage {stage}: {other}");
        let entities = &job["entities"];
        let id = |key: &str| entities[key].as_str().map(str::to_owned);
        match stage {
            0 => group = id("server_group_id").unwrap_or_default(),
            1 => ids.0 = id("protected_instance_id").unwrap_or_default(),
            2 => ids.1 = id("replication_pair_id").unwrap_or_default(),
            6 => ids.2 = id("disaster_recovery_drill_id").unwrap_or_default(),
            _ => {}
        }
        if job["status"] != "SUCCESS" {
            return Some((job, group));
        }
    }
    None
}

/// A step that raises an error (not a clean failure) at every step kind ends its own job as FAIL with its
/// kind's failure code; a job of another project in the same worker batch succeeds.
#[tokio::test]
async fn a_step_that_raises_an_error_fails_its_own_job_and_stalls_nothing() {
    let steps = {
        let app = TestApp::new().await;
        let (_, body) = app.post(&admin("/faults"), json!({"step": "nope"})).await;
        let message = body["error"]["message"].as_str().unwrap().to_owned();
        message.rsplit("steps are: ").next().unwrap().split(", ").map(str::to_owned).collect::<Vec<_>>()
    };
    assert!(steps.len() >= 25, "{steps:?}");
    let mut covered = 0;
    for step in &steps {
        let app = TestApp::new().await;
        let (status, body) = app.post(&admin("/faults"), json!({"step": step, "raise_error": true})).await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        let Some((job, group)) = lifecycle(&app).await else {
            // Only steps that no job of this lifecycle runs may be left (none today).
            panic!("no job ran step {step}");
        };
        assert_eq!(job["status"], "FAIL", "{step}: {job}");
        let failed: Vec<&Value> =
            job["entities"]["sub_jobs"].as_array().unwrap().iter().filter(|s| s["status"] == "FAIL").collect();
        assert_eq!(failed.len(), 1, "{job}");
        assert_eq!(failed[0]["job_type"], step.as_str());
        assert!(job["error_code"].as_str().unwrap().starts_with("SDRS."), "{job}");
        assert!(job["fail_reason"].as_str().unwrap().contains("injected error"), "{job}");
        if job["job_type"].as_str().unwrap().contains("ServerGroup") && !group.is_empty() {
            let (_, g) = app.get(&v1(&format!("/server-groups/{group}"))).await;
            if let Some(status) = g["server_group"]["status"].as_str() {
                assert!(status.starts_with("error-"), "{step}: group status {status}");
            }
        }
        let (_, failures) = app.get(&v1("/task-center/failure-jobs")).await;
        assert_eq!(failures["count"], 1, "{step}: the failure is in the task centre");
        covered += 1;
    }
    assert_eq!(covered, steps.len());
}

/// Submits (does not run) a group creation in the other project; returns its job id.
async fn other_project_group_create(app: &TestApp, name: &str) -> String {
    let body = json!({"server_group": {"name": name, "source_availability_zone": demo::SOURCE_AZ,
        "target_availability_zone": demo::TARGET_AZ, "domain_id": demo::DOMAIN_ID, "source_vpc_id": demo::VPC_ID}});
    let (status, submitted) = app
        .raw(
            Method::POST,
            &format!("/v1/{OTHER}/server-groups"),
            &body.to_string(),
            &[("x-auth-token", "other-token"), ("content-type", "application/json")],
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{submitted}");
    submitted["job_id"].as_str().unwrap().to_owned()
}

/// The disk of a pair deleted before the pair's create job ran. Deleting it through the
/// admin API is refused; a row that vanishes anyway (here: by SQL) fails that job only.
#[tokio::test(flavor = "multi_thread")]
async fn a_vanished_disk_fails_its_pair_job_only() {
    let app = TestApp::new().await;
    let group = app.group("vanish").await;
    app.server("v-srv", json!({"family": "linux", "coreos": false, "cloud_init": false}), "key-pair").await;
    let pair = json!({"replication": {"server_group_id": group, "volume_id": "v-srv-disk", "name": "rp"}});
    let (_, submitted) = app.post(&v1("/replications"), pair).await;
    let job_id = submitted["job_id"].as_str().unwrap().to_owned();
    let refused = app.call(Method::DELETE, &admin("/disks/v-srv-disk"), None).await;
    TestApp::expect_error(&refused, 400, "SDRS.1811");
    app.state
        .db
        .write(|tx| sdrs_server::store::remove::<sdrs_core::wire::NativeDisk>(tx, P, "v-srv-disk"))
        .await
        .unwrap();
    let other = other_project_group_create(&app, "bystander").await;
    let advanced = jobs::run_due(&app.state.db, now_millis()).await.expect("the worker itself does not fail");
    assert_eq!(advanced, 2);
    let (_, job) = app.get(&v1(&format!("/jobs/{job_id}"))).await;
    assert_eq!((job["status"].as_str(), job["error_code"].as_str()), (Some("FAIL"), Some("SDRS.1609")), "{job}");
    assert!(job["fail_reason"].as_str().unwrap().contains("createDrDisk"), "{job}");
    let (_, other) =
        app.raw(Method::GET, &format!("/v1/{OTHER}/jobs/{other}"), "", &[("x-auth-token", "other-token")]).await;
    assert_eq!(other["status"], "SUCCESS");
    let pair_id = job["entities"]["replication_pair_id"].as_str().unwrap();
    let (_, rp) = app.get(&v1(&format!("/replications/{pair_id}"))).await;
    assert_eq!(rp["replication"]["status"], "error");
    // Nothing is left due: the next run has nothing to do, instead of retrying the same job forever.
    assert_eq!(jobs::run_due(&app.state.db, now_millis()).await.unwrap(), 0);
    // A native deletion is still possible to simulate: the disk is marked, the pair turns invalid.
    app.server("w-srv", json!({"family": "linux", "coreos": false, "cloud_init": false}), "key-pair").await;
    let pair = json!({"replication": {"server_group_id": group, "volume_id": "w-srv-disk", "name": "rp2"}});
    let job = app.job(Method::POST, &v1("/replications"), Some(pair)).await;
    let pair_id = job["entities"]["replication_pair_id"].as_str().unwrap().to_owned();
    let (status, _) = app.call(Method::PATCH, &admin("/disks/w-srv-disk"), Some(json!({"status": "deleted"}))).await;
    assert_eq!(status, StatusCode::OK);
    let (_, rp) = app.get(&v1(&format!("/replications/{pair_id}"))).await;
    assert_eq!(rp["replication"]["status"], "invalid");
}

/// A server on a real socket with small limits; returns its address and a handle that stops it.
struct Live {
    addr: std::net::SocketAddr,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    done: tokio::task::JoinHandle<anyhow::Result<()>>,
    _app: TestApp,
}

async fn live(adjust: impl FnOnce(&mut Config)) -> Live {
    let app = TestApp::new().await;
    let mut config = (*app.state.config).clone();
    config.limits.header_read_timeout = Duration::from_millis(400);
    config.limits.body_timeout = Duration::from_millis(600);
    config.limits.shutdown_grace = Duration::from_millis(800);
    adjust(&mut config);
    let state = app.state.with_config(config);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let done = tokio::spawn(sdrs_server::serve_on(state, listener, async move {
        let _ = stopped.await;
    }));
    Live { addr, stop: Some(stop), done, _app: app }
}

/// Reads what the server sends until it closes the connection (or `within` passes).
async fn read_until_closed(stream: &mut TcpStream, within: Duration) -> Option<String> {
    let mut all = Vec::new();
    let mut buffer = [0u8; 4096];
    let deadline = Instant::now() + within;
    loop {
        let left = deadline.checked_duration_since(Instant::now())?;
        match tokio::time::timeout(left, stream.read(&mut buffer)).await {
            Ok(Ok(0)) | Ok(Err(_)) => return Some(String::from_utf8_lossy(&all).into_owned()),
            Ok(Ok(n)) => all.extend_from_slice(&buffer[..n]),
            Err(_) => return None,
        }
    }
}

async fn get_over_socket(addr: std::net::SocketAddr, path: &str) -> String {
    let mut stream = TcpStream::connect(addr).await.unwrap();
    let request =
        format!("GET {path} HTTP/1.1\r\nhost: x\r\nx-auth-token: {}\r\nconnection: close\r\n\r\n", demo::TOKEN);
    stream.write_all(request.as_bytes()).await.unwrap();
    read_until_closed(&mut stream, Duration::from_secs(5)).await.expect("an answer")
}

/// Half a request line, an idle keep-alive connection, a connection beyond the cap, a request beyond the
/// in-flight cap, a slow body, and credentials checked before the body.
#[tokio::test(flavor = "multi_thread")]
async fn timeouts_and_connection_limits_hold_over_a_socket() {
    let server = live(|config| {
        config.limits.max_connections = 3;
        config.limits.max_in_flight = 1;
    })
    .await;
    // Half a request line, then nothing: closed after the header deadline, not held forever.
    let mut half = TcpStream::connect(server.addr).await.unwrap();
    half.write_all(b"GET /v1 HT").await.unwrap();
    let started = Instant::now();
    assert!(read_until_closed(&mut half, Duration::from_secs(3)).await.is_some(), "closed");
    assert!(started.elapsed() < Duration::from_secs(2), "{:?}", started.elapsed());
    // An idle keep-alive connection after one answer is closed too.
    let mut idle = TcpStream::connect(server.addr).await.unwrap();
    idle.write_all(b"GET /v1 HTTP/1.1\r\nhost: x\r\n\r\n").await.unwrap();
    let answered = read_until_closed(&mut idle, Duration::from_secs(3)).await.expect("closed when idle");
    assert!(answered.starts_with("HTTP/1.1 200"), "{answered}");

    // Three connections held: a fourth is told 503 in the envelope and closed.
    let mut held = Vec::new();
    for _ in 0..3 {
        held.push(TcpStream::connect(server.addr).await.unwrap());
    }
    tokio::time::sleep(Duration::from_millis(50)).await;
    let mut fourth = TcpStream::connect(server.addr).await.unwrap();
    let refused = read_until_closed(&mut fourth, Duration::from_secs(2)).await.expect("answered and closed");
    assert!(refused.starts_with("HTTP/1.1 503") && refused.contains("SERVER.0503"), "{refused}");
    drop(held);
    tokio::time::sleep(Duration::from_millis(100)).await;

    // One request in flight (its body arriving slowly): another is answered 503 at once; the slow one gets 408.
    let mut slow = TcpStream::connect(server.addr).await.unwrap();
    let head = format!(
        "POST /v1/{P}/server-groups HTTP/1.1\r\nhost: x\r\nx-auth-token: {}\r\ncontent-type: application/json\r\ncontent-length: 100\r\n\r\n{{",
        demo::TOKEN
    );
    slow.write_all(head.as_bytes()).await.unwrap();
    tokio::time::sleep(Duration::from_millis(100)).await;
    let busy = get_over_socket(server.addr, &format!("/v1/{P}/server-groups")).await;
    assert!(busy.starts_with("HTTP/1.1 503") && busy.contains("SERVER.0503"), "{busy}");
    let timed_out = read_until_closed(&mut slow, Duration::from_secs(3)).await.expect("answered");
    assert!(timed_out.starts_with("HTTP/1.1 408") && timed_out.contains("SERVER.0408"), "{timed_out}");

    // A wrong token with a large body announced: refused before the body is awaited.
    let mut unauthenticated = TcpStream::connect(server.addr).await.unwrap();
    let head = format!(
        "POST /v1/{P}/server-groups HTTP/1.1\r\nhost: x\r\nx-auth-token: wrong\r\ncontent-length: 1000\r\n\r\n"
    );
    unauthenticated.write_all(head.as_bytes()).await.unwrap();
    let started = Instant::now();
    let mut buffer = [0u8; 512];
    let n = tokio::time::timeout(Duration::from_secs(2), unauthenticated.read(&mut buffer)).await.unwrap().unwrap();
    assert!(String::from_utf8_lossy(&buffer[..n]).starts_with("HTTP/1.1 401"));
    assert!(started.elapsed() < Duration::from_millis(500), "{:?}", started.elapsed());
    // Too large by Content-Length: refused at once as well.
    let big = format!(
        "POST /v1/{P}/server-groups HTTP/1.1\r\nhost: x\r\nx-auth-token: {}\r\ncontent-length: 99999999\r\n\r\n",
        demo::TOKEN
    );
    let mut stream = TcpStream::connect(server.addr).await.unwrap();
    stream.write_all(big.as_bytes()).await.unwrap();
    let n = tokio::time::timeout(Duration::from_secs(2), stream.read(&mut buffer)).await.unwrap().unwrap();
    assert!(String::from_utf8_lossy(&buffer[..n]).starts_with("HTTP/1.1 413"));
    stop(server).await;
}

async fn stop(mut server: Live) {
    let _ = server.stop.take().unwrap().send(());
    tokio::time::timeout(Duration::from_secs(3), server.done).await.expect("stops within the grace").unwrap().unwrap();
}

/// With a connection stuck mid-request and jobs due, the server stops within its grace period.
#[tokio::test(flavor = "multi_thread")]
async fn shutdown_is_bounded() {
    let server = live(|config| config.limits.header_read_timeout = Duration::from_secs(30)).await;
    let mut stuck = TcpStream::connect(server.addr).await.unwrap();
    stuck.write_all(b"GET /v1 HT").await.unwrap();
    tokio::time::sleep(Duration::from_millis(50)).await;
    let started = Instant::now();
    stop(server).await;
    assert!(started.elapsed() < Duration::from_secs(2), "{:?}", started.elapsed());
}

/// Wrong gateway secrets are throttled per client; a short secret is refused at start.
#[tokio::test]
async fn gateway_login_is_throttled_and_needs_a_long_secret() {
    use sdrs_server::gateway::{Gateway, GatewayConfig};
    let config = |secret: &str| GatewayConfig {
        upstream: "http://127.0.0.1:9".to_owned(),
        project_id: P.to_owned(),
        access_key: "ak".to_owned(),
        secret_key: "sk".to_owned(),
        console_secret: secret.to_owned(),
        timeout: Duration::from_secs(1),
        ecs_upstream: None,
        ims_upstream: None,
    };
    assert!(Gateway::new(config("short")).is_err());
    let app = TestApp::new().await;
    let mut state = app.state.clone();
    state.gateway = Some(Gateway::new(config("a-long-enough-console-secret")).unwrap());
    let login = |secret: &str| {
        let state = state.clone();
        let body = json!({"secret": secret}).to_string();
        async move {
            gateway_call(&state, Method::POST, "/gateway/login", Some(body), &[("content-type", "application/json")])
                .await
        }
    };
    for attempt in 0..5 {
        assert_eq!(login("wrong").await.0, StatusCode::UNAUTHORIZED, "attempt {attempt}");
    }
    let (status, body, headers) = login("wrong").await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{body}");
    assert_eq!(body["error"]["code"], "SERVER.0429");
    assert!(headers.get("retry-after").is_some());
    // Even the right secret waits out the lockout; then it logs in.
    assert_eq!(login("a-long-enough-console-secret").await.0, StatusCode::TOO_MANY_REQUESTS);
    tokio::time::sleep(Duration::from_millis(1100)).await;
    assert_eq!(login("a-long-enough-console-secret").await.0, StatusCode::NO_CONTENT);
}

async fn gateway_call(
    state: &AppState,
    method: Method,
    path: &str,
    body: Option<String>,
    headers: &[(&str, &str)],
) -> (StatusCode, Value, axum::http::HeaderMap) {
    use http_body_util::BodyExt;
    use tower::ServiceExt;
    let mut builder = axum::http::Request::builder().method(method).uri(path);
    for (name, value) in headers {
        builder = builder.header(*name, *value);
    }
    let request = builder.body(body.map(axum::body::Body::from).unwrap_or_else(axum::body::Body::empty)).unwrap();
    let response = sdrs_server::router(state.clone()).oneshot(request).await.unwrap();
    let (parts, body) = response.into_parts();
    let bytes = body.collect().await.unwrap().to_bytes();
    (parts.status, serde_json::from_slice(&bytes).unwrap_or(Value::Null), parts.headers)
}

/// Cross-site requests with the session cookie, ids a URL parser would rewrite, a Secure cookie
/// behind HTTPS, errors that name neither the upstream nor the OS's words, and a cap on upstream answers.
#[tokio::test]
async fn the_gateway_refuses_cross_site_rewritten_ids_and_oversized_answers() {
    use sdrs_server::gateway::{Gateway, GatewayConfig};
    // An upstream that answers 17 MB to anything.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let upstream = format!("http://{}", listener.local_addr().unwrap());
    let huge = axum::Router::new().fallback(|| async { vec![b'x'; 17 << 20] });
    tokio::spawn(async move { axum::serve(listener, huge).await.unwrap() });
    let secret = "a-long-enough-console-secret";
    let app = TestApp::new().await;
    let gateway = |upstream: &str, https: bool| {
        let mut config = (*app.state.config).clone();
        if https {
            config.public_url = "https://dr.example".to_owned();
        }
        let mut state = app.state.with_config(config);
        state.gateway = Some(
            Gateway::new(GatewayConfig {
                upstream: upstream.to_owned(),
                project_id: P.to_owned(),
                access_key: "ak".to_owned(),
                secret_key: "sk".to_owned(),
                console_secret: secret.to_owned(),
                timeout: Duration::from_secs(2),
                ecs_upstream: None,
                ims_upstream: None,
            })
            .unwrap(),
        );
        state
    };
    let state = gateway(&upstream, false);
    let json_type = ("content-type", "application/json");
    let (_, _, headers) =
        gateway_call(&state, Method::POST, "/gateway/login", Some(json!({"secret": secret}).to_string()), &[json_type])
            .await;
    let cookie = headers["set-cookie"].to_str().unwrap().split(';').next().unwrap().to_owned();
    assert!(!headers["set-cookie"].to_str().unwrap().contains("Secure"), "plain HTTP: no Secure flag");
    let action = format!("/v1/{P}/server-groups/g1/action");
    let failover = Some(r#"{"failover-server-group": {}}"#.to_owned());
    // A form post from another port of the same host: text/plain, a foreign Origin.
    for headers in [
        vec![("cookie", cookie.as_str()), ("content-type", "text/plain")],
        vec![("cookie", cookie.as_str()), json_type, ("origin", "http://127.0.0.1:9999"), ("host", "127.0.0.1:8080")],
        vec![("cookie", cookie.as_str()), json_type, ("sec-fetch-site", "same-site")],
    ] {
        let (status, body, _) = gateway_call(&state, Method::POST, &action, failover.clone(), &headers).await;
        assert_eq!(
            (status, body["error"]["code"].as_str()),
            (StatusCode::FORBIDDEN, Some("SERVER.0403")),
            "{headers:?}"
        );
    }
    // Ids that a URL parser would rewrite are not forwarded.
    for id in ["%2e%2e", "a%2Fb", "a%5Cb", "..%2F..%2Fadmin"] {
        let path = format!("/v1/{P}/server-groups/{id}");
        let (status, body, _) = gateway_call(&state, Method::GET, &path, None, &[("cookie", cookie.as_str())]).await;
        assert_eq!((status, body["error_code"].as_str()), (StatusCode::NOT_FOUND, Some("APIG.0101")), "{id}");
    }
    // The console's own request passes the guards; the upstream's 17 MB answer is cut off.
    let headers = [
        ("cookie", cookie.as_str()),
        json_type,
        ("origin", "http://127.0.0.1:8080"),
        ("host", "127.0.0.1:8080"),
        ("sec-fetch-site", "same-origin"),
    ];
    let (status, body, _) = gateway_call(&state, Method::POST, &action, failover.clone(), &headers).await;
    assert_eq!((status, body["error"]["code"].as_str()), (StatusCode::BAD_GATEWAY, Some("GATEWAY.0502")), "{body}");
    assert!(body["error"]["message"].as_str().unwrap().contains("more than"), "{body}");
    // An unreachable upstream: the answer names neither its URL nor the OS's error text.
    let closed = gateway("http://127.0.0.1:9", true);
    let (_, _, headers) = gateway_call(
        &closed,
        Method::POST,
        "/gateway/login",
        Some(json!({"secret": secret}).to_string()),
        &[json_type],
    )
    .await;
    let set_cookie = headers["set-cookie"].to_str().unwrap().to_owned();
    assert!(set_cookie.contains("; Secure"), "{set_cookie}");
    let cookie = set_cookie.split(';').next().unwrap().to_owned();
    // Behind a proxy that rewrites Host, the console's origin is the public URL's: accepted; any other is not.
    for (origin, expected) in
        [("https://dr.example", StatusCode::BAD_GATEWAY), ("https://evil.example", StatusCode::FORBIDDEN)]
    {
        let headers = [("cookie", cookie.as_str()), json_type, ("origin", origin), ("host", "127.0.0.1:8080")];
        let (status, body, _) = gateway_call(&closed, Method::POST, &action, failover.clone(), &headers).await;
        assert_eq!(status, expected, "{origin}: {body}");
    }
    let (status, body, _) =
        gateway_call(&closed, Method::GET, &v1("/server-groups"), None, &[("cookie", cookie.as_str())]).await;
    assert_eq!(status, StatusCode::BAD_GATEWAY, "{body}");
    let message = body["error"]["message"].as_str().unwrap();
    assert!(!message.contains("127.0.0.1") && !message.to_lowercase().contains("refused"), "{message}");
}

/// The admin API is off unless configured, and then answers only its own token, not a project's.
#[tokio::test]
async fn the_admin_api_needs_its_own_credential() {
    let app = TestApp::new().await;
    let project_token_only = [("x-auth-token", demo::TOKEN), ("content-type", "application/json")];
    let fault = json!({"step": "startDrServers"}).to_string();
    let (status, body) = app.raw(Method::POST, &admin("/faults"), &fault, &project_token_only).await;
    assert_eq!((status, body["error_code"].as_str()), (StatusCode::UNAUTHORIZED, Some("APIG.0301")), "{body}");
    let wrong = [("x-admin-token", "demo-admin-token-0001")];
    assert_eq!(app.raw(Method::DELETE, &admin("/faults"), "", &wrong).await.0, StatusCode::UNAUTHORIZED);
    let admin_token = [("x-admin-token", demo::ADMIN_TOKEN), ("content-type", "application/json")];
    assert_eq!(app.raw(Method::POST, &admin("/faults"), &fault, &admin_token).await.0, StatusCode::CREATED);
    // Without --admin, the admin API does not exist at all.
    let plain = app.with_config(|config| config.admin_token = None);
    let (status, body) = plain.raw(Method::POST, &admin("/faults"), &fault, &admin_token).await;
    assert_eq!((status, body["error_code"].as_str()), (StatusCode::NOT_FOUND, Some("APIG.0101")));
}

/// A signed change sent three times runs once; the repeats get the first answer, marked. A request turned
/// away by the limits does not use up its signature.
#[tokio::test]
async fn a_signed_change_is_carried_out_once() {
    let app = TestApp::new().await;
    let path = format!("/v1/{P}/server-groups");
    let body = json!({"server_group": {"name": "replayed", "source_availability_zone": demo::SOURCE_AZ,
        "target_availability_zone": demo::TARGET_AZ, "domain_id": demo::DOMAIN_ID, "source_vpc_id": demo::VPC_ID}})
    .to_string();
    let headers = signed("POST", &path, None, &body, &now_date(), P);

    // Turned away by the in-flight limit first: that must not count as the signature's use.
    let full = app.with_config(|config| config.limits.max_in_flight = 0);
    let (status, refused) = send(&full, Method::POST, &path, &body, &headers).await;
    assert_eq!((status, refused["error"]["code"].as_str()), (StatusCode::SERVICE_UNAVAILABLE, Some("SERVER.0503")));

    let (status, first) = send(&app, Method::POST, &path, &body, &headers).await;
    assert_eq!(status, StatusCode::OK, "{first}");
    for _ in 0..2 {
        let (status, again) = send(&app, Method::POST, &path, &body, &headers).await;
        assert_eq!((status, &again), (StatusCode::OK, &first), "the same answer: the same job id");
    }
    app.run_jobs().await;
    let (_, list) = app.get(&v1("/server-groups?name=replayed")).await;
    assert_eq!(list["count"], 1, "one group, not three");
    // The mark, seen on the raw response.
    let response = raw_response(&app, &path, &body, &headers).await;
    assert_eq!(response.headers()["x-sdrs-replayed"], "true");
    // A read is not guarded: the same signed GET twice is answered twice.
    let headers = signed("GET", &path, None, "", &now_date(), P);
    for _ in 0..2 {
        let response = raw_response_method(&app, Method::GET, &path, "", &headers).await;
        assert!(response.headers().get("x-sdrs-replayed").is_none());
    }
}

async fn raw_response(app: &TestApp, path: &str, body: &str, headers: &[(String, String)]) -> axum::response::Response {
    raw_response_method(app, Method::POST, path, body, headers).await
}

async fn raw_response_method(
    app: &TestApp,
    method: Method,
    path: &str,
    body: &str,
    headers: &[(String, String)],
) -> axum::response::Response {
    use tower::ServiceExt;
    let mut builder = axum::http::Request::builder().method(method).uri(path);
    for (name, value) in headers {
        builder = builder.header(name, value);
    }
    sdrs_server::router(app.state.clone())
        .oneshot(builder.body(axum::body::Body::from(body.to_owned())).unwrap())
        .await
        .unwrap()
}

/// A repeated query key, and a signature that does not cover `host`.
#[tokio::test]
async fn one_request_one_signature() {
    let app = TestApp::new().await;
    app.group("alpha").await;
    let path = format!("/v1/{P}/server-groups");
    let query = "name=alpha&name=beta";
    let headers = signed("GET", &path, Some(query), "", &now_date(), P);
    let refused = send(&app, Method::GET, &format!("{path}?{query}"), "", &headers).await;
    TestApp::expect_error(&refused, 400, "SDRS.0201");
    assert!(refused.1["error"]["message"].as_str().unwrap().contains("`name` is given more than once"));
    // `+` means a plus, as signed: `name=a+b` does not find a group called `a b`.
    let (_, list) = app.get(&v1("/server-groups?name=alpha+")).await;
    assert_eq!(list["count"], 0);

    // Signed without host.
    let mut headers =
        vec![("content-type".to_owned(), "application/json".to_owned()), ("x-sdk-date".to_owned(), now_date())];
    let parts = sdrs_auth::RequestParts { method: "GET", path: &path, query: None, headers: &headers, body: b"" };
    headers.push(("authorization".to_owned(), sdrs_auth::sign(&parts, demo::ACCESS_KEY, demo::SECRET_KEY).unwrap()));
    headers.push(("host".to_owned(), "127.0.0.1:8080".to_owned()));
    let (status, body) = send(&app, Method::GET, &path, "", &headers).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(body["error_msg"].as_str().unwrap().contains("`host` must be signed"), "{body}");
}

/// Ids are per project; an unknown access key and a wrong signature answer the same.
#[tokio::test]
async fn ids_are_per_project_and_no_key_oracle() {
    let app = TestApp::new().await;
    app.server("shared-id", json!({"family": "linux", "coreos": false, "cloud_init": false}), "key-pair").await;
    let server =
        json!({"id": "shared-id", "name": "theirs", "availability_zone": demo::SOURCE_AZ, "vpc_id": demo::VPC_ID,
        "os": {"family": "linux", "coreos": false, "cloud_init": false}, "login": "key-pair"})
        .to_string();
    let (status, body) = app
        .raw(
            Method::POST,
            &format!("/admin/v1/{OTHER}/servers"),
            &server,
            &[("x-admin-token", demo::ADMIN_TOKEN), ("content-type", "application/json")],
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "another project may use the same id: {body}");
    let (_, mine) = app.get(&admin("/servers/shared-id")).await;
    assert_eq!(mine["server"]["name"], "name-shared-id", "and does not touch ours");

    let path = format!("/v1/{P}/server-groups");
    let mut wrong_signature = signed("GET", &path, None, "", &now_date(), P);
    let authorization = wrong_signature.iter_mut().find(|(k, _)| k == "authorization").unwrap();
    let last = if authorization.1.ends_with('0') { '1' } else { '0' };
    authorization.1 = format!("{}{last}", &authorization.1[..authorization.1.len() - 1]);
    let unknown_key: Vec<(String, String)> = signed("GET", &path, None, "", &now_date(), P)
        .into_iter()
        .map(|(k, v)| (k, v.replace(demo::ACCESS_KEY, "UNKNOWNACCESSKEY0000")))
        .collect();
    let (_, a) = send(&app, Method::GET, &path, "", &wrong_signature).await;
    let (_, b) = send(&app, Method::GET, &path, "", &unknown_key).await;
    assert_eq!(a, b);
    assert!(a["error_msg"].as_str().unwrap().contains("verify aksk signature fail"));
}

/// The console's headers, hashed assets cached for good, no symlink out of its folder, HEAD.
#[tokio::test]
async fn the_console_is_served_with_its_headers_and_nothing_outside_its_folder() {
    let dir = std::env::temp_dir().join(format!("sdrs-console-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("index.html"), "<html><script type=\"module\">import init from '/x.js';</script></html>")
        .unwrap();
    std::fs::write(dir.join("sdrs-console-0123456789abcdef_bg.wasm"), b"\0asm").unwrap();
    let secret = std::env::temp_dir().join(format!("sdrs-secret-{}", uuid::Uuid::new_v4()));
    std::fs::write(&secret, "secret").unwrap();
    std::os::unix::fs::symlink(&secret, dir.join("leak.txt")).unwrap();
    let app = TestApp::new().await;
    let mut config = (*app.state.config).clone();
    config.console_dir = Some(dir.clone());
    let state = app.state.with_config(config);

    let (status, _, headers) = gateway_call(&state, Method::GET, "/groups/x", None, &[("accept", "text/html")]).await;
    assert_eq!(status, StatusCode::OK);
    let csp = headers["content-security-policy"].to_str().unwrap();
    assert!(csp.contains("frame-ancestors 'none'") && csp.contains("'sha256-"), "{csp}");
    assert_eq!(headers["x-content-type-options"], "nosniff");
    assert_eq!(headers["cache-control"], "no-cache");
    let (status, _, headers) =
        gateway_call(&state, Method::GET, "/sdrs-console-0123456789abcdef_bg.wasm", None, &[]).await;
    assert_eq!(status, StatusCode::OK);
    assert!(headers["cache-control"].to_str().unwrap().contains("immutable"));
    let (status, body, _) = gateway_call(&state, Method::GET, "/leak.txt", None, &[]).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    let (status, _, headers) = gateway_call(&state, Method::HEAD, "/", None, &[("accept", "text/html")]).await;
    assert_eq!(status, StatusCode::OK);
    assert!(headers.contains_key("content-security-policy"));
    // The planning module's page has its own loader: its CSP hashes that one, not the incident page's.
    std::fs::create_dir_all(dir.join("plans")).unwrap();
    std::fs::write(
        dir.join("plans/index.html"),
        "<html><script type=\"module\">import init from './y.js';</script></html>",
    )
    .unwrap();
    let (status, _, headers) = gateway_call(&state, Method::GET, "/plans/", None, &[("accept", "text/html")]).await;
    assert_eq!(status, StatusCode::OK);
    let planning_csp = headers["content-security-policy"].to_str().unwrap();
    assert!(planning_csp.contains("'sha256-") && planning_csp != csp, "{planning_csp}");
    let (_, _, headers) = gateway_call(&state, Method::GET, "/groups/x", None, &[("accept", "text/html")]).await;
    assert_eq!(headers["content-security-policy"].to_str().unwrap(), csp, "the incident page keeps its own");
    let _ = std::fs::remove_dir_all(&dir);
    let _ = std::fs::remove_file(&secret);
}

/// Issue 16: the console's precompressed copies are sent by `Accept-Encoding`, and API answers are compressed when asked.
#[tokio::test]
async fn console_files_and_api_answers_are_compressed_when_asked() {
    let dir = std::env::temp_dir().join(format!("sdrs-console-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("index.html"), "<html></html>").unwrap();
    let wasm = "sdrs-console-0123456789abcdef_bg.wasm";
    std::fs::write(dir.join(wasm), b"\0asm raw").unwrap();
    std::fs::write(dir.join(format!("{wasm}.br")), b"brotli bytes").unwrap();
    std::fs::write(dir.join(format!("{wasm}.gz")), b"gzip bytes").unwrap();
    let app = TestApp::new().await;
    let mut config = (*app.state.config).clone();
    config.console_dir = Some(dir.clone());
    let state = app.state.with_config(config);
    let path = format!("/{wasm}");
    for (accept, encoding, body) in [
        ("br, gzip", Some("br"), "brotli bytes"),
        ("gzip", Some("gzip"), "gzip bytes"),
        ("identity", None, "\0asm raw"),
    ] {
        let request = Request::builder().uri(&path).header("accept-encoding", accept).body(Body::empty()).unwrap();
        let response = router(state.clone()).oneshot(request).await.unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        let headers = response.headers().clone();
        assert_eq!(headers.get("content-encoding").map(|v| v.to_str().unwrap()), encoding, "{accept}");
        assert!(headers["cache-control"].to_str().unwrap().contains("immutable"));
        let bytes = response.into_body().collect().await.unwrap().to_bytes();
        assert_eq!(&bytes[..], body.as_bytes(), "{accept}: the stored copy as it is");
    }
    // A list of groups, gzip-compressed on request and whole once decompressed.
    app.protected_group("zipped").await;
    let request = Request::builder()
        .uri(v1("/server-groups"))
        .header("x-auth-token", demo::TOKEN)
        .header("accept-encoding", "gzip")
        .body(Body::empty())
        .unwrap();
    let response = router(state.clone()).oneshot(request).await.unwrap();
    assert_eq!(response.headers()["content-encoding"], "gzip");
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    assert_eq!(&bytes[..2], [0x1f, 0x8b], "a gzip stream");
    let _ = std::fs::remove_dir_all(&dir);
}

/// The links of `GET /v1` name the configured public URL, whatever `Host` says.
#[tokio::test]
async fn links_do_not_echo_the_host() {
    let app = TestApp::new().await;
    let (_, body) = app.raw(Method::GET, "/v1", "", &[("host", "evil.example")]).await;
    let href = body["version"]["links"][0]["href"].as_str().unwrap();
    assert!(href.starts_with(&app.state.config.public_url) && !href.contains("evil"), "{href}");
}

/// Admin input held to the API's rules, duplicate keys refused, an unwritable database refused at once.
#[tokio::test]
async fn admin_input_duplicate_keys_and_an_unwritable_database_are_refused() {
    let app = TestApp::new().await;
    for name in ["a".repeat(900_000), "nul\u{0}name".to_owned(), "esc\u{1b}[31mred".to_owned()] {
        let server = json!({"name": name, "availability_zone": demo::SOURCE_AZ, "vpc_id": demo::VPC_ID,
            "os": {"family": "linux", "coreos": false, "cloud_init": false}, "login": "key-pair"});
        let refused = app.post(&admin("/servers"), server).await;
        assert_eq!(refused.0, StatusCode::BAD_REQUEST, "{}", refused.1);
    }
    let fault = json!({"step": "startDrServers", "fail_reason": "\u{1b}]0;pwned\u{7}"});
    TestApp::expect_error(&app.post(&admin("/faults"), fault).await, 400, "SDRS.0201");
    let (group, _, _) = app.protected_group("dup").await;
    let duplicate = r#"{"failover-server-group": {}, "failover-server-group": {}}"#;
    let refused = app
        .raw(Method::POST, &v1(&format!("/server-groups/{group}/action")), duplicate, &[("x-auth-token", demo::TOKEN)])
        .await;
    TestApp::expect_error(&refused, 400, "SDRS.0201");
    assert!(refused.1["error"]["message"].as_str().unwrap().contains("appears twice"), "{}", refused.1);

    let dir = std::env::temp_dir().join(format!("sdrs-bad-db-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    let garbage = dir.join("not-a-database.db");
    std::fs::write(&garbage, vec![b'x'; 8192]).unwrap();
    for path in [dir.join("no/such/dir/sdrs.db"), garbage] {
        let started = Instant::now();
        let error = AppState::open(Config::new(path.clone())).err().expect("refused");
        assert!(format!("{error:#}").contains("database"), "{error:#}");
        // The pool alone retried for 30 s before saying anything.
        assert!(started.elapsed() < Duration::from_secs(3), "{path:?}: {:?}", started.elapsed());
    }
    let _ = std::fs::remove_dir_all(&dir);
}
