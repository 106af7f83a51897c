//! A recovery plan's page: the editor (stages of groups, waits and gates), saving it, and the panel that checks and
//! starts a run of the saved plan.

use yew::prelude::*;

use sdrs_core::plan::{RecoveryPlan, Stage};
use sdrs_core::wire::{PlanBody, PlanResponse, RunList, ServerGroup};

use super::run_panel::RunPanel;
use crate::api::{get, json_body, request, ApiError, Method};
use crate::components::error_box::ErrorBox;
use crate::hooks::{spawn_until_dropped, use_connection};
use crate::pages::data::load_all_groups;
use crate::pages::{input_value, select_value};
use crate::router::Link;
use crate::state::plan_editor::{EditAction, PlanEditor};
use crate::state::GroupRow;
use crate::Route;

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
    let connection = use_connection();
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
        let connection = connection.clone();
        let id = props.id.clone();
        use_effect_with((id.clone(), connection.clone()), move |_| {
            // A new plan starts empty at once, not after the group list arrives: what the user types meanwhile (its
            // name, say) is kept, not wiped by a late reset.
            if id == "new" {
                editor.dispatch(EditAction::Load(RecoveryPlan {
                    name: String::new(),
                    description: String::new(),
                    stages: Vec::new(),
                }));
            }
            spawn_until_dropped(async move {
                if !connection.is_complete() {
                    return;
                }
                // The same loader as the group list's: every page, each group read on its own.
                match load_all_groups(&connection).await {
                    Ok(rows) => groups.set(
                        rows.into_iter()
                            .filter_map(|row| match row {
                                GroupRow::Group(group) => Some(*group),
                                GroupRow::Unreadable { .. } => None,
                            })
                            .collect(),
                    ),
                    Err(e) => error.set(Some(e)),
                }
                if id == "new" {
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
        let (editor, error, connection) = (editor.clone(), error.clone(), connection.clone());
        let (id, version) = (props.id.clone(), version.clone());
        Callback::from(move |_| {
            let (editor, error, connection, id) = (editor.clone(), error.clone(), connection.clone(), id.clone());
            let version = version.clone();
            wasm_bindgen_futures::spawn_local(async move {
                let body = json_body(&PlanBody { recovery_plan: editor.plan.clone() });
                let answer: Result<PlanResponse, ApiError> = if id == "new" {
                    request(&connection, Method::Post, &connection.orchestration("/recovery-plans"), body).await
                } else {
                    let url = connection.orchestration(&format!("/recovery-plans/{id}"));
                    request(&connection, Method::Put, &url, body).await
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
    // Text fields dispatch on every keystroke, not on `change`: Yew sets an input's DOM value to the rendered one on
    // every render, so a render between typing and leaving the field (the group list arriving) would wipe the text.
    let dispatch = |action: fn(String) -> EditAction| {
        let editor = editor.clone();
        Callback::from(move |e: InputEvent| editor.dispatch(action(input_value(&e))))
    };
    let plan = &editor.plan;
    let stages = plan.stages.iter().enumerate().map(|(index, stage)| {
        let (stage, groups, dispatch) = (stage.clone(), (*groups).clone(), editor.dispatcher());
        html! { <StageEditor {index} {stage} {groups} {dispatch} /> }
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
                <p><label>{ "Name: " }<input id="plan-name" value={plan.name.clone()} oninput={dispatch(EditAction::SetName)} /></label></p>
                <p><label>{ "Description: " }<input id="plan-description" class="wide" value={plan.description.clone()} oninput={dispatch(EditAction::SetDescription)} /></label></p>
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
struct StageEditorProps {
    index: usize,
    stage: Stage,
    /// The groups that may be added.
    groups: Vec<ServerGroup>,
    dispatch: UseReducerDispatcher<PlanEditor>,
}

/// One stage of the plan being edited: its groups (each critical or not), its wait or its gate text, and moving or
/// removing it.
#[component]
fn StageEditor(props: &StageEditorProps) -> Html {
    let StageEditorProps { index, stage, groups, dispatch } = props;
    let index = *index;
    let send = |action: EditAction| {
        let dispatch = dispatch.clone();
        Callback::from(move |_: MouseEvent| dispatch.dispatch(action.clone()))
    };
    let on_input = |action: fn(usize, String) -> Option<EditAction>| {
        let dispatch = dispatch.clone();
        Callback::from(move |e: InputEvent| {
            if let Some(action) = action(index, input_value(&e)) {
                dispatch.dispatch(action);
            }
        })
    };
    let content = match stage {
        Stage::Groups { groups: members } => {
            let add = {
                let dispatch = dispatch.clone();
                Callback::from(move |e: Event| dispatch.dispatch(EditAction::AddGroup(index, select_value(&e))))
            };
            let member = |(position, member): (usize, &sdrs_core::plan::PlanGroup)| {
                let critical = {
                    let dispatch = dispatch.clone();
                    Callback::from(move |e: Event| {
                        let checked = e.target_unchecked_into::<web_sys::HtmlInputElement>().checked();
                        dispatch.dispatch(EditAction::SetCritical(index, position, checked));
                    })
                };
                let name = group_name(groups, &member.server_group_id);
                let label = format!("Remove {name} from stage {}", index + 1);
                html! { <li>
                    <span class="group-name">{ name }</span>
                    <label>{ " " }<input type="checkbox" checked={member.critical} onchange={critical} />{ " critical" }</label>
                    { " " }<button type="button" onclick={send(EditAction::RemoveGroup(index, position))} aria-label={label}>{ "Remove" }</button>
                </li> }
            };
            let addable = groups.iter().filter(|g| !members.iter().any(|m| m.server_group_id == g.id));
            html! { <>
                <ul class="stage-groups">{ for members.iter().enumerate().map(member) }</ul>
                <label>{ "Add a group: " }
                    <select id={format!("stage-{index}-add")} onchange={add}>
                        <option value="" selected=true>{ "choose…" }</option>
                        { for addable.map(|g| html! { <option value={g.id.clone()}>{ format!("{} ({})", g.name, g.status) }</option> }) }
                    </select>
                </label>
            </> }
        }
        Stage::Wait { seconds } => {
            // A field being cleared to type a new number keeps the last number until one is typed.
            let set =
                on_input(|index, text| text.parse().ok().map(|seconds| EditAction::SetWaitSeconds(index, seconds)));
            html! { <label>{ "Wait, in seconds: " }<input type="number" min="1" value={seconds.to_string()} oninput={set} /></label> }
        }
        Stage::Gate { text } => {
            let set = on_input(|index, text| Some(EditAction::SetGateText(index, text)));
            let id = format!("stage-{index}-gate");
            html! { <label>{ "What the person confirming is shown: " }<input {id} class="wide" value={text.clone()} oninput={set} /></label> }
        }
    };
    html! {
        <fieldset class="stage">
            <legend>{ format!("Stage {}: {}", index + 1, stage.kind()) }</legend>
            { content }
            <p>
                <button type="button" onclick={send(EditAction::MoveUp(index))} disabled={index == 0}>{ "Move up" }</button>{ " " }
                <button type="button" onclick={send(EditAction::RemoveStage(index))}>{ "Remove stage" }</button>
            </p>
        </fieldset>
    }
}
