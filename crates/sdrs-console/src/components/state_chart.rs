//! The interactive state chart: which operation each status allows, from the core's table.

use sdrs_core::state_machine::{allowed_operations, drill_allowed, Operation, TRANSITIONS};
use sdrs_core::status::GroupStatus;
use yew::prelude::*;

#[component]
pub fn StateChart() -> Html {
    let selected = use_state(|| GroupStatus::Protected);
    let allowed = allowed_operations(*selected);
    html! {
        <section class="state-chart" aria-labelledby="chart-title">
            <h2 id="chart-title">{ "Which action is allowed from which status" }</h2>
            <p>{ "Choose a status to see what it allows and where each operation leads." }</p>
            <div class="chart-scroll">
            <table>
                <thead><tr>
                    <th scope="col">{ "Status" }</th>
                    { for Operation::ALL.iter().map(|op| html! { <th scope="col">{ op.as_str() }</th> }) }
                    <th scope="col">{ "DR drill" }</th>
                </tr></thead>
                <tbody>
                    { for GroupStatus::ALL.iter().map(|status| {
                        let status = *status;
                        let ops = allowed_operations(status);
                        let choose = { let selected = selected.clone(); Callback::from(move |_| selected.set(status)) };
                        let row_class = if status == *selected { "selected" } else { "" };
                        html! {
                            <tr class={row_class}>
                                <th scope="row"><button type="button" class="link" onclick={choose} aria-pressed={(status == *selected).to_string()}>{ status.as_str() }</button></th>
                                { for Operation::ALL.iter().map(|op| if ops.contains(op) { html! { <td class="yes">{ "allowed" }</td> } } else { html! { <td class="no">{ "—" }</td> } }) }
                                <td class={if drill_allowed(status) { "yes" } else { "no" }}>{ if drill_allowed(status) { "allowed" } else { "—" } }</td>
                            </tr>
                        }
                    }) }
                </tbody>
            </table>
            </div>
            <div class="chart-detail" aria-live="polite">
                <h3>{ format!("From `{}`", *selected) }</h3>
                if allowed.is_empty() {
                    <p>{ "Nothing: a job is running on the group." }</p>
                }
                <ul>
                    { for TRANSITIONS.iter().filter(|t| allowed.contains(&t.operation)).map(|t| html! {
                        <li>{ format!("{}: {} while running, then {} on success or {} on failure ({}).",
                            t.operation, t.transient,
                            t.success.map_or("removed".to_owned(), |s| s.to_string()), t.failure, t.job_type) }</li>
                    }) }
                </ul>
            </div>
        </section>
    }
}
