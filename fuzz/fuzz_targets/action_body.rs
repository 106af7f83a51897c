//! Fuzzes the action-body parser: never panics, every refusal has a documented code, and what parses round-trips.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sdrs_core::action::parse_action;
use sdrs_core::SdrsCoded;

fuzz_target!(|data: &[u8]| {
    match parse_action(data) {
        Ok(action) => {
            let body = serde_json::to_vec(&action.to_body()).unwrap();
            assert_eq!(parse_action(&body), Ok(action));
        }
        Err(error) => {
            let code = error.code();
            assert!(code.http_status() == 400, "{code}");
            assert!(!error.to_error_body().message.is_empty());
        }
    }
});
