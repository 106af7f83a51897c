//! The role swap: which server of each protected instance is at the production and DR site before and after an operation.

use serde::{Deserialize, Serialize};

use crate::snapshot::{Intent, SnapshotFacts};
use crate::state_machine::Operation;
use crate::status::{wire_enum, GroupStatus, PriorityStation};

wire_enum! {
    /// A server in the seed's terms: A is the production server at creation (`source_server`),
    /// B the DR server SDRS created for it (`target_server`).
    SeedServer, "seed server" {
        A = "A",
        B = "B",
    }
}

impl SeedServer {
    /// The server at the production site when the group's production site is `station`.
    pub fn at_production(station: PriorityStation) -> SeedServer {
        match station {
            PriorityStation::Source => SeedServer::A,
            PriorityStation::Target => SeedServer::B,
        }
    }

    /// The other server of the instance.
    pub fn other(self) -> SeedServer {
        match self {
            SeedServer::A => SeedServer::B,
            SeedServer::B => SeedServer::A,
        }
    }
}

/// A server of a protected instance.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServerRef {
    pub id: String,
    #[serde(default)]
    pub name: Option<String>,
    pub seed: SeedServer,
}

/// The two servers of one instance in their current roles.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InstanceRoles {
    pub protected_instance_id: String,
    pub name: String,
    pub production_server: ServerRef,
    pub dr_server: ServerRef,
}

/// Site roles of a whole group at one moment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SiteRoles {
    pub priority_station: PriorityStation,
    pub production_availability_zone: String,
    pub dr_availability_zone: String,
    pub instances: Vec<InstanceRoles>,
}

/// Before and after an operation, like the seed's Table 1, plus the statuses the group passes through.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoleSwap {
    pub operation: Operation,
    pub before: SiteRoles,
    /// After the job succeeds.
    pub after: SiteRoles,
    /// Whether production and DR trade places.
    pub roles_change: bool,
    /// Current status, then the status while the job runs, then the status on success (absent when deleted).
    pub statuses: Vec<GroupStatus>,
    /// The status if the job fails.
    pub on_failure: GroupStatus,
}

/// Computes the roles of every instance's servers at `station`.
pub fn roles_at(snapshot: &SnapshotFacts, station: PriorityStation) -> SiteRoles {
    let group = &snapshot.server_group;
    let server =
        |id: &str, seed| ServerRef { id: id.to_owned(), name: snapshot.server_name(id).map(str::to_owned), seed };
    let (production_az, dr_az) = match station {
        PriorityStation::Source => (&group.source_availability_zone, &group.target_availability_zone),
        PriorityStation::Target => (&group.target_availability_zone, &group.source_availability_zone),
    };
    let production_seed = SeedServer::at_production(station);
    SiteRoles {
        priority_station: station,
        production_availability_zone: production_az.clone(),
        dr_availability_zone: dr_az.clone(),
        instances: snapshot
            .protected_instances
            .iter()
            .map(|instance| InstanceRoles {
                protected_instance_id: instance.id.clone(),
                name: instance.name.clone(),
                production_server: server(instance.production_server(station), production_seed),
                dr_server: server(instance.dr_server(station), production_seed.other()),
            })
            .collect(),
    }
}

/// Previews `intent` on `snapshot`: the roles before and after it succeeds.
pub fn preview(snapshot: &SnapshotFacts, intent: Intent) -> RoleSwap {
    let operation = intent.operation();
    let transition = operation.transition();
    let current = snapshot.server_group.priority_station;
    let next = transition.station_after(current, intent.requested_station());
    let mut statuses = vec![snapshot.server_group.status, transition.transient];
    statuses.extend(transition.success);
    RoleSwap {
        operation,
        before: roles_at(snapshot, current),
        after: roles_at(snapshot, next),
        roles_change: next != current,
        statuses,
        on_failure: transition.failure,
    }
}
