//! Tidy rules of the server's code: handlers decide no SDRS rule themselves.

/// Every refusal code a handler or the job runner returns comes from a core function (`sdrs_core::member_rules`,
/// `request`, `precheck`, `state_machine`), mapped by `ApiError::refusal`/`from_member_check`/`missing`/
/// `from_coded`; none is chosen in place with `ApiError::code`. The admin API is sdrs-server's own, not SDRS's:
/// its input checks stay with it.
#[test]
fn handlers_and_jobs_choose_no_sdrs_code_themselves() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut offenders = Vec::new();
    for folder in ["routes", "jobs"] {
        for entry in std::fs::read_dir(root.join(folder)).unwrap() {
            let path = entry.unwrap().path();
            if path.file_name().is_some_and(|name| name == "admin.rs") {
                continue;
            }
            let text = std::fs::read_to_string(&path).unwrap();
            for (number, line) in text.lines().enumerate() {
                if line.contains("ApiError::code(") || line.contains("ErrorCode::SDRS_") {
                    offenders.push(format!("{}:{}: {}", path.display(), number + 1, line.trim()));
                }
            }
        }
    }
    assert!(offenders.is_empty(), "decide these in sdrs-core and map the result:\n{}", offenders.join("\n"));
}
