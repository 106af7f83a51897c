//! sdrs-client: one typed client of the SDRS, ECS and IMS APIs, and the one way this project signs and sends a
//! request: the CLI, the recovery-plan executor and the gateway's forwarding (`Client::forward`) all go through it.
//!
//! Requests and answers are the core's wire types; AK/SK requests are signed with sdrs-auth exactly as the official
//! SDKs sign; errors come back as the service's own code and message. The bytes travel through a [`Transport`]:
//! [`HttpTransport`] (reqwest) for a real endpoint or another sdrs-server, or anything else that answers HTTP, such
//! as sdrs-server's own router called in-process.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use serde::de::DeserializeOwned;

use sdrs_core::action::GroupAction;
use sdrs_core::profile::{profile_from_cloud, Lookup, ServerProfile};
use sdrs_core::snapshot::GroupSnapshot;
use sdrs_core::wire::{
    CreateDrillParams, CreateDrillRequest, DisasterRecoveryDrill, DisasterRecoveryDrillList, EcsServer,
    EcsServerResponse, ErrorReply, ImsImage, Job, JobIdResponse, ProtectedInstance, ProtectedInstanceList, Replication,
    ReplicationList, ServerGroup, ServerGroupList, ServerGroupResponse,
};

/// The largest answer read (a page of 1,000 groups is about 1.5 MB).
pub const MAX_ANSWER_BYTES: usize = 16 << 20;

/// How a request proves who sends it.
#[derive(Clone)]
pub enum Credential {
    /// `X-Auth-Token`.
    Token(String),
    /// `SDK-HMAC-SHA256` with an access key and its secret.
    AccessKey { access_key: String, secret_key: String },
}

impl std::fmt::Debug for Credential {
    /// Never prints a secret.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Credential::Token(_) => f.write_str("Token(<hidden>)"),
            Credential::AccessKey { access_key, .. } => write!(f, "AccessKey({access_key}, <hidden>)"),
        }
    }
}

/// A request that went wrong.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ClientError {
    /// The service answered with an error: its HTTP status, code and message.
    #[error("{code} {message} (HTTP {status})")]
    Api { status: u16, code: String, message: String },
    /// No answer came (connection refused or lost, timeout): a change may or may not have been received.
    #[error("no answer from {endpoint}: {reason}")]
    NoAnswer { endpoint: String, kind: FailureKind, reason: String },
    /// An answer came that is not what the API documents.
    #[error("unexpected answer (HTTP {status}): {detail}")]
    Unexpected { status: u16, detail: String },
}

impl ClientError {
    /// The service's error code, if it answered with one.
    pub fn code(&self) -> Option<&str> {
        match self {
            ClientError::Api { code, .. } => Some(code),
            _ => None,
        }
    }
}

/// Why no answer came, as far as the transport can tell.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailureKind {
    /// Nothing within the timeout.
    Timeout,
    /// The connection could not be made (refused, no route, the name does not resolve).
    Connect,
    /// TLS failed: the certificate did not verify, or the handshake broke.
    Tls,
    /// The answer was larger than `MAX_ANSWER_BYTES`.
    TooLarge,
    /// Anything else (the connection broke during the call, a URL that does not parse).
    Other,
}

/// No answer, and why: its kind, and the words of the error chain (for logs: they may name hosts).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TransportError {
    pub kind: FailureKind,
    pub reason: String,
}

impl From<String> for TransportError {
    fn from(reason: String) -> TransportError {
        TransportError { kind: FailureKind::Other, reason }
    }
}

/// A future a transport returns.
pub type Sending<'a> = Pin<Box<dyn Future<Output = Result<http::Response<Bytes>, TransportError>> + Send + 'a>>;

/// Carries a request to the service and its answer back. An `Err` means no answer (the request may have been
/// received); any HTTP answer, errors included, is `Ok`.
pub trait Transport: Send + Sync + 'static {
    fn send(&self, request: http::Request<Bytes>) -> Sending<'_>;
}

impl Transport for Box<dyn Transport> {
    fn send(&self, request: http::Request<Bytes>) -> Sending<'_> {
        (**self).send(request)
    }
}

/// HTTP over reqwest (rustls, the system's roots), never following redirects, reading at most `MAX_ANSWER_BYTES`.
pub struct HttpTransport {
    client: reqwest::Client,
}

impl HttpTransport {
    pub fn new(timeout: Duration) -> Result<HttpTransport, String> {
        let client = reqwest::Client::builder()
            .timeout(timeout)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| e.to_string())?;
        Ok(HttpTransport { client })
    }

    /// Over a client configured elsewhere (its timeout and redirect policy are the caller's).
    pub fn with_client(client: reqwest::Client) -> HttpTransport {
        HttpTransport { client }
    }
}

impl Transport for HttpTransport {
    fn send(&self, request: http::Request<Bytes>) -> Sending<'_> {
        Box::pin(async move {
            let (mut parts, body) = request.into_parts();
            // reqwest sets `Host` from the URL (the same value the signature covers); a second one would be sent too.
            parts.headers.remove(http::header::HOST);
            // The path signed must be the path sent: reqwest's URL parser normalises (dot segments), so refuse a URL
            // it would change.
            let url = reqwest::Url::parse(&parts.uri.to_string()).map_err(|e| TransportError::from(e.to_string()))?;
            if url.path() != parts.uri.path() {
                return Err(format!("the URL's path would be sent as {}", url.path()).into());
            }
            let mut builder = self.client.request(parts.method, url).headers(parts.headers);
            if !body.is_empty() {
                builder = builder.body(body);
            }
            let mut answer = builder.send().await.map_err(|e| failure(&e))?;
            let too_large = || TransportError {
                kind: FailureKind::TooLarge,
                reason: format!("the answer is larger than {MAX_ANSWER_BYTES} bytes"),
            };
            if answer.content_length().is_some_and(|length| length > MAX_ANSWER_BYTES as u64) {
                return Err(too_large());
            }
            let mut response = http::Response::builder().status(answer.status().as_u16());
            for (name, value) in answer.headers() {
                response = response.header(name, value);
            }
            let mut bytes = Vec::new();
            while let Some(chunk) = answer.chunk().await.map_err(|e| failure(&e))? {
                if bytes.len() + chunk.len() > MAX_ANSWER_BYTES {
                    return Err(too_large());
                }
                bytes.extend_from_slice(&chunk);
            }
            response.body(Bytes::from(bytes)).map_err(|e| e.to_string().into())
        })
    }
}

/// reqwest's error as a failure: its kind, and the words of its causes, which say what really happened (refused,
/// reset, timed out, which certificate).
fn failure(error: &reqwest::Error) -> TransportError {
    let mut reason = error.to_string();
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        reason.push_str(": ");
        reason.push_str(&cause.to_string());
        source = cause.source();
    }
    let lower = reason.to_lowercase();
    let kind = if error.is_timeout() {
        FailureKind::Timeout
    } else if ["certificate", "tls", "handshake", "corrupt message", "invalidcontenttype"]
        .iter()
        .any(|w| lower.contains(w))
    {
        FailureKind::Tls
    } else if error.is_connect() {
        FailureKind::Connect
    } else {
        FailureKind::Other
    };
    TransportError { kind, reason }
}

/// A client of one project at one endpoint. Cheap to clone.
#[derive(Clone)]
pub struct Client {
    inner: Arc<Inner>,
}

struct Inner {
    endpoint: String,
    /// Where ECS and IMS answer: on a real cloud other hosts than SDRS's (`ecs.…`, `ims.…`); sdrs-server answers all
    /// three itself.
    ecs: String,
    ims: String,
    project: String,
    credential: Credential,
    transport: Box<dyn Transport>,
    /// Milliseconds since the epoch, for `X-Sdk-Date`; the clock is the caller's.
    clock: fn() -> i64,
}

fn system_clock() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_millis() as i64)
}

/// A request to send: method, service, path under its endpoint (with its query), body, and the idempotency key of a
/// submission (`X-Sdrs-Idempotency-Key`, sdrs-server's extension; other endpoints ignore the header).
#[derive(Default)]
struct Call<'a> {
    method: http::Method,
    service: Service,
    path: &'a str,
    query: Option<&'a str>,
    body: Option<Vec<u8>>,
    key: Option<&'a str>,
}

/// Which service a call goes to.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub enum Service {
    #[default]
    Sdrs,
    Ecs,
    Ims,
}

impl Service {
    pub fn as_str(self) -> &'static str {
        match self {
            Service::Sdrs => "sdrs",
            Service::Ecs => "ecs",
            Service::Ims => "ims",
        }
    }
}

/// Where `service` answers for an SDRS endpoint: its host's first label `sdrs` replaced by `ecs` or `ims`
/// (`https://sdrs.eu-de.otc.t-systems.com` → `https://ecs.eu-de.otc.t-systems.com`), as Huawei Cloud, Open Telekom
/// Cloud and Flexible Engine name their endpoints; any other endpoint (sdrs-server) is asked itself.
pub fn derived_endpoint(sdrs: &str, service: Service) -> String {
    let label = match service {
        Service::Sdrs => return sdrs.trim_end_matches('/').to_owned(),
        Service::Ecs => "ecs",
        Service::Ims => "ims",
    };
    let trimmed = sdrs.trim_end_matches('/');
    match trimmed.split_once("://") {
        Some((scheme, rest)) if rest.starts_with("sdrs.") => format!("{scheme}://{label}.{}", &rest["sdrs.".len()..]),
        _ => trimmed.to_owned(),
    }
}

/// The header of a submission's idempotency key.
pub const IDEMPOTENCY_KEY: &str = "x-sdrs-idempotency-key";

impl Client {
    /// A client of `project` at `endpoint` (e.g. `https://sdrs.eu-de.otc.t-systems.com`) through `transport`.
    pub fn new(endpoint: &str, project: &str, credential: Credential, transport: impl Transport) -> Client {
        Client {
            inner: Arc::new(Inner {
                endpoint: endpoint.trim_end_matches('/').to_owned(),
                ecs: derived_endpoint(endpoint, Service::Ecs),
                ims: derived_endpoint(endpoint, Service::Ims),
                project: project.to_owned(),
                credential,
                transport: Box::new(transport),
                clock: system_clock,
            }),
        }
    }

    /// The same client with ECS and IMS at these endpoints (`None` keeps the one derived from the SDRS endpoint).
    /// Only before the client is cloned.
    pub fn with_services(mut self, ecs: Option<&str>, ims: Option<&str>) -> Client {
        let inner = Arc::get_mut(&mut self.inner).expect("set the services before cloning the client");
        if let Some(ecs) = ecs {
            inner.ecs = ecs.trim_end_matches('/').to_owned();
        }
        if let Some(ims) = ims {
            inner.ims = ims.trim_end_matches('/').to_owned();
        }
        self
    }

    /// The same over HTTP.
    pub fn http(endpoint: &str, project: &str, credential: Credential, timeout: Duration) -> Result<Client, String> {
        Ok(Client::new(endpoint, project, credential, HttpTransport::new(timeout)?))
    }

    pub fn endpoint(&self) -> &str {
        &self.inner.endpoint
    }

    pub fn project(&self) -> &str {
        &self.inner.project
    }

    /// Builds, signs and sends one request; decodes a success as `T` and an error as the service's envelope.
    async fn call<T: DeserializeOwned>(&self, call: Call<'_>) -> Result<T, ClientError> {
        let bytes = self.send(call).await?;
        serde_json::from_slice(&bytes).map_err(|e| ClientError::Unexpected { status: 200, detail: e.to_string() })
    }

    async fn send(&self, call: Call<'_>) -> Result<Bytes, ClientError> {
        let answer = self.exchange(call).await?;
        let status = answer.status().as_u16();
        let bytes = answer.into_body();
        if (200..300).contains(&status) {
            return Ok(bytes);
        }
        Err(api_error(status, &bytes))
    }

    /// Signs and sends a request as it is given, for a proxy (sdrs-server's gateway): the answer comes back whatever
    /// its status, headers included; only no answer is an error (`ClientError::NoAnswer`, with its kind).
    pub async fn forward(
        &self,
        method: http::Method,
        service: Service,
        path: &str,
        query: Option<&str>,
        body: Bytes,
    ) -> Result<http::Response<Bytes>, ClientError> {
        self.exchange(Call { method, service, path, query, body: Some(body.to_vec()), key: None }).await
    }

    /// Builds, signs and sends one request; any HTTP answer is `Ok`.
    async fn exchange(&self, call: Call<'_>) -> Result<http::Response<Bytes>, ClientError> {
        let inner = &self.inner;
        let base = match call.service {
            Service::Sdrs => &inner.endpoint,
            Service::Ecs => &inner.ecs,
            Service::Ims => &inner.ims,
        };
        let url = match call.query {
            Some(query) => format!("{base}{}?{query}", call.path),
            None => format!("{base}{}", call.path),
        };
        let no_answer = |failure: TransportError| ClientError::NoAnswer {
            endpoint: inner.endpoint.clone(),
            kind: failure.kind,
            reason: failure.reason,
        };
        let uri: http::Uri = url.parse().map_err(|e: http::uri::InvalidUri| no_answer(e.to_string().into()))?;
        let host = uri.authority().map(|a| a.as_str().to_owned()).unwrap_or_default();
        let body = call.body.unwrap_or_default();
        let mut headers: Vec<(String, String)> = vec![
            ("host".to_owned(), host),
            ("content-type".to_owned(), "application/json;charset=utf-8".to_owned()),
            ("x-project-id".to_owned(), inner.project.clone()),
            // Signed and fresh for every call: a server that carries out a signed change once within the signature
            // window (as sdrs-server does) must not take two distinct calls in one second for a replay.
            ("x-request-id".to_owned(), uuid::Uuid::new_v4().simple().to_string()),
        ];
        if let Some(key) = call.key {
            headers.push((IDEMPOTENCY_KEY.to_owned(), key.to_owned()));
        }
        match &inner.credential {
            Credential::Token(token) => headers.push(("x-auth-token".to_owned(), token.clone())),
            Credential::AccessKey { access_key, secret_key } => {
                headers.push(("x-sdk-date".to_owned(), sdrs_auth::format_sdk_date((inner.clock)() / 1000)));
                let parts = sdrs_auth::RequestParts {
                    method: call.method.as_str(),
                    path: uri.path(),
                    query: uri.query(),
                    headers: &headers,
                    body: &body,
                };
                let authorization = sdrs_auth::sign(&parts, access_key, secret_key)
                    .map_err(|e| ClientError::Unexpected { status: 0, detail: e.to_string() })?;
                headers.push(("authorization".to_owned(), authorization));
            }
        }
        let mut request = http::Request::builder().method(call.method).uri(uri);
        for (name, value) in &headers {
            request = request.header(name, value);
        }
        let request = request.body(Bytes::from(body)).map_err(|e| no_answer(e.to_string().into()))?;
        inner.transport.send(request).await.map_err(no_answer)
    }

    fn path(&self, rest: &str) -> String {
        format!("/v1/{}/{rest}", self.inner.project)
    }

    fn orchestration_path(&self, rest: &str) -> String {
        format!("/orchestration/v1/{}{rest}", self.inner.project)
    }

    /// One page of groups, with the API's query string (`limit=…&status=…`), as the service filters it.
    pub async fn list_groups(&self, query: Option<&str>) -> Result<ServerGroupList, ClientError> {
        let path = self.path("server-groups");
        self.call(Call { path: &path, query, ..Call::default() }).await
    }

    pub async fn group(&self, id: &str) -> Result<ServerGroup, ClientError> {
        let path = self.path(&format!("server-groups/{id}"));
        let answer: ServerGroupResponse = self.call(Call { path: &path, ..Call::default() }).await?;
        Ok(answer.server_group)
    }

    /// A group with its instances, pairs and drills, as the pre-checks read it. `servers` is left empty: fill it
    /// with `GroupSnapshot::set_servers_from` from [`Client::server_profiles`] (ECS and IMS).
    pub async fn snapshot(&self, id: &str) -> Result<GroupSnapshot, ClientError> {
        let server_group = self.group(id).await?;
        let query = format!("server_group_id={id}&limit=1000");
        let instances: ProtectedInstanceList = self.list("protected-instances", &query).await?;
        let pairs: ReplicationList = self.list("replications", &query).await?;
        let drills = self.drills_of(id).await?;
        let protected_instances: Vec<ProtectedInstance> = instances.protected_instances;
        let replications: Vec<Replication> = pairs.replications;
        Ok(GroupSnapshot {
            server_group,
            protected_instances,
            replications,
            disaster_recovery_drills: drills,
            servers: Vec::new(),
        })
    }

    async fn list<T: DeserializeOwned>(&self, what: &str, query: &str) -> Result<T, ClientError> {
        let path = self.path(what);
        self.call(Call { path: &path, query: Some(query), ..Call::default() }).await
    }

    pub async fn drills_of(&self, server_group_id: &str) -> Result<Vec<DisasterRecoveryDrill>, ClientError> {
        let answer: DisasterRecoveryDrillList =
            self.list("disaster-recovery-drills", &format!("server_group_id={server_group_id}&limit=1000")).await?;
        Ok(answer.disaster_recovery_drills)
    }

    /// Asks for an action on a group; answers the job id. `key`, when given, names this submission once: sdrs-server
    /// answers a second one with the same key with the first one's job.
    pub async fn action(&self, id: &str, action: GroupAction, key: Option<&str>) -> Result<String, ClientError> {
        let path = self.path(&format!("server-groups/{id}/action"));
        let body = serde_json::to_vec(&action.to_body()).expect("an action body serializes");
        let call = Call { method: http::Method::POST, path: &path, body: Some(body), key, ..Call::default() };
        let answer: JobIdResponse = self.call(call).await?;
        Ok(answer.job_id)
    }

    /// Creates a DR drill of a group; answers the job id. `key` as for [`Client::action`].
    pub async fn create_drill(
        &self,
        server_group_id: &str,
        name: &str,
        drill_vpc_id: Option<&str>,
        key: Option<&str>,
    ) -> Result<String, ClientError> {
        let path = self.path("disaster-recovery-drills");
        let request = CreateDrillRequest {
            disaster_recovery_drill: CreateDrillParams {
                server_group_id: server_group_id.to_owned(),
                name: name.to_owned(),
                drill_vpc_id: drill_vpc_id.map(str::to_owned),
            },
        };
        let body = serde_json::to_vec(&request).expect("a drill request serializes");
        let call = Call { method: http::Method::POST, path: &path, body: Some(body), key, ..Call::default() };
        let answer: JobIdResponse = self.call(call).await?;
        Ok(answer.job_id)
    }

    /// Deletes a DR drill; answers the job id. `key` as for [`Client::action`].
    pub async fn delete_drill(&self, id: &str, key: Option<&str>) -> Result<String, ClientError> {
        let path = self.path(&format!("disaster-recovery-drills/{id}"));
        let answer: JobIdResponse =
            self.call(Call { method: http::Method::DELETE, path: &path, key, ..Call::default() }).await?;
        Ok(answer.job_id)
    }

    pub async fn job(&self, id: &str) -> Result<Job, ClientError> {
        let path = self.path(&format!("jobs/{id}"));
        self.call(Call { path: &path, ..Call::default() }).await
    }

    /// GET a path of sdrs-server's recovery-plan API (`/orchestration/v1/{project}{rest}`); `rest` may end with a
    /// query (`/audit-events?limit=5`), which is sent (and signed) as the query.
    pub async fn orchestration_get<T: DeserializeOwned>(&self, rest: &str) -> Result<T, ClientError> {
        let (rest, query) = match rest.split_once('?') {
            Some((rest, query)) => (rest, Some(query)),
            None => (rest, None),
        };
        let path = self.orchestration_path(rest);
        self.call(Call { path: &path, query, ..Call::default() }).await
    }

    /// The same path as text (the evidence page).
    pub async fn orchestration_text(&self, rest: &str) -> Result<String, ClientError> {
        let path = self.orchestration_path(rest);
        let bytes = self.send(Call { path: &path, ..Call::default() }).await?;
        Ok(String::from_utf8_lossy(&bytes).into_owned())
    }

    /// POST a JSON body to a path of sdrs-server's recovery-plan API.
    pub async fn orchestration_post<T: DeserializeOwned>(
        &self,
        rest: &str,
        body: &serde_json::Value,
    ) -> Result<T, ClientError> {
        let path = self.orchestration_path(rest);
        let body = serde_json::to_vec(body).expect("a JSON value serializes");
        self.call(Call { method: http::Method::POST, path: &path, body: Some(body), ..Call::default() }).await
    }

    /// ECS ShowServer.
    pub async fn ecs_server(&self, id: &str) -> Result<EcsServer, ClientError> {
        let path = format!("/v1/{}/cloudservers/{id}", self.inner.project);
        let answer: EcsServerResponse =
            self.call(Call { service: Service::Ecs, path: &path, ..Call::default() }).await?;
        Ok(answer.server)
    }

    /// IMS GlanceShowImage.
    pub async fn ims_image(&self, id: &str) -> Result<ImsImage, ClientError> {
        let path = format!("/v2/images/{id}");
        self.call(Call { service: Service::Ims, path: &path, ..Call::default() }).await
    }

    /// What ECS and IMS say about each of these servers, as profiles for the login rules and the pre-checks
    /// (`sdrs_core::profile`): a server or image that cannot be read leaves its facts unknown, with the answer.
    /// Images are read once each.
    pub async fn server_profiles(&self, ids: &[String]) -> Vec<ServerProfile> {
        let servers = futures_util::future::join_all(ids.iter().map(|id| self.ecs_server(id))).await;
        let mut image_ids: Vec<String> =
            servers.iter().flatten().filter_map(|s| s.image.as_ref().map(|i| i.id.clone())).collect();
        image_ids.sort_unstable();
        image_ids.dedup();
        let images = futures_util::future::join_all(image_ids.iter().map(|id| self.ims_image(id))).await;
        let images: Vec<(String, Result<ImsImage, String>)> =
            image_ids.into_iter().zip(images.into_iter().map(|r| r.map_err(|e| e.to_string()))).collect();
        ids.iter()
            .zip(servers)
            .map(|(id, server)| match server {
                Ok(server) => {
                    let image = server.image.as_ref().and_then(|i| images.iter().find(|(id, _)| *id == i.id));
                    let image = image.map(|(_, read)| match read {
                        Ok(image) => Lookup::Found(image),
                        Err(answer) => Lookup::Failed(answer),
                    });
                    profile_from_cloud(id, Lookup::Found(&server), image)
                }
                Err(error) => profile_from_cloud(id, Lookup::Failed(&error.to_string()), None),
            })
            .collect()
    }
}

/// The service's error from its answer: the SDRS envelope, the API gateway's form, or the raw text.
pub fn api_error(status: u16, bytes: &[u8]) -> ClientError {
    match ErrorReply::parse(bytes) {
        Some(ErrorReply::Sdrs(body)) => return ClientError::Api { status, code: body.code, message: body.message },
        Some(ErrorReply::Gateway(gateway)) => {
            return ClientError::Api { status, code: gateway.error_code, message: gateway.error_msg }
        }
        None => {}
    }
    let text = String::from_utf8_lossy(&bytes[..bytes.len().min(512)]).into_owned();
    ClientError::Unexpected { status, detail: text }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Answers every request with a fixed status and body, and keeps the last request.
    struct Canned {
        status: u16,
        body: &'static str,
        seen: Arc<std::sync::Mutex<Option<http::Request<Bytes>>>>,
    }

    impl Transport for Canned {
        fn send(&self, request: http::Request<Bytes>) -> Sending<'_> {
            *self.seen.lock().unwrap() = Some(request);
            let response = http::Response::builder().status(self.status).body(Bytes::from_static(self.body.as_bytes()));
            Box::pin(async move { response.map_err(|e| e.to_string().into()) })
        }
    }

    fn block_on<F: Future>(future: F) -> F::Output {
        // The canned transport never waits, so a no-op waker polls it to completion.
        let mut future = std::pin::pin!(future);
        let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
        loop {
            if let std::task::Poll::Ready(output) = future.as_mut().poll(&mut cx) {
                return output;
            }
        }
    }

    #[test]
    fn an_error_answer_is_the_services_code_and_message() {
        let seen = Arc::new(std::sync::Mutex::new(None));
        let body = r#"{"error":{"code":"SDRS.1002","message":"Operation not allowed"}}"#;
        let client = Client::new(
            "http://sdrs.example/",
            "p1",
            Credential::Token("t".into()),
            Canned { status: 400, body, seen: seen.clone() },
        );
        let error = block_on(client.action("g1", GroupAction::Failover, None)).unwrap_err();
        assert_eq!(
            error,
            ClientError::Api { status: 400, code: "SDRS.1002".into(), message: "Operation not allowed".into() }
        );
        let request = seen.lock().unwrap().take().unwrap();
        assert_eq!(request.uri().to_string(), "http://sdrs.example/v1/p1/server-groups/g1/action");
        assert_eq!(request.headers()["x-auth-token"], "t");
        assert_eq!(&request.body()[..], br#"{"failover-server-group":{}}"#);
    }

    #[test]
    fn access_key_requests_are_signed_so_that_the_verifier_accepts_them() {
        let seen = Arc::new(std::sync::Mutex::new(None));
        let credential = Credential::AccessKey { access_key: "AK1".into(), secret_key: "SK1".into() };
        let client = Client::new(
            "http://sdrs.example:8080",
            "p1",
            credential,
            Canned { status: 200, body: r#"{"job_id":"j1"}"#, seen: seen.clone() },
        );
        assert_eq!(block_on(client.action("g1", GroupAction::Start, Some("plan-run:r1:g1:1"))).unwrap(), "j1");
        let request = seen.lock().unwrap().take().unwrap();
        assert_eq!(request.headers()[IDEMPOTENCY_KEY], "plan-run:r1:g1:1", "the key is sent, and signed with the rest");
        assert_eq!(signed_by(&request, "SK1").unwrap(), "AK1");
        assert!(signed_by(&request, "other").is_err());
    }

    /// What a proxy forwards is signed like every other call, to the service's own host, and its answer comes back
    /// as it is, a refusal included.
    #[test]
    fn a_forwarded_request_is_signed_and_its_answer_comes_back_whatever_its_status() {
        let seen = Arc::new(std::sync::Mutex::new(None));
        let credential = Credential::AccessKey { access_key: "AK1".into(), secret_key: "SK1".into() };
        let refusal = r#"{"error":{"code":"SDRS.1002","message":"not now"}}"#;
        let client = Client::new(
            "https://sdrs.eu-de.example",
            "p1",
            credential,
            Canned { status: 400, body: refusal, seen: seen.clone() },
        );
        let answer = block_on(client.forward(
            http::Method::GET,
            Service::Ecs,
            "/v1/p1/cloudservers/detail",
            Some("limit=5&name=web%20tier"),
            Bytes::new(),
        ))
        .unwrap();
        assert_eq!((answer.status().as_u16(), answer.body().as_ref()), (400, refusal.as_bytes()));
        let request = seen.lock().unwrap().take().unwrap();
        assert_eq!(request.uri().host(), Some("ecs.eu-de.example"));
        assert_eq!(signed_by(&request, "SK1").unwrap(), "AK1", "the query is signed as sent");
    }

    /// The access key whose secret `secret` verifies the request's signature.
    fn signed_by(request: &http::Request<Bytes>, secret: &str) -> Result<String, sdrs_auth::AuthError> {
        let headers: Vec<(String, String)> =
            request.headers().iter().map(|(k, v)| (k.as_str().to_owned(), v.to_str().unwrap().to_owned())).collect();
        let parts = sdrs_auth::RequestParts {
            method: request.method().as_str(),
            path: request.uri().path(),
            query: request.uri().query(),
            headers: &headers,
            body: request.body(),
        };
        sdrs_auth::verify(&parts, |_| Some(secret.to_owned()), system_clock() / 1000, Default::default())
    }

    /// ECS on `ecs.` answers one server; IMS on `ims.` refuses with 403; anything else is 404 `Ecs.0114`.
    struct Cloud;

    impl Transport for Cloud {
        fn send(&self, request: http::Request<Bytes>) -> Sending<'_> {
            let (status, body) = match (request.uri().host(), request.uri().path()) {
                (Some("ecs.eu-de.example"), "/v1/p1/cloudservers/s1") => (
                    200,
                    r#"{"server":{"id":"s1","name":"web","status":"ACTIVE","key_name":"kp","image":{"id":"i1"},
                       "metadata":{"os_type":"Windows"}}}"#,
                ),
                (Some("ims.eu-de.example"), _) => {
                    (403, r#"{"error":{"code":"IMG.0003","message":"no permission to read images"}}"#)
                }
                _ => (404, r#"{"error":{"code":"Ecs.0114","message":"Instance could not be found."}}"#),
            };
            let response = http::Response::builder().status(status).body(Bytes::from_static(body.as_bytes()));
            Box::pin(async move { response.map_err(|e| e.to_string().into()) })
        }
    }

    /// A fact that cannot be read is unknown with the answer that said so: never an error, never a guess.
    #[test]
    fn facts_the_services_refuse_stay_unknown_with_the_reason() {
        let client = Client::new("https://sdrs.eu-de.example", "p1", Credential::Token("t".into()), Cloud);
        let ids = ["s1".to_owned(), "gone".to_owned()];
        let profiles = block_on(client.server_profiles(&ids));
        let s1 = &profiles[0];
        assert_eq!(s1.family.value, Some(sdrs_core::login::OsFamily::Windows), "ECS answered");
        assert_eq!(s1.login.value, Some(sdrs_core::login::LoginMethod::KeyPair));
        assert_eq!(s1.init_installed.value, None, "IMS refused");
        assert!(s1.init_installed.source.contains("403"), "{}", s1.init_installed.source);
        let gone = &profiles[1];
        assert_eq!((gone.family.value, gone.login.value, gone.power_state.value), (None, None, None));
        assert!(gone.power_state.source.contains("Ecs.0114"), "{}", gone.power_state.source);
    }

    #[test]
    fn no_answer_is_told_apart_from_a_refusal() {
        struct Down;
        impl Transport for Down {
            fn send(&self, _: http::Request<Bytes>) -> Sending<'_> {
                Box::pin(async {
                    Err(TransportError { kind: FailureKind::Connect, reason: "connection refused".to_owned() })
                })
            }
        }
        let client = Client::new("http://127.0.0.1:9", "p1", Credential::Token("t".into()), Down);
        let error = block_on(client.job("j1")).unwrap_err();
        assert!(
            matches!(error, ClientError::NoAnswer { ref reason, .. } if reason == "connection refused"),
            "{error:?}"
        );
        assert_eq!(error.code(), None);
    }
}
