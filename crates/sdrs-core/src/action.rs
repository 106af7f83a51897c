//! The body of `POST /v1/{project_id}/server-groups/{id}/action`: exactly one of the four action keys.

use serde_json::{Map, Value};

use crate::catalogue::{ErrorCode, SdrsCoded};
use crate::request::{parse_object, RequestError};
use crate::status::PriorityStation;

/// The four action keys, the only ones any SDK or document uses.
pub const ACTION_KEYS: [&str; 4] =
    ["start-server-group", "stop-server-group", "reverse-server-group", "failover-server-group"];

/// An action requested on a protection group, as the body names it.
///
/// `Start` is "enable protection" from `available`/`error-starting` and "re-protect" from
/// `failed-over`/`error-reprotecting`; the state machine resolves which.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(tag = "action")]
pub enum GroupAction {
    /// `start-server-group`: enable protection, or re-protect after a failover.
    #[serde(rename = "start-server-group")]
    Start,
    /// `stop-server-group`: disable protection.
    #[serde(rename = "stop-server-group")]
    Stop,
    /// `reverse-server-group`: planned failover; the named site becomes the production site.
    #[serde(rename = "reverse-server-group")]
    Reverse { priority_station: PriorityStation },
    /// `failover-server-group`: failover to the current DR site.
    #[serde(rename = "failover-server-group")]
    Failover,
}

impl GroupAction {
    /// The body key that selects this action.
    pub fn key(self) -> &'static str {
        match self {
            GroupAction::Start => ACTION_KEYS[0],
            GroupAction::Stop => ACTION_KEYS[1],
            GroupAction::Reverse { .. } => ACTION_KEYS[2],
            GroupAction::Failover => ACTION_KEYS[3],
        }
    }

    /// The body a client sends for this action.
    pub fn to_body(self) -> ActionRequest {
        ActionRequest(self)
    }
}

/// An action's request body, `{"<action key>": {...}}`, as a client sends it; serialized without building a JSON
/// tree, which keeps serde_json's value type out of the console.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ActionRequest(pub GroupAction);

impl serde::Serialize for ActionRequest {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap as _;
        #[derive(serde::Serialize)]
        struct Reverse {
            priority_station: PriorityStation,
        }
        #[derive(serde::Serialize)]
        struct NoParameters {}
        let mut body = serializer.serialize_map(Some(1))?;
        match self.0 {
            GroupAction::Reverse { priority_station } => {
                body.serialize_entry(self.0.key(), &Reverse { priority_station })?
            }
            _ => body.serialize_entry(self.0.key(), &NoParameters {})?,
        }
        body.end()
    }
}

/// The action body as the OpenAPI document describes it: exactly one of [`ACTION_KEYS`], each an object with no
/// other field, `reverse-server-group`'s with its `priority_station`. Generated from the keys [`parse_action`] reads.
pub struct ActionBody;

impl schemars::JsonSchema for ActionBody {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "ActionBody".into()
    }

    fn json_schema(generator: &mut schemars::SchemaGenerator) -> schemars::Schema {
        let station = serde_json::Value::from(generator.subschema_for::<PriorityStation>());
        let reverse_key = GroupAction::Reverse { priority_station: PriorityStation::Source }.key();
        let choices: Vec<Value> = ACTION_KEYS
            .iter()
            .map(|key| {
                let params = if *key == reverse_key {
                    serde_json::json!({"type": "object", "additionalProperties": false,
                        "required": ["priority_station"], "properties": {"priority_station": station}})
                } else {
                    serde_json::json!({"type": "object", "additionalProperties": false})
                };
                serde_json::json!({"type": "object", "additionalProperties": false, "required": [key],
                    "properties": {*key: params}})
            })
            .collect();
        schemars::json_schema!({ "oneOf": choices })
    }
}

/// Why an action body was refused.
///
/// Code choices (the reference marks them as inference): problems with the JSON document are
/// `SDRS.0201`; naming no, several or an unknown action is `SDRS.0206` "Invalid action"; an invalid
/// `priority_station` value is `SDRS.0216` "Invalid preferred AZ"; any other problem inside the action's
/// object is `SDRS.0201`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ActionError {
    #[error(transparent)]
    Body(RequestError),
    #[error("no action given; expected exactly one of {}", ACTION_KEYS.join(", "))]
    NoAction,
    #[error("{} actions given ({}); exactly one is allowed", .0.len(), .0.join(", "))]
    SeveralActions(Vec<String>),
    #[error("unknown action `{0}`; expected one of {keys}", keys = ACTION_KEYS.join(", "))]
    UnknownAction(String),
    #[error("the value of `{action}` must be a JSON object, not {found}")]
    ValueNotObject { action: &'static str, found: &'static str },
    #[error("unknown field `{field}` in `{action}`")]
    UnknownField { action: &'static str, field: String },
    #[error("`priority_station` is required in `reverse-server-group`")]
    MissingPriorityStation,
    #[error("invalid priority_station {0}; expected \"source\" or \"target\"")]
    InvalidPriorityStation(String),
}

impl SdrsCoded for ActionError {
    fn code(&self) -> ErrorCode {
        match self {
            ActionError::Body(inner) => inner.code(),
            ActionError::NoAction | ActionError::SeveralActions(_) | ActionError::UnknownAction(_) => {
                ErrorCode::SDRS_0206
            }
            ActionError::InvalidPriorityStation(_) => ErrorCode::SDRS_0216,
            ActionError::ValueNotObject { .. }
            | ActionError::UnknownField { .. }
            | ActionError::MissingPriorityStation => ErrorCode::SDRS_0201,
        }
    }
}

/// Parses an action body from raw bytes.
pub fn parse_action(bytes: &[u8]) -> Result<GroupAction, ActionError> {
    parse_action_object(&parse_object(bytes).map_err(ActionError::Body)?)
}

/// Parses an action body that is already a JSON object.
pub fn parse_action_object(object: &Map<String, Value>) -> Result<GroupAction, ActionError> {
    let mut entries = object.iter();
    let (key, value) = match (entries.next(), object.len()) {
        (None, _) => return Err(ActionError::NoAction),
        (Some(entry), 1) => entry,
        _ => return Err(ActionError::SeveralActions(object.keys().cloned().collect())),
    };
    let action = ACTION_KEYS
        .iter()
        .copied()
        .find(|known| known == key)
        .ok_or_else(|| ActionError::UnknownAction(key.clone()))?;
    let Value::Object(params) = value else {
        return Err(ActionError::ValueNotObject { action, found: json_kind(value) });
    };
    let allowed: &[&str] = if action == "reverse-server-group" { &["priority_station"] } else { &[] };
    if let Some(field) = params.keys().find(|field| !allowed.contains(&field.as_str())) {
        return Err(ActionError::UnknownField { action, field: field.clone() });
    }
    Ok(match action {
        "start-server-group" => GroupAction::Start,
        "stop-server-group" => GroupAction::Stop,
        "failover-server-group" => GroupAction::Failover,
        _ => {
            let station = params.get("priority_station").ok_or(ActionError::MissingPriorityStation)?;
            let priority_station = station
                .as_str()
                .and_then(|text| text.parse().ok())
                // serde_json::to_string, not the value's Display: the same text, without a second JSON writer in the
                // wasm modules (Display writes through an adapter of its own).
                .ok_or_else(|| {
                    ActionError::InvalidPriorityStation(serde_json::to_string(station).unwrap_or_default())
                })?;
            GroupAction::Reverse { priority_station }
        }
    })
}

fn json_kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(body: &str) -> Result<GroupAction, ActionError> {
        parse_action(body.as_bytes())
    }

    #[test]
    fn the_four_documented_bodies_parse() {
        assert_eq!(parse(r#"{"start-server-group": {}}"#), Ok(GroupAction::Start));
        assert_eq!(parse(r#"{"stop-server-group": {}}"#), Ok(GroupAction::Stop));
        assert_eq!(parse(r#"{"failover-server-group": {}}"#), Ok(GroupAction::Failover));
        assert_eq!(
            parse(r#"{"reverse-server-group": {"priority_station": "target"}}"#),
            Ok(GroupAction::Reverse { priority_station: PriorityStation::Target })
        );
        assert_eq!(
            parse(r#"{"reverse-server-group": {"priority_station": "source"}}"#),
            Ok(GroupAction::Reverse { priority_station: PriorityStation::Source })
        );
    }

    #[test]
    fn the_documented_body_names_each_action_key_once() {
        let schema = schemars::SchemaGenerator::default().into_root_schema_for::<ActionBody>();
        let choices = schema.get("oneOf").and_then(Value::as_array).expect("a oneOf");
        let keys: Vec<&str> = choices.iter().map(|choice| choice["required"][0].as_str().unwrap()).collect();
        assert_eq!(keys, ACTION_KEYS);
        let reverse = &choices[2]["properties"]["reverse-server-group"];
        assert_eq!(reverse["required"], serde_json::json!(["priority_station"]));
    }

    #[test]
    fn bodies_round_trip_through_to_body() {
        for action in [
            GroupAction::Start,
            GroupAction::Stop,
            GroupAction::Failover,
            GroupAction::Reverse { priority_station: PriorityStation::Source },
            GroupAction::Reverse { priority_station: PriorityStation::Target },
        ] {
            let bytes = serde_json::to_vec(&action.to_body()).unwrap();
            assert_eq!(parse_action(&bytes), Ok(action));
        }
    }

    /// Every malformed body of the issue, with the error and SDRS code it gets.
    #[test]
    fn malformed_bodies_get_defined_errors() {
        let cases: &[(&str, ActionError, &str)] = &[
            ("", ActionError::Body(RequestError::EmptyBody), "SDRS.0201"),
            ("   ", ActionError::Body(RequestError::EmptyBody), "SDRS.0201"),
            ("[]", ActionError::Body(RequestError::NotAnObject), "SDRS.0201"),
            ("\"failover-server-group\"", ActionError::Body(RequestError::NotAnObject), "SDRS.0201"),
            ("null", ActionError::Body(RequestError::NotAnObject), "SDRS.0201"),
            ("42", ActionError::Body(RequestError::NotAnObject), "SDRS.0201"),
            ("{}", ActionError::NoAction, "SDRS.0206"),
            (
                r#"{"start-server-group": {}, "failover-server-group": {}}"#,
                ActionError::SeveralActions(vec!["failover-server-group".into(), "start-server-group".into()]),
                "SDRS.0206",
            ),
            (r#"{"failover": {}}"#, ActionError::UnknownAction("failover".into()), "SDRS.0206"),
            (
                r#"{"Failover-Server-Group": {}}"#,
                ActionError::UnknownAction("Failover-Server-Group".into()),
                "SDRS.0206",
            ),
            (
                r#"{"failover-server-group": null}"#,
                ActionError::ValueNotObject { action: "failover-server-group", found: "null" },
                "SDRS.0201",
            ),
            (
                r#"{"failover-server-group": []}"#,
                ActionError::ValueNotObject { action: "failover-server-group", found: "an array" },
                "SDRS.0201",
            ),
            (
                r#"{"stop-server-group": "now"}"#,
                ActionError::ValueNotObject { action: "stop-server-group", found: "a string" },
                "SDRS.0201",
            ),
            (
                r#"{"failover-server-group": {"force": true}}"#,
                ActionError::UnknownField { action: "failover-server-group", field: "force".into() },
                "SDRS.0201",
            ),
            (r#"{"reverse-server-group": {}}"#, ActionError::MissingPriorityStation, "SDRS.0201"),
            (
                r#"{"reverse-server-group": {"priority_station": "dr"}}"#,
                ActionError::InvalidPriorityStation("\"dr\"".into()),
                "SDRS.0216",
            ),
            (
                r#"{"reverse-server-group": {"priority_station": null}}"#,
                ActionError::InvalidPriorityStation("null".into()),
                "SDRS.0216",
            ),
        ];
        for (body, expected, code) in cases {
            let err = parse(body).unwrap_err();
            assert_eq!(&err, expected, "body {body:?}");
            assert_eq!(err.code().as_str(), *code, "body {body:?}");
        }
        assert!(matches!(
            parse("{\"failover-server-group\": {"),
            Err(ActionError::Body(RequestError::MalformedJson { .. }))
        ));
        assert!(matches!(parse("\u{feff}{}"), Err(ActionError::Body(RequestError::MalformedJson { .. }))));
    }

    #[test]
    fn envelope_message_carries_the_reason() {
        let body = parse(r#"{"failover": {}}"#).unwrap_err().to_error_body();
        assert_eq!(body.code, "SDRS.0206");
        assert!(body.message.starts_with("Invalid action: unknown action `failover`"), "{}", body.message);
    }
}
