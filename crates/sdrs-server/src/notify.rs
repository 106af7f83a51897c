//! Notifications: a project's webhooks receive the events they subscribed to (`WEBHOOK_EVENTS`: a job finished or
//! failed; a recovery-plan run waits for a gate, paused on a failure, or finished).
//!
//! An event is written to the outbox (`webhook_deliveries`, one row per subscribed webhook) in the transaction that
//! makes it happen, so it exists if and only if what it announces does. `deliverer` then POSTs each one, at least
//! once: claimed for 30 s (on PostgreSQL with `SKIP LOCKED`, so one replica attempts it), signed
//! (`X-Sdrs-Signature: sha256=<hex HMAC-SHA256 of the body with the webhook's secret>`), identified by
//! `X-Sdrs-Event-Id` for de-duplication, retried with a doubling delay (at most an hour apart) for 24 hours. A receiver
//! must answer 2xx within 10 s. Loopback and link-local targets are refused, when the webhook is created and at each
//! delivery (after resolving its host), unless `--allow-private-webhooks`.

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use sdrs_core::plan::run::{PlanRun, RunStatus};
use sdrs_core::status::JobStatus;
use sdrs_core::wire::{Job, WebhookPayload};

use crate::error::ApiResult;
use crate::store::{DeliveryOutcome, DueDelivery, Store};
use crate::AppState;

/// How long a receiver has to answer.
const DELIVERY_TIMEOUT: Duration = Duration::from_secs(10);
/// How long a delivery is retried.
const RETRY_FOR_MILLIS: i64 = 24 * 3600 * 1000;
/// The longest wait between two attempts.
const MAX_BACKOFF_MILLIS: i64 = 3600 * 1000;
/// How long a claimed delivery is left to its claimant.
const CLAIM_MILLIS: i64 = 30_000;

/// Announces a job's end: `job.finished`, and `job.failed` too for a failure.
pub fn job_ended(tx: &dyn Store, project: &str, job: &Job, now: i64) -> ApiResult<()> {
    let events: &[&str] =
        if job.status == JobStatus::Fail { &["job.finished", "job.failed"] } else { &["job.finished"] };
    emit(tx, project, events, || Ok(serde_json::to_value(job)?), now)
}

/// Announces what a run's change of status from `before` means to a person: a gate to confirm, a failure to look at,
/// the end.
pub fn run_changed(tx: &dyn Store, project: &str, before: RunStatus, run: &PlanRun, now: i64) -> ApiResult<()> {
    if before == run.status {
        return Ok(());
    }
    let event = match run.status {
        RunStatus::WaitingForGate => "plan-run.waiting-for-gate",
        RunStatus::PausedOnFailure => "plan-run.paused-on-failure",
        RunStatus::Succeeded | RunStatus::FinishedWithFailures | RunStatus::Cancelled => "plan-run.finished",
        _ => return Ok(()),
    };
    let data = || {
        Ok(serde_json::json!({
            "run_id": run.id,
            "plan_id": run.plan_id,
            "plan_name": run.plan.name,
            "mode": run.options.mode,
            "status": run.status,
            "last_event": run.events.last().map(|event| &event.text),
        }))
    };
    emit(tx, project, &[event], data, now)
}

/// Writes one outbox row per webhook of the project subscribed to each event.
fn emit(
    tx: &dyn Store,
    project: &str,
    events: &[&str],
    data: impl Fn() -> ApiResult<serde_json::Value>,
    now: i64,
) -> ApiResult<()> {
    let webhooks = tx.webhooks(project)?;
    for event in events {
        let subscribed: Vec<_> = webhooks.iter().filter(|hook| hook.events.iter().any(|e| e == event)).collect();
        if subscribed.is_empty() {
            continue;
        }
        let id = uuid::Uuid::new_v4().simple().to_string();
        let payload = WebhookPayload {
            id: id.clone(),
            event: (*event).to_owned(),
            project_id: project.to_owned(),
            occurred_at: sdrs_core::timefmt::job_time(now),
            data: data()?,
        };
        let payload = serde_json::to_string(&payload)?;
        for hook in subscribed {
            tx.enqueue_delivery(project, &hook.id, &id, event, &payload, now)?;
        }
    }
    Ok(())
}

/// Whether an address is one a webhook may not reach unless private targets are allowed: loopback, link-local,
/// unspecified.
pub fn is_private(address: IpAddr) -> bool {
    match address {
        IpAddr::V4(v4) => v4.is_loopback() || v4.is_link_local() || v4.is_unspecified(),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => is_private(IpAddr::V4(v4)),
            None => v6.is_loopback() || v6.is_unspecified() || (v6.segments()[0] & 0xffc0) == 0xfe80,
        },
    }
}

/// A webhook URL's problem, if it has one: not http(s), no host, or (unless allowed) a private address literal.
pub fn url_problem(url: &str, allow_private: bool) -> Option<String> {
    let Ok(parsed) = url::Url::parse(url) else { return Some("not a URL".to_owned()) };
    if !matches!(parsed.scheme(), "http" | "https") {
        return Some("only http and https URLs are delivered to".to_owned());
    }
    let Some(host) = parsed.host() else { return Some("the URL names no host".to_owned()) };
    if url.len() > 2048 {
        return Some("the URL is longer than 2,048 characters".to_owned());
    }
    let literal = match host {
        url::Host::Ipv4(v4) => Some(IpAddr::V4(v4)),
        url::Host::Ipv6(v6) => Some(IpAddr::V6(v6)),
        url::Host::Domain(name) if name.eq_ignore_ascii_case("localhost") => Some(IpAddr::from([127, 0, 0, 1])),
        url::Host::Domain(_) => None,
    };
    (!allow_private && literal.is_some_and(is_private))
        .then(|| "a loopback or link-local address (allowed only with --allow-private-webhooks)".to_owned())
}

/// The addresses a delivery may connect to: the host resolved now, every address checked.
async fn checked_addresses(url: &url::Url, allow_private: bool) -> Result<Vec<SocketAddr>, String> {
    let host = url.host_str().ok_or("the URL names no host")?;
    let port = url.port_or_known_default().ok_or("the URL names no port")?;
    let host = host.trim_start_matches('[').trim_end_matches(']');
    let addresses: Vec<SocketAddr> = tokio::net::lookup_host((host, port))
        .await
        .map_err(|error| format!("the host could not be resolved: {error}"))?
        .collect();
    if addresses.is_empty() {
        return Err("the host resolved to no address".to_owned());
    }
    if !allow_private && addresses.iter().any(|address| is_private(address.ip())) {
        return Err("the host resolves to a loopback or link-local address".to_owned());
    }
    Ok(addresses)
}

/// One attempt at one delivery.
async fn attempt(delivery: &DueDelivery, allow_private: bool, now: i64) -> DeliveryOutcome {
    let failed = |status: Option<u16>, error: String| {
        let wait = 1000i64.saturating_mul(1 << delivery.attempts.min(22)).min(MAX_BACKOFF_MILLIS);
        let next = now + wait;
        DeliveryOutcome::Failed {
            status,
            error,
            next_attempt: (next - delivery.created < RETRY_FOR_MILLIS).then_some(next),
        }
    };
    let Ok(url) = url::Url::parse(&delivery.url) else { return failed(None, "not a URL".to_owned()) };
    let addresses = match checked_addresses(&url, allow_private).await {
        Ok(addresses) => addresses,
        Err(error) => return failed(None, error),
    };
    let host = url.host_str().unwrap_or_default().to_owned();
    // Pinned to the addresses just checked, so the connection cannot go where the check did not look.
    let client = reqwest::Client::builder()
        .timeout(DELIVERY_TIMEOUT)
        .redirect(reqwest::redirect::Policy::none())
        .resolve_to_addrs(&host, &addresses)
        .build();
    let Ok(client) = client else { return failed(None, "no HTTP client".to_owned()) };
    let signature = sdrs_auth::signature(&delivery.secret, &delivery.payload);
    let sent = client
        .post(url)
        .header("content-type", "application/json")
        .header("user-agent", "sdrs-server")
        .header("x-sdrs-event", &delivery.event)
        .header("x-sdrs-event-id", &delivery.event_id)
        .header("x-sdrs-signature", format!("sha256={signature}"))
        .body(delivery.payload.clone())
        .send()
        .await;
    match sent {
        Ok(response) if response.status().is_success() => {
            DeliveryOutcome::Delivered { status: response.status().as_u16() }
        }
        Ok(response) => failed(Some(response.status().as_u16()), format!("answered {}", response.status())),
        Err(error) if error.is_timeout() => failed(None, format!("no answer within {} s", DELIVERY_TIMEOUT.as_secs())),
        Err(error) if error.is_connect() => failed(None, "could not connect".to_owned()),
        Err(_) => failed(None, "the request failed".to_owned()),
    }
}

/// Delivers what is due now, a few at a time; returns how many were attempted.
pub async fn deliver_due(state: &AppState, now: i64) -> ApiResult<usize> {
    let due = state.db.write(move |tx| tx.claim_deliveries(now, now + CLAIM_MILLIS, 16)).await?;
    let allow_private = state.config.allow_private_webhooks;
    let attempts =
        futures_util::future::join_all(due.iter().map(|delivery| attempt(delivery, allow_private, now))).await;
    for (delivery, outcome) in due.iter().zip(attempts) {
        let label = match &outcome {
            DeliveryOutcome::Delivered { .. } => "delivered",
            DeliveryOutcome::Failed { next_attempt: Some(_), .. } => "failed",
            DeliveryOutcome::Failed { next_attempt: None, .. } => "abandoned",
        };
        state.metrics.webhook_deliveries.get_or_create(&crate::ops::StatusLabels { status: label.to_owned() }).inc();
        let seq = delivery.seq;
        state.db.write(move |tx| tx.record_delivery(seq, &outcome)).await?;
    }
    Ok(due.len())
}

/// The background deliverer: delivers what is due, then waits a second (less while there is more).
pub async fn deliverer(state: AppState, mut shutdown: tokio::sync::watch::Receiver<bool>) {
    loop {
        let wait = match deliver_due(&state, crate::now_millis()).await {
            Ok(0) => Duration::from_secs(1),
            Ok(_) => Duration::from_millis(10),
            Err(error) => {
                tracing::warn!(error = %error, "webhook deliveries could not be read; retrying");
                Duration::from_secs(5)
            }
        };
        tokio::select! {
            _ = tokio::time::sleep(wait) => {}
            _ = shutdown.changed() => return,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn private_targets_are_refused_unless_allowed() {
        for url in ["http://127.0.0.1:9/x", "http://localhost/x", "http://[::1]/x", "http://169.254.169.254/latest"] {
            assert!(url_problem(url, false).is_some(), "{url}");
            assert!(url_problem(url, true).is_none(), "{url}");
        }
        assert!(url_problem("https://hooks.example.com/sdrs", false).is_none());
        assert!(url_problem("ftp://hooks.example.com/", true).is_some());
        assert!(url_problem("not a url", true).is_some());
        assert!(is_private("::ffff:127.0.0.1".parse().unwrap()));
        assert!(is_private("fe80::1".parse().unwrap()));
        assert!(!is_private("10.0.0.1".parse().unwrap()), "a private network is a deployment's own choice");
    }
}
