//! Signed requests that change something are carried out once: a repeat of the same signature within its lifetime
//! gets the first answer again, marked `X-Sdrs-Replayed: true`, and never runs a second time.
//!
//! The official SDK re-sends the very same signed request when `retry_times` is set (urllib3 retries on 429, 503
//! and connection errors), so a refusal by the server's limits (429, 503) or an internal error does not use up a
//! signature, and a repeat of a request that was processed — its answer lost on the way, say — learns what happened
//! to it (for an action, its job id) instead of a 401.

use std::future::Future;
use std::time::Duration;

use axum::body::Body;
use axum::http::{HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};

use crate::error::{ApiError, ServerCode};
use crate::store::{Db, ReplayAnswer, ReplayClaim};

/// How long a signature is remembered: it is accepted while `X-Sdk-Date` is within ±15 min of the server's clock,
/// so for at most 30 min after the first time it was seen.
pub const WINDOW: Duration = Duration::from_secs(2 * sdrs_auth::MAX_CLOCK_SKEW_SECONDS as u64 + 60);

/// Answers larger than this are remembered by status only.
const MAX_REMEMBERED_BODY: usize = 64 * 1024;

/// Whether a request with this method needs the guard: everything that may change state.
pub fn guards(method: &Method) -> bool {
    !matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

/// Runs `handle` once for `signature`, whichever replica a repeat reaches: the signatures and their answers are rows
/// of the database. A repeat gets the recorded answer, or 409 `ReplayInFlight` while the first is being handled. A
/// first run still unanswered after `abandoned_after` (twice the request deadline: its process died) no longer
/// blocks the signature. `handle` runs to completion on its own task even when the client goes away, so that its
/// answer can be recorded.
pub async fn once<F>(db: &Db, signature: &str, abandoned_after: Duration, handle: F) -> Response
where
    F: Future<Output = Response> + Send + 'static,
{
    let now = crate::now_millis();
    let (expires, stale_before) = (now + WINDOW.as_millis() as i64, now - abandoned_after.as_millis() as i64);
    let key = signature.to_owned();
    let claim = db.write(move |store| store.claim_replay(&key, now, expires, stale_before)).await;
    match claim {
        Err(error) => return error.into_response(),
        Ok(ReplayClaim::InFlight) => {
            return ApiError::server(
                ServerCode::ReplayInFlight,
                "this signed request is being processed; repeat it in a moment to get its answer",
            )
            .into_response()
        }
        Ok(ReplayClaim::Answered(answer)) => {
            let status = StatusCode::from_u16(answer.status).unwrap_or(StatusCode::OK);
            let mut response = (status, answer.body).into_response();
            if let Some(value) = answer.content_type.and_then(|value| HeaderValue::from_str(&value).ok()) {
                response.headers_mut().insert(axum::http::header::CONTENT_TYPE, value);
            }
            response.headers_mut().insert("x-sdrs-replayed", HeaderValue::from_static("true"));
            return response;
        }
        Ok(ReplayClaim::Claimed) => {}
    }
    let (recorder, key) = (db.clone(), signature.to_owned());
    // In the request's span, so that the handler's log lines (and its outcome) stay the request's.
    let task = tokio::spawn(tracing::Instrument::in_current_span(async move {
        let response = handle.await;
        record(&recorder, key, response).await
    }));
    match task.await {
        Ok(response) => response,
        Err(error) => {
            let key = signature.to_owned();
            let _ = db.write(move |store| store.record_replay(&key, None)).await;
            ApiError::Internal(anyhow::anyhow!("request task failed: {error}")).into_response()
        }
    }
}

/// Records the first run's answer, or forgets the signature when the answer was a refusal to retry (429, 5xx).
async fn record(db: &Db, signature: String, response: Response) -> Response {
    let status = response.status();
    if status.is_server_error() || status == StatusCode::TOO_MANY_REQUESTS {
        let _ = db.write(move |store| store.record_replay(&signature, None)).await;
        return response;
    }
    let (parts, body) = response.into_parts();
    let body = axum::body::to_bytes(body, usize::MAX).await.unwrap_or_default();
    let answer = ReplayAnswer {
        status: status.as_u16(),
        content_type: parts
            .headers
            .get(axum::http::header::CONTENT_TYPE)
            .and_then(|value| value.to_str().ok())
            .map(str::to_owned),
        body: if body.len() <= MAX_REMEMBERED_BODY { body.to_vec() } else { Vec::new() },
    };
    if let Err(error) = db.write(move |store| store.record_replay(&signature, Some(&answer))).await {
        // The change itself committed; only its answer is not remembered, so a repeat waits for the claim to be
        // abandoned and then runs into the state it left (an action then gets the state machine's refusal).
        tracing::warn!(error = %error, "the answer to a signed change could not be recorded");
    }
    Response::from_parts(parts, Body::from(body))
}
