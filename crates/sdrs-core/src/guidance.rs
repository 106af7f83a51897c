//! Login guidance for every server of a group after an operation: the login engine asked about each one, with the
//! OS profile of the server it was created from. The console's group page and a plan run's evidence both show it.

use crate::login::{
    explain_login, AfterOperation, CloudbaseInitState, LoginExplanation, LoginQuestion, ServerNames, ServerRole,
};
use crate::snapshot::GroupSnapshot;
use crate::wire::NativeServer;

/// Login guidance for one server of one instance.
#[derive(Debug, Clone, PartialEq)]
pub struct LoginRow {
    pub instance: String,
    pub server_id: String,
    pub role: ServerRole,
    pub server_name: String,
    pub explanation: Result<LoginExplanation, String>,
}

/// Guidance for every instance's production and DR server after `after`, where the profile is known.
///
/// The profile is server A's (the production server at creation); SDRS creates B as its copy.
pub fn login_rows(
    snapshot: &GroupSnapshot,
    inventory: &[NativeServer],
    after: AfterOperation,
    first_time: bool,
) -> Vec<LoginRow> {
    let station = snapshot.server_group.priority_station;
    let find = |id: &str| inventory.iter().find(|s| s.id == id);
    let mut rows = Vec::new();
    for instance in &snapshot.protected_instances {
        let Some(profile) = find(&instance.source_server) else { continue };
        let name_of = |id: &str| find(id).map(|s| s.name.clone()).unwrap_or_else(|| id.to_owned());
        for (role, server_id) in [
            (ServerRole::Production, instance.production_server(station)),
            (ServerRole::Dr, instance.dr_server(station)),
        ] {
            let question = LoginQuestion {
                os: profile.os,
                login: profile.login,
                after,
                first_time,
                server: role,
                production_site: Some(station),
                password_changed_before_failover: Some(profile.password_changed),
                cloudbase_init: CloudbaseInitState::Unknown,
                names: ServerNames {
                    server_a: Some(name_of(&instance.source_server)),
                    server_b: Some(name_of(&instance.target_server)),
                    drill_server: None,
                },
            };
            rows.push(LoginRow {
                instance: instance.name.clone(),
                server_id: server_id.to_owned(),
                role,
                server_name: name_of(server_id),
                explanation: explain_login(&question).map_err(|e| e.to_string()),
            });
        }
    }
    rows
}

/// Whether to take an operation that left production at `station` as the group's first planned failover or failover:
/// the first one always moves production to server B (`target`, Table 1), so production back at `source` means a
/// later one. An assumption where the history is not known (a group failed over twice is at `target` again).
pub fn assumed_first_time(station: crate::status::PriorityStation) -> bool {
    station == crate::status::PriorityStation::Target
}

/// [`login_rows`] after an operation whose history is not known, with [`assumed_first_time`].
pub fn login_rows_after(snapshot: &GroupSnapshot, inventory: &[NativeServer], after: AfterOperation) -> Vec<LoginRow> {
    login_rows(snapshot, inventory, after, assumed_first_time(snapshot.server_group.priority_station))
}

/// Guidance for every drill server of a drill: the seed treats them like the DR site server after a first failover.
pub fn drill_login_rows(
    snapshot: &GroupSnapshot,
    drill: &crate::wire::DisasterRecoveryDrill,
    inventory: &[NativeServer],
) -> Vec<LoginRow> {
    let find = |id: &str| inventory.iter().find(|s| s.id == id);
    let mut rows = Vec::new();
    for drill_server in &drill.drill_servers {
        let Some(instance) = snapshot.protected_instances.iter().find(|i| i.id == drill_server.protected_instance)
        else {
            continue;
        };
        let Some(profile) = find(&instance.source_server) else { continue };
        let name = find(&drill_server.drill_server_id).map_or(drill_server.drill_server_id.clone(), |s| s.name.clone());
        let question = LoginQuestion {
            os: profile.os,
            login: profile.login,
            after: AfterOperation::DrDrill,
            first_time: true,
            server: ServerRole::Drill,
            production_site: None,
            password_changed_before_failover: Some(profile.password_changed),
            cloudbase_init: CloudbaseInitState::Unknown,
            names: ServerNames {
                server_a: Some(profile.name.clone()),
                server_b: None,
                drill_server: Some(name.clone()),
            },
        };
        rows.push(LoginRow {
            instance: instance.name.clone(),
            server_id: drill_server.drill_server_id.clone(),
            role: ServerRole::Drill,
            server_name: name,
            explanation: explain_login(&question).map_err(|e| e.to_string()),
        });
    }
    rows
}
