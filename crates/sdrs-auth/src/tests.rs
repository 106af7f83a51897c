//! Tests of the signer against the canonical request the official Python SDK produced (reference §11.2).

use super::*;

fn headers(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
}

const BODY: &[u8] = br#"{"failover-server-group": {}}"#;
const USER_AGENT: &str = "huaweicloud-usdk-python/3.0; os/Linux##1_SMP_PREEMPT_DYNAMIC_@0#x86_64 python/3.11.7 impl/CPython; app/09b2b4e3-...";

fn sdk_failover_request() -> Vec<(String, String)> {
    headers(&[
        ("User-Agent", USER_AGENT),
        ("Accept-Encoding", "gzip, deflate"),
        ("Accept", "*/*"),
        ("Connection", "keep-alive"),
        ("Content-Type", "application/json;charset=utf-8"),
        ("X-Project-Id", "0123456789abcdef0123456789abcdef"),
        ("X-Sdk-Date", "20261128T024849Z"),
        ("Host", "127.0.0.1:35583"),
        ("Content-Length", "29"),
    ])
}

#[test]
fn canonical_request_matches_the_sdk_capture() {
    let headers = sdk_failover_request();
    let parts = RequestParts {
        method: "POST",
        path: "/v1/0123456789abcdef0123456789abcdef/server-groups/g1/action",
        query: None,
        headers: &headers,
        body: BODY,
    };
    let signed: Vec<String> =
        "content-type;host;user-agent;x-project-id;x-sdk-date".split(';').map(str::to_owned).collect();
    let expected = format!(
        "POST\n/v1/0123456789abcdef0123456789abcdef/server-groups/g1/action/\n\n\
         content-type:application/json;charset=utf-8\nhost:127.0.0.1:35583\nuser-agent:{USER_AGENT}\n\
         x-project-id:0123456789abcdef0123456789abcdef\nx-sdk-date:20261128T024849Z\n\n\
         content-type;host;user-agent;x-project-id;x-sdk-date\n\
         83880d7af2c4c30e05f76173c126fc08dac0a6b38a71eeed9b8a6f3f892de110"
    );
    assert_eq!(canonical_request(&parts, &signed, &sdk_payload_hash(&parts)).unwrap(), expected);
    assert_eq!(verified_payload_hash(&parts, &signed, VerifyOptions::default()).unwrap(), sdk_payload_hash(&parts));
}

#[test]
fn sign_then_verify_round_trips_and_tampering_fails() {
    let mut headers = headers(&[
        ("Content-Type", "application/json;charset=utf-8"),
        ("Host", "127.0.0.1:8080"),
        ("X-Project-Id", "p1"),
        ("X-Sdk-Date", "20261128T024849Z"),
    ]);
    let now = parse_sdk_date("20261128T024849Z").unwrap();
    let unsigned = headers.clone();
    let parts = RequestParts {
        method: "POST",
        path: "/v1/p1/server-groups/g1/action",
        query: None,
        headers: &unsigned,
        body: BODY,
    };
    let authorization = sign(&parts, "AK1", "SK1").unwrap();
    assert!(authorization.starts_with(
        "SDK-HMAC-SHA256 Access=AK1, SignedHeaders=content-type;host;x-project-id;x-sdk-date, Signature="
    ));
    headers.push(("Authorization".into(), authorization));
    let secret = |ak: &str| (ak == "AK1").then(|| "SK1".to_owned());
    let parts = RequestParts { headers: &headers, ..parts };
    let options = VerifyOptions::default();
    assert_eq!(verify(&parts, secret, now, options), Ok("AK1".to_owned()));
    assert_eq!(verify(&parts, secret, now + 14 * 60, options), Ok("AK1".to_owned()));
    assert!(matches!(verify(&parts, secret, now + 16 * 60, options), Err(AuthError::Expired { .. })));
    let tampered = RequestParts { body: br#"{"stop-server-group": {}}"#, ..parts };
    assert_eq!(verify(&tampered, secret, now, options), Err(AuthError::SignatureMismatch));
    let other_path = RequestParts { path: "/v1/p1/server-groups/g2/action", ..parts };
    assert_eq!(verify(&other_path, secret, now, options), Err(AuthError::SignatureMismatch));
    assert_eq!(verify(&parts, |_| None, now, options), Err(AuthError::UnknownAccessKey));
}

/// Signs `body` with the given extra headers (all signed, as the SDK signs every header), then sends `sent`.
fn signed_then_sent(
    extra: &[(&str, &str)],
    body: &[u8],
    sent: &[u8],
    options: VerifyOptions,
) -> Result<String, AuthError> {
    let mut headers = headers(&[
        ("Content-Type", "application/json;charset=utf-8"),
        ("Host", "127.0.0.1:8080"),
        ("X-Sdk-Date", "20261128T024849Z"),
    ]);
    headers.extend(extra.iter().map(|(k, v)| (k.to_string(), v.to_string())));
    let unsigned = headers.clone();
    let parts =
        RequestParts { method: "POST", path: "/v1/p1/server-groups/g1/action", query: None, headers: &unsigned, body };
    headers.push(("Authorization".into(), sign(&parts, "AK1", "SK1").unwrap()));
    let sent = RequestParts { headers: &headers, body: sent, ..parts };
    verify(&sent, |_| Some("SK1".to_owned()), parse_sdk_date("20261128T024849Z").unwrap(), options)
}

#[test]
fn the_signature_covers_the_body_received_whatever_x_sdk_content_sha256_says() {
    let stop = br#"{"stop-server-group": {}}"#;
    let failover = br#"{"failover-server-group": {}}"#;
    let stop_hash = hex::encode(Sha256::digest(stop));
    let strict = VerifyOptions::default();
    // The attack of the security review: a signature over `stop`, the header carrying stop's hash, `failover` sent.
    assert_eq!(
        signed_then_sent(&[("X-Sdk-Content-Sha256", &stop_hash)], stop, failover, strict),
        Err(AuthError::ContentHashMismatch)
    );
    assert_eq!(signed_then_sent(&[("X-Sdk-Content-Sha256", &stop_hash)], stop, stop, strict), Ok("AK1".to_owned()));
    // UNSIGNED-PAYLOAD, signed: refused unless the operator allows it, and then the body is not covered.
    let unsigned = [("X-Sdk-Content-Sha256", UNSIGNED_PAYLOAD)];
    assert_eq!(signed_then_sent(&unsigned, stop, failover, strict), Err(AuthError::UnsignedPayload));
    let lenient = VerifyOptions { allow_unsigned_payload: true };
    assert_eq!(signed_then_sent(&unsigned, stop, failover, lenient), Ok("AK1".to_owned()));
    // An empty body hashes as empty whatever the header says, as the SDK signs it.
    assert_eq!(signed_then_sent(&unsigned, b"", b"", strict), Ok("AK1".to_owned()));
}

#[test]
fn an_unsigned_content_hash_header_or_host_is_refused() {
    let headers = headers(&[
        ("Content-Type", "application/json"),
        ("Host", "h"),
        ("X-Sdk-Date", "20261128T024849Z"),
        ("X-Sdk-Content-Sha256", UNSIGNED_PAYLOAD),
    ]);
    let signed_only = |names: &str| {
        let parts = RequestParts { method: "POST", path: "/v1/p1/x", query: None, headers: &headers, body: b"{}" };
        let signed: Vec<String> = names.split(';').map(str::to_owned).collect();
        let canonical = canonical_request(&parts, &signed, &sdk_payload_hash(&parts)).unwrap();
        let signature = signature("SK1", &string_to_sign("20261128T024849Z", &canonical));
        let mut all = headers.clone();
        all.push((
            "Authorization".into(),
            format!("{ALGORITHM} Access=AK1, SignedHeaders={names}, Signature={signature}"),
        ));
        let parts = RequestParts { headers: &all, ..parts };
        let lenient = VerifyOptions { allow_unsigned_payload: true };
        verify(&parts, |_| Some("SK1".to_owned()), parse_sdk_date("20261128T024849Z").unwrap(), lenient)
    };
    assert_eq!(signed_only("content-type;host;x-sdk-date"), Err(AuthError::ContentHashNotSigned));
    assert_eq!(signed_only("content-type;x-sdk-content-sha256;x-sdk-date"), Err(AuthError::HostNotSigned));
    assert_eq!(signed_only("content-type;host;x-sdk-content-sha256;x-sdk-date"), Ok("AK1".to_owned()));
}

#[test]
fn query_and_path_canonicalisation() {
    assert_eq!(canonical_query(None), "");
    assert_eq!(canonical_query(Some("")), "");
    assert_eq!(canonical_query(Some("name=a%20b&limit=10&name=a%2Bb")), "limit=10&name=a%20b&name=a%2Bb");
    assert_eq!(canonical_query(Some("flag")), "flag=");
    assert_eq!(canonical_query(Some("k=%E4%BF%9D")), "k=%E4%BF%9D");
    assert_eq!(
        query_pairs(Some("name=a+b&x=%2B&&flag")),
        [("name".into(), "a+b".into()), ("x".into(), "+".into()), ("flag".into(), String::new())],
        "read as signed: `+` is a plus, not a space"
    );
    assert_eq!(canonical_uri("/"), "/");
    assert_eq!(canonical_uri("/v1"), "/v1/");
    assert_eq!(canonical_uri("/v1/p/tags/a%20b"), "/v1/p/tags/a%20b/");
    assert_eq!(canonical_uri("/v1/p/tags/%E4%BF%9D"), "/v1/p/tags/%E4%BF%9D/");
    assert_eq!(canonical_uri("/v1/p/tags/a%2Fb"), "/v1/p/tags/a/b/", "%2F becomes a separator on both sides");
}

#[test]
fn authorization_header_parsing() {
    let sig = "a".repeat(64);
    let parsed =
        parse_authorization(&format!("SDK-HMAC-SHA256 Access=AK, SignedHeaders=Host;X-Sdk-Date, Signature={sig}"))
            .unwrap();
    assert_eq!(parsed.access_key, "AK");
    assert_eq!(parsed.signed_headers, ["host", "x-sdk-date"]);
    assert_eq!(parse_authorization("Bearer x"), Err(AuthError::UnsupportedAlgorithm));
    assert_eq!(parse_authorization("SDK-HMAC-SHA256 Access=AK"), Err(AuthError::MissingField("SignedHeaders")));
    assert_eq!(
        parse_authorization("SDK-HMAC-SHA256 Access=AK, SignedHeaders=host, Signature=xyz"),
        Err(AuthError::MalformedField("Signature"))
    );
    assert_eq!(
        parse_authorization(&format!("SDK-HMAC-SHA256 Access=AK, SignedHeaders=host;;x, Signature={sig}")),
        Err(AuthError::MalformedField("SignedHeaders"))
    );
    assert_eq!(parse_authorization(""), Err(AuthError::UnsupportedAlgorithm));
}

#[test]
fn sdk_dates() {
    assert_eq!(parse_sdk_date("19700101T000000Z"), Ok(0));
    assert_eq!(format_sdk_date(parse_sdk_date("20261128T024849Z").unwrap()), "20261128T024849Z");
    assert!(parse_sdk_date("2026-11-28T02:48:49Z").is_err());
    assert!(parse_sdk_date("").is_err());
}
