//! Native tests of the view logic.

use sdrs_core::guidance::RowAnswer;
use sdrs_core::login::{AfterOperation, Answer, LoginMethod, OsProfile, ServerRole};
use sdrs_core::profile::ServerProfile;
use sdrs_core::status::{GroupStatus, JobStatus, PriorityStation};
use sdrs_core::wire::{Job, JobEntities, ProtectedInstanceResponse};

use super::*;
use crate::state::tests::snapshot;
use crate::state::GroupRow;

#[test]
fn buttons_follow_the_state_machine_and_say_why() {
    let buttons = action_buttons(GroupStatus::Protected, PriorityStation::Source);
    let find = |slug| buttons.iter().find(|b| b.operation.slug() == slug).unwrap();
    assert_eq!(find("failover").disabled_because, None);
    assert_eq!(find("planned-failover-target").disabled_because, None);
    assert!(
        buttons.iter().all(|b| b.operation.slug() != "planned-failover-source"),
        "only the move to the other site is offered"
    );
    assert_eq!(
        find("enable").disabled_because.as_deref(),
        Some("Not while `protected`; needs available, error-starting.")
    );
    let busy = action_buttons(GroupStatus::FailingOver, PriorityStation::Source);
    assert!(busy.iter().all(|b| b.disabled_because.is_some()));
    assert_eq!(busy[0].disabled_because.as_deref(), Some("A job is running (`failing-over`)."));
    let failed_over = action_buttons(GroupStatus::FailedOver, PriorityStation::Target);
    let enabled: Vec<&str> =
        failed_over.iter().filter(|b| b.disabled_because.is_none()).map(|b| b.operation.slug()).collect();
    assert_eq!(enabled, ["re-protect", "delete", "drill"]);
}

#[test]
fn badges_have_words_and_classes() {
    assert_eq!(badge_class(GroupStatus::FailingOver), "badge busy");
    assert_eq!(badge_class(GroupStatus::ErrorFailingOver), "badge error");
    assert_eq!(badge_class(GroupStatus::Protected), "badge ok");
}

#[test]
fn steps_show_status_and_elapsed_time() {
    let sub = |name: &str, status, begin: Option<&str>, end: Option<&str>| Job {
        job_id: name.into(),
        job_type: name.into(),
        status,
        entities: JobEntities::default(),
        begin_time: begin.map(Into::into),
        end_time: end.map(Into::into),
        error_code: None,
        fail_reason: None,
    };
    let mut job = sub("failoverProtectionGroupNoCG", JobStatus::Running, Some("2026-11-28T04:00:00.000Z"), None);
    job.entities.sub_jobs = Some(vec![
        sub(
            "stopProductionServers",
            JobStatus::Success,
            Some("2026-11-28T04:00:00.000Z"),
            Some("2026-11-28T04:00:03.000Z"),
        ),
        sub("failoverReplicationPairs", JobStatus::Running, Some("2026-11-28T04:00:03.000Z"), None),
        sub("moveNics", JobStatus::Init, None, None),
    ]);
    let now = sdrs_core::timefmt::parse_job_time("2026-11-28T04:00:04.500Z").unwrap();
    let rows = step_rows(&job, now);
    assert_eq!(rows[0].elapsed.as_deref(), Some("3.0 s"));
    assert_eq!(rows[1].elapsed.as_deref(), Some("1.5 s"));
    assert_eq!(rows[2].elapsed, None);
    let at = |ms: i64| sdrs_core::timefmt::job_time(1_700_000_000_000 + ms);
    for (ms, shown) in [(0, "0.0 s"), (49, "0.0 s"), (50, "0.1 s"), (1_549, "1.5 s"), (61_950, "62.0 s")] {
        assert_eq!(elapsed(Some(&at(0)), Some(&at(ms)), 0).as_deref(), Some(shown), "{ms} ms");
    }
    assert_eq!(elapsed(Some(&at(5_000)), Some(&at(0)), 0).as_deref(), Some("0.0 s"), "a clock step back shows zero");
    assert_eq!(rows[1].status, "RUNNING");
    assert_eq!(progress(&job), (1, 3));
}

#[test]
fn operations_from_urls() {
    use sdrs_core::snapshot::Intent;
    assert_eq!("failover".parse(), Ok(ConsoleOperation::Group(Intent::Failover)));
    assert_eq!("drill".parse(), Ok(ConsoleOperation::Drill));
    assert!("nope".parse::<ConsoleOperation>().is_err());
    for operation in ConsoleOperation::ALL {
        assert_eq!(operation.to_string().parse(), Ok(operation), "{operation}: the URL segment round-trips");
    }
    let slugs: std::collections::BTreeSet<&str> = ConsoleOperation::ALL.iter().map(|o| o.slug()).collect();
    assert_eq!(slugs.len(), ConsoleOperation::ALL.len(), "one URL per operation");
}

#[test]
fn login_rows_after_a_failover_use_the_core_engine() {
    let mut snap = snapshot(GroupStatus::FailedOver, 1);
    snap.server_group.priority_station = PriorityStation::Target;
    let text = include_str!("../../../sdrs-core/tests/data/examples/constructed/protected-instance-show.json");
    let mut instance = serde_json::from_str::<ProtectedInstanceResponse>(text).unwrap().protected_instance;
    instance.source_server = "a".into();
    instance.target_server = "b".into();
    snap.protected_instances.push(instance);
    let windows = OsProfile::Windows { cloudbase_init: false };
    let profiles = vec![
        profile("a", "web-01", windows, LoginMethod::Password),
        profile("b", "web-01-dr", windows, LoginMethod::Password),
    ];
    let rows = login_rows(&snap, &profiles, AfterOperation::Failover, true);
    assert_eq!(rows.len(), 2);
    assert_eq!((rows[0].role, rows[0].server_name.as_str()), (ServerRole::Production, "web-01-dr"));
    let explanation = rows[0].answer.known().unwrap();
    let Answer::Use(advice) = &explanation.answer else { panic!() };
    assert_eq!(advice.credential.text, "the password of server A (web-01)");
    let unknown = login_rows(&snap, &[], AfterOperation::Failover, true);
    assert!(matches!(unknown[0].answer, RowAnswer::DependsOn { .. }), "unknown profiles: every case, not a guess");
}

#[test]
fn no_first_failover_guidance_while_production_is_at_source() {
    assert!(guidance_note(PriorityStation::Source, true).is_some());
    assert_eq!(guidance_note(PriorityStation::Source, false), None);
    assert_eq!(guidance_note(PriorityStation::Target, true), None);
}

#[test]
fn drill_servers_get_the_dr_site_rule() {
    let mut snap = snapshot(GroupStatus::Protected, 1);
    let text = include_str!("../../../sdrs-core/tests/data/examples/constructed/protected-instance-show.json");
    let mut instance = serde_json::from_str::<ProtectedInstanceResponse>(text).unwrap().protected_instance;
    instance.source_server = "a".into();
    snap.protected_instances.push(instance.clone());
    let drill_text = include_str!("../../../sdrs-core/tests/data/examples/constructed/drill-show.json");
    let mut drill = serde_json::from_str::<sdrs_core::wire::DisasterRecoveryDrillResponse>(drill_text)
        .unwrap()
        .disaster_recovery_drill;
    drill.drill_servers[0].protected_instance = instance.id.clone();
    let profiles =
        vec![profile("a", "db-01", OsProfile::Linux { coreos: false, cloud_init: false }, LoginMethod::KeyPair)];
    let rows = drill_login_rows(&snap, &drill, &profiles);
    assert_eq!(rows.len(), 1);
    let explanation = rows[0].answer.known().unwrap();
    assert!(explanation.rules().contains(&sdrs_core::seed::SeedRule::DrillAsDrSite));
    let Answer::Use(advice) = &explanation.answer else { panic!() };
    assert_eq!(advice.credential.text, "the key pair of server A (db-01), over SSH");
}

/// A server profile whose every fact is known.
fn profile(id: &str, name: &str, os: OsProfile, login: LoginMethod) -> ServerProfile {
    ServerProfile::known(id, Some(name), os, login, sdrs_core::snapshot::PowerState::Running, "a test")
}

#[test]
fn the_overview_counts_and_says_what_needs_attention_with_its_action() {
    use sdrs_core::wire::{ProtectedInstanceResponse, ReplicationResponse, ServerGroupResponse};
    let group = |id: &str, status: GroupStatus| {
        let text = include_str!("../../../sdrs-core/tests/data/examples/reference/server-group-show.json");
        let mut g = serde_json::from_str::<ServerGroupResponse>(text).unwrap().server_group;
        (g.id, g.name, g.status) = (id.to_owned(), format!("pg-{id}"), status);
        g
    };
    let groups = [
        group("ok", GroupStatus::Protected),
        group("bad", GroupStatus::ErrorFailingOver),
        group("busy", GroupStatus::FailingOver),
        group("link", GroupStatus::Protected),
    ];
    let pair_text = include_str!("../../../sdrs-core/tests/data/examples/constructed/replication-show.json");
    let mut pair = serde_json::from_str::<ReplicationResponse>(pair_text).unwrap().replication;
    (pair.server_group_id, pair.fault_level, pair.name) = ("link".into(), "5".into(), "rp-1".into());
    let instance_text = include_str!("../../../sdrs-core/tests/data/examples/constructed/protected-instance-show.json");
    let mut instance = serde_json::from_str::<ProtectedInstanceResponse>(instance_text).unwrap().protected_instance;
    (instance.server_group_id, instance.source_server, instance.target_server) = ("ok".into(), "a".into(), "b".into());
    let listed: sdrs_core::wire::EcsServer =
        serde_json::from_value(serde_json::json!({"id": "a", "name": "a", "status": "ACTIVE"})).unwrap();
    let rows: Vec<GroupRow> = groups.iter().cloned().map(|g| GroupRow::Group(Box::new(g))).collect();
    let facts = overview(&rows, &[pair], &[instance], Some(&[listed]));
    assert_eq!(
        facts.counts,
        [(GroupStatus::Protected, 2), (GroupStatus::FailingOver, 1), (GroupStatus::ErrorFailingOver, 1)]
    );
    let reasons: Vec<(&str, &str, Option<ConsoleOperation>)> =
        facts.attention.iter().map(|a| (a.group_id.as_str(), a.reason.as_str(), a.action)).collect();
    assert_eq!(reasons.len(), 3, "{reasons:?}");
    assert_eq!(reasons[0].0, "ok");
    assert!(reasons[0].1.contains("`b`") && reasons[0].1.contains("native interface"), "{reasons:?}");
    assert_eq!(
        (reasons[1].0, reasons[1].2),
        ("bad", Some(ConsoleOperation::Group(Intent::Failover))),
        "retry the failover"
    );
    assert!(reasons[2].1.contains("fault level 5") && reasons[2].2.is_none());
    assert_eq!(facts.running, [("busy".to_owned(), "pg-busy".to_owned(), GroupStatus::FailingOver)]);
    // Without ECS's list nothing is said about servers.
    assert_eq!(overview(&rows, &[], &[], None).attention.len(), 1);
    // A group the console cannot read needs attention; it hides nothing else.
    let mut with_legacy = rows.clone();
    with_legacy.push(GroupRow::Unreadable {
        id: "old".into(),
        name: "old-tier".into(),
        reason: "`failed-over-back` is not a valid protection group status".into(),
    });
    let facts = overview(&with_legacy, &[], &[], None);
    assert_eq!(facts.attention.len(), 2);
    let legacy = facts.attention.iter().find(|a| a.group_id == "old").expect("the unreadable group");
    assert!(legacy.reason.contains("cannot read it (`failed-over-back`") && legacy.action.is_none(), "{legacy:?}");
    assert_eq!(facts.counts.iter().map(|(_, n)| n).sum::<usize>(), 4, "counts are of the groups it can read");
}
