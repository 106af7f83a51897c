//! The one request helper: adds the token, decodes the API's error envelopes with the core's types, retries reads.

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use sdrs_core::wire::ErrorReply;

/// Parses JSON text into a type. In the browser, `JSON.parse` parses and serde-wasm-bindgen walks its result:
/// serde_json's parser, inlined into every wire type's deserializer, cost about 46 KB of the module (8.5 KB gzipped),
/// measured with twiggy. Natively (the unit tests) serde_json reads the same text into the same types.
pub fn parse_json<T: DeserializeOwned>(text: &str) -> Result<T, String> {
    #[cfg(target_arch = "wasm32")]
    {
        let value = js_sys::JSON::parse(text).map_err(|_| "the answer is not JSON".to_owned())?;
        serde_wasm_bindgen::from_value(value).map_err(|e| e.to_string())
    }
    #[cfg(not(target_arch = "wasm32"))]
    {
        serde_json::from_str(text).map_err(|e| e.to_string())
    }
}

/// One JSON value kept as it came, decoded later, so that one bad item of a list does not fail the whole list: the
/// browser's value in the module, serde_json's natively (the unit tests). The only other place the target matters.
#[derive(Deserialize)]
#[serde(transparent)]
pub struct RawJson(
    #[cfg(target_arch = "wasm32")]
    #[serde(with = "serde_wasm_bindgen::preserve")]
    wasm_bindgen::JsValue,
    #[cfg(not(target_arch = "wasm32"))] serde_json::Value,
);

impl RawJson {
    /// The value as a type.
    pub fn decode<T: DeserializeOwned>(&self) -> Result<T, String> {
        #[cfg(target_arch = "wasm32")]
        {
            serde_wasm_bindgen::from_value(self.0.clone()).map_err(|e| e.to_string())
        }
        #[cfg(not(target_arch = "wasm32"))]
        {
            T::deserialize(&self.0).map_err(|e| e.to_string())
        }
    }

    /// A string member of an object, if there is one.
    pub fn text(&self, key: &str) -> Option<String> {
        #[cfg(target_arch = "wasm32")]
        {
            js_sys::Reflect::get(&self.0, &key.into()).ok()?.as_string()
        }
        #[cfg(not(target_arch = "wasm32"))]
        {
            self.0.get(key)?.as_str().map(str::to_owned)
        }
    }
}

/// Where the console sends its calls. Kept in session storage; the token is never logged.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Connection {
    /// Base URL of an SDRS-compatible endpoint; empty means the server that served the console.
    pub base: String,
    pub project_id: String,
    pub token: String,
    /// The console is served by sdrs-server in gateway mode: it logs in with a session cookie instead of a token.
    #[serde(default)]
    pub gateway: bool,
    /// sdrs-server's admin API token (`X-Admin-Token`), sent on admin calls only; empty: the admin API is not used.
    #[serde(default)]
    pub admin_token: String,
}

impl Connection {
    /// Whether enough is set to call the API.
    pub fn is_complete(&self) -> bool {
        !self.project_id.is_empty() && (!self.token.is_empty() || self.gateway)
    }

    /// The URL of an SDRS path below `/v1/{project_id}`.
    pub fn v1(&self, path: &str) -> String {
        format!("{}/v1/{}{path}", self.base.trim_end_matches('/'), self.project_id)
    }

    /// The URL of an admin path below `/admin/v1/{project_id}` (sdrs-server's inventory and snapshots).
    pub fn admin(&self, path: &str) -> String {
        format!("{}/admin/v1/{}{path}", self.base.trim_end_matches('/'), self.project_id)
    }

    /// The URL of a recovery-plan path below `/orchestration/v1/{project_id}` (sdrs-server's own extension).
    pub fn orchestration(&self, path: &str) -> String {
        format!("{}/orchestration/v1/{}{path}", self.base.trim_end_matches('/'), self.project_id)
    }

    /// The URL of an ECS path below `/v1/{project_id}` (the same base: sdrs-server answers ECS's reads itself, and in
    /// gateway mode forwards them to ECS).
    pub fn ecs(&self, path: &str) -> String {
        self.v1(path)
    }

    /// The URL of an IMS path below `/v2`.
    pub fn ims(&self, path: &str) -> String {
        format!("{}/v2{path}", self.base.trim_end_matches('/'))
    }

    /// Whether the console may read sdrs-server's admin API (it has its token).
    pub fn has_admin(&self) -> bool {
        !self.admin_token.is_empty()
    }
}

/// Why a call failed, in words an operator can act on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ApiError {
    /// The SDRS service refused: a documented code.
    Sdrs { status: u16, code: String, message: String },
    /// Refused before SDRS (authentication, unknown path).
    Gateway { status: u16, code: String, message: String },
    /// No answer: the network or the server is down.
    Network(String),
    /// An answer that is not what the API documents.
    Unexpected { status: u16, detail: String },
}

impl ApiError {
    /// Decodes an error response with the core's envelope types.
    pub fn from_response(status: u16, body: &str) -> ApiError {
        match ErrorReply::read_with(|| parse_json(body).ok(), || parse_json(body).ok()) {
            Some(ErrorReply::Sdrs(body)) => return ApiError::Sdrs { status, code: body.code, message: body.message },
            Some(ErrorReply::Gateway(gateway)) => {
                return ApiError::Gateway { status, code: gateway.error_code, message: gateway.error_msg }
            }
            None => {}
        }
        let detail: String = body.chars().take(200).collect();
        ApiError::Unexpected { status, detail: if detail.is_empty() { "empty body".to_owned() } else { detail } }
    }

    /// The SDRS or gateway code, if any.
    pub fn code(&self) -> Option<&str> {
        match self {
            ApiError::Sdrs { code, .. } | ApiError::Gateway { code, .. } => Some(code),
            _ => None,
        }
    }

    /// Which side failed, for the operator.
    pub fn side(&self) -> &'static str {
        if self.code().is_some_and(|code| code.starts_with("GATEWAY.")) {
            return "The gateway could not complete the call to the upstream SDRS endpoint";
        }
        match self {
            ApiError::Sdrs { .. } => "The SDRS service refused the request",
            ApiError::Gateway { .. } => "The API gateway refused the request",
            ApiError::Network(_) => "The server could not be reached",
            ApiError::Unexpected { .. } => "The server answered something unexpected",
        }
    }

    /// Whether the path does not exist on this endpoint (e.g. sdrs-server's admin API on a real cloud).
    pub fn is_missing_api(&self) -> bool {
        matches!(self, ApiError::Gateway { code, .. } if code == "APIG.0101")
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ApiError::Sdrs { code, message, .. } | ApiError::Gateway { code, message, .. } => {
                write!(f, "{}: {code} {message}", self.side())
            }
            ApiError::Network(detail) => write!(f, "{}: {detail}", self.side()),
            ApiError::Unexpected { status, detail } => write!(f, "{} (HTTP {status}): {detail}", self.side()),
        }
    }
}

/// HTTP methods the console uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    Get,
    Post,
    Put,
    Delete,
    Patch,
}

/// Backoff before each retry of a read that found no server.
pub const RETRY_DELAYS_MS: [u32; 3] = [300, 1000, 3000];

/// Sends one request and decodes its answer; reads are retried with backoff when the network fails. The body is
/// JSON text (`json_body` makes it from a core type).
pub async fn request<T: DeserializeOwned>(
    connection: &Connection,
    method: Method,
    url: &str,
    body: Option<String>,
) -> Result<T, ApiError> {
    let text = exchange(connection, method, url, body.as_deref()).await?;
    // An empty body (204) reads as `null`.
    parse_json(if text.is_empty() { "null" } else { &text })
        .map_err(|detail| ApiError::Unexpected { status: 200, detail })
}

/// The request and its retries, without the answer's type: one copy of this future in the module, not one per
/// answer type (each generic copy of the whole exchange cost several KB, measured with twiggy).
async fn exchange(connection: &Connection, method: Method, url: &str, body: Option<&str>) -> Result<String, ApiError> {
    let mut attempt = 0;
    loop {
        match send(connection, method, url, body).await {
            Err(ApiError::Network(_)) if method == Method::Get && attempt < RETRY_DELAYS_MS.len() => {
                gloo_timers::future::TimeoutFuture::new(RETRY_DELAYS_MS[attempt]).await;
                attempt += 1;
            }
            answer => return answer,
        }
    }
}

async fn send(connection: &Connection, method: Method, url: &str, body: Option<&str>) -> Result<String, ApiError> {
    use gloo_net::http::RequestBuilder;
    let builder = match method {
        Method::Get => RequestBuilder::new(url).method(gloo_net::http::Method::GET),
        Method::Post => RequestBuilder::new(url).method(gloo_net::http::Method::POST),
        Method::Put => RequestBuilder::new(url).method(gloo_net::http::Method::PUT),
        Method::Delete => RequestBuilder::new(url).method(gloo_net::http::Method::DELETE),
        Method::Patch => RequestBuilder::new(url).method(gloo_net::http::Method::PATCH),
    }
    .header("Content-Type", "application/json");
    // In gateway mode there is no token: the session cookie goes with same-origin requests.
    let builder = if connection.token.is_empty() { builder } else { builder.header("X-Auth-Token", &connection.token) };
    // The admin token goes to the admin API only.
    let builder = if connection.has_admin() && url.starts_with(&connection.admin("/")) {
        builder.header("X-Admin-Token", &connection.admin_token)
    } else {
        builder
    };
    let request = match body {
        Some(body) => builder.body(body),
        None => builder.build(),
    }
    .map_err(|e| ApiError::Network(e.to_string()))?;
    let response = request.send().await.map_err(|e| ApiError::Network(e.to_string()))?;
    let status = response.status();
    let text = response.text().await.map_err(|e| ApiError::Network(e.to_string()))?;
    if (200..300).contains(&status) {
        Ok(text)
    } else {
        Err(ApiError::from_response(status, &text))
    }
}

/// A request body: a core type as JSON text. Typed bodies are serialized straight to text, without serde_json's
/// value tree, which the console then does not link.
pub fn json_body<T: Serialize>(body: &T) -> Option<String> {
    serde_json::to_string(body).ok()
}

/// GET an answer's text as it is (an HTML page, or JSON read item by item), with the retries of every read.
pub async fn get_text(connection: &Connection, url: &str) -> Result<String, ApiError> {
    exchange(connection, Method::Get, url, None).await
}

/// GET and decode.
pub async fn get<T: DeserializeOwned>(connection: &Connection, url: &str) -> Result<T, ApiError> {
    request(connection, Method::Get, url, None).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn envelopes_decode_with_the_core_types() {
        let sdrs = ApiError::from_response(
            400,
            r#"{"error": {"code": "SDRS.1013", "message": "Protection group not found"}}"#,
        );
        assert_eq!(
            sdrs,
            ApiError::Sdrs { status: 400, code: "SDRS.1013".into(), message: "Protection group not found".into() }
        );
        let wrapped = ApiError::from_response(400, r#"{"itemNotFound": {"code": "SDRS.1320", "message": "m"}}"#);
        assert_eq!(wrapped.code(), Some("SDRS.1320"));
        let gateway = ApiError::from_response(
            401,
            r#"{"error_msg": "Incorrect IAM authentication information: x", "error_code": "APIG.0301"}"#,
        );
        assert_eq!(gateway.code(), Some("APIG.0301"));
        assert_eq!(gateway.side(), "The API gateway refused the request");
        assert!(ApiError::from_response(404, r#"{"error_msg": "no", "error_code": "APIG.0101"}"#).is_missing_api());
        let odd = ApiError::from_response(502, "<html>bad gateway</html>");
        assert_eq!(odd, ApiError::Unexpected { status: 502, detail: "<html>bad gateway</html>".into() });
        assert_eq!(odd.code(), None);
    }

    #[test]
    fn urls() {
        let connection = Connection {
            base: "http://x:1/".into(),
            project_id: "p".into(),
            token: "t".into(),
            ..Connection::default()
        };
        assert_eq!(connection.v1("/jobs/j"), "http://x:1/v1/p/jobs/j");
        assert_eq!(connection.admin("/servers"), "http://x:1/admin/v1/p/servers");
        assert_eq!(connection.orchestration("/plan-runs/r"), "http://x:1/orchestration/v1/p/plan-runs/r");
        assert!(connection.is_complete());
        assert!(!Connection::default().is_complete());
        let gateway = Connection { project_id: "p".into(), gateway: true, ..Connection::default() };
        assert!(gateway.is_complete(), "a gateway console needs no token");
        assert!(!connection.has_admin() && !gateway.has_admin(), "no admin token: the admin API is not called");
        let demo = Connection { admin_token: "a".into(), ..connection };
        assert!(demo.has_admin());
    }

    #[test]
    fn messages_say_which_side_failed() {
        let error = ApiError::Sdrs { status: 400, code: "SDRS.1002".into(), message: "m".into() };
        assert_eq!(error.to_string(), "The SDRS service refused the request: SDRS.1002 m");
        assert_eq!(ApiError::Network("refused".into()).to_string(), "The server could not be reached: refused");
        let upstream =
            ApiError::from_response(502, r#"{"error": {"code": "GATEWAY.0502", "message": "the upstream ..."}}"#);
        assert_eq!(upstream.side(), "The gateway could not complete the call to the upstream SDRS endpoint");
    }
}
