//! Versions, domains, quotas, the task centre, unknown paths and methods, and the OpenAPI document.

use axum::http::{Method, StatusCode};
use serde_json::json;

use crate::util::{admin, v1, TestApp};

#[tokio::test]
async fn versions_need_no_credentials() {
    let app = TestApp::new().await;
    let (status, body) = app.raw(Method::GET, "/", "", &[]).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["versions"][0]["id"], "v1");
    assert_eq!(body["versions"][0]["status"], "CURRENT");
    let (status, body) = app.raw(Method::GET, "/v1", "", &[]).await;
    assert_eq!((status, body["version"]["id"].as_str()), (StatusCode::OK, Some("v1")));
}

#[tokio::test]
async fn domains_and_quotas() {
    let app = TestApp::new().await;
    let (_, body) = app.get(&v1("/active-domains")).await;
    assert_eq!(body["domains"][0]["local_replication_cluster"]["availability_zone"], "eu-de-01");
    app.group("counted").await;
    let (_, body) = app.get(&v1("/sdrs/quotas")).await;
    let resources = body["quotas"]["resources"].as_array().unwrap();
    assert_eq!(resources[0], json!({"type": "server_groups", "used": 1, "quota": -1, "min": 0, "max": -1}));
}

#[tokio::test]
async fn task_centre_deletes() {
    let app = TestApp::new().await;
    let (group, _, _) = app.protected_group("tc").await;
    for _ in 0..2 {
        app.post(&admin("/faults"), json!({"step": "stopProtectionGroupRepNoCG"})).await;
        app.action(&group, json!({"stop-server-group": {}})).await;
    }
    let (_, list) = app.get(&v1("/task-center/failure-jobs?failure_status=stopFail")).await;
    assert_eq!(list["count"], 2);
    let (_, none) = app.get(&v1("/task-center/failure-jobs?failure_status=failoverFail")).await;
    assert_eq!(none["count"], 0);
    let first = list["failure_jobs"][0]["job_id"].as_str().unwrap().to_owned();
    let (status, body) = app.call(Method::DELETE, &v1(&format!("/task-center/failure-jobs/{first}")), None).await;
    assert_eq!((status, body), (StatusCode::NO_CONTENT, serde_json::Value::Null));
    let (_, list) = app.get(&v1("/task-center/failure-jobs")).await;
    assert_eq!(list["count"], 1);
    let (status, _) = app.call(Method::DELETE, &v1(&format!("/task-center/{group}/failure-jobs/batch")), None).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(app.get(&v1("/task-center/failure-jobs")).await.1["count"], 0);
    let (status, _) = app.call(Method::DELETE, &v1("/task-center/failure-jobs/batch"), None).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
}

#[tokio::test]
async fn unknown_paths_methods_and_jobs() {
    let app = TestApp::new().await;
    let (status, body) = app.get(&v1("/no-such-thing")).await;
    assert_eq!((status, body["error_code"].as_str()), (StatusCode::NOT_FOUND, Some("APIG.0101")));
    let (status, body) = app.call(Method::PATCH, &v1("/server-groups"), None).await;
    assert_eq!((status, body["error_code"].as_str()), (StatusCode::METHOD_NOT_ALLOWED, Some("APIG.0101")));
    TestApp::expect_error(&app.get(&v1("/jobs/0123456789abcdef0123456789abcdef")).await, 400, "SDRS.0201");
}

#[tokio::test]
async fn openapi_lists_every_route_the_router_serves() {
    let app = TestApp::new().await;
    let (status, doc) = app.raw(Method::GET, "/openapi.json", "", &[]).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(doc["openapi"], "3.1.0");
    let paths = doc["paths"].as_object().unwrap();
    let mut checked = 0;
    for (path, item) in paths {
        for method in item.as_object().unwrap().keys() {
            let concrete = path.replace("{project_id}", crate::util::P).replace(['{', '}'], "");
            let method: Method = method.to_uppercase().parse().unwrap();
            let (status, body) = app.call(method.clone(), &concrete, None).await;
            let no_such_api = body.get("error_code").and_then(|c| c.as_str()) == Some("APIG.0101");
            assert!(!no_such_api, "{method} {path} is documented but not routed ({status})");
            checked += 1;
        }
    }
    assert_eq!(checked, sdrs_server::openapi::operations(&doc).len());
    assert!(checked >= 47, "every operation is documented, {checked} found");
}

#[tokio::test]
async fn console_config_only_in_demo_mode() {
    let app = TestApp::new().await;
    let (status, body) = app.raw(Method::GET, "/console/config", "", &[]).await;
    assert_eq!((status, body["project_id"].as_str()), (StatusCode::OK, Some(crate::util::P)));
    let mut config = (*app.state.config).clone();
    config.console_login = None;
    let plain = app.state.with_config(config);
    use tower::ServiceExt;
    let request = axum::http::Request::get("/console/config").body(axum::body::Body::empty()).unwrap();
    let response = sdrs_server::router(plain).oneshot(request).await.unwrap();
    assert_eq!(response.status(), StatusCode::NOT_FOUND, "no credentials leave a server that is not a demo");
}
