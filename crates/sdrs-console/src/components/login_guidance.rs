//! Login guidance per server after a failover, planned failover or drill, from the core's engine.

use sdrs_core::login::{AfterOperation, ServerRole};
use sdrs_core::snapshot::GroupSnapshot;
use yew::prelude::*;

use crate::components::explanation::Explanation;
use crate::view::{guidance_note, login_rows};
use sdrs_core::wire::NativeServer;

#[derive(Properties, PartialEq)]
pub struct LoginGuidanceProps {
    pub snapshot: GroupSnapshot,
    pub inventory: Vec<NativeServer>,
    pub after: AfterOperation,
}

#[component]
pub fn LoginGuidance(props: &LoginGuidanceProps) -> Html {
    let first_time = use_state(|| true);
    let note = guidance_note(props.snapshot.server_group.priority_station, *first_time);
    let rows = if note.is_some() {
        Vec::new()
    } else {
        login_rows(&props.snapshot, &props.inventory, props.after, *first_time)
    };
    let toggle = {
        let first_time = first_time.clone();
        Callback::from(move |_: Event| first_time.set(!*first_time))
    };
    html! {
        <section class="login-guidance" aria-labelledby="login-title">
            <h2 id="login-title">{ "Logging in to the servers" }</h2>
            <label>
                <input type="checkbox" checked={*first_time} onchange={toggle} />
                { " This was the group's first planned failover or failover" }
            </label>
            if let Some(note) = note {
                <p class="muted">{ note }</p>
            } else if rows.is_empty() {
                <p>{ "No server profiles are known for this group's servers (sdrs-server's inventory); use the rule explorer." }</p>
            }
            { for rows.iter().map(|row| {
                let role = match row.role { ServerRole::Production => "production site server", ServerRole::Dr => "DR site server", ServerRole::Drill => "DR drill server" };
                html! {
                    <article class="login-row">
                        <h3>{ format!("{} — {role} of {}", row.server_name, row.instance) }</h3>
                        { match &row.explanation {
                            Ok(explanation) => html! { <Explanation explanation={explanation.clone()} /> },
                            Err(error) => html! { <p class="error-box">{ error }</p> },
                        } }
                    </article>
                }
            }) }
        </section>
    }
}

#[derive(Properties, PartialEq)]
pub struct DrillGuidanceProps {
    pub snapshot: GroupSnapshot,
    pub drill: sdrs_core::wire::DisasterRecoveryDrill,
    pub inventory: Vec<NativeServer>,
}

/// Login guidance for the drill servers of one drill.
#[component]
pub fn DrillGuidance(props: &DrillGuidanceProps) -> Html {
    let rows = crate::view::drill_login_rows(&props.snapshot, &props.drill, &props.inventory);
    html! {
        <section class="login-guidance" aria-label={format!("Logging in to the drill servers of {}", props.drill.name)}>
            <h3>{ format!("Logging in to the drill servers of {}", props.drill.name) }</h3>
            if rows.is_empty() { <p>{ "No drill server profiles are known." }</p> }
            { for rows.iter().map(|row| html! {
                <article class="login-row">
                    <h4>{ format!("{} — DR drill server of {}", row.server_name, row.instance) }</h4>
                    { match &row.explanation {
                        Ok(explanation) => html! { <Explanation explanation={explanation.clone()} /> },
                        Err(error) => html! { <p class="error-box">{ error }</p> },
                    } }
                </article>
            }) }
        </section>
    }
}
