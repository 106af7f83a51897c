//! sdrs-wasm: a thin wasm-bindgen adapter exporting sdrs-core to JavaScript; every rule stays in the core.
//!
//! Inputs are plain JS objects in the API's own JSON shapes; outputs are plain objects. Every failure is a JS
//! `Error` with a `code` (a documented SDRS code) and an `httpStatus`; nothing panics on bad input.
//!
//! Two modules are built from this crate (`scripts/build-wasm`), as the console is two: the rules (`rules.rs`:
//! feature `rules`, the package's main module, which a portal loads first) and the recovery-plan check (`plan.rs`:
//! feature `plan`, `@sdrs/rules/plan`), which only a portal that edits plans loads; the plan check alone is a fifth
//! of the module. Both features on (the default, which `cargo test` and clippy build) export everything from one.
//!
//! Size decides how values cross (the rules module's goal is 75 KB gzipped; `scripts/size-breakdown sdrs-wasm` shows
//! what it links): inputs are read by serde-wasm-bindgen, whose reader is smaller than serde_json's parser; outputs
//! are written as JSON text by serde_json and read by the host's `JSON.parse`, smaller than serde-wasm-bindgen's
//! writer.

use serde::de::DeserializeOwned;
use serde::Serialize;
use wasm_bindgen::prelude::*;

use sdrs_core::catalogue::ErrorCode;

#[cfg(feature = "plan")]
pub mod plan;
#[cfg(feature = "rules")]
pub mod rules;

/// Talc in place of std's dlmalloc: the same job in about 2 KB less of the module (the module is single-threaded).
#[cfg(all(not(target_feature = "atomics"), target_family = "wasm"))]
#[global_allocator]
static ALLOCATOR: talc::wasm::WasmDynamicTalc = talc::wasm::new_wasm_dynamic_allocator();

/// A JS `Error` carrying a code and its HTTP status.
fn js_error(code: &str, http_status: u16, message: &str) -> JsValue {
    let error = js_sys::Error::new(message);
    let _ = js_sys::Reflect::set(&error, &"code".into(), &code.into());
    let _ = js_sys::Reflect::set(&error, &"httpStatus".into(), &JsValue::from(http_status));
    error.into()
}

/// A JS `Error` carrying an SDRS code.
fn error(code: ErrorCode, message: &str) -> JsValue {
    js_error(code.as_str(), code.http_status(), message)
}

fn input<T: DeserializeOwned>(value: JsValue, what: &str) -> Result<T, JsValue> {
    serde_wasm_bindgen::from_value(value).map_err(|e| error(ErrorCode::SDRS_0201, &format!("invalid {what}: {e}")))
}

/// A result as the plain JS value of its JSON.
fn output<T: Serialize + ?Sized>(value: &T) -> Result<JsValue, JsValue> {
    let text = serde_json::to_string(value)
        .map_err(|e| error(ErrorCode::SDRS_0405, &format!("could not convert the result: {e}")))?;
    js_sys::JSON::parse(&text)
}
