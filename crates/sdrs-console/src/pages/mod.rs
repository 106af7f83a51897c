//! One module per route.

pub mod data;
pub mod group;
pub mod groups;
pub mod operation;
pub mod overview;
pub mod plans;
pub mod rules;
pub mod settings;
