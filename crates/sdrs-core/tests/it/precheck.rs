//! Pre-checks on snapshots: each precondition of the seed and the reference, and all reasons reported together.

use sdrs_core::precheck::{precheck, FindingKind, Severity};
use sdrs_core::snapshot::{Intent, PowerState, SnapshotFacts};
use sdrs_core::status::{GroupStatus as S, InstanceStatus, PriorityStation};

use crate::util::{pair, server, snapshot};

fn kinds(result: &sdrs_core::precheck::Precheck) -> Vec<(FindingKind, &'static str)> {
    result.findings.iter().map(|f| (f.kind, f.code.as_str())).collect()
}

#[test]
fn healthy_protected_group_may_fail_over() {
    let result = precheck(&snapshot(S::Protected, PriorityStation::Source).facts(), Intent::Failover);
    assert!(result.allowed);
    assert!(result.findings.is_empty());
}

#[test]
fn failover_reports_every_blocking_reason_at_once() {
    let mut snap = snapshot(S::Available, PriorityStation::Source);
    snap.replications.clear();
    snap.server_group.replication_num = 0;
    snap.servers[1].power_state = PowerState::Deleted;
    let result = precheck(&snap.facts(), Intent::Failover);
    assert!(!result.allowed);
    assert_eq!(
        kinds(&result),
        [
            (FindingKind::ServerDeletedNatively, "SDRS.1326"),
            (FindingKind::WrongStatus, "SDRS.1002"),
            (FindingKind::NoReplicationPairs, "SDRS.1002"),
        ],
        "the natively deleted server first: nothing else can be done until its instance is deleted"
    );
    assert!(result.findings.iter().all(|f| !f.hint.is_empty()));
    assert_eq!(result.findings[0].resource_id.as_deref(), Some("i1"));
    // Whatever the status, a request is refused with it first (not with the state machine's refusal alone).
    let refused = sdrs_core::precheck::decide(Some(sdrs_core::action::GroupAction::Failover), &snap.facts());
    assert_eq!(sdrs_core::SdrsCoded::code(&refused.unwrap_err()).as_str(), "SDRS.1326");
}

#[test]
fn group_counters_stand_in_for_missing_lists() {
    let mut snap = snapshot(S::Protected, PriorityStation::Source);
    snap.replications.clear();
    assert!(precheck(&snap.facts(), Intent::Failover).allowed, "replication_num = 1 still counts");
}

#[test]
fn invalid_instance_blocks_every_operation() {
    let mut snap = snapshot(S::Protected, PriorityStation::Source);
    snap.protected_instances[0].status = InstanceStatus::Invalid;
    for intent in
        [Intent::Failover, Intent::Disable, Intent::PlannedFailover { priority_station: PriorityStation::Target }]
    {
        let result = precheck(&snap.facts(), intent);
        assert!(
            result.blocking().any(|f| f.kind == FindingKind::InstanceInvalid && f.code.as_str() == "SDRS.1314"),
            "{intent:?}"
        );
    }
}

#[test]
fn broken_replication_link_forbids_failover() {
    let mut snap = snapshot(S::Protected, PriorityStation::Source);
    snap.replications.push(pair("r2", "5"));
    snap.replications.push(pair("r3", "2"));
    let result = precheck(&snap.facts(), Intent::Failover);
    assert!(!result.allowed);
    assert_eq!(
        kinds(&result),
        [(FindingKind::ReplicationLinkBroken, "SDRS.1824"), (FindingKind::ProductionDiskFault, "SDRS.1823")]
    );
    assert_eq!(result.findings[1].severity, Severity::Info);
    assert!(precheck(&snap.facts(), Intent::Disable).allowed, "the link only matters to failover");
}

#[test]
fn planned_failover_needs_production_servers_stopped() {
    let mut snap = snapshot(S::Protected, PriorityStation::Source);
    snap.servers[0].power_state = PowerState::Running; // srv-a, production at `source`
    let target = Intent::PlannedFailover { priority_station: PriorityStation::Target };
    let result = precheck(&snap.facts(), target);
    assert_eq!(kinds(&result), [(FindingKind::ProductionServerRunning, "SDRS.1319")]);
    assert!(result.findings[0].message.contains("web-a (srv-a)"), "{}", result.findings[0].message);

    snap.servers.clear();
    let result = precheck(&snap.facts(), target);
    assert!(result.allowed, "an unknown power state is the operator's to verify, not a block");
    assert_eq!(result.findings[0].severity, Severity::Verify);

    let result = precheck(
        &snapshot(S::Protected, PriorityStation::Source).facts(),
        Intent::PlannedFailover { priority_station: PriorityStation::Source },
    );
    assert_eq!(kinds(&result), [(FindingKind::AlreadyProductionSite, "SDRS.0216")]);
}

#[test]
fn reprotect_needs_dr_servers_stopped() {
    // After a failover to `target`, server B is production and server A is at the DR site.
    let mut snap = snapshot(S::FailedOver, PriorityStation::Target);
    snap.servers[0] = server("srv-a", "web-a", PowerState::Running);
    snap.servers[1] = server("srv-b", "web-b", PowerState::Running);
    let result = precheck(&snap.facts(), Intent::Reprotect);
    assert_eq!(kinds(&result), [(FindingKind::DrServerRunning, "SDRS.1342")]);
    assert_eq!(result.findings[0].resource_id.as_deref(), Some("srv-a"));
}

#[test]
fn delete_needs_an_empty_group() {
    let mut snap = snapshot(S::Available, PriorityStation::Source);
    snap.server_group.disaster_recovery_drill_num = 2;
    let result = precheck(&snap.facts(), Intent::Delete);
    assert_eq!(
        kinds(&result),
        [
            (FindingKind::HasProtectedInstances, "SDRS.1001"),
            (FindingKind::HasReplicationPairs, "SDRS.1010"),
            (FindingKind::HasDrills, "SDRS.1003"),
        ]
    );
    let mut empty = snapshot(S::Available, PriorityStation::Source);
    empty.protected_instances.clear();
    empty.replications.clear();
    empty.servers.clear();
    empty.server_group.protected_instance_num = 0;
    empty.server_group.replication_num = 0;
    assert!(precheck(&empty.facts(), Intent::Delete).allowed);
}

#[test]
fn enable_needs_a_pair_and_transient_status_says_wait() {
    let mut snap = snapshot(S::Available, PriorityStation::Source);
    snap.replications.clear();
    snap.server_group.replication_num = 0;
    assert_eq!(kinds(&precheck(&snap.facts(), Intent::Enable)), [(FindingKind::NoReplicationPairs, "SDRS.1002")]);
    let result = precheck(&snapshot(S::FailingOver, PriorityStation::Source).facts(), Intent::Failover);
    assert!(result.findings[0].hint.contains("wait"), "{}", result.findings[0].hint);
}

#[test]
fn snapshot_is_the_api_json() {
    let snap = snapshot(S::Protected, PriorityStation::Source);
    let json = serde_json::to_value(&snap).unwrap();
    let back: sdrs_core::snapshot::GroupSnapshot = serde_json::from_value(json.clone()).unwrap();
    assert_eq!(back, snap);
    let only_group = serde_json::json!({ "server_group": json["server_group"] });
    let parsed: sdrs_core::snapshot::GroupSnapshot = serde_json::from_value(only_group).unwrap();
    assert!(parsed.protected_instances.is_empty());
    let intent: Intent =
        serde_json::from_str(r#"{"operation": "planned-failover", "priority_station": "source"}"#).unwrap();
    assert_eq!(intent, Intent::PlannedFailover { priority_station: PriorityStation::Source });
}

#[test]
fn facts_read_from_the_full_api_json_equal_the_snapshot_facts() {
    let mut snap = snapshot(S::Protected, PriorityStation::Target);
    snap.servers.push(sdrs_core::snapshot::ServerFacts {
        id: "x".into(),
        name: None,
        power_state: PowerState::Deleted,
    });
    let json = serde_json::to_value(&snap).unwrap();
    let facts: SnapshotFacts = serde_json::from_value(json.clone()).unwrap();
    assert_eq!(facts, snap.facts());
    assert_eq!(precheck(&facts, Intent::Failover), precheck(&snap.facts(), Intent::Failover));
    // Fields the rules do not read are not checked; the ones they read are.
    let mut loose = json.clone();
    loose["server_group"]["progress"] = serde_json::json!("ten");
    loose["server_group"]["added_by_a_newer_service"] = serde_json::json!({"any": 1});
    assert_eq!(serde_json::from_value::<SnapshotFacts>(loose).unwrap(), facts);
    let mut wrong = json;
    wrong["server_group"]["replication_num"] = serde_json::json!("ten");
    assert!(serde_json::from_value::<SnapshotFacts>(wrong).is_err());
}

#[test]
fn intents_read_flat_and_refuse_what_is_not_a_group_operation() {
    for intent in [
        Intent::Enable,
        Intent::Reprotect,
        Intent::Disable,
        Intent::PlannedFailover { priority_station: PriorityStation::Target },
        Intent::Failover,
        Intent::Delete,
    ] {
        let json = serde_json::to_value(intent).unwrap();
        assert_eq!(serde_json::from_value::<Intent>(json).unwrap(), intent);
    }
    let read = |text: &str| serde_json::from_str::<Intent>(text).map_err(|e| e.to_string());
    assert_eq!(read(r#"{"operation": "failover", "priority_station": "source"}"#), Ok(Intent::Failover));
    let create = read(r#"{"operation": "create"}"#).unwrap_err();
    assert!(create.contains("`create` is not an operation on an existing group"), "{create}");
    let planned = read(r#"{"operation": "planned-failover"}"#).unwrap_err();
    assert!(planned.contains("missing field `priority_station`"), "{planned}");
    assert!(read(r#"{"operation": "explode"}"#).is_err());
    assert!(read(r#"{"priority_station": "source"}"#).is_err());
}

#[test]
fn one_decision_from_action_and_snapshot() {
    use sdrs_core::action::GroupAction;
    use sdrs_core::precheck::{decide, ActionRefused};
    use sdrs_core::SdrsCoded;
    let protected = snapshot(S::Protected, PriorityStation::Source);
    assert_eq!(decide(Some(GroupAction::Failover), &protected.facts()), Ok(Intent::Failover));
    let failed_over = snapshot(S::FailedOver, PriorityStation::Target);
    assert_eq!(
        decide(Some(GroupAction::Start), &failed_over.facts()),
        Ok(Intent::Reprotect),
        "start means re-protect here"
    );
    // The status does not take the action: the state machine's refusal.
    let refused = decide(Some(GroupAction::Start), &protected.facts()).unwrap_err();
    assert!(matches!(refused, ActionRefused::State(_)), "{refused:?}");
    assert_eq!(refused.code().as_str(), "SDRS.1002");
    // The status takes it, the snapshot does not: every blocking reason, the first one's code.
    let mut broken = snapshot(S::Protected, PriorityStation::Source);
    broken.replications[0].fault_level = "5".into();
    broken.servers.clear();
    let refused = decide(Some(GroupAction::Failover), &broken.facts()).unwrap_err();
    let ActionRefused::Blocked(check) = &refused else { panic!("{refused:?}") };
    assert_eq!(refused.code(), check.blocking().next().unwrap().code);
    assert!(refused.to_string().contains("(SDRS.1824)"), "{refused}");
    // Every intent's action resolves back to that intent, and a delete is no action.
    for (intent, status) in [
        (Intent::Enable, S::Available),
        (Intent::Reprotect, S::FailedOver),
        (Intent::Disable, S::Protected),
        (Intent::PlannedFailover { priority_station: PriorityStation::Target }, S::Protected),
        (Intent::Failover, S::Protected),
    ] {
        assert_eq!(Intent::from_action(intent.action().unwrap(), status), intent);
    }
    assert_eq!(Intent::Delete.action(), None);
}
