//! What a run proves afterwards: per group its job, steps and measured recovery time, the gates and who confirmed
//! them, and for every server after the run which credential logs in. The server renders it as JSON and HTML.

use serde::{Deserialize, Serialize};

use crate::guidance::{LoginRow, RowAnswer};
use crate::login::ServerRole;
use crate::seed::SeedRule;
use crate::timefmt::{job_time, parse_job_time, UnixMillis};

use super::run::{GroupRunStatus, PlanRun, RunStatus};
use super::StageKind;

/// Which credential logs in to one server after the run, from the login engine.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ServerLogin {
    pub server_group_id: String,
    pub instance: String,
    pub role: ServerRole,
    pub server_id: String,
    pub server_name: String,
    /// Whether the failover page documents the answer.
    pub documented: bool,
    /// The answer in one paragraph (or why the question could not be asked).
    pub summary: String,
    /// The seed rules the answer cites.
    pub rules: Vec<SeedRule>,
    /// What was known of the server's profile, each fact with its source (ECS, IMS, or an operator's override).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub facts: Vec<String>,
}

impl ServerLogin {
    /// One row of the core's login guidance, for the evidence.
    pub fn from_row(server_group_id: &str, row: &LoginRow) -> ServerLogin {
        let (documented, rules) = match &row.answer {
            RowAnswer::Known(explanation) => (explanation.is_documented(), explanation.rules()),
            RowAnswer::DependsOn { cases, .. } => {
                let mut rules: Vec<SeedRule> = Vec::new();
                for rule in cases.iter().flat_map(|c| c.explanation.rules()) {
                    if !rules.contains(&rule) {
                        rules.push(rule);
                    }
                }
                (cases.iter().all(|c| c.explanation.is_documented()), rules)
            }
            RowAnswer::Unanswered(_) => (false, Vec::new()),
        };
        let summary = row.answer.summary();
        ServerLogin {
            server_group_id: server_group_id.to_owned(),
            instance: row.instance.clone(),
            role: row.role,
            server_id: row.server_id.clone(),
            server_name: row.server_name.clone(),
            documented,
            summary,
            rules,
            facts: row.facts.clone(),
        }
    }
}

/// One group's measured recovery.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct GroupRecovery {
    pub stage: usize,
    pub server_group_id: String,
    pub name: String,
    pub critical: bool,
    pub status: GroupRunStatus,
    #[serde(default)]
    pub job_id: Option<String>,
    /// Run start to the end of the group's job (its DR servers started), in milliseconds; absent unless it succeeded.
    #[serde(default)]
    pub recovery_millis: Option<i64>,
}

/// A gate and its confirmation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct GateRecord {
    pub stage: usize,
    pub text: String,
    #[serde(default)]
    pub confirmed_by: Option<String>,
    #[serde(default)]
    pub confirmed_with: Option<String>,
    #[serde(default)]
    pub confirmed_at: Option<String>,
}

/// The evidence report of a run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Evidence {
    pub generated_at: String,
    pub status: RunStatus,
    /// Run start to its end (or to now, if it has not ended), in milliseconds.
    pub total_millis: i64,
    /// Run start to the last group's recovery, in milliseconds; absent when no group recovered.
    #[serde(default)]
    pub recovery_millis: Option<i64>,
    pub groups: Vec<GroupRecovery>,
    pub gates: Vec<GateRecord>,
    /// What people did to the run (started it, confirmed its gate, retried, skipped or cancelled), from the audit
    /// trail, oldest first; filled in by the server, which keeps the trail.
    #[serde(default)]
    pub audit_events: Vec<crate::wire::AuditEvent>,
    /// The run itself: the plan as it was, the check at start, every stage, group, job, step and event.
    pub run: PlanRun,
}

/// Builds the evidence of `run` at `now`.
pub fn evidence(run: &PlanRun, now: UnixMillis) -> Evidence {
    let start = parse_job_time(&run.started_at).unwrap_or(now);
    let end = run.finished_at.as_deref().and_then(parse_job_time).unwrap_or(now);
    let groups: Vec<GroupRecovery> = run
        .groups()
        .map(|(at, g)| {
            let ended = g.job_end_time.as_deref().or(g.finished_at.as_deref()).and_then(parse_job_time);
            GroupRecovery {
                stage: at.stage,
                server_group_id: g.server_group_id.clone(),
                name: g.name.clone(),
                critical: g.critical,
                status: g.status,
                job_id: g.job_id.clone(),
                recovery_millis: ended.filter(|_| g.status == GroupRunStatus::Succeeded).map(|t| (t - start).max(0)),
            }
        })
        .collect();
    let gates = run
        .stages
        .iter()
        .filter(|s| s.kind == StageKind::Gate)
        .map(|s| GateRecord {
            stage: s.index,
            text: s.text.clone().unwrap_or_default(),
            confirmed_by: s.confirmed_by.clone(),
            confirmed_with: s.confirmed_with.clone(),
            confirmed_at: s.confirmed_at.clone(),
        })
        .collect();
    Evidence {
        generated_at: job_time(now),
        status: run.status,
        total_millis: (end - start).max(0),
        recovery_millis: groups.iter().filter_map(|g| g.recovery_millis).max(),
        groups,
        gates,
        audit_events: Vec::new(),
        run: run.clone(),
    }
}
