//! The `sdrs` binary run as a process against a real sdrs-server on a loopback socket (demo data): token and AK/SK,
//! a failover followed to SUCCESS, refusals with their exit statuses, JSON parsed back, the name confirmation, a
//! connection dropped while following a job (never resubmitted), profiles, plans and completions.

use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Output, Stdio};
use std::sync::Arc;
use std::time::Duration;

use serde_json::Value;
use tokio::sync::watch;

use sdrs_server::{demo, AppState, Config};

/// A demo sdrs-server on its own runtime and database, listening on loopback.
struct Server {
    base: String,
    runtime: tokio::runtime::Runtime,
    dir: std::path::PathBuf,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn server(time_scale: f64) -> Server {
    let dir = std::env::temp_dir().join(format!("sdrs-cli-{}", uuid_like()));
    std::fs::create_dir_all(&dir).unwrap();
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let database = dir.join("demo.db");
    let base = runtime.block_on(async move {
        let mut config = Config::new(database);
        config.time_scale = 0.0;
        demo::add_credentials(&mut config);
        let state = AppState::open(config.clone()).unwrap();
        demo::seed(&state).await.unwrap();
        drop(state);
        config.time_scale = time_scale;
        let state = AppState::open(config).unwrap();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(sdrs_server::serve_on(state, listener, std::future::pending()));
        base
    });
    Server { base, runtime, dir }
}

fn uuid_like() -> String {
    format!(
        "{}-{:?}",
        std::process::id(),
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos()
    )
}

/// `sdrs` with a clean environment pointed at `endpoint` with the demo token.
fn sdrs(endpoint: &str, home: &std::path::Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_sdrs"));
    command
        .env_clear()
        .env("HOME", home)
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("SDRS_ENDPOINT", endpoint)
        .env("SDRS_PROJECT_ID", demo::PROJECT)
        .env("SDRS_TOKEN", demo::TOKEN)
        .stdin(Stdio::null());
    command
}

fn run(command: &mut Command) -> (i32, String, String) {
    let Output { status, stdout, stderr } = command.output().unwrap();
    (
        status.code().unwrap_or(-1),
        String::from_utf8_lossy(&stdout).into_owned(),
        String::from_utf8_lossy(&stderr).into_owned(),
    )
}

fn run_with_stdin(command: &mut Command, input: &str) -> (i32, String, String) {
    let mut child = command.stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
    child.stdin.take().unwrap().write_all(input.as_bytes()).unwrap();
    let Output { status, stdout, stderr } = child.wait_with_output().unwrap();
    (
        status.code().unwrap_or(-1),
        String::from_utf8_lossy(&stdout).into_owned(),
        String::from_utf8_lossy(&stderr).into_owned(),
    )
}

/// A group's status and failover jobs, read with curl-free HTTP through the CLI itself.
fn group_json(s: &Server, name: &str) -> Value {
    let (code, out, err) = run(sdrs(&s.base, &s.dir).args(["group", name, "--output", "json"]));
    assert_eq!(code, 0, "{err}");
    serde_json::from_str(&out).unwrap()
}

fn failover_jobs(s: &Server, group_id: &str) -> usize {
    let url = format!("{}/admin/v1/{}/server-groups/{group_id}/jobs", s.base, demo::PROJECT);
    let jobs: Value = s.runtime.block_on(async move {
        let client = sdrs_client::HttpTransport::new(Duration::from_secs(5)).unwrap();
        use sdrs_client::Transport;
        let request =
            http::Request::get(url).header("x-admin-token", demo::ADMIN_TOKEN).body(bytes::Bytes::new()).unwrap();
        let answer = client.send(request).await.unwrap();
        serde_json::from_slice(answer.body()).unwrap()
    });
    jobs["jobs"].as_array().unwrap().iter().filter(|j| j["job_type"] == "failoverProtectionGroupNoCG").count()
}

/// The explanations of a login row's answer: its one, or one per case.
fn answer_explanations(answer: &Value) -> Vec<&Value> {
    match answer["kind"].as_str() {
        Some("known") => vec![&answer["explanation"]],
        Some("depends-on") => answer["cases"].as_array().unwrap().iter().map(|c| &c["explanation"]).collect(),
        _ => vec![],
    }
}

#[test]
fn a_failover_with_wait_reaches_success_and_says_who_logs_in_where() {
    let s = server(0.0);
    // Only SDRS credentials: the servers' facts come from the ECS and IMS reads, not the admin API.
    let (code, out, err) =
        run(sdrs(&s.base, &s.dir).args(["failover", "web-tier", "--wait", "--yes", "--output", "json"]));
    assert_eq!(code, 0, "{out}\n{err}");
    let document: Value = serde_json::from_str(&out).expect("--output json is one JSON document");
    assert_eq!(document["job"]["status"], "SUCCESS");
    assert_eq!(document["roles_before"]["priority_station"], "source");
    assert_eq!(document["roles"]["priority_station"], "target");
    let before = &document["roles_before"]["instances"][0];
    let after = &document["roles"]["instances"][0];
    assert_eq!(before["production_server"]["id"], after["dr_server"]["id"], "the roles swapped");
    let logins = document["logins"].as_array().unwrap();
    assert_eq!(logins.len(), 4, "two instances, production and DR server each: {logins:?}");
    eprintln!("{}", serde_json::to_string_pretty(logins).unwrap());
    assert!(logins.iter().all(|l| l["answer"]["kind"] == "known" || l["answer"]["kind"] == "depends-on"), "{logins:?}");
    assert!(logins.iter().all(|l| answer_explanations(&l["answer"])
        .iter()
        .all(|e| e["citations"].as_array().is_some_and(|c| !c.is_empty()))));
    assert_eq!(group_json(&s, "web-tier")["snapshot"]["server_group"]["status"], "failed-over");

    // In words, with AK/SK: a second group, the rule quoted.
    let (code, out, err) = run(sdrs(&s.base, &s.dir)
        .env_remove("SDRS_TOKEN")
        .env("SDRS_AK", demo::ACCESS_KEY)
        .env("SDRS_SK", demo::SECRET_KEY)
        .args(["reprotect", "db-tier", "--wait", "--yes"]));
    assert_eq!(code, 0, "{out}\n{err}");
    assert!(out.contains("accepted: re-protect of db-tier, job "), "{out}");
    assert!(out.contains("SUCCESS"), "{out}");
    assert!(out.contains("roles before") && out.contains("roles now"), "{out}");

    // `sdrs audit` names who did each: the failover by the token's fingerprint, the re-protect by the access key.
    let (code, out, err) = run(sdrs(&s.base, &s.dir).args(["audit", "--resource", "db-tier"]));
    assert_eq!(code, 0, "{out}\n{err}");
    let reprotect = out.lines().find(|l| l.contains("/action")).unwrap_or_else(|| panic!("{out}"));
    assert!(reprotect.contains(&format!("access-key:{}", demo::ACCESS_KEY)) && reprotect.contains("job "), "{out}");
    assert!(!out.contains("web-tier"), "only db-tier's events: {out}");
    let (code, out, err) = run(sdrs(&s.base, &s.dir).args(["audit", "--limit", "1", "--output", "json"]));
    assert_eq!(code, 0, "{out}\n{err}");
    let page: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(page["audit_events"].as_array().unwrap().len(), 1);
    let marker = page["next_marker"].as_str().expect("a marker to older events");
    let (code, out, _) = run(sdrs(&s.base, &s.dir).args(["audit", "--marker", marker, "--output", "json"]));
    assert_eq!(code, 0);
    let older: Value = serde_json::from_str(&out).unwrap();
    let first_failover = older["audit_events"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["operation"] == "POST /v1/{project_id}/server-groups/{server_group_id}/action")
        .unwrap_or_else(|| panic!("{older}"));
    assert!(first_failover["actor"].as_str().unwrap().starts_with("token:"), "{first_failover}");
    assert!(!out.contains(demo::TOKEN) && !out.contains(demo::SECRET_KEY), "never a secret");
}

#[test]
fn refusals_have_their_exit_status_code_and_meaning() {
    let s = server(0.0);
    // The core's pre-check refuses before anything is sent: exit 3, every reason with its code.
    let (code, _, err) = run(sdrs(&s.base, &s.dir).args(["failover", "legacy-tier", "--yes"]));
    assert_eq!(code, 3, "{err}");
    assert!(err.contains("would be refused") && err.contains("nothing was sent") && err.contains("SDRS."), "{err}");
    let (code, out, _) = run(sdrs(&s.base, &s.dir).args(["check", "kube-tier", "failover"]));
    assert_eq!(code, 3, "{out}");
    assert!(out.contains("blocked") && out.contains("blocking"), "every blocking reason is listed: {out}");
    let (code, out, _) = run(sdrs(&s.base, &s.dir).args(["check", "web-tier", "failover", "--output", "json"]));
    assert_eq!(code, 0, "{out}");
    let check: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(check["allowed"], true);
    assert_eq!(check["role_swap"]["after"]["priority_station"], "target");
    // The service's own refusal: exit 1, its code, the catalogue's meaning and handling.
    let (code, _, err) = run(sdrs(&s.base, &s.dir).args(["job", "0123456789abcdef0123456789abcdef"]));
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("SDRS.0201") && err.contains("meaning:") && err.contains("handling:"), "{err}");
    let (code, out, _) =
        run(sdrs(&s.base, &s.dir).args(["job", "0123456789abcdef0123456789abcdef", "--output", "json"]));
    assert_eq!(code, 1);
    let error: Value = serde_json::from_str(&out).unwrap();
    assert_eq!((error["error"]["code"].as_str(), error["error"]["exit_status"].as_i64()), (Some("SDRS.0201"), Some(1)));
    // A wrong token is the gateway's refusal.
    let (code, _, err) = run(sdrs(&s.base, &s.dir).env("SDRS_TOKEN", "wrong").arg("groups"));
    assert_eq!(code, 1);
    assert!(err.contains("APIG.0301"), "{err}");
    // No credential at all says which variables to set.
    let (code, _, err) = run(sdrs(&s.base, &s.dir).env_remove("SDRS_TOKEN").arg("groups"));
    assert_eq!(code, 1);
    assert!(err.contains("SDRS_TOKEN"), "{err}");
}

#[test]
fn the_name_must_be_typed_to_submit() {
    let s = server(0.0);
    let (code, _, err) = run_with_stdin(sdrs(&s.base, &s.dir).args(["failover", "web-tier"]), "web-tir\n");
    assert_eq!(code, 3, "{err}");
    assert!(err.contains("Type the group's name (web-tier)") && err.contains("nothing was sent"), "{err}");
    let group = group_json(&s, "web-tier");
    assert_eq!(group["snapshot"]["server_group"]["status"], "protected");
    let id = group["snapshot"]["server_group"]["id"].as_str().unwrap().to_owned();
    assert_eq!(failover_jobs(&s, &id), 0);
    let (code, out, err) = run_with_stdin(sdrs(&s.base, &s.dir).args(["failover", &id]), "web-tier\n");
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("accepted: failover of web-tier"), "{out}");
    assert_eq!(failover_jobs(&s, &id), 1);
}

#[test]
fn lists_tables_json_config_and_completions() {
    let s = server(0.0);
    let (code, out, _) = run(sdrs(&s.base, &s.dir).args(["groups", "--status", "protected"]));
    assert_eq!(code, 0);
    assert!(out.contains("web-tier") && !out.contains("db-tier") && out.contains("| name"), "{out}");
    let (code, out, _) = run(sdrs(&s.base, &s.dir).args(["groups", "--output", "json"]));
    assert_eq!(code, 0);
    let list: sdrs_core::wire::ServerGroupList = serde_json::from_str(&out).expect("the API's own list");
    assert_eq!(list.count, 7);
    let (code, out, _) = run(sdrs(&s.base, &s.dir).args(["group", "kube-tier"]));
    assert_eq!(code, 0);
    assert!(out.contains("replication pairs") && out.contains("failover") && out.contains("blocked"), "{out}");
    let (code, out, _) = run(sdrs(&s.base, &s.dir).args(["config", "show"]));
    assert_eq!(code, 0);
    assert!(out.contains("<hidden, ") && !out.contains(demo::TOKEN) && out.contains("environment"), "{out}");
    let (code, out, _) = run(sdrs(&s.base, &s.dir).args(["completions", "bash"]));
    assert_eq!(code, 0);
    assert!(out.contains("_sdrs") && out.contains("planned-failover"), "completions know the commands");
    let (code, out, _) = run(sdrs(&s.base, &s.dir).args([
        "login-rules",
        "--os",
        "linux",
        "--login",
        "password",
        "--after",
        "failover",
        "--server",
        "dr",
        "--password-changed",
    ]));
    assert_eq!(code, 0);
    assert!(out.contains("rule ") && out.contains('“'), "the seed's rule is quoted: {out}");
}

#[test]
fn a_profile_file_is_read_and_refused_when_others_can_read_its_secrets() {
    use std::os::unix::fs::PermissionsExt;
    let s = server(0.0);
    let file = s.dir.join("config.toml");
    std::fs::write(
        &file,
        format!(
            "[drill]\nendpoint = \"{}\"\nproject_id = \"{}\"\ntoken = \"{}\"\n",
            s.base,
            demo::PROJECT,
            demo::TOKEN
        ),
    )
    .unwrap();
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644)).unwrap();
    let bare = || {
        let mut command = Command::new(env!("CARGO_BIN_EXE_sdrs"));
        command.env_clear().env("HOME", &s.dir).env("SDRS_CONFIG", &file).env("SDRS_PROFILE", "drill");
        command
    };
    let (code, _, err) = run(bare().arg("groups"));
    assert_eq!(code, 1);
    assert!(err.contains("chmod 600"), "{err}");
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o600)).unwrap();
    let (code, out, err) = run(bare().arg("groups"));
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("web-tier"));
    let (code, out, _) = run(bare().args(["config", "show", "--output", "json"]));
    assert_eq!(code, 0);
    let shown: Value = serde_json::from_str(&out).unwrap();
    let token = shown["settings"].as_array().unwrap().iter().find(|s| s["name"] == "token").unwrap().clone();
    assert_eq!(token["source"], "profile");
    assert!(token["shown"].as_str().unwrap().starts_with("<hidden"));
}

/// Security review (issue 30, item 9): a profile that only names the endpoint still decides where `SDRS_TOKEN` is
/// sent, so one that others may change is refused; a plain-HTTP endpoint through a proxy is warned about.
#[test]
fn a_profile_that_others_may_change_cannot_redirect_the_token() {
    use std::os::unix::fs::PermissionsExt;
    let s = server(0.0);
    let file = s.dir.join("redirect.toml");
    std::fs::write(&file, format!("[default]\nendpoint = \"{}\"\nproject_id = \"{}\"\n", s.base, demo::PROJECT))
        .unwrap();
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o666)).unwrap();
    let with_token = || {
        let mut command = Command::new(env!("CARGO_BIN_EXE_sdrs"));
        command.env_clear().env("HOME", &s.dir).env("SDRS_CONFIG", &file).env("SDRS_TOKEN", demo::TOKEN);
        command
    };
    let (code, _, err) = run(with_token().arg("groups"));
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("writable") && err.contains("chmod go-w"), "{err}");
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644)).unwrap();
    let (code, out, err) = run(with_token().arg("groups"));
    assert_eq!(code, 0, "readable by others is fine without a secret: {err}");
    assert!(out.contains("web-tier"));
    assert!(!err.contains("clear text"), "loopback is not warned about: {err}");

    let remote = "http://sdrs.example.invalid:8080";
    let (_, _, err) = run(sdrs(remote, &s.dir).env("HTTP_PROXY", "http://proxy.example.invalid:3128").args(["groups"]));
    assert!(err.contains("proxy") && err.contains("clear text"), "{err}");
}

/// A TCP proxy that can be cut: while down it drops every connection, new and open.
async fn proxy(target: String, up: watch::Receiver<bool>) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let target = Arc::new(target.trim_start_matches("http://").to_owned());
    tokio::spawn(async move {
        loop {
            let Ok((mut inbound, _)) = listener.accept().await else { return };
            let mut up = up.clone();
            if !*up.borrow() {
                drop(inbound);
                continue;
            }
            let target = target.clone();
            tokio::spawn(async move {
                let Ok(mut outbound) = tokio::net::TcpStream::connect(target.as_str()).await else { return };
                tokio::select! {
                    _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound) => {}
                    _ = up.wait_for(|up| !*up) => {}
                }
            });
        }
    });
    base
}

#[test]
fn a_dropped_connection_while_following_never_resubmits() {
    let s = server(0.5);
    let (up_tx, up_rx) = watch::channel(true);
    let target = s.base.clone();
    let base = s.runtime.block_on(proxy(target, up_rx));
    let mut child = sdrs(&base, &s.dir)
        .args(["failover", "web-tier", "--wait", "--yes"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let accepted = lines.next().unwrap().unwrap();
    assert!(accepted.starts_with("accepted: failover of web-tier"), "{accepted}");
    up_tx.send(false).unwrap();
    std::thread::sleep(Duration::from_millis(2500));
    up_tx.send(true).unwrap();
    let rest: Vec<String> = lines.map_while(Result::ok).collect();
    let status = child.wait().unwrap();
    let text = rest.join("\n");
    assert_eq!(status.code(), Some(0), "{text}");
    assert!(text.contains("no answer while following job") && text.contains("the job is not resubmitted"), "{text}");
    assert!(text.contains("connection back") && text.contains("SUCCESS"), "{text}");
    let id = group_json(&s, "web-tier")["snapshot"]["server_group"]["id"].as_str().unwrap().to_owned();
    assert_eq!(failover_jobs(&s, &id), 1, "one failover, however the connection went");
}

#[test]
fn a_plan_runs_to_its_gate_is_confirmed_and_reported() {
    let s = server(0.0);
    let (code, out, _) = run(sdrs(&s.base, &s.dir).args(["plan", "check", "site-b-recovery", "--mode", "failover"]));
    assert_eq!(code, 3, "the demo plan cannot fail over: {out}");
    assert!(out.contains("would be refused"), "{out}");
    let (code, out, err) =
        run(sdrs(&s.base, &s.dir).args(["plan", "run", "site-b-recovery", "--mode", "drill", "--yes", "--wait"]));
    assert_eq!(code, 0, "{out}\n{err}");
    assert!(out.contains("waiting at a gate") && out.contains("sdrs plan confirm"), "{out}");
    let run_id =
        out.lines().find_map(|l| l.strip_prefix("run ")).unwrap().split_whitespace().next().unwrap().to_owned();
    let (code, out, _) = run(sdrs(&s.base, &s.dir).args(["plan", "confirm", &run_id, "--by", "cli operator"]));
    assert_eq!(code, 0, "{out}");
    let mut status = String::new();
    for _ in 0..100 {
        let (_, out, _) = run(sdrs(&s.base, &s.dir).args(["plan", "show", &run_id, "--output", "json"]));
        let run: Value = serde_json::from_str(&out).unwrap();
        status = run["run"]["status"].as_str().unwrap().to_owned();
        if status != "running" {
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    assert_eq!(status, "succeeded");
    let page = s.dir.join("evidence.html");
    let (code, _, err) = run(sdrs(&s.base, &s.dir).args(["plan", "report", &run_id, "--html"]).arg(&page));
    assert_eq!(code, 0, "{err}");
    assert!(std::fs::read_to_string(&page).unwrap().contains("cli operator"));
}
