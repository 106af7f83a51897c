//! Authentication: `/v1/{project_id}/...` takes an `X-Auth-Token` or an AK/SK signature, `/admin/v1/...` the admin token.
//!
//! A credential opens only its own project: a request for another project's path is refused before any handler
//! runs, so no handler can see another project's resources. Who is asking is checked before a byte of the body is
//! read; the signature is then verified over the body received, and a signed change is carried out once (`replay`).

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::request::Parts;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use sdrs_auth::{AuthError, RequestParts, VerifyOptions};

use crate::audit::Actor;
use crate::error::ApiError;
use crate::plans::Caller;
use crate::{limits, replay, AppState};

/// The project id in `/v1/{project_id}/...`, `/admin/v1/{project_id}/...` or `/orchestration/v1/{project_id}/...`,
/// when it is one: in the SDRS id alphabet, so the raw segment the credential is checked against and the decoded one
/// a handler reads are the same (a `%` could make them two projects).
pub fn path_project(path: &str) -> Option<&str> {
    let rest = path.strip_prefix("/admin").or_else(|| path.strip_prefix("/orchestration")).unwrap_or(path);
    let rest = rest.strip_prefix("/v1/")?;
    rest.split('/').next().filter(|p| sdrs_core::request::is_resource_id(p))
}

/// One answer for an unknown access key and a wrong signature, so that the answer does not say which keys exist.
const SIGNATURE_REFUSED: &str = "verify aksk signature fail";

/// Who a request says it is, as far as can be known before its body is read.
enum Claimed {
    Token,
    /// The signature, which is also the key the replay guard remembers it by.
    Signed {
        signature: String,
        access_key: String,
    },
}

fn header<'a>(parts: &'a Parts, name: &str) -> Option<&'a str> {
    parts.headers.get(name).and_then(|value| value.to_str().ok())
}

/// Checks everything that needs no body: a token completely, a signature's form and access key.
fn claimed(state: &AppState, parts: &Parts, project: &str) -> Result<Claimed, ApiError> {
    let config = &state.config;
    if let Some(authorization) = parts.headers.get(axum::http::header::AUTHORIZATION) {
        let authorization = authorization.to_str().map_err(|_| ApiError::unauthorized(SIGNATURE_REFUSED))?;
        let parsed =
            sdrs_auth::parse_authorization(authorization).map_err(|error| ApiError::unauthorized(error.to_string()))?;
        if config.secret_of(&parsed.access_key).is_none() {
            return Err(ApiError::unauthorized(SIGNATURE_REFUSED));
        }
        return Ok(Claimed::Signed { signature: parsed.signature, access_key: parsed.access_key });
    }
    let Some(token) = parts.headers.get("x-auth-token") else {
        return Err(ApiError::unauthorized("x-auth-token not found"));
    };
    match token.to_str().ok().and_then(|t| config.project_of_token(t)) {
        Some(owner) if owner == project => Ok(Claimed::Token),
        Some(_) => Err(ApiError::unauthorized("the credential does not belong to the project in the path")),
        None => Err(ApiError::unauthorized("x-auth-token is invalid")),
    }
}

/// Verifies a signed request over the body received.
fn verify_signature(state: &AppState, parts: &Parts, body: &[u8], project: &str) -> Result<(), ApiError> {
    let headers: Vec<(String, String)> = parts
        .headers
        .iter()
        .map(|(name, value)| (name.as_str().to_owned(), String::from_utf8_lossy(value.as_bytes()).into_owned()))
        .collect();
    let request = RequestParts {
        method: parts.method.as_str(),
        path: parts.uri.path(),
        query: parts.uri.query(),
        headers: &headers,
        body,
    };
    let config = &state.config;
    let mut project_of_key = None;
    let options = VerifyOptions { allow_unsigned_payload: config.allow_unsigned_payload };
    let verified = sdrs_auth::verify(
        &request,
        |ak| {
            config.secret_of(ak).map(|(project, secret)| {
                project_of_key = Some(project.to_owned());
                secret.to_owned()
            })
        },
        crate::now_millis() / 1000,
        options,
    );
    match verified {
        Ok(_) if project_of_key.as_deref() == Some(project) => {}
        Ok(_) => return Err(ApiError::unauthorized("the credential does not belong to the project in the path")),
        Err(AuthError::UnknownAccessKey | AuthError::SignatureMismatch) => {
            return Err(ApiError::unauthorized(SIGNATURE_REFUSED))
        }
        Err(error) => return Err(ApiError::unauthorized(error.to_string())),
    }
    Ok(())
}

/// The middleware of `/v1/{project_id}/...`.
pub async fn authenticate(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let Some(project) = path_project(request.uri().path()).map(str::to_owned) else {
        return ApiError::no_such_api().into_response();
    };
    authenticate_for(state, project, request, next).await
}

/// The middleware of IMS's paths (`/v2/...`), which name no project: the project is the credential's (`X-Project-Id`,
/// which the official SDKs send and sign, must then name it), and handlers read it as `CallerProject`.
pub async fn authenticate_unscoped(State(state): State<AppState>, mut request: Request, next: Next) -> Response {
    let headers = request.headers();
    let by_token =
        headers.get("x-auth-token").and_then(|t| t.to_str().ok()).and_then(|t| state.config.project_of_token(t));
    let by_key = headers
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|a| a.to_str().ok())
        .and_then(|a| sdrs_auth::parse_authorization(a).ok())
        .and_then(|parsed| state.config.secret_of(&parsed.access_key).map(|(project, _)| project.to_owned()));
    let Some(project) = by_key.or(by_token.map(str::to_owned)) else {
        return ApiError::unauthorized(SIGNATURE_REFUSED).into_response();
    };
    request.extensions_mut().insert(crate::routes::CallerProject(project.clone()));
    // The path names no project: the log line gets the credential's.
    tracing::Span::current().record("project", project.as_str());
    authenticate_for(state, project, request, next).await
}

/// Authenticates a request for `project`: the credential must be the project's.
async fn authenticate_for(state: AppState, project: String, request: Request, next: Next) -> Response {
    let (parts, body) = request.into_parts();
    if header(&parts, "x-project-id").is_some_and(|value| value != project) {
        return ApiError::unauthorized("X-Project-Id does not match the project in the path").into_response();
    }
    let claimed = match claimed(&state, &parts, &project) {
        Ok(claimed) => claimed,
        Err(error) => return error.into_response(),
    };
    let limits = &state.config.limits;
    let bytes = match limits::read_body(&parts.headers, body, state.config.max_body_bytes, limits.body_timeout).await {
        Ok(bytes) => bytes,
        Err(error) => return error.into_response(),
    };
    let mut parts = parts;
    match claimed {
        Claimed::Token => {
            parts.extensions.insert(Caller(format!("a token of project {project}")));
            let token = header(&parts, "x-auth-token").unwrap_or_default();
            parts.extensions.insert(Actor(format!("token:{}", crate::audit::fingerprint(token))));
            next.run(Request::from_parts(parts, Body::from(bytes))).await
        }
        Claimed::Signed { signature, access_key } => {
            if let Err(error) = verify_signature(&state, &parts, &bytes, &project) {
                return error.into_response();
            }
            parts.extensions.insert(Caller(format!("access key {access_key}")));
            parts.extensions.insert(Actor(format!("access-key:{access_key}")));
            let guarded = replay::guards(&parts.method);
            let handle = next.run(Request::from_parts(parts, Body::from(bytes)));
            if guarded {
                replay::once(&state.db, &signature, state.config.limits.request_timeout * 2, handle).await
            } else {
                handle.await
            }
        }
    }
}

/// The middleware of `/admin/v1/...`: the admin API's own token, compared in constant time, for the one project it
/// is scoped to if it is (the demo's public token opens the demo project only).
pub async fn authenticate_admin(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let token = request.headers().get("x-admin-token").and_then(|value| value.to_str().ok());
    if !token.is_some_and(|token| state.config.is_admin_token(token)) {
        return ApiError::unauthorized("the admin API needs its own X-Admin-Token").into_response();
    }
    let project = path_project(request.uri().path());
    if project.is_none() || state.config.admin_project.as_deref().is_some_and(|scope| Some(scope) != project) {
        return ApiError::unauthorized("the admin token does not open this project").into_response();
    }
    let actor = Actor(format!("admin-token:{}", crate::audit::fingerprint(token.unwrap_or_default())));
    let (mut parts, body) = request.into_parts();
    parts.extensions.insert(actor);
    let limits = &state.config.limits;
    match limits::read_body(&parts.headers, body, state.config.max_body_bytes, limits.body_timeout).await {
        Ok(bytes) => next.run(Request::from_parts(parts, Body::from(bytes))).await,
        Err(error) => error.into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::path_project;

    #[test]
    fn project_is_read_from_both_prefixes() {
        assert_eq!(path_project("/v1/p1/server-groups"), Some("p1"));
        assert_eq!(path_project("/admin/v1/p1/servers"), Some("p1"));
        assert_eq!(path_project("/v1"), None);
        assert_eq!(path_project("/v1//x"), None);
        assert_eq!(path_project("/other/v1/p1"), None);
        assert_eq!(path_project("/orchestration/v1/p1/recovery-plans"), Some("p1"));
        assert_eq!(path_project("/v1/ab%63/server-groups"), None, "an encoded id is no project id");
    }
}
