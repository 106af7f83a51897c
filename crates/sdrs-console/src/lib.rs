//! sdrs-console: the Yew failover console. Every rule it shows comes from sdrs-core.

pub mod api;
mod components;
mod hooks;
mod pages;
pub mod router;
pub mod state;
pub mod view;

use yew::prelude::*;

use api::Connection;
use router::Link;

/// The console's pages. A hash router, so the console also works from a static file host.
#[derive(Debug, Clone, PartialEq)]
pub enum Route {
    Overview,
    Groups,
    Group { id: String },
    Operation { id: String, operation: view::ConsoleOperation },
    Job { id: String },
    Activity,
    History { id: String },
    Plans,
    Plan { id: String },
    Run { id: String },
    Rules,
    Webhooks,
    Settings,
    NotFound,
}

/// The route's path in the page's fragment and back, written out for the fourteen fixed paths (`router.rs` says why
/// there is no router crate). Ids in paths are the API's ids (UUIDs, or `new` for a plan not yet saved), taken as
/// they are. `tests::every_route_reads_back_from_its_path` keeps the two in step.
impl Route {
    pub fn to_path(&self) -> String {
        match self {
            Route::Overview => "/".to_owned(),
            Route::Groups => "/groups".to_owned(),
            Route::Group { id } => format!("/groups/{id}"),
            Route::Operation { id, operation } => format!("/groups/{id}/do/{operation}"),
            Route::Job { id } => format!("/jobs/{id}"),
            Route::Activity => "/activity".to_owned(),
            Route::History { id } => format!("/activity/{id}"),
            Route::Plans => "/plans".to_owned(),
            Route::Plan { id } => format!("/plans/{id}"),
            Route::Run { id } => format!("/runs/{id}"),
            Route::Rules => "/rules".to_owned(),
            Route::Webhooks => "/webhooks".to_owned(),
            Route::Settings => "/settings".to_owned(),
            Route::NotFound => "/404".to_owned(),
        }
    }

    /// The route of a path; any path that is not one of the console's reads as the not-found page.
    pub fn recognize(pathname: &str) -> Route {
        Route::parse(pathname).unwrap_or(Route::NotFound)
    }
}

impl Route {
    fn parse(pathname: &str) -> Option<Route> {
        let segments: Vec<&str> = pathname.trim_matches('/').split('/').collect();
        let id = |segment: &str| (!segment.is_empty()).then(|| segment.to_owned());
        Some(match segments.as_slice() {
            [""] => Route::Overview,
            ["groups"] => Route::Groups,
            ["groups", group] => Route::Group { id: id(group)? },
            ["groups", group, "do", operation] => {
                Route::Operation { id: id(group)?, operation: operation.parse().ok()? }
            }
            ["jobs", job] => Route::Job { id: id(job)? },
            ["activity"] => Route::Activity,
            ["activity", resource] => Route::History { id: id(resource)? },
            ["plans"] => Route::Plans,
            ["plans", plan] => Route::Plan { id: id(plan)? },
            ["runs", run] => Route::Run { id: id(run)? },
            ["rules"] => Route::Rules,
            ["webhooks"] => Route::Webhooks,
            ["settings"] => Route::Settings,
            _ => return None,
        })
    }
}

/// The console is built as two wasm modules, so that the pages an incident needs load first and alone: the
/// incident module (`index.html`: overview, groups, a group, its operations and jobs) and the planning module
/// (`plans/index.html`: recovery plans, their runs, the rule explorer, the audit trail, notifications). Each holds only its own pages; a route of the
/// other one opens the other page. `scripts/size-check` holds each module to its size budget.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Module {
    Incident,
    Planning,
}

impl Module {
    /// Whether this module shows the route. The connection settings and the not-found page are in both.
    pub fn shows(self, route: &Route) -> bool {
        match route {
            Route::Plans
            | Route::Plan { .. }
            | Route::Run { .. }
            | Route::Rules
            | Route::Webhooks
            | Route::Activity
            | Route::History { .. } => self == Module::Planning,
            Route::Settings | Route::NotFound => true,
            Route::Overview | Route::Groups | Route::Group { .. } | Route::Operation { .. } | Route::Job { .. } => {
                self == Module::Incident
            }
        }
    }

    /// Where a route of the other module opens from this module's page. Relative, with the file named, so that a
    /// static file host without directory indexes serves it too.
    pub fn link_to_other(self, route: &Route) -> String {
        let page = match self {
            Module::Incident => "plans/index.html",
            Module::Planning => "../index.html",
        };
        format!("{page}#{}", route.to_path())
    }
}

/// The pages of one module.
pub trait ModulePages: 'static {
    const MODULE: Module;
    /// The page of a route this module shows.
    fn page(route: Route) -> Html;
}

/// The incident module's pages.
pub struct IncidentPages;

impl ModulePages for IncidentPages {
    const MODULE: Module = Module::Incident;
    fn page(route: Route) -> Html {
        match route {
            Route::Overview => html! { <pages::overview::OverviewPage /> },
            Route::Groups => html! { <pages::groups::GroupsPage /> },
            Route::Group { id } => html! { <pages::group::GroupPage {id} /> },
            Route::Operation { id, operation } => html! { <pages::operation::OperationPage {id} {operation} /> },
            Route::Job { id } => html! { <pages::group::JobPage {id} /> },
            other => shared_page(other),
        }
    }
}

/// The planning module's pages.
pub struct PlanningPages;

impl ModulePages for PlanningPages {
    const MODULE: Module = Module::Planning;
    fn page(route: Route) -> Html {
        match route {
            Route::Plans => html! { <pages::plans::PlansPage /> },
            Route::Plan { id } => html! { <pages::plans::PlanPage {id} /> },
            Route::Run { id } => html! { <pages::plans::RunPage {id} /> },
            Route::Rules => html! { <pages::rules::RulesPage /> },
            Route::Webhooks => html! { <pages::webhooks::WebhooksPage /> },
            Route::Activity => html! { <pages::activity::ActivityPage /> },
            Route::History { id } => html! { <pages::activity::ActivityPage resource_id={Some(id)} /> },
            other => shared_page(other),
        }
    }
}

/// The pages both modules hold.
fn shared_page(route: Route) -> Html {
    match route {
        Route::Settings => html! { <pages::settings::SettingsPage /> },
        _ => {
            html! { <section><h1>{ "Not found" }</h1><Link to={Route::Groups}>{ "Protection groups" }</Link></section> }
        }
    }
}

#[derive(Properties, PartialEq)]
struct OpenOtherModuleProps {
    href: String,
}

/// A route of the other module: its page replaces this history entry, so back returns to the page before the link.
#[component]
fn OpenOtherModule(props: &OpenOtherModuleProps) -> Html {
    let href = props.href.clone();
    use_effect_with(href.clone(), |href| {
        if let Some(window) = web_sys::window() {
            let _ = window.location().replace(href);
        }
    });
    html! { <p aria-live="polite">{ "Opening " }<a {href}>{ "the page" }</a>{ "…" }</p> }
}

/// The shared connection: read by every page, changed on the settings page.
pub type ConnectionContext = UseStateHandle<Connection>;

const STORAGE_KEY: &str = "sdrs.connection";

fn session_storage() -> Option<web_sys::Storage> {
    web_sys::window()?.session_storage().ok().flatten()
}

/// The connection saved in this tab's session storage.
pub fn load_connection() -> Connection {
    session_storage()
        .and_then(|s| s.get_item(STORAGE_KEY).ok().flatten())
        .and_then(|text| crate::api::parse_json(&text).ok())
        .unwrap_or_default()
}

/// Saves the connection for this tab only (session storage, never logged).
pub fn save_connection(connection: &Connection) {
    if let (Some(storage), Ok(text)) = (session_storage(), serde_json::to_string(connection)) {
        let _ = storage.set_item(STORAGE_KEY, &text);
    }
}

#[derive(Properties, PartialEq)]
struct FocusOnNavigateProps {
    route: Route,
}

/// Moves the keyboard focus to the new page's heading after a navigation, so that a screen reader reads where the
/// operator is and the next Tab starts from the page, not from the link that was activated.
#[component]
fn FocusOnNavigate(props: &FocusOnNavigateProps) -> Html {
    let first = use_mut_ref(|| true);
    use_effect_with(props.route.clone(), move |_| {
        // Not on the first page of a visit: the browser starts at the top anyway.
        let skip = std::mem::replace(&mut *first.borrow_mut(), false);
        // Pages load their data first: look for the heading for up to two seconds. The interval is dropped by the
        // next navigation (dropping it from its own callback is not allowed); once done it does nothing.
        let attempts = std::rc::Rc::new(std::cell::Cell::new(0u32));
        let interval = (!skip).then(|| {
            gloo_timers::callback::Interval::new(50, move || {
                if attempts.get() >= 40 {
                    return;
                }
                attempts.set(attempts.get() + 1);
                let heading = web_sys::window()
                    .and_then(|w| w.document())
                    .and_then(|d| d.query_selector("main h1").ok().flatten())
                    .and_then(|e| wasm_bindgen::JsCast::dyn_into::<web_sys::HtmlElement>(e).ok());
                if let Some(heading) = heading {
                    let _ = heading.set_attribute("tabindex", "-1");
                    let _ = heading.focus();
                    attempts.set(40);
                }
            })
        });
        move || drop(interval)
    });
    html! {}
}

/// The console's shell, the same in both modules: the connection, the navigation, the page of the route.
#[component]
pub fn App<P: ModulePages>() -> Html {
    let connection = use_state(load_connection);
    // Pages start only once the connection is known, so a link opened directly (a reload, a link pasted into the
    // incident channel) never sends a request for an empty project (`/v1//…`).
    let resolved = use_state(|| load_connection().is_complete());
    {
        let connection = connection.clone();
        let resolved = resolved.clone();
        use_effect_with((), move |_| {
            if !connection.is_complete() {
                wasm_bindgen_futures::spawn_local(async move {
                    if let Ok(response) = gloo_net::http::Request::get("/console/config").send().await {
                        let text = response.text().await.unwrap_or_default();
                        if let Ok(config) = api::parse_json::<sdrs_core::wire::ConsoleConfig>(&text) {
                            let demo = Connection {
                                base: String::new(),
                                project_id: config.project_id,
                                token: config.token,
                                gateway: config.gateway,
                                admin_token: config.admin_token.unwrap_or_default(),
                            };
                            save_connection(&demo);
                            connection.set(demo);
                        }
                    }
                    resolved.set(true);
                });
            }
        });
    }
    let route = router::use_route();
    let ready = *resolved;
    let complete = connection.is_complete();
    let render = |route: Route| {
        let needs_connection = !matches!(route, Route::Rules | Route::Settings | Route::NotFound);
        if !ready {
            html! { <p aria-live="polite">{ "Connecting…" }</p> }
        } else if needs_connection && !complete {
            html! { <section><h1>{ "Not connected" }</h1>
            <p>{ "This console does not know which SDRS endpoint and project to use yet. " }
            <Link to={Route::Settings}>{ "Set the connection" }</Link>{ ", then open the link again." }</p></section> }
        } else if P::MODULE.shows(&route) {
            P::page(route)
        } else {
            html! { <OpenOtherModule href={P::MODULE.link_to_other(&route)} /> }
        }
    };
    html! {
        <ContextProvider<ConnectionContext> context={connection}>
            <>
                <header class="top">
                    <span class="brand">{ "SDRS failover console" }</span>
                    <nav aria-label="Main">
                        <Link to={Route::Overview}>{ "Overview" }</Link>
                        <Link to={Route::Groups}>{ "Protection groups" }</Link>
                        <Link to={Route::Plans}>{ "Recovery plans" }</Link>
                        <Link to={Route::Activity}>{ "Activity" }</Link>
                        <Link to={Route::Webhooks}>{ "Notifications" }</Link>
                        <Link to={Route::Rules}>{ "Login rules & state chart" }</Link>
                        <Link to={Route::Settings}>{ "Connection" }</Link>
                    </nav>
                </header>
                <main id="main">
                    <FocusOnNavigate route={route.clone()} />
                    { render(route) }
                </main>
            </>
        </ContextProvider<ConnectionContext>>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn every_route() -> Vec<Route> {
        let id = || "g1".to_owned();
        vec![
            Route::Overview,
            Route::Groups,
            Route::Group { id: id() },
            Route::Operation { id: id(), operation: view::ConsoleOperation::Drill },
            Route::Job { id: id() },
            Route::Activity,
            Route::History { id: id() },
            Route::Plans,
            Route::Plan { id: id() },
            Route::Run { id: id() },
            Route::Rules,
            Route::Webhooks,
            Route::Settings,
            Route::NotFound,
        ]
    }

    #[test]
    fn every_route_reads_back_from_its_path() {
        for route in every_route() {
            assert_eq!(Route::recognize(&route.to_path()), route, "{}", route.to_path());
        }
        for operation in view::ConsoleOperation::ALL {
            let route = Route::Operation { id: "g1".into(), operation };
            assert_eq!(Route::recognize(&route.to_path()), route);
        }
        for unknown in ["/nope", "/groups//do/failover", "/groups/g1/do/nothing", "/plans/p1/extra", "/jobs/"] {
            assert_eq!(Route::recognize(unknown), Route::NotFound, "{unknown}");
        }
        assert_eq!(Route::recognize(""), Route::Overview, "no fragment at all");
        assert_eq!(Route::recognize("/groups/g1/"), Route::Group { id: "g1".into() }, "a trailing slash");
    }

    #[test]
    fn every_route_has_a_module_and_the_incident_pages_are_in_the_first_one() {
        for route in every_route() {
            assert!(Module::Incident.shows(&route) || Module::Planning.shows(&route), "{route:?} is in neither module");
        }
        for route in [Route::Overview, Route::Groups, Route::Group { id: "g".into() }, Route::Job { id: "j".into() }] {
            assert!(Module::Incident.shows(&route) && !Module::Planning.shows(&route), "{route:?}");
        }
        let drill = Route::Operation { id: "g".into(), operation: view::ConsoleOperation::Drill };
        assert!(Module::Incident.shows(&drill) && !Module::Planning.shows(&drill), "a DR drill starts from its group");
        let failover = Route::Operation { id: "g".into(), operation: view::ConsoleOperation::ALL[5] };
        assert_eq!(failover.to_path(), "/groups/g/do/failover");
        assert!(Module::Incident.shows(&failover) && !Module::Planning.shows(&failover));
        for route in [Route::Plans, Route::Run { id: "r".into() }, Route::Rules] {
            assert!(Module::Planning.shows(&route) && !Module::Incident.shows(&route), "{route:?}");
        }
        assert!(Module::Incident.shows(&Route::Settings) && Module::Planning.shows(&Route::Settings));
    }

    #[test]
    fn a_route_of_the_other_module_opens_its_page_at_the_same_route() {
        assert_eq!(Module::Incident.link_to_other(&Route::Run { id: "r1".into() }), "plans/index.html#/runs/r1");
        assert_eq!(Module::Planning.link_to_other(&Route::Group { id: "g1".into() }), "../index.html#/groups/g1");
        let operation = Route::Operation { id: "g1".into(), operation: view::ConsoleOperation::Drill };
        let link = Module::Planning.link_to_other(&operation);
        assert_eq!(Route::recognize(link.split_once('#').unwrap().1), operation, "{link}");
    }
}
