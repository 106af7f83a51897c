//! The commands: read what is needed through sdrs-client, decide with sdrs-core, print for a person or a script.

use std::io::{BufRead, IsTerminal, Write};
use std::time::{Duration, Instant};

use clap::{ArgMatches, CommandFactory};
use serde_json::{json, Value};

use sdrs_client::{Client, ClientError};
use sdrs_core::guidance::{assumed_first_time, login_rows_after, LoginRow, RowAnswer};
use sdrs_core::list_query::{append_filters, encode_query_value};
use sdrs_core::login::{
    explain_login, AfterOperation, CloudbaseInitState, LoginExplanation, LoginMethod, LoginQuestion, OsProfile,
    ServerNames, ServerRole,
};
use sdrs_core::plan::check::PlanCheck;
use sdrs_core::plan::run::RunStatus;
use sdrs_core::plan::RunOptions;
use sdrs_core::precheck::{decide, precheck, ActionRefused, Finding, Severity};
use sdrs_core::profile::ServerProfile;
use sdrs_core::request::is_resource_id;
use sdrs_core::role_swap::{preview, roles_at, SiteRoles};
use sdrs_core::snapshot::{GroupSnapshot, Intent};
use sdrs_core::state_machine::check as state_check;
use sdrs_core::status::{JobStatus, PriorityStation};
use sdrs_core::wire::{AuditEventList, Job, PlanList, PlanResource, RunResponse, ServerGroup};

use crate::args::*;
use crate::config::Settings;
use crate::output::{print_json, table};
use crate::CliError;

/// How long `--wait` keeps following a job while the service does not answer, before it says how to go on.
const WAIT_WITHOUT_ANSWER: Duration = Duration::from_secs(600);

pub async fn run(cli: &Cli, matches: &ArgMatches) -> Result<i32, CliError> {
    let json = cli.output == Output::Json;
    match &cli.command {
        Command::Completions { shell } => {
            clap_complete::generate(*shell, &mut Cli::command(), "sdrs", &mut std::io::stdout());
            return Ok(0);
        }
        Command::LoginRules(args) => return login_rules(args, json),
        Command::Config { what: ConfigCommand::Show } => {
            let settings = Settings::resolve(cli, matches)?;
            if json {
                print_json(&serde_json::to_value(&settings).unwrap_or_default());
            } else {
                let file = settings.file.as_ref().map_or("none".to_owned(), |f| f.display().to_string());
                println!("configuration file: {file} (profile `{}`)", settings.profile);
                let rows = settings
                    .settings
                    .iter()
                    .map(|s| {
                        vec![
                            s.name.to_owned(),
                            s.shown.clone().unwrap_or_else(|| "—".to_owned()),
                            serde_json::to_value(&s.source)
                                .ok()
                                .and_then(|v| v.as_str().map(str::to_owned))
                                .unwrap_or_default(),
                        ]
                    })
                    .collect();
                println!("{}", table(&["setting", "value", "from"], rows));
            }
            return Ok(0);
        }
        _ => {}
    }
    let settings = Settings::resolve(cli, matches)?;
    for warning in &settings.warnings {
        eprintln!("warning: {warning}");
    }
    let client = Client::http(
        settings.endpoint()?,
        settings.project_id()?,
        settings.credential()?,
        Duration::from_secs(cli.timeout_seconds),
    )
    .map_err(CliError::Config)?
    .with_services(settings.get("ecs_endpoint"), settings.get("ims_endpoint"));
    match &cli.command {
        Command::Groups(args) => groups(&client, args, json).await,
        Command::Group { group } => show_group(&client, group, json).await,
        Command::Check { group, operation, priority_station } => {
            check(&client, group, *operation, priority_station.map(Into::into), json).await
        }
        Command::Failover(act) => act_on(&client, act, Intent::Failover, json).await,
        Command::PlannedFailover { act, priority_station } => {
            let intent = Intent::PlannedFailover { priority_station: (*priority_station).into() };
            act_on(&client, act, intent, json).await
        }
        Command::Reprotect(act) => act_on(&client, act, Intent::Reprotect, json).await,
        Command::Enable(act) => act_on(&client, act, Intent::Enable, json).await,
        Command::Disable(act) => act_on(&client, act, Intent::Disable, json).await,
        Command::Job { id, wait } => job(&client, id, *wait, json).await,
        Command::Plan { what } => plan(&client, what, json).await,
        Command::Audit(args) => audit(&client, args, json).await,
        Command::Completions { .. } | Command::LoginRules(_) | Command::Config { .. } => unreachable!("handled above"),
    }
}

/// The project's audit trail, newest first: who changed what, from where, and what came of it.
async fn audit(client: &Client, args: &AuditArgs, json: bool) -> Result<i32, CliError> {
    let mut query = format!("limit={}", args.limit);
    // A group's name is what an operator knows; the trail names resources by id. Anything that names no group (a
    // run's, a job's, a webhook's id) is asked for as it is.
    let resource = match &args.resource {
        Some(text) => Some(find_group(client, text).await.map(|group| group.id).unwrap_or_else(|_| text.clone())),
        None => None,
    };
    let filters = [
        ("since", args.since.as_deref()),
        ("until", args.until.as_deref()),
        ("resource_id", resource.as_deref()),
        ("marker", args.marker.as_deref()),
    ];
    append_filters(&mut query, &filters);
    let list: AuditEventList = client.orchestration_get(&format!("/audit-events?{query}")).await?;
    if json {
        print_json(&serde_json::to_value(&list).unwrap_or_default());
        return Ok(0);
    }
    let rows = list
        .audit_events
        .iter()
        .map(|e| {
            vec![
                e.at.clone(),
                e.actor.clone(),
                e.address.clone().unwrap_or_default(),
                e.operation.clone(),
                e.resources.iter().map(|r| r.id.as_str()).collect::<Vec<_>>().join(", "),
                e.outcome.clone(),
            ]
        })
        .collect();
    println!("{}", table(&["at", "who", "from", "operation", "resources", "outcome"], rows));
    match &list.next_marker {
        Some(marker) => println!("{} event(s); older ones: --marker {marker}", list.audit_events.len()),
        None => println!("{} event(s)", list.audit_events.len()),
    }
    Ok(0)
}

async fn groups(client: &Client, args: &GroupsArgs, json: bool) -> Result<i32, CliError> {
    let mut query = format!("limit={}&offset={}", args.limit, args.offset);
    let filters = [
        ("status", args.status.as_deref()),
        ("name", args.name.as_deref()),
        ("query_type", args.query_type.as_deref()),
        ("availability_zone", args.availability_zone.as_deref()),
    ];
    append_filters(&mut query, &filters);
    let list = client.list_groups(Some(&query)).await?;
    if json {
        print_json(&serde_json::to_value(&list).unwrap_or_default());
        return Ok(0);
    }
    let rows = list
        .server_groups
        .iter()
        .map(|g| {
            vec![
                g.name.clone(),
                g.id.clone(),
                g.status.to_string(),
                format!("{} ({})", g.production_availability_zone(), g.priority_station),
                g.protected_instance_num.to_string(),
                g.replication_num.to_string(),
                g.disaster_recovery_drill_num.to_string(),
            ]
        })
        .collect();
    println!("{}", table(&["name", "id", "status", "production site", "instances", "pairs", "drills"], rows));
    println!("{} of {} group(s)", list.server_groups.len(), list.count);
    Ok(0)
}

/// A group by id, or by exact name.
async fn find_group(client: &Client, text: &str) -> Result<ServerGroup, CliError> {
    if is_resource_id(text) {
        match client.group(text).await {
            Ok(group) => return Ok(group),
            Err(ClientError::Api { code, .. }) if code == "SDRS.1013" || code == "SDRS.0201" => {}
            Err(error) => return Err(error.into()),
        }
    }
    let list = client.list_groups(Some(&format!("name={}&limit=1000", encode_query_value(text)))).await?;
    let mut exact: Vec<ServerGroup> = list.server_groups.into_iter().filter(|g| g.name == text).collect();
    match exact.len() {
        1 => Ok(exact.remove(0)),
        0 => Err(CliError::Config(format!("no protection group has the id or name `{text}`"))),
        n => Err(CliError::Config(format!(
            "{n} groups are named `{text}`; give one id: {}",
            exact.iter().map(|g| g.id.as_str()).collect::<Vec<_>>().join(", ")
        ))),
    }
}

/// The group's snapshot with its servers' power states, and their profiles, from ECS and IMS.
async fn snapshot_of(client: &Client, id: &str) -> Result<(GroupSnapshot, Vec<ServerProfile>), CliError> {
    let mut snapshot = client.snapshot(id).await?;
    let ids: Vec<String> =
        snapshot.protected_instances.iter().flat_map(|i| [i.source_server.clone(), i.target_server.clone()]).collect();
    let profiles = client.server_profiles(&ids).await;
    snapshot.set_servers_from(&profiles);
    Ok((snapshot, profiles))
}

fn intent_of(operation: OperationArg, station: Option<PriorityStation>, current: PriorityStation) -> Intent {
    match operation {
        OperationArg::Enable => Intent::Enable,
        OperationArg::Reprotect => Intent::Reprotect,
        OperationArg::Disable => Intent::Disable,
        OperationArg::PlannedFailover => {
            Intent::PlannedFailover { priority_station: station.unwrap_or_else(|| current.flipped()) }
        }
        OperationArg::Failover => Intent::Failover,
        OperationArg::Delete => Intent::Delete,
    }
}

fn finding_lines(findings: &[Finding]) -> Vec<String> {
    findings
        .iter()
        .map(|f| format!("{:<8} {} {}\n         → {}", f.severity.as_str(), f.code, f.message, f.hint))
        .collect()
}

fn roles_table(roles: &SiteRoles) -> String {
    // Each fact once: a server whose name is not known is shown by its id alone.
    let name = |r: &sdrs_core::role_swap::ServerRef| match &r.name {
        Some(name) if *name != r.id => format!("{name} ({}, server {})", r.id, r.seed),
        _ => format!("{} (server {})", r.id, r.seed),
    };
    let rows =
        roles.instances.iter().map(|i| vec![i.name.clone(), name(&i.production_server), name(&i.dr_server)]).collect();
    let production = format!("production site {}", roles.production_availability_zone);
    let dr = format!("DR site {}", roles.dr_availability_zone);
    table(&["instance", &production, &dr], rows)
}

async fn show_group(client: &Client, text: &str, json: bool) -> Result<i32, CliError> {
    let group = find_group(client, text).await?;
    let (snapshot, _) = snapshot_of(client, &group.id).await?;
    let facts = snapshot.facts();
    let station = group.priority_station;
    let intents = [
        Intent::Enable,
        Intent::Reprotect,
        Intent::Disable,
        Intent::PlannedFailover { priority_station: station.flipped() },
        Intent::Failover,
        Intent::Delete,
    ];
    let actions: Vec<Value> = intents
        .iter()
        .map(|intent| match state_check(intent.operation(), group.status) {
            Err(error) => {
                json!({"operation": intent.operation(), "allowed": false, "state": error.to_string(), "findings": []})
            }
            Ok(()) => {
                let found = precheck(&facts, *intent);
                json!({"operation": intent.operation(), "allowed": found.allowed, "findings": found.findings})
            }
        })
        .collect();
    if json {
        print_json(&json!({"snapshot": snapshot, "actions": actions}));
        return Ok(0);
    }
    println!("{} ({})  status: {}", group.name, group.id, group.status);
    println!(
        "production site: {} ({}); DR site: {}",
        group.production_availability_zone(),
        station,
        group.dr_availability_zone()
    );
    println!("\n{}", roles_table(&roles_at(&facts, station)));
    let pairs = snapshot
        .replications
        .iter()
        .map(|r| vec![r.name.clone(), r.id.clone(), r.status.to_string(), r.fault_level.clone()])
        .collect();
    println!("\nreplication pairs\n{}", table(&["pair", "id", "status", "fault level"], pairs));
    if !snapshot.disaster_recovery_drills.is_empty() {
        let drills = snapshot
            .disaster_recovery_drills
            .iter()
            .map(|d| vec![d.name.clone(), d.id.clone(), d.status.to_string()])
            .collect();
        println!("\nDR drills\n{}", table(&["drill", "id", "status"], drills));
    }
    println!("\nwhat each action would need:");
    for action in &actions {
        let operation = action["operation"].as_str().unwrap_or_default();
        if let Some(state) = action["state"].as_str() {
            println!("  {operation:<17} not from this status: {state}");
        } else if action["allowed"] == true {
            println!("  {operation:<17} allowed");
        } else {
            let reasons: Vec<String> = action["findings"]
                .as_array()
                .into_iter()
                .flatten()
                .filter(|f| f["severity"] == "blocking")
                .map(|f| {
                    format!("{} {}", f["code"].as_str().unwrap_or_default(), f["message"].as_str().unwrap_or_default())
                })
                .collect();
            println!("  {operation:<17} blocked: {}", reasons.join("; "));
        }
    }
    Ok(0)
}

async fn check(
    client: &Client,
    text: &str,
    operation: OperationArg,
    station: Option<PriorityStation>,
    json: bool,
) -> Result<i32, CliError> {
    let group = find_group(client, text).await?;
    let (snapshot, _) = snapshot_of(client, &group.id).await?;
    let facts = snapshot.facts();
    let intent = intent_of(operation, station, group.priority_station);
    let state = state_check(intent.operation(), group.status).err();
    let found = precheck(&facts, intent);
    let swap = preview(&facts, intent);
    let allowed = state.is_none() && found.allowed;
    if json {
        print_json(
            &json!({"allowed": allowed, "state": state.as_ref().map(ToString::to_string), "precheck": found, "role_swap": swap}),
        );
    } else {
        println!(
            "{} on {} ({}): {}",
            intent.operation(),
            group.name,
            group.status,
            if allowed { "nothing blocks" } else { "blocked" }
        );
        if let Some(state) = &state {
            println!("  {state}");
        }
        for line in finding_lines(&found.findings) {
            println!("  {line}");
        }
        println!("\nbefore\n{}", roles_table(&swap.before));
        println!("after {}\n{}", intent.operation(), roles_table(&swap.after));
    }
    Ok(if allowed { 0 } else { 3 })
}

/// Asks for `name` to be typed; anything else sends nothing.
fn confirm(what: &str, name: &str) -> Result<(), CliError> {
    eprint!("Type the {what}'s name ({name}) to go on: ");
    let _ = std::io::stderr().flush();
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line).map_err(|e| CliError::Io(e.to_string()))?;
    if line.trim_end_matches(['\n', '\r']) != name {
        return Err(CliError::Blocked(format!("the {what}'s name was not typed; nothing was sent")));
    }
    Ok(())
}

fn os_profile(os: OsArg) -> OsProfile {
    match os {
        OsArg::Windows => OsProfile::Windows { cloudbase_init: false },
        OsArg::WindowsCloudbaseInit => OsProfile::Windows { cloudbase_init: true },
        OsArg::Linux => OsProfile::Linux { coreos: false, cloud_init: false },
        OsArg::LinuxCloudInit => OsProfile::Linux { coreos: false, cloud_init: true },
        OsArg::Coreos => OsProfile::Linux { coreos: true, cloud_init: false },
    }
}

fn login_method(login: LoginArg) -> LoginMethod {
    match login {
        LoginArg::Password => LoginMethod::Password,
        LoginArg::KeyPair => LoginMethod::KeyPair,
    }
}

fn explanation_lines(explanation: &LoginExplanation) -> Vec<String> {
    let mut lines = vec![explanation.summary.clone()];
    for citation in &explanation.citations {
        lines.push(format!("  rule {} ({}): “{}”", citation.0.as_str(), citation.0.title(), citation.0.quote()));
    }
    for discrepancy in &explanation.discrepancies {
        lines.push(format!("  note: {}", discrepancy.explanation));
    }
    lines
}

fn login_json(rows: &[LoginRow]) -> Value {
    Value::Array(
        rows.iter()
            .map(|r| {
                let answer = match &r.answer {
                    RowAnswer::Known(explanation) => json!({"kind": "known", "explanation": explanation}),
                    RowAnswer::DependsOn { decided_by, cases } => {
                        json!({"kind": "depends-on", "decided_by": decided_by,
                        "cases": cases.iter().map(|c| json!({"condition": c.condition, "explanation": c.explanation}))
                            .collect::<Vec<_>>()})
                    }
                    RowAnswer::Unanswered(reason) => json!({"kind": "unanswered", "reason": reason}),
                };
                json!({"instance": r.instance, "role": r.role, "server_id": r.server_id, "server_name": r.server_name,
                       "facts": r.facts, "answer": answer})
            })
            .collect(),
    )
}

/// A row's answer as lines: the facts it was asked with, then its one answer or each case's.
fn row_lines(row: &LoginRow) -> Vec<String> {
    let mut lines: Vec<String> = row.facts.iter().map(|fact| format!("fact: {fact}")).collect();
    match &row.answer {
        RowAnswer::Known(explanation) => lines.extend(explanation_lines(explanation)),
        RowAnswer::DependsOn { decided_by, cases } => {
            lines.push(format!("depends on {decided_by}, which ECS and IMS do not say (--os and --login settle it):"));
            for case in cases {
                lines.push(format!("{}:", case.condition));
                lines.extend(explanation_lines(&case.explanation).into_iter().map(|l| format!("  {l}")));
            }
        }
        RowAnswer::Unanswered(reason) => lines.push(reason.clone()),
    }
    lines
}

async fn act_on(client: &Client, act: &ActArgs, intent: Intent, json: bool) -> Result<i32, CliError> {
    let group = find_group(client, &act.group).await?;
    let (snapshot, _) = snapshot_of(client, &group.id).await?;
    let action = intent.action().expect("the action commands are actions");
    let before = roles_at(&snapshot.facts(), group.priority_station);
    // The core decides, as the server will: a request it refuses is not sent.
    // (Start is enable or re-protect by status; the body sent is the same either way.)
    if let Err(refused) = decide(Some(action), &snapshot.facts()) {
        let reasons = match &refused {
            ActionRefused::State(error) => vec![error.to_string()],
            ActionRefused::Blocked(found) => finding_lines(
                &found.findings.iter().filter(|f| f.severity == Severity::Blocking).cloned().collect::<Vec<_>>(),
            ),
        };
        return Err(CliError::Blocked(format!(
            "{} of `{}` would be refused ({}); nothing was sent:\n  {}",
            intent.operation(),
            group.name,
            sdrs_core::SdrsCoded::code(&refused),
            reasons.join("\n  ")
        )));
    }
    if !act.yes {
        confirm("group", &group.name)?;
    }
    let job_id = match client.action(&group.id, action, None).await {
        Ok(job_id) => job_id,
        Err(ClientError::NoAnswer { reason, .. }) => {
            return Err(CliError::NoAnswer(format!(
                "no answer to the {} of `{}` ({reason}). It may have been accepted, so it was not sent again. Look at \
                 the group before anything else: `sdrs group {}` (a `{}` status means it was accepted).",
                intent.operation(),
                group.name,
                group.id,
                intent.operation().transition().transient
            )))
        }
        Err(error) => return Err(error.into()),
    };
    if !json {
        println!("accepted: {} of {}, job {job_id}", intent.operation(), group.name);
    }
    if !act.wait {
        if json {
            print_json(&json!({"job_id": job_id}));
        }
        return Ok(0);
    }
    let finished = follow(client, &job_id, json).await?;
    let mut document = json!({"job_id": job_id, "job": finished});
    if finished.status == JobStatus::Fail {
        if json {
            print_json(&document);
        }
        return Err(CliError::Failed(format!(
            "job {job_id} failed: {} {}",
            finished.error_code.clone().unwrap_or_default(),
            finished.fail_reason.clone().unwrap_or_default()
        )));
    }
    let (after, profiles) = snapshot_of(client, &group.id).await?;
    let station = after.server_group.priority_station;
    let roles = roles_at(&after.facts(), station);
    // `--os` and `--login` are the operator's statement in place of what ECS and IMS say, and are shown as such.
    let (os, login) = (act.os.map(os_profile), act.login.map(login_method));
    let profiles: Vec<ServerProfile> = profiles.into_iter().map(|p| p.overridden(os, login)).collect();
    let after_operation = match intent {
        Intent::Failover => Some(AfterOperation::Failover),
        Intent::PlannedFailover { .. } => Some(AfterOperation::PlannedFailover),
        _ => None,
    };
    let rows = match after_operation {
        Some(after_operation) => login_rows_after(&after, &profiles, after_operation),
        None => Vec::new(),
    };
    document["roles_before"] = serde_json::to_value(&before).unwrap_or_default();
    document["roles"] = serde_json::to_value(&roles).unwrap_or_default();
    document["logins"] = login_json(&rows);
    if json {
        print_json(&document);
        return Ok(0);
    }
    println!("\nroles before\n{}", roles_table(&before));
    println!("roles now\n{}", roles_table(&roles));
    if after_operation.is_some() {
        println!(
            "\nwho logs in where (assumed {} failover of the group: production is now at `{station}`):",
            if assumed_first_time(station) { "the first" } else { "a later" }
        );
        for row in &rows {
            println!("- {} {} server {}:", row.instance, row.role, row.server_name);
            row_lines(row).iter().for_each(|line| println!("    {line}"));
        }
    }
    Ok(0)
}

/// Follows a job to its end: a progress bar on a terminal, a line per step change otherwise, nothing with JSON. A
/// lost connection is retried (the job is read, never resubmitted) for `WAIT_WITHOUT_ANSWER`.
async fn follow(client: &Client, job_id: &str, json: bool) -> Result<Job, CliError> {
    let terminal = !json && std::io::stderr().is_terminal();
    let bar = terminal.then(|| {
        let bar = indicatif::ProgressBar::new(0);
        bar.set_style(
            indicatif::ProgressStyle::with_template("{spinner} [{bar:30}] {pos}/{len} {msg}")
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        bar
    });
    let mut last_line = String::new();
    let mut lost_since: Option<Instant> = None;
    let mut delay = Duration::from_millis(500);
    loop {
        match client.job(job_id).await {
            Ok(job) => {
                if lost_since.take().is_some() && !json {
                    println!("connection back; still job {job_id} (it was not resubmitted)");
                }
                delay = Duration::from_millis(500);
                let steps = job.entities.sub_jobs.clone().unwrap_or_default();
                let done = steps.iter().filter(|s| s.status == JobStatus::Success).count();
                let current = steps.iter().find(|s| !s.status.is_finished()).map(|s| s.job_type.clone());
                let line = format!(
                    "job {}: {} step {}/{}{}",
                    job_id,
                    job.status,
                    done,
                    steps.len(),
                    current.map(|c| format!(" ({c})")).unwrap_or_default()
                );
                match &bar {
                    Some(bar) => {
                        bar.set_length(steps.len() as u64);
                        bar.set_position(done as u64);
                        bar.set_message(format!("{}", job.status));
                    }
                    None if !json && line != last_line => println!("{line}"),
                    None => {}
                }
                last_line = line;
                if job.status.is_finished() {
                    if let Some(bar) = bar {
                        bar.finish_with_message(job.status.to_string());
                    }
                    if !json && terminal {
                        println!("job {job_id}: {}", job.status);
                    }
                    return Ok(job);
                }
            }
            Err(ClientError::NoAnswer { reason, .. }) => {
                let since = *lost_since.get_or_insert_with(|| {
                    if !json {
                        println!(
                            "no answer while following job {job_id} ({reason}); retrying, the job is not resubmitted"
                        );
                    }
                    Instant::now()
                });
                if since.elapsed() > WAIT_WITHOUT_ANSWER {
                    return Err(CliError::NoAnswer(format!(
                        "no answer for {} s while following job {job_id}; it runs on at the service. Follow it \
                         later with `sdrs job {job_id} --wait`",
                        WAIT_WITHOUT_ANSWER.as_secs()
                    )));
                }
                delay = (delay * 2).min(Duration::from_secs(5));
            }
            Err(error) => return Err(error.into()),
        }
        tokio::time::sleep(delay).await;
    }
}

async fn job(client: &Client, id: &str, wait: bool, json: bool) -> Result<i32, CliError> {
    let job = if wait { follow(client, id, json).await? } else { client.job(id).await? };
    if json {
        print_json(&serde_json::to_value(&job).unwrap_or_default());
    } else {
        println!("job {} ({}): {}", job.job_id, job.job_type, job.status);
        let rows = job
            .entities
            .sub_jobs
            .iter()
            .flatten()
            .map(|s| {
                vec![
                    s.job_type.clone(),
                    s.status.to_string(),
                    s.begin_time.clone().unwrap_or_default(),
                    s.end_time.clone().unwrap_or_default(),
                ]
            })
            .collect();
        println!("{}", table(&["step", "status", "began", "ended"], rows));
        if let Some(reason) = &job.fail_reason {
            println!("failed: {} {reason}", job.error_code.clone().unwrap_or_default());
        }
    }
    Ok(if job.status == JobStatus::Fail { 5 } else { 0 })
}

fn login_rules(args: &LoginArgs, json: bool) -> Result<i32, CliError> {
    let question = LoginQuestion {
        os: os_profile(args.os),
        login: login_method(args.login),
        after: match args.after {
            AfterArg::Failover => AfterOperation::Failover,
            AfterArg::PlannedFailover => AfterOperation::PlannedFailover,
            AfterArg::DrDrill => AfterOperation::DrDrill,
        },
        first_time: !args.later,
        server: match args.server {
            RoleArg::Production => ServerRole::Production,
            RoleArg::Dr => ServerRole::Dr,
            RoleArg::Drill => ServerRole::Drill,
        },
        production_site: args.production_site.map(Into::into),
        password_changed_before_failover: Some(args.password_changed),
        cloudbase_init: match args.cloudbase_init {
            CloudbaseArg::NotStarted => CloudbaseInitState::NotStarted,
            CloudbaseArg::Started => CloudbaseInitState::Started,
            CloudbaseArg::Unknown => CloudbaseInitState::Unknown,
        },
        names: ServerNames::default(),
    };
    let explanation = explain_login(&question).map_err(|e| CliError::Config(e.to_string()))?;
    if json {
        print_json(&serde_json::to_value(&explanation).unwrap_or_default());
    } else {
        explanation_lines(&explanation).iter().for_each(|l| println!("{l}"));
    }
    Ok(0)
}

/// Every recovery plan of the project, a page at a time (the server answers at most 50 to a page).
async fn all_plans(client: &Client) -> Result<PlanList, CliError> {
    let mut all = PlanList { recovery_plans: Vec::new(), count: 0 };
    loop {
        let rest = format!("/recovery-plans?limit=50&offset={}", all.recovery_plans.len());
        let page: PlanList = client.orchestration_get(&rest).await?;
        let done = page.recovery_plans.len() < 50;
        all.count = page.count;
        all.recovery_plans.extend(page.recovery_plans);
        if done || all.recovery_plans.len() as u64 >= page.count {
            return Ok(all);
        }
    }
}

async fn find_plan(client: &Client, text: &str) -> Result<PlanResource, CliError> {
    let list = all_plans(client).await?;
    let mut found: Vec<PlanResource> =
        list.recovery_plans.into_iter().filter(|p| p.id == text || p.name == text).collect();
    match found.len() {
        1 => Ok(found.remove(0)),
        0 => Err(CliError::Config(format!("no recovery plan has the id or name `{text}`"))),
        _ => Err(CliError::Config(format!("several plans are named `{text}`; give its id"))),
    }
}

fn run_options(run: &RunArgs) -> RunOptions {
    RunOptions {
        mode: run.mode.into(),
        priority_station: run.priority_station.map(Into::into),
        drill_vpc_id: run.drill_vpc_id.clone(),
        drill_run_id: run.drill_run.clone(),
    }
}

fn print_check(check: &PlanCheck) {
    println!("{}", if check.allowed { "nothing blocks this run" } else { "this run would be refused:" });
    for f in &check.findings {
        let stage = f.stage.map(|s| format!("stage {}: ", s + 1)).unwrap_or_default();
        println!("  {:<8} {} {stage}{}\n           → {}", f.severity.as_str(), f.code, f.message, f.hint);
    }
    for stage in &check.timeline {
        let groups: Vec<String> = stage
            .groups
            .iter()
            .map(|g| {
                format!(
                    "{}{} {}",
                    g.name,
                    if g.critical { "" } else { " (optional)" },
                    g.statuses.iter().map(|s| s.as_str()).collect::<Vec<_>>().join("→")
                )
            })
            .collect();
        println!("  stage {} {}: {}", stage.index + 1, stage.kind, groups.join(", "));
    }
}

async fn plan(client: &Client, what: &PlanCommand, json: bool) -> Result<i32, CliError> {
    match what {
        PlanCommand::List => {
            let list = all_plans(client).await?;
            if json {
                print_json(&serde_json::to_value(&list).unwrap_or_default());
            } else {
                let rows = list
                    .recovery_plans
                    .iter()
                    .map(|p| {
                        vec![
                            p.name.clone(),
                            p.id.clone(),
                            p.stages.len().to_string(),
                            p.stages.iter().map(|s| s.groups().len()).sum::<usize>().to_string(),
                        ]
                    })
                    .collect();
                println!("{}", table(&["plan", "id", "stages", "groups"], rows));
            }
            Ok(0)
        }
        PlanCommand::Check(run) => {
            let plan = find_plan(client, &run.plan).await?;
            let options = serde_json::to_value(run_options(run)).unwrap_or_default();
            let check: PlanCheck =
                client.orchestration_post(&format!("/recovery-plans/{}/check", plan.id), &options).await?;
            if json {
                print_json(&serde_json::to_value(&check).unwrap_or_default());
            } else {
                print_check(&check);
            }
            Ok(if check.allowed { 0 } else { 3 })
        }
        PlanCommand::Run { run, yes, wait } => {
            let plan = find_plan(client, &run.plan).await?;
            let options = run_options(run);
            let check: PlanCheck = client
                .orchestration_post(
                    &format!("/recovery-plans/{}/check", plan.id),
                    &serde_json::to_value(&options).unwrap_or_default(),
                )
                .await?;
            if !check.allowed {
                if !json {
                    print_check(&check);
                }
                return Err(CliError::Blocked("the plan check found blocking reasons; nothing was started".to_owned()));
            }
            if !yes {
                confirm("plan", &plan.name)?;
            }
            let mut body = serde_json::to_value(&options).unwrap_or_default();
            body["confirm"] = Value::String(plan.name.clone());
            // The version checked above: a plan replaced since is refused rather than run.
            body["plan_version"] = Value::from(plan.version);
            let started: RunResponse =
                match client.orchestration_post(&format!("/recovery-plans/{}/runs", plan.id), &body).await {
                    Ok(started) => started,
                    Err(ClientError::NoAnswer { reason, .. }) => {
                        return Err(CliError::NoAnswer(format!(
                        "no answer to starting the run ({reason}); it was not sent again: `sdrs plan list` and the \
                         plan's runs say whether it started"
                    )))
                    }
                    Err(error) => return Err(error.into()),
                };
            let id = started.run.id.clone();
            if !json {
                println!("run {id} started ({} mode)", started.run.options.mode);
            }
            if !wait {
                if json {
                    print_json(&json!({"run": started.run}));
                }
                return Ok(0);
            }
            follow_run(client, &id, json).await
        }
        PlanCommand::Confirm { run, by } => {
            let answer: RunResponse = client
                .orchestration_post(&format!("/plan-runs/{run}/confirm-gate"), &json!({"confirmed_by": by}))
                .await?;
            if json {
                print_json(&json!({"run": answer.run}));
            } else {
                println!("gate confirmed by {by}; run {run} is {}", answer.run.status);
            }
            Ok(0)
        }
        PlanCommand::Show { run } => {
            let answer: RunResponse = client.orchestration_get(&format!("/plan-runs/{run}")).await?;
            if json {
                print_json(&json!({"run": answer.run}));
            } else {
                print_run(&answer.run);
            }
            Ok(0)
        }
        PlanCommand::Report { run, html } => {
            if let Some(file) = html {
                let page = client.orchestration_text(&format!("/plan-runs/{run}/report.html")).await?;
                std::fs::write(file, page).map_err(|e| CliError::Io(format!("{}: {e}", file.display())))?;
                if !json {
                    println!("evidence of run {run} written to {}", file.display());
                }
                return Ok(0);
            }
            let report: Value = client.orchestration_get(&format!("/plan-runs/{run}/report")).await?;
            print_json(&report);
            Ok(0)
        }
    }
}

fn print_run(run: &sdrs_core::plan::run::PlanRun) {
    println!("run {} of {} ({}): {}", run.id, run.plan.name, run.options.mode, run.status);
    for stage in &run.stages {
        println!("  stage {} {}: {}", stage.index + 1, stage.kind, stage.status);
        for g in &stage.groups {
            println!(
                "    {}{}: {}{}",
                g.name,
                if g.critical { "" } else { " (optional)" },
                g.status,
                g.fail_reason.clone().map(|r| format!(" — {r}")).unwrap_or_default()
            );
        }
    }
}

/// Follows a run until it ends, or waits for a person (a gate, a critical failure).
async fn follow_run(client: &Client, id: &str, json: bool) -> Result<i32, CliError> {
    let mut last = String::new();
    loop {
        match client.orchestration_get::<RunResponse>(&format!("/plan-runs/{id}")).await {
            Ok(answer) => {
                let run = answer.run;
                let done = run.groups().filter(|(_, g)| g.status.as_str() == "succeeded").count();
                let line = format!("run {id}: {} ({done}/{} groups succeeded)", run.status, run.groups().count());
                if !json && line != last {
                    println!("{line}");
                }
                last = line;
                let status = run.status;
                let waits = matches!(status, RunStatus::WaitingForGate | RunStatus::PausedOnFailure);
                if status.is_final() || waits {
                    if json {
                        print_json(&json!({"run": run}));
                    } else if status == RunStatus::WaitingForGate {
                        let text = run.current_stage().and_then(|i| run.stages[i].text.clone()).unwrap_or_default();
                        println!("waiting at a gate: “{text}”\nconfirm with: sdrs plan confirm {id} --by 'YOUR NAME'");
                    } else {
                        print_run(&run);
                    }
                    return match status {
                        RunStatus::Succeeded | RunStatus::WaitingForGate => Ok(0),
                        _ => Err(CliError::Failed(format!("run {id} is {status}"))),
                    };
                }
            }
            Err(ClientError::NoAnswer { reason, .. }) => {
                if !json {
                    println!("no answer while following run {id} ({reason}); retrying");
                }
            }
            Err(error) => return Err(error.into()),
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

#[cfg(test)]
mod tests {
    use sdrs_core::role_swap::{InstanceRoles, SeedServer, ServerRef, SiteRoles};
    use sdrs_core::status::PriorityStation;

    #[test]
    fn a_role_table_shows_each_fact_once() {
        let server = |id: &str, name: Option<&str>, seed| ServerRef { id: id.into(), name: name.map(Into::into), seed };
        let roles = SiteRoles {
            priority_station: PriorityStation::Target,
            production_availability_zone: "eu-de-02".into(),
            dr_availability_zone: "eu-de-01".into(),
            instances: vec![InstanceRoles {
                protected_instance_id: "pi-1".into(),
                name: "web-01".into(),
                production_server: server("srv-b", None, SeedServer::B),
                dr_server: server("srv-a", Some("web-01"), SeedServer::A),
            }],
        };
        let table = super::roles_table(&roles);
        let row = table.lines().nth(2).unwrap();
        let cells: Vec<&str> = row.split('|').map(str::trim).collect();
        assert_eq!(cells, ["", "web-01", "srv-b (server B)", "web-01 (srv-a, server A)", ""], "{table}");
        assert!(!table.contains("srv-b (srv-b"), "{table}");
    }
}
