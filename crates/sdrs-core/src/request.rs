//! Raw request input (JSON bodies, names, list queries) parsed once into validated values, with SDRS error codes.

use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use crate::catalogue::{ErrorCode, SdrsCoded};

/// Longest name or description the service accepts, in bytes.
pub const MAX_NAME_BYTES: usize = 64;
/// Largest page a list call returns; also the default page size.
pub const MAX_LIMIT: u32 = 1000;

/// Why a request body, name or query was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RequestError {
    #[error("the request body is empty")]
    EmptyBody,
    #[error("the request body is not valid JSON ({detail})")]
    MalformedJson { detail: String },
    #[error("the request body must be a JSON object")]
    NotAnObject,
    #[error("{detail}")]
    InvalidBody { detail: String },
    #[error("invalid name `{name}`: {reason}")]
    InvalidName { name: String, reason: &'static str },
    #[error("invalid description: {reason}")]
    InvalidDescription { reason: &'static str },
    #[error("invalid limit `{value}`: expected an integer from 0 to {max}")]
    InvalidLimit { value: String, max: u32 },
    #[error("invalid offset `{value}`: expected a non-negative integer")]
    InvalidOffset { value: String },
    #[error("invalid status filter: {0}")]
    InvalidStatusFilter(#[from] crate::status::UnknownValue),
    #[error("invalid query_type `{value}`: not one the list of {list} documents")]
    InvalidQueryType { value: String, list: &'static str },
    #[error(
        "the query parameter `{key}` is given more than once; to name several ids, give one value written \
         ['id1','id2']"
    )]
    RepeatedQueryKey { key: String },
    #[error("the list of {list} has no query parameter `{key}`; it accepts: {accepted}")]
    UndocumentedQueryKey { key: String, list: &'static str, accepted: String },
    #[error("X-Sdrs-Idempotency-Key must be 1 to {MAX_KEY_CHARS} of the characters A-Z a-z 0-9 . _ : / -")]
    InvalidIdempotencyKey,
    #[error("marker `{marker}` is not an item of this list")]
    UnknownMarker { marker: String },
    #[error("{key} names {count} ids; at most {MAX_LISTED_IDS} are allowed")]
    TooManyIds { key: String, count: usize },
    #[error("device `{device}` is not of the form /dev/vdX or /dev/sdX")]
    InvalidDevice { device: String },
    #[error("{detail}")]
    InvalidPath { detail: String },
    #[error("dr_type must be `migration`")]
    InvalidDrType,
    #[error("source_vpc_id is empty")]
    EmptyVpc,
}

/// The longest idempotency key.
pub const MAX_KEY_CHARS: usize = 255;

/// An idempotency key (`X-Sdrs-Idempotency-Key`, this server's extension): it names one submission of a project, so
/// that sending it again yields the job the first one made.
pub fn parse_idempotency_key(raw: &str) -> Result<&str, RequestError> {
    let allowed = |b: u8| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b':' | b'/' | b'-');
    if raw.is_empty() || raw.len() > MAX_KEY_CHARS || !raw.bytes().all(allowed) {
        return Err(RequestError::InvalidIdempotencyKey);
    }
    Ok(raw)
}

/// Most ids one list filter may name.
pub const MAX_LISTED_IDS: usize = 30;

impl SdrsCoded for RequestError {
    fn code(&self) -> ErrorCode {
        match self {
            RequestError::EmptyBody
            | RequestError::MalformedJson { .. }
            | RequestError::NotAnObject
            | RequestError::InvalidBody { .. }
            | RequestError::InvalidQueryType { .. }
            | RequestError::RepeatedQueryKey { .. }
            | RequestError::UndocumentedQueryKey { .. }
            | RequestError::UnknownMarker { .. }
            | RequestError::InvalidIdempotencyKey
            | RequestError::InvalidDevice { .. }
            | RequestError::InvalidPath { .. }
            | RequestError::InvalidDrType => ErrorCode::SDRS_0201,
            RequestError::TooManyIds { .. } => ErrorCode::SDRS_0226,
            RequestError::EmptyVpc => ErrorCode::SDRS_0204,
            RequestError::InvalidName { .. } => ErrorCode::SDRS_0202,
            RequestError::InvalidDescription { .. } => ErrorCode::SDRS_0212,
            RequestError::InvalidLimit { .. } => ErrorCode::SDRS_0221,
            RequestError::InvalidOffset { .. } => ErrorCode::SDRS_0222,
            RequestError::InvalidStatusFilter(_) => ErrorCode::SDRS_0209,
        }
    }
}

/// Parses a JSON object body into `T`, telling an empty body, broken JSON, a non-object and a wrong shape apart.
pub fn parse_body<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, RequestError> {
    let object = parse_object(bytes)?;
    serde_json::from_value(Value::Object(object)).map_err(|err| RequestError::InvalidBody { detail: err.to_string() })
}

/// Parses a body that must be a JSON object, without giving it a shape yet. An object that names one key twice is
/// refused: serde_json would keep the last value, so `{"failover-server-group": {}, "failover-server-group": …}`
/// would mean what only its last key says, while a signature or a log shows both.
pub(crate) fn parse_object(bytes: &[u8]) -> Result<Map<String, Value>, RequestError> {
    object_parsed_by(bytes, |bytes| {
        serde_json::from_slice::<UniqueKeys>(bytes).map(|unique| unique.0).map_err(|err| err.to_string())
    })
}

/// A JSON value in which no object names a key twice.
struct UniqueKeys(Value);

impl<'de> serde::Deserialize<'de> for UniqueKeys {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(UniqueKeysVisitor).map(UniqueKeys)
    }
}

struct UniqueKeysVisitor;

impl<'de> serde::de::Visitor<'de> for UniqueKeysVisitor {
    type Value = Value;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::from(v))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(Value::from(v))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Value, E> {
        Ok(Value::from(v))
    }
    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_owned()))
    }
    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }
    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::new();
        while let Some(UniqueKeys(item)) = seq.next_element()? {
            items.push(item);
        }
        Ok(Value::Array(items))
    }
    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut object = Map::new();
        while let Some(key) = map.next_key::<String>()? {
            if object.contains_key(&key) {
                return Err(serde::de::Error::custom(format_args!("the key `{key}` appears twice in one object")));
            }
            let UniqueKeys(value) = map.next_value()?;
            object.insert(key, value);
        }
        Ok(Value::Object(object))
    }
}

/// Refuses a query that gives one key twice: a signature covers both values, a handler would act on one.
pub fn unique_query_keys<'a>(pairs: impl IntoIterator<Item = &'a str>) -> Result<(), RequestError> {
    let mut seen = std::collections::BTreeSet::new();
    match pairs.into_iter().find(|key| !seen.insert(*key)) {
        Some(key) => Err(RequestError::RepeatedQueryKey { key: key.to_owned() }),
        None => Ok(()),
    }
}

/// An id list filter written `['id1','id2']` (quotes and brackets optional), at most `MAX_LISTED_IDS` ids.
pub fn parse_id_list(key: &str, raw: &str) -> Result<Vec<String>, RequestError> {
    let inner = raw.trim().trim_start_matches('[').trim_end_matches(']');
    let ids: Vec<String> = inner
        .split(',')
        .map(|id| id.trim().trim_matches(|c| c == '\'' || c == '"').to_owned())
        .filter(|id| !id.is_empty())
        .collect();
    if ids.len() > MAX_LISTED_IDS {
        return Err(RequestError::TooManyIds { key: key.to_owned(), count: ids.len() });
    }
    Ok(ids)
}

/// A device name a replication pair can be attached as: `/dev/sdX` or `/dev/vdX` (letters only).
pub fn parse_device(device: &str) -> Result<&str, RequestError> {
    let letters = device.strip_prefix("/dev/sd").or_else(|| device.strip_prefix("/dev/vd"));
    match letters {
        Some(letters) if !letters.is_empty() && letters.bytes().all(|b| b.is_ascii_lowercase()) => Ok(device),
        _ => Err(RequestError::InvalidDevice { device: device.to_owned() }),
    }
}

/// The fields of a new protection group that need no lookup: `dr_type` (only `migration`) and the VPC.
pub fn validate_new_group(dr_type: Option<&str>, source_vpc_id: &str) -> Result<(), RequestError> {
    if dr_type.is_some_and(|t| t != "migration") {
        return Err(RequestError::InvalidDrType);
    }
    if source_vpc_id.trim().is_empty() {
        return Err(RequestError::EmptyVpc);
    }
    Ok(())
}

/// Whether `id` is in the alphabet of SDRS and inventory ids: 1–64 ASCII letters, digits, `-` and `_`. Nothing that
/// a URL normaliser could turn into a separator or a parent segment (`.`, `/`, `\`, `%`) is in it.
pub fn is_resource_id(id: &str) -> bool {
    !id.is_empty() && id.len() <= 64 && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// [`parse_object`] with the JSON read by `parse`: the same refusals in the same order. sdrs-wasm passes the host's
/// `JSON.parse`, so that serde_json's parser is not in the module.
pub fn object_parsed_by(
    bytes: &[u8],
    parse: impl FnOnce(&[u8]) -> Result<Value, String>,
) -> Result<Map<String, Value>, RequestError> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(RequestError::EmptyBody);
    }
    into_object(parse(bytes).map_err(|detail| RequestError::MalformedJson { detail })?)
}

/// The object of a body already parsed; anything else is [`RequestError::NotAnObject`].
pub fn into_object(value: Value) -> Result<Map<String, Value>, RequestError> {
    match value {
        Value::Object(object) => Ok(object),
        _ => Err(RequestError::NotAnObject),
    }
}

/// A resource name the service accepts: 1–64 bytes of letters, digits, `.`, `_`, `-` or CJK characters.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ResourceName(String);

impl ResourceName {
    /// Validates a name.
    pub fn parse(name: &str) -> Result<ResourceName, RequestError> {
        let invalid = |reason| RequestError::InvalidName { name: name.to_owned(), reason };
        if name.is_empty() {
            return Err(invalid("it is empty"));
        }
        if name.len() > MAX_NAME_BYTES {
            return Err(invalid("it is longer than 64 bytes"));
        }
        let allowed = |c: char| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-') || is_cjk(c);
        if !name.chars().all(allowed) {
            return Err(invalid("only letters, digits, `.`, `_`, `-` and Chinese characters are allowed"));
        }
        Ok(ResourceName(name.to_owned()))
    }

    /// The validated name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

fn is_cjk(c: char) -> bool {
    ('\u{4e00}'..='\u{9fff}').contains(&c)
}

/// Validates an optional description: at most 64 bytes, no `<` or `>`.
pub fn validate_description(description: Option<&str>) -> Result<(), RequestError> {
    let Some(text) = description else { return Ok(()) };
    if text.len() > MAX_NAME_BYTES {
        return Err(RequestError::InvalidDescription { reason: "it is longer than 64 bytes" });
    }
    if text.contains(['<', '>']) {
        return Err(RequestError::InvalidDescription { reason: "`<` and `>` are not allowed" });
    }
    Ok(())
}

/// One page of a list: `limit` items starting at `offset`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Paging {
    pub limit: u32,
    pub offset: u64,
}

impl Default for Paging {
    fn default() -> Self {
        Paging { limit: MAX_LIMIT, offset: 0 }
    }
}

/// Parses `limit` (0 to `max`, `max` when absent) and `offset` from decoded query pairs. Where a key repeats, the
/// first value wins.
pub fn parse_paging<'a>(
    pairs: impl IntoIterator<Item = (&'a str, &'a str)> + Clone,
    max: u32,
) -> Result<Paging, RequestError> {
    let mut paging = Paging { limit: max, offset: 0 };
    if let Some(value) = first(pairs.clone(), "limit") {
        paging.limit = value
            .parse::<u32>()
            .ok()
            .filter(|limit| *limit <= max)
            .ok_or_else(|| RequestError::InvalidLimit { value: value.to_owned(), max })?;
    }
    if let Some(value) = first(pairs, "offset") {
        paging.offset = value.parse::<u64>().map_err(|_| RequestError::InvalidOffset { value: value.to_owned() })?;
    }
    Ok(paging)
}

fn first<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>, key: &str) -> Option<&'a str> {
    pairs.into_iter().find(|(k, _)| *k == key).map(|(_, v)| v)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::CreateServerGroupRequest;

    #[test]
    fn body_errors_are_told_apart() {
        let parse = |body: &str| parse_body::<CreateServerGroupRequest>(body.as_bytes());
        assert_eq!(parse(""), Err(RequestError::EmptyBody));
        assert_eq!(parse("  \n"), Err(RequestError::EmptyBody));
        assert!(matches!(parse("{"), Err(RequestError::MalformedJson { .. })));
        assert_eq!(parse("[]"), Err(RequestError::NotAnObject));
        assert_eq!(parse("null"), Err(RequestError::NotAnObject));
        let Err(RequestError::InvalidBody { detail }) = parse(r#"{"server_group": {"name": "x"}}"#) else {
            panic!("a missing field is a shape error")
        };
        assert!(detail.contains("missing field"), "{detail}");
        let Err(RequestError::InvalidBody { detail }) = parse(r#"{"server_groups": {}}"#) else {
            panic!("an unknown field is a shape error")
        };
        assert!(detail.contains("unknown field"), "{detail}");
        assert_eq!(parse("{").unwrap_err().code(), ErrorCode::SDRS_0201);
    }

    #[test]
    fn names_follow_the_documented_rule() {
        assert!(ResourceName::parse("Protection-Group_1.a").is_ok());
        assert!(ResourceName::parse("保护组").is_ok());
        assert!(ResourceName::parse(&"a".repeat(64)).is_ok());
        for bad in ["", "has space", "semi;colon", &"a".repeat(65)] {
            let err = ResourceName::parse(bad).unwrap_err();
            assert_eq!(err.code(), ErrorCode::SDRS_0202, "{bad}");
        }
        assert_eq!(validate_description(Some("<b>")).unwrap_err().code(), ErrorCode::SDRS_0212);
        assert!(validate_description(Some("web tier, eu-de")).is_ok());
        assert!(validate_description(None).is_ok());
    }

    #[test]
    fn paging_bounds_and_codes() {
        assert_eq!(parse_paging([], MAX_LIMIT), Ok(Paging { limit: 1000, offset: 0 }));
        assert_eq!(parse_paging([("limit", "10"), ("offset", "20")], MAX_LIMIT), Ok(Paging { limit: 10, offset: 20 }));
        assert_eq!(parse_paging([("limit", "0")], MAX_LIMIT).unwrap().limit, 0);
        for bad in ["1001", "-1", "ten", "", "1e3"] {
            assert_eq!(parse_paging([("limit", bad)], MAX_LIMIT).unwrap_err().code(), ErrorCode::SDRS_0221, "{bad}");
        }
        for bad in ["-1", "x", "1.5"] {
            assert_eq!(parse_paging([("offset", bad)], MAX_LIMIT).unwrap_err().code(), ErrorCode::SDRS_0222, "{bad}");
        }
        assert_eq!(parse_paging([("limit", "5"), ("limit", "7")], MAX_LIMIT).unwrap().limit, 5, "first value wins");
    }
}
