//! Round trips of every documented JSON example through the wire types.

use std::path::Path;

use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::Value;

use sdrs_core::action::parse_action;
use sdrs_core::wire::*;

fn round_trip<T: DeserializeOwned + Serialize>(value: &Value) -> Value {
    let typed: T = serde_json::from_value(value.clone()).expect("the example parses");
    serde_json::to_value(typed).unwrap()
}

fn reserialise(name: &str, value: &Value) -> Value {
    let stem = name.trim_end_matches(".json");
    match stem {
        s if s.starts_with("action-") => serde_json::to_value(
            parse_action(&serde_json::to_vec(value).unwrap()).expect("a documented action").to_body(),
        )
        .unwrap(),
        s if s.ends_with("-envelope") || s == "error-not-found" => round_trip::<ErrorEnvelope>(value),
        s if s.starts_with("job-id") => round_trip::<JobIdResponse>(value),
        s if s.starts_with("job-") => round_trip::<Job>(value),
        "server-group-show" => round_trip::<ServerGroupResponse>(value),
        "server-group-list" => round_trip::<ServerGroupList>(value),
        "protected-instance-show" => round_trip::<ProtectedInstanceResponse>(value),
        s if s.starts_with("replication-") => round_trip::<ReplicationResponse>(value),
        "drill-show" => round_trip::<DisasterRecoveryDrillResponse>(value),
        "domains" => round_trip::<ActiveDomainList>(value),
        "quotas" => round_trip::<QuotaResponse>(value),
        "versions" => round_trip::<ApiVersionList>(value),
        "version" => round_trip::<ApiVersionResponse>(value),
        "failure-jobs" => round_trip::<FailureJobList>(value),
        "gateway-error" => round_trip::<GatewayError>(value),
        "create-server-group" => round_trip::<CreateServerGroupRequest>(value),
        "rename-server-group" => round_trip::<UpdateServerGroupNameRequest>(value),
        "create-protected-instance" => round_trip::<CreateProtectedInstanceRequest>(value),
        "delete-protected-instance" => round_trip::<DeleteProtectedInstanceRequest>(value),
        "attach-replication" => round_trip::<AttachReplicationRequest>(value),
        "create-replication" => round_trip::<CreateReplicationRequest>(value),
        "expand-replication" => round_trip::<ExpandReplicationRequest>(value),
        "delete-replication" => round_trip::<DeleteReplicationRequest>(value),
        "create-drill" => round_trip::<CreateDrillRequest>(value),
        other => panic!("no type is mapped to example {other}; add it to reserialise()"),
    }
}

#[test]
fn every_example_round_trips() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/examples");
    let mut seen = 0;
    for dir in ["reference", "constructed"] {
        let mut entries: Vec<_> = std::fs::read_dir(root.join(dir)).unwrap().map(|e| e.unwrap().path()).collect();
        entries.sort();
        for path in entries {
            let name = path.file_name().unwrap().to_str().unwrap().to_owned();
            let value: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
            assert_eq!(reserialise(&name, &value), value, "{dir}/{name} changed in the round trip");
            seen += 1;
        }
    }
    assert_eq!(seen, 34, "every example file was checked");
}

#[test]
fn nulls_stay_null_and_absent_fields_stay_absent() {
    let text = include_str!("../data/examples/reference/job-failover-running.json");
    let job: Job = serde_json::from_str(text).unwrap();
    assert_eq!(job.end_time, None);
    let back = serde_json::to_value(&job).unwrap();
    assert_eq!(back["end_time"], Value::Null, "end_time is sent as null while running");
    assert!(back["entities"].get("sub_jobs").is_none(), "absent entities stay absent");
}

#[test]
fn volume_ids_is_one_comma_separated_string() {
    let text = include_str!("../data/examples/constructed/replication-show.json");
    let mut pair = serde_json::from_str::<ReplicationResponse>(text).unwrap().replication;
    assert_eq!(
        pair.volume_pair(),
        Some(("48dda0c0-c800-46f2-9728-a519ff783d35", "388b324a-a9d1-44a4-a00d-42085f22a9bc"))
    );
    for bad in ["", "one", "a,", ",b", "a,b,c"] {
        pair.volume_ids = bad.to_owned();
        assert_eq!(pair.volume_pair(), None, "{bad:?}");
    }
}

#[test]
fn every_error_wrapper_yields_its_body() {
    for text in [
        r#"{"error": {"message": "m", "code": "SDRS.1013"}}"#,
        r#"{"badrequest": {"message": "m", "code": "SDRS.1013"}}"#,
        r#"{"itemNotFound": {"message": "m", "code": "SDRS.1013"}}"#,
    ] {
        let envelope: ErrorEnvelope = serde_json::from_str(text).unwrap();
        assert_eq!(envelope.body(), &ErrorBody { message: "m".into(), code: "SDRS.1013".into() });
    }
}

#[test]
fn a_key_given_twice_in_one_object_is_refused_at_any_depth() {
    use sdrs_core::action::ActionError;
    use sdrs_core::request::{parse_body, RequestError};
    let twice = br#"{"failover-server-group": {}, "failover-server-group": {}}"#;
    let refused = parse_action(twice).unwrap_err();
    assert!(
        matches!(&refused, ActionError::Body(RequestError::MalformedJson { detail }) if detail.contains("`failover-server-group` appears twice")),
        "{refused:?}"
    );
    assert_eq!(sdrs_core::SdrsCoded::code(&refused), sdrs_core::ErrorCode::SDRS_0201);
    let nested = br#"{"server_group": {"name": "a", "name": "b"}}"#;
    assert!(matches!(parse_body::<serde_json::Value>(nested), Err(RequestError::MalformedJson { .. })));
    // The same keys in different objects, arrays and every JSON type still read as before.
    let fine = br#"{"a": {"k": 1}, "b": {"k": [1, -2, 3.5, "s", true, null, {"k": {}}]}}"#;
    assert_eq!(
        parse_body::<serde_json::Value>(fine).unwrap(),
        serde_json::json!({"a": {"k": 1}, "b": {"k": [1, -2, 3.5, "s", true, null, {"k": {}}]}})
    );
}
