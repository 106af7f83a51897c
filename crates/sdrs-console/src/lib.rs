//! sdrs-console: the Yew failover console. Every rule it shows comes from sdrs-core.

pub mod api;
mod app;
mod components;
mod hooks;
mod pages;
mod route;
pub mod router;
pub mod state;
pub mod view;

/// Talc in place of std's dlmalloc: the same job in less of each module (the console is single-threaded).
#[cfg(all(not(target_feature = "atomics"), target_family = "wasm"))]
#[global_allocator]
static ALLOCATOR: talc::wasm::WasmDynamicTalc = talc::wasm::new_wasm_dynamic_allocator();

pub use app::{load_connection, save_connection, App, ConnectionContext, IncidentPages, ModulePages, PlanningPages};
pub use route::{Module, Route};
