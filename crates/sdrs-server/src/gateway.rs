//! Gateway mode: the console's calls forwarded to a real SDRS endpoint, signed with AK/SK as the official SDKs sign.
//!
//! The browser never sees the access key. The gateway is not an open proxy: only the SDRS API's own paths are
//! forwarded (the route table of `openapi::OPERATIONS`), only for the configured project, and only for a console
//! that logged in with the locally configured secret (an HttpOnly, SameSite=Strict session cookie).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use crate::error::ApiError;
use crate::AppState;

/// How long a console session lasts.
const SESSION_LIFETIME: Duration = Duration::from_secs(12 * 3600);
/// The session cookie's name.
pub const COOKIE: &str = "sdrs_gateway";

/// Where the gateway forwards to, and with which credentials. Never logged: `Debug` hides the secrets.
#[derive(Clone)]
pub struct GatewayConfig {
    /// e.g. `https://sdrs.eu-de.otc.t-systems.com`; plain `http://` is accepted (another sdrs-server).
    pub upstream: String,
    pub project_id: String,
    pub access_key: String,
    pub secret_key: String,
    /// What the console types to log in.
    pub console_secret: String,
    pub timeout: Duration,
}

impl std::fmt::Debug for GatewayConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GatewayConfig")
            .field("upstream", &self.upstream)
            .field("project_id", &self.project_id)
            .field("access_key", &"<hidden>")
            .finish_non_exhaustive()
    }
}

/// The gateway's running state: the HTTP client and the console sessions.
#[derive(Clone)]
pub struct Gateway {
    pub config: Arc<GatewayConfig>,
    client: reqwest::Client,
    sessions: Arc<Mutex<HashMap<String, Instant>>>,
}

impl Gateway {
    pub fn new(config: GatewayConfig) -> anyhow::Result<Gateway> {
        let client =
            reqwest::Client::builder().timeout(config.timeout).redirect(reqwest::redirect::Policy::none()).build()?;
        Ok(Gateway { config: Arc::new(config), client, sessions: Arc::new(Mutex::new(HashMap::new())) })
    }

    fn new_session(&self) -> String {
        let token = format!("{}{}", uuid::Uuid::new_v4().simple(), uuid::Uuid::new_v4().simple());
        let mut sessions = self.sessions.lock().expect("the session map is never poisoned");
        sessions.retain(|_, expires| *expires > Instant::now());
        sessions.insert(token.clone(), Instant::now() + SESSION_LIFETIME);
        token
    }

    fn has_session(&self, headers: &HeaderMap) -> bool {
        let sessions = self.sessions.lock().expect("the session map is never poisoned");
        session_tokens(headers).any(|token| sessions.get(token).is_some_and(|expires| *expires > Instant::now()))
    }

    /// Ends the sessions the request's cookies name.
    fn end_sessions(&self, headers: &HeaderMap) {
        let mut sessions = self.sessions.lock().expect("the session map is never poisoned");
        for token in session_tokens(headers) {
            sessions.remove(token);
        }
    }
}

/// The session tokens in the request's `Cookie` headers.
fn session_tokens(headers: &HeaderMap) -> impl Iterator<Item = &str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|cookies| cookies.split(';'))
        .filter_map(|cookie| cookie.trim().strip_prefix(COOKIE)?.strip_prefix('='))
}

fn gateway_error(status: StatusCode, code: &'static str, message: String) -> Response {
    ApiError::Sdrs { status, body: sdrs_core::wire::ErrorBody { code: code.to_owned(), message } }.into_response()
}

#[derive(Deserialize)]
pub struct Login {
    secret: String,
}

/// `POST /gateway/login {"secret"}`: a session cookie for the console.
pub async fn login(State(state): State<AppState>, bytes: Bytes) -> Response {
    let Some(gateway) = &state.gateway else { return ApiError::no_such_api().into_response() };
    let Ok(login) = serde_json::from_slice::<Login>(&bytes) else {
        return gateway_error(StatusCode::BAD_REQUEST, "GATEWAY.0400", "expected {\"secret\": \"...\"}".to_owned());
    };
    use subtle::ConstantTimeEq;
    if !bool::from(login.secret.as_bytes().ct_eq(gateway.config.console_secret.as_bytes())) {
        return ApiError::unauthorized("the gateway secret is wrong").into_response();
    }
    let token = gateway.new_session();
    let cookie = format!("{COOKIE}={token}; HttpOnly; SameSite=Strict; Path=/");
    let mut response = StatusCode::NO_CONTENT.into_response();
    response.headers_mut().insert(header::SET_COOKIE, HeaderValue::from_str(&cookie).expect("an ASCII cookie"));
    response
}

/// `POST /gateway/logout`: ends the console's session and clears its cookie. Always 204, logged in or not.
pub async fn logout(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let Some(gateway) = &state.gateway else { return ApiError::no_such_api().into_response() };
    gateway.end_sessions(&headers);
    let cookie = format!("{COOKIE}=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0");
    let mut response = StatusCode::NO_CONTENT.into_response();
    response.headers_mut().insert(header::SET_COOKIE, HeaderValue::from_str(&cookie).expect("an ASCII cookie"));
    response
}

/// Whether `method path` is one of the SDRS API's own operations (not admin, not anything else).
fn allowed(method: &str, path: &str, project: &str) -> bool {
    let segments: Vec<&str> = path.split('/').collect();
    crate::openapi::OPERATIONS.iter().any(|op| {
        op.method.eq_ignore_ascii_case(method) && op.path.starts_with("/v1/{project_id}") && {
            let template: Vec<&str> = op.path.split('/').collect();
            template.len() == segments.len()
                && template.iter().zip(&segments).all(|(t, s)| match *t {
                    "{project_id}" => *s == project,
                    t if t.starts_with('{') => !s.is_empty() && *s != ".." && *s != ".",
                    t => t == *s,
                })
        }
    })
}

/// Forwards an allow-listed SDRS call upstream, signed; answers with the upstream's status and body unchanged.
pub async fn forward(State(state): State<AppState>, request: Request) -> Response {
    let Some(gateway) = state.gateway.clone() else { return ApiError::no_such_api().into_response() };
    if !gateway.has_session(request.headers()) {
        return ApiError::unauthorized("log in to the gateway first (POST /gateway/login)").into_response();
    }
    let method = request.method().as_str().to_owned();
    let path = request.uri().path().to_owned();
    let query = request.uri().query().map(str::to_owned);
    if !allowed(&method, &path, &gateway.config.project_id) {
        return ApiError::no_such_api().into_response();
    }
    let body = match axum::body::to_bytes(request.into_body(), state.config.max_body_bytes).await {
        Ok(body) => body,
        Err(_) => {
            return gateway_error(
                StatusCode::PAYLOAD_TOO_LARGE,
                "SDRS.0201",
                "the request body is too large".to_owned(),
            )
        }
    };
    let url = format!(
        "{}{path}{}",
        gateway.config.upstream.trim_end_matches('/'),
        query.as_deref().map(|q| format!("?{q}")).unwrap_or_default()
    );
    let host = match reqwest::Url::parse(&url) {
        Ok(parsed) => match (parsed.host_str(), parsed.port()) {
            (Some(host), Some(port)) => format!("{host}:{port}"),
            (Some(host), None) => host.to_owned(),
            _ => return gateway_error(StatusCode::BAD_GATEWAY, "GATEWAY.0502", format!("bad upstream URL {url}")),
        },
        Err(error) => {
            return gateway_error(StatusCode::BAD_GATEWAY, "GATEWAY.0502", format!("bad upstream URL: {error}"))
        }
    };
    let mut headers = vec![
        ("host".to_owned(), host),
        ("x-project-id".to_owned(), gateway.config.project_id.clone()),
        ("x-sdk-date".to_owned(), sdrs_auth::format_sdk_date(crate::now_millis() / 1000)),
        ("content-type".to_owned(), "application/json;charset=utf-8".to_owned()),
    ];
    let parts = sdrs_auth::RequestParts {
        method: &method,
        path: &path,
        query: query.as_deref(),
        headers: &headers,
        body: &body,
    };
    let authorization = match sdrs_auth::sign(&parts, &gateway.config.access_key, &gateway.config.secret_key) {
        Ok(value) => value,
        Err(error) => return gateway_error(StatusCode::INTERNAL_SERVER_ERROR, "GATEWAY.0500", error.to_string()),
    };
    headers.push(("authorization".to_owned(), authorization));
    let mut upstream = gateway.client.request(method.parse().unwrap_or(reqwest::Method::GET), &url);
    for (name, value) in &headers {
        if name != "host" {
            upstream = upstream.header(name, value);
        }
    }
    if !body.is_empty() {
        upstream = upstream.body(body.to_vec());
    }
    match upstream.send().await {
        Ok(answer) => {
            let status = StatusCode::from_u16(answer.status().as_u16()).unwrap_or(StatusCode::BAD_GATEWAY);
            let content_type = answer.headers().get(reqwest::header::CONTENT_TYPE).cloned();
            let request_id = answer.headers().get("x-request-id").cloned();
            let bytes = match answer.bytes().await {
                Ok(bytes) => bytes,
                Err(error) => return upstream_error(&gateway, &error),
            };
            let mut response = (status, bytes).into_response();
            if let Some(value) = content_type.and_then(|v| HeaderValue::from_bytes(v.as_bytes()).ok()) {
                response.headers_mut().insert(header::CONTENT_TYPE, value);
            }
            if let Some(value) = request_id.and_then(|v| HeaderValue::from_bytes(v.as_bytes()).ok()) {
                response.headers_mut().insert("x-upstream-request-id", value);
            }
            response
        }
        Err(error) => upstream_error(&gateway, &error),
    }
}

/// Which side failed, in the SDRS envelope: the upstream did not answer in time, refused, or failed TLS.
fn upstream_error(gateway: &Gateway, error: &reqwest::Error) -> Response {
    let upstream = &gateway.config.upstream;
    if error.is_timeout() {
        return gateway_error(
            StatusCode::GATEWAY_TIMEOUT,
            "GATEWAY.0504",
            format!(
                "the upstream SDRS endpoint {upstream} did not answer within {} s",
                gateway.config.timeout.as_secs()
            ),
        );
    }
    // The cause is at the bottom of the source chain (reqwest → hyper → rustls or io).
    let mut detail = error.to_string();
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        detail = format!("{detail}: {cause}");
        source = cause.source();
    }
    let lower = detail.to_lowercase();
    let tls = ["certificate", "tls", "handshake", "corrupt message", "invalidcontenttype"];
    let code = if tls.iter().any(|word| lower.contains(word)) { "GATEWAY.0526" } else { "GATEWAY.0502" };
    gateway_error(
        StatusCode::BAD_GATEWAY,
        code,
        format!("the upstream SDRS endpoint {upstream} could not be reached: {detail}"),
    )
}

#[cfg(test)]
mod tests {
    use super::allowed;

    #[test]
    fn only_the_sdrs_paths_of_the_project_are_forwarded() {
        assert!(allowed("POST", "/v1/p1/server-groups/g1/action", "p1"));
        assert!(allowed("GET", "/v1/p1/jobs/j1", "p1"));
        assert!(!allowed("POST", "/v1/p2/server-groups/g1/action", "p1"), "another project");
        assert!(!allowed("GET", "/admin/v1/p1/servers", "p1"), "the admin API is local");
        assert!(!allowed("PATCH", "/v1/p1/server-groups", "p1"), "a method the API does not have");
        assert!(!allowed("GET", "/v1/p1/server-groups/../../secrets", "p1"));
        assert!(!allowed("GET", "/v1/p1/server-groups/..", "p1"));
        assert!(!allowed("GET", "/elsewhere", "p1"));
    }
}
