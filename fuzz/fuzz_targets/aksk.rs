//! Fuzzes the `Authorization: SDK-HMAC-SHA256 ...` parser and the canonical-request builder: no panics, and a
//! request signed by `sign` always verifies while any change to its body does not.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sdrs_auth::{canonical_query, canonical_uri, parse_authorization, sign, verify, RequestParts};

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let _ = parse_authorization(&text);
    // Split the input into a path, a query, a header value and a body.
    let mut parts = text.splitn(4, '\n');
    let path = parts.next().unwrap_or("/");
    let query = parts.next();
    let header = parts.next().unwrap_or("").replace(['\r', '\n'], "");
    let body = parts.next().unwrap_or("").as_bytes();
    let _ = canonical_uri(path);
    let _ = canonical_query(query);

    let date = "20261128T024849Z";
    let headers = vec![
        ("host".to_owned(), "127.0.0.1:8080".to_owned()),
        ("x-sdk-date".to_owned(), date.to_owned()),
        ("x-custom".to_owned(), header),
    ];
    let request = RequestParts { method: "POST", path, query, headers: &headers, body };
    let authorization = sign(&request, "AK", "SK").expect("all signed headers are present");
    let mut signed_headers = headers.clone();
    signed_headers.push(("authorization".to_owned(), authorization));
    let signed = RequestParts { headers: &signed_headers, ..request };
    let now = sdrs_auth::parse_sdk_date(date).unwrap();
    let secret = |ak: &str| (ak == "AK").then(|| "SK".to_owned());
    assert_eq!(verify(&signed, secret, now), Ok("AK".to_owned()));
    let mut tampered_body = body.to_vec();
    tampered_body.push(b'x');
    let tampered = RequestParts { body: &tampered_body, ..signed };
    assert!(verify(&tampered, secret, now).is_err());
});
