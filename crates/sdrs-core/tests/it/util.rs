//! Fixtures shared by the test modules: a protection group with instances, pairs and server facts.

use sdrs_core::snapshot::{GroupSnapshot, PowerState, ServerFacts};
use sdrs_core::status::{GroupStatus, PriorityStation};
use sdrs_core::wire::{ProtectedInstance, Replication, ServerGroup};

pub fn group(status: GroupStatus, station: PriorityStation) -> ServerGroup {
    let text = include_str!("../data/examples/reference/server-group-show.json");
    let mut group = serde_json::from_str::<sdrs_core::wire::ServerGroupResponse>(text).unwrap().server_group;
    group.status = status;
    group.priority_station = station;
    group
}

pub fn instance(id: &str, source: &str, target: &str) -> ProtectedInstance {
    let text = include_str!("../data/examples/constructed/protected-instance-show.json");
    let mut instance =
        serde_json::from_str::<sdrs_core::wire::ProtectedInstanceResponse>(text).unwrap().protected_instance;
    instance.id = id.to_owned();
    instance.name = format!("pi-{id}");
    instance.source_server = source.to_owned();
    instance.target_server = target.to_owned();
    instance
}

pub fn pair(id: &str, fault_level: &str) -> Replication {
    let text = include_str!("../data/examples/constructed/replication-show.json");
    let mut pair = serde_json::from_str::<sdrs_core::wire::ReplicationResponse>(text).unwrap().replication;
    pair.id = id.to_owned();
    pair.name = format!("rp-{id}");
    pair.fault_level = fault_level.to_owned();
    pair
}

pub fn server(id: &str, name: &str, power_state: PowerState) -> ServerFacts {
    ServerFacts { id: id.to_owned(), name: Some(name.to_owned()), power_state }
}

/// A group with one instance (servers A = `web-a`, B = `web-b`) and one healthy pair.
pub fn snapshot(status: GroupStatus, station: PriorityStation) -> GroupSnapshot {
    let mut group = group(status, station);
    group.protected_instance_num = 1;
    group.replication_num = 1;
    GroupSnapshot {
        server_group: group,
        protected_instances: vec![instance("i1", "srv-a", "srv-b")],
        replications: vec![pair("r1", "0")],
        disaster_recovery_drills: vec![],
        servers: vec![server("srv-a", "web-a", PowerState::Stopped), server("srv-b", "web-b", PowerState::Stopped)],
    }
}
