//! The SDRS error catalogue: every documented code with its HTTP status, message and handling hint.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::wire::ErrorBody;

/// A documented SDRS error code such as `SDRS.1013`.
///
/// Only codes that exist in the published table can be constructed, so every code the product emits
/// has a documented HTTP status, message and handling hint.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ErrorCode(usize);

include!(concat!(env!("OUT_DIR"), "/catalogue.rs"));

/// One text column of the table: every code's text one after another, and where each ends.
pub(crate) struct TextColumn {
    text: &'static str,
    ends: [u16; CODE_COUNT],
}

impl TextColumn {
    fn get(&self, code: ErrorCode) -> &'static str {
        let start = match code.0 {
            0 => 0,
            index => self.ends[index - 1],
        };
        &self.text[usize::from(start)..usize::from(self.ends[code.0])]
    }
}

impl ErrorCode {
    /// Looks a code up by its text, e.g. `"SDRS.1013"`.
    pub fn parse(code: &str) -> Option<ErrorCode> {
        CODES.binary_search_by(|known| known.as_slice().cmp(code.as_bytes())).ok().map(ErrorCode)
    }

    /// All documented codes, in code order.
    pub fn all() -> impl ExactSizeIterator<Item = ErrorCode> {
        (0..CODE_COUNT).map(ErrorCode)
    }

    /// The code as the API sends it, e.g. `"SDRS.1013"`.
    pub fn as_str(self) -> &'static str {
        // Every code is ASCII (the build checks its length and writes it from the table's text).
        std::str::from_utf8(&CODES[self.0]).unwrap_or_default()
    }

    /// The HTTP status the service answers with for this code.
    pub fn http_status(self) -> u16 {
        HTTP_STATUSES[self.0]
    }

    /// The documented error message.
    pub fn message(self) -> &'static str {
        MESSAGES.get(self)
    }

    /// The documented longer description.
    pub fn description(self) -> &'static str {
        DESCRIPTIONS.get(self)
    }

    /// The documented handling measure: what the operator should do.
    pub fn handling(self) -> &'static str {
        HANDLINGS.get(self)
    }

    /// The error envelope body with the documented message and an optional detail appended.
    pub fn body(self, detail: Option<&str>) -> ErrorBody {
        let message = match detail {
            Some(detail) if !detail.is_empty() => format!("{}: {detail}", self.message()),
            _ => self.message().to_owned(),
        };
        ErrorBody { code: self.as_str().to_owned(), message }
    }
}

impl fmt::Debug for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for ErrorCode {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for ErrorCode {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        ErrorCode::parse(&text).ok_or_else(|| serde::de::Error::custom(format!("unknown SDRS error code `{text}`")))
    }
}

/// Anything that maps to one documented SDRS error code.
pub trait SdrsCoded: fmt::Display {
    /// The SDRS code this error is reported with.
    fn code(&self) -> ErrorCode;

    /// The envelope body: the documented message, then this error's own explanation.
    fn to_error_body(&self) -> ErrorBody {
        self.code().body(Some(&self.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn catalogue_has_every_documented_code() {
        assert_eq!(ErrorCode::all().len(), 218);
        let codes: Vec<&str> = ErrorCode::all().map(ErrorCode::as_str).collect();
        let mut sorted = codes.clone();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(codes, sorted, "codes are unique and sorted for binary search");
    }

    #[test]
    fn lookup_returns_documented_status_and_message() {
        let code = ErrorCode::parse("SDRS.1013").expect("documented");
        assert_eq!(code, ErrorCode::SDRS_1013);
        assert_eq!(code.http_status(), 400);
        assert_eq!(code.message(), "Protection group not found");
        assert_eq!(ErrorCode::SDRS_2206.http_status(), 404);
        assert_eq!(ErrorCode::SDRS_0405.http_status(), 500);
        assert_eq!(ErrorCode::parse("SDRS.9999"), None);
        assert_eq!(ErrorCode::parse(""), None);
    }

    #[test]
    fn status_counts_match_the_table() {
        let count = |status| ErrorCode::all().filter(|c| c.http_status() == status).count();
        assert_eq!((count(400), count(404), count(500)), (184, 1, 33));
    }

    #[test]
    fn markdown_emphasis_is_stripped_from_messages() {
        assert_eq!(ErrorCode::SDRS_0222.message(), "offset value cannot be negative, and must be an integer");
        assert!(ErrorCode::all().all(|c| !c.message().contains("**")));
    }

    #[test]
    fn codes_serialise_as_their_text() {
        let json = serde_json::to_string(&ErrorCode::SDRS_1030).unwrap();
        assert_eq!(json, "\"SDRS.1030\"");
        let back: ErrorCode = serde_json::from_str(&json).unwrap();
        assert_eq!(back, ErrorCode::SDRS_1030);
        assert!(serde_json::from_str::<ErrorCode>("\"SDRS.0000\"").is_err());
    }

    #[test]
    fn body_appends_detail_to_documented_message() {
        let body = ErrorCode::SDRS_1002.body(Some("failover is not allowed while `available`"));
        assert_eq!(body.code, "SDRS.1002");
        assert_eq!(
            body.message,
            "Operation not allowed for the protection group in the current state: failover is not allowed while `available`"
        );
        assert_eq!(ErrorCode::SDRS_1013.body(None).message, "Protection group not found");
    }
}
