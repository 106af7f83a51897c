//! The rules module's exports: action validation, the state machine, prechecks, the role swap, login guidance, the
//! server profile from ECS/IMS and the error catalogue.

use serde_json::{Map, Number, Value};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

use sdrs_core::action::{parse_action_object, ActionError, GroupAction};
use sdrs_core::catalogue::{ErrorCode, SdrsCoded};
use sdrs_core::login::{explain_login as explain, LoginQuestion};
use sdrs_core::profile::{profile_from_cloud, Lookup};
use sdrs_core::request::{into_object, object_parsed_by};
use sdrs_core::snapshot::{Intent, SnapshotFacts};
use sdrs_core::state_machine::{self, TRANSITIONS};
use sdrs_core::status::GroupStatus;
use sdrs_core::wire::{EcsServer, ImsImage};

use crate::{error, input, output};

#[wasm_bindgen(typescript_custom_section)]
const TYPES: &'static str = include_str!("types.d.ts");

fn coded(refusal: &impl SdrsCoded) -> JsValue {
    error(refusal.code(), &refusal.to_error_body().message)
}

/// Parses an action body given as the raw JSON text or as an object.
fn action_of(body: JsValue) -> Result<GroupAction, JsValue> {
    let object = match body.as_string() {
        // The host's JSON.parse reads the text (see `object_parsed_by`); the core judges the rest.
        Some(text) => object_parsed_by(text.as_bytes(), |_| {
            let parsed = js_sys::JSON::parse(&text)
                .map_err(|e| js_sys::Error::from(e).message().as_string().unwrap_or_default())?;
            json_of(&parsed)
        }),
        None => {
            into_object(json_of(&body).map_err(|e| error(ErrorCode::SDRS_0201, &format!("invalid action body: {e}")))?)
        }
    };
    object.map_err(ActionError::Body).and_then(|object| parse_action_object(&object)).map_err(|e| coded(&e))
}

/// A JS value as the JSON value it stands for, read as serde-wasm-bindgen reads a plain JSON value into a
/// `serde_json::Value` (`null` and `undefined` are null, a safe integer is an integer), for the action body, which the
/// core judges as a JSON object. Unlike serde-wasm-bindgen, a `Map` reads as an empty object and a BigInt is refused. Walked here rather than deserialized: serde's generic `Value` visitor over serde-wasm-bindgen's
/// deserializer was the module's largest single piece of glue (scripts/size-breakdown sdrs-wasm).
fn json_of(value: &JsValue) -> Result<Value, String> {
    if value.is_null() || value.is_undefined() {
        Ok(Value::Null)
    } else if let Some(flag) = value.as_bool() {
        Ok(Value::Bool(flag))
    } else if let Some(number) = value.as_f64() {
        Ok(if js_sys::Number::is_safe_integer(value) {
            Value::from(number as i64)
        } else {
            Number::from_f64(number).map_or(Value::Null, Value::Number)
        })
    } else if let Some(text) = value.as_string() {
        Ok(Value::String(text))
    } else if js_sys::Array::is_array(value) {
        js_sys::Array::from(value).iter().map(|item| json_of(&item)).collect::<Result<_, _>>().map(Value::Array)
    } else if value.is_object() {
        let mut object = Map::new();
        for entry in js_sys::Object::entries(value.unchecked_ref()).iter() {
            let entry: js_sys::Array = entry.unchecked_into();
            object.insert(entry.get(0).as_string().unwrap_or_default(), json_of(&entry.get(1))?);
        }
        Ok(Value::Object(object))
    } else {
        Err("a bigint, symbol or function is not JSON".to_owned())
    }
}

/// Validates an action body, given as the raw JSON text or as an object.
#[wasm_bindgen(js_name = validateAction, unchecked_return_type = "ValidatedAction")]
pub fn validate_action(
    #[wasm_bindgen(unchecked_param_type = "string | object")] body: JsValue,
) -> Result<JsValue, JsValue> {
    output(&action_of(body)?)
}

/// The operation an action body starts on a group in `status`; throws `SDRS.1002` when not allowed.
#[wasm_bindgen(js_name = resolveAction, unchecked_return_type = "Operation")]
pub fn resolve_action(
    #[wasm_bindgen(unchecked_param_type = "string | object")] body: JsValue,
    #[wasm_bindgen(unchecked_param_type = "GroupStatus")] status: JsValue,
) -> Result<JsValue, JsValue> {
    let action = action_of(body)?;
    let status: GroupStatus = input(status, "status")?;
    output(&state_machine::resolve(action, status).map_err(|e| coded(&e))?)
}

/// Every finding of the operation's preconditions on a group snapshot (the API's own JSON).
#[wasm_bindgen(unchecked_return_type = "Precheck")]
pub fn precheck(
    #[wasm_bindgen(unchecked_param_type = "GroupSnapshot")] snapshot: JsValue,
    #[wasm_bindgen(unchecked_param_type = "Intent")] intent: JsValue,
) -> Result<JsValue, JsValue> {
    let snapshot: SnapshotFacts = input(snapshot, "group snapshot")?;
    let intent: Intent = input(intent, "intent")?;
    output(&sdrs_core::precheck::precheck(&snapshot, intent))
}

/// The production and DR servers of every instance before and after the operation.
#[wasm_bindgen(js_name = previewRoleSwap, unchecked_return_type = "RoleSwap")]
pub fn preview_role_swap(
    #[wasm_bindgen(unchecked_param_type = "GroupSnapshot")] snapshot: JsValue,
    #[wasm_bindgen(unchecked_param_type = "Intent")] intent: JsValue,
) -> Result<JsValue, JsValue> {
    let snapshot: SnapshotFacts = input(snapshot, "group snapshot")?;
    let intent: Intent = input(intent, "intent")?;
    output(&sdrs_core::role_swap::preview(&snapshot, intent))
}

/// Which credential logs in to a server after a failover, planned failover or DR drill, and why.
#[wasm_bindgen(js_name = explainLogin, unchecked_return_type = "LoginExplanation")]
pub fn explain_login(
    #[wasm_bindgen(unchecked_param_type = "LoginQuestion")] question: JsValue,
) -> Result<JsValue, JsValue> {
    let question: LoginQuestion = input(question, "login question")?;
    output(&explain(&question).map_err(|e| coded(&e))?)
}

/// A server's profile for the login rules from what ECS says about it (ShowServer's `server`) and IMS about its
/// image (GlanceShowImage's answer; `null` or left out when the image could not be read): each fact with its
/// source, a fact they do not tell left unknown. Ask `explainLogin` with the profile's known values.
#[wasm_bindgen(js_name = profileFromEcs, unchecked_return_type = "ServerProfile")]
pub fn profile_from_ecs(
    #[wasm_bindgen(unchecked_param_type = "EcsServer")] server: JsValue,
    #[wasm_bindgen(unchecked_param_type = "ImsImage | null | undefined")] image: JsValue,
) -> Result<JsValue, JsValue> {
    let server: EcsServer = input(server, "ECS server")?;
    let image: Option<ImsImage> =
        if image.is_undefined() || image.is_null() { None } else { Some(input(image, "IMS image")?) };
    let read = match &image {
        Some(image) => Lookup::Found(image),
        None => Lookup::Failed("the image was not given"),
    };
    output(&profile_from_cloud(&server.id, Lookup::Found(&server), Some(read)))
}

/// The operations accepted from a group status.
#[wasm_bindgen(js_name = allowedOperations, unchecked_return_type = "Operation[]")]
pub fn allowed_operations(
    #[wasm_bindgen(unchecked_param_type = "GroupStatus")] status: JsValue,
) -> Result<JsValue, JsValue> {
    let status: GroupStatus = input(status, "status")?;
    output(&state_machine::allowed_operations(status))
}

/// The whole state machine, one row per operation.
#[wasm_bindgen(js_name = stateTable, unchecked_return_type = "Transition[]")]
pub fn state_table() -> Result<JsValue, JsValue> {
    output(&TRANSITIONS[..])
}

/// A documented error code's HTTP status, message, description and handling.
#[wasm_bindgen(js_name = lookupError, unchecked_return_type = "ErrorInfo")]
pub fn lookup_error(code: &str) -> Result<JsValue, JsValue> {
    let found = ErrorCode::parse(code)
        .ok_or_else(|| error(ErrorCode::SDRS_0201, &format!("`{code}` is not a documented SDRS error code")))?;
    let info = js_sys::Object::new();
    for (key, value) in [
        ("code", JsValue::from(found.as_str())),
        ("httpStatus", JsValue::from(found.http_status())),
        ("message", JsValue::from(found.message())),
        ("description", JsValue::from(found.description())),
        ("handling", JsValue::from(found.handling())),
    ] {
        js_sys::Reflect::set(&info, &key.into(), &value)?;
    }
    Ok(info.into())
}
