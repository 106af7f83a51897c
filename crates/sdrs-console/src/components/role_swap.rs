//! The what-if preview: production and DR servers before and after (the seed's Table 1), and the statuses passed.

use sdrs_core::role_swap::{RoleSwap, ServerRef};
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct RoleSwapViewProps {
    pub swap: RoleSwap,
}

fn server(s: &ServerRef) -> String {
    match &s.name {
        Some(name) => format!("{name} (server {})", s.seed),
        None => format!("{} (server {})", s.id, s.seed),
    }
}

#[component]
pub fn RoleSwapView(props: &RoleSwapViewProps) -> Html {
    let swap = &props.swap;
    let statuses: Vec<&str> = swap.statuses.iter().map(|s| s.as_str()).collect();
    html! {
        <section class="role-swap" aria-labelledby="swap-title">
            <h2 id="swap-title">{ "What will happen" }</h2>
            <p>{ format!("Statuses: {} (on failure: {}).", statuses.join(" → "), swap.on_failure) }</p>
            <p>{ format!(
                "Production site: {} ({}) before, {} ({}) after.",
                swap.before.production_availability_zone, swap.before.priority_station,
                swap.after.production_availability_zone, swap.after.priority_station) }</p>
            <table class="swap">
                <thead><tr>
                    <th scope="col">{ "Instance" }</th><th scope="col">{ "" }</th>
                    <th scope="col">{ "Production site server" }</th><th scope="col">{ "DR site server" }</th>
                </tr></thead>
                <tbody>
                    { for swap.before.instances.iter().zip(&swap.after.instances).map(|(before, after)| html! {
                        <>
                            <tr><th scope="row" rowspan="2">{ &before.name }</th><td>{ "Before" }</td>
                                <td>{ server(&before.production_server) }</td><td>{ server(&before.dr_server) }</td></tr>
                            <tr class={if swap.roles_change { "changed" } else { "" }}><td>{ "After" }</td>
                                <td>{ server(&after.production_server) }</td><td>{ server(&after.dr_server) }</td></tr>
                        </>
                    }) }
                </tbody>
            </table>
        </section>
    }
}
