//! The protection groups: status, current production site, counts; filters, pages, auto-refresh.

use yew::prelude::*;

use super::data::load_group_list;
use crate::components::error_box::ErrorBox;
use crate::components::status_badge::StatusBadge;
use crate::hooks::{spawn_until_dropped, use_connection};
use crate::router::Link;
use crate::state::{GroupRow, GroupsAction, GroupsState};
use crate::Route;
use sdrs_core::status::GroupStatus;

#[component]
pub fn GroupsPage() -> Html {
    let connection = use_connection();
    let state = use_reducer(|| GroupsState { loading: true, ..GroupsState::default() });
    {
        let state = state.clone();
        let connection = connection.clone();
        use_effect_with((state.generation, connection.clone()), move |_| {
            let loading = connection.is_complete().then(|| {
                let url = connection.v1(&format!("/server-groups{}", state.query()));
                spawn_until_dropped(async move {
                    match load_group_list(&connection, &url).await {
                        Ok((groups, count)) => state.dispatch(GroupsAction::Loaded { groups, count }),
                        Err(error) => state.dispatch(GroupsAction::Failed(error)),
                    }
                })
            });
            move || loading.into_iter().for_each(|abort| abort())
        });
    }
    {
        // Auto-refresh every 5 s while the page is open.
        let dispatcher = state.dispatcher();
        use_effect_with((), move |_| {
            let interval =
                gloo_timers::callback::Interval::new(5_000, move || dispatcher.dispatch(GroupsAction::Refresh));
            move || drop(interval)
        });
    }
    if !connection.is_complete() {
        return html! {
            <section><h1>{ "Protection groups" }</h1>
                <p>{ "No connection yet. " }<Link to={Route::Settings}>{ "Set the endpoint, project and token" }</Link>{ ", or use the " }<Link to={Route::Rules}>{ "offline rule explorer" }</Link>{ "." }</p>
            </section>
        };
    }
    let on_name = {
        let state = state.clone();
        Callback::from(move |e: InputEvent| {
            let input: web_sys::HtmlInputElement = e.target_unchecked_into();
            state.dispatch(GroupsAction::SetName(input.value()));
        })
    };
    let on_status = {
        let state = state.clone();
        Callback::from(move |e: Event| {
            let select: web_sys::HtmlSelectElement = e.target_unchecked_into();
            state.dispatch(GroupsAction::SetStatus(select.value().parse().ok()));
        })
    };
    let previous = {
        let state = state.clone();
        Callback::from(move |_| state.dispatch(GroupsAction::PreviousPage))
    };
    let next = {
        let state = state.clone();
        Callback::from(move |_| state.dispatch(GroupsAction::NextPage))
    };
    html! {
        <section>
            <h1>{ "Protection groups" }</h1>
            <form class="filters" role="search" onsubmit={Callback::from(|e: SubmitEvent| e.prevent_default())}>
                <label>{ "Name contains " }<input type="search" value={state.name_filter.clone()} oninput={on_name} /></label>
                <label>{ "Status " }
                    <select onchange={on_status}>
                        <option value="" selected={state.status_filter.is_none()}>{ "any" }</option>
                        { for GroupStatus::ALL.iter().map(|s| html! { <option value={s.as_str()} selected={state.status_filter == Some(*s)}>{ s.as_str() }</option> }) }
                    </select>
                </label>
                <span class="muted" aria-live="polite">{ if state.loading { "Refreshing…" } else { "Refreshes every 5 s" } }</span>
            </form>
            if let Some(error) = &state.error { <ErrorBox error={error.clone()} /> }
            <div class="table-scroll">
            <table class="groups">
                <thead><tr>
                    <th scope="col">{ "Name" }</th><th scope="col">{ "Status" }</th><th scope="col">{ "Current production site" }</th>
                    <th scope="col">{ "Instances" }</th><th scope="col">{ "Pairs" }</th><th scope="col">{ "Drills" }</th>
                </tr></thead>
                <tbody>
                    { for state.groups.iter().map(|row| match row {
                        GroupRow::Group(g) => html! {
                            <tr>
                                <td><Link to={Route::Group { id: g.id.clone() }}>{ &g.name }</Link></td>
                                <td><StatusBadge status={g.status} /></td>
                                <td>{ format!("{} ({})", g.production_availability_zone(), g.priority_station) }</td>
                                <td>{ g.protected_instance_num }</td><td>{ g.replication_num }</td><td>{ g.disaster_recovery_drill_num }</td>
                            </tr>
                        },
                        GroupRow::Unreadable { id, name, reason } => html! {
                            <tr class="unreadable">
                                <td>{ name }<br /><span class="muted">{ id }</span></td>
                                <td><span class="badge error">{ "unreadable" }</span></td>
                                <td colspan="4">{ format!("This console cannot read this group, so it offers no actions for it: {reason}. Use the cloud's own console for it.") }</td>
                            </tr>
                        },
                    }) }
                </tbody>
            </table>
            </div>
            <nav class="pager" aria-label="Pages">
                <button type="button" onclick={previous} disabled={state.offset == 0}>{ "Previous" }</button>
                <span>{ state.range_label() }</span>
                <button type="button" onclick={next} disabled={!state.has_next()}>{ "Next" }</button>
            </nav>
        </section>
    }
}
