//! Signs the SDK vectors' requests with sdrs-auth and prints them as JSON, for the SDK's algorithm to check
//! (tests/sdk/vectors.py verify). Run: cargo run -p sdrs-auth --example sign_vectors
use serde_json::{json, Value};

fn main() {
    let text = include_str!("../tests/data/sdk-vectors.json");
    let vectors: Value = serde_json::from_str(text).unwrap();
    let mut out = Vec::new();
    for vector in vectors["vectors"].as_array().unwrap() {
        let headers: Vec<(String, String)> = vector["headers"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| (p[0].as_str().unwrap().to_owned(), p[1].as_str().unwrap().to_owned()))
            .filter(|(k, _)| !k.eq_ignore_ascii_case("authorization"))
            .collect();
        let query = vector["query"].as_str().unwrap();
        let parts = sdrs_auth::RequestParts {
            method: vector["method"].as_str().unwrap(),
            path: vector["path"].as_str().unwrap(),
            query: (!query.is_empty()).then_some(query),
            headers: &headers,
            body: vector["body"].as_str().unwrap().as_bytes(),
        };
        let authorization =
            sdrs_auth::sign(&parts, vector["ak"].as_str().unwrap(), vector["sk"].as_str().unwrap()).unwrap();
        let mut signed: Vec<Value> = headers.iter().map(|(k, v)| json!([k, v])).collect();
        signed.push(json!(["Authorization", authorization]));
        let mut entry = vector.clone();
        entry["headers"] = Value::Array(signed);
        out.push(entry);
    }
    println!("{}", serde_json::to_string_pretty(&out).unwrap());
}
