//! Serde types for every body the protection-group API sends or receives, with the reference's field names and nulls.

mod admin;
mod cloud;
mod envelope;
mod job;
mod ops;
mod plans;
mod requests;
mod resources;
mod service;

pub use admin::*;
pub use cloud::*;
pub use envelope::{ErrorBody, ErrorEnvelope, ErrorReply, GatewayError};
pub use job::{Job, JobEntities, JobIdResponse, JobType};
pub use ops::*;
pub use plans::*;
pub use requests::*;
pub use resources::*;
pub use service::*;
