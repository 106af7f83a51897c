//! Durability and concurrency: one winner among simultaneous actions, jobs resumed after a restart, kill -9.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use axum::http::StatusCode;
use serde_json::{json, Value};

use crate::util::{v1, TestApp};
use sdrs_server::{demo, jobs};

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn hundreds_of_simultaneous_actions_yield_one_job_per_group() {
    let app = TestApp::new().await;
    let groups = demo::seed_bulk(&app.state, 101, true).await.unwrap();
    // 200 failovers of the first group and one of each of the 100 others, all at once.
    let targets: Vec<String> = std::iter::repeat_n(groups[0].clone(), 200).chain(groups[1..].iter().cloned()).collect();
    let mut handles = Vec::new();
    for target in targets {
        let state = app.state.clone();
        handles.push(tokio::spawn(async move {
            use tower::ServiceExt;
            let request = axum::http::Request::post(format!("/v1/{}/server-groups/{target}/action", demo::PROJECT))
                .header("x-auth-token", demo::TOKEN)
                .body(axum::body::Body::from(r#"{"failover-server-group": {}}"#))
                .unwrap();
            let response = sdrs_server::router(state).oneshot(request).await.unwrap();
            let status = response.status();
            let bytes = http_body_util::BodyExt::collect(response.into_body()).await.unwrap().to_bytes();
            (target, status, serde_json::from_slice::<Value>(&bytes).unwrap())
        }));
    }
    let mut accepted_first = 0;
    let mut accepted_others = 0;
    for handle in handles {
        let (target, status, body) = handle.await.unwrap();
        match (target == groups[0], status) {
            (true, StatusCode::OK) => accepted_first += 1,
            (false, StatusCode::OK) => accepted_others += 1,
            (_, other) => {
                assert_eq!(other, StatusCode::BAD_REQUEST);
                assert_eq!(body["error"]["code"], "SDRS.1002", "the losers get the state error");
            }
        }
    }
    assert_eq!(accepted_first, 1, "exactly one of 200 simultaneous failovers of one group is accepted");
    assert_eq!(accepted_others, 100, "failovers of different groups are all accepted");
    app.run_jobs().await;
    assert_eq!(app.group_json(&groups[0]).await["status"], "failed-over");
    assert_eq!(app.group_json(&groups[100]).await["status"], "failed-over");
}

#[tokio::test]
async fn a_running_job_resumes_after_the_process_restarts() {
    let app = TestApp::new().await;
    let (group, _, _) = app.protected_group("resume").await;
    // The same file with realistic step times: the failover stops after its first step.
    let slow = app.restart(|config| config.time_scale = 1.0);
    let (status, submitted) =
        slow.post(&v1(&format!("/server-groups/{group}/action")), json!({"failover-server-group": {}})).await;
    assert_eq!(status, StatusCode::OK);
    let job_id = submitted["job_id"].as_str().unwrap().to_owned();
    let now = sdrs_server::now_millis();
    jobs::run_due(&slow.state.db, now).await.unwrap();
    let (_, job) = slow.get(&v1(&format!("/jobs/{job_id}"))).await;
    assert_eq!(job["status"], "RUNNING");

    let restarted = slow.restart(|_| {}); // the process "dies" here and starts again
    for minute in 1..=5 {
        jobs::run_due(&restarted.state.db, now + minute * 60_000).await.unwrap();
    }
    let (_, job) = restarted.get(&v1(&format!("/jobs/{job_id}"))).await;
    assert_eq!(job["status"], "SUCCESS", "{job}");
    assert_eq!(restarted.group_json(&group).await["status"], "failed-over");
}

struct Server {
    child: Child,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start(database: &std::path::Path, port: u16) -> Server {
    let child = Command::new(env!("CARGO_BIN_EXE_sdrs-server"))
        .args(["--demo", "--time-scale", "0.4", "--listen", &format!("127.0.0.1:{port}")])
        .arg("--database")
        .arg(database)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("the server binary starts");
    let server = Server { child };
    let deadline = Instant::now() + Duration::from_secs(60);
    while http(port, "GET", "/", "").is_none() {
        assert!(Instant::now() < deadline, "the server did not come up");
        std::thread::sleep(Duration::from_millis(50));
    }
    server
}

/// A minimal HTTP/1.1 client over loopback.
fn http(port: u16, method: &str, path: &str, body: &str) -> Option<(u16, Value)> {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).ok()?;
    stream.set_read_timeout(Some(Duration::from_secs(10))).ok()?;
    let request = format!(
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Auth-Token: {}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        demo::TOKEN,
        body.len()
    );
    stream.write_all(request.as_bytes()).ok()?;
    let mut response = String::new();
    stream.read_to_string(&mut response).ok()?;
    let status = response.split(' ').nth(1)?.parse().ok()?;
    let body = response.split_once("\r\n\r\n")?.1;
    Some((status, serde_json::from_str(body).unwrap_or(Value::Null)))
}

#[test]
fn kill_dash_nine_mid_failover_loses_nothing() {
    let database = std::env::temp_dir().join(format!("sdrs-kill-{}.db", uuid::Uuid::new_v4()));
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let mut server = start(&database, port);
    let p = demo::PROJECT;
    let (_, list) = http(port, "GET", &format!("/v1/{p}/server-groups?name=web-tier"), "").unwrap();
    let group = list["server_groups"][0]["id"].as_str().unwrap().to_owned();
    let (status, submitted) = http(
        port,
        "POST",
        &format!("/v1/{p}/server-groups/{group}/action"),
        &json!({"failover-server-group": {}}).to_string(),
    )
    .unwrap();
    assert_eq!(status, 200, "{submitted}");
    let job_id = submitted["job_id"].as_str().unwrap().to_owned();
    std::thread::sleep(Duration::from_millis(1500)); // mid-way: steps take 1.2 s each
    let (_, job) = http(port, "GET", &format!("/v1/{p}/jobs/{job_id}"), "").unwrap();
    assert_eq!(job["status"], "RUNNING", "killed mid-job: {job}");
    server.child.kill().unwrap(); // SIGKILL
    server.child.wait().unwrap();
    drop(server);

    let _restarted = start(&database, port);
    let deadline = Instant::now() + Duration::from_secs(30);
    let job = loop {
        let (_, job) = http(port, "GET", &format!("/v1/{p}/jobs/{job_id}"), "").unwrap();
        if job["status"] == "SUCCESS" || job["status"] == "FAIL" {
            break job;
        }
        assert!(Instant::now() < deadline, "the job never finished after the restart: {job}");
        std::thread::sleep(Duration::from_millis(100));
    };
    assert_eq!(job["status"], "SUCCESS", "{job}");
    let (_, group) = http(port, "GET", &format!("/v1/{p}/server-groups/{group}"), "").unwrap();
    assert_eq!(group["server_group"]["status"], "failed-over");
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", database.display()));
    }
}

/// **An answered commit survives power loss**: the writer and every pooled connection run `synchronous = FULL` (2),
/// not NORMAL, which in WAL mode may lose the last commits when the machine, not only the process, goes down.
// SQLite only: the `synchronous` pragma of each SQLite connection.
#[tokio::test(flavor = "multi_thread")]
async fn every_connection_commits_with_synchronous_full() {
    let app = TestApp::sqlite().await;
    let mut seen = Vec::new();
    // Ask more times than the pool has connections, all at once, so that more than one connection answers.
    let asks: Vec<_> = (0..16)
        .map(|_| {
            let db = app.state.db.clone();
            tokio::spawn(async move { db.synchronous().await })
        })
        .collect();
    for ask in asks {
        seen.push(ask.await.unwrap().unwrap());
    }
    let writer = app
        .state
        .db
        .sqlite()
        .expect("a SQLite test")
        .write_sqlite(|tx| Ok(tx.query_row("PRAGMA synchronous", [], |row| row.get::<_, i64>(0))?));
    seen.push(writer.await.unwrap());
    assert!(seen.iter().all(|level| *level == 2), "{seen:?}");
}

/// **kill -9 during group-committed batches loses no answered write and half-applies none**: 8 clients create
/// protection groups as fast as they can; the server is killed mid-stream. After a restart every answered job is
/// there, and every group that is there has its job (the worker finishes them all: none is stuck `creating`).
#[test]
fn kill_dash_nine_during_group_commits_keeps_every_answered_write() {
    let database = std::env::temp_dir().join(format!("sdrs-kill-batches-{}.db", uuid::Uuid::new_v4()));
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let mut server = start(&database, port);
    let p = demo::PROJECT;
    let clients: Vec<_> = (0..8)
        .map(|client| {
            std::thread::spawn(move || {
                let mut answered = Vec::new();
                for n in 0.. {
                    let body = json!({"server_group": {"name": format!("batch-{client}-{n}"),
                        "source_availability_zone": demo::SOURCE_AZ, "target_availability_zone": demo::TARGET_AZ,
                        "domain_id": demo::DOMAIN_ID, "source_vpc_id": demo::VPC_ID}});
                    match http(port, "POST", &format!("/v1/{p}/server-groups"), &body.to_string()) {
                        Some((200, job)) => answered.push(job["job_id"].as_str().unwrap().to_owned()),
                        Some((status, other)) => panic!("{status} {other}"),
                        None => return answered, // the server is gone
                    }
                }
                answered
            })
        })
        .collect();
    std::thread::sleep(Duration::from_millis(1500));
    server.child.kill().unwrap(); // SIGKILL, while the clients keep submitting
    server.child.wait().unwrap();
    drop(server);
    let answered: Vec<String> = clients.into_iter().flat_map(|client| client.join().unwrap()).collect();
    assert!(answered.len() > 20, "the clients got answers before the kill: {}", answered.len());

    let _restarted = start(&database, port);
    for job_id in &answered {
        let (status, job) = http(port, "GET", &format!("/v1/{p}/jobs/{job_id}"), "").unwrap();
        assert_eq!(status, 200, "an answered job is gone after kill -9: {job_id} {job}");
    }
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let (_, stuck) = http(port, "GET", &format!("/v1/{p}/server-groups?status=creating&limit=1"), "").unwrap();
        if stuck["count"] == 0 {
            break;
        }
        assert!(Instant::now() < deadline, "a group without its job stays creating: {stuck}");
        std::thread::sleep(Duration::from_millis(200));
    }
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", database.display()));
    }
}
