//! The sdrs-server binary: the command line (`cli`), then serve or copy a database.

use sdrs_server::cli::{self, Startup};
use sdrs_server::{demo, AppState};

fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()))
        .init();
    let startup = cli::from_env()?;
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
    sdrs_server::serve(state, serve.listen).await
}
