//! The offline rule explorer: any server profile and situation, answered by the core's login engine, and the
//! state chart. Needs no server.

use yew::prelude::*;

use sdrs_core::login::{
    explain_login, AfterOperation, CloudbaseInitState, LoginMethod, LoginQuestion, OsProfile, ServerNames, ServerRole,
};
use sdrs_core::status::PriorityStation;

use crate::components::explanation::Explanation;
use crate::components::state_chart::StateChart;

#[derive(Clone, PartialEq)]
struct Form {
    windows: bool,
    init_agent: bool,
    coreos: bool,
    key_pair: bool,
    after: AfterOperation,
    first_time: bool,
    server: ServerRole,
    production_site: PriorityStation,
    password_changed: Option<bool>,
    cloudbase_init: CloudbaseInitState,
}

impl Form {
    fn question(&self) -> LoginQuestion {
        LoginQuestion {
            os: if self.windows {
                OsProfile::Windows { cloudbase_init: self.init_agent }
            } else {
                OsProfile::Linux { coreos: self.coreos, cloud_init: self.init_agent }
            },
            login: if self.key_pair { LoginMethod::KeyPair } else { LoginMethod::Password },
            after: self.after,
            first_time: self.first_time,
            server: self.server,
            production_site: (!self.first_time).then_some(self.production_site),
            password_changed_before_failover: self.password_changed,
            cloudbase_init: self.cloudbase_init,
            names: ServerNames::default(),
        }
    }
}

fn select<T: Copy + 'static>(
    label: &'static str,
    id: &'static str,
    options: &[(T, &'static str)],
    current: usize,
    form: &UseStateHandle<Form>,
    apply: fn(&mut Form, T),
) -> Html {
    let options = options.to_vec();
    let values = options.clone();
    let form = form.clone();
    let onchange = Callback::from(move |e: Event| {
        let index: usize = e.target_unchecked_into::<web_sys::HtmlSelectElement>().value().parse().unwrap_or(0);
        let mut next = (*form).clone();
        apply(&mut next, values[index].0);
        form.set(next);
    });
    html! {
        <label for={id}>{ label }
            <select {id} {onchange}>
                { for options.iter().enumerate().map(|(i, (_, text))| html! { <option value={i.to_string()} selected={i == current}>{ *text }</option> }) }
            </select>
        </label>
    }
}

fn checkbox(
    label: &'static str,
    id: &'static str,
    checked: bool,
    form: &UseStateHandle<Form>,
    apply: fn(&mut Form, bool),
) -> Html {
    let form = form.clone();
    let onchange = Callback::from(move |e: Event| {
        let mut next = (*form).clone();
        apply(&mut next, e.target_unchecked_into::<web_sys::HtmlInputElement>().checked());
        form.set(next);
    });
    html! { <label for={id}><input type="checkbox" {id} {checked} {onchange} />{ " " }{ label }</label> }
}

#[component]
pub fn RulesPage() -> Html {
    let form = use_state(|| Form {
        windows: false,
        init_agent: false,
        coreos: false,
        key_pair: false,
        after: AfterOperation::Failover,
        first_time: true,
        server: ServerRole::Production,
        production_site: PriorityStation::Target,
        password_changed: None,
        cloudbase_init: CloudbaseInitState::Unknown,
    });
    let f = (*form).clone();
    let answer = explain_login(&f.question());
    let index = |found: bool| usize::from(found);
    html! {
        <section class="rules">
            <h1>{ "Who logs in after a failover? (offline rule explorer)" }</h1>
            <p>{ "Answers come from the SDRS failover page's login rules, with the rule quoted. Works without a server." }</p>
            <form class="rule-form" onsubmit={Callback::from(|e: SubmitEvent| e.prevent_default())}>
                <fieldset><legend>{ "Server" }</legend>
                    { select("Operating system ", "os", &[(false, "Linux"), (true, "Windows")], index(f.windows), &form, |f, v| f.windows = v) }
                    { checkbox(if f.windows { "Cloudbase-Init installed" } else { "Cloud-Init installed" }, "init-agent", f.init_agent, &form, |f, v| f.init_agent = v) }
                    if !f.windows { { checkbox("CoreOS", "coreos", f.coreos, &form, |f, v| f.coreos = v) } }
                    { select("Login ", "login", &[(false, "password"), (true, "key pair")], index(f.key_pair), &form, |f, v| f.key_pair = v) }
                    { select("Password changed before the failover ", "password-changed", &[(None, "unknown"), (Some(true), "yes"), (Some(false), "no")],
                        match f.password_changed { None => 0, Some(true) => 1, Some(false) => 2 }, &form, |f, v| f.password_changed = v) }
                </fieldset>
                <fieldset><legend>{ "Situation" }</legend>
                    { select("After ", "after", &[(AfterOperation::Failover, "a failover"), (AfterOperation::PlannedFailover, "a planned failover"), (AfterOperation::DrDrill, "a DR drill")],
                        AfterOperation::ALL.iter().position(|a| *a == f.after).unwrap_or(0), &form, |f, v| { f.after = v; f.server = if v == AfterOperation::DrDrill { ServerRole::Drill } else if f.server == ServerRole::Drill { ServerRole::Production } else { f.server }; }) }
                    if f.after != AfterOperation::DrDrill {
                        { checkbox("The group's first planned failover or failover", "first-time", f.first_time, &form, |f, v| f.first_time = v) }
                        { select("Server to log in to ", "server", &[(ServerRole::Production, "current production site server"), (ServerRole::Dr, "current DR site server")],
                            index(f.server == ServerRole::Dr), &form, |f, v| f.server = v) }
                        if !f.first_time {
                            { select("Production site now ", "production-site", &[(PriorityStation::Source, "the original production site (source)"), (PriorityStation::Target, "the original DR site (target)")],
                                index(f.production_site == PriorityStation::Target), &form, |f, v| f.production_site = v) }
                        }
                    }
                    if f.windows && f.init_agent {
                        { select("Cloudbase-Init since the failover ", "cloudbase-init", &[(CloudbaseInitState::Unknown, "don't know"), (CloudbaseInitState::NotStarted, "not started yet"), (CloudbaseInitState::Started, "started")],
                            CloudbaseInitState::ALL.iter().position(|s| *s == f.cloudbase_init).map_or(0, |p| (p + 1) % 3), &form, |f, v| f.cloudbase_init = v) }
                    }
                </fieldset>
            </form>
            <section class="answer" aria-live="polite" aria-labelledby="answer-title">
                <h2 id="answer-title">{ "Answer" }</h2>
                { match answer {
                    Ok(explanation) => html! { <><p class="summary">{ &explanation.summary }</p><Explanation {explanation} /></> },
                    Err(error) => html! { <p class="error-box">{ error.to_string() }</p> },
                } }
            </section>
            <StateChart />
        </section>
    }
}
