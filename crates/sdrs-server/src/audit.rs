//! The audit trail: who changed what, from where, and what came of it, for every change a request makes.
//!
//! The authentication middlewares name the caller (`Actor`: an access key id, a token's or session's fingerprint,
//! never a secret). `record` (a route layer inside them) gives every change request an `AuditContext`, and
//! `Db::write` writes the event in the transaction of the change itself, with what the change touched (resources,
//! jobs, webhooks, faults, sessions) and its outcome: the event exists if and only if the change committed. A request
//! refused with an error changes nothing, so its refusal is recorded on its own afterwards. Reads are not recorded.
//! Events are per project (`GET /orchestration/v1/{project_id}/audit-events`) and kept `--audit-retention-days`.

use axum::body::Body;
use axum::extract::{ConnectInfo, MatchedPath, Request, State};
use axum::http::Method;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use http_body_util::BodyExt;
use sha2::{Digest, Sha256};

use crate::store::AuditContext;
use crate::AppState;

/// Who made a request, as the audit trail names it; set by the authentication middlewares.
#[derive(Debug, Clone)]
pub struct Actor(pub String);

/// The first 16 hex digits of a secret's SHA-256: enough to tell two apart, nothing to log in with.
pub fn fingerprint(secret: &str) -> String {
    Sha256::digest(secret.as_bytes()).iter().take(8).map(|byte| format!("{byte:02x}")).collect()
}

/// A body kept in the trail: at most this much.
const MAX_DETAIL: usize = 4096;

/// Field names whose values are never kept.
fn is_secret(name: &str) -> bool {
    let name = name.to_ascii_lowercase();
    ["secret", "password", "token", "sk", "signature", "authorization"].iter().any(|word| name.contains(word))
}

/// The body with every secret-looking field's value replaced by `***`, or `None` when it is not JSON.
pub fn redacted(body: &[u8]) -> Option<String> {
    fn redact(value: &mut serde_json::Value) {
        match value {
            serde_json::Value::Object(map) => {
                for (name, value) in map.iter_mut() {
                    if is_secret(name) {
                        *value = serde_json::Value::String("***".to_owned());
                    } else {
                        redact(value);
                    }
                }
            }
            serde_json::Value::Array(items) => items.iter_mut().for_each(redact),
            _ => {}
        }
    }
    let mut value: serde_json::Value = serde_json::from_slice(body).ok()?;
    redact(&mut value);
    let text = value.to_string();
    Some(if text.len() > MAX_DETAIL { serde_json::json!({"truncated": true}).to_string() } else { text })
}

/// The route layer of every changing route: the change's context for `Db::write`, and the refusal recorded when
/// the request is refused. Inside the authentication middleware, which names the actor.
pub async fn record(State(state): State<AppState>, request: Request, next: Next) -> Response {
    if request.method() == Method::GET || request.method() == Method::HEAD {
        return next.run(request).await;
    }
    let project = crate::auth::path_project(request.uri().path())
        .map(str::to_owned)
        .or_else(|| request.extensions().get::<crate::routes::CallerProject>().map(|p| p.0.clone()))
        .or_else(|| state.gateway.as_ref().map(|gateway| gateway.config.project_id.clone()));
    let Some(project) = project else { return next.run(request).await };
    let (parts, body) = request.into_parts();
    // The body was read already (by the authentication, within its limits); it is bytes in memory here.
    let bytes = match body.collect().await {
        Ok(collected) => collected.to_bytes(),
        Err(_) => axum::body::Bytes::new(),
    };
    let template = parts.extensions.get::<MatchedPath>().map_or(parts.uri.path(), MatchedPath::as_str);
    let peer = parts.extensions.get::<ConnectInfo<std::net::SocketAddr>>().map(|info| info.0.ip());
    // In gateway mode the console's session is the actor: its cookie's fingerprint (that of the digest it is kept by).
    let session =
        || crate::gateway::session_token(&parts.headers).map(|token| format!("gateway-session:{}", fingerprint(token)));
    let actor = parts.extensions.get::<Actor>().map(|actor| actor.0.clone()).or_else(session);
    // A forwarded change happened upstream: no local transaction holds it, so it is recorded once answered.
    let forwarded =
        state.gateway.is_some() && (parts.uri.path().starts_with("/v1/") || parts.uri.path().starts_with("/v2/"));
    let context = AuditContext {
        project,
        at: crate::now_millis(),
        actor: actor.unwrap_or_else(|| "anonymous".to_owned()),
        address: peer.map(|peer| {
            crate::gateway::client_address(&parts.headers, Some(peer), &state.config.trusted_proxies).to_string()
        }),
        request_id: parts.headers.get("x-request-id").and_then(|value| value.to_str().ok()).map(str::to_owned),
        operation: format!("{} {template}", parts.method),
        named: path_ids(template, parts.uri.path()),
        detail: redacted(&bytes),
        outcome: Default::default(),
    };
    let request = Request::from_parts(parts, Body::from(bytes));
    let response = crate::store::with_audit(context.clone(), next.run(request)).await;
    let status = response.status();
    if !forwarded && !status.is_client_error() && !status.is_server_error() {
        if let Some(outcome) = context.outcome.lock().ok().and_then(|slot| slot.clone()) {
            tracing::Span::current().record("outcome", outcome.as_str());
        }
        return response;
    }
    // Refused (nothing changed, so nothing was recorded) or forwarded: recorded on its own, with the answer.
    let (parts, body) = response.into_parts();
    let bytes = body.collect().await.map(|collected| collected.to_bytes()).unwrap_or_default();
    let outcome = if status.is_success() {
        match serde_json::from_slice::<sdrs_core::wire::JobIdResponse>(&bytes) {
            Ok(answer) => format!("job {} (upstream)", answer.job_id),
            Err(_) => format!("ok {} (upstream)", status.as_u16()),
        }
    } else {
        let code = sdrs_core::wire::ErrorReply::parse(&bytes)
            .map(|reply| match reply {
                sdrs_core::wire::ErrorReply::Sdrs(body) => body.code,
                sdrs_core::wire::ErrorReply::Gateway(body) => body.error_code,
            })
            .unwrap_or_default();
        format!("refused {} {code}", status.as_u16()).trim_end().to_owned()
    };
    tracing::Span::current().record("outcome", outcome.as_str());
    if let Err(error) = state.db.write(move |tx| tx.insert_audit_event(&context, &[], &outcome)).await {
        tracing::error!(error = %error, "a refusal could not be added to the audit trail");
    }
    Response::from_parts(parts, Body::from(bytes)).into_response()
}

/// The ids a path names, by the template's parameter names (`server_group_id` → `server_group`).
fn path_ids(template: &str, path: &str) -> Vec<(String, String)> {
    template
        .split('/')
        .zip(path.split('/'))
        .filter_map(|(name, value)| {
            let name = name.strip_prefix('{')?.strip_suffix('}')?;
            (name != "project_id").then(|| (name.trim_end_matches("_id").to_owned(), value.to_owned()))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_never_reach_the_trail() {
        let body =
            br#"{"webhook": {"url": "https://x", "secret": "s3cret"}, "sk": "k", "nested": [{"password": "p"}]}"#;
        let kept = redacted(body).unwrap();
        assert!(!kept.contains("s3cret") && !kept.contains("\"k\"") && !kept.contains("\"p\""), "{kept}");
        assert!(kept.contains("https://x"), "{kept}");
        assert_eq!(redacted(b"not json"), None);
        assert_eq!(fingerprint("demo-token").len(), 16);
        assert_ne!(fingerprint("demo-token"), fingerprint("other-token"));
    }

    #[test]
    fn path_ids_are_named_by_the_template() {
        assert_eq!(
            path_ids("/v1/{project_id}/server-groups/{server_group_id}/action", "/v1/p/server-groups/g1/action"),
            vec![("server_group".to_owned(), "g1".to_owned())]
        );
    }
}
