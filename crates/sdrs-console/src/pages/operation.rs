//! An operation on a group: pre-check, what-if preview, confirmation by the group's name, one submission, the live
//! job, and afterwards the roles and login guidance, or the error and a retry.

use yew::prelude::*;

use sdrs_core::login::AfterOperation;
use sdrs_core::snapshot::Intent;
use sdrs_core::state_machine::Operation;
use sdrs_core::status::JobStatus;
use sdrs_core::wire::{CreateDrillParams, CreateDrillRequest, JobIdResponse};

use super::data::{load_profiles, load_snapshot, load_snapshot_with_profiles, remember_job, StartedJob};
use crate::api::{json_body, request, Method};
use crate::components::error_box::ErrorBox;
use crate::components::job_view::JobView;
use crate::components::login_guidance::{DrillGuidance, LoginGuidance};
use crate::components::precheck_panel::PrecheckPanel;
use crate::components::role_swap::RoleSwapView;
use crate::hooks::{spawn_until_dropped, use_connection, use_job, use_load, Load};
use crate::router::Link;
use crate::state::{FlowAction, FlowState, Phase};
use crate::view::ConsoleOperation;
use crate::Route;

#[derive(Properties, PartialEq)]
pub struct OperationPageProps {
    pub id: String,
    pub operation: ConsoleOperation,
}

#[component]
pub fn OperationPage(props: &OperationPageProps) -> Html {
    match props.operation {
        ConsoleOperation::Drill => html! { <DrillPage id={props.id.clone()} /> },
        ConsoleOperation::Group(intent) => {
            html! { <Flow id={props.id.clone()} {intent} label={props.operation.label()} /> }
        }
    }
}

#[derive(Properties, PartialEq)]
struct FlowProps {
    id: String,
    intent: Intent,
    label: &'static str,
}

/// The request that starts the intent.
fn submission(intent: Intent) -> (Method, Option<String>) {
    match intent.action() {
        Some(action) => (Method::Post, json_body(&action.to_body())),
        None => (Method::Delete, None),
    }
}

#[component]
fn Flow(props: &FlowProps) -> Html {
    let connection = use_connection();
    let flow = use_reducer(|| FlowState::new(props.intent));
    let label = props.label;

    // Load (with the servers' power states from ECS) and pre-check.
    {
        let flow = flow.dispatcher();
        let connection = connection.clone();
        let id = props.id.clone();
        use_effect_with((id.clone(), connection.clone()), move |_| {
            spawn_until_dropped(async move {
                match load_snapshot(&connection, &id).await {
                    Ok(mut snapshot) => {
                        load_profiles(&connection, &mut snapshot).await;
                        flow.dispatch(FlowAction::Loaded(snapshot))
                    }
                    Err(error) => flow.dispatch(FlowAction::LoadFailed(error)),
                }
            })
        });
    }
    // Send exactly once per accepted submission. Not aborted on leaving the page: a request on its way must still
    // be remembered among the recent jobs.
    {
        let dispatcher = flow.dispatcher();
        let connection = connection.clone();
        let id = props.id.clone();
        let intent = props.intent;
        let label = label.to_owned();
        use_effect_with(flow.submissions, move |submissions| {
            if *submissions > 0 {
                wasm_bindgen_futures::spawn_local(async move {
                    let (method, body) = submission(intent);
                    let url = if method == Method::Delete {
                        connection.v1(&format!("/server-groups/{id}"))
                    } else {
                        connection.v1(&format!("/server-groups/{id}/action"))
                    };
                    match request::<JobIdResponse>(&connection, method, &url, body).await {
                        Ok(response) => {
                            remember_job(StartedJob { group_id: id, job_id: response.job_id.clone(), label });
                            dispatcher.dispatch(FlowAction::Submitted(response.job_id));
                        }
                        Err(error) => dispatcher.dispatch(FlowAction::SubmitFailed(error)),
                    }
                });
            }
        });
    }
    // Follow the job every second until it ends.
    let running = match &flow.phase {
        Phase::Running { job_id } => Some(job_id.clone()),
        _ => None,
    };
    let followed = use_job(running);
    {
        let dispatcher = flow.dispatcher();
        use_effect_with(followed.value.clone(), move |job| {
            if let Some(job) = job {
                dispatcher.dispatch(FlowAction::JobUpdate(job.clone()));
            }
        });
    }

    let on_type = {
        let flow = flow.dispatcher();
        Callback::from(move |e: InputEvent| {
            let input: web_sys::HtmlInputElement = e.target_unchecked_into();
            flow.dispatch(FlowAction::Typed(input.value()));
        })
    };
    let on_submit = {
        let flow = flow.dispatcher();
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            flow.dispatch(FlowAction::Submit);
        })
    };
    let on_retry = {
        let flow = flow.dispatcher();
        let connection = connection.clone();
        let id = props.id.clone();
        Callback::from(move |_| {
            let flow = flow.clone();
            let connection = connection.clone();
            let id = id.clone();
            wasm_bindgen_futures::spawn_local(async move {
                match load_snapshot(&connection, &id).await {
                    Ok(snapshot) => flow.dispatch(FlowAction::Retry(snapshot)),
                    Err(error) => flow.dispatch(FlowAction::LoadFailed(error)),
                }
            });
        })
    };

    let group_name = flow.group_name().unwrap_or("…").to_owned();
    let locked = !matches!(flow.phase, Phase::Ready | Phase::Loading);
    let after = match props.intent.operation() {
        Operation::Failover => Some(AfterOperation::Failover),
        Operation::PlannedFailover => Some(AfterOperation::PlannedFailover),
        _ => None,
    };
    html! {
        <section class="operation">
            <p><Link to={Route::Group { id: props.id.clone() }}>{ format!("← {group_name}") }</Link></p>
            <h1>{ format!("{label}: {group_name}") }</h1>
            if let Phase::Refused(error) | Phase::LoadFailed(error) = &flow.phase { <ErrorBox error={error.clone()} /> }
            if let Some(precheck) = &flow.precheck { <PrecheckPanel precheck={precheck.clone()} /> }
            if let Some(preview) = &flow.preview { <RoleSwapView swap={preview.clone()} /> }
            if flow.snapshot.is_some() {
                <form class="confirm" onsubmit={on_submit}>
                    <label for="confirm-name">{ format!("Type the group's name, {group_name}, to confirm") }</label>
                    <input id="confirm-name" autocomplete="off" value={flow.confirmation.clone()} oninput={on_type} disabled={locked} />
                    <button type="submit" class="danger" disabled={!flow.can_submit()}>{ format!("Run {}", label.to_ascii_lowercase()) }</button>
                    if let Some(reason) = flow.submit_blocked_because() { <p class="muted" id="submit-reason">{ reason }</p> }
                </form>
            }
            if let Some(job) = &flow.job { <JobView job={job.clone()} /> }
            if let Phase::Finished { job } = &flow.phase {
                if job.status == JobStatus::Success {
                    <p class="ok-line" role="status">{ format!("{label} finished successfully.") }</p>
                    if let Some(after) = after {
                        <AfterView id={props.id.clone()} {after} />
                    }
                } else if flow.can_retry() {
                    <button type="button" onclick={on_retry}>{ "Retry" }</button>
                }
            }
        </section>
    }
}

#[derive(Properties, PartialEq)]
struct AfterViewProps {
    id: String,
    after: AfterOperation,
}

/// After a successful failover or planned failover: the roles now, and who logs in where.
#[component]
fn AfterView(props: &AfterViewProps) -> Html {
    let loaded = use_load(props.id.clone(), load_snapshot_with_profiles);
    let (now, profiles) = match &*loaded {
        Load::Loading => return html! { <p>{ "Loading the new roles…" }</p> },
        Load::Failed(error) => return html! { <ErrorBox error={error.clone()} /> },
        Load::Loaded(loaded) => loaded,
    };
    let roles = sdrs_core::role_swap::roles_at(&now.facts(), now.server_group.priority_station);
    html! {
        <>
            <section class="roles-now">
                <h2>{ "Roles now" }</h2>
                <ul>{ for roles.instances.iter().map(|i| html! {
                    <li>{ format!("{}: production site server {} (server {}), DR site server {} (server {})",
                        i.name, i.production_server.name.clone().unwrap_or_else(|| i.production_server.id.clone()), i.production_server.seed,
                        i.dr_server.name.clone().unwrap_or_else(|| i.dr_server.id.clone()), i.dr_server.seed) }</li>
                }) }</ul>
            </section>
            <LoginGuidance snapshot={now.clone()} profiles={profiles.clone()} after={props.after} />
        </>
    }
}

#[derive(Properties, PartialEq)]
struct DrillPageProps {
    id: String,
}

/// Creating a DR drill: a name, one submission, the live job.
#[component]
fn DrillPage(props: &DrillPageProps) -> Html {
    let connection = use_connection();
    let name = use_state(|| "drill-1".to_owned());
    let job_id = use_state(|| None::<String>);
    let error = use_state(|| None);
    let sent = use_state(|| false);
    let followed = use_job((*job_id).clone());
    let on_name = {
        let name = name.clone();
        Callback::from(move |e: InputEvent| name.set(e.target_unchecked_into::<web_sys::HtmlInputElement>().value()))
    };
    let on_submit = {
        let (name, job_id, error, sent, connection, id) =
            (name.clone(), job_id.clone(), error.clone(), sent.clone(), connection.clone(), props.id.clone());
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            if *sent {
                return;
            }
            sent.set(true);
            let (name, job_id, error, connection, id) =
                (name.clone(), job_id.clone(), error.clone(), connection.clone(), id.clone());
            wasm_bindgen_futures::spawn_local(async move {
                let body = CreateDrillRequest {
                    disaster_recovery_drill: CreateDrillParams {
                        server_group_id: id.clone(),
                        name: (*name).clone(),
                        drill_vpc_id: None,
                    },
                };
                match request::<JobIdResponse>(
                    &connection,
                    Method::Post,
                    &connection.v1("/disaster-recovery-drills"),
                    json_body(&body),
                )
                .await
                {
                    Ok(response) => {
                        // In this browser's recent jobs too, as every other operation's job is.
                        let label = ConsoleOperation::Drill.label().to_owned();
                        remember_job(StartedJob { group_id: id, job_id: response.job_id.clone(), label });
                        job_id.set(Some(response.job_id));
                    }
                    Err(e) => error.set(Some(e)),
                }
            });
        })
    };
    html! {
        <section>
            <p><Link to={Route::Group { id: props.id.clone() }}>{ "← Group" }</Link></p>
            <h1>{ "Create a DR drill" }</h1>
            <form onsubmit={on_submit}>
                <label for="drill-name">{ "Drill name " }</label>
                <input id="drill-name" value={(*name).clone()} oninput={on_name} disabled={*sent} />
                <button type="submit" disabled={*sent}>{ "Create drill" }</button>
            </form>
            if let Some(e) = error.as_ref().or(followed.error.as_ref()) { <ErrorBox error={e.clone()} /> }
            if let Some(j) = &followed.value { <JobView job={j.clone()} /> }
            if let Some(drill_id) = followed.value.as_ref().filter(|j| j.status == JobStatus::Success).and_then(|j| j.entities.disaster_recovery_drill_id.clone()) {
                <AfterDrill id={props.id.clone()} {drill_id} />
            }
        </section>
    }
}

#[derive(Properties, PartialEq)]
struct AfterDrillProps {
    id: String,
    drill_id: String,
}

/// After a drill is created: who logs in to its servers.
#[component]
fn AfterDrill(props: &AfterDrillProps) -> Html {
    let loaded = use_load(props.id.clone(), load_snapshot_with_profiles);
    let (snapshot, profiles) = match &*loaded {
        Load::Loading => return html! { <p>{ "Loading the drill servers…" }</p> },
        Load::Failed(error) => return html! { <ErrorBox error={error.clone()} /> },
        Load::Loaded(loaded) => loaded,
    };
    match snapshot.disaster_recovery_drills.iter().find(|d| d.id == props.drill_id).cloned() {
        Some(drill) => html! { <DrillGuidance snapshot={snapshot.clone()} {drill} profiles={profiles.clone()} /> },
        None => html! {},
    }
}
