//! The one error type of the server, rendered as the SDRS envelope or, before SDRS is reached, the gateway's format.

use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use sdrs_core::catalogue::SdrsCoded;
use sdrs_core::wire::{ErrorBody, ErrorEnvelope, GatewayError};
use sdrs_core::ErrorCode;

/// Refusals of this server's own, outside SDRS's catalogue; the README's security section lists them, as it lists
/// the gateway's `GATEWAY.*` codes. They come in the SDRS envelope so that SDKs and the console read them as usual.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ServerCode {
    /// Too many connections or requests in flight; retry shortly.
    Overloaded,
    /// The request was not answered within the server's deadline.
    Deadline,
    /// The request body did not arrive in time.
    BodyTimeout,
    /// The same signed request is being processed right now.
    ReplayInFlight,
    /// Too many failed gateway logins from this client.
    LoginThrottled,
    /// A cross-site request to the gateway.
    CrossSite,
}

impl ServerCode {
    pub fn as_str(self) -> &'static str {
        match self {
            ServerCode::Overloaded => "SERVER.0503",
            ServerCode::Deadline => "SERVER.0504",
            ServerCode::BodyTimeout => "SERVER.0408",
            ServerCode::ReplayInFlight => "SERVER.0409",
            ServerCode::LoginThrottled => "SERVER.0429",
            ServerCode::CrossSite => "SERVER.0403",
        }
    }

    pub fn status(self) -> StatusCode {
        match self {
            ServerCode::Overloaded | ServerCode::Deadline => StatusCode::SERVICE_UNAVAILABLE,
            ServerCode::BodyTimeout => StatusCode::REQUEST_TIMEOUT,
            ServerCode::ReplayInFlight => StatusCode::CONFLICT,
            ServerCode::LoginThrottled => StatusCode::TOO_MANY_REQUESTS,
            ServerCode::CrossSite => StatusCode::FORBIDDEN,
        }
    }
}

/// Everything a handler can fail with.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// An SDRS error: `{"error": {"code": "SDRS.xxxx", "message": "..."}}`.
    #[error("{} {}", .body.code, .body.message)]
    Sdrs { status: StatusCode, body: ErrorBody },
    /// Refused before SDRS, as the API gateway does: `{"error_msg", "error_code", "request_id"}`.
    #[error("{code} {message}")]
    Gateway { status: StatusCode, code: &'static str, message: String },
    /// A bug or an unavailable database; the client sees only "internal error".
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

/// Handler results.
pub type ApiResult<T> = Result<T, ApiError>;

impl ApiError {
    /// An SDRS error from any core refusal.
    pub fn from_coded(error: &impl SdrsCoded) -> ApiError {
        let code = error.code();
        ApiError::Sdrs { status: status_of(code), body: error.to_error_body() }
    }

    /// The refusal a core rule found.
    pub fn refusal(refusal: &sdrs_core::member_rules::Refusal) -> ApiError {
        ApiError::code(refusal.code, &refusal.detail)
    }

    /// A member check that found refusals: the first one's code, every one's words (in the order the rules check).
    pub fn from_member_check(check: &sdrs_core::member_rules::MemberCheck) -> Result<(), ApiError> {
        let Some(first) = check.refusals.first() else { return Ok(()) };
        if check.refusals.len() == 1 {
            return Err(ApiError::refusal(first));
        }
        let detail =
            check.refusals.iter().map(|r| format!("{} ({})", r.detail, r.code.as_str())).collect::<Vec<_>>().join("; ");
        Err(ApiError::code(first.code, detail))
    }

    /// The refusal for an id that does not exist.
    pub fn missing(kind: sdrs_core::member_rules::Missing, id: &str) -> ApiError {
        ApiError::refusal(&kind.refusal(id))
    }

    /// An SDRS error with the documented message and a detail.
    pub fn code(code: ErrorCode, detail: impl AsRef<str>) -> ApiError {
        ApiError::Sdrs { status: status_of(code), body: code.body(Some(detail.as_ref())) }
    }

    /// The gateway's 401.
    pub fn unauthorized(message: impl Into<String>) -> ApiError {
        ApiError::Gateway {
            status: StatusCode::UNAUTHORIZED,
            code: "APIG.0301",
            message: format!("Incorrect IAM authentication information: {}", message.into()),
        }
    }

    /// The gateway's answer for a path that is no API.
    pub fn no_such_api() -> ApiError {
        ApiError::Gateway {
            status: StatusCode::NOT_FOUND,
            code: "APIG.0101",
            message: "The API does not exist or has not been published in the environment".to_owned(),
        }
    }

    /// This server's own refusal (a limit, a deadline, a replay, the gateway's guards), in the SDRS envelope.
    pub fn server(code: ServerCode, message: impl Into<String>) -> ApiError {
        ApiError::Sdrs {
            status: code.status(),
            body: ErrorBody { code: code.as_str().to_owned(), message: message.into() },
        }
    }

    /// A recovery-plan refusal (this tool's own `PLAN.*` codes), in the SDRS envelope.
    pub fn plan(error: &sdrs_core::plan::PlanError) -> ApiError {
        let code = error.code();
        ApiError::Sdrs {
            status: StatusCode::from_u16(code.http_status()).unwrap_or(StatusCode::BAD_REQUEST),
            body: ErrorBody { code: code.as_str().to_owned(), message: error.to_string() },
        }
    }

    /// The SDRS service this server drives (the upstream in gateway mode) could not be read.
    pub fn upstream(message: impl Into<String>) -> ApiError {
        ApiError::Sdrs {
            status: StatusCode::BAD_GATEWAY,
            body: ErrorBody { code: "GATEWAY.0502".to_owned(), message: message.into() },
        }
    }

    /// The SDRS code, for logs and tests.
    pub fn sdrs_code(&self) -> Option<&str> {
        match self {
            ApiError::Sdrs { body, .. } => Some(&body.code),
            _ => None,
        }
    }
}

fn status_of(code: ErrorCode) -> StatusCode {
    StatusCode::from_u16(code.http_status()).unwrap_or(StatusCode::BAD_REQUEST)
}

impl From<serde_json::Error> for ApiError {
    fn from(error: serde_json::Error) -> Self {
        ApiError::Internal(error.into())
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        match self {
            ApiError::Sdrs { status, body } => (status, axum::Json(ErrorEnvelope::Error(body))).into_response(),
            ApiError::Gateway { status, code, message } => {
                let body = GatewayError { error_msg: message, error_code: code.to_owned(), request_id: None };
                (status, axum::Json(body)).into_response()
            }
            ApiError::Internal(error) => {
                tracing::error!(error = %format!("{error:#}"), "internal error");
                let body = ErrorCode::SDRS_0405.body(Some("internal error"));
                let mut response =
                    (StatusCode::INTERNAL_SERVER_ERROR, axum::Json(ErrorEnvelope::Error(body))).into_response();
                response.headers_mut().insert("x-sdrs-internal", HeaderValue::from_static("1"));
                response
            }
        }
    }
}

/// What the document says a handler's failure looks like: a refusal in the SDRS envelope, or an internal error. The
/// refusals of the layers around handlers (credentials, limits, replays) are added by `openapi::document`.
impl aide::OperationOutput for ApiError {
    type Inner = ErrorEnvelope;

    fn inferred_responses(
        ctx: &mut aide::generate::GenContext,
        operation: &mut aide::openapi::Operation,
    ) -> Vec<(Option<aide::openapi::StatusCode>, aide::openapi::Response)> {
        let mut envelope = |description: &str| {
            let mut response = axum::Json::<ErrorEnvelope>::operation_response(ctx, operation).unwrap_or_default();
            response.description = description.to_owned();
            response
        };
        vec![
            (Some(aide::openapi::StatusCode::Code(400)), envelope("Refused: an SDRS error code and message")),
            (Some(aide::openapi::StatusCode::Code(500)), envelope("Internal error")),
        ]
    }
}
