//! An API error in words: which side failed, the SDRS code and the message.

use yew::prelude::*;

use crate::api::ApiError;

#[derive(Properties, PartialEq)]
pub struct ErrorBoxProps {
    pub error: ApiError,
}

#[component]
pub fn ErrorBox(props: &ErrorBoxProps) -> Html {
    let error = &props.error;
    let (code, message) = match error {
        ApiError::Sdrs { code, message, .. } | ApiError::Gateway { code, message, .. } => {
            (Some(code.clone()), message.clone())
        }
        ApiError::Network(detail) => (None, format!("{detail} (reads are retried automatically)")),
        ApiError::Unexpected { status, detail } => (None, format!("HTTP {status}: {detail}")),
    };
    html! {
        <div class="error-box" role="alert">
            <strong>{ error.side() }</strong>
            if let Some(code) = code { <p><code class="code">{ code }</code>{ " " }{ message }</p> } else { <p>{ message }</p> }
        </div>
    }
}
