//! The Activity page: the project's audit trail, who changed what, from where, and what came of it.

use yew::prelude::*;

use crate::components::audit_trail::AuditTrail;

#[component]
pub fn ActivityPage() -> Html {
    html! {
        <section>
            <h1>{ "Activity" }</h1>
            <p>{ "Every change made to this project, and every refused attempt: who (an access key, a token's or a console session's fingerprint, never a secret), from which address, and the job or refusal it ended in." }</p>
            <AuditTrail page_size={25} />
        </section>
    }
}
