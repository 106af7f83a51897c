//! Recovery plans: the list (here), a plan's editor with its check and a run's start (`editor`, `run_panel`), and a
//! run's live progress with its commands and evidence (`run`).

use yew::prelude::*;

use sdrs_core::wire::PlanList;

use crate::api::{get, ApiError, Connection};
use crate::components::error_box::ErrorBox;
use crate::hooks::{use_load, Load};
use crate::router::Link;
use crate::Route;

mod editor;
mod run;
mod run_panel;

pub use editor::PlanPage;
pub use run::RunPage;

/// Every plan, a page at a time (the server answers at most 50 to a page; a project keeps at most 100).
async fn all_plans(connection: &Connection) -> Result<PlanList, ApiError> {
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
    let plans = use_load((), |connection, _| async move { all_plans(&connection).await });
    let body = match &*plans {
        Load::Loading => html! { <p aria-live="polite">{ "Loading…" }</p> },
        Load::Failed(error) => html! { <ErrorBox error={error.clone()} /> },
        Load::Loaded(list) if list.recovery_plans.is_empty() => html! { <p>{ "No recovery plan yet." }</p> },
        Load::Loaded(list) => html! {
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
