//! The overview, the console's first page: groups by status, what needs attention (each one click from its action),
//! the jobs running now, and each group's last failover.

use yew::prelude::*;

use sdrs_core::wire::{Job, JobList, ProtectedInstanceList, ReplicationList};

use super::data::{load_group_list, load_servers};
use crate::api::get;
use crate::components::error_box::ErrorBox;
use crate::components::status_badge::StatusBadge;
use crate::hooks::{use_load_every, Load};
use crate::router::Link;
use crate::state::GroupRow;
use crate::view::{overview, OverviewFacts};
use crate::Route;

/// Groups whose last failover is looked up (one request each, sdrs-server's admin API only).
const LAST_FAILOVER_GROUPS: usize = 50;

#[derive(Clone, PartialEq)]
struct Loaded {
    facts: OverviewFacts,
    total: u64,
    /// (group id, group name, the last failover job), where known.
    last_failovers: Option<Vec<(String, String, Option<Job>)>>,
    /// Lists that could not be read, so that what they would show is missing, in words.
    missing: Vec<String>,
}

#[component]
pub fn OverviewPage() -> Html {
    let loaded = use_load_every(10_000, (), |connection, _| async move {
        let (rows, total) = load_group_list(&connection, &connection.v1("/server-groups?limit=1000")).await?;
        let mut missing = Vec::new();
        let pairs = get::<ReplicationList>(&connection, &connection.v1("/replications?limit=1000"))
            .await
            .map(|l| l.replications)
            .unwrap_or_else(|error| {
                missing.push(format!("The replication pairs could not be read, so no broken link is shown: {error}"));
                Vec::new()
            });
        let instances = get::<ProtectedInstanceList>(&connection, &connection.v1("/protected-instances?limit=1000"))
            .await
            .map(|l| l.protected_instances)
            .unwrap_or_else(|error| {
                missing
                    .push(format!("The protected instances could not be read, so no deleted server is shown: {error}"));
                Vec::new()
            });
        let servers = load_servers(&connection).await;
        let facts = overview(&rows, &pairs, &instances, servers.as_deref());
        let groups = rows.iter().filter_map(|row| match row {
            GroupRow::Group(group) => Some(group),
            GroupRow::Unreadable { .. } => None,
        });
        let last_failovers = if connection.has_admin() {
            let mut found = Vec::new();
            for group in groups.take(LAST_FAILOVER_GROUPS) {
                let url = connection.admin(&format!("/server-groups/{}/jobs", group.id));
                let last = get::<JobList>(&connection, &url)
                    .await
                    .ok()
                    .and_then(|list| list.jobs.into_iter().find(|j| j.job_type == "failoverProtectionGroupNoCG"));
                found.push((group.id.clone(), group.name.clone(), last));
            }
            Some(found)
        } else {
            None
        };
        Ok(Loaded { facts, total, last_failovers, missing })
    });
    let loaded = match &*loaded {
        Load::Loading => {
            return html! { <section><h1>{ "Overview" }</h1><p aria-live="polite">{ "Loading…" }</p></section> };
        }
        Load::Failed(error) => {
            return html! { <section><h1>{ "Overview" }</h1><ErrorBox error={error.clone()} /></section> }
        }
        Load::Loaded(loaded) => loaded,
    };
    let facts = &loaded.facts;
    html! {
        <section class="overview">
            <h1>{ "Overview" }</h1>
            <p>{ format!("{} protection group(s). ", loaded.total) }<Link to={Route::Groups}>{ "All groups" }</Link></p>
            <h2>{ "By status" }</h2>
            <ul class="counts">{ for facts.counts.iter().map(|(status, count)| html! {
                <li><StatusBadge status={*status} />{ format!(" {count}") }</li>
            }) }</ul>
            <h2>{ format!("Needs attention ({})", facts.attention.len() + loaded.missing.len()) }</h2>
            if facts.attention.is_empty() && loaded.missing.is_empty() { <p>{ "Nothing." }</p> }
            <ul class="attention">
                { for loaded.missing.iter().map(|what| html! { <li>{ what }</li> }) }{ for facts.attention.iter().map(|a| html! {
                <li>
                    <Link to={Route::Group { id: a.group_id.clone() }}>{ &a.name }</Link>{ format!(": {} ", a.reason) }
                    if let Some(operation) = a.action {
                        <Link classes="button" to={Route::Operation { id: a.group_id.clone(), operation }}>{ format!("{} {}", operation.label(), a.name) }</Link>
                    }
                </li>
            }) }</ul>
            <h2>{ format!("Running now ({})", facts.running.len()) }</h2>
            if facts.running.is_empty() { <p>{ "No group has a job running." }</p> }
            <ul class="running">{ for facts.running.iter().map(|(id, name, status)| html! {
                <li><Link to={Route::Group { id: id.clone() }}>{ name }</Link>{ " " }<StatusBadge status={*status} /></li>
            }) }</ul>
            <h2>{ "Last failover of each group" }</h2>
            { match &loaded.last_failovers {
                None => html! { <p class="muted">{ "SDRS keeps no job history; this server's admin API is needed to list each group's last failover. Failed jobs are in the task centre." }</p> },
                Some(rows) => html! {
                    <table class="last-failovers">
                        <thead><tr><th scope="col">{ "Group" }</th><th scope="col">{ "Last failover" }</th></tr></thead>
                        <tbody>{ for rows.iter().map(|(id, name, job)| html! {
                            <tr><td><Link to={Route::Group { id: id.clone() }}>{ name }</Link></td>
                                <td>{ match job {
                                    Some(job) => html! { <Link to={Route::Job { id: job.job_id.clone() }}>{ format!("{} {}", job.status, job.end_time.clone().or(job.begin_time.clone()).unwrap_or_default()) }</Link> },
                                    None => html! { { "never (as far as this server knows)" } },
                                } }</td></tr>
                        }) }</tbody>
                    </table>
                },
            } }
        </section>
    }
}
