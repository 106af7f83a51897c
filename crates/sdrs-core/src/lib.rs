//! sdrs-core: the single source of truth for the SDRS protection-group API, with no I/O, clock or randomness.
//!
//! Everything that decides something lives here and is shared by the server, the console and the
//! JavaScript module: wire types ([`wire`]), request validation ([`request`], [`action`]), the
//! state machine ([`state_machine`]), preconditions ([`precheck`]), the role swap ([`role_swap`]),
//! the login rules ([`login`]) and the error catalogue ([`catalogue`]). Time and ids come in as arguments.

pub mod action;
pub mod catalogue;
pub mod guidance;
pub mod list_query;
pub mod login;
pub mod member_rules;
pub mod plan;
pub mod precheck;
pub mod profile;
pub mod request;
pub mod role_swap;
pub mod seed;
pub mod snapshot;
pub mod state_machine;
pub mod status;
pub mod timefmt;
pub mod wire;

pub use catalogue::{ErrorCode, SdrsCoded};
