//! Integration tests of sdrs-core: one binary, a module per area.

/// Every JSON example parses and re-serialises to the same value.
mod examples;
/// The login rules, scenario by scenario and note by note.
mod login;
/// Member rules (instances, pairs, drills): every refusal at once.
mod member_rules;
/// Recovery plans: the plan check, the timeline, the run state machine.
mod plan;
/// Pre-checks: every blocking reason at once.
mod precheck;
/// Server profiles from ECS and IMS, and guidance where a fact is unknown.
mod profile;
/// The role swap (the seed's Table 1, computed).
mod role_swap;
/// The state machine: table facts, properties and the generated charts.
mod state_machine;
/// Repository rules: module docs, no I/O in the core.
mod tidy;
/// Shared fixtures.
mod util;
