//! Login guidance per server after a failover, planned failover or drill, from the core's engine and each server's
//! profile as ECS and IMS give it; the operator may state the OS or login method instead, shown as their statement.

use sdrs_core::guidance::{LoginRow, RowAnswer};
use sdrs_core::login::{AfterOperation, LoginMethod, OsProfile, ServerRole};
use sdrs_core::profile::ServerProfile;
use sdrs_core::snapshot::GroupSnapshot;
use yew::prelude::*;

use crate::components::explanation::Explanation;
use crate::view::{guidance_note, login_rows};

#[derive(Properties, PartialEq)]
pub struct LoginGuidanceProps {
    pub snapshot: GroupSnapshot,
    pub profiles: Vec<ServerProfile>,
    pub after: AfterOperation,
}

/// The OS statements an operator can choose, by value of the select.
const OS_CHOICES: [(&str, &str); 5] = [
    ("windows-cbi", "Windows with Cloudbase-Init"),
    ("windows", "Windows without Cloudbase-Init"),
    ("linux-ci", "Linux with Cloud-Init"),
    ("linux", "Linux without Cloud-Init"),
    ("coreos", "CoreOS"),
];

fn os_of(choice: &str) -> Option<OsProfile> {
    Some(match choice {
        "windows-cbi" => OsProfile::Windows { cloudbase_init: true },
        "windows" => OsProfile::Windows { cloudbase_init: false },
        "linux-ci" => OsProfile::Linux { coreos: false, cloud_init: true },
        "linux" => OsProfile::Linux { coreos: false, cloud_init: false },
        "coreos" => OsProfile::Linux { coreos: true, cloud_init: false },
        _ => return None,
    })
}

fn row_view(row: &LoginRow, heading: Html) -> Html {
    html! {
        <article class="login-row">
            { heading }
            <ul class="facts">{ for row.facts.iter().map(|fact| html! { <li>{ fact }</li> }) }</ul>
            { match &row.answer {
                RowAnswer::Known(explanation) => html! { <Explanation explanation={(**explanation).clone()} /> },
                RowAnswer::DependsOn { decided_by, cases } => html! { <>
                    <p><strong>{ format!("Depends on {decided_by}, which ECS and IMS do not say.") }</strong></p>
                    { for cases.iter().map(|case| html! {
                        <div class="login-case">
                            <p><em>{ format!("{}:", case.condition) }</em></p>
                            <Explanation explanation={case.explanation.clone()} />
                        </div>
                    }) }
                </> },
                RowAnswer::Unanswered(reason) => html! { <p class="error-box">{ reason }</p> },
            } }
        </article>
    }
}

#[component]
pub fn LoginGuidance(props: &LoginGuidanceProps) -> Html {
    let first_time = use_state(|| true);
    let stated_os = use_state(String::new);
    let stated_login = use_state(String::new);
    let note = guidance_note(props.snapshot.server_group.priority_station, *first_time);
    let login = match stated_login.as_str() {
        "password" => Some(LoginMethod::Password),
        "key-pair" => Some(LoginMethod::KeyPair),
        _ => None,
    };
    let profiles: Vec<ServerProfile> =
        props.profiles.iter().cloned().map(|p| p.overridden(os_of(&stated_os), login)).collect();
    let rows =
        if note.is_some() { Vec::new() } else { login_rows(&props.snapshot, &profiles, props.after, *first_time) };
    let toggle = {
        let first_time = first_time.clone();
        Callback::from(move |_: Event| first_time.set(!*first_time))
    };
    let choose = |state: &UseStateHandle<String>| {
        let state = state.clone();
        Callback::from(move |e: Event| state.set(crate::pages::select_value(&e)))
    };
    html! {
        <section class="login-guidance" aria-labelledby="login-title">
            <h2 id="login-title">{ "Logging in to the servers" }</h2>
            <label>
                <input type="checkbox" checked={*first_time} onchange={toggle} />
                { " This was the group's first planned failover or failover" }
            </label>
            <p class="muted">
                <label>{ "OS: " }<select id="stated-os" onchange={choose(&stated_os)}>
                    <option value="" selected={stated_os.is_empty()}>{ "as ECS and IMS say" }</option>
                    { for OS_CHOICES.iter().map(|(value, words)| html! { <option value={*value} selected={*stated_os == *value}>{ format!("{words} (my statement)") }</option> }) }
                </select></label>{ " " }
                <label>{ "Login: " }<select id="stated-login" onchange={choose(&stated_login)}>
                    <option value="" selected={stated_login.is_empty()}>{ "as ECS says" }</option>
                    <option value="password" selected={*stated_login == "password"}>{ "password (my statement)" }</option>
                    <option value="key-pair" selected={*stated_login == "key-pair"}>{ "key pair (my statement)" }</option>
                </select></label>
            </p>
            if let Some(note) = note {
                <p class="muted">{ note }</p>
            }
            { for rows.iter().map(|row| {
                let role = match row.role { ServerRole::Production => "production site server", ServerRole::Dr => "DR site server", ServerRole::Drill => "DR drill server" };
                row_view(row, html! { <h3>{ format!("{} — {role} of {}", row.server_name, row.instance) }</h3> })
            }) }
        </section>
    }
}

#[derive(Properties, PartialEq)]
pub struct DrillGuidanceProps {
    pub snapshot: GroupSnapshot,
    pub drill: sdrs_core::wire::DisasterRecoveryDrill,
    pub profiles: Vec<ServerProfile>,
}

/// Login guidance for the drill servers of one drill.
#[component]
pub fn DrillGuidance(props: &DrillGuidanceProps) -> Html {
    let rows = crate::view::drill_login_rows(&props.snapshot, &props.drill, &props.profiles);
    html! {
        <section class="login-guidance" aria-label={format!("Logging in to the drill servers of {}", props.drill.name)}>
            <h3>{ format!("Logging in to the drill servers of {}", props.drill.name) }</h3>
            if rows.is_empty() { <p>{ "The drill has no drill server yet." }</p> }
            { for rows.iter().map(|row| row_view(row, html! { <h4>{ format!("{} — DR drill server of {}", row.server_name, row.instance) }</h4> })) }
        </section>
    }
}
