//! Protected instances, replication pairs and DR drills: their lifecycles and refusals.

use axum::http::{Method, StatusCode};
use serde_json::json;

use crate::util::{admin, v1, TestApp};
use sdrs_server::demo;

fn linux() -> serde_json::Value {
    json!({"family": "linux", "coreos": false, "cloud_init": false})
}

#[tokio::test]
async fn protected_instance_lifecycle_and_refusals() {
    let app = TestApp::new().await;
    let group = app.group("pi-group").await;
    let other_group = app.group("pi-other").await;
    let (instance, pair) = app.protect(&group, "srv-1").await;
    let (_, pi) = app.get(&v1(&format!("/protected-instances/{instance}"))).await;
    let pi = &pi["protected_instance"];
    assert_eq!(pi["source_server"], "srv-1");
    assert_eq!(pi["attachment"], json!([{"replication": pair, "device": "/dev/vda"}]));
    assert_eq!(app.group_json(&group).await["protected_instance_num"], 1);
    let dr = pi["target_server"].as_str().unwrap();
    let (status, dr_server) = app.get(&admin(&format!("/servers/{dr}"))).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(dr_server["server"]["availability_zone"], demo::TARGET_AZ);
    assert_eq!(dr_server["server"]["name"], "name-srv-1", "the DR server gets the production server's name");

    let create = |server: &str, group: &str| json!({"protected_instance": {"server_group_id": group, "server_id": server, "name": "x"}});
    TestApp::expect_error(&app.post(&v1("/protected-instances"), create("missing", &group)).await, 400, "SDRS.1326");
    TestApp::expect_error(&app.post(&v1("/protected-instances"), create("srv-1", &group)).await, 400, "SDRS.1305");
    TestApp::expect_error(&app.post(&v1("/protected-instances"), create("srv-1", "nope")).await, 400, "SDRS.1013");
    app.post(&admin("/servers"), json!({"id": "far", "name": "far", "availability_zone": demo::TARGET_AZ, "vpc_id": demo::VPC_ID, "os": linux(), "login": "password"})).await;
    TestApp::expect_error(&app.post(&v1("/protected-instances"), create("far", &group)).await, 400, "SDRS.1303");
    app.post(&admin("/servers"), json!({"id": "elsewhere", "name": "e", "availability_zone": demo::SOURCE_AZ, "vpc_id": "other-vpc", "os": linux(), "login": "password"})).await;
    TestApp::expect_error(&app.post(&v1("/protected-instances"), create("elsewhere", &group)).await, 400, "SDRS.1304");

    // Lists and their filters.
    app.protect(&other_group, "srv-2").await;
    let (_, all) = app.get(&v1("/protected-instances")).await;
    assert_eq!(all["count"], 2);
    let (_, one) = app.get(&v1(&format!("/protected-instances?server_group_id={group}"))).await;
    assert_eq!(one["count"], 1);
    let both = format!("['{group}','{other_group}']");
    let (_, listed) = app.get(&v1(&format!("/protected-instances?server_group_ids={}", urlencode(&both)))).await;
    assert_eq!(listed["count"], 2);
    let many = format!("[{}]", (0..31).map(|i| format!("'id{i}'")).collect::<Vec<_>>().join(","));
    TestApp::expect_error(
        &app.get(&v1(&format!("/protected-instances?protected_instance_ids={}", urlencode(&many)))).await,
        400,
        "SDRS.0226",
    );

    let (status, renamed) = app
        .call(
            Method::PUT,
            &v1(&format!("/protected-instances/{instance}")),
            Some(json!({"protected_instance": {"name": "renamed"}})),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(renamed["protected_instance"]["name"], "renamed");

    // Detach, then delete with the DR server.
    let job =
        app.job(Method::DELETE, &v1(&format!("/protected-instances/{instance}/detachreplication/{pair}")), None).await;
    assert_eq!((job["status"].as_str(), job["job_type"].as_str()), (Some("SUCCESS"), Some("detachReplicationPairNew")));
    let job = app
        .job(
            Method::DELETE,
            &v1(&format!("/protected-instances/{instance}")),
            Some(json!({"delete_target_server": true})),
        )
        .await;
    assert_eq!(job["status"], "SUCCESS");
    TestApp::expect_error(&app.get(&v1(&format!("/protected-instances/{instance}"))).await, 400, "SDRS.1320");
    TestApp::expect_error(&app.get(&admin(&format!("/servers/{dr}"))).await, 400, "SDRS.1326");
    assert_eq!(app.group_json(&group).await["protected_instance_num"], 0);
}

fn urlencode(text: &str) -> String {
    text.bytes()
        .map(|b| if b.is_ascii_alphanumeric() || b == b'-' { (b as char).to_string() } else { format!("%{b:02X}") })
        .collect()
}

#[tokio::test]
async fn replication_pair_lifecycle_and_refusals() {
    let app = TestApp::new().await;
    let group = app.group("rp-group").await;
    let (instance, pair) = app.protect(&group, "srv-rp").await;
    let (_, rp) = app.get(&v1(&format!("/replications/{pair}"))).await;
    let rp = &rp["replication"];
    let ids: Vec<&str> = rp["volume_ids"].as_str().unwrap().split(',').collect();
    assert_eq!((ids.len(), ids[0]), (2, "srv-rp-disk"), "volume_ids is `production,DR`");
    assert_eq!(rp["record_metadata"]["volume_size"], 10);
    assert_eq!(rp["fault_level"], "0");

    let create = |disk: &str| json!({"replication": {"server_group_id": group, "volume_id": disk, "name": "r"}});
    TestApp::expect_error(&app.post(&v1("/replications"), create("missing")).await, 400, "SDRS.1803");
    TestApp::expect_error(&app.post(&v1("/replications"), create("srv-rp-disk")).await, 400, "SDRS.1811");
    app.post(
        &admin("/disks"),
        json!({"id": "far-disk", "name": "f", "size_gb": 5, "availability_zone": demo::TARGET_AZ}),
    )
    .await;
    TestApp::expect_error(&app.post(&v1("/replications"), create("far-disk")).await, 400, "SDRS.1810");

    // Attach refusals.
    let attach =
        |pair: &str, device: &str| json!({"replicationAttachment": {"replication_id": pair, "device": device}});
    let path = v1(&format!("/protected-instances/{instance}/attachreplication"));
    TestApp::expect_error(&app.post(&path, attach(&pair, "/dev/vdb")).await, 400, "SDRS.1605");
    app.post(
        &admin("/disks"),
        json!({"id": "data-disk", "name": "data", "size_gb": 20, "availability_zone": demo::SOURCE_AZ}),
    )
    .await;
    let data_pair = app.job(Method::POST, &v1("/replications"), Some(create("data-disk"))).await["entities"]
        ["replication_pair_id"]
        .as_str()
        .unwrap()
        .to_owned();
    TestApp::expect_error(&app.post(&path, attach(&data_pair, "/dev/vda")).await, 400, "SDRS.1603");
    TestApp::expect_error(&app.post(&path, attach(&data_pair, "sdb")).await, 400, "SDRS.0201");

    // Expand.
    let expand = |size: u32| json!({"extend-replication": {"new_size": size}});
    TestApp::expect_error(
        &app.post(&v1(&format!("/replications/{data_pair}/action")), expand(20)).await,
        400,
        "SDRS.0201",
    );
    let job = app.job(Method::POST, &v1(&format!("/replications/{data_pair}/action")), Some(expand(30))).await;
    assert_eq!((job["status"].as_str(), job["job_type"].as_str()), (Some("SUCCESS"), Some("expandReplicationPairNew")));
    let (_, rp) = app.get(&v1(&format!("/replications/{data_pair}"))).await;
    assert_eq!(rp["replication"]["record_metadata"]["volume_size"], 30);
    assert_eq!(rp["replication"]["status"], "available");

    // Delete: refused while attached, fine once detached.
    TestApp::expect_error(
        &app.call(Method::DELETE, &v1(&format!("/replications/{pair}")), None).await,
        400,
        "SDRS.1605",
    );
    let job = app
        .job(
            Method::DELETE,
            &v1(&format!("/replications/{data_pair}")),
            Some(json!({"replication": {"delete_target_volume": true}})),
        )
        .await;
    assert_eq!(job["status"], "SUCCESS");
    TestApp::expect_error(&app.get(&v1(&format!("/replications/{data_pair}"))).await, 400, "SDRS.1608");
    assert_eq!(app.group_json(&group).await["replication_num"], 1);

    let (_, by_instance) = app.get(&v1(&format!("/replications?protected_instance_id={instance}"))).await;
    assert_eq!(by_instance["count"], 1);
    TestApp::expect_error(&app.get(&v1("/replications?status=broken")).await, 400, "SDRS.0209");
}

#[tokio::test]
async fn drills() {
    let app = TestApp::new().await;
    let (group, _, _) = app.protected_group("drilled").await;
    let job = app
        .job(
            Method::POST,
            &v1("/disaster-recovery-drills"),
            Some(json!({"disaster_recovery_drill": {"server_group_id": group, "name": "q1-drill"}})),
        )
        .await;
    assert_eq!(
        (job["status"].as_str(), job["job_type"].as_str()),
        (Some("SUCCESS"), Some("createDisasterRecoveryDrill"))
    );
    let drill = job["entities"]["disaster_recovery_drill_id"].as_str().unwrap().to_owned();
    let (_, body) = app.get(&v1(&format!("/disaster-recovery-drills/{drill}"))).await;
    let d = &body["disaster_recovery_drill"];
    assert_eq!(d["status"], "available");
    assert_eq!(d["drill_servers"].as_array().unwrap().len(), 1);
    assert_eq!(app.group_json(&group).await["disaster_recovery_drill_num"], 1);
    TestApp::expect_error(
        &app.call(Method::DELETE, &v1(&format!("/server-groups/{group}")), None).await,
        400,
        "SDRS.1001",
    );
    TestApp::expect_error(
        &app.post(
            &v1("/disaster-recovery-drills"),
            json!({"disaster_recovery_drill": {"server_group_id": group, "name": "d", "drill_vpc_id": demo::VPC_ID}}),
        )
        .await,
        400,
        "SDRS.1907",
    );
    let (status, renamed) = app
        .call(
            Method::PUT,
            &v1(&format!("/disaster-recovery-drills/{drill}")),
            Some(json!({"disaster_recovery_drill": {"name": "q2"}})),
        )
        .await;
    assert_eq!((status, renamed["disaster_recovery_drill"]["name"].as_str()), (StatusCode::OK, Some("q2")));
    let (_, list) = app.get(&v1(&format!("/disaster-recovery-drills?server_group_id={group}"))).await;
    assert_eq!(list["count"], 1);

    // A drill still being created cannot be deleted.
    let (_, pending) = app
        .post(
            &v1("/disaster-recovery-drills"),
            json!({"disaster_recovery_drill": {"server_group_id": group, "name": "pending"}}),
        )
        .await;
    let (_, job) = app.get(&v1(&format!("/jobs/{}", pending["job_id"].as_str().unwrap()))).await;
    let pending_id = job["entities"]["disaster_recovery_drill_id"].as_str().unwrap().to_owned();
    TestApp::expect_error(
        &app.call(Method::DELETE, &v1(&format!("/disaster-recovery-drills/{pending_id}")), None).await,
        400,
        "SDRS.1913",
    );
    app.run_jobs().await;

    let job = app.job(Method::DELETE, &v1(&format!("/disaster-recovery-drills/{drill}")), None).await;
    assert_eq!(job["status"], "SUCCESS");
    TestApp::expect_error(&app.get(&v1(&format!("/disaster-recovery-drills/{drill}"))).await, 400, "SDRS.1902");
}

#[tokio::test]
async fn inventory_ids_are_unique_per_kind_not_across_kinds() {
    // Found by schemathesis: a server whose id was an existing disk's id made the server answer 500.
    let app = TestApp::new().await;
    app.server("shared-id", linux(), "password").await; // also creates disk "shared-id-disk"
    let (status, body) = app
        .post(
            &admin("/servers"),
            json!({"id": "shared-id-disk", "name": "n", "availability_zone": demo::SOURCE_AZ,
            "vpc_id": demo::VPC_ID, "os": linux(), "login": "password"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let again = app
        .post(
            &admin("/servers"),
            json!({"id": "shared-id", "name": "n", "availability_zone": demo::SOURCE_AZ,
            "vpc_id": demo::VPC_ID, "os": linux(), "login": "password"}),
        )
        .await;
    TestApp::expect_error(&again, 400, "SDRS.0210");
}
