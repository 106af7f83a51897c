//! Live job status: the steps (sub-jobs) with their status and elapsed time, the error code and reason on failure.

use sdrs_core::wire::Job;
use yew::prelude::*;

use crate::view::{progress, step_rows};

#[derive(Properties, PartialEq)]
pub struct JobViewProps {
    pub job: Job,
}

#[component]
pub fn JobView(props: &JobViewProps) -> Html {
    let job = &props.job;
    let now = js_now();
    let (done, total) = progress(job);
    let rows = step_rows(job, now);
    html! {
        <section class="job" aria-live="polite">
            <h3>{ format!("Job {} — {}", job.job_type, job.status) }</h3>
            <p>
                <progress max={total.max(1).to_string()} value={done.to_string()} aria-label="steps finished"></progress>
                { format!(" {done}/{total} steps") }
                if let Some(elapsed) = crate::view::elapsed(job.begin_time.as_deref(), job.end_time.as_deref(), now) { { format!(", {elapsed}") } }
            </p>
            <table>
                <thead><tr><th scope="col">{ "Step" }</th><th scope="col">{ "Status" }</th><th scope="col">{ "Elapsed" }</th></tr></thead>
                <tbody>
                    { for rows.iter().map(|r| html! {
                        <tr class={format!("step {}", r.status.to_ascii_lowercase())}>
                            <td>{ &r.name }</td><td>{ &r.status }</td><td>{ r.elapsed.clone().unwrap_or_default() }</td>
                        </tr>
                    }) }
                </tbody>
            </table>
            if let Some(code) = &job.error_code {
                <div class="error-box" role="alert">
                    <strong>{ "The job failed" }</strong>
                    <p><code class="code">{ code }</code>{ " " }{ job.fail_reason.clone().unwrap_or_default() }</p>
                </div>
            }
        </section>
    }
}

/// The browser's clock (the core never reads one).
pub fn js_now() -> i64 {
    js_sys::Date::now() as i64
}
