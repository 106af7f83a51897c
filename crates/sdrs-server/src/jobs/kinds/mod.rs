//! One module per job kind: its steps, their effects, and what its success and failure leave behind.

pub mod attach;
pub mod create_drill;
pub mod create_instance;
pub mod create_replication;
pub mod delete_drill;
pub mod delete_instance;
pub mod delete_replication;
pub mod detach;
pub mod expand_replication;
pub mod group;
