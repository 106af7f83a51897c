//! `SDK-HMAC-SHA256` request signing and verification, byte for byte as huaweicloudsdkcore's `Signer` does it.
//!
//! Pure functions: the caller passes the request's raw parts and the current time.

use std::fmt::Write as _;

use hmac::{Hmac, Mac};
use percent_encoding::{percent_decode_str, utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use sha2::{Digest, Sha256};
use time::macros::format_description;
use time::PrimitiveDateTime;

/// The only algorithm accepted.
pub const ALGORITHM: &str = "SDK-HMAC-SHA256";
/// The SHA-256 of an empty body.
pub const EMPTY_BODY_SHA256: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
/// How far `X-Sdk-Date` may be from the server's clock, as the API gateway allows.
pub const MAX_CLOCK_SKEW_SECONDS: i64 = 15 * 60;

/// Python's `quote(s, safe='~')`: everything but `A-Za-z0-9-_.~` is percent-encoded.
const RFC3986: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'_').remove(b'.').remove(b'~');

/// Why a request's signature was not accepted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthError {
    #[error("the Authorization header does not start with `SDK-HMAC-SHA256 `")]
    UnsupportedAlgorithm,
    #[error("the Authorization header lacks `{0}=`")]
    MissingField(&'static str),
    #[error("the Authorization header has an empty or malformed `{0}`")]
    MalformedField(&'static str),
    #[error("the signed header `{0}` is not in the request")]
    MissingSignedHeader(String),
    #[error("`x-sdk-date` must be signed")]
    DateNotSigned,
    #[error("X-Sdk-Date `{0}` is not of the form 20261128T024849Z")]
    MalformedDate(String),
    #[error("signature expired, signature time:{signed},server time:{now}")]
    Expired { signed: String, now: String },
    #[error("unknown access key")]
    UnknownAccessKey,
    #[error("verify aksk signature fail")]
    SignatureMismatch,
    #[error("`host` must be signed")]
    HostNotSigned,
    #[error("X-Sdk-Content-Sha256 is sent but not signed")]
    ContentHashNotSigned,
    #[error("X-Sdk-Content-Sha256: UNSIGNED-PAYLOAD is not accepted here: the signature must cover the body")]
    UnsignedPayload,
    #[error("X-Sdk-Content-Sha256 is not the SHA-256 of the body received")]
    ContentHashMismatch,
}

/// The value of `X-Sdk-Content-Sha256` that leaves the body out of the signature.
pub const UNSIGNED_PAYLOAD: &str = "UNSIGNED-PAYLOAD";

/// What a verifier accepts beyond what covers the whole request.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct VerifyOptions {
    /// Accept a signed `X-Sdk-Content-Sha256: UNSIGNED-PAYLOAD`, so that the body is not covered by the signature.
    /// The official SDKs send it only for bodies that are neither JSON nor BSON (`Signer._process_content_header`),
    /// which the SDRS API never takes: off unless an operator turns it on.
    pub allow_unsigned_payload: bool,
}

/// The parts of `Authorization: SDK-HMAC-SHA256 Access=..., SignedHeaders=..., Signature=...`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Authorization {
    pub access_key: String,
    /// Lower-case header names, as the client listed them.
    pub signed_headers: Vec<String>,
    /// Lower-case hex.
    pub signature: String,
}

/// Parses an `Authorization` header value.
pub fn parse_authorization(value: &str) -> Result<Authorization, AuthError> {
    let rest =
        value.strip_prefix(ALGORITHM).and_then(|rest| rest.strip_prefix(' ')).ok_or(AuthError::UnsupportedAlgorithm)?;
    let mut access_key = None;
    let mut signed_headers = None;
    let mut signature = None;
    for field in rest.split(',') {
        let field = field.trim();
        if let Some(v) = field.strip_prefix("Access=") {
            access_key = Some(v);
        } else if let Some(v) = field.strip_prefix("SignedHeaders=") {
            signed_headers = Some(v);
        } else if let Some(v) = field.strip_prefix("Signature=") {
            signature = Some(v);
        }
    }
    let access_key = access_key.ok_or(AuthError::MissingField("Access"))?;
    let signed_headers = signed_headers.ok_or(AuthError::MissingField("SignedHeaders"))?;
    let signature = signature.ok_or(AuthError::MissingField("Signature"))?;
    if access_key.is_empty() {
        return Err(AuthError::MalformedField("Access"));
    }
    let headers: Vec<String> = signed_headers.split(';').map(str::to_ascii_lowercase).collect();
    if headers.iter().any(|h| h.is_empty()) {
        return Err(AuthError::MalformedField("SignedHeaders"));
    }
    if signature.len() != 64 || !signature.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(AuthError::MalformedField("Signature"));
    }
    Ok(Authorization {
        access_key: access_key.to_owned(),
        signed_headers: headers,
        signature: signature.to_ascii_lowercase(),
    })
}

/// A request as it came off the wire.
#[derive(Debug, Clone, Copy)]
pub struct RequestParts<'a> {
    pub method: &'a str,
    /// The raw path, still percent-encoded.
    pub path: &'a str,
    /// The raw query string without `?`, if any.
    pub query: Option<&'a str>,
    /// Header names in any case; the first value of a repeated header counts.
    pub headers: &'a [(String, String)],
    pub body: &'a [u8],
}

impl RequestParts<'_> {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }
}

/// The canonical URI: each decoded segment re-encoded RFC 3986 style, with a trailing `/`.
pub fn canonical_uri(path: &str) -> String {
    let decoded = percent_decode_str(path).decode_utf8_lossy();
    let mut uri: String = decoded
        .split('/')
        .map(|segment| utf8_percent_encode(segment, RFC3986).to_string())
        .collect::<Vec<_>>()
        .join("/");
    if !uri.ends_with('/') {
        uri.push('/');
    }
    uri
}

/// The decoded `key=value` pairs of a raw query, in order, exactly as the signature reads them: percent-decoding
/// only (`+` stays `+`, as the SDKs encode a space `%20`). A server that reads its query with this function acts on
/// what was signed.
pub fn query_pairs(query: Option<&str>) -> Vec<(String, String)> {
    let Some(query) = query.filter(|q| !q.is_empty()) else { return Vec::new() };
    query
        .split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            let decode = |s: &str| percent_decode_str(s).decode_utf8_lossy().into_owned();
            (decode(key), decode(value))
        })
        .collect()
}

/// The canonical query string: decoded pairs sorted by key then value, re-encoded, joined by `&`.
pub fn canonical_query(query: Option<&str>) -> String {
    let mut pairs = query_pairs(query);
    pairs.sort();
    pairs
        .iter()
        .map(|(k, v)| format!("{}={}", utf8_percent_encode(k, RFC3986), utf8_percent_encode(v, RFC3986)))
        .collect::<Vec<_>>()
        .join("&")
}

/// The payload hash as the SDK's signer computes it (`Signer._process_hash_payload`): the empty hash for an empty
/// body, else `X-Sdk-Content-Sha256` when the request has it, else the body's SHA-256. For signing only: a verifier
/// must not trust the header (see `verified_payload_hash`).
pub fn sdk_payload_hash(parts: &RequestParts<'_>) -> String {
    if parts.body.is_empty() {
        return EMPTY_BODY_SHA256.to_owned();
    }
    match parts.header("x-sdk-content-sha256") {
        Some(literal) => literal.to_owned(),
        None => hex::encode(Sha256::digest(parts.body)),
    }
}

/// The payload hash a verifier signs over: always the SHA-256 of the body received. `X-Sdk-Content-Sha256`, when
/// sent with a body, must be signed and equal to it, or be a signed `UNSIGNED-PAYLOAD` that the options allow.
pub fn verified_payload_hash(
    parts: &RequestParts<'_>,
    signed_headers: &[String],
    options: VerifyOptions,
) -> Result<String, AuthError> {
    let received = hex::encode(Sha256::digest(parts.body));
    // The SDK signs an empty body as the empty hash whatever the header says; so does this.
    let Some(claimed) = parts.header("x-sdk-content-sha256").filter(|_| !parts.body.is_empty()) else {
        return Ok(received);
    };
    if !signed_headers.iter().any(|h| h == "x-sdk-content-sha256") {
        return Err(AuthError::ContentHashNotSigned);
    }
    if claimed.trim() == UNSIGNED_PAYLOAD {
        return if options.allow_unsigned_payload {
            Ok(UNSIGNED_PAYLOAD.to_owned())
        } else {
            Err(AuthError::UnsignedPayload)
        };
    }
    if !claimed.trim().eq_ignore_ascii_case(&received) {
        return Err(AuthError::ContentHashMismatch);
    }
    Ok(claimed.trim().to_owned())
}

/// The canonical request over the headers the client signed, with the given payload hash.
pub fn canonical_request(
    parts: &RequestParts<'_>,
    signed_headers: &[String],
    payload_hash: &str,
) -> Result<String, AuthError> {
    let mut canonical_headers = String::new();
    for name in signed_headers {
        let value = parts.header(name).ok_or_else(|| AuthError::MissingSignedHeader(name.clone()))?;
        let _ = writeln!(canonical_headers, "{name}:{}", value.trim());
    }
    Ok(format!(
        "{}\n{}\n{}\n{}\n{}\n{}",
        parts.method.to_ascii_uppercase(),
        canonical_uri(parts.path),
        canonical_query(parts.query),
        canonical_headers,
        signed_headers.join(";"),
        payload_hash
    ))
}

/// `SDK-HMAC-SHA256\n<date>\n<hex sha256 of the canonical request>`.
pub fn string_to_sign(sdk_date: &str, canonical_request: &str) -> String {
    format!("{ALGORITHM}\n{sdk_date}\n{}", hex::encode(Sha256::digest(canonical_request.as_bytes())))
}

fn mac(secret: &str, message: &str) -> Hmac<Sha256> {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes keys of any length");
    mac.update(message.as_bytes());
    mac
}

/// The lower-case hex HMAC-SHA256 of `string_to_sign` keyed by the secret key.
pub fn signature(secret: &str, string_to_sign: &str) -> String {
    hex::encode(mac(secret, string_to_sign).finalize().into_bytes())
}

/// Parses `X-Sdk-Date` (`%Y%m%dT%H%M%SZ`) into Unix seconds.
pub fn parse_sdk_date(value: &str) -> Result<i64, AuthError> {
    let format = format_description!("[year][month][day]T[hour][minute][second]Z");
    PrimitiveDateTime::parse(value, format)
        .map(|t| t.assume_utc().unix_timestamp())
        .map_err(|_| AuthError::MalformedDate(value.to_owned()))
}

/// Formats Unix seconds as an `X-Sdk-Date`.
pub fn format_sdk_date(unix_seconds: i64) -> String {
    let format = format_description!("[year][month][day]T[hour][minute][second]Z");
    time::OffsetDateTime::from_unix_timestamp(unix_seconds)
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH)
        .format(format)
        .expect("formatting a valid date cannot fail")
}

/// Verifies a signed request and returns the access key that signed it.
///
/// `secret_of` looks up an access key's secret; `now` is the server's clock in Unix seconds.
/// The signature covers the method, path, query, the signed headers (`host` and `x-sdk-date` among them) and the
/// body received (see `verified_payload_hash`). It is compared in constant time.
pub fn verify(
    parts: &RequestParts<'_>,
    secret_of: impl FnOnce(&str) -> Option<String>,
    now: i64,
    options: VerifyOptions,
) -> Result<String, AuthError> {
    let header = parts.header("authorization").ok_or(AuthError::UnsupportedAlgorithm)?;
    let auth = parse_authorization(header)?;
    if !auth.signed_headers.iter().any(|h| h == "x-sdk-date") {
        return Err(AuthError::DateNotSigned);
    }
    if !auth.signed_headers.iter().any(|h| h == "host") {
        return Err(AuthError::HostNotSigned);
    }
    let sdk_date = parts.header("x-sdk-date").ok_or_else(|| AuthError::MissingSignedHeader("x-sdk-date".into()))?;
    let signed_at = parse_sdk_date(sdk_date)?;
    if (now - signed_at).abs() > MAX_CLOCK_SKEW_SECONDS {
        return Err(AuthError::Expired { signed: sdk_date.to_owned(), now: format_sdk_date(now) });
    }
    let payload_hash = verified_payload_hash(parts, &auth.signed_headers, options)?;
    let secret = secret_of(&auth.access_key).ok_or(AuthError::UnknownAccessKey)?;
    let canonical = canonical_request(parts, &auth.signed_headers, &payload_hash)?;
    let expected = hex::decode(&auth.signature).map_err(|_| AuthError::MalformedField("Signature"))?;
    mac(&secret, &string_to_sign(sdk_date, &canonical))
        .verify_slice(&expected)
        .map_err(|_| AuthError::SignatureMismatch)?;
    Ok(auth.access_key)
}

/// Signs a request as the SDK does: every header given is signed (names containing `_` excepted),
/// and `X-Sdk-Date` and `Host` must already be among them. Returns the `Authorization` value.
pub fn sign(parts: &RequestParts<'_>, access_key: &str, secret: &str) -> Result<String, AuthError> {
    let sdk_date = parts.header("x-sdk-date").ok_or_else(|| AuthError::MissingSignedHeader("x-sdk-date".into()))?;
    let mut signed: Vec<String> =
        parts.headers.iter().map(|(k, _)| k.to_ascii_lowercase()).filter(|k| !k.contains('_')).collect();
    signed.sort();
    signed.dedup();
    let canonical = canonical_request(parts, &signed, &sdk_payload_hash(parts))?;
    let signature = signature(secret, &string_to_sign(sdk_date, &canonical));
    Ok(format!("{ALGORITHM} Access={access_key}, SignedHeaders={}, Signature={signature}", signed.join(";")))
}

#[cfg(test)]
mod tests;
