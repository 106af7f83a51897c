//! What the pages show, computed without the DOM: badges, action buttons and their reasons, job steps, login rows.

use sdrs_core::snapshot::Intent;
use sdrs_core::state_machine::{allowed_operations, Operation};
use sdrs_core::status::{GroupStatus, PriorityStation};
use sdrs_core::timefmt::parse_job_time;
use sdrs_core::wire::Job;

/// How a status is shown: its words (never colour alone) and a style class.
pub fn badge_class(status: GroupStatus) -> &'static str {
    if status.is_transient() {
        "badge busy"
    } else if status.is_error() {
        "badge error"
    } else if status == GroupStatus::FailedOver {
        "badge warn"
    } else {
        "badge ok"
    }
}

/// What the operation page runs, named in its URL (`#/groups/{id}/do/{operation}`): a group operation, or a DR drill.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConsoleOperation {
    Group(Intent),
    Drill,
}

impl ConsoleOperation {
    /// Every operation the console offers, in the order of the group page's buttons.
    pub const ALL: [ConsoleOperation; 8] = [
        ConsoleOperation::Group(Intent::Enable),
        ConsoleOperation::Group(Intent::Reprotect),
        ConsoleOperation::Group(Intent::Disable),
        ConsoleOperation::Group(Intent::PlannedFailover { priority_station: PriorityStation::Target }),
        ConsoleOperation::Group(Intent::PlannedFailover { priority_station: PriorityStation::Source }),
        ConsoleOperation::Group(Intent::Failover),
        ConsoleOperation::Group(Intent::Delete),
        ConsoleOperation::Drill,
    ];

    /// The URL segment.
    pub fn slug(self) -> &'static str {
        match self {
            ConsoleOperation::Group(Intent::Enable) => "enable",
            ConsoleOperation::Group(Intent::Reprotect) => "re-protect",
            ConsoleOperation::Group(Intent::Disable) => "disable",
            ConsoleOperation::Group(Intent::PlannedFailover { priority_station: PriorityStation::Target }) => {
                "planned-failover-target"
            }
            ConsoleOperation::Group(Intent::PlannedFailover { priority_station: PriorityStation::Source }) => {
                "planned-failover-source"
            }
            ConsoleOperation::Group(Intent::Failover) => "failover",
            ConsoleOperation::Group(Intent::Delete) => "delete",
            ConsoleOperation::Drill => "drill",
        }
    }

    /// The button's and the page's title.
    pub fn label(self) -> &'static str {
        match self {
            ConsoleOperation::Group(Intent::Enable) => "Enable protection",
            ConsoleOperation::Group(Intent::Reprotect) => "Re-protect",
            ConsoleOperation::Group(Intent::Disable) => "Disable protection",
            ConsoleOperation::Group(Intent::PlannedFailover { priority_station: PriorityStation::Target }) => {
                "Planned failover to the DR site"
            }
            ConsoleOperation::Group(Intent::PlannedFailover { priority_station: PriorityStation::Source }) => {
                "Planned failover back"
            }
            ConsoleOperation::Group(Intent::Failover) => "Failover",
            ConsoleOperation::Group(Intent::Delete) => "Delete group",
            ConsoleOperation::Drill => "Create DR drill",
        }
    }
}

impl std::str::FromStr for ConsoleOperation {
    type Err = String;

    fn from_str(slug: &str) -> Result<ConsoleOperation, String> {
        ConsoleOperation::ALL
            .into_iter()
            .find(|operation| operation.slug() == slug)
            .ok_or_else(|| format!("unknown operation `{slug}`"))
    }
}

impl std::fmt::Display for ConsoleOperation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.slug())
    }
}

/// An action button: enabled by the core's state machine, or disabled with the reason.
#[derive(Debug, Clone, PartialEq)]
pub struct ActionButton {
    pub operation: ConsoleOperation,
    pub disabled_because: Option<String>,
}

/// The buttons of a group in `status` whose production site is `station`.
pub fn action_buttons(status: GroupStatus, station: PriorityStation) -> Vec<ActionButton> {
    let allowed = allowed_operations(status);
    ConsoleOperation::ALL
        .into_iter()
        .filter(|operation| match operation {
            // Offer the planned failover that moves production to the other site.
            ConsoleOperation::Group(Intent::PlannedFailover { priority_station }) => *priority_station != station,
            _ => true,
        })
        .map(|operation| {
            let disabled_because = match operation {
                ConsoleOperation::Drill => {
                    (!sdrs_core::state_machine::drill_allowed(status)).then(|| format!("No DR drill while `{status}`."))
                }
                ConsoleOperation::Group(intent) => {
                    (!allowed.contains(&intent.operation())).then(|| disabled_reason(intent.operation(), status))
                }
            };
            ActionButton { operation, disabled_because }
        })
        .collect()
}

fn disabled_reason(operation: Operation, status: GroupStatus) -> String {
    if status.is_transient() {
        return format!("A job is running (`{status}`).");
    }
    let from: Vec<&str> = operation.transition().from.iter().map(|s| s.as_str()).collect();
    format!("Not while `{status}`; needs {}.", from.join(", "))
}

/// One step of a job, as shown.
#[derive(Debug, Clone, PartialEq)]
pub struct StepRow {
    pub name: String,
    pub status: String,
    /// Seconds, one decimal.
    pub elapsed: Option<String>,
}

/// Seconds between two job timestamps, or until `now_ms` while running.
pub fn elapsed(begin: Option<&str>, end: Option<&str>, now_ms: i64) -> Option<String> {
    let begin = parse_job_time(begin?)?;
    let end = end.and_then(parse_job_time).unwrap_or(now_ms);
    Some(format!("{:.1} s", (end - begin).max(0) as f64 / 1000.0))
}

/// The sub-jobs of a job, or the job itself when it has none.
pub fn step_rows(job: &Job, now_ms: i64) -> Vec<StepRow> {
    let subs = job.entities.sub_jobs.as_deref().unwrap_or_default();
    let jobs: Vec<&Job> = if subs.is_empty() { vec![job] } else { subs.iter().collect() };
    jobs.into_iter()
        .map(|j| StepRow {
            name: j.job_type.clone(),
            status: j.status.to_string(),
            elapsed: elapsed(j.begin_time.as_deref(), j.end_time.as_deref(), now_ms),
        })
        .collect()
}

/// `done/total` steps finished successfully.
pub fn progress(job: &Job) -> (usize, usize) {
    let subs = job.entities.sub_jobs.as_deref().unwrap_or_default();
    let done = subs.iter().filter(|s| s.status == sdrs_core::status::JobStatus::Success).count();
    (done, subs.len())
}

pub use sdrs_core::guidance::{drill_login_rows, login_rows, LoginRow};

/// Why no guidance is shown: a first failover always leaves production at the creation-time DR site (`target`).
pub fn guidance_note(station: PriorityStation, first_time: bool) -> Option<&'static str> {
    (first_time && station == PriorityStation::Source).then_some(
        "Production is still at the original site, so no first planned failover or failover has happened. \
         Untick the box for a group that has failed over and back.",
    )
}

#[cfg(test)]
mod tests;

/// Something about a group that an operator should look at first.
#[derive(Debug, Clone, PartialEq)]
pub struct Attention {
    pub group_id: String,
    pub name: String,
    pub reason: String,
    /// The action that deals with it, when there is one the group allows now.
    pub action: Option<ConsoleOperation>,
}

/// The overview's figures: groups by status, what needs attention, what is running now.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct OverviewFacts {
    pub counts: Vec<(GroupStatus, usize)>,
    pub attention: Vec<Attention>,
    /// Groups whose status says a job runs on them now.
    pub running: Vec<(String, String, GroupStatus)>,
}

/// Computes the overview from the lists (and ECS's servers, where it can be read: natively deleted servers). A group
/// the console cannot read (a status the documentation does not list) needs attention too, instead of hiding the
/// overview behind one error.
pub fn overview(
    rows: &[crate::state::GroupRow],
    pairs: &[sdrs_core::wire::Replication],
    instances: &[sdrs_core::wire::ProtectedInstance],
    servers: Option<&[sdrs_core::wire::EcsServer]>,
) -> OverviewFacts {
    use crate::state::GroupRow;
    use sdrs_core::status::FaultLevel;
    let mut facts = OverviewFacts::default();
    let mut groups = Vec::new();
    for row in rows {
        match row {
            GroupRow::Group(group) => groups.push(&**group),
            GroupRow::Unreadable { id, name, reason } => facts.attention.push(Attention {
                group_id: id.clone(),
                name: name.clone(),
                reason: format!("this console cannot read it ({reason}); use the cloud's own console for it"),
                action: None,
            }),
        }
    }
    for status in GroupStatus::ALL {
        let count = groups.iter().filter(|g| g.status == *status).count();
        if count > 0 {
            facts.counts.push((*status, count));
        }
    }
    for group in groups {
        let first_action = || {
            action_buttons(group.status, group.priority_station).into_iter().find(|b| {
                b.disabled_because.is_none()
                    && !matches!(b.operation, ConsoleOperation::Drill | ConsoleOperation::Group(Intent::Delete))
            })
        };
        let mut note = |reason: String, action: Option<ConsoleOperation>| {
            facts.attention.push(Attention { group_id: group.id.clone(), name: group.name.clone(), reason, action })
        };
        if group.status.is_error() {
            note(format!("`{}`: its last operation failed", group.status), first_action().map(|b| b.operation));
        }
        for pair in pairs.iter().filter(|p| p.server_group_id == group.id) {
            match pair.fault_level.parse::<FaultLevel>() {
                Ok(FaultLevel::ReplicationLinkBroken) => note(
                    format!("replication link of pair `{}` broken (fault level 5): failover refused", pair.name),
                    None,
                ),
                Ok(FaultLevel::ProductionDiskFault) => note(
                    format!("production disk of pair `{}` lost (fault level 2): failover advised", pair.name),
                    Some(ConsoleOperation::Group(Intent::Failover)),
                ),
                _ => {}
            }
        }
        if let Some(servers) = servers {
            for instance in instances.iter().filter(|i| i.server_group_id == group.id) {
                for server in [&instance.source_server, &instance.target_server] {
                    // Gone from ECS's list, or kept there as deleted for a while.
                    let deleted = servers
                        .iter()
                        .find(|s| &s.id == server)
                        .is_none_or(|s| matches!(s.status.as_str(), "DELETED" | "SOFT_DELETED"));
                    if deleted {
                        note(
                            format!(
                                "server `{server}` of `{}` was deleted through the native interface",
                                instance.name
                            ),
                            None,
                        );
                    }
                }
            }
        }
        if group.status.is_transient() {
            facts.running.push((group.id.clone(), group.name.clone(), group.status));
        }
    }
    facts
}
