//! Protection groups: create, list with filters and paging, show, rename, delete.

use axum::http::{Method, StatusCode};
use serde_json::json;

use crate::util::{v1, TestApp};
use sdrs_server::demo;

#[tokio::test]
async fn create_show_rename_delete() {
    let app = TestApp::new().await;
    let (status, submitted) = app
        .post(
            &v1("/server-groups"),
            json!({"server_group": {"name": "pg-1", "description": "d", "source_availability_zone": demo::SOURCE_AZ,
                "target_availability_zone": demo::TARGET_AZ, "domain_id": demo::DOMAIN_ID, "source_vpc_id": demo::VPC_ID,
                "dr_type": "migration"}}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let job_id = submitted["job_id"].as_str().unwrap();
    let (_, job) = app.get(&v1(&format!("/jobs/{job_id}"))).await;
    assert_eq!(job["status"], "INIT", "the job is durable before it runs");
    assert_eq!(job["job_type"], "createProtectionGroupNoCG");
    let group_id = job["entities"]["server_group_id"].as_str().unwrap().to_owned();
    assert_eq!(app.group_json(&group_id).await["status"], "creating");
    app.run_jobs().await;
    let (_, job) = app.get(&v1(&format!("/jobs/{job_id}"))).await;
    assert_eq!(job["status"], "SUCCESS");
    assert!(job["end_time"].as_str().unwrap().ends_with('Z'));
    let group = app.group_json(&group_id).await;
    for field in ["protected_status", "replication_status", "health_status", "test_vpc_id", "replication_model"] {
        assert!(group.get(field).is_some_and(|v| v.is_null()), "{field} is present and null");
    }
    assert_eq!(group["status"], "available");
    assert_eq!(group["priority_station"], "source");
    assert_eq!(group["domain_name"], "ActiveactiveDomain");
    assert_eq!(group["target_vpc_id"], demo::VPC_ID);
    let created = group["created_at"].as_str().unwrap();
    assert_eq!(created.len(), "2019-05-22 08:16:54.413".len(), "{created}");

    let (status, renamed) = app
        .call(Method::PUT, &v1(&format!("/server-groups/{group_id}")), Some(json!({"server_group": {"name": "pg-2"}})))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(renamed["server_group"]["name"], "pg-2");
    TestApp::expect_error(
        &app.call(
            Method::PUT,
            &v1(&format!("/server-groups/{group_id}")),
            Some(json!({"server_group": {"name": "bad name"}})),
        )
        .await,
        400,
        "SDRS.0202",
    );

    let job = app.job(Method::DELETE, &v1(&format!("/server-groups/{group_id}")), None).await;
    assert_eq!(job["status"], "SUCCESS");
    assert_eq!(job["job_type"], "deleteProtectionGroupNoCG");
    TestApp::expect_error(&app.get(&v1(&format!("/server-groups/{group_id}"))).await, 400, "SDRS.1013");
    let (_, list) = app.get(&v1("/server-groups")).await;
    assert_eq!(list["count"], 0, "the kept count follows deletions");
}

#[tokio::test]
async fn create_refuses_bad_input_with_documented_codes() {
    let app = TestApp::new().await;
    let base = json!({"name": "ok", "source_availability_zone": demo::SOURCE_AZ, "target_availability_zone": demo::TARGET_AZ,
                      "domain_id": demo::DOMAIN_ID, "source_vpc_id": demo::VPC_ID});
    let with = |key: &str, value: serde_json::Value| {
        let mut body = base.clone();
        body[key] = value;
        json!({"server_group": body})
    };
    let cases = [
        (with("name", json!("has space")), "SDRS.0202"),
        (with("name", json!("")), "SDRS.0202"),
        (with("description", json!("<script>")), "SDRS.0212"),
        (with("domain_id", json!("nope")), "SDRS.0205"),
        (with("target_availability_zone", json!("eu-de-99")), "SDRS.0203"),
        (with("target_availability_zone", json!(demo::SOURCE_AZ)), "SDRS.0203"),
        (with("source_vpc_id", json!(" ")), "SDRS.0204"),
        (with("dr_type", json!("replication")), "SDRS.0201"),
        (with("unknown", json!(1)), "SDRS.0201"),
        (with("name", json!(42)), "SDRS.0201"),
        (json!({"server_group": {"name": "x"}}), "SDRS.0201"),
    ];
    for (body, code) in cases {
        TestApp::expect_error(&app.post(&v1("/server-groups"), body.clone()).await, 400, code);
    }
    TestApp::expect_error(&app.call(Method::POST, &v1("/server-groups"), None).await, 400, "SDRS.0201");
    let (_, list) = app.get(&v1("/server-groups")).await;
    assert_eq!(list["count"], 0, "nothing was created by refused requests");
}

#[tokio::test]
async fn list_filters_and_paging() {
    let app = TestApp::new().await;
    let mut ids = Vec::new();
    for i in 0..5 {
        ids.push(app.group(&format!("alpha-{i}")).await);
    }
    app.group("beta").await;
    let (status, list) = app.get(&v1("/server-groups")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(list["count"], 6);
    let (_, page) = app.get(&v1("/server-groups?limit=2&offset=1")).await;
    assert_eq!(page["count"], 6, "count is the number matching, not the page size");
    let names: Vec<&str> =
        page["server_groups"].as_array().unwrap().iter().map(|g| g["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["alpha-1", "alpha-2"]);
    let (_, by_name) = app.get(&v1("/server-groups?name=alp")).await;
    assert_eq!(by_name["count"], 5);
    let (_, by_status) = app.get(&v1("/server-groups?status=protected")).await;
    assert_eq!(by_status["count"], 0);
    let (_, by_az) = app.get(&v1(&format!("/server-groups?availability_zone={}", demo::SOURCE_AZ))).await;
    assert_eq!(by_az["count"], 6);
    let (_, abnormal) = app.get(&v1("/server-groups?query_type=status_abnormal")).await;
    assert_eq!(abnormal["count"], 0);
    let (_, stopped) = app.get(&v1("/server-groups?query_type=stop_protected")).await;
    assert_eq!(stopped["count"], 6);
    let (_, no_drill) = app.get(&v1("/server-groups?query_type=period_no_dr_drill")).await;
    assert_eq!(no_drill["count"], 6);
    TestApp::expect_error(&app.get(&v1("/server-groups?limit=1001")).await, 400, "SDRS.0221");
    TestApp::expect_error(&app.get(&v1("/server-groups?offset=-1")).await, 400, "SDRS.0222");
    TestApp::expect_error(&app.get(&v1("/server-groups?status=sideways")).await, 400, "SDRS.0209");
    TestApp::expect_error(&app.get(&v1("/server-groups?query_type=odd")).await, 400, "SDRS.0201");
}

#[tokio::test]
async fn delete_needs_an_empty_group() {
    let app = TestApp::new().await;
    let group = app.group("full").await;
    app.protect(&group, "srv-full").await;
    let response = app.call(Method::DELETE, &v1(&format!("/server-groups/{group}")), None).await;
    TestApp::expect_error(&response, 400, "SDRS.1001");
    let message = response.1["error"]["message"].as_str().unwrap();
    assert!(message.contains("SDRS.1010"), "every blocking reason is named: {message}");
    assert_eq!(app.group_json(&group).await["status"], "available", "a refused delete changes nothing");
}
