//! sdrs-server: an SDRS-compatible API server with durable jobs on SQLite. `router(state)` is the whole HTTP surface.

mod audit;
mod auth;
pub mod cli;
mod config;
pub mod demo;
mod error;
pub mod gateway;
pub mod jobs;
mod limits;
mod listener;
pub mod notify;
pub mod openapi;
pub mod ops;
pub mod plans;
mod replay;
pub mod resources;
pub mod routes;
pub mod store;

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use tokio::sync::Notify;

pub use config::{postgres_config, Config, Credentials, Database, Limits, PgTls};
pub use error::{ApiError, ApiResult, ServerCode};
use store::Db;

/// Everything a handler needs, behind one `Arc`: axum clones the state for every extractor and middleware of every
/// request, and cloning and dropping the parts themselves, a few dozen reference counts, was about a quarter of a
/// cached GET's CPU on PostgreSQL (perf). Reads go through `Deref`; a change (`state.gateway = …`, in `main` and the tests)
/// copies the parts first if they are shared (`Arc::make_mut`), so it never reaches another holder's state.
#[derive(Clone)]
pub struct AppState(Arc<AppStateParts>);

impl std::ops::Deref for AppState {
    type Target = AppStateParts;
    fn deref(&self) -> &AppStateParts {
        &self.0
    }
}

impl std::ops::DerefMut for AppState {
    fn deref_mut(&mut self) -> &mut AppStateParts {
        Arc::make_mut(&mut self.0)
    }
}

/// What an `AppState` holds.
#[derive(Clone)]
pub struct AppStateParts {
    pub db: Db,
    pub config: Arc<Config>,
    /// Wakes the job worker when a job is submitted.
    pub jobs_wake: Arc<Notify>,
    /// Wakes the recovery-plan executor when a run is started or commanded.
    pub plans_wake: Arc<Notify>,
    /// Set in gateway mode: the SDRS API is forwarded to a real endpoint instead of served from the database.
    pub gateway: Option<gateway::Gateway>,
    /// This process's name among the replicas of one database, for the leases it holds: `--replica`, else
    /// `Db::worker` (fixed on SQLite, random at each start on PostgreSQL).
    pub replica: Arc<str>,
    /// What `/metrics` reports.
    pub metrics: Arc<ops::Metrics>,
    /// Set once shutdown begins (`/readyz` then answers 503).
    pub stopping: ops::Stopping,
}

impl AppState {
    /// This state with another configuration (the same database, worker wake-ups and metrics).
    pub fn with_config(&self, config: Config) -> AppState {
        let mut state = self.clone();
        state.config = Arc::new(config);
        state
    }

    /// Opens the database named in the configuration.
    pub fn open(config: Config) -> anyhow::Result<AppState> {
        config.validate()?;
        let db = Db::open(&config.database)?;
        // Unnamed, a replica holds its leases under the name its database handle claims jobs under.
        let replica = config.replica.as_deref().unwrap_or(db.worker()).into();
        let metrics = Arc::new(ops::Metrics::new());
        db.count_reads_from_memory(metrics.hot_reads_from_memory.clone());
        db.read_groups_with(Arc::new(resources::read_groups_ahead));
        let observed = metrics.clone();
        db.observe_batches(Arc::new(move |operations, took| {
            observed.write_batch_size.observe(operations as f64);
            observed.write_commit_seconds.observe(took.as_secs_f64());
        }));
        Ok(AppState(Arc::new(AppStateParts {
            db,
            config: Arc::new(config),
            jobs_wake: Arc::new(Notify::new()),
            plans_wake: Arc::new(Notify::new()),
            gateway: None,
            replica,
            metrics,
            stopping: ops::Stopping::default(),
        })))
    }
}

/// The current time in Unix milliseconds. The only clock of the server; the core receives time as arguments.
pub fn now_millis() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_millis() as i64).unwrap_or(0)
}

/// The HTTP surface: the SDRS API, the admin API, the OpenAPI document and, when built, the console.
pub fn router(state: AppState) -> Router {
    routes::router(state)
}

/// Runs the server until Ctrl-C or SIGTERM: the HTTP listener and the job worker. Shutdown is bounded: open
/// requests get `limits.shutdown_grace`, the worker stops after its current batch (one short transaction; a step cut
/// short is simply run again after a restart), and then this returns.
pub async fn serve(state: AppState, addr: SocketAddr) -> anyhow::Result<()> {
    let listener = tokio::net::TcpListener::bind(addr).await?;
    serve_on(state, listener, shutdown_signal()).await
}

/// `serve` on a bound listener, stopping when `shutdown` completes instead of on a signal.
pub async fn serve_on(
    state: AppState,
    listener: tokio::net::TcpListener,
    shutdown: impl std::future::Future<Output = ()>,
) -> anyhow::Result<()> {
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let worker = tokio::spawn(jobs::worker(state.clone(), stop_rx.clone()));
    let executor = tokio::spawn(plans::executor::worker(state.clone(), state.plans_wake.clone(), stop_rx.clone()));
    let deliverer = tokio::spawn(notify::deliverer(state.clone(), stop_rx.clone()));
    let retention = tokio::spawn(ops::retention(state.clone(), stop_rx));
    tracing::info!("listening on http://{}", listener.local_addr()?);
    let limits = state.config.limits.clone();
    let stopping = state.stopping.clone();
    let shutdown = async move {
        shutdown.await;
        stopping.begin();
    };
    listener::serve(listener, router(state), &limits, shutdown).await?;
    let _ = stop_tx.send(true);
    if tokio::time::timeout(limits.shutdown_grace, worker).await.is_err() {
        tracing::warn!("the job worker did not stop within {} s", limits.shutdown_grace.as_secs());
    }
    if tokio::time::timeout(limits.shutdown_grace, executor).await.is_err() {
        tracing::warn!("the plan executor did not stop within {} s", limits.shutdown_grace.as_secs());
    }
    // Both only wait between rounds; a delivery cut short is attempted again (at least once).
    let _ = tokio::time::timeout(limits.shutdown_grace, deliverer).await;
    retention.abort();
    tracing::info!("stopped");
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        if let Ok(mut signal) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            signal.recv().await;
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = terminate => {} }
}
