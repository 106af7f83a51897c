//! The evidence report as one self-contained printable HTML page: no script, no external asset, styles inline.

use std::fmt::Write;

use sdrs_core::plan::evidence::Evidence;
use sdrs_core::plan::run::GroupRunStatus;
use sdrs_core::plan::StageKind;

/// Escapes text for HTML element content and attribute values.
fn esc(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

fn seconds(millis: Option<i64>) -> String {
    millis.map_or_else(|| "—".to_owned(), |m| format!("{:.1} s", m as f64 / 1000.0))
}

fn or_dash(text: Option<&str>) -> String {
    text.map_or_else(|| "—".to_owned(), esc)
}

const STYLE: &str = "body{font:14px/1.45 system-ui,sans-serif;margin:2rem;color:#111;background:#fff}\
h1{font-size:1.5rem}h2{font-size:1.15rem;margin-top:1.6rem;border-bottom:1px solid #999}\
table{border-collapse:collapse;width:100%;margin:.5rem 0}th,td{border:1px solid #bbb;padding:.25rem .45rem;\
text-align:left;vertical-align:top}th{background:#eee}code{font-size:.9em}.failed{font-weight:bold}\
dl{display:grid;grid-template-columns:max-content auto;gap:.2rem 1rem}dt{font-weight:bold}\
@media print{body{margin:0}h2{break-after:avoid}tr{break-inside:avoid}}";

/// The page as an answer: with a policy that allows its one inline style and nothing else (no script, no framing,
/// no other asset), and `nosniff`, as the console's pages have.
pub struct Page(pub String);

impl axum::response::IntoResponse for Page {
    fn into_response(self) -> axum::response::Response {
        use base64::Engine as _;
        use sha2::Digest as _;
        let style = base64::engine::general_purpose::STANDARD.encode(sha2::Sha256::digest(STYLE.as_bytes()));
        let policy = format!(
            "default-src 'none'; style-src 'sha256-{style}'; img-src data:; base-uri 'none'; form-action 'none'; \
             frame-ancestors 'none'"
        );
        let mut response = axum::response::Html(self.0).into_response();
        let headers = response.headers_mut();
        if let Ok(value) = axum::http::HeaderValue::from_str(&policy) {
            headers.insert("content-security-policy", value);
        }
        headers.insert("x-content-type-options", axum::http::HeaderValue::from_static("nosniff"));
        response
    }
}

impl aide::OperationOutput for Page {
    type Inner = String;

    fn operation_response(
        ctx: &mut aide::generate::GenContext,
        operation: &mut aide::openapi::Operation,
    ) -> Option<aide::openapi::Response> {
        axum::response::Html::<String>::operation_response(ctx, operation)
    }

    fn inferred_responses(
        ctx: &mut aide::generate::GenContext,
        operation: &mut aide::openapi::Operation,
    ) -> Vec<(Option<aide::openapi::StatusCode>, aide::openapi::Response)> {
        axum::response::Html::<String>::inferred_responses(ctx, operation)
    }
}

/// The page.
pub fn html(report: &Evidence) -> String {
    let run = &report.run;
    let mut page = String::new();
    let title = format!("Recovery plan run: {} ({})", run.plan.name, run.options.mode);
    let _ = write!(
        page,
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{}</title><style>{STYLE}</style></head><body>",
        esc(&title)
    );
    let _ = write!(page, "<h1>{}</h1>", esc(&title));
    let _ = write!(
        page,
        "<dl><dt>Run</dt><dd><code>{}</code></dd><dt>Plan</dt><dd>{} <code>{}</code></dd><dt>Status</dt><dd>{}</dd>\
         <dt>Started</dt><dd>{}</dd><dt>Ended</dt><dd>{}</dd><dt>Total</dt><dd>{}</dd>\
         <dt>Recovery (start to last group up)</dt><dd>{}</dd><dt>Report made</dt><dd>{}</dd></dl>",
        esc(&run.id),
        esc(&run.plan.name),
        esc(&run.plan_id),
        esc(run.status.as_str()),
        esc(&run.started_at),
        or_dash(run.finished_at.as_deref()),
        seconds(Some(report.total_millis)),
        seconds(report.recovery_millis),
        esc(&report.generated_at),
    );
    if !run.plan.description.is_empty() {
        let _ = write!(page, "<p>{}</p>", esc(&run.plan.description));
    }

    page.push_str("<h2>Pre-check at start</h2>");
    if run.check.findings.is_empty() {
        page.push_str("<p>No finding.</p>");
    } else {
        page.push_str("<table><tr><th>Severity</th><th>Stage</th><th>Group</th><th>Code</th><th>Finding</th><th>What to do</th></tr>");
        for f in &run.check.findings {
            let _ = write!(
                page,
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                esc(f.severity.as_str()),
                f.stage.map_or_else(|| "—".to_owned(), |s| (s + 1).to_string()),
                or_dash(f.server_group_id.as_deref()),
                esc(&f.code),
                esc(&f.message),
                esc(&f.hint)
            );
        }
        page.push_str("</table>");
    }

    page.push_str("<h2>Stages</h2>");
    for stage in &run.stages {
        let _ = write!(
            page,
            "<h3>Stage {}: {} — {}</h3><p>Started {}, ended {}.</p>",
            stage.index + 1,
            esc(stage.kind.as_str()),
            esc(stage.status.as_str()),
            or_dash(stage.started_at.as_deref()),
            or_dash(stage.finished_at.as_deref())
        );
        match stage.kind {
            StageKind::Wait => {
                let _ = write!(page, "<p>Wait of {} s.</p>", stage.seconds.unwrap_or(0));
            }
            StageKind::Gate => {
                let _ = write!(
                    page,
                    "<p>Gate: “{}”. Confirmed by <strong>{}</strong> with {} at {}.</p>",
                    or_dash(stage.text.as_deref()),
                    or_dash(stage.confirmed_by.as_deref()),
                    or_dash(stage.confirmed_with.as_deref()),
                    or_dash(stage.confirmed_at.as_deref())
                );
            }
            StageKind::Groups => {
                page.push_str(
                    "<table><tr><th>Group</th><th>Critical</th><th>Status</th><th>Job</th><th>Steps</th>\
                     <th>Recovery time</th><th>Failure</th></tr>",
                );
                for group in &stage.groups {
                    let recovery = report
                        .groups
                        .iter()
                        .find(|g| g.stage == stage.index && g.server_group_id == group.server_group_id)
                        .and_then(|g| g.recovery_millis);
                    let steps: Vec<String> = group
                        .steps
                        .iter()
                        .map(|s| {
                            format!(
                                "{} {} ({} – {})",
                                esc(&s.job_type),
                                esc(s.status.as_str()),
                                or_dash(s.begin_time.as_deref()),
                                or_dash(s.end_time.as_deref())
                            )
                        })
                        .collect();
                    let failure = match (&group.error_code, &group.fail_reason) {
                        (None, None) => "—".to_owned(),
                        (code, reason) => {
                            format!("{} {}", or_dash(code.as_deref()), or_dash(reason.as_deref()))
                        }
                    };
                    let class = if group.status == GroupRunStatus::Failed { " class=\"failed\"" } else { "" };
                    let _ = write!(
                        page,
                        "<tr><td>{} <code>{}</code></td><td>{}</td><td{class}>{}</td><td><code>{}</code></td><td>{}</td>\
                         <td>{}</td><td>{}</td></tr>",
                        esc(&group.name),
                        esc(&group.server_group_id),
                        if group.critical { "yes" } else { "no" },
                        esc(group.status.as_str()),
                        or_dash(group.job_id.as_deref()),
                        if steps.is_empty() { "—".to_owned() } else { steps.join("<br>") },
                        seconds(recovery),
                        failure
                    );
                }
                page.push_str("</table>");
            }
        }
    }

    page.push_str("<h2>Who logs in where after the run</h2>");
    if let Some(note) = &run.logins_note {
        let _ = write!(page, "<p>{}</p>", esc(note));
    }
    if !run.logins.is_empty() {
        page.push_str("<table><tr><th>Group</th><th>Instance</th><th>Server</th><th>Role</th><th>Credential</th><th>Rules</th></tr>");
        for login in &run.logins {
            let rules: Vec<String> = login.rules.iter().map(|r| esc(r.as_str())).collect();
            let _ = write!(
                page,
                "<tr><td><code>{}</code></td><td>{}</td><td>{} <code>{}</code></td><td>{}</td><td>{}</td><td>{}</td></tr>",
                esc(&login.server_group_id),
                esc(&login.instance),
                esc(&login.server_name),
                esc(&login.server_id),
                esc(login.role.as_str()),
                esc(&login.summary),
                rules.join(", ")
            );
        }
        page.push_str("</table>");
    }

    page.push_str("<h2>Events</h2><table><tr><th>At</th><th>Event</th></tr>");
    for event in &run.events {
        let _ = write!(page, "<tr><td>{}</td><td>{}</td></tr>", esc(&event.at), esc(&event.text));
    }
    page.push_str("</table>");

    page.push_str(
        "<h2>Audit trail</h2><table><tr><th>At</th><th>Who</th><th>From</th><th>Operation</th><th>Outcome</th></tr>",
    );
    for event in &report.audit_events {
        let _ = write!(
            page,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            esc(&event.at),
            esc(&event.actor),
            esc(event.address.as_deref().unwrap_or("")),
            esc(&event.operation),
            esc(&event.outcome)
        );
    }
    page.push_str("</table></body></html>");
    page
}

#[cfg(test)]
mod tests {
    use super::esc;

    #[test]
    fn text_is_escaped() {
        assert_eq!(esc("<script>\"a\" & 'b'</script>"), "&lt;script&gt;&quot;a&quot; &amp; &#39;b&#39;&lt;/script&gt;");
    }
}
