//! One group: its servers in their current roles, pairs, drills, recent jobs, the actions it allows, login guidance.

use yew::prelude::*;

use sdrs_core::login::AfterOperation;
use sdrs_core::snapshot::{GroupSnapshot, ServerFacts};
use sdrs_core::status::FaultLevel;
use sdrs_core::wire::{FailureJobList, Job};

use super::data::{load_profiles, load_snapshot, recent_jobs};
use crate::api::{get, ApiError};
use crate::components::error_box::ErrorBox;
use crate::components::login_guidance::{DrillGuidance, LoginGuidance};
use crate::components::status_badge::StatusBadge;
use crate::hooks::{use_connection, use_load_every, Load};
use crate::router::Link;
use crate::view::action_buttons;
use crate::Route;
use sdrs_core::profile::ServerProfile;

#[derive(Properties, PartialEq)]
pub struct GroupPageProps {
    pub id: String,
}

#[derive(Clone, PartialEq)]
struct Loaded {
    snapshot: GroupSnapshot,
    profiles: Vec<ServerProfile>,
    jobs: Vec<Job>,
    jobs_cover: &'static str,
    failures: Option<FailureJobList>,
}

fn fault_words(level: &str) -> String {
    match level.parse::<FaultLevel>() {
        Ok(FaultLevel::NoFault) => "0 (no fault)".to_owned(),
        Ok(FaultLevel::ProductionDiskFault) => "2 (production disk lost read/write: failover advised)".to_owned(),
        Ok(FaultLevel::ReplicationLinkBroken) => "5 (replication link broken: failover not allowed)".to_owned(),
        Err(_) => level.to_owned(),
    }
}

#[component]
pub fn GroupPage(props: &GroupPageProps) -> Html {
    let loaded = use_load_every(5_000, props.id.clone(), |connection, id| async move {
        let mut snapshot = load_snapshot(&connection, &id).await?;
        let profiles = load_profiles(&connection, &mut snapshot).await;
        let (jobs, jobs_cover) = recent_jobs(&connection, &id).await;
        let failures = get::<FailureJobList>(
            &connection,
            &connection.v1(&format!("/task-center/failure-jobs?server_group_id={id}&limit=5")),
        )
        .await
        .ok();
        Ok(Loaded { snapshot, profiles, jobs, jobs_cover, failures })
    });
    let loaded = match &*loaded {
        Load::Loading => return html! { <p aria-live="polite">{ "Loading…" }</p> },
        Load::Failed(error) => {
            return html! { <section><h1>{ "Protection group" }</h1><ErrorBox error={error.clone()} /></section> };
        }
        Load::Loaded(loaded) => loaded,
    };
    let snapshot = &loaded.snapshot;
    let group = &snapshot.server_group;
    let server_cell = |id: &str| match ServerFacts::find(&snapshot.servers, id) {
        Some(facts) => format!("{} — {}", facts.name.clone().unwrap_or_else(|| id.to_owned()), facts.power_state),
        None => id.to_owned(),
    };
    html! {
        <section class="group">
            <p><Link to={Route::Groups}>{ "← Protection groups" }</Link></p>
            <h1>{ &group.name }{ " " }<StatusBadge status={group.status} /></h1>
            <p>{ format!("Production site: {} ({}). DR site: {}.", group.production_availability_zone(), group.priority_station, group.dr_availability_zone()) }</p>
            <nav class="actions" aria-label="Actions">
                { for action_buttons(group.status, group.priority_station).into_iter().map(|b| match &b.disabled_because {
                    None => html! { <Link classes="button" to={Route::Operation { id: group.id.clone(), operation: b.operation }}>{ b.operation.label() }</Link> },
                    Some(reason) => html! { <span class="action-disabled"><button type="button" disabled=true>{ b.operation.label() }</button><small>{ reason }</small></span> },
                }) }
            </nav>
            <h2>{ "Protected instances" }</h2>
            <div class="table-scroll"><table>
                <thead><tr><th scope="col">{ "Instance" }</th><th scope="col">{ "Status" }</th>
                    <th scope="col">{ format!("Production site server ({})", group.production_availability_zone()) }</th>
                    <th scope="col">{ format!("DR site server ({})", group.dr_availability_zone()) }</th></tr></thead>
                <tbody>{ for snapshot.protected_instances.iter().map(|i| html! {
                    <tr><td>{ &i.name }</td><td>{ i.status.as_str() }</td>
                        <td>{ server_cell(i.production_server(group.priority_station)) }</td>
                        <td>{ server_cell(i.dr_server(group.priority_station)) }</td></tr>
                }) }</tbody>
            </table></div>
            <h2>{ "Replication pairs" }</h2>
            <div class="table-scroll"><table>
                <thead><tr><th scope="col">{ "Pair" }</th><th scope="col">{ "Status" }</th><th scope="col">{ "Fault level" }</th><th scope="col">{ "Replication" }</th><th scope="col">{ "Size" }</th></tr></thead>
                <tbody>{ for snapshot.replications.iter().map(|r| html! {
                    <tr><td>{ &r.name }</td><td>{ r.status.as_str() }</td><td>{ fault_words(&r.fault_level) }</td>
                        <td>{ r.replication_status.clone().unwrap_or_default() }</td><td>{ format!("{} GB", r.record_metadata.volume_size) }</td></tr>
                }) }</tbody>
            </table></div>
            <h2>{ "DR drills" }</h2>
            if snapshot.disaster_recovery_drills.is_empty() { <p>{ "None." }</p> }
            { for snapshot.disaster_recovery_drills.iter().map(|d| html! {
                <DrillItem snapshot={snapshot.clone()} drill={d.clone()} profiles={loaded.profiles.clone()} />
            }) }
            <h2>{ "Recent jobs" }</h2>
            <p class="muted">{ loaded.jobs_cover }</p>
            <ul class="recent-jobs">
                { for loaded.jobs.iter().map(|job| html! { <li>
                    <Link to={Route::Job { id: job.job_id.clone() }}>{ format!("{} — {}", job.job_type, job.status) }</Link>
                    { format!(" {}", job.begin_time.clone().unwrap_or_default()) }
                </li> }) }
                { for loaded.failures.iter().flat_map(|f| f.failure_jobs.iter()).map(|f| html! {
                    <li>{ format!("{} failed ({}): {} {}", f.job_type, f.failure_status, f.error_code.clone().unwrap_or_default(), f.fail_reason.clone().unwrap_or_default()) }</li>
                }) }
            </ul>
            <LoginGuidance snapshot={snapshot.clone()} profiles={loaded.profiles.clone()} after={AfterOperation::Failover} />
            <p><Link to={Route::History { id: group.id.clone() }}>{ "History: who did what to this group" }</Link></p>
        </section>
    }
}

#[derive(Properties, PartialEq)]
struct DrillItemProps {
    snapshot: GroupSnapshot,
    drill: sdrs_core::wire::DisasterRecoveryDrill,
    profiles: Vec<ServerProfile>,
}

/// One DR drill: its servers' login guidance, and a delete that asks once more before it sends.
#[component]
fn DrillItem(props: &DrillItemProps) -> Html {
    let connection = use_connection();
    let confirming = use_state(|| false);
    let outcome = use_state(|| None::<Result<Job, ApiError>>);
    let d = &props.drill;
    // The core's rule, as the server applies it: the reason shows before anything is sent.
    let refused = sdrs_core::member_rules::delete_drill(d).refusals.into_iter().next();
    let on_delete = {
        let (confirming, outcome, connection, id) =
            (confirming.clone(), outcome.clone(), connection.clone(), d.id.clone());
        Callback::from(move |_| {
            if !*confirming {
                confirming.set(true);
                return;
            }
            let (outcome, connection, id) = (outcome.clone(), connection.clone(), id.clone());
            wasm_bindgen_futures::spawn_local(async move {
                let url = connection.v1(&format!("/disaster-recovery-drills/{id}"));
                let submitted = crate::api::request::<sdrs_core::wire::JobIdResponse>(
                    &connection,
                    crate::api::Method::Delete,
                    &url,
                    None,
                )
                .await;
                outcome.set(Some(match submitted {
                    Ok(response) => {
                        get::<Job>(&connection, &connection.v1(&format!("/jobs/{}", response.job_id))).await
                    }
                    Err(error) => Err(error),
                }));
            });
        })
    };
    html! {
        <article class="drill">
            <p>
                { format!("{} — {} — {} drill server(s) ", d.name, d.status, d.drill_servers.len()) }
                if let Some(refusal) = &refused {
                    <span class="action-disabled"><button type="button" disabled=true>{ "Delete drill" }</button><small>{ format!("Not now: {} ({})", refusal.detail, refusal.code.as_str()) }</small></span>
                } else if outcome.is_none() {
                    <button type="button" onclick={on_delete}>{ if *confirming { "Confirm: delete this drill and its servers" } else { "Delete drill" } }</button>
                }
            </p>
            { match &*outcome {
                Some(Ok(job)) => html! { <p role="status">{ format!("Deletion submitted: {} {}", job.job_type, job.status) }</p> },
                Some(Err(error)) => html! { <ErrorBox error={error.clone()} /> },
                None => html! {},
            } }
            if !d.drill_servers.is_empty() {
                <details>
                    <summary>{ "Logging in to the drill servers" }</summary>
                    <DrillGuidance snapshot={props.snapshot.clone()} drill={d.clone()} profiles={props.profiles.clone()} />
                </details>
            }
        </article>
    }
}

#[derive(Properties, PartialEq)]
pub struct JobPageProps {
    pub id: String,
}

/// One job and its steps, followed while it runs (a link from a group's recent jobs, or pasted).
#[component]
pub fn JobPage(props: &JobPageProps) -> Html {
    let followed = crate::hooks::use_job(Some(props.id.clone()));
    html! {
        <section>
            <h1>{ format!("Job {}", props.id) }</h1>
            if let Some(error) = &followed.error { <ErrorBox error={error.clone()} /> }
            { match &followed.value {
                Some(job) => html! { <>
                    if let Some(group) = &job.entities.server_group_id {
                        <p><Link to={Route::Group { id: group.clone() }}>{ "← The protection group" }</Link></p>
                    }
                    <crate::components::job_view::JobView job={job.clone()} />
                </> },
                None if followed.error.is_none() => html! { <p aria-live="polite">{ "Loading…" }</p> },
                None => html! {},
            } }
        </section>
    }
}
