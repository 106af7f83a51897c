//! What a second real client (otcextensions) found (issue 29): every list's documented query keys, each one shown to
//! filter, and the seed's rule on natively deleted servers over every operation the server offers.

use std::collections::BTreeSet;

use axum::http::{Method, StatusCode};
use serde_json::{json, Value};

use sdrs_core::list_query::ListKind;
use sdrs_core::member_rules::{MemberOperation, NativeDeletionRule};
use sdrs_server::demo;

use crate::util::{admin, v1, TestApp, P};

/// The names a list answers, in order (a failed job's resource name for the task centre).
async fn names(app: &TestApp, path: &str, key: &str) -> Vec<String> {
    let (status, body) = app.get(path).await;
    assert_eq!(status, StatusCode::OK, "{path}: {body}");
    let field = if key == "failure_jobs" { "resource_name" } else { "name" };
    let items = body[key].as_array().unwrap_or_else(|| panic!("{path}: {body}"));
    assert_eq!(body["count"].as_u64().map(|n| n >= items.len() as u64), Some(true), "{path}: count {body}");
    items.iter().map(|item| item[field].as_str().unwrap().to_owned()).collect()
}

/// The id of the item named `name` in a list.
async fn id_of(app: &TestApp, list: &str, key: &str, name: &str) -> String {
    let (_, body) = app.get(&v1(list)).await;
    let items = body[key].as_array().unwrap();
    let item = items.iter().find(|i| i["name"] == name).unwrap_or_else(|| panic!("no {name} in {body}"));
    item["id"].as_str().unwrap().to_owned()
}

/// The demo dataset, plus a second DR drill whose creation failed (kube-tier, in its own VPC): two drills and two
/// task-centre entries to tell apart.
async fn demo_app() -> (TestApp, Ids) {
    let app = TestApp::new().await;
    assert!(demo::seed(&app.state).await.unwrap());
    let group = |name: &'static str| {
        let app = &app;
        async move { id_of(app, "/server-groups", "server_groups", name).await }
    };
    let ids = Ids {
        web: group("web-tier").await,
        db: group("db-tier").await,
        kube: group("kube-tier").await,
        web_01: id_of(&app, "/protected-instances", "protected_instances", "web-01").await,
        etl_01: id_of(&app, "/protected-instances", "protected_instances", "etl-01").await,
    };
    let (status, body) =
        app.post(&admin("/faults"), json!({"server_group_id": ids.kube, "step": "createDrillServers"})).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let drill = app
        .job(
            Method::POST,
            &v1("/disaster-recovery-drills"),
            Some(json!({"disaster_recovery_drill": {"server_group_id": ids.kube, "name": "kube-drill",
                        "drill_vpc_id": "drill-vpc-kube"}})),
        )
        .await;
    assert_eq!(drill["status"], "FAIL", "{drill}");
    (app, ids)
}

struct Ids {
    web: String,
    db: String,
    kube: String,
    web_01: String,
    etl_01: String,
}

/// One case per documented key of every list: the key, its value, and the names the list answers. A test table per
/// list, checked against the core's table of documented keys, so a key the core names cannot go untested; each case
/// answers fewer items than the unfiltered list, so a key a list ignores fails its case.
#[tokio::test]
async fn every_documented_list_key_filters() {
    let (app, ids) = demo_app().await;
    let pair_of = |instance: &str| format!("{instance}-system");
    let cases: Vec<(ListKind, &str, &str, Vec<KeyCase>)> = vec![
        (
            ListKind::ServerGroups,
            "/server-groups",
            "server_groups",
            vec![
                ("limit", "2".into(), names_of(&["web-tier", "db-tier"])),
                ("offset", "5".into(), names_of(&["kube-tier", "sandbox"])),
                ("status", "failed-over".into(), names_of(&["db-tier"])),
                ("name", "l".into(), names_of(&["etl-tier", "legacy-tier"])),
                ("query_type", "status_abnormal".into(), names_of(&["etl-tier"])),
                ("availability_zone", demo::TARGET_AZ.into(), names_of(&["db-tier"])),
            ],
        ),
        (
            ListKind::ProtectedInstances,
            "/protected-instances",
            "protected_instances",
            vec![
                ("server_group_id", ids.db.clone(), names_of(&["db-01", "db-02"])),
                (
                    "server_group_ids",
                    format!("['{}','{}']", ids.web, ids.kube),
                    names_of(&["web-01", "web-02", "kube-01", "ad-01"]),
                ),
                (
                    "protected_instance_ids",
                    format!("['{}','{}']", ids.web_01, ids.etl_01),
                    names_of(&["web-01", "etl-01"]),
                ),
                ("limit", "3".into(), names_of(&["web-01", "web-02", "db-01"])),
                ("offset", "8".into(), names_of(&["kube-01", "ad-01"])),
                ("status", "invalid".into(), names_of(&["legacy-02"])),
                ("name", "legacy".into(), names_of(&["legacy-01", "legacy-02"])),
                ("query_type", "status_abnormal".into(), names_of(&["etl-01", "legacy-02"])),
                ("availability_zone", demo::TARGET_AZ.into(), names_of(&["db-01", "db-02"])),
            ],
        ),
        (
            ListKind::Replications,
            "/replications",
            "replications",
            vec![
                ("server_group_id", ids.db.clone(), vec![pair_of("db-01"), pair_of("db-02")]),
                ("server_group_ids", format!("['{}']", ids.kube), vec![pair_of("kube-01"), pair_of("ad-01")]),
                ("protected_instance_id", ids.web_01.clone(), vec![pair_of("web-01")]),
                (
                    "protected_instance_ids",
                    format!("['{}','{}']", ids.web_01, ids.etl_01),
                    vec![pair_of("web-01"), pair_of("etl-01")],
                ),
                ("name", "legacy".into(), vec![pair_of("legacy-01"), pair_of("legacy-02")]),
                ("status", "error-failing-over".into(), vec![pair_of("etl-01")]),
                ("limit", "1".into(), vec![pair_of("web-01")]),
                ("offset", "7".into(), vec![pair_of("kube-01"), pair_of("ad-01")]),
                // An abnormal status, or a fault_level other than 0 (kube-tier's broken link).
                ("query_type", "status_abnormal".into(), vec![pair_of("etl-01"), pair_of("ad-01")]),
                ("availability_zone", demo::TARGET_AZ.into(), vec![pair_of("db-01"), pair_of("db-02")]),
            ],
        ),
        (
            ListKind::Drills,
            "/disaster-recovery-drills",
            "disaster_recovery_drills",
            vec![
                ("server_group_id", ids.kube.clone(), names_of(&["kube-drill"])),
                ("name", "quarterly".into(), names_of(&["web-quarterly-drill"])),
                ("status", "error".into(), names_of(&["kube-drill"])),
                ("drill_vpc_id", "drill-vpc-kube".into(), names_of(&["kube-drill"])),
                ("limit", "1".into(), names_of(&["web-quarterly-drill"])),
                ("offset", "1".into(), names_of(&["kube-drill"])),
            ],
        ),
        (
            ListKind::FailureJobs,
            "/task-center/failure-jobs",
            "failure_jobs",
            vec![
                ("failure_status", "createFail".into(), names_of(&["kube-drill"])),
                ("resource_name", "etl".into(), names_of(&["etl-tier"])),
                ("server_group_id", ids.kube.clone(), names_of(&["kube-drill"])),
                ("resource_type", "server_groups".into(), names_of(&["etl-tier"])),
                ("limit", "1".into(), names_of(&["kube-drill"])),
                ("offset", "1".into(), names_of(&["etl-tier"])),
            ],
        ),
    ];
    let mut lists_checked = BTreeSet::new();
    for (list, path, key, list_cases) in &cases {
        let keys: BTreeSet<&str> = list_cases.iter().map(|(k, _, _)| *k).collect();
        let documented: BTreeSet<&str> = list.documented_keys().iter().copied().collect();
        assert_eq!(keys, documented, "{list:?}: one case for every documented key, none for any other");
        let everything = names(&app, &v1(path), key).await;
        for (query_key, value, expected) in list_cases {
            let encoded = percent_encoding::utf8_percent_encode(value, percent_encoding::NON_ALPHANUMERIC);
            let got = names(&app, &v1(&format!("{path}?{query_key}={encoded}")), key).await;
            assert_eq!(&got, expected, "{path}?{query_key}={value}");
            assert!(got.len() < everything.len(), "{path}?{query_key}: the case must leave something out");
        }
        lists_checked.insert(format!("{list:?}"));
    }
    // The recovery-plan lists are this tool's own; their keys (paging and marker) are checked in `plans.rs`.
    let sdrs_lists = ListKind::ALL.iter().filter(|l| !matches!(l, ListKind::RecoveryPlans | ListKind::PlanRuns));
    assert_eq!(lists_checked.len(), sdrs_lists.count(), "every SDRS list has its table");
}

/// A query key, its value, and the names the list answers.
type KeyCase<'a> = (&'a str, String, Vec<String>);

fn names_of(names: &[&str]) -> Vec<String> {
    names.iter().map(|n| (*n).to_owned()).collect()
}

/// An undocumented key is refused with the keys the list does accept; a repeated key says how to name several ids;
/// `marker` (the one extension, which openstacksdk's paging sends) pages by id, and an unknown marker is refused.
#[tokio::test]
async fn undocumented_keys_are_refused_and_marker_pages() {
    let (app, _) = demo_app().await;
    let typo = app.get(&v1("/replications?availabilty_zone=eu-de-02")).await;
    TestApp::expect_error(&typo, 400, "SDRS.0201");
    let message = typo.1["error"]["message"].as_str().unwrap();
    assert!(message.contains("availabilty_zone") && message.contains("availability_zone"), "{message}");
    let twice = app.get(&v1("/protected-instances?server_group_id=a&server_group_id=b")).await;
    TestApp::expect_error(&twice, 400, "SDRS.0201");
    assert!(twice.1["error"]["message"].as_str().unwrap().contains("['id1','id2']"), "{}", twice.1);

    let all = names(&app, &v1("/server-groups"), "server_groups").await;
    let mut paged = Vec::new();
    let mut marker: Option<String> = None;
    loop {
        let query = marker.as_ref().map_or_else(|| "limit=3".to_owned(), |m| format!("limit=3&marker={m}"));
        let (status, body) = app.get(&v1(&format!("/server-groups?{query}"))).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let page = body["server_groups"].as_array().unwrap().clone();
        paged.extend(page.iter().map(|g| g["name"].as_str().unwrap().to_owned()));
        if page.len() < 3 {
            break;
        }
        marker = page.last().map(|g| g["id"].as_str().unwrap().to_owned());
        assert!(paged.len() <= all.len(), "paging by marker ends");
    }
    assert_eq!(paged, all, "paging by marker visits every group once, in order");
    let unknown = app.get(&v1("/server-groups?marker=no-such-group")).await;
    TestApp::expect_error(&unknown, 400, "SDRS.0201");
}

/// A request: method, path and body.
type Request = (Method, String, Option<Value>);

/// What the rule does to a request: refused with the deleted server's code first, or allowed (and why).
enum Expect {
    Refused,
    Allowed(&'static str),
}

const READ: &str = "a read changes nothing";
const RENAME: &str = "a name is the service's own record: no server, disk or replication is touched and no job runs";
const TASK_CENTRE: &str = "it forgets records of failed jobs; no resource changes";
const PLAN_RECORD: &str =
    "a plan or a run is this tool's record; every group it acts on goes through the operations here, which refuse";

fn member(operation: MemberOperation) -> Expect {
    match operation.native_deletion_rule() {
        NativeDeletionRule::Refused => Expect::Refused,
        NativeDeletionRule::Allowed(why) => Expect::Allowed(why),
    }
}

/// The seed: "If the server at the production site or DR site in a protected instance is deleted using the native
/// interface, no operations can be performed on the protected instance or the protection group of the protected
/// instance." Every operation the server offers, on a group with a natively deleted server: which ones the rule
/// refuses (with `SDRS.1326` first, whatever else is wrong) and why each other one is allowed. The clean-up runs
/// last and frees the group: a failover is then accepted.
#[tokio::test]
async fn a_natively_deleted_server_refuses_every_operation_on_its_group_but_the_clean_up() {
    let app = TestApp::new().await;
    let (group, _healthy, healthy_pair) = app.protected_group("rule").await;
    let (broken, broken_pair) = app.protect(&group, "rule-doomed").await;
    app.server("rule-spare", json!({"family": "linux", "coreos": false, "cloud_init": false}), "key-pair").await;
    let drill = app
        .job(
            Method::POST,
            &v1("/disaster-recovery-drills"),
            Some(json!({"disaster_recovery_drill": {"server_group_id": group, "name": "before"}})),
        )
        .await;
    let drill_id = drill["entities"]["disaster_recovery_drill_id"].as_str().unwrap().to_owned();
    let job_id = drill["job_id"].as_str().unwrap().to_owned();
    let (status, _) = app.call(Method::DELETE, &admin("/servers/rule-doomed"), None).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, plan) = app
        .post(
            &format!("/orchestration/v1/{P}/recovery-plans"),
            json!({"recovery_plan": {"name": "rule-plan", "stages": [{"type": "groups", "groups": [
                {"server_group_id": group, "critical": true}]}]}}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{plan}");
    let plan_id = plan["recovery_plan"]["id"].as_str().unwrap().to_owned();

    let g = |rest: &str| v1(&format!("/server-groups/{group}{rest}"));
    let action = |body: Value| (Method::POST, g("/action"), Some(body));
    let orchestration = |rest: &str| format!("/orchestration/v1/{P}{rest}");
    use MemberOperation as M;
    #[rustfmt::skip]
    let operations: Vec<(&str, Request, Expect)> = vec![
        ("ListProtectionGroups", (Method::GET, v1("/server-groups"), None), Expect::Allowed(READ)),
        ("ShowProtectionGroup", (Method::GET, g(""), None), Expect::Allowed(READ)),
        ("ListProtectedInstances", (Method::GET, v1("/protected-instances"), None), Expect::Allowed(READ)),
        ("ShowProtectedInstance", (Method::GET, v1(&format!("/protected-instances/{broken}")), None), Expect::Allowed(READ)),
        ("ListReplications", (Method::GET, v1("/replications"), None), Expect::Allowed(READ)),
        ("ShowReplication", (Method::GET, v1(&format!("/replications/{broken_pair}")), None), Expect::Allowed(READ)),
        ("ListDisasterRecoveryDrills", (Method::GET, v1("/disaster-recovery-drills"), None), Expect::Allowed(READ)),
        ("ShowDisasterRecoveryDrill", (Method::GET, v1(&format!("/disaster-recovery-drills/{drill_id}")), None), Expect::Allowed(READ)),
        ("ShowJobStatus", (Method::GET, v1(&format!("/jobs/{job_id}")), None), Expect::Allowed(READ)),
        ("ListActiveActiveDomains", (Method::GET, v1("/active-domains"), None), Expect::Allowed(READ)),
        ("ShowQuota", (Method::GET, v1("/sdrs/quotas"), None), Expect::Allowed(READ)),
        ("ListFailureJobs", (Method::GET, v1("/task-center/failure-jobs"), None), Expect::Allowed(READ)),
        ("UpdateProtectionGroupName", (Method::PUT, g(""), Some(json!({"server_group": {"name": "rule-renamed"}}))), Expect::Allowed(RENAME)),
        ("UpdateProtectedInstanceName", (Method::PUT, v1(&format!("/protected-instances/{broken}")), Some(json!({"protected_instance": {"name": "doomed"}}))), Expect::Allowed(RENAME)),
        ("UpdateReplicationName", (Method::PUT, v1(&format!("/replications/{broken_pair}")), Some(json!({"replication": {"name": "doomed-rp"}}))), Expect::Allowed(RENAME)),
        ("UpdateDisasterRecoveryDrillName", (Method::PUT, v1(&format!("/disaster-recovery-drills/{drill_id}")), Some(json!({"disaster_recovery_drill": {"name": "before-1"}}))), Expect::Allowed(RENAME)),
        ("ProtectionGroupAction", action(json!({"start-server-group": {}})), Expect::Refused),
        ("ProtectionGroupAction", action(json!({"stop-server-group": {}})), Expect::Refused),
        ("ProtectionGroupAction", action(json!({"reverse-server-group": {"priority_station": "target"}})), Expect::Refused),
        ("ProtectionGroupAction", action(json!({"failover-server-group": {}})), Expect::Refused),
        ("DeleteProtectionGroup", (Method::DELETE, g(""), None), Expect::Refused),
        ("CreateProtectedInstance", (Method::POST, v1("/protected-instances"), Some(json!({"protected_instance": {"server_group_id": group, "server_id": "rule-spare", "name": "spare"}}))), member(M::ProtectServer)),
        ("CreateReplication", (Method::POST, v1("/replications"), Some(json!({"replication": {"server_group_id": group, "volume_id": "rule-spare-disk", "name": "spare-rp"}}))), member(M::CreatePair)),
        ("AttachProtectedInstanceReplication", (Method::POST, v1(&format!("/protected-instances/{broken}/attachreplication")), Some(json!({"replicationAttachment": {"replication_id": healthy_pair, "device": "/dev/vdc"}}))), member(M::AttachPair)),
        ("ExpandReplication", (Method::POST, v1(&format!("/replications/{healthy_pair}/action")), Some(json!({"extend-replication": {"new_size": 500}}))), member(M::ExpandPair)),
        ("CreateDisasterRecoveryDrill", (Method::POST, v1("/disaster-recovery-drills"), Some(json!({"disaster_recovery_drill": {"server_group_id": group, "name": "after"}}))), member(M::CreateDrill)),
        ("CreateProtectionGroup", (Method::POST, v1("/server-groups"), Some(json!({"server_group": {"name": "fresh", "source_availability_zone": demo::SOURCE_AZ, "target_availability_zone": demo::TARGET_AZ, "domain_id": demo::DOMAIN_ID, "source_vpc_id": demo::VPC_ID}}))), member(M::CreateGroup)),
        ("DeleteFailureJob", (Method::DELETE, v1("/task-center/failure-jobs/none"), None), Expect::Allowed(TASK_CENTRE)),
        ("DeleteServerGroupFailureJobs", (Method::DELETE, v1(&format!("/task-center/{group}/failure-jobs/batch")), None), Expect::Allowed(TASK_CENTRE)),
        ("DeleteAllServerGroupFailureJobs", (Method::DELETE, v1("/task-center/failure-jobs/batch"), None), Expect::Allowed(TASK_CENTRE)),
        ("ListRecoveryPlans", (Method::GET, orchestration("/recovery-plans"), None), Expect::Allowed(READ)),
        ("CreateRecoveryPlan", (Method::POST, orchestration("/recovery-plans"), Some(json!({"recovery_plan": {"name": "rule-plan-2", "stages": [{"type": "groups", "groups": [{"server_group_id": group, "critical": true}]}]}}))), Expect::Allowed(PLAN_RECORD)),
        ("ShowRecoveryPlan", (Method::GET, orchestration(&format!("/recovery-plans/{plan_id}")), None), Expect::Allowed(READ)),
        ("UpdateRecoveryPlan", (Method::PUT, orchestration(&format!("/recovery-plans/{plan_id}")), Some(json!({"recovery_plan": {"name": "rule-plan", "stages": [{"type": "groups", "groups": [{"server_group_id": group, "critical": false}]}]}}))), Expect::Allowed(PLAN_RECORD)),
        ("CheckRecoveryPlan", (Method::POST, orchestration(&format!("/recovery-plans/{plan_id}/check")), Some(json!({"mode": "drill"}))), Expect::Allowed(READ)),
        ("StartPlanRun", (Method::POST, orchestration(&format!("/recovery-plans/{plan_id}/runs")), Some(json!({"mode": "drill", "confirm": "rule-plan", "plan_version": 2}))), Expect::Refused),
        ("ListPlanRuns", (Method::GET, orchestration(&format!("/recovery-plans/{plan_id}/runs")), None), Expect::Allowed(READ)),
        ("ShowPlanRun", (Method::GET, orchestration("/plan-runs/none"), None), Expect::Allowed(READ)),
        ("ShowPlanRunReport", (Method::GET, orchestration("/plan-runs/none/report"), None), Expect::Allowed(READ)),
        ("ShowPlanRunReportPage", (Method::GET, orchestration("/plan-runs/none/report.html"), None), Expect::Allowed(READ)),
        ("ConfirmPlanRunGate", (Method::POST, orchestration("/plan-runs/none/confirm-gate"), Some(json!({}))), Expect::Allowed(PLAN_RECORD)),
        ("PausePlanRun", (Method::POST, orchestration("/plan-runs/none/pause"), None), Expect::Allowed(PLAN_RECORD)),
        ("ResumePlanRun", (Method::POST, orchestration("/plan-runs/none/resume"), None), Expect::Allowed(PLAN_RECORD)),
        ("CancelPlanRun", (Method::POST, orchestration("/plan-runs/none/cancel"), None), Expect::Allowed(PLAN_RECORD)),
        ("RetryPlanRunGroup", (Method::POST, orchestration(&format!("/plan-runs/none/groups/{group}/retry")), None), Expect::Allowed(PLAN_RECORD)),
        ("SkipPlanRunGroup", (Method::POST, orchestration(&format!("/plan-runs/none/groups/{group}/skip")), None), Expect::Allowed(PLAN_RECORD)),
        ("DeleteRecoveryPlan", (Method::DELETE, orchestration(&format!("/recovery-plans/{plan_id}")), None), Expect::Allowed(PLAN_RECORD)),
        // The clean-up, in the order it frees the group.
        ("DeleteDisasterRecoveryDrill", (Method::DELETE, v1(&format!("/disaster-recovery-drills/{drill_id}")), None), member(M::DeleteDrill)),
        ("DetachProtectedInstanceReplication", (Method::DELETE, v1(&format!("/protected-instances/{broken}/detachreplication/{broken_pair}")), None), member(M::DetachPair)),
        ("DeleteReplication", (Method::DELETE, v1(&format!("/replications/{broken_pair}")), None), member(M::DeletePair)),
        ("DeleteProtectedInstance", (Method::DELETE, v1(&format!("/protected-instances/{broken}")), None), member(M::DeleteInstance)),
    ];
    let mut covered = BTreeSet::new();
    for (operation, (method, path, body), expect) in &operations {
        let response = app.call(method.clone(), path, body.clone()).await;
        let code = response.1["error"]["code"].as_str().unwrap_or_default().to_owned();
        match expect {
            Expect::Refused if *operation == "StartPlanRun" => {
                // A run is refused by the plan check, which carries the group's reason.
                assert_eq!(response.0, StatusCode::BAD_REQUEST, "{operation}: {}", response.1);
                assert!(response.1.to_string().contains("SDRS.1326"), "{operation}: {}", response.1);
            }
            Expect::Refused => {
                TestApp::expect_error(&response, 400, "SDRS.1326");
                assert!(response.1.to_string().contains("rule-doomed"), "{operation} names the server: {}", response.1);
            }
            Expect::Allowed(why) => {
                assert!(!why.is_empty());
                assert!(!["SDRS.1326", "SDRS.1314"].contains(&code.as_str()), "{operation} is allowed: {}", response.1);
                if response.1.get("job_id").is_some() {
                    app.run_jobs().await;
                }
            }
        }
        if *operation == "CheckRecoveryPlan" {
            let finding = response.1["findings"].as_array().unwrap().iter().any(|f| f["code"] == "SDRS.1326");
            assert!(finding && response.1["allowed"] == false, "the plan check says it: {}", response.1);
        }
        covered.insert(operation.to_string());
    }
    let document = sdrs_server::openapi::document();
    let offered: BTreeSet<String> = document["paths"]
        .as_object()
        .unwrap()
        .iter()
        // The SDRS and plan APIs; ECS's reads (`/v1/{project_id}/cloudservers`) are another service's.
        .filter(|(path, _)| path.starts_with("/v1/{project_id}") || path.starts_with("/orchestration/"))
        .filter(|(path, _)| !path.starts_with("/v1/{project_id}/cloudservers"))
        // The project's audit trail and webhooks are about no group.
        .filter(|(path, _)| !path.contains("/audit-events") && !path.contains("/webhooks"))
        .flat_map(|(_, item)| {
            item.as_object().unwrap().values().map(|op| op["operationId"].as_str().unwrap().to_owned())
        })
        .collect();
    assert_eq!(covered, offered, "every operation the SDRS and plan APIs offer is in the list above");

    // The clean-up freed the group: the deleted server's instance is gone, and a failover is accepted.
    let job = app.action(&group, json!({"failover-server-group": {}})).await;
    assert_eq!(job["status"], "SUCCESS", "{job}");
}
