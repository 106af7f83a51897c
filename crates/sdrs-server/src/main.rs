//! The sdrs-server binary: the command line (`cli`), then serve or copy a database.

use sdrs_server::cli::{self, Startup};
use sdrs_server::{demo, AppState};

/// mimalloc: a request allocates and frees many small buffers across threads, where glibc's malloc spent a fifth of
/// a cached GET's CPU (perf, PostgreSQL, wrk -c64).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> anyhow::Result<()> {
    let startup = cli::from_env()?;
    let json = matches!(&startup, Startup::Serve(serve) if serve.log_format == cli::LogFormat::Json);
    sdrs_server::ops::init_logging(json);
    sdrs_server::ops::raise_open_files_limit();
    // Blocking threads serve lists from a pool of 8 connections: more would only wait on the pool, and each thread
    // may hold a malloc arena of its own (the soak's RSS grew with them).
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().max_blocking_threads(16).build()?;
    let result = runtime.block_on(run(startup));
    // A database call still on the blocking pool after the grace period is abandoned; SQLite rolls back what it
    // did not commit, and jobs resume from their last committed step.
    runtime.shutdown_timeout(std::time::Duration::from_secs(2));
    result
}

async fn run(startup: Startup) -> anyhow::Result<()> {
    let serve = match startup {
        Startup::CopyDatabase { from, to } => {
            let (source, target) = (sdrs_server::store::Db::open(&from)?, sdrs_server::store::Db::open(&to)?);
            let copied = sdrs_server::store::copy_database(&source, &target).await?;
            println!(
                "copied {from:?} to {to:?}: {} resources, {} jobs, {} task-centre entries, {} faults, {} domains, {} console sessions",
                copied.resources, copied.jobs, copied.failure_jobs, copied.faults, copied.domains, copied.sessions
            );
            return Ok(());
        }
        Startup::Serve(serve) => *serve,
    };
    let mut state = AppState::open(serve.config)?;
    if let Some(gateway) = serve.gateway {
        let upstream = gateway.upstream.clone();
        state.gateway = Some(sdrs_server::gateway::Gateway::new(gateway)?);
        println!(
            "Gateway mode: forwarding the SDRS API to {upstream}; the console logs in with the configured secret."
        );
    }
    if serve.demo {
        if demo::seed(&state).await? {
            println!("Seeded the demo dataset.");
        }
        println!(
            "Demo project: {}\n  X-Auth-Token: {}\n  AK/SK: {} / {}\n  Admin API X-Admin-Token: {}\n  Console: http://{}/",
            demo::PROJECT,
            demo::TOKEN,
            demo::ACCESS_KEY,
            demo::SECRET_KEY,
            demo::ADMIN_TOKEN,
            serve.listen
        );
    }
    if let Some(address) = serve.metrics_listen {
        let listener = tokio::net::TcpListener::bind(address).await?;
        println!("Metrics, health and readiness also on http://{address}/");
        tokio::spawn(sdrs_server::ops::serve_operating(state.clone(), listener));
    }
    sdrs_server::serve(state, serve.listen).await
}
