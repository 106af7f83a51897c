//! In-process tests of sdrs-server: every endpoint and error path against a fresh database per test, a SQLite file or
//! (`SDRS_TEST_POSTGRES`, the second pass of `scripts/test`) a PostgreSQL database.

/// The action endpoint, jobs, fault injection and the state machine as the API enforces it.
mod actions;
/// Tokens, AK/SK signatures, project isolation, body limits.
mod auth;
/// The ECS and IMS read side: server and image documents, lists, errors, projects.
mod cloud;
/// `sdrs-server copy-database`, SQLite to the suite's backend.
mod copy;
/// Concurrency, restart recovery and a kill -9 of the real binary.
mod durability;
/// What a second real client found: every list's documented keys, and the native-deletion rule on every operation.
mod fidelity;
/// Gateway mode in front of a second sdrs-server.
mod gateway;
/// The single writer's group commit, its failures and a failed commit.
mod group_commit;
/// Protection-group CRUD, lists and filters.
mod groups;
/// The security review's findings (issue 11), one test or more per item.
mod hardening;
/// Protected instances, replication pairs and DR drills.
mod members;
/// Versions, domains, quotas, task centre, unknown paths, OpenAPI.
mod misc;
/// Health, readiness, metrics, the audit trail and webhooks.
mod operations;
/// Recovery plans and runs.
mod plans;
/// The hot read path: stored JSON as is, reads see answered writes.
mod read_path;
/// Two replicas on one PostgreSQL database.
mod replicas;
/// The second security review (issue 30): secrets, the demo, ids, the report's headers, logins, files, TLS.
mod review;
/// Tidy rules of the server's code.
mod tidy;
/// The test application and fixtures.
mod util;
