//! sdrs-bench: seeds large datasets, serves a trivial axum baseline, and measures paging and mass failover in-process.

use std::path::PathBuf;
use std::time::Instant;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use clap::{Parser, Subcommand};
use http_body_util::BodyExt;
use tower::ServiceExt;

use sdrs_server::store::ListFilter;
use sdrs_server::{demo, jobs, now_millis, router, AppState, Config, Database};

/// The server binary's allocator, so that the in-process figures and the trivial baseline run on what it runs on.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
struct Args {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve `GET /trivial` answering a constant JSON object: the baseline.
    Trivial {
        #[arg(long)]
        listen: std::net::SocketAddr,
    },
    /// Add N protected groups (one instance, one pair each) to a database (a SQLite path or `postgres://…`); print
    /// their ids one per line.
    Seed {
        #[arg(long)]
        database: String,
        #[arg(long)]
        groups: usize,
    },
    /// Print the ids of the jobs in a database, one per line (read while the server runs: WAL readers do not block).
    JobIds {
        #[arg(long)]
        database: PathBuf,
    },
    /// The disk's durable single-transaction ceiling: one small insert per transaction, SQLite WAL with
    /// `synchronous = FULL`, one thread, for SECONDS; prints `durable_commits_per_second=N`.
    Ceiling {
        #[arg(long)]
        database: PathBuf,
        #[arg(long, default_value_t = 3.0)]
        seconds: f64,
    },
    /// An open-loop load at a fixed rate: a request every 1/RATE s whether or not earlier ones were answered, each
    /// timed from when it was due (so a stall is counted, not hidden). `{id}` in PATH takes a random line of IDS.
    Rate {
        #[arg(long)]
        base: String,
        #[arg(long)]
        path: String,
        #[arg(long)]
        ids: Option<PathBuf>,
        #[arg(long)]
        rate: f64,
        #[arg(long, default_value_t = 10.0)]
        seconds: f64,
    },
    /// A recovery plan over GROUPS protected groups in STAGES stages, run as a failover at time scale zero,
    /// in-process (the executor and the job worker in turn); prints how long it took.
    Plan {
        #[arg(long, default_value_t = 1000)]
        groups: usize,
        #[arg(long, default_value_t = 10)]
        stages: usize,
        /// A PostgreSQL server (`postgres://USER@HOST:PORT`, no database) to run on instead of a SQLite file; a
        /// new database is made there.
        #[arg(long)]
        postgres: Option<String>,
    },
    /// Measure paging through N groups and M simultaneous failovers at time scale zero, in-process.
    Inproc {
        #[arg(long, default_value_t = 100_000)]
        groups: usize,
        #[arg(long, default_value_t = 10_000)]
        failovers: usize,
        /// As for `plan`.
        #[arg(long)]
        postgres: Option<String>,
    },
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    match Args::parse().command {
        Command::Trivial { listen } => {
            let app = axum::Router::new().route(
                "/trivial",
                axum::routing::get(|| async {
                    axum::Json(serde_json::json!({"job_id": "ff8080826adfae02016ae2d123fc05ed"}))
                }),
            );
            axum::serve(tokio::net::TcpListener::bind(listen).await?, app).await?;
        }
        Command::Seed { database, groups } => {
            let state = open(Database::parse(&database)?, 1.0).await?;
            for id in demo::seed_bulk(&state, groups, true).await? {
                println!("{id}");
            }
        }
        Command::JobIds { database } => {
            let conn = rusqlite::Connection::open(database)?;
            let mut statement = conn.prepare("SELECT job_id FROM jobs")?;
            for id in statement.query_map([], |row| row.get::<_, String>(0))? {
                println!("{}", id?);
            }
        }
        Command::Ceiling { database, seconds } => ceiling(&database, seconds)?,
        Command::Rate { base, path, ids, rate, seconds } => fixed_rate(&base, &path, ids, rate, seconds).await?,
        Command::Inproc { groups, failovers, postgres } => inproc(groups, failovers, postgres.as_deref()).await?,
        Command::Plan { groups, stages, postgres } => plan_run(groups, stages, postgres.as_deref()).await?,
    }
    Ok(())
}

async fn open(database: impl Into<Database>, time_scale: f64) -> anyhow::Result<AppState> {
    let mut config = Config::new(database);
    config.time_scale = time_scale;
    demo::add_credentials(&mut config);
    let state = AppState::open(config)?;
    demo::install_domain(&state).await?;
    Ok(state)
}

#[derive(serde::Deserialize)]
struct Page {
    server_groups: Vec<serde::de::IgnoredAny>,
}

async fn call(
    app: &axum::Router,
    method: &str,
    path: &str,
    body: &str,
) -> anyhow::Result<(StatusCode, serde_json::Value)> {
    let (status, bytes) = call_bytes(app, method, path, body).await?;
    Ok((status, serde_json::from_slice(&bytes).unwrap_or_default()))
}

async fn call_bytes(
    app: &axum::Router,
    method: &str,
    path: &str,
    body: &str,
) -> anyhow::Result<(StatusCode, axum::body::Bytes)> {
    let request = Request::builder()
        .method(method)
        .uri(path)
        .header("x-auth-token", demo::TOKEN)
        .body(Body::from(body.to_owned()))?;
    // The router is built once per state, as the server does (building it generates the OpenAPI document).
    let response = app.clone().oneshot(request).await?;
    let status = response.status();
    Ok((status, response.into_body().collect().await?.to_bytes()))
}

/// A new database for one measurement: a file in `dir`, or a database made on the PostgreSQL server `postgres`.
async fn new_database(dir: &std::path::Path, label: &str, postgres: Option<&str>) -> anyhow::Result<Database> {
    let Some(server) = postgres else { return Ok(Database::Sqlite(dir.join(format!("{label}.db")))) };
    let name = format!("sdrs_bench_{label}_{}", std::process::id());
    let (client, connection) = tokio_postgres::connect(&format!("{server}/postgres"), tokio_postgres::NoTls).await?;
    let connection = tokio::spawn(connection);
    // Two statements, not one batch: CREATE DATABASE refuses to run inside the batch's implicit transaction.
    client.batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).await?;
    client.batch_execute(&format!("CREATE DATABASE {name}")).await?;
    drop(client);
    connection.await??;
    Ok(Database::Postgres(format!("{server}/{name}")))
}

async fn inproc(groups: usize, failovers: usize, postgres: Option<&str>) -> anyhow::Result<()> {
    let dir = std::env::temp_dir().join(format!("sdrs-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;

    // Paging through `groups` groups, 1,000 per page, as a client would.
    let state = open(new_database(&dir, "paging", postgres).await?, 0.0).await?;
    let started = Instant::now();
    demo::seed_bulk(&state, groups, false).await?;
    let seeded = started.elapsed();
    let app = router(state.clone());
    let started = Instant::now();
    let mut seen = 0usize;
    let mut offset = 0usize;
    let mut page_times = Vec::new();
    loop {
        let page_started = Instant::now();
        let (status, bytes) =
            call_bytes(&app, "GET", &format!("/v1/{}/server-groups?limit=1000&offset={offset}", demo::PROJECT), "")
                .await?;
        page_times.push(page_started.elapsed());
        anyhow::ensure!(status == StatusCode::OK, "paging answered {status}");
        // Counted without building a JSON tree: the figure is the server's, not a client's decoding.
        let count = serde_json::from_slice::<Page>(&bytes)?.server_groups.len();
        if count == 0 {
            break;
        }
        seen += count;
        offset += count;
    }
    let paging = started.elapsed();
    anyhow::ensure!(seen == groups, "paged {seen} of {groups} groups");
    println!("paging_groups={groups}");
    println!("paging_seconds={:.3}", paging.as_secs_f64());
    // The last full page: its cost against the first one's shows whether a page costs more the deeper it is.
    let last_full = page_times.len().saturating_sub(2);
    println!("paging_first_page_ms={:.2}", page_times[0].as_secs_f64() * 1000.0);
    println!("paging_last_page_ms={:.2}", page_times[last_full].as_secs_f64() * 1000.0);
    println!("paging_seed_seconds={:.3}", seeded.as_secs_f64());

    // `failovers` simultaneous failovers at time scale zero.
    let state = open(new_database(&dir, "failover", postgres).await?, 0.0).await?;
    let ids = demo::seed_bulk(&state, failovers, true).await?;
    let started = Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    let app = router(state.clone());
    for chunk in ids.chunks(ids.len().div_ceil(64).max(1)) {
        let chunk = chunk.to_vec();
        let app = app.clone();
        tasks.spawn(async move {
            let mut accepted = 0;
            for id in chunk {
                let path = format!("/v1/{}/server-groups/{id}/action", demo::PROJECT);
                let (status, _) = call(&app, "POST", &path, r#"{"failover-server-group": {}}"#).await?;
                accepted += usize::from(status == StatusCode::OK);
            }
            anyhow::Ok(accepted)
        });
    }
    let mut accepted = 0;
    while let Some(result) = tasks.join_next().await {
        accepted += result??;
    }
    let submitted = started.elapsed();
    anyhow::ensure!(accepted == failovers, "{accepted} of {failovers} failovers accepted");
    let started = Instant::now();
    let finished = jobs::run_due(&state.db, now_millis()).await.map_err(|e| anyhow::anyhow!("{e}"))?;
    let ran = started.elapsed();
    let failed_over = state
        .db
        .call(|store| {
            let failed_over = ListFilter { status: Some("failed-over".to_owned()), limit: 1, ..ListFilter::default() };
            Ok(store.list_bodies(demo::PROJECT, "server_group", &failed_over)?.1)
        })
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    anyhow::ensure!(failed_over as usize == failovers && finished == failovers, "{failed_over} groups failed over");
    println!("failovers={failovers}");
    println!("failover_submit_seconds={:.3}", submitted.as_secs_f64());
    println!("failover_jobs_seconds={:.3}", ran.as_secs_f64());
    println!("failover_jobs_per_second={:.0}", failovers as f64 / ran.as_secs_f64());
    std::fs::remove_dir_all(&dir)?;
    Ok(())
}

fn ceiling(database: &std::path::Path, seconds: f64) -> anyhow::Result<()> {
    let conn = rusqlite::Connection::open(database)?;
    conn.execute_batch(
        "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL;
         CREATE TABLE IF NOT EXISTS ceiling (id INTEGER PRIMARY KEY, body TEXT NOT NULL);",
    )?;
    let started = Instant::now();
    let mut commits = 0u64;
    while started.elapsed().as_secs_f64() < seconds {
        conn.execute("INSERT INTO ceiling (body) VALUES (?1)", ["{\"job_id\": \"ff8080826adfae02016ae2d123fc05ed\"}"])?;
        commits += 1;
    }
    println!("durable_commits_per_second={:.0}", commits as f64 / started.elapsed().as_secs_f64());
    Ok(())
}

/// A small xorshift: random ids without a dependency.
struct Xorshift(u64);

impl Xorshift {
    fn next(&mut self, bound: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % bound as u64) as usize
    }
}

async fn fixed_rate(base: &str, path: &str, ids: Option<PathBuf>, rate: f64, seconds: f64) -> anyhow::Result<()> {
    let ids: Vec<String> = match ids {
        Some(file) => std::fs::read_to_string(file)?.lines().map(str::to_owned).collect(),
        None => vec![String::new()],
    };
    anyhow::ensure!(!ids.is_empty() && rate > 0.0, "ids and a positive rate are needed");
    let client = reqwest::Client::builder().pool_max_idle_per_host(256).build()?;
    let interval = std::time::Duration::from_secs_f64(1.0 / rate);
    let total = (rate * seconds) as u64;
    let mut random = Xorshift(0x9E37_79B9_7F4A_7C15);
    let started = tokio::time::Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    for n in 0..total {
        let due = started + interval.mul_f64(n as f64);
        tokio::time::sleep_until(due).await;
        let url = format!("{base}{}", path.replace("{id}", &ids[random.next(ids.len())]));
        let request = client.get(url).header("x-auth-token", demo::TOKEN);
        tasks.spawn(async move {
            let ok = matches!(request.send().await, Ok(response) if response.status().is_success());
            (ok, due.elapsed())
        });
    }
    let mut latencies = Vec::with_capacity(total as usize);
    let mut failed = 0u64;
    while let Some(joined) = tasks.join_next().await {
        let (ok, latency) = joined?;
        failed += u64::from(!ok);
        latencies.push(latency.as_secs_f64() * 1000.0);
    }
    latencies.sort_by(f64::total_cmp);
    let quantile = |q: f64| latencies[((latencies.len() - 1) as f64 * q) as usize];
    println!("rate={rate:.0} sent={total} failed={failed}");
    println!("p50_ms={:.2} p99_ms={:.2} max_ms={:.2}", quantile(0.5), quantile(0.99), quantile(1.0));
    Ok(())
}

/// Runs a failover plan over `groups` groups in `stages` stages to its end; prints the wall time and the report's.
async fn plan_run(groups: usize, stages: usize, postgres: Option<&str>) -> anyhow::Result<()> {
    let dir = std::env::temp_dir().join(format!("sdrs-bench-plan-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let state = open(new_database(&dir, "plan", postgres).await?, 0.0).await?;
    let ids = demo::seed_bulk(&state, groups, true).await?;
    let app = router(state.clone());
    let per_stage = ids.len().div_ceil(stages.max(1));
    let stage_list: Vec<serde_json::Value> = ids
        .chunks(per_stage.max(1))
        .map(|chunk| serde_json::json!({"type": "groups", "groups": chunk.iter().map(|id| serde_json::json!({"server_group_id": id})).collect::<Vec<_>>()}))
        .collect();
    let base = format!("/orchestration/v1/{}", demo::PROJECT);
    let body = serde_json::json!({"recovery_plan": {"name": "bench-plan", "stages": stage_list}}).to_string();
    let (status, created) = call(&app, "POST", &format!("{base}/recovery-plans"), &body).await?;
    anyhow::ensure!(status == StatusCode::CREATED, "creating the plan answered {status}: {created}");
    let plan = created["recovery_plan"]["id"].as_str().unwrap_or_default().to_owned();
    let started = Instant::now();
    let start = r#"{"mode": "failover", "confirm": "bench-plan", "plan_version": 1}"#;
    let (status, run) = call(&app, "POST", &format!("{base}/recovery-plans/{plan}/runs"), start).await?;
    anyhow::ensure!(status == StatusCode::CREATED, "starting the run answered {status}: {run}");
    let checked = started.elapsed();
    let run = run["run"]["id"].as_str().unwrap_or_default().to_owned();
    let orchestrator = sdrs_server::plans::Orchestrator::for_state(&state);
    let status = loop {
        jobs::run_due(&state.db, sdrs_server::now_millis()).await.map_err(|e| anyhow::anyhow!("{e}"))?;
        sdrs_server::plans::executor::run_due(&state, &orchestrator).await.map_err(|e| anyhow::anyhow!("{e}"))?;
        let (_, body) = call(&app, "GET", &format!("{base}/plan-runs/{run}"), "").await?;
        let status = body["run"]["status"].as_str().unwrap_or_default().to_owned();
        if status != "running" {
            break status;
        }
        anyhow::ensure!(started.elapsed().as_secs() < 600, "the plan run did not finish in 10 minutes");
    };
    let elapsed = started.elapsed();
    let (_, report) = call(&app, "GET", &format!("{base}/plan-runs/{run}/report"), "").await?;
    anyhow::ensure!(status == "succeeded", "the plan run ended `{status}`");
    println!("plan_groups={groups}");
    println!("plan_stages={stages}");
    println!("plan_check_and_start_seconds={:.3}", checked.as_secs_f64());
    println!("plan_run_seconds={:.3}", elapsed.as_secs_f64());
    println!("plan_report_total_seconds={:.3}", report["total_millis"].as_f64().unwrap_or(0.0) / 1000.0);
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}
