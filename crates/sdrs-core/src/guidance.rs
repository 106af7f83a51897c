//! Login guidance for every server of a group after an operation: the login engine asked about each one, with the
//! profile of the server it was created from ([`ServerProfile`], from ECS and IMS). The console's group page, the CLI
//! and a plan run's evidence all show it.
//!
//! Where a fact the rules need is not known (a private image does not say whether Cloud-Init is installed), the
//! engine is asked once for each value the fact could have. If every answer is the same the row gives it; if not,
//! the row gives each answer with its condition and names the fact that decides: never a guess.

use crate::login::{
    explain_login, AfterOperation, Answer, CloudbaseInitState, LoginExplanation, LoginQuestion, ServerNames, ServerRole,
};
use crate::profile::ServerProfile;
use crate::snapshot::GroupSnapshot;

/// Login guidance for one server of one instance.
#[derive(Debug, Clone, PartialEq)]
pub struct LoginRow {
    pub instance: String,
    pub server_id: String,
    pub role: ServerRole,
    pub server_name: String,
    pub answer: RowAnswer,
    /// What is known of the profile the rules were asked with, each fact with its source.
    pub facts: Vec<String>,
}

/// The rules' answer for one server.
#[derive(Debug, Clone, PartialEq)]
pub enum RowAnswer {
    /// One answer, whatever the facts not known may be.
    Known(Box<LoginExplanation>),
    /// The answer depends on facts the services do not tell: `decided_by` names them; one answer per case.
    DependsOn { decided_by: String, cases: Vec<LoginCase> },
    /// The question cannot be put to the rules.
    Unanswered(String),
}

/// One answer of several, with the condition under which it holds.
#[derive(Debug, Clone, PartialEq)]
pub struct LoginCase {
    pub condition: String,
    pub explanation: LoginExplanation,
}

impl RowAnswer {
    /// The explanation when there is one answer.
    pub fn known(&self) -> Option<&LoginExplanation> {
        match self {
            RowAnswer::Known(explanation) => Some(explanation),
            _ => None,
        }
    }

    /// The answer in one paragraph: the explanation's summary, or each case's after its condition.
    pub fn summary(&self) -> String {
        match self {
            RowAnswer::Known(explanation) => explanation.summary.clone(),
            RowAnswer::DependsOn { decided_by, cases } => {
                let cases: Vec<String> =
                    cases.iter().map(|c| format!("{}: {}", capitalised(&c.condition), c.explanation.summary)).collect();
                format!("Depends on {decided_by}, which is not known. {}", cases.join(" "))
            }
            RowAnswer::Unanswered(why) => why.clone(),
        }
    }
}

fn capitalised(text: &str) -> String {
    let mut chars = text.chars();
    chars.next().map(|first| first.to_ascii_uppercase().to_string() + chars.as_str()).unwrap_or_default()
}

/// Asks the rules about `question` for every case of `profile`; the answers grouped into a row's answer.
fn answer_for(profile: &ServerProfile, question: impl Fn(&crate::profile::ProfileCase) -> LoginQuestion) -> RowAnswer {
    let mut answered: Vec<(String, LoginExplanation)> = Vec::new();
    for case in profile.cases() {
        match explain_login(&question(&case)) {
            Ok(explanation) => answered.push((case.assumptions.join(" and "), explanation)),
            Err(error) => return RowAnswer::Unanswered(error.to_string()),
        }
    }
    let first: &Answer = match answered.first() {
        Some((_, explanation)) => &explanation.answer,
        None => return RowAnswer::Unanswered("no case to ask about".to_owned()),
    };
    if answered.iter().all(|(_, explanation)| &explanation.answer == first) {
        let (_, explanation) = answered.swap_remove(0);
        return RowAnswer::Known(Box::new(explanation));
    }
    let mut unknown = Vec::new();
    if profile.family.value.is_none() {
        unknown.push("the OS");
    }
    if profile.coreos.value.is_none() && profile.family.value != Some(crate::login::OsFamily::Windows) {
        unknown.push("whether it is CoreOS");
    }
    if profile.init_installed.value.is_none() {
        unknown.push(match profile.family.value {
            Some(crate::login::OsFamily::Windows) => "whether Cloudbase-Init is installed",
            Some(crate::login::OsFamily::Linux) => "whether Cloud-Init is installed",
            None => "whether Cloud-Init or Cloudbase-Init is installed",
        });
    }
    if profile.login.value.is_none() {
        unknown.push("whether it was created with a password or a key pair");
    }
    // Cases with the same answer are said once, their conditions joined.
    let mut cases: Vec<LoginCase> = Vec::new();
    for (condition, explanation) in answered {
        match cases.iter_mut().find(|c| c.explanation.answer == explanation.answer) {
            Some(same) => same.condition = format!("{} or {condition}", same.condition),
            None => cases.push(LoginCase { condition, explanation }),
        }
    }
    RowAnswer::DependsOn { decided_by: unknown.join(", "), cases }
}

/// Guidance for every instance's production and DR server after `after`.
///
/// The profile is server A's (the production server at creation, `source_server`); SDRS creates B as its copy. A
/// server A with no profile in `profiles` gets an answer for every case.
pub fn login_rows(
    snapshot: &GroupSnapshot,
    profiles: &[ServerProfile],
    after: AfterOperation,
    first_time: bool,
) -> Vec<LoginRow> {
    let station = snapshot.server_group.priority_station;
    let find = |id: &str| profiles.iter().find(|p| p.server_id == id);
    let name_of = |id: &str| find(id).and_then(|p| p.name.clone()).unwrap_or_else(|| id.to_owned());
    let mut rows = Vec::new();
    for instance in &snapshot.protected_instances {
        let profile = profile_or_unknown(find(&instance.source_server), &instance.source_server);
        for (role, server_id) in [
            (ServerRole::Production, instance.production_server(station)),
            (ServerRole::Dr, instance.dr_server(station)),
        ] {
            let answer = answer_for(&profile, |case| LoginQuestion {
                os: case.os,
                login: case.login,
                after,
                first_time,
                server: role,
                production_site: Some(station),
                // Whether server A's password was changed before the failover: no service says.
                password_changed_before_failover: None,
                cloudbase_init: CloudbaseInitState::Unknown,
                names: ServerNames {
                    server_a: Some(name_of(&instance.source_server)),
                    server_b: Some(name_of(&instance.target_server)),
                    drill_server: None,
                },
            });
            rows.push(LoginRow {
                instance: instance.name.clone(),
                server_id: server_id.to_owned(),
                role,
                server_name: name_of(server_id),
                answer,
                facts: row_facts(&profile, find(server_id)),
            });
        }
    }
    rows
}

/// The facts a row was answered with: server A's profile (B and drill servers are its copies), with the power state
/// of the row's own server.
fn row_facts(profile_a: &ServerProfile, own: Option<&ServerProfile>) -> Vec<String> {
    let mut facts = profile_a.clone();
    facts.power_state = match own {
        Some(own) => own.power_state.clone(),
        None => crate::profile::Inferred::unknown("not read"),
    };
    facts.notes()
}

/// A profile that says nothing, for a server no service described.
fn profile_or_unknown(profile: Option<&ServerProfile>, server_id: &str) -> ServerProfile {
    profile.cloned().unwrap_or_else(|| {
        crate::profile::profile_from_cloud(server_id, crate::profile::Lookup::Failed("not read"), None)
    })
}

/// Whether to take an operation that left production at `station` as the group's first planned failover or failover:
/// the first one always moves production to server B (`target`, Table 1), so production back at `source` means a
/// later one. An assumption where the history is not known (a group failed over twice is at `target` again).
pub fn assumed_first_time(station: crate::status::PriorityStation) -> bool {
    station == crate::status::PriorityStation::Target
}

/// [`login_rows`] after an operation whose history is not known, with [`assumed_first_time`].
pub fn login_rows_after(snapshot: &GroupSnapshot, profiles: &[ServerProfile], after: AfterOperation) -> Vec<LoginRow> {
    login_rows(snapshot, profiles, after, assumed_first_time(snapshot.server_group.priority_station))
}

/// Guidance for every drill server of a drill: the seed treats them like the DR site server after a first failover.
pub fn drill_login_rows(
    snapshot: &GroupSnapshot,
    drill: &crate::wire::DisasterRecoveryDrill,
    profiles: &[ServerProfile],
) -> Vec<LoginRow> {
    let find = |id: &str| profiles.iter().find(|p| p.server_id == id);
    let mut rows = Vec::new();
    for drill_server in &drill.drill_servers {
        let Some(instance) = snapshot.protected_instances.iter().find(|i| i.id == drill_server.protected_instance)
        else {
            continue;
        };
        let profile = profile_or_unknown(find(&instance.source_server), &instance.source_server);
        let name = find(&drill_server.drill_server_id)
            .and_then(|p| p.name.clone())
            .unwrap_or_else(|| drill_server.drill_server_id.clone());
        let server_a = profile.name.clone().unwrap_or_else(|| instance.source_server.clone());
        let answer = answer_for(&profile, |case| LoginQuestion {
            os: case.os,
            login: case.login,
            after: AfterOperation::DrDrill,
            first_time: true,
            server: ServerRole::Drill,
            production_site: None,
            password_changed_before_failover: None,
            cloudbase_init: CloudbaseInitState::Unknown,
            names: ServerNames { server_a: Some(server_a.clone()), server_b: None, drill_server: Some(name.clone()) },
        });
        rows.push(LoginRow {
            instance: instance.name.clone(),
            server_id: drill_server.drill_server_id.clone(),
            role: ServerRole::Drill,
            facts: row_facts(&profile, find(&drill_server.drill_server_id)),
            server_name: name,
            answer,
        });
    }
    rows
}
