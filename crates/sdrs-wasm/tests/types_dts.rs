//! `src/types.d.ts` and `src/plan.d.ts` are written by hand; this test holds them to the Rust types they describe, so
//! drift fails here and the modules gain no bytes: every string union against the core enum's `ALL`, every
//! interface's fields against the keys of a value the core really serializes (or, for the snapshot's inputs, the API's
//! own objects).

use std::collections::BTreeSet;

use serde_json::{json, Value};

/// Both modules' declarations, read as one (the plan module's name the rules module's types).
const DTS: &str = concat!(include_str!("../src/types.d.ts"), include_str!("../src/plan.d.ts"));

/// The text of `export type NAME = …;` or `export interface NAME { … }` (or `NAME<T>`), comments removed.
fn declaration(name: &str) -> String {
    let text = strip_comments(DTS);
    let prefixes =
        [format!("export type {name} ="), format!("export interface {name} "), format!("export interface {name}<")];
    for prefix in prefixes {
        if let Some(start) = text.find(&prefix) {
            let rest = &text[start + prefix.len()..];
            return if prefix.contains("interface") {
                braced(rest)
            } else {
                rest[..rest.find(";\n").unwrap()].to_owned()
            };
        }
    }
    panic!("the declarations declare no `{name}`");
}

fn strip_comments(text: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(start) = rest.find("/*") {
        out.push_str(&rest[..start]);
        rest = &rest[start + rest[start..].find("*/").unwrap() + 2..];
    }
    out.push_str(rest);
    out.lines().filter(|line| !line.trim_start().starts_with("//")).collect::<Vec<_>>().join("\n")
}

/// The inside of the first `{ … }` of `text`.
fn braced(text: &str) -> String {
    let open = text.find('{').unwrap();
    let mut depth = 0;
    for (i, c) in text[open..].char_indices() {
        match c {
            '{' => depth += 1,
            '}' => {
                depth -= 1;
                if depth == 0 {
                    return text[open + 1..open + i].to_owned();
                }
            }
            _ => {}
        }
    }
    panic!("unbalanced braces");
}

/// The quoted strings of a type's text: the members of a string union.
fn quoted(text: &str) -> BTreeSet<String> {
    text.split('"').skip(1).step_by(2).map(str::to_owned).collect()
}

/// An interface's top-level members: (name, optional, type text). Index signatures are left out.
fn members(name: &str) -> Vec<(String, bool, String)> {
    let body = declaration(name);
    let (mut members, mut depth, mut current) = (Vec::new(), 0, String::new());
    for c in body.chars() {
        match c {
            '{' | '(' | '[' => depth += 1,
            '}' | ')' | ']' => depth -= 1,
            _ => {}
        }
        if c == ';' && depth == 0 {
            members.push(std::mem::take(&mut current));
        } else {
            current.push(c);
        }
    }
    members.push(current);
    members
        .iter()
        .map(|m| m.trim())
        .filter(|m| !m.is_empty() && !m.starts_with('['))
        .map(|m| {
            let (field, ty) = m.split_once(':').unwrap();
            let optional = field.trim().ends_with('?');
            (field.trim().trim_end_matches('?').to_owned(), optional, ty.trim().to_owned())
        })
        .collect()
}

fn field_type(interface: &str, field: &str) -> String {
    members(interface).into_iter().find(|(name, ..)| name == field).map(|(.., ty)| ty).unwrap()
}

/// Every key `value` has is declared, and every required declared field is present.
#[track_caller]
fn assert_fields(interface: &str, value: &Value) {
    let keys: BTreeSet<String> =
        value.as_object().unwrap_or_else(|| panic!("{interface}: {value}")).keys().cloned().collect();
    let declared = members(interface);
    let names: BTreeSet<String> = declared.iter().map(|(name, ..)| name.clone()).collect();
    let required: BTreeSet<String> =
        declared.iter().filter(|(_, optional, _)| !optional).map(|(n, ..)| n.clone()).collect();
    let undeclared: Vec<&String> = keys.difference(&names).collect();
    let unsent: Vec<&String> = required.difference(&keys).collect();
    assert!(undeclared.is_empty(), "{interface}: the core sends {undeclared:?}, which the declarations do not declare");
    assert!(unsent.is_empty(), "{interface}: the declarations require {unsent:?}, which the core does not send");
}

#[track_caller]
fn assert_union(text: &str, rust: impl IntoIterator<Item = &'static str>) {
    let rust: BTreeSet<String> = rust.into_iter().map(str::to_owned).collect();
    assert_eq!(quoted(text), rust);
}

#[test]
fn string_unions_are_the_core_enums() {
    use sdrs_core::login::{AfterOperation, CloudbaseInitState, CredentialKind, CredentialVersion, Discrepancy};
    use sdrs_core::login::{LoginMethod, ServerRole, StepAction};
    use sdrs_core::status::{DrillStatus, GroupStatus, InstanceStatus, PriorityStation, ReplicationStatus};
    assert_union(&declaration("GroupStatus"), GroupStatus::ALL.iter().map(|s| s.as_str()));
    assert_union(&declaration("InstanceStatus"), InstanceStatus::ALL.iter().map(|s| s.as_str()));
    assert_union(&declaration("ReplicationStatus"), ReplicationStatus::ALL.iter().map(|s| s.as_str()));
    assert_union(&declaration("DrillStatus"), DrillStatus::ALL.iter().map(|s| s.as_str()));
    assert_union(&declaration("PriorityStation"), PriorityStation::ALL.iter().map(|s| s.as_str()));
    assert_union(&declaration("Operation"), sdrs_core::state_machine::Operation::ALL.iter().map(|s| s.as_str()));
    assert_union(&declaration("FindingKind"), sdrs_core::precheck::FindingKind::ALL.iter().map(|s| s.as_str()));
    assert_union(&declaration("LoginMethod"), LoginMethod::ALL.iter().map(|s| s.as_str()));
    assert_union(&declaration("ServerRole"), ServerRole::ALL.iter().map(|s| s.as_str()));
    assert_union(&declaration("ValidatedAction"), sdrs_core::action::ACTION_KEYS);
    assert_union(&field_type("Finding", "severity"), sdrs_core::precheck::Severity::ALL.iter().map(|s| s.as_str()));
    assert_union(&field_type("LoginQuestion", "after"), AfterOperation::ALL.iter().map(|s| s.as_str()));
    assert_union(&field_type("LoginQuestion", "cloudbase_init"), CloudbaseInitState::ALL.iter().map(|s| s.as_str()));
    assert_union(&field_type("Credential", "kind"), CredentialKind::ALL.iter().map(|s| s.as_str()));
    assert_union(&field_type("Credential", "version"), CredentialVersion::ALL.iter().map(|s| s.as_str()));
    assert_union(&field_type("Step", "action"), StepAction::ALL.iter().map(|s| s.as_str()));
    assert_union(&field_type("LoginExplanation", "discrepancies"), Discrepancy::ALL.iter().map(|s| s.as_str()));
    assert_union(
        &field_type("ServerFacts", "power_state"),
        sdrs_core::snapshot::PowerState::ALL.iter().map(|s| s.as_str()),
    );
    assert_union(&declaration("RunMode"), sdrs_core::plan::RunMode::ALL.iter().map(|s| s.as_str()));
    assert_union(&declaration("StageKind"), sdrs_core::plan::StageKind::ALL.iter().map(|s| s.as_str()));
    assert_union(
        &declaration("PlanFindingKind"),
        sdrs_core::plan::check::PlanFindingKind::ALL.iter().map(|s| s.as_str()),
    );
    assert_union(&field_type("PlanFinding", "severity"), sdrs_core::precheck::Severity::ALL.iter().map(|s| s.as_str()));
    // Intent: the operations its variants serialize with.
    use sdrs_core::snapshot::Intent;
    let intents = [
        Intent::Enable,
        Intent::Reprotect,
        Intent::Disable,
        Intent::PlannedFailover { priority_station: PriorityStation::Target },
        Intent::Failover,
        Intent::Delete,
    ];
    let operations: BTreeSet<String> =
        intents.iter().map(|i| serde_json::to_value(i).unwrap()["operation"].as_str().unwrap().to_owned()).collect();
    assert_eq!(quoted(&declaration("Intent")), operations);
}

/// A group with one instance on servers `a`/`b` and one pair, as the API shows them.
fn snapshot() -> Value {
    let group = include_str!("../../sdrs-core/tests/data/examples/reference/server-group-show.json");
    let instance = include_str!("../../sdrs-core/tests/data/examples/constructed/protected-instance-show.json");
    let pair = include_str!("../../sdrs-core/tests/data/examples/constructed/replication-show.json");
    let drill = include_str!("../../sdrs-core/tests/data/examples/constructed/drill-show.json");
    let mut group: Value = serde_json::from_str::<Value>(group).unwrap()["server_group"].clone();
    group["status"] = json!("protected");
    json!({
        "server_group": group,
        "protected_instances": [serde_json::from_str::<Value>(instance).unwrap()["protected_instance"]],
        "replications": [serde_json::from_str::<Value>(pair).unwrap()["replication"]],
        "disaster_recovery_drills": [serde_json::from_str::<Value>(drill).unwrap()["disaster_recovery_drill"]],
        "servers": [{"id": "a", "name": "web-a", "power_state": "running"}],
    })
}

#[test]
fn interfaces_are_what_the_core_sends() {
    use sdrs_core::snapshot::{GroupSnapshot, Intent};
    let raw = snapshot();
    let facts = serde_json::from_value::<GroupSnapshot>(raw.clone()).unwrap().facts();

    let precheck = serde_json::to_value(sdrs_core::precheck::precheck(&facts, Intent::Delete)).unwrap();
    assert_fields("Precheck", &precheck);
    let finding = &precheck["findings"][0];
    assert!(finding.is_object(), "deleting a group with members finds something: {precheck}");
    assert_fields("Finding", finding);

    let swap = serde_json::to_value(sdrs_core::role_swap::preview(&facts, Intent::Failover)).unwrap();
    assert_fields("RoleSwap", &swap);
    assert_fields("SiteRoles", &swap["after"]);
    assert_fields("InstanceRoles", &swap["after"]["instances"][0]);
    assert_fields("ServerRef", &swap["after"]["instances"][0]["dr_server"]);

    for transition in sdrs_core::state_machine::TRANSITIONS {
        assert_fields("Transition", &serde_json::to_value(transition).unwrap());
    }

    let question = json!({"os": {"family": "windows", "cloudbase_init": false}, "login": "password",
        "after": "failover", "server": "production", "names": {"server_a": "web-a"}});
    let question: sdrs_core::login::LoginQuestion = serde_json::from_value(question).unwrap();
    let explanation = serde_json::to_value(sdrs_core::login::explain_login(&question).unwrap()).unwrap();
    assert_fields("LoginExplanation", &explanation);
    assert_fields("Citation", &explanation["citations"][0]);
    assert_eq!(explanation["answer"]["kind"], "use", "{explanation}");
    let mut advice = explanation["answer"].clone();
    advice.as_object_mut().unwrap().remove("kind");
    assert_fields("Advice", &advice);
    assert_fields("Credential", &advice["credential"]);

    // The snapshot's inputs: what the declarations require must be fields of the API's own objects.
    for (interface, object) in [
        ("GroupFacts", &raw["server_group"]),
        ("InstanceFacts", &raw["protected_instances"][0]),
        ("PairFacts", &raw["replications"][0]),
        ("DrillFacts", &raw["disaster_recovery_drills"][0]),
    ] {
        let keys: BTreeSet<&String> = object.as_object().unwrap().keys().collect();
        for (field, ..) in members(interface) {
            assert!(keys.contains(&field), "{interface}.{field} is not a field of the API's object");
        }
    }
    let server = serde_json::to_value(&facts.servers[0]).unwrap();
    assert_fields("ServerFacts", &server);

    // A plan check with a finding of each shape: a group's own, and the plan's own.
    let id = facts.server_group.id.clone();
    let plan: sdrs_core::plan::RecoveryPlan = serde_json::from_value(json!({"name": "p", "stages": [
        {"type": "groups", "groups": [{"server_group_id": id}, {"server_group_id": "gone"}]},
        {"type": "wait", "seconds": 5}, {"type": "gate", "text": "go?"}]}))
    .unwrap();
    let drill = serde_json::from_value(json!({"mode": "drill"})).unwrap();
    let check =
        serde_json::to_value(sdrs_core::plan::check::check_plan(&plan, &drill, std::slice::from_ref(&facts), &[]))
            .unwrap();
    assert_fields("PlanCheck", &check);
    for finding in check["findings"].as_array().unwrap() {
        assert_fields("PlanFinding", finding);
    }
    for stage in check["timeline"].as_array().unwrap() {
        assert_fields("TimelineStage", stage);
    }
    assert_fields("SimulatedGroup", &check["timeline"][0]["groups"][0]);
    let station = facts.server_group.priority_station.as_str();
    let failover = serde_json::from_value(json!({"mode": "planned-failover", "priority_station": station})).unwrap();
    let check = serde_json::to_value(sdrs_core::plan::check::check_plan(&plan, &failover, &[facts], &[])).unwrap();
    let group_finding = check["findings"].as_array().unwrap().iter().find(|f| f["precheck"].is_string()).unwrap();
    assert_fields("PlanFinding", group_finding);
    // The plan's own inputs round-trip through the declared shapes.
    assert_fields("RecoveryPlan", &serde_json::to_value(&plan).unwrap());
    assert_fields("PlanGroup", &serde_json::to_value(&plan.stages[0].groups()[0]).unwrap());

    // profileFromEcs: the profile as the core sends it, from inputs of the declared shapes.
    use sdrs_core::profile::{profile_from_cloud, Lookup};
    let server: sdrs_core::wire::EcsServer = serde_json::from_value(json!({"id": "s1", "name": "web-01",
        "status": "ACTIVE", "key_name": null, "image": {"id": "i1"}, "metadata": {"os_type": "Windows"}}))
    .unwrap();
    let image: sdrs_core::wire::ImsImage =
        serde_json::from_value(json!({"id": "i1", "name": "Standard_Windows", "__imagetype": "gold"})).unwrap();
    let profile =
        serde_json::to_value(profile_from_cloud("s1", Lookup::Found(&server), Some(Lookup::Found(&image)))).unwrap();
    assert_fields("ServerProfile", &profile);
    assert_fields("Inferred", &profile["family"]);
    assert_eq!(profile["family"]["value"], "windows", "{profile}");
    for (interface, object) in
        [("EcsServer", serde_json::to_value(&server).unwrap()), ("ImsImage", serde_json::to_value(&image).unwrap())]
    {
        let keys: BTreeSet<&String> = object.as_object().unwrap().keys().collect();
        for (field, ..) in members(interface) {
            assert!(keys.contains(&field), "{interface}.{field} is not a field of the service's object");
        }
    }
    assert_union(&field_type("ServerProfile", "family"), ["windows", "linux"]);
}
