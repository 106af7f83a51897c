//! The console's hash router: the page's URL fragment (`#/groups/…`) read into a typed `Route`, and links that are
//! plain anchors to it.
//!
//! Written here instead of taken from yew-router, the router Yew's examples use: yew-router and gloo-history were
//! 38 KB of the incident module's code (about 11 KB of its gzipped size, `scripts/size-breakdown`) for what the
//! console needs of them, which is this file. What it keeps: typed routes (`Route::to_path` and `Route::recognize`,
//! read back from every path by a test), links that are real anchors (open in a new tab, copy the address), the back
//! and forward buttons, and an address edited by hand.

use yew::prelude::*;

use crate::Route;

/// The route the page's fragment names now; a fragment that is no route of the console reads as the not-found page.
pub fn current() -> Route {
    let fragment = web_sys::window().and_then(|window| window.location().hash().ok()).unwrap_or_default();
    Route::recognize(fragment.strip_prefix('#').unwrap_or(&fragment))
}

/// Opens a route in this tab, as following a link to it does (a new history entry).
pub fn go(route: &Route) {
    if let Some(window) = web_sys::window() {
        let _ = window.location().set_hash(&route.to_path());
    }
}

/// The current route; the component re-renders when the fragment changes (a link, back, forward, a typed address).
#[hook]
pub fn use_route() -> Route {
    let route = use_state(current);
    {
        let route = route.clone();
        use_effect_with((), move |_| {
            let listener = web_sys::window()
                .map(|window| gloo_events::EventListener::new(&window, "hashchange", move |_| route.set(current())));
            move || drop(listener)
        });
    }
    (*route).clone()
}

#[derive(Properties, PartialEq)]
pub struct LinkProps {
    pub to: Route,
    #[prop_or_default]
    pub classes: Classes,
    #[prop_or_default]
    pub children: Html,
}

/// A link to a route: an anchor to its fragment, so the browser navigates and `use_route` hears of it.
#[component]
pub fn Link(props: &LinkProps) -> Html {
    html! { <a class={props.classes.clone()} href={format!("#{}", props.to.to_path())}>{ props.children.clone() }</a> }
}
