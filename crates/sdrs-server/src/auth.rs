//! Authentication of `/v1/{project_id}/...` and `/admin/v1/{project_id}/...`: an `X-Auth-Token` or an AK/SK signature.
//!
//! A credential opens only its own project: a request for another project's path is refused before any handler
//! runs, so no handler can see another project's resources.

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use sdrs_auth::RequestParts;
use sdrs_core::ErrorCode;

use crate::error::ApiError;
use crate::AppState;

/// The project id in `/v1/{project_id}/...` or `/admin/v1/{project_id}/...`.
fn path_project(path: &str) -> Option<&str> {
    let rest = path.strip_prefix("/admin").unwrap_or(path);
    let rest = rest.strip_prefix("/v1/")?;
    rest.split('/').next().filter(|p| !p.is_empty())
}

/// Buffers the body (bounded), checks the credential and the project, and passes the request on.
pub async fn authenticate(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let (parts, body) = request.into_parts();
    let bytes: Bytes = match axum::body::to_bytes(body, state.config.max_body_bytes).await {
        Ok(bytes) => bytes,
        Err(_) => {
            let detail = format!("the request body is larger than {} bytes", state.config.max_body_bytes);
            return ApiError::Sdrs {
                status: StatusCode::PAYLOAD_TOO_LARGE,
                body: ErrorCode::SDRS_0201.body(Some(&detail)),
            }
            .into_response();
        }
    };
    let Some(project) = path_project(parts.uri.path()).map(str::to_owned) else {
        return ApiError::no_such_api().into_response();
    };
    let authenticated_project = if parts.headers.contains_key(axum::http::header::AUTHORIZATION) {
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
            body: &bytes,
        };
        let config = &state.config;
        let mut project_of_key = None;
        let verified = sdrs_auth::verify(
            &request,
            |ak| {
                config.secret_of(ak).map(|(project, secret)| {
                    project_of_key = Some(project.to_owned());
                    secret.to_owned()
                })
            },
            crate::now_millis() / 1000,
        );
        match verified {
            Ok(_) => project_of_key,
            Err(error) => return ApiError::unauthorized(error.to_string()).into_response(),
        }
    } else if let Some(token) = parts.headers.get("x-auth-token") {
        match token.to_str().ok().and_then(|t| state.config.project_of_token(t)) {
            Some(project) => Some(project.to_owned()),
            None => return ApiError::unauthorized("x-auth-token is invalid").into_response(),
        }
    } else {
        return ApiError::unauthorized("x-auth-token not found").into_response();
    };
    if authenticated_project.as_deref() != Some(project.as_str()) {
        return ApiError::unauthorized("the credential does not belong to the project in the path").into_response();
    }
    if let Some(header) = parts.headers.get("x-project-id") {
        if header.as_bytes() != project.as_bytes() {
            return ApiError::unauthorized("X-Project-Id does not match the project in the path").into_response();
        }
    }
    next.run(Request::from_parts(parts, Body::from(bytes))).await
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
    }
}
