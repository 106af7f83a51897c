//! The role swap: the seed's Table 1 computed for failover, planned failover and re-protect.

use sdrs_core::role_swap::{preview, SeedServer};
use sdrs_core::snapshot::Intent;
use sdrs_core::status::{GroupStatus as S, PriorityStation};

use crate::util::snapshot;

fn servers(roles: &sdrs_core::role_swap::SiteRoles) -> (SeedServer, &str, SeedServer, &str) {
    let instance = &roles.instances[0];
    (
        instance.production_server.seed,
        instance.production_server.name.as_deref().unwrap(),
        instance.dr_server.seed,
        instance.dr_server.name.as_deref().unwrap(),
    )
}

#[test]
fn first_failover_is_table_1() {
    let swap = preview(&snapshot(S::Protected, PriorityStation::Source).facts(), Intent::Failover);
    assert_eq!(servers(&swap.before), (SeedServer::A, "web-a", SeedServer::B, "web-b"));
    assert_eq!(servers(&swap.after), (SeedServer::B, "web-b", SeedServer::A, "web-a"));
    assert_eq!(swap.before.production_availability_zone, "eu-de-01");
    assert_eq!(swap.after.production_availability_zone, "eu-de-02");
    assert_eq!(swap.after.priority_station, PriorityStation::Target);
    assert!(swap.roles_change);
    assert_eq!(swap.statuses, [S::Protected, S::FailingOver, S::FailedOver]);
    assert_eq!(swap.on_failure, S::ErrorFailingOver);
}

#[test]
fn planned_failover_back_to_source() {
    let swap = preview(
        &snapshot(S::Protected, PriorityStation::Target).facts(),
        Intent::PlannedFailover { priority_station: PriorityStation::Source },
    );
    assert_eq!(servers(&swap.before).0, SeedServer::B);
    assert_eq!(servers(&swap.after).0, SeedServer::A);
    assert_eq!(swap.statuses, [S::Protected, S::Reversing, S::Protected]);
}

#[test]
fn reprotect_and_disable_keep_roles() {
    for (status, intent) in [(S::FailedOver, Intent::Reprotect), (S::Protected, Intent::Disable)] {
        let swap = preview(&snapshot(status, PriorityStation::Target).facts(), intent);
        assert!(!swap.roles_change);
        assert_eq!(swap.before, swap.after);
    }
}

#[test]
fn delete_ends_with_no_status() {
    let swap = preview(&snapshot(S::Available, PriorityStation::Source).facts(), Intent::Delete);
    assert_eq!(swap.statuses, [S::Available, S::Deleting]);
}
