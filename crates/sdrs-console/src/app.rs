//! The console's shell, the same in both modules: the connection (kept in the tab's session storage), the
//! navigation, the page of the route, a route of the other module opened there, the focus moved to each new page.

use yew::prelude::*;

use crate::api::Connection;
use crate::router::Link;
use crate::{api, pages, router, Module, Route};

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
