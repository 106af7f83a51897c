//! The Notifications page: the project's webhooks, a form to add one, and each one's delivery log.

use yew::prelude::*;

use sdrs_core::wire::{
    CreateWebhookRequest, NewWebhook, Webhook, WebhookDeliveryList, WebhookList, WebhookResponse, WEBHOOK_EVENTS,
};

use crate::api::{get, json_body, request, ApiError, Method};
use crate::components::error_box::ErrorBox;
use crate::hooks::{use_connection, use_load, Load};

#[component]
pub fn WebhooksPage() -> Html {
    let connection = use_connection();
    // Bumped after a change, to read the list again.
    let generation = use_state(|| 0u32);
    let loaded = use_load(*generation, |connection, _| async move {
        get::<WebhookList>(&connection, &connection.orchestration("/webhooks")).await
    });
    let url = use_state(String::new);
    let secret = use_state(String::new);
    let events = use_state(|| vec![WEBHOOK_EVENTS[0].to_owned(), WEBHOOK_EVENTS[2].to_owned()]);
    let outcome = use_state(|| None::<Result<Webhook, ApiError>>);
    let reload = {
        let generation = generation.clone();
        Callback::from(move |_: ()| generation.set(*generation + 1))
    };
    let on_submit = {
        let (url, secret, events, outcome, reload) =
            (url.clone(), secret.clone(), events.clone(), outcome.clone(), reload.clone());
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            let body = CreateWebhookRequest {
                webhook: NewWebhook { url: (*url).clone(), events: (*events).clone(), secret: (*secret).clone() },
            };
            let (connection, secret, outcome, reload) =
                (connection.clone(), secret.clone(), outcome.clone(), reload.clone());
            wasm_bindgen_futures::spawn_local(async move {
                let answer = request::<WebhookResponse>(
                    &connection,
                    Method::Post,
                    &connection.orchestration("/webhooks"),
                    json_body(&body),
                )
                .await;
                // The secret is not kept on the page once sent, whatever the answer.
                secret.set(String::new());
                if answer.is_ok() {
                    reload.emit(());
                }
                outcome.set(Some(answer.map(|created| created.webhook)));
            });
        })
    };
    let toggle = |event: &'static str| {
        let events = events.clone();
        Callback::from(move |_: Event| {
            let mut next = (*events).clone();
            match next.iter().position(|e| e == event) {
                Some(at) => {
                    next.remove(at);
                }
                None => next.push(event.to_owned()),
            }
            events.set(next);
        })
    };
    let text_field = |state: &UseStateHandle<String>| {
        let state = state.clone();
        Callback::from(move |e: InputEvent| state.set(e.target_unchecked_into::<web_sys::HtmlInputElement>().value()))
    };
    html! {
        <section class="webhooks">
            <h1>{ "Notifications" }</h1>
            <p>{ "Webhooks receive a POST for each event they subscribe to, at least once (retried for 24 hours), signed X-Sdrs-Signature: sha256=<HMAC-SHA256 of the body with the secret>, with X-Sdrs-Event-Id to drop repeats." }</p>
            { match &*loaded {
                Load::Loading => html! { <p aria-live="polite">{ "Loading…" }</p> },
                Load::Failed(error) => html! { <ErrorBox error={error.clone()} /> },
                Load::Loaded(list) if list.webhooks.is_empty() => html! { <p>{ "No webhook yet." }</p> },
                Load::Loaded(list) => html! { <ul class="webhook-list">
                    { for list.webhooks.iter().cloned().map(|webhook| {
                        let key = webhook.id.clone();
                        html! { <WebhookItem {key} {webhook} on_deleted={reload.clone()} /> }
                    }) }
                </ul> },
            } }
            <h2>{ "Add a webhook" }</h2>
            <form class="new-webhook" onsubmit={on_submit}>
                <label for="webhook-url">{ "URL (http or https)" }</label>
                <input id="webhook-url" type="url" value={(*url).clone()} oninput={text_field(&url)} placeholder="https://hooks.example.com/sdrs" />
                <label for="webhook-secret">{ "Secret (16 to 256 characters; never shown again)" }</label>
                <input id="webhook-secret" type="password" autocomplete="off" value={(*secret).clone()} oninput={text_field(&secret)} />
                <fieldset>
                    <legend>{ "Events" }</legend>
                    { for WEBHOOK_EVENTS.iter().map(|event| html! { <label>
                        <input type="checkbox" checked={events.iter().any(|e| e == event)} onchange={toggle(event)} />{ *event }
                    </label> }) }
                </fieldset>
                <button type="submit">{ "Add" }</button>
            </form>
            { match &*outcome {
                Some(Ok(webhook)) => html! { <p role="status">{ format!("Added: {}", webhook.url) }</p> },
                Some(Err(error)) => html! { <ErrorBox error={error.clone()} /> },
                None => html! {},
            } }
        </section>
    }
}

#[derive(Properties, PartialEq)]
struct WebhookItemProps {
    webhook: Webhook,
    on_deleted: Callback<()>,
}

/// One webhook: where it posts, what, its delivery log, and a delete.
#[component]
fn WebhookItem(props: &WebhookItemProps) -> Html {
    let connection = use_connection();
    let failed = use_state(|| None::<ApiError>);
    let webhook = &props.webhook;
    let on_delete = {
        let (url, on_deleted, failed) =
            (connection.orchestration(&format!("/webhooks/{}", webhook.id)), props.on_deleted.clone(), failed.clone());
        Callback::from(move |_: MouseEvent| {
            let (connection, url, on_deleted, failed) =
                (connection.clone(), url.clone(), on_deleted.clone(), failed.clone());
            wasm_bindgen_futures::spawn_local(async move {
                match request::<serde_json::Value>(&connection, Method::Delete, &url, None).await {
                    Ok(_) => on_deleted.emit(()),
                    Err(error) => failed.set(Some(error)),
                }
            });
        })
    };
    html! {
        <li class="webhook">
            <strong>{ &webhook.url }</strong>{ format!(" — {} — since {}", webhook.events.join(", "), webhook.created_at) }
            <button type="button" onclick={on_delete}>{ "Delete" }</button>
            if let Some(error) = (*failed).clone() { <ErrorBox {error} /> }
            <Deliveries id={webhook.id.clone()} />
        </li>
    }
}

#[derive(Properties, PartialEq)]
struct DeliveriesProps {
    id: String,
}

/// A webhook's delivery log, newest first.
#[component]
fn Deliveries(props: &DeliveriesProps) -> Html {
    let loaded = use_load(props.id.clone(), |connection, id| async move {
        get::<WebhookDeliveryList>(&connection, &connection.orchestration(&format!("/webhooks/{id}/deliveries"))).await
    });
    match &*loaded {
        Load::Loading => html! { <p aria-live="polite">{ "Loading…" }</p> },
        Load::Failed(error) => html! { <ErrorBox error={error.clone()} /> },
        Load::Loaded(list) if list.deliveries.is_empty() => html! { <p class="muted">{ "Nothing delivered yet." }</p> },
        Load::Loaded(list) => html! {
            <div class="table-scroll"><table class="deliveries">
                <thead><tr><th>{ "Event" }</th><th>{ "Id" }</th><th>{ "Status" }</th><th>{ "Attempts" }</th><th>{ "Last answer" }</th><th>{ "Since" }</th></tr></thead>
                <tbody>{ for list.deliveries.iter().map(|d| html! { <tr>
                    <td>{ &d.event }</td>
                    <td><code>{ &d.event_id }</code></td>
                    <td>{ &d.status }</td>
                    <td>{ d.attempts }</td>
                    <td>{ d.last_status.map(|s| format!("HTTP {s}")).or_else(|| d.last_error.clone()).unwrap_or_default() }</td>
                    <td>{ &d.created_at }</td>
                </tr> }) }</tbody>
            </table></div>
        },
    }
}
