//! The audit trail as a table, newest first, a page at a time: the Activity page (the whole project) and a group's
//! history (events about that group).

use yew::prelude::*;

use sdrs_core::list_query::append_filters;
use sdrs_core::wire::AuditEventList;

use crate::api::get;
use crate::components::error_box::ErrorBox;
use crate::hooks::{use_load, Load};

#[derive(Properties, PartialEq)]
pub struct AuditTrailProps {
    /// Only events about this resource (a group's, a run's, a job's id); the whole project when absent.
    #[prop_or_default]
    pub resource_id: Option<String>,
    pub page_size: u32,
}

#[component]
pub fn AuditTrail(props: &AuditTrailProps) -> Html {
    // The markers of the pages shown before this one: "Newer" goes back to the last of them.
    let markers = use_state(Vec::<String>::new);
    let marker = markers.last().cloned();
    let deps = (props.resource_id.clone(), props.page_size, marker);
    let loaded = use_load(deps, |connection, (resource_id, limit, marker)| async move {
        let mut query = format!("limit={limit}");
        append_filters(&mut query, &[("resource_id", resource_id.as_deref()), ("marker", marker.as_deref())]);
        get::<AuditEventList>(&connection, &connection.orchestration(&format!("/audit-events?{query}"))).await
    });
    let list = match &*loaded {
        Load::Loading => return html! { <p aria-live="polite">{ "Loading…" }</p> },
        Load::Failed(error) if error.is_missing_api() => {
            return html! { <p class="muted">{ "This endpoint keeps no audit trail: it is sdrs-server's (directly or as the gateway)." }</p> }
        }
        Load::Failed(error) => return html! { <ErrorBox error={error.clone()} /> },
        Load::Loaded(list) => list,
    };
    let older = list.next_marker.clone().map(|next| {
        let markers = markers.clone();
        Callback::from(move |_| {
            let mut next_markers = (*markers).clone();
            next_markers.push(next.clone());
            markers.set(next_markers);
        })
    });
    let newer = (!markers.is_empty()).then(|| {
        let markers = markers.clone();
        Callback::from(move |_| {
            let mut next_markers = (*markers).clone();
            next_markers.pop();
            markers.set(next_markers);
        })
    });
    html! {
        <div class="audit-trail">
            if list.audit_events.is_empty() {
                <p>{ "Nothing recorded." }</p>
            } else {
                <div class="table-scroll"><table>
                    <thead><tr><th>{ "When" }</th><th>{ "Who" }</th><th>{ "From" }</th><th>{ "What" }</th><th>{ "Outcome" }</th></tr></thead>
                    <tbody>{ for list.audit_events.iter().map(|e| html! { <tr>
                        <td>{ &e.at }</td>
                        <td><code>{ &e.actor }</code></td>
                        <td>{ e.address.clone().unwrap_or_default() }</td>
                        <td>{ &e.operation }<br /><small>{ e.resources.iter().map(|r| format!("{} {}", r.kind, r.id)).collect::<Vec<_>>().join(", ") }</small></td>
                        <td>{ &e.outcome }</td>
                    </tr> }) }</tbody>
                </table></div>
            }
            if let Some(newer) = newer { <button type="button" onclick={newer}>{ "Newer" }</button> }
            if let Some(older) = older { <button type="button" onclick={older}>{ "Older" }</button> }
        </div>
    }
}
