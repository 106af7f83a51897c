//! A login explanation from the core's engine: the credential, what to do first, cautions, and the seed's words.

use sdrs_core::login::{Advice, Answer, LoginExplanation};
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct ExplanationProps {
    pub explanation: LoginExplanation,
}

fn advice(advice: &Advice) -> Html {
    html! {
        <>
            if !advice.first.is_empty() {
                <ol class="steps">{ for advice.first.iter().map(|s| html! { <li>{ &s.text }</li> }) }</ol>
            }
            <p>{ "Use " }<strong class="credential">{ &advice.credential.text }</strong>{ "." }</p>
            { for advice.cautions.iter().map(|c| html! { <p class="caution">{ c }</p> }) }
        </>
    }
}

#[component]
pub fn Explanation(props: &ExplanationProps) -> Html {
    let e = &props.explanation;
    let body = match &e.answer {
        Answer::Use(a) => advice(a),
        Answer::DependsOnCloudbaseInit { check, until_started, once_started } => html! {
            <>
                <p>{ &check.text }</p>
                <h4>{ "Until Cloudbase-Init has started" }</h4>
                { advice(until_started) }
                <h4>{ "Once it has started" }</h4>
                { advice(once_started) }
            </>
        },
        Answer::NotDocumented { known } => html! {
            <>
                <p class="not-documented"><strong>{ "Not documented." }</strong>{ " The SDRS failover page does not say." }</p>
                <p>{ known }</p>
            </>
        },
    };
    html! {
        <div class="explanation">
            { body }
            { for e.discrepancies.iter().map(|d| html! { <p class="discrepancy"><strong>{ "The page disagrees with itself here: " }</strong>{ &d.explanation }</p> }) }
            <details>
                <summary>{ format!("From the SDRS failover page ({} rule(s))", e.citations.len()) }</summary>
                { for e.citations.iter().map(|c| html! { <><strong>{ c.0.title() }</strong><blockquote>{ c.0.quote() }</blockquote></> }) }
            </details>
        </div>
    }
}
