//! Tidy rules of the server's code: handlers decide no SDRS rule themselves.

/// Every refusal code a handler or the job runner returns comes from a core function (`sdrs_core::member_rules`,
/// `request`, `precheck`, `state_machine`), mapped by `ApiError::refusal`/`from_member_check`/`missing`/
/// `from_coded`; none is chosen in place with `ApiError::code`. The admin API is sdrs-server's own, not SDRS's:
/// its input checks stay with it.
#[test]
fn handlers_and_jobs_choose_no_sdrs_code_themselves() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    let mut folders = vec![root.join("routes"), root.join("jobs")];
    while let Some(folder) = folders.pop() {
        for entry in std::fs::read_dir(folder).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                folders.push(path);
            } else if path.file_name().is_some_and(|name| name != "admin.rs") {
                files.push(path);
            }
        }
    }
    assert!(files.len() >= 15, "the walk found the handlers and job kinds: {files:?}");
    let mut offenders = Vec::new();
    for path in files {
        let text = std::fs::read_to_string(&path).unwrap();
        for (number, line) in text.lines().enumerate() {
            if line.contains("ApiError::code(") || line.contains("ErrorCode::SDRS_") {
                offenders.push(format!("{}:{}: {}", path.display(), number + 1, line.trim()));
            }
        }
    }
    assert!(offenders.is_empty(), "decide these in sdrs-core and map the result:\n{}", offenders.join("\n"));
}

/// Each job kind lives in one module of `jobs/kinds/`, registered once in `jobs/kind.rs`: every step is some
/// kind's, and the stored form of a plan is the one earlier releases wrote.
#[test]
fn every_step_belongs_to_a_job_kind() {
    use sdrs_core::state_machine::Operation;
    use sdrs_core::status::{InstanceStatus, ReplicationStatus};
    use sdrs_server::jobs::kinds::*;
    use sdrs_server::jobs::{AnyJobKind, Step};
    let id = String::new;
    let mut kinds: Vec<AnyJobKind> = Operation::ALL
        .iter()
        .map(|operation| {
            group::GroupJob { operation: *operation, server_group_id: id(), requested_station: None }.into()
        })
        .collect();
    kinds.extend([
        create_instance::CreateInstance { protected_instance_id: id() }.into(),
        delete_instance::DeleteInstance { protected_instance_id: id(), delete_target_server: false }.into(),
        create_replication::CreateReplication { replication_id: id(), dr_disk_id: id() }.into(),
        delete_replication::DeleteReplication { replication_id: id(), delete_target_volume: false }.into(),
        create_drill::CreateDrill { drill_id: id() }.into(),
        delete_drill::DeleteDrill { drill_id: id() }.into(),
        expand_replication::ExpandReplication {
            replication_id: id(),
            new_size: 1,
            previous_status: ReplicationStatus::Available,
        }
        .into(),
        attach::Attach {
            protected_instance_id: id(),
            replication_id: id(),
            device: id(),
            previous_instance: InstanceStatus::Available,
            previous_replication: ReplicationStatus::Available,
        }
        .into(),
        detach::Detach {
            protected_instance_id: id(),
            replication_id: id(),
            previous_instance: InstanceStatus::Available,
            previous_replication: ReplicationStatus::Available,
        }
        .into(),
    ]);
    let steps: Vec<Step> = kinds.iter().flat_map(|kind: &AnyJobKind| kind.job().steps().to_vec()).collect();
    let missing: Vec<&Step> = Step::ALL.iter().filter(|step| !steps.contains(step)).collect();
    assert!(missing.is_empty(), "steps no kind runs: {missing:?}");
    // The stored form of a plan is unchanged by the registry: `{"type": "<snake_case>", ...fields}`.
    let stored = serde_json::to_value(AnyJobKind::from(create_drill::CreateDrill { drill_id: "d".into() })).unwrap();
    assert_eq!(stored, serde_json::json!({"type": "create_drill", "drill_id": "d"}));
    let group: AnyJobKind =
        serde_json::from_value(serde_json::json!({"type": "group", "operation": "failover", "server_group_id": "g"}))
            .unwrap();
    assert_eq!(group.job().steps().last(), Some(&Step::StartDrServers));
}

/// Every documented operation has a unique operationId, a summary, a success response and, where it takes a body, a
/// request schema generated from the handler's body type.
#[test]
fn every_documented_operation_has_an_id_a_summary_and_typed_bodies() {
    let document = sdrs_server::openapi::document();
    let mut ids = std::collections::BTreeSet::new();
    for (method, path) in sdrs_server::openapi::operations(&document) {
        let operation = &document["paths"][&path][&method];
        let id = operation["operationId"].as_str().unwrap_or_else(|| panic!("{method} {path} has no operationId"));
        assert!(ids.insert(id.to_owned()), "operationId {id} is used twice");
        assert!(operation["summary"].as_str().is_some_and(|s| !s.is_empty()), "{id} has no summary");
        let responses = operation["responses"].as_object().unwrap();
        assert!(responses.keys().any(|status| status.starts_with('2')), "{id} documents no success");
        if ["post", "put", "patch"].contains(&method.as_str()) {
            let schema = &operation["requestBody"]["content"]["application/json"]["schema"];
            assert!(schema.is_object(), "{id} takes a body the document does not describe");
        }
    }
}

/// **The store interface is the only way to the database**: no file outside `src/store/` names the driver or writes
/// SQL, so a second backend (PostgreSQL) is added behind `store::Store` without a handler or a job changing.
#[test]
fn only_the_store_knows_sql() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let (mut files, mut folders) = (Vec::new(), vec![root.clone()]);
    while let Some(folder) = folders.pop() {
        for entry in std::fs::read_dir(folder).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() && path != root.join("store") {
                folders.push(path);
            } else if path.extension().is_some_and(|extension| extension == "rs") {
                files.push(path);
            }
        }
    }
    assert!(files.len() >= 30, "the walk found the handlers and job kinds: {}", files.len());
    let driver_or_sql = [
        "rusqlite",
        "r2d2",
        "prepare",
        "query_row",
        "execute_batch",
        "SELECT ",
        "INSERT INTO",
        "DELETE FROM",
        "UPDATE ",
    ];
    let mut offenders = Vec::new();
    for path in files {
        let text = std::fs::read_to_string(&path).unwrap();
        for (number, line) in text.lines().enumerate() {
            if let Some(word) = driver_or_sql.iter().find(|word| line.contains(*word)) {
                offenders.push(format!("{}:{}: `{word}` in {}", path.display(), number + 1, line.trim()));
            }
        }
    }
    assert!(offenders.is_empty(), "move these behind store::Store:\n{}", offenders.join("\n"));
}

/// Inside the store, every statement on the data is in `statements.rs`, written once for both databases: the
/// backends hold only what is theirs alone (pragmas, the advisory lock, settings, transaction boundaries).
#[test]
fn every_statement_on_the_data_is_written_once() {
    let store = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/store");
    let on_data = ["SELECT ", "INSERT INTO", "DELETE FROM", "UPDATE ", " FROM resources", " FROM jobs"];
    // The migrations' own bookkeeping, the update hook's action, the dialect's fragment, sql.rs's placeholder test.
    let backend_only = [
        "pg_advisory_xact_lock",
        "current_setting",
        "PRAGMA",
        "//",
        "schema_version",
        "SQLITE_UPDATE",
        "SKIP LOCKED",
        "FROM t ",
    ];
    let mut offenders = Vec::new();
    let mut statements = 0;
    for entry in std::fs::read_dir(&store).unwrap() {
        let path = entry.unwrap().path();
        let text = std::fs::read_to_string(&path).unwrap();
        if path.file_name().unwrap() == "statements.rs" {
            statements = text.matches("SELECT ").count();
            continue;
        }
        for (number, line) in text.lines().enumerate() {
            let trimmed = line.trim();
            if on_data.iter().any(|word| contains_sql_word(trimmed, word))
                && !backend_only.iter().any(|allowed| trimmed.contains(allowed))
            {
                offenders.push(format!("{}:{}: {trimmed}", path.display(), number + 1));
            }
        }
    }
    assert!(statements >= 30, "the statements are in statements.rs: {statements} SELECTs found");
    assert!(offenders.is_empty(), "write these once, in store/statements.rs:\n{}", offenders.join("\n"));
}

/// Whether `line` holds `word` as SQL: not as the end of a Rust name (`RESOURCE_UPDATE {`).
fn contains_sql_word(line: &str, word: &str) -> bool {
    line.match_indices(word).any(|(at, _)| {
        !word.starts_with(|c: char| c.is_ascii_alphabetic())
            || !line[..at].ends_with(|c: char| c.is_ascii_alphanumeric() || c == '_')
    })
}

/// ARCHITECTURE.md stays true: every test or function it names (`module::name_with_underscores`) exists, and every
/// repository path it names (`crates/…`, `docs/…`, `scripts/…`, `web/…`) exists.
#[test]
fn architecture_names_only_what_exists() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let text = std::fs::read_to_string(root.join("ARCHITECTURE.md")).unwrap();
    let mut sources = String::new();
    let mut folders = vec![root.join("crates"), root.join("web/tests")];
    while let Some(folder) = folders.pop() {
        for entry in std::fs::read_dir(folder).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                folders.push(path);
            } else if path.extension().is_some_and(|e| e == "rs" || e == "mjs" || e == "py") {
                sources.push_str(&std::fs::read_to_string(&path).unwrap());
            }
        }
    }
    let quoted: Vec<&str> = text.split('`').skip(1).step_by(2).collect();
    let mut missing = Vec::new();
    let mut names = 0;
    for item in &quoted {
        let Some((_, name)) = item.rsplit_once("::") else { continue };
        if name.matches('_').count() >= 2
            && name.chars().all(|c| c.is_ascii_lowercase() || c == '_' || c.is_ascii_digit())
        {
            names += 1;
            if !sources.contains(&format!("fn {name}(")) && !sources.contains(&format!("fn {name}<")) {
                missing.push(item.to_string());
            }
        }
    }
    for item in &quoted {
        let path = item.split(['{', ' ']).next().unwrap_or_default();
        if ["crates/", "docs/", "scripts/", "web/"].iter().any(|prefix| path.starts_with(prefix))
            && !root.join(path).exists()
        {
            missing.push(item.to_string());
        }
    }
    assert!(names >= 20, "the check found {names} names");
    assert!(missing.is_empty(), "ARCHITECTURE.md names what does not exist: {missing:?}");
}
