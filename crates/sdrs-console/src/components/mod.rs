//! Reusable pieces of the console, one per file.

pub mod audit_trail;
pub mod error_box;
pub mod explanation;
pub mod job_view;
pub mod login_guidance;
pub mod precheck_panel;
pub mod role_swap;
pub mod state_chart;
pub mod status_badge;
