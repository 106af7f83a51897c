//! Error envelopes: SDRS's `error` / `badrequest` / `itemNotFound` wrappers and the API gateway's flat form.

use serde::{Deserialize, Serialize};

/// The inner object of every SDRS error envelope.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ErrorBody {
    pub message: String,
    pub code: String,
}

/// An SDRS error response. The service documents three wrapper keys; all carry the same body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub enum ErrorEnvelope {
    /// `{"error": {...}}`, the general form and the one this product emits.
    #[serde(rename = "error")]
    Error(ErrorBody),
    /// `{"badrequest": {...}}`
    #[serde(rename = "badrequest")]
    BadRequest(ErrorBody),
    /// `{"itemNotFound": {...}}`
    #[serde(rename = "itemNotFound")]
    ItemNotFound(ErrorBody),
}

impl ErrorEnvelope {
    /// The body, whichever wrapper carried it.
    pub fn body(&self) -> &ErrorBody {
        match self {
            ErrorEnvelope::Error(body) | ErrorEnvelope::BadRequest(body) | ErrorEnvelope::ItemNotFound(body) => body,
        }
    }
}

/// The API gateway's error form, returned before a request reaches SDRS (authentication failures).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct GatewayError {
    pub error_msg: String,
    pub error_code: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
}

/// An error answer, in whichever of the two forms it came.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ErrorReply {
    /// SDRS's envelope (any of its wrappers).
    Sdrs(ErrorBody),
    /// The API gateway's form (authentication, unknown paths).
    Gateway(GatewayError),
}

impl ErrorReply {
    /// Reads an error answer's body; `None` when it is neither form (an HTML page, an empty body).
    pub fn parse(body: &[u8]) -> Option<ErrorReply> {
        Self::read_with(|| serde_json::from_slice(body).ok(), || serde_json::from_slice(body).ok())
    }

    /// The same rule with the caller's JSON reader: SDRS's envelope first, then the gateway's form. The console reads
    /// with the browser's parser instead of serde_json's, which would add its parser to the wasm module.
    pub fn read_with(
        envelope: impl FnOnce() -> Option<ErrorEnvelope>,
        gateway: impl FnOnce() -> Option<GatewayError>,
    ) -> Option<ErrorReply> {
        if let Some(envelope) = envelope() {
            return Some(ErrorReply::Sdrs(envelope.body().clone()));
        }
        gateway().map(ErrorReply::Gateway)
    }
}
