//! A fresh server per test: its own database file, the demo's domain, helpers to call it and run its jobs.

use std::path::PathBuf;

use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use http_body_util::BodyExt;
use serde_json::{json, Value};
use tower::ServiceExt;

use sdrs_server::{demo, jobs, now_millis, router, AppState, Config, Credentials, Database};

pub const P: &str = demo::PROJECT;
pub const OTHER: &str = "0000000000000000000000000000beef";

pub struct TestApp {
    pub state: AppState,
    /// The database this app owns and removes when dropped; `None` for a view made by `with_config`.
    path: Option<Owned>,
}

/// A test's own database: a SQLite file, or a PostgreSQL database made for it.
pub enum Owned {
    Sqlite(PathBuf),
    Postgres { server: String, name: String },
}

/// The PostgreSQL server the suite runs against instead of SQLite (`postgres://USER@HOST:PORT`, no database), as
/// `scripts/test` sets it for the suite's second pass; unset, every test app is a SQLite file.
pub fn test_postgres() -> Option<String> {
    std::env::var("SDRS_TEST_POSTGRES").ok().filter(|url| !url.is_empty())
}

/// Runs SQL on the test server's `postgres` database, on a thread of its own (tests call this from async code).
fn admin_sql(server: &str, sql: String) {
    let url = format!("{server}/postgres");
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        runtime.block_on(async move {
            let (client, connection) =
                tokio_postgres::connect(&url, tokio_postgres::NoTls).await.expect("the test PostgreSQL");
            let connection = tokio::spawn(connection);
            client.batch_execute(&sql).await.unwrap_or_else(|error| panic!("{sql}: {error}"));
            drop(client);
            let _ = connection.await;
        });
    })
    .join()
    .unwrap();
}

impl Owned {
    /// A new, empty database of the suite's backend; `label` names SQLite files (`sqlite` forces SQLite).
    pub fn fresh(label: &str, sqlite: bool) -> Owned {
        match test_postgres() {
            Some(server) if !sqlite => {
                let name = format!("sdrs_test_{}", uuid::Uuid::new_v4().simple());
                admin_sql(&server, format!("CREATE DATABASE {name}"));
                Owned::Postgres { server, name }
            }
            _ => Owned::Sqlite(std::env::temp_dir().join(format!("sdrs-{label}-{}.db", uuid::Uuid::new_v4()))),
        }
    }

    pub fn database(&self) -> Database {
        match self {
            Owned::Sqlite(path) => Database::Sqlite(path.clone()),
            Owned::Postgres { server, name } => Database::Postgres(format!("{server}/{name}")),
        }
    }
}

impl Drop for Owned {
    fn drop(&mut self) {
        match self {
            Owned::Sqlite(path) => {
                for suffix in ["", "-wal", "-shm", "-lock"] {
                    let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
                }
            }
            Owned::Postgres { server, name } => {
                admin_sql(server, format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
            }
        }
    }
}

pub fn v1(path: &str) -> String {
    format!("/v1/{P}{path}")
}

pub fn admin(path: &str) -> String {
    format!("/admin/v1/{P}{path}")
}

impl TestApp {
    /// A fresh server on the suite's backend (SQLite, or PostgreSQL on the second pass).
    pub async fn new() -> TestApp {
        TestApp::on(Owned::fresh("test", false)).await
    }

    /// A fresh server on SQLite whichever the suite's backend: for what only SQLite has (its file, its single
    /// writer's batches, its lock, its in-process read cache).
    pub async fn sqlite() -> TestApp {
        TestApp::on(Owned::fresh("test", true)).await
    }

    async fn on(path: Owned) -> TestApp {
        let mut config = Config::new(path.database());
        // A fixed name, so that a `restart` resumes the leases of the state it replaces, as a restarted replica does.
        config.replica = Some("test-replica-1".to_owned());
        config.time_scale = 0.0;
        demo::add_credentials(&mut config);
        config
            .projects
            .insert(OTHER.to_owned(), Credentials { tokens: vec!["other-token".to_owned()], access_keys: vec![] });
        let state = AppState::open(config).unwrap();
        demo::install_domain(&state).await.unwrap();
        TestApp { state, path: Some(path) }
    }

    /// The process "restarts": this state is closed (its lock on the file too), and a new one opens the same file,
    /// under a configuration `adjust` may change.
    pub fn restart(self, adjust: impl FnOnce(&mut Config)) -> TestApp {
        let mut config = (*self.state.config).clone();
        adjust(&mut config);
        let TestApp { state, path } = self;
        drop(state);
        TestApp { state: AppState::open(config).unwrap(), path }
    }

    /// The state and the database it owns, apart (to close the state and keep the database).
    pub fn into_parts(self) -> (AppState, Option<Owned>) {
        (self.state, self.path)
    }

    /// A test app over a state opened on a database the test made.
    pub fn adopt(state: AppState, database: Owned) -> TestApp {
        TestApp { state, path: Some(database) }
    }

    /// A second replica: another server state opened on this app's PostgreSQL database (it owns nothing).
    pub fn replica(&self) -> TestApp {
        let mut config = (*self.state.config).clone();
        config.replica = Some("test-replica-2".to_owned());
        TestApp { state: AppState::open(config).unwrap(), path: None }
    }

    /// The same database and caches under a changed configuration (the original keeps the file).
    pub fn with_config(&self, adjust: impl FnOnce(&mut Config)) -> TestApp {
        let mut config = (*self.state.config).clone();
        adjust(&mut config);
        TestApp { state: self.state.with_config(config), path: None }
    }

    /// A request with explicit headers; the body is sent as given.
    pub async fn raw(&self, method: Method, path: &str, body: &str, headers: &[(&str, &str)]) -> (StatusCode, Value) {
        let mut builder = Request::builder().method(method).uri(path);
        for (name, value) in headers {
            builder = builder.header(*name, *value);
        }
        let response =
            router(self.state.clone()).oneshot(builder.body(Body::from(body.to_owned())).unwrap()).await.unwrap();
        let status = response.status();
        assert!(response.headers().contains_key("x-request-id"), "every response carries X-Request-Id");
        let bytes = response.into_body().collect().await.unwrap().to_bytes();
        let value = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&bytes).unwrap_or(Value::String(String::from_utf8_lossy(&bytes).into()))
        };
        (status, value)
    }

    pub async fn call(&self, method: Method, path: &str, body: Option<Value>) -> (StatusCode, Value) {
        let body = body.map(|b| b.to_string()).unwrap_or_default();
        let headers =
            [("x-auth-token", demo::TOKEN), ("x-admin-token", demo::ADMIN_TOKEN), ("content-type", "application/json")];
        self.raw(method, path, &body, &headers).await
    }

    pub async fn get(&self, path: &str) -> (StatusCode, Value) {
        self.call(Method::GET, path, None).await
    }

    pub async fn post(&self, path: &str, body: Value) -> (StatusCode, Value) {
        self.call(Method::POST, path, Some(body)).await
    }

    /// Asserts an SDRS error with the given status and code.
    #[track_caller]
    pub fn expect_error(response: &(StatusCode, Value), status: u16, code: &str) {
        assert_eq!(response.0.as_u16(), status, "{}", response.1);
        assert_eq!(response.1["error"]["code"], code, "{}", response.1);
        assert!(response.1["error"]["message"].as_str().is_some_and(|m| !m.is_empty()));
    }

    pub async fn run_jobs(&self) {
        jobs::run_due(&self.state.db, now_millis()).await.unwrap();
    }

    /// Submits a job, runs it, returns the finished job.
    pub async fn job(&self, method: Method, path: &str, body: Option<Value>) -> Value {
        let (status, submitted) = self.call(method, path, body).await;
        assert_eq!(status, StatusCode::OK, "{submitted}");
        let job_id = submitted["job_id"].as_str().expect("a job id").to_owned();
        assert_eq!(job_id.len(), 32, "job ids are 32 hex characters");
        self.run_jobs().await;
        let (status, job) = self.get(&v1(&format!("/jobs/{job_id}"))).await;
        assert_eq!(status, StatusCode::OK);
        job
    }

    pub async fn server(&self, id: &str, os: Value, login: &str) {
        let (status, body) = self
            .post(
                &admin("/servers"),
                json!({"id": id, "name": format!("name-{id}"), "availability_zone": demo::SOURCE_AZ,
                       "vpc_id": demo::VPC_ID, "os": os, "login": login}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        let (status, body) = self
            .post(
                &admin("/disks"),
                json!({"id": format!("{id}-disk"), "name": "d", "size_gb": 10, "availability_zone": demo::SOURCE_AZ,
                       "status": "in-use", "server_id": id}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
    }

    pub async fn group(&self, name: &str) -> String {
        let job = self
            .job(
                Method::POST,
                &v1("/server-groups"),
                Some(json!({"server_group": {"name": name, "source_availability_zone": demo::SOURCE_AZ,
                    "target_availability_zone": demo::TARGET_AZ, "domain_id": demo::DOMAIN_ID,
                    "source_vpc_id": demo::VPC_ID}})),
            )
            .await;
        assert_eq!(job["status"], "SUCCESS", "{job}");
        job["entities"]["server_group_id"].as_str().unwrap().to_owned()
    }

    /// Instance + pair + attach for a fresh Linux server; returns (instance id, pair id).
    pub async fn protect(&self, group: &str, server: &str) -> (String, String) {
        self.server(server, json!({"family": "linux", "coreos": false, "cloud_init": false}), "key-pair").await;
        let job = self
            .job(
                Method::POST,
                &v1("/protected-instances"),
                Some(json!({"protected_instance": {"server_group_id": group, "server_id": server, "name": server}})),
            )
            .await;
        assert_eq!(job["status"], "SUCCESS", "{job}");
        let instance = job["entities"]["protected_instance_id"].as_str().unwrap().to_owned();
        let job = self
            .job(
                Method::POST,
                &v1("/replications"),
                Some(json!({"replication": {"server_group_id": group, "volume_id": format!("{server}-disk"), "name": format!("{server}-rp")}})),
            )
            .await;
        assert_eq!(job["status"], "SUCCESS", "{job}");
        let pair = job["entities"]["replication_pair_id"].as_str().unwrap().to_owned();
        let job = self
            .job(
                Method::POST,
                &v1(&format!("/protected-instances/{instance}/attachreplication")),
                Some(json!({"replicationAttachment": {"replication_id": pair, "device": "/dev/vda"}})),
            )
            .await;
        assert_eq!(job["status"], "SUCCESS", "{job}");
        (instance, pair)
    }

    /// A protected group with one protected server.
    pub async fn protected_group(&self, name: &str) -> (String, String, String) {
        let group = self.group(name).await;
        let (instance, pair) = self.protect(&group, &format!("{name}-srv")).await;
        let job = self.action(&group, json!({"start-server-group": {}})).await;
        assert_eq!(job["status"], "SUCCESS", "{job}");
        (group, instance, pair)
    }

    pub async fn action(&self, group: &str, body: Value) -> Value {
        self.job(Method::POST, &v1(&format!("/server-groups/{group}/action")), Some(body)).await
    }

    pub async fn group_json(&self, group: &str) -> Value {
        let (status, body) = self.get(&v1(&format!("/server-groups/{group}"))).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        body["server_group"].clone()
    }
}

/// A recovery plan's current version, which a run's start confirms.
pub async fn plan_version(app: &TestApp, plan: &str) -> u64 {
    let (status, body) = app.get(&format!("/orchestration/v1/{P}/recovery-plans/{plan}")).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body["recovery_plan"]["version"].as_u64().expect("a plan has a version")
}
