//! The member rules: each refusal alone, then all of one operation at once, in the order the service checks them.

use sdrs_core::login::{LoginMethod, OsProfile};
use sdrs_core::member_rules::{self, MemberCheck, MemberOperation, Missing, NativeDeletionRule};
use sdrs_core::snapshot::{GroupSnapshot, PowerState, ServerFacts, SnapshotFacts};
use sdrs_core::status::{DrillStatus, GroupStatus, InstanceStatus, PriorityStation, ReplicationStatus};
use sdrs_core::wire::{InstanceAttachment, NativeDisk, NativeServer, ReplicationAttachment};
use sdrs_core::ErrorCode;

use crate::util::{group, instance, pair};

fn codes(check: &MemberCheck) -> Vec<&'static str> {
    check.refusals.iter().map(|r| r.code.as_str()).collect()
}

/// The group's facts with no members: what the member rules read of a group.
fn alone(group: &sdrs_core::wire::ServerGroup) -> SnapshotFacts {
    GroupSnapshot {
        server_group: group.clone(),
        protected_instances: vec![],
        replications: vec![],
        disaster_recovery_drills: vec![],
        servers: vec![],
    }
    .facts()
}

fn protected() -> sdrs_core::wire::ServerGroup {
    group(GroupStatus::Protected, PriorityStation::Source)
}

fn server(group: &sdrs_core::wire::ServerGroup) -> NativeServer {
    NativeServer {
        id: "srv".into(),
        name: "srv".into(),
        availability_zone: group.source_availability_zone.clone(),
        vpc_id: group.source_vpc_id.clone(),
        os: OsProfile::Linux { coreos: false, cloud_init: true },
        login: LoginMethod::KeyPair,
        power_state: PowerState::Running,
        password_changed: false,
        protected_instance_id: None,
        image_id: None,
    }
}

#[test]
fn protecting_a_server() {
    let g = protected();
    let ok = server(&g);
    assert!(member_rules::protect_server(&alone(&g), Some(&ok), false).allowed());
    let busy = group(GroupStatus::FailingOver, PriorityStation::Source);
    let elsewhere = NativeServer { availability_zone: "other-az".into(), ..ok.clone() };
    let other_vpc = NativeServer { vpc_id: "other-vpc".into(), ..ok.clone() };
    let deleted = NativeServer { power_state: PowerState::Deleted, ..ok.clone() };
    let protected_already = NativeServer { protected_instance_id: Some("pi".into()), ..ok.clone() };
    let cases: [(&_, Option<&NativeServer>, bool, &[&str]); 7] = [
        (&busy, Some(&ok), false, &["SDRS.1323"]),
        (&g, None, false, &["SDRS.1326"]),
        (&g, Some(&deleted), false, &["SDRS.1326"]),
        (&g, Some(&elsewhere), false, &["SDRS.1303"]),
        (&g, Some(&other_vpc), false, &["SDRS.1304"]),
        (&g, Some(&protected_already), false, &["SDRS.1305"]),
        (&g, Some(&ok), true, &["SDRS.1305"]),
    ];
    for (group, server, in_use, expected) in cases {
        assert_eq!(codes(&member_rules::protect_server(&alone(group), server, in_use)), expected);
    }
    let everything = NativeServer { availability_zone: "x".into(), vpc_id: "y".into(), ..ok };
    let all = member_rules::protect_server(&alone(&busy), Some(&everything), true);
    assert_eq!(codes(&all), ["SDRS.1323", "SDRS.1303", "SDRS.1304", "SDRS.1305"], "every reason, in order");
    assert_eq!(all.operation, MemberOperation::ProtectServer);
}

#[test]
fn deleting_a_protected_instance() {
    let i = instance("i", "a", "b");
    assert!(member_rules::delete_instance(&protected(), &i).allowed());
    let running = group(GroupStatus::Starting, PriorityStation::Source);
    assert_eq!(codes(&member_rules::delete_instance(&running, &i)), ["SDRS.1324"]);
    let deleting = sdrs_core::wire::ProtectedInstance { status: InstanceStatus::Deleting, ..i };
    assert_eq!(codes(&member_rules::delete_instance(&protected(), &deleting)), ["SDRS.1301"]);
    assert_eq!(codes(&member_rules::delete_instance(&running, &deleting)), ["SDRS.1324", "SDRS.1301"]);
    use InstanceStatus::*;
    let job_running = [
        Creating,
        Deleting,
        NicCreating,
        NicDeleting,
        Starting,
        Reversing,
        FailingOver,
        Reprotecting,
        Stopping,
        Resizing,
    ];
    for status in InstanceStatus::ALL {
        let allowed = member_rules::INSTANCE_DELETABLE.contains(status);
        assert_eq!(allowed, !job_running.contains(status), "{status}: deletable exactly when no job runs on it");
    }
}

fn disk(group: &sdrs_core::wire::ServerGroup) -> NativeDisk {
    NativeDisk {
        id: "d".into(),
        name: "d".into(),
        size_gb: 10,
        volume_type: "SATA".into(),
        availability_zone: group.source_availability_zone.clone(),
        status: "in-use".into(),
        bootable: false,
        multiattach: false,
        server_id: None,
    }
}

#[test]
fn creating_a_replication_pair() {
    let g = protected();
    let ok = disk(&g);
    assert!(member_rules::create_pair(&alone(&g), Some(&ok), false).allowed());
    let busy = group(GroupStatus::Deleting, PriorityStation::Source);
    assert_eq!(codes(&member_rules::create_pair(&alone(&busy), Some(&ok), false)), ["SDRS.1002"]);
    assert_eq!(codes(&member_rules::create_pair(&alone(&g), None, false)), ["SDRS.1803"]);
    let broken = NativeDisk { status: "error".into(), ..ok.clone() };
    assert_eq!(codes(&member_rules::create_pair(&alone(&g), Some(&broken), false)), ["SDRS.1801"]);
    let elsewhere = NativeDisk { availability_zone: "other".into(), ..ok.clone() };
    assert_eq!(codes(&member_rules::create_pair(&alone(&g), Some(&elsewhere), false)), ["SDRS.1810"]);
    assert_eq!(codes(&member_rules::create_pair(&alone(&g), Some(&ok), true)), ["SDRS.1811"]);
    let worst = NativeDisk { status: "error".into(), availability_zone: "other".into(), ..ok };
    assert_eq!(
        codes(&member_rules::create_pair(&alone(&busy), Some(&worst), true)),
        ["SDRS.1002", "SDRS.1801", "SDRS.1810", "SDRS.1811"]
    );
}

#[test]
fn attaching_and_detaching() {
    let g = protected();
    let mut i = instance("i", "a", "b");
    i.server_group_id = g.id.clone();
    i.attachment.clear();
    let mut p = pair("p", "0");
    p.server_group_id = g.id.clone();
    p.attachment.clear();
    assert!(member_rules::attach_pair(&alone(&g), &i, &p, "/dev/vda").allowed());
    let other_group = sdrs_core::wire::Replication { server_group_id: "elsewhere".into(), ..p.clone() };
    assert_eq!(codes(&member_rules::attach_pair(&alone(&g), &i, &other_group, "/dev/vda")), ["SDRS.1611"]);
    let busy = group(GroupStatus::FailingOver, PriorityStation::Source);
    assert_eq!(codes(&member_rules::attach_pair(&alone(&busy), &i, &p, "/dev/vda")), ["SDRS.1002"]);
    let bad_instance = sdrs_core::wire::ProtectedInstance { status: InstanceStatus::Error, ..i.clone() };
    assert_eq!(codes(&member_rules::attach_pair(&alone(&g), &bad_instance, &p, "/dev/vda")), ["SDRS.1328"]);
    let bad_pair = sdrs_core::wire::Replication { status: ReplicationStatus::Error, ..p.clone() };
    assert_eq!(codes(&member_rules::attach_pair(&alone(&g), &i, &bad_pair, "/dev/vda")), ["SDRS.1601"]);
    let mut attached = p.clone();
    attached.attachment.push(ReplicationAttachment { device: "/dev/vdb".into(), protected_instance: "x".into() });
    assert_eq!(codes(&member_rules::attach_pair(&alone(&g), &i, &attached, "/dev/vda")), ["SDRS.1605"]);
    let mut device_taken = i.clone();
    device_taken.attachment.push(InstanceAttachment { replication: "q".into(), device: "/dev/vda".into() });
    assert_eq!(codes(&member_rules::attach_pair(&alone(&g), &device_taken, &p, "/dev/vda")), ["SDRS.1603"]);

    // Detach: the pair must be attached to this instance, and no job may run on the group.
    assert_eq!(codes(&member_rules::detach_pair(&g, &i, &p)), ["SDRS.1604"]);
    let mut with_pair = i.clone();
    with_pair.attachment.push(InstanceAttachment { replication: p.id.clone(), device: "/dev/vda".into() });
    assert!(member_rules::detach_pair(&g, &with_pair, &p).allowed());
    assert_eq!(codes(&member_rules::detach_pair(&busy, &i, &p)), ["SDRS.1604", "SDRS.1002"]);
}

#[test]
fn expanding_and_deleting_a_pair() {
    let mut p = pair("p", "0");
    p.status = ReplicationStatus::Protected;
    p.attachment.clear();
    let size = p.record_metadata.volume_size;
    assert!(member_rules::expand_pair(&alone(&protected()), &p, size + 1).allowed());
    assert_eq!(codes(&member_rules::expand_pair(&alone(&protected()), &p, size)), ["SDRS.0201"]);
    let busy = sdrs_core::wire::Replication { status: ReplicationStatus::Attaching, ..p.clone() };
    assert_eq!(codes(&member_rules::expand_pair(&alone(&protected()), &busy, size)), ["SDRS.1601", "SDRS.0201"]);
    use member_rules::status_after_expand as after;
    assert_eq!(after(ReplicationStatus::Protected, GroupStatus::Protected), ReplicationStatus::Protected);
    assert_eq!(after(ReplicationStatus::ErrorExtending, GroupStatus::Protected), ReplicationStatus::Protected);
    assert_eq!(after(ReplicationStatus::ErrorExtending, GroupStatus::Available), ReplicationStatus::Available);

    let g = protected();
    assert!(member_rules::delete_pair(&g, &p).allowed());
    let failed = group(GroupStatus::Error, PriorityStation::Source);
    let mut attached = p.clone();
    attached.attachment.push(ReplicationAttachment { device: "/dev/vda".into(), protected_instance: "i".into() });
    attached.status = ReplicationStatus::Deleting;
    assert_eq!(codes(&member_rules::delete_pair(&failed, &attached)), ["SDRS.1002", "SDRS.1605", "SDRS.1601"]);
}

#[test]
fn drills() {
    let g = protected();
    assert!(member_rules::create_drill(&alone(&g), None).allowed());
    assert!(member_rules::create_drill(&alone(&g), Some("drill-vpc")).allowed());
    assert_eq!(codes(&member_rules::create_drill(&alone(&g), Some(&g.source_vpc_id.clone()))), ["SDRS.1907"]);
    let busy = group(GroupStatus::FailingOver, PriorityStation::Source);
    assert_eq!(
        codes(&member_rules::create_drill(&alone(&busy), Some(&g.source_vpc_id.clone()))),
        ["SDRS.1002", "SDRS.1907"]
    );
    let text = include_str!("../data/examples/constructed/drill-show.json");
    let mut drill =
        serde_json::from_str::<sdrs_core::wire::DisasterRecoveryDrillResponse>(text).unwrap().disaster_recovery_drill;
    for (status, allowed) in [
        (DrillStatus::Available, true),
        (DrillStatus::Error, true),
        (DrillStatus::ErrorDeleting, true),
        (DrillStatus::Creating, false),
        (DrillStatus::Deleting, false),
    ] {
        drill.status = status;
        assert_eq!(member_rules::delete_drill(&drill).allowed(), allowed, "{status}");
    }
}

#[test]
fn missing_ids_and_job_outcomes() {
    assert_eq!(Missing::Group.code(), ErrorCode::SDRS_1013);
    assert_eq!(Missing::Pair.refusal("p1").detail, "no replication pair `p1` in this project");
    assert_eq!(Missing::Job.refusal("j").detail, "job `j` not found");
    let create = sdrs_core::state_machine::Operation::Create.transition();
    assert_eq!(MemberOperation::CreateGroup.failure_code(), create.failure_code, "the state machine's, not a copy");
    assert_eq!(MemberOperation::CreateGroup.task_centre_labels(), (create.failure_status, "server_groups"));
    for operation in MemberOperation::ALL.iter().filter(|o| **o != MemberOperation::CreateGroup) {
        let code = operation.failure_code();
        assert!(code.message().starts_with("Failed to") || code.message().contains("failure"), "{operation}: {code:?}");
        let (failure_status, resource_type) = operation.task_centre_labels();
        assert!(failure_status.ends_with("Fail") && !resource_type.is_empty(), "{operation}");
    }
}

/// The seed: "If the server at the production site or DR site in a protected instance is deleted using the native
/// interface, no operations can be performed on the protected instance or the protection group of the protected
/// instance." Every member operation that adds to the group or acts on its replication is refused with the deleted
/// server named; those that take things out of the group, the only way to free it, are allowed.
#[test]
fn a_natively_deleted_server_refuses_what_adds_to_its_group() {
    let g = protected();
    let mut i = instance("i", "srv-a", "srv-b");
    i.server_group_id = g.id.clone();
    i.attachment.clear();
    let mut p = pair("p", "0");
    p.server_group_id = g.id.clone();
    p.attachment.clear();
    let mut snapshot = GroupSnapshot {
        server_group: g.clone(),
        protected_instances: vec![i.clone()],
        replications: vec![p.clone()],
        disaster_recovery_drills: vec![],
        servers: vec![ServerFacts { id: "srv-b".into(), name: None, power_state: PowerState::Deleted }],
    };
    let damaged = snapshot.facts();
    let new_server = NativeServer { id: "new".into(), ..server(&g) };
    let size = p.record_metadata.volume_size;
    let refused = [
        member_rules::protect_server(&damaged, Some(&new_server), false),
        member_rules::create_pair(&damaged, Some(&disk(&g)), false),
        member_rules::attach_pair(&damaged, &i, &p, "/dev/vdb"),
        member_rules::expand_pair(&damaged, &p, size + 1),
        member_rules::create_drill(&damaged, None),
    ];
    for check in &refused {
        assert_eq!(check.operation.native_deletion_rule(), NativeDeletionRule::Refused);
        assert_eq!(codes(check), ["SDRS.1326"], "{}", check.operation);
        assert!(check.refusals[0].detail.contains("srv-b"), "the deleted server is named: {:?}", check.refusals);
    }
    // Without server facts (a real endpoint that has not said), the instance's `invalid` status tells the same.
    snapshot.servers.clear();
    snapshot.protected_instances[0].status = InstanceStatus::Invalid;
    assert_eq!(codes(&member_rules::create_drill(&snapshot.facts(), None)), ["SDRS.1314"]);
    // Nothing deleted: allowed.
    assert!(member_rules::create_drill(&alone(&g), None).allowed());
    let mut refused_operations: Vec<MemberOperation> = refused.iter().map(|c| c.operation).collect();
    refused_operations.sort();
    let ruled: Vec<MemberOperation> = MemberOperation::ALL
        .iter()
        .copied()
        .filter(|o| o.native_deletion_rule() == NativeDeletionRule::Refused)
        .collect();
    assert_eq!(refused_operations, ruled, "each operation the rule refuses is checked above");
    for operation in MemberOperation::ALL.iter().filter(|o| !ruled.contains(o)) {
        let NativeDeletionRule::Allowed(why) = operation.native_deletion_rule() else { unreachable!() };
        assert!(!why.is_empty(), "{operation}: an allowed operation says why");
    }
}
