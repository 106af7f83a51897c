//! What handlers take from a request and give back, each type also telling aide what it documents: path ids, query
//! filters, JSON bodies parsed by the core, and the success statuses.

use std::marker::PhantomData;

use aide::generate::GenContext;
use aide::openapi::{MediaType, Operation, RequestBody, Response, SchemaObject, StatusCode as DocStatus};
use aide::operation::{add_parameters, parameters_from_schema, set_body, ParamLocation};
use aide::{OperationInput, OperationOutput};
use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Path, Request};
use axum::http::request::Parts;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response as HttpResponse};
use axum::Json;
use schemars::generate::SchemaSettings;
use schemars::{JsonSchema, Schema};
use serde::de::DeserializeOwned;
use serde_json::json;

use sdrs_core::list_query::{ListKind, ListQuery};
use sdrs_core::request::RequestError;

use super::refuse;
use crate::error::ApiError;

/// Path parameters, with refusals in the SDRS envelope. The document names them from the route's template
/// (`openapi::document` adds one string parameter per `{name}`), so they are not described here.
pub struct Ids<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned + Send> FromRequestParts<S> for Ids<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        // Ids are decided once, undecoded: authentication read the raw path, and an id that decodes to something
        // else would name what it did not check.
        if parts.uri.path().contains('%') {
            let detail = "ids are written as they are, without percent-encoding".to_owned();
            return Err(refuse(RequestError::InvalidPath { detail }));
        }
        Path::<T>::from_request_parts(parts, state)
            .await
            .map(|Path(ids)| Ids(ids))
            .map_err(|rejection| refuse(RequestError::InvalidPath { detail: rejection.body_text() }))
    }
}

impl<T> OperationInput for Ids<T> {}

/// The decoded query pairs, in order, read exactly as a signature reads them (`sdrs_auth::query_pairs`). A key
/// given twice is refused: the signature would cover both values while a handler acted on one.
pub struct QueryPairs(pub Vec<(String, String)>);

impl<S: Send + Sync> FromRequestParts<S> for QueryPairs {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, ApiError> {
        let pairs = sdrs_auth::query_pairs(parts.uri.query());
        sdrs_core::request::unique_query_keys(pairs.iter().map(|(key, _)| key.as_str())).map_err(refuse)?;
        Ok(QueryPairs(pairs))
    }
}

impl QueryPairs {
    /// Borrowed pairs, as the core's parsers take them.
    pub fn borrowed(&self) -> Vec<(&str, &str)> {
        self.0.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect()
    }
}

/// Which list an operation is, for its query's keys (`sdrs_core::list_query::ListKind::documented_keys`).
pub trait ListOf {
    const LIST: ListKind;
}

/// A list's query, parsed by the core for the list `K` names: every documented key, validated, and an undocumented
/// one refused in the SDRS envelope. The document lists the same keys, from the same table.
pub struct Filters<K>(pub ListQuery, pub PhantomData<K>);

impl<S: Send + Sync, K: ListOf> FromRequestParts<S> for Filters<K> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        let pairs = QueryPairs::from_request_parts(parts, state).await?;
        let query = ListQuery::parse(K::LIST, pairs.borrowed()).map_err(refuse)?;
        Ok(Filters(query, PhantomData))
    }
}

impl<K: ListOf> OperationInput for Filters<K> {
    fn operation_input(ctx: &mut GenContext, operation: &mut Operation) {
        let keys = K::LIST.documented_keys().iter().chain(K::LIST.extension_keys());
        let properties: serde_json::Map<String, serde_json::Value> = keys
            .map(|key| {
                let schema = match *key {
                    "limit" => json!({"type": "integer", "minimum": 0, "maximum": K::LIST.max_limit()}),
                    "offset" => json!({"type": "integer", "minimum": 0}),
                    _ => json!({"type": "string"}),
                };
                ((*key).to_owned(), schema)
            })
            .collect();
        let schema = Schema::try_from(json!({"type": "object", "properties": properties})).expect("an object schema");
        let parameters = parameters_from_schema(ctx, schema, ParamLocation::Query);
        add_parameters(ctx, operation, parameters);
    }
}

/// The header that names a submission once (this server's extension of the API).
pub const IDEMPOTENCY_KEY: &str = "x-sdrs-idempotency-key";

/// `X-Sdrs-Idempotency-Key`, when the client sent one: a submission with a key this project's jobs already have is
/// answered with that job instead of running again, decided in the same transaction that would accept it.
pub struct SubmissionKey(pub Option<String>);

impl<S: Send + Sync> FromRequestParts<S> for SubmissionKey {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, ApiError> {
        let Some(value) = parts.headers.get(IDEMPOTENCY_KEY) else { return Ok(SubmissionKey(None)) };
        let text = value.to_str().map_err(|_| refuse(RequestError::InvalidIdempotencyKey))?;
        let key = sdrs_core::request::parse_idempotency_key(text).map_err(refuse)?;
        Ok(SubmissionKey(Some(key.to_owned())))
    }
}

impl OperationInput for SubmissionKey {
    fn operation_input(ctx: &mut GenContext, operation: &mut Operation) {
        let schema = json!({"type": "object", "properties": {IDEMPOTENCY_KEY: {
            "type": "string", "minLength": 1, "maxLength": sdrs_core::request::MAX_KEY_CHARS,
            "pattern": "^[A-Za-z0-9._:/-]+$",
            "description": "Names this submission once: sending it again answers the first one's job."}}});
        let schema = Schema::try_from(schema).expect("an object schema");
        let parameters = parameters_from_schema(ctx, schema, ParamLocation::Header);
        add_parameters(ctx, operation, parameters);
    }
}

/// A JSON request body, parsed by the core (its refusals in the SDRS envelope).
pub struct Body<T>(pub T);

/// A request body that may be left out (DELETEs with optional flags): an empty body is the type's default.
pub struct OptionalBody<T>(pub T);

/// The whole body, or axum's own refusal of it.
pub(super) async fn read_bytes<S: Send + Sync>(request: Request, state: &S) -> Result<Bytes, HttpResponse> {
    Bytes::from_request(request, state).await.map_err(IntoResponse::into_response)
}

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for Body<T> {
    type Rejection = HttpResponse;

    async fn from_request(request: Request, state: &S) -> Result<Self, HttpResponse> {
        let bytes = read_bytes(request, state).await?;
        super::body(&bytes).map(Body).map_err(IntoResponse::into_response)
    }
}

impl<S: Send + Sync, T: DeserializeOwned + Default> FromRequest<S> for OptionalBody<T> {
    type Rejection = HttpResponse;

    async fn from_request(request: Request, state: &S) -> Result<Self, HttpResponse> {
        let bytes = read_bytes(request, state).await?;
        super::optional_body(&bytes).map(OptionalBody).map_err(IntoResponse::into_response)
    }
}

impl<T: JsonSchema> OperationInput for Body<T> {
    fn operation_input(ctx: &mut GenContext, operation: &mut Operation) {
        document_body::<T>(ctx, operation, true);
    }
}

impl<T: JsonSchema> OperationInput for OptionalBody<T> {
    fn operation_input(ctx: &mut GenContext, operation: &mut Operation) {
        document_body::<T>(ctx, operation, false);
    }
}

/// Documents `T` as the request body. Request bodies are described as the server reads them (fields with defaults
/// optional) and inline, while responses use the shared generator, as the server writes them.
pub fn document_body<T: JsonSchema>(ctx: &mut GenContext, operation: &mut Operation, required: bool) {
    let mut requests = SchemaSettings::draft2020_12()
        .for_deserialize()
        .with(|settings| {
            settings.inline_subschemas = true;
            settings.meta_schema = None;
        })
        .into_generator();
    let json_schema = requests.subschema_for::<T>();
    let media = MediaType {
        schema: Some(SchemaObject { json_schema, example: None, external_docs: None }),
        ..MediaType::default()
    };
    let body = RequestBody {
        content: [("application/json".to_owned(), media)].into_iter().collect(),
        required,
        ..RequestBody::default()
    };
    set_body(ctx, operation, body);
}

/// `201 Created` with a JSON body.
pub struct Created<T>(pub T);

impl<T: serde::Serialize> IntoResponse for Created<T> {
    fn into_response(self) -> HttpResponse {
        (StatusCode::CREATED, Json(self.0)).into_response()
    }
}

impl<T: JsonSchema> OperationOutput for Created<T> {
    type Inner = T;

    fn operation_response(ctx: &mut GenContext, operation: &mut Operation) -> Option<Response> {
        Json::<T>::operation_response(ctx, operation)
    }

    fn inferred_responses(ctx: &mut GenContext, operation: &mut Operation) -> Vec<(Option<DocStatus>, Response)> {
        Self::operation_response(ctx, operation)
            .map(|response| (Some(DocStatus::Code(201)), response))
            .into_iter()
            .collect()
    }
}

/// A JSON answer written from stored wire JSON without decoding it (`{"<key>": <stored>}`, or the stored document
/// itself), documented as `T`, the type it was stored from.
pub struct Stored<T>(Bytes, PhantomData<T>);

impl<T> Stored<T> {
    /// The stored document under `key`, as SDRS wraps a single resource.
    pub fn wrapped(key: &str, stored: &str) -> Stored<T> {
        Stored(format!("{{\"{key}\":{stored}}}").into(), PhantomData)
    }

    /// A page of stored documents under `key`, with the count SDRS lists carry: `{"<key>": [...], "count": n}`.
    pub fn page(key: &str, stored: &[String], count: u64) -> Stored<T> {
        Stored(format!("{{\"{key}\":[{}],\"count\":{count}}}", stored.join(",")).into(), PhantomData)
    }

    /// A response made earlier (the hot-read cache's bytes).
    pub fn from_bytes(bytes: Bytes) -> Stored<T> {
        Stored(bytes, PhantomData)
    }

    /// The response body.
    pub fn into_bytes(self) -> Bytes {
        self.0
    }
}

impl<T> IntoResponse for Stored<T> {
    fn into_response(self) -> HttpResponse {
        ([(axum::http::header::CONTENT_TYPE, "application/json")], self.0).into_response()
    }
}

impl<T: JsonSchema> OperationOutput for Stored<T> {
    type Inner = T;

    fn operation_response(ctx: &mut GenContext, operation: &mut Operation) -> Option<Response> {
        Json::<T>::operation_response(ctx, operation)
    }

    fn inferred_responses(ctx: &mut GenContext, operation: &mut Operation) -> Vec<(Option<DocStatus>, Response)> {
        Json::<T>::inferred_responses(ctx, operation)
    }
}
