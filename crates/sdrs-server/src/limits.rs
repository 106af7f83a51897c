//! Bounds on what one client can hold: requests in flight, time to send a body, time to be answered.

use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::error_handling::HandleErrorLayer;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Router;
use sdrs_core::ErrorCode;
use tower::limit::GlobalConcurrencyLimitLayer;
use tower::{BoxError, ServiceBuilder};

use crate::config::Limits;
use crate::error::{ApiError, ServerCode};

/// Bounds every route of `router`: past `max_in_flight` requests (across all routes) a request is answered 503 at
/// once rather than queued, and a request not answered within `request_timeout` is answered 503. A handler's write
/// transaction runs on the blocking pool and commits or rolls back whole whatever happens to the request, so the
/// deadline never splits one.
pub fn apply<S: Clone + Send + Sync + 'static>(router: Router<S>, limits: &Limits) -> Router<S> {
    router.layer(
        ServiceBuilder::new()
            .layer(HandleErrorLayer::new(|error: BoxError| async move { refusal(&error) }))
            .load_shed()
            .layer(GlobalConcurrencyLimitLayer::new(limits.max_in_flight))
            .timeout(limits.request_timeout),
    )
}

fn refusal(error: &BoxError) -> Response {
    let mut response = if error.is::<tower::load_shed::error::Overloaded>() {
        ApiError::server(ServerCode::Overloaded, "the server is handling as many requests as it allows; retry shortly")
            .into_response()
    } else if error.is::<tower::timeout::error::Elapsed>() {
        ApiError::server(
            ServerCode::Deadline,
            "the request was not answered in time; a change it asked for may still have been made: read the \
             resource or its job before retrying",
        )
        .into_response()
    } else {
        ApiError::Internal(anyhow::anyhow!("{error}")).into_response()
    };
    response.headers_mut().insert(header::RETRY_AFTER, header::HeaderValue::from_static("1"));
    response
}

/// Reads a whole request body, refusing one larger than `max_bytes` (413, before reading it when `Content-Length`
/// says so) or slower than `timeout` (408).
pub async fn read_body(
    headers: &HeaderMap,
    body: Body,
    max_bytes: usize,
    timeout: Duration,
) -> Result<Bytes, ApiError> {
    let too_large = || ApiError::Sdrs {
        status: StatusCode::PAYLOAD_TOO_LARGE,
        body: ErrorCode::SDRS_0201.body(Some(&format!("the request body is larger than {max_bytes} bytes"))),
    };
    let declared = headers.get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()?.parse::<u64>().ok());
    if declared.is_some_and(|length| length > max_bytes as u64) {
        return Err(too_large());
    }
    // A body known to be empty (a GET without one) has nothing to wait for: no timer for it.
    if axum::body::HttpBody::size_hint(&body).exact() == Some(0) {
        return Ok(Bytes::new());
    }
    match tokio::time::timeout(timeout, axum::body::to_bytes(body, max_bytes)).await {
        Ok(Ok(bytes)) => Ok(bytes),
        Ok(Err(error)) if is_length_limit(&error) => Err(too_large()),
        Ok(Err(error)) => {
            Err(ApiError::code(ErrorCode::SDRS_0201, format!("the request body could not be read: {error}")))
        }
        Err(_) => Err(ApiError::server(
            ServerCode::BodyTimeout,
            format!("the request body did not arrive within {} s", timeout.as_secs()),
        )),
    }
}

fn is_length_limit(error: &axum::Error) -> bool {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(error);
    while let Some(cause) = source {
        if cause.is::<http_body_util::LengthLimitError>() {
            return true;
        }
        source = cause.source();
    }
    false
}
