//! The Activity page: the audit trail of the project, or of one resource (a group's history): who changed what, from
//! where, and what came of it.

use yew::prelude::*;

use crate::components::audit_trail::AuditTrail;

#[derive(Properties, PartialEq)]
pub struct ActivityProps {
    /// Only what concerns this resource (a group's, a run's or a job's id).
    #[prop_or_default]
    pub resource_id: Option<String>,
}

#[component]
pub fn ActivityPage(props: &ActivityProps) -> Html {
    html! {
        <section>
            if let Some(id) = &props.resource_id {
                <h1>{ "History" }</h1>
                <p>{ "What was done to " }<code>{ id }</code>{ ", and every refused attempt." }</p>
            } else {
                <h1>{ "Activity" }</h1>
                <p>{ "Every change made to this project, and every refused attempt." }</p>
            }
            <p class="muted">{ "Who is an access key, or the fingerprint of a token or a console session (never a secret); from is the client's address; the outcome is the job, ok, or the refusal's code." }</p>
            <AuditTrail resource_id={props.resource_id.clone()} page_size={25} />
        </section>
    }
}
