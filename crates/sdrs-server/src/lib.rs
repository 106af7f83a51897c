//! sdrs-server: an SDRS-compatible API server with durable jobs on SQLite. `router(state)` is the whole HTTP surface.

mod auth;
mod config;
pub mod demo;
mod error;
pub mod gateway;
pub mod jobs;
pub mod openapi;
pub mod resources;
pub mod routes;
pub mod store;

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use tokio::sync::Notify;

pub use config::{Config, Credentials};
pub use error::{ApiError, ApiResult};
use store::Db;

/// Everything a handler needs.
#[derive(Clone)]
pub struct AppState {
    pub db: Db,
    pub config: Arc<Config>,
    /// Wakes the job worker when a job is submitted.
    pub jobs_wake: Arc<Notify>,
    /// Set in gateway mode: the SDRS API is forwarded to a real endpoint instead of served from the database.
    pub gateway: Option<gateway::Gateway>,
}

impl AppState {
    /// Opens the database named in the configuration.
    pub fn open(config: Config) -> anyhow::Result<AppState> {
        let db = Db::open(&config.database)?;
        Ok(AppState { db, config: Arc::new(config), jobs_wake: Arc::new(Notify::new()), gateway: None })
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

/// Runs the server until Ctrl-C or SIGTERM: the HTTP listener and the job worker.
pub async fn serve(state: AppState, addr: SocketAddr) -> anyhow::Result<()> {
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let worker = tokio::spawn(jobs::worker(state.db.clone(), state.jobs_wake.clone(), stop_rx));
    let listener = tokio::net::TcpListener::bind(addr).await?;
    tracing::info!("listening on http://{}", listener.local_addr()?);
    axum::serve(listener, router(state)).with_graceful_shutdown(shutdown_signal()).await?;
    let _ = stop_tx.send(true);
    worker.await?;
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
