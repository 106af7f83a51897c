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

pub use app::{load_connection, save_connection, App, ConnectionContext, IncidentPages, ModulePages, PlanningPages};
pub use route::{Module, Route};
