//! Preconditions of the group operations, evaluated on a snapshot: every blocking reason at once, each with its code and fix.

use serde::{Deserialize, Serialize};

use crate::action::GroupAction;
use crate::catalogue::{ErrorCode, SdrsCoded};
use crate::snapshot::{Intent, PowerState, SnapshotFacts};
use crate::state_machine::{resolve, Operation, StateError};
use crate::status::{wire_enum, FaultLevel, InstanceStatus};

wire_enum! {
    /// What a finding is about; stable identifiers for programs.
    FindingKind, "finding kind" {
        WrongStatus = "wrong-status",
        ServerDeletedNatively = "server-deleted-natively",
        InstanceInvalid = "instance-invalid",
        NoReplicationPairs = "no-replication-pairs",
        ReplicationLinkBroken = "replication-link-broken",
        ProductionDiskFault = "production-disk-fault",
        AlreadyProductionSite = "already-production-site",
        ProductionServerRunning = "production-server-running",
        ProductionServerStateUnknown = "production-server-state-unknown",
        DrServerRunning = "dr-server-running",
        DrServerStateUnknown = "dr-server-state-unknown",
        HasProtectedInstances = "has-protected-instances",
        HasReplicationPairs = "has-replication-pairs",
        HasDrills = "has-drills",
    }
}

wire_enum! {
    /// How a finding bears on the operation.
    Severity, "severity" {
        /// The service will refuse the operation.
        Blocking = "blocking",
        /// The snapshot cannot tell; the operator must check before submitting.
        Verify = "verify",
        /// Worth knowing; does not stop the operation.
        Info = "info",
    }
}

/// One reason an operation would be refused, or something to check first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Finding {
    pub kind: FindingKind,
    pub severity: Severity,
    pub code: ErrorCode,
    /// What is wrong, naming the resource.
    pub message: String,
    /// What to do about it.
    pub hint: String,
    /// The protected instance, pair or server concerned, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource_id: Option<String>,
}

/// The result of a pre-check.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Precheck {
    pub operation: Operation,
    /// True when nothing blocks; `Verify` findings may still ask the operator to check.
    pub allowed: bool,
    pub findings: Vec<Finding>,
}

impl Precheck {
    /// The findings that stop the operation.
    pub fn blocking(&self) -> impl Iterator<Item = &Finding> {
        self.findings.iter().filter(|f| f.severity == Severity::Blocking)
    }
}

/// Why a request for a group operation is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ActionRefused {
    /// The group's status does not accept the action at all.
    State(StateError),
    /// The status accepts it, but the pre-check found blocking reasons (every one of them).
    Blocked(Precheck),
}

impl std::fmt::Display for ActionRefused {
    /// The state machine's words, or every blocking reason's words with its code.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ActionRefused::State(error) => error.fmt(f),
            ActionRefused::Blocked(check) => {
                let reasons: Vec<String> = check.blocking().map(|r| format!("{} ({})", r.message, r.code)).collect();
                f.write_str(&reasons.join("; "))
            }
        }
    }
}

impl SdrsCoded for ActionRefused {
    /// The state machine's code, or the first blocking reason's.
    fn code(&self) -> ErrorCode {
        match self {
            ActionRefused::State(error) => error.code(),
            ActionRefused::Blocked(check) => check.blocking().next().map_or(ErrorCode::SDRS_1002, |first| first.code),
        }
    }
}

/// Turns a request into what it does: `action` (`None` for a delete) on the group of `snapshot` resolves to an intent
/// through the state machine, and the pre-check of that intent must find nothing blocking. The one place a request
/// is judged; the server refuses with its answer, the console disables and explains with it.
///
/// A server deleted through the native interface refuses every operation, whatever the group's status: that refusal
/// (with every other reason) comes first, because nothing else can be done until the protected instance is deleted.
pub fn decide(action: Option<GroupAction>, snapshot: &SnapshotFacts) -> Result<Intent, ActionRefused> {
    let status = snapshot.server_group.status;
    let intent = action.map_or(Intent::Delete, |action| Intent::from_action(action, status));
    let check = precheck(snapshot, intent);
    let deleted = check
        .findings
        .iter()
        .any(|f| matches!(f.kind, FindingKind::ServerDeletedNatively | FindingKind::InstanceInvalid));
    if !deleted {
        if let Some(action) = action {
            resolve(action, status).map_err(ActionRefused::State)?;
        }
    }
    if check.allowed {
        Ok(intent)
    } else {
        Err(ActionRefused::Blocked(check))
    }
}

/// Evaluates every precondition of `intent` on `snapshot` and returns all findings, blocking ones first.
pub fn precheck(snapshot: &SnapshotFacts, intent: Intent) -> Precheck {
    let operation = intent.operation();
    let mut findings = native_deletions(snapshot);
    status_findings(snapshot, operation, &mut findings);
    match intent {
        Intent::Enable => need_pairs(snapshot, operation, &mut findings),
        Intent::PlannedFailover { priority_station } => {
            need_pairs(snapshot, operation, &mut findings);
            if priority_station == snapshot.server_group.priority_station {
                findings.push(Finding {
                    kind: FindingKind::AlreadyProductionSite,
                    severity: Severity::Blocking,
                    code: ErrorCode::SDRS_0216,
                    message: format!(
                        "`{priority_station}` ({}) is already the production site",
                        snapshot.server_group.production_availability_zone()
                    ),
                    hint: format!(
                        "A planned failover moves production to the other site: request priority_station `{}`.",
                        priority_station.flipped()
                    ),
                    resource_id: None,
                });
            }
            server_power_findings(snapshot, SiteSide::Production, &mut findings);
        }
        Intent::Failover => {
            need_pairs(snapshot, operation, &mut findings);
            replication_fault_findings(snapshot, &mut findings);
        }
        Intent::Reprotect => server_power_findings(snapshot, SiteSide::Dr, &mut findings),
        Intent::Disable => {}
        Intent::Delete => emptiness_findings(snapshot, &mut findings),
    }
    findings.sort_by_key(|f| match f.severity {
        Severity::Blocking => 0,
        Severity::Verify => 1,
        Severity::Info => 2,
    });
    let allowed = !findings.iter().any(|f| f.severity == Severity::Blocking);
    Precheck { operation, allowed, findings }
}

fn status_findings(snapshot: &SnapshotFacts, operation: Operation, findings: &mut Vec<Finding>) {
    let status = snapshot.server_group.status;
    let transition = operation.transition();
    if transition.accepts(status) {
        return;
    }
    let allowed: Vec<&str> = transition.from.iter().map(|s| s.as_str()).collect();
    let others: Vec<&str> =
        crate::state_machine::allowed_operations(status).into_iter().map(Operation::as_str).collect();
    let hint = if status.is_transient() {
        format!("A job is running on the group (`{status}`); wait for it to finish, then check again.")
    } else if others.is_empty() {
        format!("Nothing can be done from `{status}`.")
    } else {
        format!("From `{status}` the group allows: {}.", others.join(", "))
    };
    findings.push(Finding {
        kind: FindingKind::WrongStatus,
        severity: Severity::Blocking,
        code: ErrorCode::SDRS_1002,
        message: format!("{operation} needs the group in {}; it is `{status}`", allowed.join(", ")),
        hint,
        resource_id: None,
    });
}

/// The seed's rule: "If the server at the production site or DR site in a protected instance is deleted using the
/// native interface, no operations can be performed on the protected instance or the protection group of the
/// protected instance." One blocking finding per instance whose server was deleted (`SDRS.1326`) or that shows
/// `invalid` (`SDRS.1314`, when the server facts are not known); every group operation is refused by them, and the
/// member operations `MemberOperation::native_deletion_rule` says.
pub fn native_deletions(snapshot: &SnapshotFacts) -> Vec<Finding> {
    let mut findings = Vec::new();
    for instance in &snapshot.protected_instances {
        let deleted: Vec<&str> = [&instance.source_server, &instance.target_server]
            .into_iter()
            .filter(|id| snapshot.server(id).is_some_and(|s| s.power_state == PowerState::Deleted))
            .map(String::as_str)
            .collect();
        if let Some(server_id) = deleted.first() {
            findings.push(Finding {
                kind: FindingKind::ServerDeletedNatively,
                severity: Severity::Blocking,
                code: ErrorCode::SDRS_1326,
                message: format!(
                    "server {server_id} of protected instance `{}` was deleted through the native interface",
                    instance.name
                ),
                hint: "No operation is possible on this protected instance or its group. Delete the protected \
                       instance (its remaining server stays), then run the operation again."
                    .to_owned(),
                resource_id: Some(instance.id.clone()),
            });
        } else if instance.status == InstanceStatus::Invalid {
            findings.push(Finding {
                kind: FindingKind::InstanceInvalid,
                severity: Severity::Blocking,
                code: ErrorCode::SDRS_1314,
                message: format!("protected instance `{}` is `invalid`: one of its servers was deleted", instance.name),
                hint: "No operation is possible on this protected instance or its group. Delete the protected \
                       instance, then run the operation again."
                    .to_owned(),
                resource_id: Some(instance.id.clone()),
            });
        }
    }
    findings
}

fn need_pairs(snapshot: &SnapshotFacts, operation: Operation, findings: &mut Vec<Finding>) {
    if snapshot.replication_count() == 0 {
        findings.push(Finding {
            kind: FindingKind::NoReplicationPairs,
            severity: Severity::Blocking,
            code: ErrorCode::SDRS_1002,
            message: format!("{operation} needs at least one replication pair; the group has none"),
            hint: "Create a replication pair for a disk of a protected server and attach it to its protected instance."
                .to_owned(),
            resource_id: None,
        });
    }
}

/// `fault_level` 5 (broken link) forbids a failover; 2 (production disk lost) is the case a failover is for.
fn replication_fault_findings(snapshot: &SnapshotFacts, findings: &mut Vec<Finding>) {
    for pair in &snapshot.replications {
        match pair.fault() {
            Some(FaultLevel::ReplicationLinkBroken) => findings.push(Finding {
                kind: FindingKind::ReplicationLinkBroken,
                severity: Severity::Blocking,
                code: ErrorCode::SDRS_1824,
                message: format!("the replication link of pair `{}` is broken (fault_level 5)", pair.name),
                hint: "A failover is not allowed while a replication link is broken. Contact customer service."
                    .to_owned(),
                resource_id: Some(pair.id.clone()),
            }),
            Some(FaultLevel::ProductionDiskFault) => findings.push(Finding {
                kind: FindingKind::ProductionDiskFault,
                severity: Severity::Info,
                code: ErrorCode::SDRS_1823,
                message: format!(
                    "the production-site disk of pair `{}` has no read/write access (fault_level 2)",
                    pair.name
                ),
                hint: "This is the situation a failover is for: it is advised.".to_owned(),
                resource_id: Some(pair.id.clone()),
            }),
            _ => {}
        }
    }
}

#[derive(Clone, Copy)]
enum SiteSide {
    Production,
    Dr,
}

/// A planned failover needs the production servers stopped; a re-protect needs the DR servers stopped.
fn server_power_findings(snapshot: &SnapshotFacts, side: SiteSide, findings: &mut Vec<Finding>) {
    let station = snapshot.server_group.priority_station;
    for instance in &snapshot.protected_instances {
        let server_id = match side {
            SiteSide::Production => instance.production_server(station),
            SiteSide::Dr => instance.dr_server(station),
        };
        let label =
            snapshot.server_name(server_id).map_or(server_id.to_owned(), |name| format!("{name} ({server_id})"));
        let (site, running_kind, unknown_kind, code) = match side {
            SiteSide::Production => (
                "production",
                FindingKind::ProductionServerRunning,
                FindingKind::ProductionServerStateUnknown,
                ErrorCode::SDRS_1319,
            ),
            SiteSide::Dr => {
                ("DR", FindingKind::DrServerRunning, FindingKind::DrServerStateUnknown, ErrorCode::SDRS_1342)
            }
        };
        let (kind, severity, message) = match snapshot.server(server_id).map(|s| s.power_state) {
            Some(PowerState::Stopped) | Some(PowerState::Deleted) => continue,
            Some(PowerState::Running) => (
                running_kind,
                Severity::Blocking,
                format!("current {site}-site server {label} of `{}` is running", instance.name),
            ),
            None => (
                unknown_kind,
                Severity::Verify,
                format!("the power state of current {site}-site server {label} of `{}` is not known", instance.name),
            ),
        };
        findings.push(Finding {
            kind,
            severity,
            code,
            message,
            hint: format!("Stop every current {site}-site server of the group, then submit."),
            resource_id: Some(server_id.to_owned()),
        });
    }
}

fn emptiness_findings(snapshot: &SnapshotFacts, findings: &mut Vec<Finding>) {
    let rows = [
        (snapshot.instance_count(), FindingKind::HasProtectedInstances, ErrorCode::SDRS_1001, "protected instance(s)"),
        (snapshot.replication_count(), FindingKind::HasReplicationPairs, ErrorCode::SDRS_1010, "replication pair(s)"),
        (snapshot.drill_count(), FindingKind::HasDrills, ErrorCode::SDRS_1003, "DR drill(s)"),
    ];
    for (count, kind, code, what) in rows {
        if count > 0 {
            findings.push(Finding {
                kind,
                severity: Severity::Blocking,
                code,
                message: format!("the group still has {count} {what}"),
                hint: format!("Delete its {what} first; a protection group can only be deleted empty."),
                resource_id: None,
            });
        }
    }
}
