//! Operating the server: `GET /healthz` (the process answers), `GET /readyz` (it can serve: migrated, the database
//! answers within a second, not shutting down) and `GET /metrics` (the Prometheus text format).
//!
//! The metrics are `prometheus-client` families in one registry per server state (`Metrics`): counters and histograms
//! are moved where things happen (a request answered, a job accepted or finished, a write batch committed, an upstream
//! call), and what is a fact of the database (jobs due, plan runs by status, gates waiting) is read when scraped, so
//! every replica reports the same shared facts and its own work.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::extract::{MatchedPath, Request, State};
use axum::http::{header, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::Json;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::registry::Registry;
use serde_json::json;

use crate::AppState;

/// How long the readiness check waits for the database.
const READY_WITHIN: Duration = Duration::from_secs(1);

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RequestLabels {
    /// The route's path template (`/v1/{project_id}/server-groups/{server_group_id}`), or `unmatched`.
    pub operation: String,
    pub method: String,
    pub status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct OperationLabels {
    pub operation: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct JobLabels {
    pub job_type: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct JobEndLabels {
    pub job_type: String,
    pub status: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct StatusLabels {
    pub status: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct UpstreamLabels {
    pub service: String,
    pub status: String,
}

/// Every metric of one server state.
pub struct Metrics {
    registry: Registry,
    pub requests: Family<RequestLabels, Counter>,
    pub request_seconds: Family<OperationLabels, Histogram>,
    pub jobs_accepted: Family<JobLabels, Counter>,
    pub jobs_finished: Family<JobEndLabels, Counter>,
    pub job_seconds: Family<JobEndLabels, Histogram>,
    /// By the step's own type (`stopProductionServers`, …) and status.
    pub step_seconds: Family<JobEndLabels, Histogram>,
    pub write_batch_size: Histogram,
    pub write_commit_seconds: Histogram,
    pub upstream_calls: Family<UpstreamLabels, Counter>,
    pub webhook_deliveries: Family<StatusLabels, Counter>,
    jobs_due: Gauge,
    oldest_due_seconds: Gauge<f64, std::sync::atomic::AtomicU64>,
    plan_runs: Family<StatusLabels, Gauge>,
    gates_waiting: Gauge,
    pool_in_use: Gauge,
    pub hot_reads_from_memory: Counter,
    pub leases_held: Gauge,
    pub ready: Gauge,
}

fn latency() -> Histogram {
    Histogram::new(exponential_buckets(0.000_5, 2.0, 16))
}

impl Metrics {
    pub fn new() -> Metrics {
        let mut registry = Registry::with_prefix("sdrs");
        let metrics = Metrics {
            requests: Family::default(),
            request_seconds: Family::new_with_constructor(latency),
            jobs_accepted: Family::default(),
            jobs_finished: Family::default(),
            job_seconds: Family::new_with_constructor(|| Histogram::new(exponential_buckets(0.1, 2.0, 16))),
            step_seconds: Family::new_with_constructor(|| Histogram::new(exponential_buckets(0.05, 2.0, 16))),
            write_batch_size: Histogram::new(exponential_buckets(1.0, 2.0, 10)),
            write_commit_seconds: latency(),
            upstream_calls: Family::default(),
            webhook_deliveries: Family::default(),
            jobs_due: Gauge::default(),
            oldest_due_seconds: Gauge::default(),
            plan_runs: Family::default(),
            gates_waiting: Gauge::default(),
            pool_in_use: Gauge::default(),
            hot_reads_from_memory: Counter::default(),
            leases_held: Gauge::default(),
            ready: Gauge::default(),
            registry: Registry::default(),
        };
        registry.register("http_requests", "Requests answered, by route, method and status", metrics.requests.clone());
        registry.register(
            "http_request_duration_seconds",
            "Time to answer a request, by route",
            metrics.request_seconds.clone(),
        );
        registry.register("jobs_accepted", "Jobs accepted, by type", metrics.jobs_accepted.clone());
        registry.register("jobs_finished", "Jobs ended, by type and final status", metrics.jobs_finished.clone());
        registry.register(
            "job_duration_seconds",
            "Time from a job's start to its end, by type and final status",
            metrics.job_seconds.clone(),
        );
        registry.register(
            "job_step_duration_seconds",
            "Time a job's step took, by the step's type and status (observed when its job ends)",
            metrics.step_seconds.clone(),
        );
        registry.register("jobs_due", "Unfinished jobs whose next step is due now", metrics.jobs_due.clone());
        registry.register(
            "jobs_oldest_due_age_seconds",
            "How long the longest-waiting due job has waited",
            metrics.oldest_due_seconds.clone(),
        );
        registry.register("plan_runs", "Recovery-plan runs, by status", metrics.plan_runs.clone());
        registry.register(
            "plan_gates_waiting",
            "Runs waiting for a person to confirm a gate",
            metrics.gates_waiting.clone(),
        );
        registry.register(
            "write_batch_operations",
            "Write operations committed together, per batch",
            metrics.write_batch_size.clone(),
        );
        registry.register(
            "write_batch_commit_seconds",
            "Time to run and commit one write batch",
            metrics.write_commit_seconds.clone(),
        );
        registry.register("database_pool_in_use", "Database connections in use now", metrics.pool_in_use.clone());
        registry.register(
            "leases_held",
            "Leases this replica holds (the recovery-plan executor's)",
            metrics.leases_held.clone(),
        );
        registry.register(
            "gateway_upstream_calls",
            "Calls forwarded upstream in gateway mode, by service and status",
            metrics.upstream_calls.clone(),
        );
        registry.register(
            "webhook_deliveries",
            "Webhook delivery attempts, by outcome",
            metrics.webhook_deliveries.clone(),
        );
        registry.register(
            "hot_reads_from_memory",
            "Reads of a group or a job answered from this replica's memory, current as of the request",
            metrics.hot_reads_from_memory.clone(),
        );
        registry.register("ready", "1 when /readyz answers 200", metrics.ready.clone());
        Metrics { registry, ..metrics }
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics::new()
    }
}

/// Set when the server begins to shut down: `/readyz` then says so, and a load balancer stops sending.
#[derive(Clone, Default)]
pub struct Stopping(Arc<AtomicBool>);

impl Stopping {
    pub fn begin(&self) {
        self.0.store(true, Ordering::SeqCst);
    }

    pub fn is_set(&self) -> bool {
        self.0.load(Ordering::SeqCst)
    }
}

/// Counts and times every request by its route (the path template, so the label set stays small).
pub async fn measure(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let started = Instant::now();
    let operation = request.extensions().get::<MatchedPath>().map_or("unmatched", MatchedPath::as_str).to_owned();
    let method = request.method().as_str().to_owned();
    let response = next.run(request).await;
    let status = response.status().as_u16();
    let seconds = started.elapsed().as_secs_f64();
    // The request's log line: a change or a refusal at info (with its outcome, which the audit layer recorded on the
    // span), a read that succeeded at debug, so a busy read path does not flood the log.
    let span = tracing::Span::current();
    span.record("operation", operation.as_str()).record("status", status);
    let millis = (seconds * 1000.0).round() as u64;
    if method == "GET" && status < 400 {
        tracing::debug!(millis, "answered");
    } else {
        tracing::info!(millis, "answered");
    }
    let labels = RequestLabels { operation: operation.clone(), method, status };
    state.metrics.requests.get_or_create(&labels).inc();
    state.metrics.request_seconds.get_or_create(&OperationLabels { operation }).observe(seconds);
    response
}

/// `GET /healthz`: the process answers. Nothing else is checked, so a slow database never gets it restarted.
pub async fn healthz() -> Json<serde_json::Value> {
    Json(json!({"status": "ok"}))
}

/// Why the server cannot serve now, if it cannot.
async fn not_ready(state: &AppState) -> Option<String> {
    if state.stopping.is_set() {
        return Some("shutting down".to_owned());
    }
    match tokio::time::timeout(READY_WITHIN, state.db.ping()).await {
        Ok(Ok(())) => None,
        // The kind of failure only: the database's own words may name hosts.
        Ok(Err(_)) => Some("the database refused a query".to_owned()),
        Err(_) => Some(format!("the database did not answer within {} s", READY_WITHIN.as_secs())),
    }
}

/// `GET /readyz`: the database was migrated (it is, once the state exists), answers a query within a second, and the
/// server is not shutting down; 503 with the reason otherwise.
pub async fn readyz(State(state): State<AppState>) -> Response {
    match not_ready(&state).await {
        None => {
            state.metrics.ready.set(1);
            Json(json!({"status": "ready"})).into_response()
        }
        Some(reason) => {
            state.metrics.ready.set(0);
            (StatusCode::SERVICE_UNAVAILABLE, Json(json!({"status": "unavailable", "reason": reason}))).into_response()
        }
    }
}

/// `GET /metrics`: every metric, the database's facts read now.
pub async fn metrics(State(state): State<AppState>) -> Response {
    let metrics = &state.metrics;
    let now = crate::now_millis();
    if let Ok(facts) = state.db.call(move |store| store.operating_facts(now)).await {
        metrics.jobs_due.set(facts.jobs_due as i64);
        metrics.oldest_due_seconds.set(facts.oldest_due_millis as f64 / 1000.0);
        for (status, count) in &facts.plan_runs {
            metrics.plan_runs.get_or_create(&StatusLabels { status: status.clone() }).set(*count as i64);
        }
        metrics.gates_waiting.set(facts.gates_waiting as i64);
    }
    metrics.pool_in_use.set(state.db.connections_in_use() as i64);
    metrics.ready.set(i64::from(not_ready(&state).await.is_none()));
    let mut text = String::new();
    if prometheus_client::encoding::text::encode(&mut text, &metrics.registry).is_err() {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    }
    ([(header::CONTENT_TYPE, "application/openmetrics-text; version=1.0.0; charset=utf-8")], text).into_response()
}

/// The number of a replica's leases, kept by the executor (1 while it drives runs).
pub fn set_leases(metrics: &Metrics, held: bool) {
    metrics.leases_held.set(i64::from(held));
}

/// Log lines to stderr: text, or one JSON object per line (`--log-format json`) carrying the spans' fields (the
/// request id, method and path of the request being served; the job id of the job being advanced). Headers, query
/// strings and bodies are never logged, so no token, signature or secret is.
pub fn init_logging(json: bool) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into());
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr);
    if json {
        builder.json().with_current_span(true).with_span_list(false).init();
    } else {
        builder.init();
    }
}

/// Files the process keeps for itself beside its connections: the listener, the database's, the log, a margin.
const RESERVED_FILES: u64 = 128;

/// Raises the soft limit on open files to the hard one, as Go's runtime does: Debian's default soft limit of 1,024
/// cannot hold the 1,024 connections the server promises, and at the limit it cannot even accept the connection it
/// would answer 503. Returns the limit now in force, if it can be read.
pub fn raise_open_files_limit() -> Option<u64> {
    match rlimit::increase_nofile_limit(u64::MAX) {
        Ok(limit) => Some(limit),
        Err(error) => {
            tracing::warn!(error = %error, "the open-files limit could not be raised");
            rlimit::getrlimit(rlimit::Resource::NOFILE).ok().map(|(soft, _)| soft)
        }
    }
}

/// The connections the server may hold: what it was told, within what the open-files limit really leaves after the
/// reserve (each connection is one file).
pub fn connection_cap(configured: usize) -> usize {
    match rlimit::getrlimit(rlimit::Resource::NOFILE) {
        Ok((soft, _)) => configured.min(soft.saturating_sub(RESERVED_FILES).max(16) as usize),
        Err(_) => configured,
    }
}

/// Serves `/metrics`, `/healthz` and `/readyz` on a listener of their own (`--metrics-listen`).
pub async fn serve_operating(state: AppState, listener: tokio::net::TcpListener) {
    let app = axum::Router::from(crate::routes::operating_routes()).with_state(state);
    if let Err(error) = axum::serve(listener, app).await {
        tracing::error!(error = %error, "the metrics listener stopped");
    }
}

/// The span of a request in the log: its id (returned as `X-Request-Id`), method, path and project, then its route
/// template and status (`measure`) and, for a change, its outcome (`job <id>`, `ok`, `refused <status> <code>`: the
/// audit layer). The query is left out, and no header is read but the request id.
pub fn request_span<B>(request: &axum::http::Request<B>) -> tracing::Span {
    let request_id = request.headers().get("x-request-id").and_then(|value| value.to_str().ok()).unwrap_or_default();
    let project = crate::auth::path_project(request.uri().path()).unwrap_or_default();
    tracing::info_span!(
        "request",
        request_id,
        method = %request.method(),
        path = request.uri().path(),
        project,
        operation = tracing::field::Empty,
        status = tracing::field::Empty,
        outcome = tracing::field::Empty,
    )
}

/// Forgets audit events (and settled webhook deliveries) older than the retention, hourly.
pub async fn retention(state: AppState, mut shutdown: tokio::sync::watch::Receiver<bool>) {
    loop {
        let before = crate::now_millis() - state.config.audit_retention.as_millis() as i64;
        match state.db.write(move |tx| tx.forget_audit_events(before)).await {
            Ok(0) => {}
            Ok(forgotten) => tracing::info!(forgotten, "audit events past their retention forgotten"),
            Err(error) => tracing::warn!(error = %error, "audit events past their retention could not be forgotten"),
        }
        tokio::select! {
            _ = tokio::time::sleep(Duration::from_secs(3600)) => {}
            _ = shutdown.changed() => return,
        }
    }
}
