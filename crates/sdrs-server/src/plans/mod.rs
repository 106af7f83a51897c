//! Recovery plans on the server: plans and runs stored as resources, the executor that drives runs through the SDRS
//! API (`executor`), and the evidence page (`report`). Every decision is the core's (`sdrs_core::plan`).
//!
//! The executor reaches SDRS through `sdrs_client::Client` only. In gateway mode that client signs requests to the
//! real upstream; in embedded mode it calls this server's own router in-process (`RouterTransport`), so a run's
//! actions pass the same authentication, validation and jobs as any client's.

pub mod executor;
pub mod report;

use std::collections::HashMap;

use axum::body::Body;
use bytes::Bytes;
use http_body_util::BodyExt;
use tower::ServiceExt;

use sdrs_client::{Client, Credential, HttpTransport, Sending, Transport};
use sdrs_core::plan::run::PlanRun;
use sdrs_core::wire::PlanResource;

use crate::store::Resource;
use crate::AppState;

impl Resource for PlanResource {
    const KIND: &'static str = "recovery_plan";
    fn id(&self) -> &str {
        &self.id
    }
    fn name(&self) -> &str {
        &self.name
    }
    fn status_text(&self) -> &str {
        ""
    }
}

/// A run is stored in its plan's group column, so that a plan's runs are its members.
impl Resource for PlanRun {
    const KIND: &'static str = "plan_run";
    fn id(&self) -> &str {
        &self.id
    }
    fn name(&self) -> &str {
        &self.plan.name
    }
    fn status_text(&self) -> &str {
        self.status.as_str()
    }
    fn group_id(&self) -> Option<&str> {
        Some(&self.plan_id)
    }
}

/// Who made a request, as a gate confirmation records it (never a secret): set by the authentication middleware.
#[derive(Debug, Clone)]
pub struct Caller(pub String);

/// This server's own router as a transport: the embedded executor's requests run in-process, through every layer.
/// Built once per client: building a router clones the generated routes and the OpenAPI document.
struct RouterTransport {
    router: axum::Router,
}

impl Transport for RouterTransport {
    fn send(&self, request: http::Request<Bytes>) -> Sending<'_> {
        Box::pin(async move {
            let (parts, body) = request.into_parts();
            let request = axum::http::Request::from_parts(parts, Body::from(body));
            let response = self.router.clone().oneshot(request).await.map_err(|e| e.to_string())?;
            let (parts, body) = response.into_parts();
            let limited = http_body_util::Limited::new(body, sdrs_client::MAX_ANSWER_BYTES);
            let bytes = limited
                .collect()
                .await
                .map_err(|e| sdrs_client::TransportError {
                    kind: sdrs_client::FailureKind::TooLarge,
                    reason: e.to_string(),
                })?
                .to_bytes();
            Ok(http::Response::from_parts(parts, bytes))
        })
    }
}

/// The client that reaches SDRS, ECS and IMS for `project`: in gateway mode the upstreams, signed with the gateway's
/// access key (only for its project); embedded, this server's router with the project's first token (or access key). `None` when this server holds no credential for the project.
pub fn client_of(state: &AppState, project: &str) -> Option<Client> {
    embedded_or_gateway(state, project, |transport| transport)
}

fn embedded_or_gateway(
    state: &AppState,
    project: &str,
    wrap: impl Fn(Box<dyn Transport>) -> Box<dyn Transport>,
) -> Option<Client> {
    if let Some(gateway) = &state.gateway {
        let config = &gateway.config;
        if config.project_id != project {
            return None;
        }
        return Some(config.client(wrap(Box::new(HttpTransport::with_client(gateway.http_client())))));
    }
    let credentials = state.config.projects.get(project)?;
    let credential = match (credentials.tokens.first(), credentials.access_keys.first()) {
        (Some(token), _) => Credential::Token(token.clone()),
        (None, Some((access_key, secret_key))) => {
            Credential::AccessKey { access_key: access_key.clone(), secret_key: secret_key.clone() }
        }
        (None, None) => return None,
    };
    let transport = RouterTransport { router: crate::router(state.clone()) };
    Some(Client::new("http://sdrs-server.local", project, credential, wrap(Box::new(transport))))
}

/// How the executor reaches SDRS for each project it serves.
pub struct Orchestrator {
    clients: HashMap<String, Client>,
    /// Whether the clients reach this process's own engine, so that a submission that never committed certainly
    /// never happened (an interrupted run may then submit it again).
    local: bool,
}

impl Orchestrator {
    /// Gateway mode: the upstream (and its ECS and IMS), signed with the gateway's access key. Embedded: this server's
    /// router, with the project's first token (or access key); the servers' facts come from its ECS and IMS reads.
    pub fn for_state(state: &AppState) -> Orchestrator {
        Orchestrator::through(state, |transport| transport)
    }

    /// The same, with every request passing through `wrap` on its way (a test's way to hold one back).
    pub fn through(state: &AppState, wrap: impl Fn(Box<dyn Transport>) -> Box<dyn Transport>) -> Orchestrator {
        let projects: Vec<String> = match &state.gateway {
            Some(gateway) => vec![gateway.config.project_id.clone()],
            None => state.config.projects.keys().cloned().collect(),
        };
        let clients =
            projects.into_iter().filter_map(|p| embedded_or_gateway(state, &p, &wrap).map(|c| (p, c))).collect();
        Orchestrator { clients, local: state.gateway.is_none() }
    }

    /// The client of a project, if this server can reach SDRS for it.
    pub fn client(&self, project: &str) -> Option<&Client> {
        self.clients.get(project)
    }

    /// The projects served.
    pub fn projects(&self) -> impl Iterator<Item = &str> {
        self.clients.keys().map(String::as_str)
    }

    pub fn is_local(&self) -> bool {
        self.local
    }
}
