//! Signed requests that change something are carried out once: a repeat of the same signature within its lifetime
//! gets the first answer again, marked `X-Sdrs-Replayed: true`, and never runs a second time.
//!
//! The official SDK re-sends the very same signed request when `retry_times` is set (urllib3 retries on 429, 503
//! and connection errors), so a refusal by the server's limits (429, 503) or an internal error does not use up a
//! signature, and a repeat of a request that was processed — its answer lost on the way, say — learns what happened
//! to it (for an action, its job id) instead of a 401.

use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::{Body, Bytes};
use axum::http::{HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};

use crate::error::{ApiError, ServerCode};

/// How long a signature is remembered: it is accepted while `X-Sdk-Date` is within ±15 min of the server's clock,
/// so for at most 30 min after the first time it was seen.
pub const WINDOW: Duration = Duration::from_secs(2 * sdrs_auth::MAX_CLOCK_SKEW_SECONDS as u64 + 60);
/// Answers larger than this are remembered by status only.
const MAX_REMEMBERED_BODY: usize = 64 * 1024;

/// Whether a request with this method needs the guard: everything that may change state.
pub fn guards(method: &Method) -> bool {
    !matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

enum Slot {
    InFlight,
    Answered { status: StatusCode, content_type: Option<HeaderValue>, body: Bytes },
}

struct Entry {
    expires: Instant,
    slot: Slot,
}

/// The signatures seen within the window and what each was answered.
pub struct ReplayCache {
    entries: Mutex<HashMap<String, Entry>>,
    capacity: usize,
}

impl ReplayCache {
    pub fn new(capacity: usize) -> ReplayCache {
        ReplayCache { entries: Mutex::new(HashMap::new()), capacity }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Entry>> {
        self.entries.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Runs `handle` once for `signature`; a repeat gets the recorded answer. `handle` runs to completion on its
    /// own task even when the client goes away, so that its answer can be recorded.
    pub async fn once<F>(self: &Arc<Self>, signature: &str, handle: F) -> Response
    where
        F: Future<Output = Response> + Send + 'static,
    {
        let now = Instant::now();
        {
            let mut entries = self.lock();
            if let Some(entry) = entries.get(signature).filter(|e| e.expires > now) {
                return match &entry.slot {
                    Slot::InFlight => ApiError::server(
                        ServerCode::ReplayInFlight,
                        "this signed request is being processed; repeat it in a moment to get its answer",
                    )
                    .into_response(),
                    Slot::Answered { status, content_type, body } => {
                        let mut response = (*status, body.clone()).into_response();
                        if let Some(value) = content_type {
                            response.headers_mut().insert(axum::http::header::CONTENT_TYPE, value.clone());
                        }
                        response.headers_mut().insert("x-sdrs-replayed", HeaderValue::from_static("true"));
                        response
                    }
                };
            }
            if entries.len() >= self.capacity {
                entries.retain(|_, e| e.expires > now);
                if entries.len() >= self.capacity {
                    return ApiError::server(
                        ServerCode::Overloaded,
                        "too many signed requests within the replay window; retry shortly",
                    )
                    .into_response();
                }
            }
            entries.insert(signature.to_owned(), Entry { expires: now + WINDOW, slot: Slot::InFlight });
        }
        let cache = Arc::clone(self);
        let key = signature.to_owned();
        let task = tokio::spawn(async move {
            let response = handle.await;
            cache.record(key, response).await
        });
        match task.await {
            Ok(response) => response,
            Err(error) => {
                self.lock().remove(signature);
                ApiError::Internal(anyhow::anyhow!("request task failed: {error}")).into_response()
            }
        }
    }

    async fn record(&self, signature: String, response: Response) -> Response {
        let status = response.status();
        if status.is_server_error() || status == StatusCode::TOO_MANY_REQUESTS {
            self.lock().remove(&signature);
            return response;
        }
        let (parts, body) = response.into_parts();
        let body = axum::body::to_bytes(body, usize::MAX).await.unwrap_or_default();
        let remembered = if body.len() <= MAX_REMEMBERED_BODY { body.clone() } else { Bytes::new() };
        let content_type = parts.headers.get(axum::http::header::CONTENT_TYPE).cloned();
        if let Some(entry) = self.lock().get_mut(&signature) {
            entry.slot = Slot::Answered { status, content_type, body: remembered };
        }
        Response::from_parts(parts, Body::from(body))
    }
}
