//! Gateway mode: the console's calls forwarded to a real SDRS endpoint, signed with AK/SK as the official SDKs sign.
//!
//! The browser never sees the access key. The gateway is not an open proxy: only the SDRS API's own paths are
//! forwarded (the documented routes, `openapi::SDRS_OPERATIONS`, ids in the SDRS id alphabet), only for the configured
//! project, only for a console that logged in with the locally configured secret (an HttpOnly, SameSite=Strict
//! session cookie), and only same-origin: a change must be JSON and come from no other origin or site, which a
//! page on another port or a sibling subdomain (same-site for the cookie) cannot fake.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use axum::extract::{ConnectInfo, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::error::{ApiError, ApiResult, ServerCode};
use sdrs_client::{ClientError, FailureKind};

use crate::openapi::{service_of, Service};
use crate::store::Db;
use crate::AppState;

/// How long a console session lasts.
const SESSION_LIFETIME: Duration = Duration::from_secs(12 * 3600);
/// The session cookie's name.
pub const COOKIE: &str = "sdrs_gateway";
/// The shortest console secret accepted.
pub const MIN_SECRET_CHARS: usize = 16;
/// Wrong secrets a client may send before it has to wait; each one more doubles the wait, up to `MAX_LOCKOUT`.
const FREE_FAILURES: u32 = 5;
const MAX_LOCKOUT: Duration = Duration::from_secs(15 * 60);
/// Login attempts of all clients together, one per this much time at most (per replica): guessing the one secret is
/// slowed for everyone without a lockout that would keep its holder out; a login waits at most `MAX_PACE_WAIT` for
/// its turn, or is answered 429 at once.
const LOGIN_PACE: Duration = Duration::from_millis(500);
const MAX_PACE_WAIT: Duration = Duration::from_secs(5);

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
    /// Where ECS and IMS answer (`--gateway-ecs-upstream`, `--gateway-ims-upstream`); `None` derives them from the SDRS
    /// upstream (`sdrs.` → `ecs.`, `ims.`: `sdrs_client::derived_endpoint`).
    pub ecs_upstream: Option<String>,
    pub ims_upstream: Option<String>,
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

/// The gateway's running state: its configuration and HTTP client. Console sessions and failed logins are rows of the
/// database, so every replica knows them and a restart logs no console out.
#[derive(Clone)]
pub struct Gateway {
    pub config: Arc<GatewayConfig>,
    http: reqwest::Client,
    /// The configured project's client of the upstream SDRS, ECS and IMS, signed with the gateway's access key.
    client: sdrs_client::Client,
    /// When the next login attempt may be checked (`LOGIN_PACE`).
    next_login: Arc<std::sync::Mutex<tokio::time::Instant>>,
}

/// A session token as the database keeps it: its SHA-256, so a copy of the database holds no usable cookie.
fn token_digest(token: &str) -> String {
    use sha2::Digest;
    use std::fmt::Write as _;
    sha2::Sha256::digest(token.as_bytes()).iter().fold(String::with_capacity(64), |mut hex, byte| {
        let _ = write!(hex, "{byte:02x}");
        hex
    })
}

fn millis(duration: Duration) -> i64 {
    i64::try_from(duration.as_millis()).unwrap_or(i64::MAX)
}

impl Gateway {
    /// Refuses a console secret shorter than `MIN_SECRET_CHARS`: with logins throttled per client, a long secret
    /// is what makes guessing hopeless.
    pub fn new(config: GatewayConfig) -> anyhow::Result<Gateway> {
        anyhow::ensure!(
            config.console_secret.chars().count() >= MIN_SECRET_CHARS,
            "the gateway's console secret must be at least {MIN_SECRET_CHARS} characters long"
        );
        let http =
            reqwest::Client::builder().timeout(config.timeout).redirect(reqwest::redirect::Policy::none()).build()?;
        let client = config.client(Box::new(sdrs_client::HttpTransport::with_client(http.clone())));
        let next_login = Arc::new(tokio::time::Instant::now().into());
        Ok(Gateway { config: Arc::new(config), http, client, next_login })
    }

    /// Waits for this login attempt's turn among all clients', or says how long the queue is when that is more than
    /// `MAX_PACE_WAIT`.
    async fn login_turn(&self) -> Result<(), Duration> {
        let slot = {
            let mut next = self.next_login.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            let now = tokio::time::Instant::now();
            let slot = (*next).max(now);
            if slot - now > MAX_PACE_WAIT {
                return Err(slot - now);
            }
            *next = slot + LOGIN_PACE;
            slot
        };
        tokio::time::sleep_until(slot).await;
        Ok(())
    }

    /// The HTTP client the gateway forwards with (its timeout, no redirects), for the recovery-plan executor.
    pub fn http_client(&self) -> reqwest::Client {
        self.http.clone()
    }
}

/// Counts a login attempt of `client` before its secret is checked, in one write, and says how long it must wait if
/// it may not try now: after `FREE_FAILURES` attempts in a row that did not succeed, each one more doubles the wait
/// (1 s, 2 s, … 15 min). Counted first and atomically, so attempts sent at once, to one replica or several, get
/// `FREE_FAILURES` tries between them, not one each.
async fn take_login_try(db: &Db, client: String) -> ApiResult<Option<Duration>> {
    db.write(move |store| {
        let now = crate::now_millis();
        let (count, locked_until) = store.login_failures(&client)?.unwrap_or((0, 0));
        if locked_until > now {
            return Ok(Some(Duration::from_millis((locked_until - now) as u64)));
        }
        let count = count.saturating_add(1);
        let locked_until = if count >= FREE_FAILURES {
            let doublings = (count - FREE_FAILURES).min(10);
            now + millis(Duration::from_secs(1 << doublings).min(MAX_LOCKOUT))
        } else {
            now
        };
        // Clients that have not failed for a while are forgotten, so the table stays small.
        store.put_login_failures(&client, count, locked_until, now - millis(MAX_LOCKOUT))?;
        Ok(None)
    })
    .await
}

/// Forgets a client's attempts after it logged in.
async fn forget_login_tries(db: &Db, client: String) -> ApiResult<()> {
    db.write(move |store| store.clear_login_failures(&client)).await
}

/// A new console session's token (the cookie's value).
async fn new_session(db: &Db) -> ApiResult<String> {
    let token = format!("{}{}", uuid::Uuid::new_v4().simple(), uuid::Uuid::new_v4().simple());
    let digest = token_digest(&token);
    let now = crate::now_millis();
    db.write(move |store| store.put_session(&digest, now + millis(SESSION_LIFETIME), now)).await?;
    Ok(token)
}

/// Whether a cookie of the request names a live session.
async fn has_session(db: &Db, headers: &HeaderMap) -> ApiResult<bool> {
    let digests: Vec<String> = session_tokens(headers).map(token_digest).collect();
    if digests.is_empty() {
        return Ok(false);
    }
    let now = crate::now_millis();
    db.call(move |store| {
        for digest in &digests {
            if store.session_valid(digest, now)? {
                return Ok(true);
            }
        }
        Ok(false)
    })
    .await
}

/// Ends the sessions the request's cookies name.
async fn end_sessions(db: &Db, headers: &HeaderMap) -> ApiResult<()> {
    let digests: Vec<String> = session_tokens(headers).map(token_digest).collect();
    db.write(move |store| digests.iter().try_for_each(|digest| store.delete_session(digest))).await
}

/// Refuses a request without a live console session.
async fn require_session(state: &AppState, headers: &HeaderMap) -> Result<(), Response> {
    match has_session(&state.db, headers).await {
        Ok(true) => Ok(()),
        Ok(false) => Err(ApiError::unauthorized("log in to the gateway first (POST /gateway/login)").into_response()),
        Err(error) => Err(error.into_response()),
    }
}

/// The session tokens in the request's `Cookie` headers.
/// The console's session token the request carries, if it carries one.
pub fn session_token(headers: &HeaderMap) -> Option<&str> {
    session_tokens(headers).next()
}

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

/// The address a login is throttled on: the TCP peer, or, when the peer is a proxy named by `--trusted-proxy`, the
/// client its `X-Forwarded-For` names (the nearest address in it that is not itself a trusted proxy). Anything else
/// in that header is the client's own word and is not believed. An IPv6 client counts per /64, the block one
/// subscriber is given. In-process tests have no peer and share one.
pub fn client_key(headers: &HeaderMap, peer: Option<IpAddr>, trusted: &[IpAddr]) -> String {
    match client_address(headers, peer, trusted) {
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => v4.to_string(),
            None => {
                let s = v6.segments();
                format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
            }
        },
        IpAddr::V4(v4) => v4.to_string(),
    }
}

/// The client's address: the peer's, or behind a trusted proxy the nearest untrusted one it names in
/// `X-Forwarded-For`.
pub fn client_address(headers: &HeaderMap, peer: Option<IpAddr>, trusted: &[IpAddr]) -> IpAddr {
    let peer = peer.unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED));
    let mut client = peer;
    if trusted.contains(&peer) {
        let forwarded: Vec<IpAddr> = headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|value| value.to_str().ok())
            .flat_map(|value| value.split(','))
            .filter_map(|entry| entry.trim().parse().ok())
            .collect();
        if let Some(nearest) = forwarded.iter().rev().find(|address| !trusted.contains(address)) {
            client = *nearest;
        }
    }
    client
}

fn peer_of(request: &Request) -> Option<IpAddr> {
    request.extensions().get::<ConnectInfo<SocketAddr>>().map(|ConnectInfo(peer)| peer.ip())
}

/// Refuses a request that a page of another origin could have sent with the console's cookie: `SameSite=Strict`
/// stops other sites, not another port on the same host or a sibling subdomain. A browser says where a request
/// comes from (`Origin`, `Sec-Fetch-Site`); a change must also be JSON, which a cross-origin page cannot send
/// without a preflight that this server never grants.
fn refuse_cross_site(
    headers: &HeaderMap,
    method: &axum::http::Method,
    needs_json: bool,
    public_url: &str,
) -> Result<(), ApiError> {
    let cross_site = |why: &str| Err(ApiError::server(ServerCode::CrossSite, why.to_owned()));
    if let Some(site) = headers.get("sec-fetch-site").and_then(|v| v.to_str().ok()) {
        if !matches!(site, "same-origin" | "none") {
            return cross_site("the gateway answers its own console only (Sec-Fetch-Site is not same-origin)");
        }
    }
    if let Some(origin) = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) {
        let host = headers.get(header::HOST).and_then(|v| v.to_str().ok()).unwrap_or_default();
        let authority = origin.strip_prefix("http://").or_else(|| origin.strip_prefix("https://"));
        let same_host = !host.is_empty() && authority == Some(host);
        // Behind a proxy that rewrites `Host` (nginx does by default), the browser's origin is the public URL's.
        let public = reqwest::Url::parse(public_url).map(|url| url.origin().ascii_serialization());
        if !same_host && public.as_deref() != Ok(origin.trim_end_matches('/')) {
            return cross_site("the gateway answers its own console only (Origin is another origin)");
        }
    }
    let safe = matches!(*method, axum::http::Method::GET | axum::http::Method::HEAD);
    let json = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.trim_start().to_ascii_lowercase().starts_with("application/json"));
    if needs_json && !safe && !json {
        return cross_site("a change through the gateway must be sent as application/json");
    }
    Ok(())
}

/// `; Secure` when the console is reached over HTTPS: the configured public URL says so, or a proxy in front does.
fn secure_attribute(state: &AppState, headers: &HeaderMap) -> &'static str {
    let forwarded_https = headers.get("x-forwarded-proto").is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"https"));
    if forwarded_https || state.config.public_url.starts_with("https://") {
        "; Secure"
    } else {
        ""
    }
}

/// `POST /gateway/login {"secret"}`: a session cookie for the console. Failed attempts are throttled per client
/// address: after five in a row each one more doubles the wait (1 s, 2 s, … 15 min), answered 429.
pub async fn login(State(state): State<AppState>, request: Request) -> Response {
    let Some(gateway) = state.gateway.clone() else { return ApiError::no_such_api().into_response() };
    if let Err(refused) = refuse_cross_site(request.headers(), request.method(), true, &state.config.public_url) {
        return refused.into_response();
    }
    let client = client_key(request.headers(), peer_of(&request), &state.config.trusted_proxies);
    let wait = match take_login_try(&state.db, client.clone()).await {
        Ok(wait) => wait,
        Err(error) => return error.into_response(),
    };
    let wait = match wait {
        Some(wait) => Some(wait),
        None => gateway.login_turn().await.err(),
    };
    if let Some(wait) = wait {
        let mut response = ApiError::server(
            ServerCode::LoginThrottled,
            format!("too many login attempts; try again in {} s", wait.as_secs().max(1)),
        )
        .into_response();
        let seconds = HeaderValue::from(wait.as_secs().max(1));
        response.headers_mut().insert(header::RETRY_AFTER, seconds);
        return response;
    }
    let secure = secure_attribute(&state, request.headers());
    let limits = &state.config.limits;
    let (parts, body) = request.into_parts();
    let bytes = match crate::limits::read_body(&parts.headers, body, 4096, limits.body_timeout).await {
        Ok(bytes) => bytes,
        Err(error) => return error.into_response(),
    };
    let Ok(login) = serde_json::from_slice::<sdrs_core::wire::GatewayLogin>(&bytes) else {
        return gateway_error(StatusCode::BAD_REQUEST, "GATEWAY.0400", "expected {\"secret\": \"...\"}".to_owned());
    };
    use subtle::ConstantTimeEq;
    let right = bool::from(login.secret.as_bytes().ct_eq(gateway.config.console_secret.as_bytes()));
    if !right {
        return ApiError::unauthorized("the gateway secret is wrong").into_response();
    }
    if let Err(error) = forget_login_tries(&state.db, client).await {
        return error.into_response();
    }
    let token = match new_session(&state.db).await {
        Ok(token) => token,
        Err(error) => return error.into_response(),
    };
    let cookie = format!("{COOKIE}={token}; HttpOnly; SameSite=Strict; Path=/{secure}");
    let mut response = StatusCode::NO_CONTENT.into_response();
    response.headers_mut().insert(header::SET_COOKIE, HeaderValue::from_str(&cookie).expect("an ASCII cookie"));
    response
}

/// `POST /gateway/logout`: ends the console's session and clears its cookie. Always 204, logged in or not.
pub async fn logout(State(state): State<AppState>, headers: HeaderMap) -> Response {
    if state.gateway.is_none() {
        return ApiError::no_such_api().into_response();
    }
    if let Err(refused) = refuse_cross_site(&headers, &axum::http::Method::POST, false, &state.config.public_url) {
        return refused.into_response();
    }
    if let Err(error) = end_sessions(&state.db, &headers).await {
        return error.into_response();
    }
    let cookie = format!("{COOKIE}=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0");
    let mut response = StatusCode::NO_CONTENT.into_response();
    response.headers_mut().insert(header::SET_COOKIE, HeaderValue::from_str(&cookie).expect("an ASCII cookie"));
    response
}

/// The service `method path` is an operation of, if it is one the gateway forwards: the SDRS API's own operations
/// and the ECS and IMS reads (not admin, not anything else), for the configured project.
fn allowed(method: &str, path: &str, project: &str) -> Option<Service> {
    let segments: Vec<&str> = path.split('/').collect();
    let operations = crate::openapi::SDRS_OPERATIONS.iter().chain(crate::openapi::CLOUD_OPERATIONS.iter());
    operations
        .filter(|(documented_method, documented_path)| {
            documented_method.eq_ignore_ascii_case(method) && {
                let template: Vec<&str> = documented_path.split('/').collect();
                template.len() == segments.len()
                    && template.iter().zip(&segments).all(|(t, s)| match *t {
                        "{project_id}" => *s == project,
                        // Checked raw: `%2e%2e`, `%2F` or `\\` fail here, before any client could rewrite them.
                        t if t.starts_with('{') => sdrs_core::request::is_resource_id(s),
                        t => t == *s,
                    })
            }
        })
        .find_map(|(_, documented_path)| service_of(documented_path))
}

impl GatewayConfig {
    /// The configured project's client of the upstream SDRS, ECS and IMS, signed with the gateway's access key,
    /// over `transport`: the gateway's own forwarding and the recovery-plan executor in gateway mode both use it.
    pub fn client(&self, transport: Box<dyn sdrs_client::Transport>) -> sdrs_client::Client {
        let credential = sdrs_client::Credential::AccessKey {
            access_key: self.access_key.clone(),
            secret_key: self.secret_key.clone(),
        };
        sdrs_client::Client::new(&self.upstream, &self.project_id, credential, transport)
            .with_services(self.ecs_upstream.as_deref(), self.ims_upstream.as_deref())
    }

    /// Where a service's calls go.
    fn upstream_of(&self, service: Service) -> String {
        let (given, derived) = match service {
            Service::Sdrs => return self.upstream.clone(),
            Service::Ecs => (&self.ecs_upstream, Service::Ecs),
            Service::Ims => (&self.ims_upstream, Service::Ims),
        };
        given.clone().unwrap_or_else(|| sdrs_client::derived_endpoint(&self.upstream, derived))
    }
}

/// The middleware of the recovery-plan API in gateway mode: the console's session, same-origin JSON changes, the
/// configured project only. Plans and runs live in the gateway's database; their actions go upstream (`plans`).
pub async fn authenticate_session(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let Some(gateway) = state.gateway.clone() else { return ApiError::no_such_api().into_response() };
    if let Err(refused) = require_session(&state, request.headers()).await {
        return refused;
    }
    if let Err(refused) = refuse_cross_site(request.headers(), request.method(), true, &state.config.public_url) {
        return refused.into_response();
    }
    if crate::auth::path_project(request.uri().path()) != Some(gateway.config.project_id.as_str()) {
        return ApiError::unauthorized("the gateway serves its configured project only").into_response();
    }
    let limits = &state.config.limits;
    let (mut parts, body) = request.into_parts();
    match crate::limits::read_body(&parts.headers, body, state.config.max_body_bytes, limits.body_timeout).await {
        Ok(bytes) => {
            parts.extensions.insert(crate::plans::Caller("the gateway's console session".to_owned()));
            next.run(Request::from_parts(parts, axum::body::Body::from(bytes))).await
        }
        Err(error) => error.into_response(),
    }
}

/// Forwards an allow-listed SDRS call upstream, signed; answers with the upstream's status and body unchanged.
pub async fn forward(State(state): State<AppState>, request: Request) -> Response {
    let Some(gateway) = state.gateway.clone() else { return ApiError::no_such_api().into_response() };
    if let Err(refused) = require_session(&state, request.headers()).await {
        return refused;
    }
    if let Err(refused) = refuse_cross_site(request.headers(), request.method(), true, &state.config.public_url) {
        return refused.into_response();
    }
    let method = request.method().as_str().to_owned();
    let path = request.uri().path().to_owned();
    let query = request.uri().query().map(str::to_owned);
    let Some(service) = allowed(&method, &path, &gateway.config.project_id) else {
        return ApiError::no_such_api().into_response();
    };
    let upstream = gateway.config.upstream_of(service);
    let limits = &state.config.limits;
    let (parts, body) = request.into_parts();
    let body =
        match crate::limits::read_body(&parts.headers, body, state.config.max_body_bytes, limits.body_timeout).await {
            Ok(body) => body,
            Err(error) => return error.into_response(),
        };
    // The path checked above must be the path sent: the URL parser normalises, so check again what it makes of it.
    let parsed = reqwest::Url::parse(&format!("{}{path}", upstream.trim_end_matches('/')));
    let upstream_base = reqwest::Url::parse(&upstream).map(|u| u.path().trim_end_matches('/').to_owned());
    match (&parsed, upstream_base) {
        (Ok(parsed), Ok(base)) if format!("{base}{path}") == parsed.path() => {}
        (Ok(_), Ok(_)) => return ApiError::no_such_api().into_response(),
        _ => {
            tracing::warn!(upstream, "the gateway's upstream URL does not parse");
            return gateway_error(
                StatusCode::BAD_GATEWAY,
                "GATEWAY.0502",
                "the upstream URL is misconfigured".to_owned(),
            );
        }
    }
    let method = method.parse().unwrap_or(http::Method::GET);
    // Signed and sent by sdrs-client, as every request this project makes (a fresh `x-request-id` each, so two
    // identical clicks in one second are not one signed request to a server that carries out a change once).
    let sent = gateway.client.forward(method, service, &path, query.as_deref(), body).await;
    let outcome = match &sent {
        Ok(answer) => answer.status().as_u16().to_string(),
        Err(ClientError::NoAnswer { kind: FailureKind::Timeout, .. }) => "timeout".to_owned(),
        Err(_) => "unreachable".to_owned(),
    };
    let labels = crate::ops::UpstreamLabels { service: service.as_str().to_owned(), status: outcome };
    state.metrics.upstream_calls.get_or_create(&labels).inc();
    match sent {
        Ok(answer) => {
            let (parts, bytes) = answer.into_parts();
            let status = StatusCode::from_u16(parts.status.as_u16()).unwrap_or(StatusCode::BAD_GATEWAY);
            let mut response = (status, bytes).into_response();
            if let Some(value) = parts.headers.get(header::CONTENT_TYPE) {
                response.headers_mut().insert(header::CONTENT_TYPE, value.clone());
            }
            if let Some(value) = parts.headers.get("x-request-id") {
                response.headers_mut().insert("x-upstream-request-id", value.clone());
            }
            response
        }
        Err(error) => upstream_error(&gateway, &error),
    }
}

/// Which side failed, in the SDRS envelope: the upstream did not answer in time, refused, failed TLS or answered too
/// much. The answer names the kind of failure only; the upstream's URL and the OS's error text go to the log, not to
/// the browser.
fn upstream_error(gateway: &Gateway, error: &ClientError) -> Response {
    tracing::warn!(upstream = %gateway.config.upstream, error = %error, "the upstream SDRS endpoint failed");
    let kind = match error {
        ClientError::NoAnswer { kind, .. } => *kind,
        _ => FailureKind::Other,
    };
    let (status, code, message) = match kind {
        FailureKind::Timeout => (
            StatusCode::GATEWAY_TIMEOUT,
            "GATEWAY.0504",
            format!("the upstream SDRS endpoint did not answer within {} s", gateway.config.timeout.as_secs()),
        ),
        FailureKind::Tls => (
            StatusCode::BAD_GATEWAY,
            "GATEWAY.0526",
            "the upstream SDRS endpoint's TLS could not be verified (see the server log)".to_owned(),
        ),
        FailureKind::TooLarge => (
            StatusCode::BAD_GATEWAY,
            "GATEWAY.0502",
            format!("the upstream SDRS endpoint answered more than {} bytes", sdrs_client::MAX_ANSWER_BYTES),
        ),
        FailureKind::Connect => (
            StatusCode::BAD_GATEWAY,
            "GATEWAY.0502",
            "the upstream SDRS endpoint could not be connected to (see the server log)".to_owned(),
        ),
        FailureKind::Other => (
            StatusCode::BAD_GATEWAY,
            "GATEWAY.0502",
            "the upstream SDRS endpoint failed during the call (see the server log)".to_owned(),
        ),
    };
    gateway_error(status, code, message)
}

#[cfg(test)]
mod tests {
    use super::allowed;

    #[test]
    fn only_the_sdrs_paths_of_the_project_are_forwarded() {
        use super::Service;
        assert_eq!(allowed("POST", "/v1/p1/server-groups/g1/action", "p1"), Some(Service::Sdrs));
        assert_eq!(allowed("GET", "/v1/p1/jobs/j1", "p1"), Some(Service::Sdrs));
        assert_eq!(allowed("GET", "/v1/p1/cloudservers/s1", "p1"), Some(Service::Ecs));
        assert_eq!(allowed("GET", "/v1/p1/cloudservers/detail", "p1"), Some(Service::Ecs));
        assert_eq!(allowed("GET", "/v2/images/i1", "p1"), Some(Service::Ims));
        assert_eq!(allowed("POST", "/v1/p1/cloudservers/s1", "p1"), None, "no ECS change is forwarded");
        assert_eq!(allowed("DELETE", "/v2/images/i1", "p1"), None, "no IMS change is forwarded");
        assert_eq!(allowed("GET", "/v1/p2/cloudservers/s1", "p1"), None, "another project's servers");
        assert_eq!(allowed("POST", "/v1/p2/server-groups/g1/action", "p1"), None, "another project");
        assert_eq!(allowed("GET", "/admin/v1/p1/servers", "p1"), None, "the admin API is local");
        assert_eq!(allowed("PATCH", "/v1/p1/server-groups", "p1"), None, "a method the API does not have");
        assert_eq!(allowed("GET", "/v1/p1/server-groups/../../secrets", "p1"), None);
        assert_eq!(allowed("GET", "/v1/p1/server-groups/..", "p1"), None);
        assert_eq!(allowed("GET", "/elsewhere", "p1"), None);
        // Ids that a URL parser would rewrite into another path (found by the security review).
        for id in ["%2e%2e", "%2E%2E", "a%2Fb", "a\\b", "..%5c", "%2e", "a.b"] {
            assert_eq!(allowed("GET", &format!("/v1/p1/server-groups/{id}"), "p1"), None, "{id}");
        }
    }
}
