//! Connection settings: another SDRS-compatible endpoint, project and token, kept in this tab's session storage.

use yew::prelude::*;

use crate::api::Connection;
use crate::{save_connection, ConnectionContext};

/// What the last gateway login or logout did.
#[derive(Clone, Copy, PartialEq)]
enum GatewaySession {
    LoggedIn,
    LoggedOut,
}

#[component]
pub fn SettingsPage() -> Html {
    let connection = use_context::<ConnectionContext>().expect("the app provides the connection");
    let draft = use_state(|| (*connection).clone());
    let saved = use_state(|| false);
    let field = |apply: fn(&mut Connection, String)| {
        let draft = draft.clone();
        let saved = saved.clone();
        Callback::from(move |e: InputEvent| {
            let mut next = (*draft).clone();
            apply(&mut next, e.target_unchecked_into::<web_sys::HtmlInputElement>().value());
            draft.set(next);
            saved.set(false);
        })
    };
    let on_save = {
        let (draft, connection, saved) = (draft.clone(), connection.clone(), saved.clone());
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            save_connection(&draft);
            connection.set((*draft).clone());
            saved.set(true);
        })
    };
    let secret = use_state(String::new);
    let login_state = use_state(|| None::<Result<GatewaySession, String>>);
    let on_secret = {
        let secret = secret.clone();
        Callback::from(move |e: InputEvent| secret.set(e.target_unchecked_into::<web_sys::HtmlInputElement>().value()))
    };
    let on_login = {
        let (secret, login_state) = (secret.clone(), login_state.clone());
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            let (secret, login_state) = (secret.clone(), login_state.clone());
            wasm_bindgen_futures::spawn_local(async move {
                let body = crate::api::json_body(&sdrs_core::wire::GatewayLogin { secret: (*secret).clone() })
                    .unwrap_or_default();
                let sent = gloo_net::http::Request::post("/gateway/login")
                    .header("Content-Type", "application/json")
                    .body(body);
                let outcome = match sent {
                    Ok(request) => match request.send().await {
                        Ok(response) if response.status() == 204 => Ok(GatewaySession::LoggedIn),
                        Ok(response) => Err(format!("The gateway refused the secret (HTTP {}).", response.status())),
                        Err(error) => Err(format!("The gateway could not be reached: {error}")),
                    },
                    Err(error) => Err(error.to_string()),
                };
                secret.set(String::new());
                login_state.set(Some(outcome));
            });
        })
    };
    let on_logout = {
        let login_state = login_state.clone();
        Callback::from(move |_: MouseEvent| {
            let login_state = login_state.clone();
            wasm_bindgen_futures::spawn_local(async move {
                let outcome = match gloo_net::http::Request::post("/gateway/logout").send().await {
                    Ok(response) if response.status() == 204 => Ok(GatewaySession::LoggedOut),
                    Ok(response) => Err(format!("The gateway did not log out (HTTP {}).", response.status())),
                    Err(error) => Err(format!("The gateway could not be reached: {error}")),
                };
                login_state.set(Some(outcome));
            });
        })
    };
    html! {
        <section class="settings">
            if connection.gateway {
                <h2>{ "Gateway login" }</h2>
                <p>{ "This server forwards the console's calls to a real SDRS endpoint and signs them with its own access key, which never reaches the browser. Log in with the gateway's secret." }</p>
                <form class="gateway-login" onsubmit={on_login}>
                    <label for="gateway-secret">{ "Gateway secret" }</label>
                    <input id="gateway-secret" type="password" autocomplete="off" value={(*secret).clone()} oninput={on_secret} />
                    <button type="submit">{ "Log in" }</button>
                    <button type="button" class="logout" onclick={on_logout}>{ "Log out" }</button>
                </form>
                { match &*login_state {
                    Some(Ok(GatewaySession::LoggedIn)) => html! { <p role="status">{ "Logged in to the gateway." }</p> },
                    Some(Ok(GatewaySession::LoggedOut)) => html! { <p role="status">{ "Logged out of the gateway." }</p> },
                    Some(Err(message)) => html! { <p class="error-box" role="alert">{ message }</p> },
                    None => html! {},
                } }
            }
            <h1>{ "Connection" }</h1>
            <p>{ "The console talks to the server that served it unless you name another SDRS-compatible endpoint. The token stays in this tab's session storage and is never logged." }</p>
            <form onsubmit={on_save}>
                <label for="base">{ "Endpoint (empty: this server)" }</label>
                <input id="base" value={draft.base.clone()} oninput={field(|c, v| c.base = v)} placeholder="http://127.0.0.1:8080" />
                <label for="project">{ "Project ID" }</label>
                <input id="project" value={draft.project_id.clone()} oninput={field(|c, v| c.project_id = v)} />
                <label for="token">{ "X-Auth-Token" }</label>
                <input id="token" type="password" autocomplete="off" value={draft.token.clone()} oninput={field(|c, v| c.token = v)} />
                <button type="submit">{ "Save" }</button>
                if *saved { <p role="status">{ "Saved for this tab." }</p> }
            </form>
        </section>
    }
}
