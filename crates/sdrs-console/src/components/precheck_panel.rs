//! Every finding of a pre-check: blocking reasons with their SDRS code and what to do, then things to verify.

use sdrs_core::precheck::{Precheck, Severity};
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct PrecheckPanelProps {
    pub precheck: Precheck,
}

#[component]
pub fn PrecheckPanel(props: &PrecheckPanelProps) -> Html {
    let p = &props.precheck;
    html! {
        <section class="precheck" aria-labelledby="precheck-title">
            <h2 id="precheck-title">{ "Pre-check" }</h2>
            if p.allowed {
                <p class="ok-line">{ format!("Nothing blocks the {}.", p.operation) }</p>
            } else {
                <p class="blocked-line" role="alert">{ format!("The {} is blocked by {} reason(s):", p.operation, p.blocking().count()) }</p>
            }
            <ul class="findings">
                { for p.findings.iter().map(|f| {
                    let word = match f.severity { Severity::Blocking => "Blocking", Severity::Verify => "Check first", Severity::Info => "Note" };
                    html! {
                        <li class={format!("finding {}", f.severity)}>
                            <strong>{ word }</strong>{ " " }<code class="code">{ f.code.as_str() }</code>{ " " }{ &f.message }
                            <br /><span class="hint">{ &f.hint }</span>
                        </li>
                    }
                }) }
            </ul>
        </section>
    }
}
