//! Fuzzes list-query parsing: decoded `k=v&k=v` pairs never panic, and accepted paging is within bounds.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sdrs_core::request::{parse_paging, GroupListQuery, MAX_LIMIT};
use sdrs_core::SdrsCoded;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let pairs: Vec<(&str, &str)> = text.split('&').map(|pair| pair.split_once('=').unwrap_or((pair, ""))).collect();
    match GroupListQuery::parse(pairs.iter().copied()) {
        Ok(query) => assert!(query.paging.limit <= MAX_LIMIT),
        Err(error) => assert_eq!(error.code().http_status(), 400),
    }
    if let Ok(paging) = parse_paging(pairs.iter().copied()) {
        assert!(paging.limit <= MAX_LIMIT);
    }
});
