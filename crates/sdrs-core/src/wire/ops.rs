//! The bodies of sdrs-server's operating APIs: readiness, the audit trail and webhooks (this tool's own, beside the
//! SDRS API, under `/orchestration/v1/{project_id}`).

use serde::{Deserialize, Serialize};

/// `GET /readyz`: `ready`, or `unavailable` with the reason (no secret, no host name).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Readiness {
    pub status: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// What an audit event is about: a resource (`server_group`, `plan_run`, …) or a job, by id.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct AuditResource {
    pub kind: String,
    pub id: String,
}

/// One change, or one refused attempt at a change: when, who, from where, what, and what came of it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct AuditEvent {
    /// Increasing within a database: the cursor of the list.
    pub id: String,
    /// ISO 8601, UTC.
    pub at: String,
    /// Who: `access-key:<AK>`, `token:<first 16 hex of its SHA-256>`, `gateway-session:<…>`, `admin-token:<…>`;
    /// never a secret.
    pub actor: String,
    /// The client's address (the one a trusted proxy names, behind one).
    #[serde(default)]
    pub address: Option<String>,
    /// The request's `X-Request-Id`, as the client and the log saw it.
    #[serde(default)]
    pub request_id: Option<String>,
    /// `METHOD /path/template` of the operation.
    pub operation: String,
    /// What it changed (or, refused, what it named).
    pub resources: Vec<AuditResource>,
    /// The request body with every secret-looking field replaced by `***`, at most 4 KiB of it.
    #[serde(default)]
    pub detail: Option<serde_json::Value>,
    /// `ok`, `job <id>`, or `refused <status> <code>`.
    pub outcome: String,
}

/// `GET /orchestration/v1/{project_id}/audit-events`: newest first; `next_marker` pages on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct AuditEventList {
    pub audit_events: Vec<AuditEvent>,
    #[serde(default)]
    pub next_marker: Option<String>,
}

/// The events a webhook may subscribe to.
pub const WEBHOOK_EVENTS: [&str; 5] =
    ["job.finished", "job.failed", "plan-run.waiting-for-gate", "plan-run.paused-on-failure", "plan-run.finished"];

/// `POST /orchestration/v1/{project_id}/webhooks`: `{"webhook": {…}}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct CreateWebhookRequest {
    pub webhook: NewWebhook,
}

/// A webhook to create: where to POST, which events, and the secret that signs each delivery.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NewWebhook {
    /// `http` or `https`; a loopback or link-local address is refused unless the server allows private targets.
    pub url: String,
    /// Some of `WEBHOOK_EVENTS`.
    pub events: Vec<String>,
    /// 16 to 256 characters. Each delivery carries `X-Sdrs-Signature: sha256=<hex HMAC-SHA256 of the body>`.
    pub secret: String,
}

/// A webhook as the API shows it: never its secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Webhook {
    pub id: String,
    pub url: String,
    pub events: Vec<String>,
    pub created_at: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct WebhookResponse {
    pub webhook: Webhook,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct WebhookList {
    pub webhooks: Vec<Webhook>,
}

/// One event's delivery to one webhook.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct WebhookDelivery {
    /// The event's id, sent as `X-Sdrs-Event-Id`: the same on every attempt, for de-duplication.
    pub event_id: String,
    pub event: String,
    /// `pending` (to be tried, maybe again), `delivered` or `abandoned` (24 h of failures).
    pub status: String,
    pub attempts: u32,
    pub created_at: String,
    #[serde(default)]
    pub last_status: Option<u16>,
    #[serde(default)]
    pub last_error: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct WebhookDeliveryList {
    pub deliveries: Vec<WebhookDelivery>,
}

/// What a webhook receives: the event, its id and the project, and the data (a job, or a run's summary).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct WebhookPayload {
    pub id: String,
    pub event: String,
    pub project_id: String,
    pub occurred_at: String,
    pub data: serde_json::Value,
}
