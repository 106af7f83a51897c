//! The run panel of a saved plan: the plan check for a mode (every finding, the simulated timeline), the start of a
//! run once the plan's name is typed, and the plan's runs.

use yew::prelude::*;

use sdrs_core::plan::check::PlanCheck;
use sdrs_core::plan::{RunMode, RunOptions, StartRunRequest};
use sdrs_core::status::PriorityStation;
use sdrs_core::wire::{RunList, RunResponse};

use crate::api::{json_body, request, ApiError, Method};
use crate::components::error_box::ErrorBox;
use crate::hooks::use_connection;
use crate::pages::select_value;
use crate::router::Link;
use crate::Route;

#[derive(Properties, PartialEq)]
pub struct RunPanelProps {
    pub plan_id: String,
    pub plan_name: String,
    pub plan_version: u64,
    pub dirty: bool,
    pub runs: Option<RunList>,
}

/// The check of a run of the saved plan, and its start once the plan's name is typed.
#[component]
pub fn RunPanel(props: &RunPanelProps) -> Html {
    let connection = use_connection();
    let mode = use_state(|| RunMode::Drill);
    let station = use_state(|| PriorityStation::Target);
    let drill_run = use_state(String::new);
    let typed = use_state(String::new);
    let check = use_state(|| None::<PlanCheck>);
    let error = use_state(|| None::<ApiError>);
    let options = RunOptions {
        mode: *mode,
        priority_station: (*mode == RunMode::PlannedFailover).then_some(*station),
        drill_vpc_id: None,
        drill_run_id: (*mode == RunMode::DrillCleanup).then(|| (*drill_run).clone()),
    };
    let run_check = {
        let (connection, check, error, options, id) =
            (connection.clone(), check.clone(), error.clone(), options.clone(), props.plan_id.clone());
        Callback::from(move |_| {
            let (connection, check, error, options, id) =
                (connection.clone(), check.clone(), error.clone(), options.clone(), id.clone());
            wasm_bindgen_futures::spawn_local(async move {
                let url = connection.orchestration(&format!("/recovery-plans/{id}/check"));
                match request::<PlanCheck>(&connection, Method::Post, &url, json_body(&options)).await {
                    Ok(found) => {
                        check.set(Some(found));
                        error.set(None);
                    }
                    Err(e) => error.set(Some(e)),
                }
            });
        })
    };
    let start = {
        let (connection, error, options, id, typed) =
            (connection.clone(), error.clone(), options.clone(), props.plan_id.clone(), typed.clone());
        let version = props.plan_version;
        Callback::from(move |_| {
            let (connection, error, id) = (connection.clone(), error.clone(), id.clone());
            let body = StartRunRequest {
                mode: options.mode,
                priority_station: options.priority_station,
                drill_vpc_id: options.drill_vpc_id.clone(),
                drill_run_id: options.drill_run_id.clone(),
                confirm: (*typed).clone(),
                plan_version: version,
            };
            wasm_bindgen_futures::spawn_local(async move {
                let url = connection.orchestration(&format!("/recovery-plans/{id}/runs"));
                match request::<RunResponse>(&connection, Method::Post, &url, json_body(&body)).await {
                    Ok(started) => crate::router::go(&Route::Run { id: started.run.id }),
                    Err(e) => error.set(Some(e)),
                }
            });
        })
    };
    let on_mode = {
        let (mode, check) = (mode.clone(), check.clone());
        Callback::from(move |e: Event| {
            if let Ok(chosen) = select_value(&e).parse() {
                mode.set(chosen);
                check.set(None);
            }
        })
    };
    let on_station = {
        let station = station.clone();
        Callback::from(move |e: Event| {
            if let Ok(s) = select_value(&e).parse() {
                station.set(s)
            }
        })
    };
    let on_drill_run = {
        let drill_run = drill_run.clone();
        Callback::from(move |e: Event| drill_run.set(select_value(&e)))
    };
    let on_typed = {
        let typed = typed.clone();
        Callback::from(move |e: InputEvent| typed.set(e.target_unchecked_into::<web_sys::HtmlInputElement>().value()))
    };
    let drill_runs: Vec<_> = props.runs.iter().flat_map(|l| &l.runs).filter(|r| r.mode == RunMode::Drill).collect();
    let can_start = !props.dirty && *typed == props.plan_name && check.as_ref().is_some_and(|c| c.allowed);
    html! {
        <section class="run-panel">
            <h2>{ "Check and run" }</h2>
            if props.dirty { <p class="muted">{ "Save the plan first: a run uses the saved plan." }</p> }
            <p><label>{ "Mode: " }<select id="run-mode" onchange={on_mode}>
                { for RunMode::ALL.iter().map(|m| html! { <option value={m.as_str()} selected={*m == *mode}>{ m.as_str() }</option> }) }
            </select></label>
            if *mode == RunMode::PlannedFailover {
                { " " }<label>{ "New production site: " }<select onchange={on_station}>
                    { for PriorityStation::ALL.iter().map(|s| html! { <option value={s.as_str()} selected={*s == *station}>{ s.as_str() }</option> }) }
                </select></label>
            }
            if *mode == RunMode::DrillCleanup {
                { " " }<label>{ "Drill run to clean up: " }<select id="drill-run" onchange={on_drill_run}>
                    <option value="" selected={drill_run.is_empty()}>{ "choose…" }</option>
                    { for drill_runs.iter().map(|r| html! { <option value={r.id.clone()} selected={*drill_run == r.id}>{ format!("{} ({})", r.started_at, r.status) }</option> }) }
                </select></label>
            }
            { " " }<button type="button" id="check-plan" onclick={run_check} disabled={props.dirty}>{ "Check" }</button></p>
            if let Some(error) = &*error { <ErrorBox error={error.clone()} /> }
            if let Some(check) = &*check { <CheckView check={check.clone()} /> }
            if check.as_ref().is_some_and(|c| c.allowed) {
                <p><label>{ format!("Type the plan's name ({}) to start the run: ", props.plan_name) }
                    <input id="confirm-plan" value={(*typed).clone()} oninput={on_typed} autocomplete="off" /></label>
                { " " }<button type="button" class="primary" id="start-run" onclick={start} disabled={!can_start}>{ format!("Start {} run", options.mode) }</button></p>
            }
            <h2>{ "Runs" }</h2>
            { match &props.runs {
                Some(list) if !list.runs.is_empty() => html! { <ul class="runs">{ for list.runs.iter().map(|r| html! {
                    <li><Link to={Route::Run { id: r.id.clone() }}>{ format!("{} {} — {}", r.started_at, r.mode, r.status) }</Link></li>
                }) }</ul> },
                _ => html! { <p class="muted">{ "No run yet." }</p> },
            } }
        </section>
    }
}

#[derive(Properties, PartialEq)]
struct CheckViewProps {
    check: PlanCheck,
}

/// Every finding of a plan check, and the simulated timeline.
#[component]
fn CheckView(props: &CheckViewProps) -> Html {
    let check = &props.check;
    html! {
        <div class="plan-check" aria-live="polite">
            <p><strong>{ if check.allowed { "Nothing blocks this run." } else { "This run would be refused:" } }</strong></p>
            if !check.findings.is_empty() {
                <ul class="findings">{ for check.findings.iter().map(|f| html! {
                    <li class={format!("finding {}", f.severity)}>
                        <strong>{ format!("{}: ", f.severity) }</strong>
                        { f.stage.map(|s| format!("stage {}: ", s + 1)).unwrap_or_default() }
                        { &f.message }{ " " }<code class="code">{ &f.code }</code><br /><span class="muted">{ &f.hint }</span>
                    </li>
                }) }</ul>
            }
            <h3>{ "Simulated timeline" }</h3>
            <ol class="timeline">{ for check.timeline.iter().map(|stage| html! {
                <li>{ format!("{}", stage.kind) }
                    { stage.seconds.map(|s| format!(" of {s} s")).unwrap_or_default() }
                    { stage.text.clone().map(|t| format!(": “{t}”")).unwrap_or_default() }
                    if !stage.groups.is_empty() {
                        <ul>{ for stage.groups.iter().map(|g| html! {
                            <li>{ format!("{}{}: {}{}", g.name, if g.critical { "" } else { " (optional)" },
                                g.statuses.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(" → "),
                                if g.drill_statuses.is_empty() { String::new() } else { format!("; drill {}", g.drill_statuses.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(" → ")) }) }</li>
                        }) }</ul>
                    }
                </li>
            }) }</ol>
        </div>
    }
}
