//! Authentication and isolation: tokens, AK/SK signatures as the SDKs compute them, projects, body limits.

use axum::http::{Method, StatusCode};
use serde_json::json;

use crate::util::{v1, TestApp, OTHER, P};
use sdrs_server::demo;

#[tokio::test]
async fn missing_or_wrong_credentials_get_the_gateway_401() {
    let app = TestApp::new().await;
    for headers in [vec![], vec![("x-auth-token", "wrong")], vec![("x-auth-token", "other-token")]] {
        let (status, body) = app.raw(Method::GET, &v1("/server-groups"), "", &headers).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{headers:?}");
        assert_eq!(body["error_code"], "APIG.0301");
        assert!(body["error_msg"].as_str().unwrap().starts_with("Incorrect IAM authentication information"));
    }
    let (status, _) = app
        .raw(Method::GET, &v1("/server-groups"), "", &[("x-auth-token", demo::TOKEN), ("x-project-id", OTHER)])
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "X-Project-Id must match the path");
}

#[tokio::test]
async fn projects_never_see_each_other() {
    let app = TestApp::new().await;
    let group = app.group("mine").await;
    let other = |path: String| {
        let app = &app;
        async move { app.raw(Method::GET, &path, "", &[("x-auth-token", "other-token")]).await }
    };
    let (status, list) = other(format!("/v1/{OTHER}/server-groups")).await;
    assert_eq!((status, list["count"].as_u64()), (StatusCode::OK, Some(0)));
    TestApp::expect_error(&other(format!("/v1/{OTHER}/server-groups/{group}")).await, 400, "SDRS.1013");
    let (status, body) = app
        .raw(
            Method::POST,
            &format!("/v1/{OTHER}/server-groups/{group}/action"),
            r#"{"stop-server-group": {}}"#,
            &[("x-auth-token", "other-token")],
        )
        .await;
    assert_eq!((status.as_u16(), body["error"]["code"].as_str()), (400, Some("SDRS.1013")));
    assert_eq!(app.group_json(&group).await["status"], "available");
}

pub(crate) fn signed(
    method: &str,
    path: &str,
    query: Option<&str>,
    body: &str,
    date: &str,
    project: &str,
) -> Vec<(String, String)> {
    let mut headers = vec![
        ("content-type".to_owned(), "application/json;charset=utf-8".to_owned()),
        ("host".to_owned(), "127.0.0.1:8080".to_owned()),
        ("x-project-id".to_owned(), project.to_owned()),
        ("x-sdk-date".to_owned(), date.to_owned()),
    ];
    let parts = sdrs_auth::RequestParts { method, path, query, headers: &headers, body: body.as_bytes() };
    let authorization = sdrs_auth::sign(&parts, demo::ACCESS_KEY, demo::SECRET_KEY).unwrap();
    headers.push(("authorization".to_owned(), authorization));
    headers
}

pub(crate) async fn send(
    app: &TestApp,
    method: Method,
    path: &str,
    body: &str,
    headers: &[(String, String)],
) -> (StatusCode, serde_json::Value) {
    let borrowed: Vec<(&str, &str)> = headers.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    app.raw(method, path, body, &borrowed).await
}

#[tokio::test]
async fn aksk_signatures() {
    let app = TestApp::new().await;
    let group = app.group("signed").await;
    let now = sdrs_auth::format_sdk_date(sdrs_server::now_millis() / 1000);
    let path = format!("/v1/{P}/server-groups");
    let headers = signed("GET", &path, Some("limit=10&name=sig"), "", &now, P);
    let (status, body) = send(&app, Method::GET, &format!("{path}?limit=10&name=sig"), "", &headers).await;
    assert_eq!((status, body["count"].as_u64()), (StatusCode::OK, Some(1)), "{body}");

    // The body is signed: a tampered body is refused.
    let action = format!("/v1/{P}/server-groups/{group}/action");
    let headers = signed("POST", &action, None, r#"{"stop-server-group": {}}"#, &now, P);
    let (status, body) = send(&app, Method::POST, &action, r#"{"failover-server-group": {}}"#, &headers).await;
    assert_eq!((status, body["error_code"].as_str()), (StatusCode::UNAUTHORIZED, Some("APIG.0301")));
    assert!(body["error_msg"].as_str().unwrap().contains("verify aksk signature fail"), "{body}");

    // The query is signed too.
    let headers = signed("GET", &path, Some("limit=10"), "", &now, P);
    let (status, _) = send(&app, Method::GET, &format!("{path}?limit=11"), "", &headers).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);

    // More than 15 minutes off.
    let old = sdrs_auth::format_sdk_date(sdrs_server::now_millis() / 1000 - 16 * 60);
    let headers = signed("GET", &path, None, "", &old, P);
    let (status, body) = send(&app, Method::GET, &path, "", &headers).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(body["error_msg"].as_str().unwrap().contains("signature expired"), "{body}");

    // Another project's path.
    let foreign = format!("/v1/{OTHER}/server-groups");
    let headers = signed("GET", &foreign, None, "", &now, OTHER);
    assert_eq!(send(&app, Method::GET, &foreign, "", &headers).await.0, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn oversized_bodies_are_refused_in_the_envelope() {
    let app = TestApp::new().await;
    let huge = format!(r#"{{"server_group": {{"name": "{}"}}}}"#, "a".repeat(2 << 20));
    let (status, body) = app.raw(Method::POST, &v1("/server-groups"), &huge, &[("x-auth-token", demo::TOKEN)]).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(body["error"]["code"], "SDRS.0201");
    let _ = json!({});
}

#[tokio::test]
async fn cors_only_for_configured_origins() {
    use tower::ServiceExt;
    let app = TestApp::new().await;
    let preflight = || {
        axum::http::Request::builder()
            .method(Method::OPTIONS)
            .uri(v1("/server-groups"))
            .header("origin", "http://console.example")
            .header("access-control-request-method", "GET")
            .header("access-control-request-headers", "x-auth-token")
            .body(axum::body::Body::empty())
            .unwrap()
    };
    let response = sdrs_server::router(app.state.clone()).oneshot(preflight()).await.unwrap();
    assert!(response.headers().get("access-control-allow-origin").is_none(), "same origin only by default");
    let mut config = (*app.state.config).clone();
    config.allowed_origins = vec!["http://console.example".into()];
    let open = app.state.with_config(config);
    let response = sdrs_server::router(open).oneshot(preflight()).await.unwrap();
    assert_eq!(response.headers()["access-control-allow-origin"], "http://console.example");
}
