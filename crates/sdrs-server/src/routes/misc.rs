//! Jobs, API versions, active-active domains, quotas, the task centre, and what answers unknown paths.

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{header, StatusCode};
use axum::response::NoContent;
use axum::response::{IntoResponse, Response};
use axum::Json;
use tower::ServiceExt;

use sdrs_core::list_query::ListKind;
use sdrs_core::wire::{
    ActiveDomain, ActiveDomainList, ApiVersion, ApiVersionList, ApiVersionResponse, ConsoleConfig, FailureJob,
    FailureJobList as FailureJobs, Job, Link, QuotaResource, QuotaResponse, Quotas, Replication, ServerGroup,
};

use super::{Filters, Ids, ListOf, Stored};
use crate::error::{ApiError, ApiResult};
use crate::store::{self, from_json, Resource, Store, JOB_KIND};
use crate::{jobs, AppState};

/// The task centre's failed-job list.
pub struct FailureJobList;

impl ListOf for FailureJobList {
    const LIST: ListKind = ListKind::FailureJobs;
}

/// A hot read: answered from memory, or from the stored wire JSON (`Db::hot_read`).
pub async fn job(
    State(state): State<AppState>,
    Ids((project, job_id)): Ids<(String, String)>,
) -> ApiResult<Stored<Job>> {
    let render = |body: &str| axum::body::Bytes::copy_from_slice(body.as_bytes());
    let response = state.db.hot_read(JOB_KIND, &project, &job_id, render).await?;
    response.map(Stored::from_bytes).ok_or_else(|| jobs::not_found(&job_id))
}

fn v1(base: &str) -> ApiVersion {
    ApiVersion {
        id: "v1".to_owned(),
        links: vec![Link { href: format!("{base}/v1/"), rel: "self".to_owned() }],
        status: "CURRENT".to_owned(),
        updated: "2018-05-30T15:00:00Z".to_owned(),
        version: String::new(),
        min_version: String::new(),
    }
}

/// `GET /`: the API versions, or the console for a browser (which asks for `text/html`).
pub async fn versions_or_console(State(state): State<AppState>, request: Request) -> Response {
    let wants_html = request
        .headers()
        .get(header::ACCEPT)
        .and_then(|a| a.to_str().ok())
        .is_some_and(|accept| accept.contains("text/html"));
    if wants_html && state.config.console_dir.is_some() {
        return console(&state, request).await;
    }
    // The links name the configured public URL, never the request's `Host`, which any client can set.
    Json(ApiVersionList { versions: vec![v1(&state.config.public_url)] }).into_response()
}

pub async fn version(State(state): State<AppState>) -> Json<ApiVersionResponse> {
    Json(ApiVersionResponse { version: v1(&state.config.public_url) })
}

async fn console(state: &AppState, request: Request) -> Response {
    let Some(dir) = &state.config.console_dir else { return ApiError::no_such_api().into_response() };
    let Ok(root) = std::fs::canonicalize(dir) else { return ApiError::no_such_api().into_response() };
    let relative = percent_encoding::percent_decode_str(request.uri().path().trim_start_matches('/'))
        .decode_utf8_lossy()
        .into_owned();
    // ServeDir refuses `..`, but follows symlinks: one inside the folder must not lead out of it.
    if let Ok(target) = std::fs::canonicalize(root.join(&relative)) {
        if !target.starts_with(&root) {
            return ApiError::no_such_api().into_response();
        }
    }
    let immutable = relative.rsplit('/').next().is_some_and(is_hashed_asset);
    // The console is two modules, each with its own page and inline loader (`index.html`, `plans/index.html`): a
    // path inside a module's folder is answered by that module's page, and its CSP hashes that page's loader.
    let index = relative
        .split_once('/')
        .map(|(folder, _)| root.join(folder).join("index.html"))
        .filter(|page| page.is_file())
        .unwrap_or_else(|| root.join("index.html"));
    // `scripts/build-console` writes a brotli and a gzip copy of every file; they are sent by `Accept-Encoding`.
    let service = tower_http::services::ServeDir::new(&root)
        .precompressed_br()
        .precompressed_gzip()
        .fallback(tower_http::services::ServeFile::new(&index).precompressed_br().precompressed_gzip());
    let mut response = match service.oneshot(request).await {
        Ok(response) => response.map(Body::new),
        Err(error) => return ApiError::Internal(anyhow::anyhow!("serving the console: {error}")).into_response(),
    };
    let headers = response.headers_mut();
    let cache = if immutable { "public, max-age=31536000, immutable" } else { "no-cache" };
    headers.insert(header::CACHE_CONTROL, header::HeaderValue::from_static(cache));
    headers.insert("x-content-type-options", header::HeaderValue::from_static("nosniff"));
    if let Ok(policy) = header::HeaderValue::from_str(&content_security_policy(&index)) {
        headers.insert("content-security-policy", policy);
    }
    response
}

/// Whether a file name carries Trunk's content hash (`name-<16 hex>.ext`, `name-<16 hex>_bg.wasm`): such a file
/// never changes, so browsers may keep it for good; everything else (index.html) is revalidated.
fn is_hashed_asset(name: &str) -> bool {
    let stem = name.split('.').next().unwrap_or_default();
    let stem = stem.strip_suffix("_bg").unwrap_or(stem);
    stem.rsplit_once('-').is_some_and(|(_, hash)| hash.len() == 16 && hash.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// The console's policy: its own scripts (the inline loader Trunk writes into index.html allowed by its hash), its
/// own wasm, no framing. `connect-src` also allows other HTTP(S) endpoints, because the Connection page can point
/// the console at another SDRS-compatible endpoint.
fn content_security_policy(index: &std::path::Path) -> String {
    use base64::Engine as _;
    use sha2::Digest as _;
    let html = std::fs::read_to_string(index).unwrap_or_default();
    let mut hashes = String::new();
    let mut rest = html.as_str();
    while let Some(start) = rest.find("<script") {
        let after = &rest[start..];
        let Some(tag_len) = after.find('>') else { break };
        let inner = &after[tag_len + 1..];
        let Some(body_len) = inner.find("</script>") else { break };
        let (tag, body) = (&after[..tag_len], &inner[..body_len]);
        if !tag.contains(" src=") && !body.is_empty() {
            let digest = sha2::Sha256::digest(body.as_bytes());
            hashes.push_str(&format!(" 'sha256-{}'", base64::engine::general_purpose::STANDARD.encode(digest)));
        }
        rest = &inner[body_len + "</script>".len()..];
    }
    format!(
        "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'{hashes}; style-src 'self' 'unsafe-inline'; \
         img-src 'self' data:; connect-src 'self' http: https:; object-src 'none'; base-uri 'none'; \
         form-action 'self'; frame-ancestors 'none'"
    )
}

/// Unknown paths: the console's files when it is built, else the gateway's "no such API".
pub async fn fallback(State(state): State<AppState>, request: Request) -> Response {
    let path = request.uri().path();
    let is_api = path.starts_with("/v1/") || path.starts_with("/admin/") || path.starts_with("/orchestration/");
    if !is_api && matches!(*request.method(), axum::http::Method::GET | axum::http::Method::HEAD) {
        return console(&state, request).await;
    }
    ApiError::no_such_api().into_response()
}

/// The demo connection for the console; only in demo mode.
pub async fn console_config(State(state): State<AppState>) -> Response {
    if let Some(gateway) = &state.gateway {
        // The console logs in to the gateway; it never holds a token.
        let config =
            ConsoleConfig { project_id: gateway.config.project_id.clone(), gateway: true, ..Default::default() };
        return Json(config).into_response();
    }
    match &state.config.console_login {
        Some((project_id, token)) => Json(ConsoleConfig {
            project_id: project_id.clone(),
            token: token.clone(),
            gateway: false,
            admin_token: state.config.admin_token.clone(),
        })
        .into_response(),
        None => ApiError::no_such_api().into_response(),
    }
}

pub async fn method_not_allowed() -> ApiError {
    ApiError::Gateway {
        status: StatusCode::METHOD_NOT_ALLOWED,
        code: "APIG.0101",
        message: "The API does not exist or has not been published in the environment".to_owned(),
    }
}

/// An active-active domain by id.
pub fn domain(store: &dyn Store, id: &str) -> ApiResult<Option<ActiveDomain>> {
    store.domain_body(id)?.map(|body| from_json(&body)).transpose()
}

/// Stores a domain (used by the demo and tests).
pub fn put_domain(store: &dyn Store, domain: &ActiveDomain) -> ApiResult<()> {
    store.put_domain(&domain.id, &serde_json::to_string(domain)?)
}

pub async fn domains(State(state): State<AppState>, Ids(_project): Ids<String>) -> ApiResult<Json<ActiveDomainList>> {
    let domains = state
        .db
        .call(|store| {
            store.domain_bodies()?.iter().map(|body| from_json(body)).collect::<ApiResult<Vec<ActiveDomain>>>()
        })
        .await?;
    Ok(Json(ActiveDomainList { domains }))
}

pub async fn quotas(State(state): State<AppState>, Ids(project): Ids<String>) -> ApiResult<Json<QuotaResponse>> {
    let resources = state
        .db
        .call(move |conn| {
            let count = |kind: &str| -> ApiResult<i64> { Ok(conn.count_resources(&project, kind)? as i64) };
            let line = |resource_type: &str, used| QuotaResource {
                resource_type: resource_type.to_owned(),
                used,
                quota: -1,
                min: 0,
                max: -1,
            };
            Ok(vec![line("server_groups", count(ServerGroup::KIND)?), line("replications", count(Replication::KIND)?)])
        })
        .await?;
    Ok(Json(QuotaResponse { quotas: Quotas { resources } }))
}

pub async fn failure_jobs(
    State(state): State<AppState>,
    Ids(project): Ids<String>,
    Filters(query, _): Filters<FailureJobList>,
) -> ApiResult<Json<FailureJobs>> {
    let group = query.server_group_ids.as_ref().and_then(|ids| ids.first()).cloned();
    let wanted = |job: &FailureJob| {
        query.failure_status.as_ref().is_none_or(|s| &job.failure_status == s)
            && query.resource_type.as_ref().is_none_or(|t| &job.resource_type == t)
            && query.resource_name.as_ref().is_none_or(|n| job.resource_name.contains(n.as_str()))
    };
    let all = state
        .db
        .call(move |store| {
            let bodies = store.failure_job_bodies(&project, group.as_deref())?;
            bodies.iter().map(|body| from_json(body)).collect::<ApiResult<Vec<FailureJob>>>()
        })
        .await?;
    let matching: Vec<FailureJob> = all.into_iter().filter(|j| wanted(j)).collect();
    let count = matching.len() as u64;
    let paging = query.paging;
    let failure_jobs =
        matching.into_iter().skip(paging.offset.min(usize::MAX as u64) as usize).take(paging.limit as usize).collect();
    Ok(Json(FailureJobs { failure_jobs, count }))
}

pub async fn delete_failure_job(
    State(state): State<AppState>,
    Ids((project, id)): Ids<(String, String)>,
) -> ApiResult<NoContent> {
    state.db.write(move |tx| tx.delete_failure_jobs(&project, store::FailureJobs::One(&id))).await?;
    Ok(NoContent)
}

pub async fn delete_all_failure_jobs(State(state): State<AppState>, Ids(project): Ids<String>) -> ApiResult<NoContent> {
    state.db.write(move |tx| tx.delete_failure_jobs(&project, store::FailureJobs::All)).await?;
    Ok(NoContent)
}

pub async fn delete_group_failure_jobs(
    State(state): State<AppState>,
    Ids((project, group)): Ids<(String, String)>,
) -> ApiResult<NoContent> {
    state
        .db
        .write(move |tx| {
            super::group_or_404(tx, &project, &group)?;
            tx.delete_failure_jobs(&project, store::FailureJobs::OfGroup(&group))
        })
        .await?;
    Ok(NoContent)
}
