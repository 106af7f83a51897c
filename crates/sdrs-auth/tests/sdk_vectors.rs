//! Requests signed by the official Python SDK's signer (tests/data/sdk-vectors.json, made by tests/sdk/vectors.py)
//! verify with sdrs-auth, and tampering with any part of them is refused.

use sdrs_auth::{parse_sdk_date, verify, AuthError, RequestParts, VerifyOptions};
use serde_json::Value;

fn vectors() -> Vec<Value> {
    let text = include_str!("data/sdk-vectors.json");
    serde_json::from_str::<Value>(text).unwrap()["vectors"].as_array().unwrap().clone()
}

fn headers(vector: &Value) -> Vec<(String, String)> {
    vector["headers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|pair| (pair[0].as_str().unwrap().to_owned(), pair[1].as_str().unwrap().to_owned()))
        .collect()
}

#[test]
fn every_sdk_signed_request_verifies() {
    let vectors = vectors();
    assert_eq!(vectors.len(), 11);
    for vector in &vectors {
        let unsigned_payload = vector["headers"].as_array().unwrap().iter().any(|h| h[1] == "UNSIGNED-PAYLOAD");
        let options = VerifyOptions { allow_unsigned_payload: unsigned_payload };
        let headers = headers(vector);
        let query = vector["query"].as_str().unwrap();
        let parts = RequestParts {
            method: vector["method"].as_str().unwrap(),
            path: vector["path"].as_str().unwrap(),
            query: (!query.is_empty()).then_some(query),
            headers: &headers,
            body: vector["body"].as_str().unwrap().as_bytes(),
        };
        let now = parse_sdk_date(vector["sdk_date"].as_str().unwrap()).unwrap();
        let secret =
            |ak: &str| (ak == vector["ak"].as_str().unwrap()).then(|| vector["sk"].as_str().unwrap().to_owned());
        assert_eq!(verify(&parts, secret, now, options), Ok(vector["ak"].as_str().unwrap().to_owned()), "{vector}");

        let tampered_path = format!("{}x", parts.path);
        let tampered = RequestParts { path: &tampered_path, ..parts };
        assert_eq!(verify(&tampered, secret, now, options), Err(AuthError::SignatureMismatch), "path of {vector}");
        let tampered_body = RequestParts { body: b"{\"tampered\": true}", ..parts };
        if unsigned_payload {
            // What the option gives away: the body is not covered. Off by default, so refused by default.
            assert_eq!(verify(&tampered_body, secret, now, options), Ok(vector["ak"].as_str().unwrap().to_owned()));
            assert_eq!(verify(&parts, secret, now, VerifyOptions::default()), Err(AuthError::UnsignedPayload));
        } else {
            assert_eq!(
                verify(&tampered_body, secret, now, options),
                Err(AuthError::SignatureMismatch),
                "body of {vector}"
            );
        }
    }
}
