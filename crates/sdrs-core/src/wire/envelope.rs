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
