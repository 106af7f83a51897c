//! Connection settings: another SDRS-compatible endpoint, project and token, kept in this tab's session storage.

use yew::prelude::*;

use crate::api::Connection;
use crate::{save_connection, ConnectionContext};

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
    html! {
        <section class="settings">
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
