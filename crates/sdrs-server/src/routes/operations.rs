//! The audit trail and the webhooks of a project, under `/orchestration/v1/{project_id}` (this tool's own API, beside
//! recovery plans): `GET audit-events`; `POST`/`GET webhooks`, `DELETE webhooks/{id}`, `GET webhooks/{id}/deliveries`.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::NoContent;
use axum::Json;

use sdrs_core::plan::PlanCode;
use sdrs_core::wire::{
    AuditEventList, CreateWebhookRequest, ErrorBody, Webhook, WebhookDeliveryList, WebhookList, WebhookResponse,
    WEBHOOK_EVENTS,
};

use super::cloud::{QueryKeys, ServiceQuery};
use super::{Body, Created, Ids};
use crate::error::{ApiError, ApiResult};
use crate::store::{AuditQuery, WebhookRow};
use crate::AppState;

/// Webhooks one project may have.
const MAX_WEBHOOKS: usize = 20;
/// Audit events per page at most (and by default).
const MAX_AUDIT_PAGE: u32 = 500;

fn refused(code: PlanCode, message: impl Into<String>) -> ApiError {
    ApiError::Sdrs {
        status: StatusCode::from_u16(code.http_status()).unwrap_or(StatusCode::BAD_REQUEST),
        body: ErrorBody { code: code.as_str().to_owned(), message: message.into() },
    }
}

/// `GET audit-events`' query: `since` and `until` (Unix milliseconds or `2026-12-04T10:00:00.000Z`), `resource_id`,
/// `limit` (1 to 500) and `marker` (the last event id of the page before).
pub struct AuditKeys;

impl QueryKeys for AuditKeys {
    const KEYS: &'static [&'static str] = &["since", "until", "resource_id", "limit", "marker"];
}

/// A time given as Unix milliseconds or a job timestamp.
fn instant(name: &str, text: Option<&str>, default: i64) -> ApiResult<i64> {
    let Some(text) = text else { return Ok(default) };
    text.parse::<i64>()
        .ok()
        .or_else(|| sdrs_core::timefmt::parse_job_time(text))
        .ok_or_else(|| refused(PlanCode::Invalid, format!("`{name}` is Unix milliseconds or 2026-12-04T10:00:00.000Z")))
}

pub async fn audit_events(
    State(state): State<AppState>,
    Ids(project): Ids<String>,
    ServiceQuery(pairs, _): ServiceQuery<AuditKeys>,
) -> ApiResult<Json<AuditEventList>> {
    if let Some((key, _)) = pairs.0.iter().find(|(key, _)| !AuditKeys::KEYS.contains(&key.as_str())) {
        return Err(refused(
            PlanCode::Invalid,
            format!("unknown query parameter `{key}`: {}", AuditKeys::KEYS.join(", ")),
        ));
    }
    let get = |key: &str| pairs.0.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str());
    let limit = match get("limit") {
        None => MAX_AUDIT_PAGE,
        Some(text) => text
            .parse::<u32>()
            .ok()
            .filter(|n| (1..=MAX_AUDIT_PAGE).contains(n))
            .ok_or_else(|| refused(PlanCode::Invalid, format!("`limit` is 1 to {MAX_AUDIT_PAGE}")))?,
    };
    let before = match get("marker") {
        None => None,
        Some(marker) => Some(marker.parse::<i64>().map_err(|_| refused(PlanCode::Invalid, "`marker` is an event id"))?),
    };
    let resource_id = get("resource_id").map(str::to_owned);
    if resource_id.as_deref().is_some_and(|id| !sdrs_core::request::is_resource_id(id)) {
        return Err(refused(PlanCode::Invalid, "`resource_id` is not an id"));
    }
    let query = AuditQuery {
        since: instant("since", get("since"), 0)?,
        until: instant("until", get("until"), i64::MAX)?,
        resource_id,
        before,
        limit,
    };
    let audit_events = state.db.call(move |store| store.audit_events(&project, &query)).await?;
    let next_marker =
        (audit_events.len() == limit as usize).then(|| audit_events.last().map(|e| e.id.clone())).flatten();
    Ok(Json(AuditEventList { audit_events, next_marker }))
}

fn shown(row: &WebhookRow) -> Webhook {
    Webhook {
        id: row.id.clone(),
        url: row.url.clone(),
        events: row.events.clone(),
        created_at: sdrs_core::timefmt::job_time(row.created),
    }
}

pub async fn create_webhook(
    State(state): State<AppState>,
    Ids(project): Ids<String>,
    Body(request): Body<CreateWebhookRequest>,
) -> ApiResult<Created<WebhookResponse>> {
    let webhook = request.webhook;
    if let Some(problem) = crate::notify::url_problem(&webhook.url, state.config.allow_private_webhooks) {
        return Err(refused(PlanCode::Invalid, format!("`url`: {problem}")));
    }
    if webhook.events.is_empty() || webhook.events.iter().any(|event| !WEBHOOK_EVENTS.contains(&event.as_str())) {
        return Err(refused(PlanCode::Invalid, format!("`events` are some of: {}", WEBHOOK_EVENTS.join(", "))));
    }
    let secret_chars = webhook.secret.chars().count();
    if !(16..=256).contains(&secret_chars) || webhook.secret.chars().any(char::is_control) {
        return Err(refused(PlanCode::Invalid, "`secret` is 16 to 256 printable characters"));
    }
    let mut events = webhook.events;
    events.sort();
    events.dedup();
    let row = WebhookRow {
        id: uuid::Uuid::new_v4().simple().to_string(),
        url: webhook.url,
        events,
        secret: webhook.secret,
        created: crate::now_millis(),
    };
    let shown = shown(&row);
    state
        .db
        .write(move |tx| {
            if tx.webhooks(&project)?.len() >= MAX_WEBHOOKS {
                return Err(refused(PlanCode::Quota, format!("a project has at most {MAX_WEBHOOKS} webhooks")));
            }
            tx.put_webhook(&project, &row)
        })
        .await?;
    Ok(Created(WebhookResponse { webhook: shown }))
}

pub async fn list_webhooks(State(state): State<AppState>, Ids(project): Ids<String>) -> ApiResult<Json<WebhookList>> {
    let rows = state.db.call(move |store| store.webhooks(&project)).await?;
    Ok(Json(WebhookList { webhooks: rows.iter().map(shown).collect() }))
}

fn no_webhook(id: &str) -> ApiError {
    refused(PlanCode::NotFound, format!("no webhook `{id}` in this project"))
}

pub async fn delete_webhook(
    State(state): State<AppState>,
    Ids((project, id)): Ids<(String, String)>,
) -> ApiResult<NoContent> {
    let missing = no_webhook(&id);
    let deleted = state.db.write(move |tx| tx.delete_webhook(&project, &id)).await?;
    deleted.then_some(NoContent).ok_or(missing)
}

pub async fn deliveries(
    State(state): State<AppState>,
    Ids((project, id)): Ids<(String, String)>,
) -> ApiResult<Json<WebhookDeliveryList>> {
    let missing = no_webhook(&id);
    let found = state
        .db
        .call(move |store| {
            if !store.webhooks(&project)?.iter().any(|hook| hook.id == id) {
                return Ok(None);
            }
            store.deliveries(&project, &id, 100).map(Some)
        })
        .await?;
    found.map(|deliveries| Json(WebhookDeliveryList { deliveries })).ok_or(missing)
}
