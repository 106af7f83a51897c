//! Recovery plans: the list, the editor with the plan check and a run started by typing the plan's name, and a
//! run's live progress with gate confirmation, retry/skip/cancel and the evidence report.

use yew::prelude::*;

use sdrs_core::plan::check::PlanCheck;
use sdrs_core::plan::run::{GroupRunStatus, PlanRun, RunStatus};
use sdrs_core::plan::{RecoveryPlan, RunMode, RunOptions, Stage};
use sdrs_core::status::PriorityStation;
use sdrs_core::wire::{PlanList, PlanResponse, RunList, RunResponse, ServerGroup, ServerGroupList};

use crate::api::{get, get_text, json_body, request, ApiError, Connection, Method};
use crate::components::error_box::ErrorBox;
use crate::hooks::spawn_until_dropped;
use crate::router::Link;
use crate::state::plan_editor::{EditAction, PlanEditor};
use crate::{ConnectionContext, Route};

use super::{input_value, select_value};

/// Every plan, a page at a time (the server answers at most 50 to a page; a project keeps at most 100).
async fn all_plans(connection: &crate::api::Connection) -> Result<PlanList, ApiError> {
    let mut all = PlanList { recovery_plans: Vec::new(), count: 0 };
    loop {
        let url = connection.orchestration(&format!("/recovery-plans?limit=50&offset={}", all.recovery_plans.len()));
        let page: PlanList = get(connection, &url).await?;
        let done = page.recovery_plans.len() < 50 || all.recovery_plans.len() + 50 >= page.count as usize;
        all.count = page.count;
        all.recovery_plans.extend(page.recovery_plans);
        if done {
            return Ok(all);
        }
    }
}

/// The list of plans.
#[component]
pub fn PlansPage() -> Html {
    let connection = use_context::<ConnectionContext>().expect("the app provides the connection");
    let plans = use_state(|| None::<Result<PlanList, ApiError>>);
    {
        let (plans, connection) = (plans.clone(), (*connection).clone());
        use_effect_with(connection.clone(), move |_| {
            spawn_until_dropped(async move {
                if connection.is_complete() {
                    plans.set(Some(all_plans(&connection).await));
                }
            })
        });
    }
    let body = match &*plans {
        None => html! { <p aria-live="polite">{ "Loading…" }</p> },
        Some(Err(error)) => html! { <ErrorBox error={error.clone()} /> },
        Some(Ok(list)) if list.recovery_plans.is_empty() => html! { <p>{ "No recovery plan yet." }</p> },
        Some(Ok(list)) => html! {
            <table class="plans">
                <thead><tr><th scope="col">{ "Plan" }</th><th scope="col">{ "Stages" }</th><th scope="col">{ "Groups" }</th><th scope="col">{ "Updated" }</th></tr></thead>
                <tbody>{ for list.recovery_plans.iter().map(|p| html! {
                    <tr>
                        <td><Link to={Route::Plan { id: p.id.clone() }}>{ &p.name }</Link><br /><span class="muted">{ &p.description }</span></td>
                        <td>{ p.stages.len() }</td>
                        <td>{ p.stages.iter().map(|s| s.groups().len()).sum::<usize>() }</td>
                        <td>{ &p.updated_at }</td>
                    </tr>
                }) }</tbody>
            </table>
        },
    };
    html! {
        <section>
            <h1>{ "Recovery plans" }</h1>
            <p>{ "Many protection groups failed over, or drilled, in ordered stages with waits and gates. Plans are this tool's own (sdrs-server), not part of SDRS." }</p>
            <p><Link classes="button" to={Route::Plan { id: "new".to_owned() }}>{ "New plan" }</Link></p>
            { body }
        </section>
    }
}

#[derive(Properties, PartialEq)]
pub struct PlanPageProps {
    pub id: String,
}

/// The groups the editor offers, by id.
fn group_name(groups: &[ServerGroup], id: &str) -> String {
    groups.iter().find(|g| g.id == id).map_or_else(|| format!("{id} (not found)"), |g| g.name.clone())
}

/// One plan: the editor, the check, starting a run, and its runs.
#[component]
pub fn PlanPage(props: &PlanPageProps) -> Html {
    let connection = use_context::<ConnectionContext>().expect("the app provides the connection");
    let editor = use_reducer(PlanEditor::default);
    let groups = use_state(Vec::<ServerGroup>::new);
    let runs = use_state(|| None::<RunList>);
    let error = use_state(|| None::<ApiError>);
    // The saved plan's version, which a run's start confirms (a plan replaced since is not run).
    let version = use_state(|| 0_u64);
    let is_new = props.id == "new";
    {
        let (editor, groups, runs, error) = (editor.clone(), groups.clone(), runs.clone(), error.clone());
        let version = version.clone();
        let connection = (*connection).clone();
        let id = props.id.clone();
        use_effect_with((id.clone(), connection.clone()), move |_| {
            spawn_until_dropped(async move {
                if !connection.is_complete() {
                    return;
                }
                match get::<ServerGroupList>(&connection, &connection.v1("/server-groups?limit=1000")).await {
                    Ok(list) => groups.set(list.server_groups),
                    Err(e) => error.set(Some(e)),
                }
                if id == "new" {
                    editor.dispatch(EditAction::Load(RecoveryPlan {
                        name: String::new(),
                        description: String::new(),
                        stages: Vec::new(),
                    }));
                    return;
                }
                match get::<PlanResponse>(&connection, &connection.orchestration(&format!("/recovery-plans/{id}")))
                    .await
                {
                    Ok(found) => {
                        version.set(found.recovery_plan.version);
                        editor.dispatch(EditAction::Load(found.recovery_plan.plan()));
                        error.set(None);
                    }
                    Err(e) => error.set(Some(e)),
                }
                if let Ok(list) =
                    get::<RunList>(&connection, &connection.orchestration(&format!("/recovery-plans/{id}/runs"))).await
                {
                    runs.set(Some(list));
                }
            })
        });
    }
    let save = {
        let (editor, error, connection) = (editor.clone(), error.clone(), (*connection).clone());
        let (id, version) = (props.id.clone(), version.clone());
        Callback::from(move |_| {
            let (editor, error, connection, id) = (editor.clone(), error.clone(), connection.clone(), id.clone());
            let version = version.clone();
            wasm_bindgen_futures::spawn_local(async move {
                let body = serde_json::json!({ "recovery_plan": editor.plan });
                let answer: Result<PlanResponse, ApiError> = if id == "new" {
                    request(
                        &connection,
                        Method::Post,
                        &connection.orchestration("/recovery-plans"),
                        Some(body.to_string()),
                    )
                    .await
                } else {
                    let url = connection.orchestration(&format!("/recovery-plans/{id}"));
                    request(&connection, Method::Put, &url, Some(body.to_string())).await
                };
                match answer {
                    Ok(saved) => {
                        error.set(None);
                        version.set(saved.recovery_plan.version);
                        editor.dispatch(EditAction::Saved);
                        if id == "new" {
                            crate::router::go(&Route::Plan { id: saved.recovery_plan.id });
                        }
                    }
                    Err(e) => error.set(Some(e)),
                }
            });
        })
    };
    let dispatch = |action: fn(String) -> EditAction| {
        let editor = editor.clone();
        Callback::from(move |e: Event| editor.dispatch(action(input_value(&e))))
    };
    let plan = &editor.plan;
    let stages = plan.stages.iter().enumerate().map(|(index, stage)| {
        let remove = { let editor = editor.clone(); Callback::from(move |_| editor.dispatch(EditAction::RemoveStage(index))) };
        let up = { let editor = editor.clone(); Callback::from(move |_| editor.dispatch(EditAction::MoveUp(index))) };
        let content = match stage {
            Stage::Groups { groups: members } => {
                let add = { let editor = editor.clone(); Callback::from(move |e: Event| editor.dispatch(EditAction::AddGroup(index, select_value(&e)))) };
                html! { <>
                    <ul class="stage-groups">{ for members.iter().enumerate().map(|(position, member)| {
                        let critical = { let editor = editor.clone(); Callback::from(move |e: Event| {
                            let checked = e.target_unchecked_into::<web_sys::HtmlInputElement>().checked();
                            editor.dispatch(EditAction::SetCritical(index, position, checked));
                        }) };
                        let remove = { let editor = editor.clone(); Callback::from(move |_| editor.dispatch(EditAction::RemoveGroup(index, position))) };
                        let name = group_name(&groups, &member.server_group_id);
                        html! { <li>
                            <span class="group-name">{ name.clone() }</span>
                            <label>{ " " }<input type="checkbox" checked={member.critical} onchange={critical} />{ " critical" }</label>
                            { " " }<button type="button" onclick={remove} aria-label={format!("Remove {name} from stage {}", index + 1)}>{ "Remove" }</button>
                        </li> }
                    }) }</ul>
                    <label>{ "Add a group: " }
                        <select id={format!("stage-{index}-add")} onchange={add}>
                            <option value="" selected=true>{ "choose…" }</option>
                            { for groups.iter().filter(|g| !members.iter().any(|m| m.server_group_id == g.id)).map(|g| html! {
                                <option value={g.id.clone()}>{ format!("{} ({})", g.name, g.status) }</option>
                            }) }
                        </select>
                    </label>
                </> }
            }
            Stage::Wait { seconds } => {
                let set = { let editor = editor.clone(); Callback::from(move |e: Event| editor.dispatch(EditAction::SetWaitSeconds(index, input_value(&e).parse().unwrap_or(0)))) };
                html! { <label>{ "Wait, in seconds: " }<input type="number" min="1" value={seconds.to_string()} onchange={set} /></label> }
            }
            Stage::Gate { text } => {
                let set = { let editor = editor.clone(); Callback::from(move |e: Event| editor.dispatch(EditAction::SetGateText(index, input_value(&e)))) };
                html! { <label>{ "What the person confirming is shown: " }<input id={format!("stage-{index}-gate")} class="wide" value={text.clone()} onchange={set} /></label> }
            }
        };
        html! {
            <fieldset class="stage">
                <legend>{ format!("Stage {}: {}", index + 1, stage.kind()) }</legend>
                { content }
                <p><button type="button" onclick={up} disabled={index == 0}>{ "Move up" }</button>{ " " }<button type="button" onclick={remove}>{ "Remove stage" }</button></p>
            </fieldset>
        }
    });
    let add = |action: fn() -> EditAction| {
        let editor = editor.clone();
        Callback::from(move |_| editor.dispatch(action()))
    };
    html! {
        <section class="plan">
            <p><Link to={Route::Plans}>{ "← Recovery plans" }</Link></p>
            <h1>{ if is_new { "New recovery plan".to_owned() } else { format!("Recovery plan {}", plan.name) } }</h1>
            if let Some(error) = &*error { <ErrorBox error={error.clone()} /> }
            <form onsubmit={Callback::from(|e: SubmitEvent| e.prevent_default())}>
                <p><label>{ "Name: " }<input id="plan-name" value={plan.name.clone()} onchange={dispatch(EditAction::SetName)} /></label></p>
                <p><label>{ "Description: " }<input id="plan-description" class="wide" value={plan.description.clone()} onchange={dispatch(EditAction::SetDescription)} /></label></p>
                { for stages }
                <p>
                    <button type="button" onclick={add(|| EditAction::AddGroupsStage)}>{ "Add groups stage" }</button>{ " " }
                    <button type="button" onclick={add(|| EditAction::AddWait)}>{ "Add wait" }</button>{ " " }
                    <button type="button" onclick={add(|| EditAction::AddGate)}>{ "Add gate" }</button>
                </p>
                <p><button type="button" class="primary" onclick={save}>{ "Save plan" }</button>
                    <span class="muted" aria-live="polite">{ if editor.dirty { " Unsaved changes" } else { "" } }</span></p>
            </form>
            if !is_new {
                <RunPanel plan_id={props.id.clone()} plan_name={plan.name.clone()} plan_version={*version} dirty={editor.dirty} runs={(*runs).clone()} />
            }
        </section>
    }
}

#[derive(Properties, PartialEq)]
struct RunPanelProps {
    plan_id: String,
    plan_name: String,
    plan_version: u64,
    dirty: bool,
    runs: Option<RunList>,
}

/// The check of a run of the saved plan, and its start once the plan's name is typed.
#[component]
fn RunPanel(props: &RunPanelProps) -> Html {
    let connection = use_context::<ConnectionContext>().expect("the app provides the connection");
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
            ((*connection).clone(), check.clone(), error.clone(), options.clone(), props.plan_id.clone());
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
            ((*connection).clone(), error.clone(), options.clone(), props.plan_id.clone(), typed.clone());
        let version = props.plan_version;
        Callback::from(move |_| {
            let (connection, error, id) = (connection.clone(), error.clone(), id.clone());
            let mut body = serde_json::to_value(&options).unwrap_or_default();
            body["confirm"] = serde_json::Value::String((*typed).clone());
            body["plan_version"] = serde_json::Value::from(version);
            wasm_bindgen_futures::spawn_local(async move {
                let url = connection.orchestration(&format!("/recovery-plans/{id}/runs"));
                match request::<RunResponse>(&connection, Method::Post, &url, Some(body.to_string())).await {
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

#[derive(Properties, PartialEq)]
pub struct RunPageProps {
    pub id: String,
}

async fn run_command(
    connection: &Connection,
    run: &str,
    what: &str,
    body: serde_json::Value,
) -> Result<RunResponse, ApiError> {
    let url = connection.orchestration(&format!("/plan-runs/{run}/{what}"));
    request(connection, Method::Post, &url, Some(body.to_string())).await
}

/// A run: live progress by stage and group, commands, and the evidence report.
#[component]
pub fn RunPage(props: &RunPageProps) -> Html {
    let connection = use_context::<ConnectionContext>().expect("the app provides the connection");
    let run = use_state(|| None::<PlanRun>);
    let error = use_state(|| None::<ApiError>);
    let tick = use_state(|| 0u32);
    let report = use_state(|| None::<String>);
    let confirmer = use_state(String::new);
    {
        let (run, error, connection, id) = (run.clone(), error.clone(), (*connection).clone(), props.id.clone());
        // A run that has ended changes no more: it is not read again every second.
        let ended = run.as_ref().is_some_and(|r| r.id == id && r.status.is_final());
        use_effect_with((id.clone(), connection.clone(), *tick), move |_| {
            spawn_until_dropped(async move {
                if !connection.is_complete() || ended {
                    return;
                }
                match get::<RunResponse>(&connection, &connection.orchestration(&format!("/plan-runs/{id}"))).await {
                    Ok(found) => {
                        run.set(Some(found.run));
                        error.set(None);
                    }
                    Err(e) => error.set(Some(e)),
                }
            })
        });
    }
    {
        let tick = tick.clone();
        use_effect_with((), move |_| {
            let interval = gloo_timers::callback::Interval::new(1_000, move || tick.set(*tick + 1));
            move || drop(interval)
        });
    }
    let command = |what: String, body: serde_json::Value| {
        let (connection, run, error, id) = ((*connection).clone(), run.clone(), error.clone(), props.id.clone());
        Callback::from(move |_: MouseEvent| {
            let (connection, run, error, id, what, body) =
                (connection.clone(), run.clone(), error.clone(), id.clone(), what.clone(), body.clone());
            wasm_bindgen_futures::spawn_local(async move {
                match run_command(&connection, &id, &what, body).await {
                    Ok(answer) => {
                        run.set(Some(answer.run));
                        error.set(None);
                    }
                    Err(e) => error.set(Some(e)),
                }
            });
        })
    };
    let open_report = {
        let (connection, report, error, id) = ((*connection).clone(), report.clone(), error.clone(), props.id.clone());
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
    let Some(current) = &*run else {
        return html! { <section><h1>{ "Plan run" }</h1>
            if let Some(error) = &*error { <ErrorBox error={error.clone()} /> } else { <p aria-live="polite">{ "Loading…" }</p> }
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
            if let Some(error) = &*error { <ErrorBox error={error.clone()} /> }
            <p class="actions">
                if matches!(status, RunStatus::Running | RunStatus::WaitingForGate) { <button type="button" onclick={command("pause".into(), serde_json::json!({}))}>{ "Pause" }</button>{ " " } }
                if status == RunStatus::Paused { <button type="button" onclick={command("resume".into(), serde_json::json!({}))}>{ "Resume" }</button>{ " " } }
                if !status.is_final() { <button type="button" onclick={command("cancel".into(), serde_json::json!({}))}>{ "Cancel run" }</button>{ " " } }
                <button type="button" id="open-report" onclick={open_report}>{ "Evidence report" }</button>
            </p>
            if status == RunStatus::WaitingForGate {
                <div class="gate" role="group" aria-label="Gate">
                    <p><strong>{ "Gate: " }</strong>{ current.current_stage().and_then(|i| current.stages[i].text.clone()).unwrap_or_default() }</p>
                    <label>{ "Your name (recorded in the evidence): " }<input id="confirmed-by" value={(*confirmer).clone()} oninput={on_confirmer} /></label>
                    { " " }<button type="button" class="primary" id="confirm-gate" disabled={confirmer.trim().is_empty()}
                        onclick={command("confirm-gate".into(), serde_json::json!({"confirmed_by": *confirmer}))}>{ "Confirm and go on" }</button>
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
                                            <button type="button" onclick={command(group_path("retry"), serde_json::json!({}))}>{ format!("Retry {}", g.name) }</button>{ " " }
                                            <button type="button" onclick={command(group_path("skip"), serde_json::json!({}))}>{ format!("Skip {}", g.name) }</button>
                                        }
                                        if g.status == GroupRunStatus::Pending && !g.critical && !status.is_final() {
                                            <button type="button" onclick={command(group_path("skip"), serde_json::json!({}))}>{ format!("Skip {}", g.name) }</button>
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
