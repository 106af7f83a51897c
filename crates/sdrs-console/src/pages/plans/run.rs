//! A recovery-plan run's page: its progress by stage and group (followed every second until it ends), the gate to
//! confirm, pause, resume, cancel, retry and skip, and the evidence report.

use yew::prelude::*;

use sdrs_core::plan::run::{GroupRunStatus, RunStatus};
use sdrs_core::wire::{ConfirmGate, RunCommand, RunResponse};

use crate::api::{get_text, json_body, request, ApiError, Method};
use crate::components::error_box::ErrorBox;
use crate::hooks::{use_connection, use_follow};
use crate::router::Link;
use crate::Route;

#[derive(Properties, PartialEq)]
pub struct RunPageProps {
    pub id: String,
}

/// A run: live progress by stage and group, commands, and the evidence report.
#[component]
pub fn RunPage(props: &RunPageProps) -> Html {
    let connection = use_connection();
    // Bumped after a command, so the run is read again at once (and followed again if it had ended).
    let generation = use_state(|| 0u32);
    let url = connection.orchestration(&format!("/plan-runs/{}", props.id));
    let followed = use_follow(Some(url), *generation, |found: &RunResponse| found.run.status.is_final());
    let command_error = use_state(|| None::<ApiError>);
    let report = use_state(|| None::<String>);
    let confirmer = use_state(String::new);
    let command = |what: String, body: Option<String>| {
        let (connection, generation, error, id) =
            (connection.clone(), generation.clone(), command_error.clone(), props.id.clone());
        Callback::from(move |_: MouseEvent| {
            let (connection, generation, error, id, what, body) =
                (connection.clone(), generation.clone(), error.clone(), id.clone(), what.clone(), body.clone());
            wasm_bindgen_futures::spawn_local(async move {
                let url = connection.orchestration(&format!("/plan-runs/{id}/{what}"));
                match request::<RunResponse>(&connection, Method::Post, &url, body).await {
                    Ok(_) => {
                        error.set(None);
                        generation.set(*generation + 1);
                    }
                    Err(e) => error.set(Some(e)),
                }
            });
        })
    };
    let no_parameters = || json_body(&RunCommand {});
    let open_report = {
        let (connection, report, error, id) =
            (connection.clone(), report.clone(), command_error.clone(), props.id.clone());
        Callback::from(move |_| {
            let (connection, report, error, id) = (connection.clone(), report.clone(), error.clone(), id.clone());
            wasm_bindgen_futures::spawn_local(async move {
                match get_text(&connection, &connection.orchestration(&format!("/plan-runs/{id}/report.html"))).await {
                    Ok(page) => report.set(Some(page)),
                    Err(e) => error.set(Some(e)),
                }
            });
        })
    };
    let error = (*command_error).clone().or(followed.error.clone());
    let Some(current) = followed.value.as_ref().map(|found| &found.run) else {
        return html! { <section><h1>{ "Plan run" }</h1>
            if let Some(error) = error { <ErrorBox {error} /> } else { <p aria-live="polite">{ "Loading…" }</p> }
        </section> };
    };
    let status = current.status;
    let on_confirmer = {
        let confirmer = confirmer.clone();
        Callback::from(move |e: InputEvent| {
            confirmer.set(e.target_unchecked_into::<web_sys::HtmlInputElement>().value())
        })
    };
    html! {
        <section class="run">
            <p><Link to={Route::Plan { id: current.plan_id.clone() }}>{ format!("← Plan {}", current.plan.name) }</Link></p>
            <h1>{ format!("Run of {} ({})", current.plan.name, current.options.mode) }</h1>
            <p class="run-status" aria-live="polite">{ "Status: " }<strong id="run-status">{ status.as_str() }</strong>
                { format!(" — started {}", current.started_at) }{ current.finished_at.clone().map(|t| format!(", ended {t}")).unwrap_or_default() }</p>
            if let Some(error) = error { <ErrorBox {error} /> }
            <p class="actions">
                if matches!(status, RunStatus::Running | RunStatus::WaitingForGate) { <button type="button" onclick={command("pause".into(), no_parameters())}>{ "Pause" }</button>{ " " } }
                if status == RunStatus::Paused { <button type="button" onclick={command("resume".into(), no_parameters())}>{ "Resume" }</button>{ " " } }
                if !status.is_final() { <button type="button" onclick={command("cancel".into(), no_parameters())}>{ "Cancel run" }</button>{ " " } }
                <button type="button" id="open-report" onclick={open_report}>{ "Evidence report" }</button>
            </p>
            if status == RunStatus::WaitingForGate {
                <div class="gate" role="group" aria-label="Gate">
                    <p><strong>{ "Gate: " }</strong>{ current.current_stage().and_then(|i| current.stages[i].text.clone()).unwrap_or_default() }</p>
                    <label>{ "Your name (recorded in the evidence): " }<input id="confirmed-by" value={(*confirmer).clone()} oninput={on_confirmer} /></label>
                    { " " }<button type="button" class="primary" id="confirm-gate" disabled={confirmer.trim().is_empty()}
                        onclick={command("confirm-gate".into(), json_body(&ConfirmGate { confirmed_by: (*confirmer).clone() }))}>{ "Confirm and go on" }</button>
                </div>
            }
            { for current.stages.iter().map(|stage| html! {
                <section class="run-stage">
                    <h2>{ format!("Stage {}: {} — {}", stage.index + 1, stage.kind, stage.status) }</h2>
                    if let Some(text) = &stage.text { <p>{ format!("“{text}”") }{ stage.confirmed_by.clone().map(|b| format!(" — confirmed by {b} ({}) at {}", stage.confirmed_with.clone().unwrap_or_default(), stage.confirmed_at.clone().unwrap_or_default())).unwrap_or_default() }</p> }
                    if let Some(seconds) = stage.seconds { <p>{ format!("Wait of {seconds} s") }</p> }
                    if !stage.groups.is_empty() {
                        <table class="run-groups">
                            <thead><tr><th scope="col">{ "Group" }</th><th scope="col">{ "Status" }</th><th scope="col">{ "Job" }</th><th scope="col">{ "Steps" }</th><th scope="col">{ "Action" }</th></tr></thead>
                            <tbody>{ for stage.groups.iter().map(|g| {
                                let group_path = |what: &str| format!("groups/{}/{what}", g.server_group_id);
                                html! { <tr>
                                    <td>{ &g.name }{ if g.critical { "" } else { " (optional)" } }</td>
                                    <td>{ g.status.as_str() }{ g.fail_reason.clone().map(|r| format!(": {r}")).unwrap_or_default() }</td>
                                    <td><code>{ g.job_id.clone().unwrap_or_else(|| "—".to_owned()) }</code></td>
                                    <td>{ for g.steps.iter().map(|s| html! { <div>{ format!("{} {}", s.job_type, s.status) }</div> }) }</td>
                                    <td>
                                        if g.status == GroupRunStatus::Failed && !status.is_final() {
                                            <button type="button" onclick={command(group_path("retry"), no_parameters())}>{ format!("Retry {}", g.name) }</button>{ " " }
                                            <button type="button" onclick={command(group_path("skip"), no_parameters())}>{ format!("Skip {}", g.name) }</button>
                                        }
                                        if g.status == GroupRunStatus::Pending && !g.critical && !status.is_final() {
                                            <button type="button" onclick={command(group_path("skip"), no_parameters())}>{ format!("Skip {}", g.name) }</button>
                                        }
                                    </td>
                                </tr> }
                            }) }</tbody>
                        </table>
                    }
                </section>
            }) }
            if let Some(page) = &*report {
                <h2>{ "Evidence report" }</h2>
                <iframe class="report" title="Evidence report" srcdoc={page.clone()} />
            }
        </section>
    }
}
