//! The ECS and IMS read side: each server's document, lists with their filters and paging, images public and
//! private, the services' own errors, and a project that reads only its own.

use axum::http::{Method, StatusCode};
use serde_json::{json, Value};

use sdrs_server::demo;

use crate::util::{TestApp, OTHER, P};

fn ecs(path: &str) -> String {
    format!("/v1/{P}/cloudservers{path}")
}

async fn ids(app: &TestApp, query: &str) -> Vec<String> {
    let (status, body) = app.get(&ecs(&format!("/detail{query}"))).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body["servers"].as_array().unwrap().iter().map(|s| s["id"].as_str().unwrap().to_owned()).collect()
}

#[tokio::test]
async fn show_server_says_what_a_real_ecs_says() {
    let app = TestApp::new().await;
    app.server("win-pub", json!({"family": "windows", "cloudbase_init": true}), "password").await;
    app.server("lin-kp", json!({"family": "linux", "coreos": false, "cloud_init": false}), "key-pair").await;
    let (status, body) = app
        .call(Method::PATCH, &format!("/admin/v1/{P}/servers/lin-kp"), Some(json!({"power_state": "stopped"})))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");

    let (status, body) = app.get(&ecs("/win-pub")).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let server = &body["server"];
    assert_eq!(server["id"], "win-pub");
    assert_eq!(server["name"], "name-win-pub");
    assert_eq!(server["status"], "ACTIVE");
    assert_eq!(server["metadata"]["os_type"], "Windows");
    assert_eq!(server["key_name"], Value::Null, "a password server has no key pair");
    assert_eq!(server["OS-EXT-AZ:availability_zone"], demo::SOURCE_AZ);
    let image = server["image"]["id"].as_str().unwrap().to_owned();
    assert_eq!(server["metadata"]["image_name"], "Standard_Windows_Server_2019_DataCenter_64bit_en");

    let (status, body) = app.get(&ecs("/lin-kp")).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["server"]["status"], "SHUTOFF");
    assert_eq!(body["server"]["metadata"]["os_type"], "Linux");
    assert_eq!(body["server"]["key_name"], "KeyPair-name-lin-kp");
    assert_eq!(body["server"]["image"]["id"], "lin-kp-image", "no init tool: a private image made from it");

    // The public image says it is one, and its OS.
    let (status, body) = app.get(&format!("/v2/images/{image}")).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["__imagetype"], "gold");
    assert_eq!(body["__os_type"], "Windows");
    assert_eq!(body["__platform"], "Windows");
    // The private one says its OS, not what is installed on it.
    let (status, body) = app.get("/v2/images/lin-kp-image").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["__imagetype"], "private");
    assert_eq!(body["visibility"], "private");
    assert_eq!(body["__os_type"], "Linux");

    // The services' own errors.
    TestApp::expect_error(&app.get(&ecs("/no-such-server")).await, 404, "Ecs.0114");
    TestApp::expect_error(&app.get("/v2/images/no-such-image").await, 404, "IMG.0027");
    TestApp::expect_error(&app.get(&ecs("/detail?colour=red")).await, 400, "Ecs.0000");
    TestApp::expect_error(&app.get(&ecs("/detail?limit=many")).await, 400, "Ecs.0000");
    TestApp::expect_error(&app.get("/v2/cloudimages?colour=red").await, 400, "IMG.0001");
    // A documented filter the emulation does not apply is refused, not ignored.
    TestApp::expect_error(&app.get("/v2/cloudimages?architecture=x86").await, 400, "IMG.0001");
}

#[tokio::test]
async fn list_servers_pages_by_page_number_and_filters() {
    let app = TestApp::new().await;
    for n in 1..=5 {
        app.server(&format!("s{n}"), json!({"family": "linux", "coreos": false, "cloud_init": true}), "key-pair").await;
    }
    app.call(Method::PATCH, &format!("/admin/v1/{P}/servers/s3"), Some(json!({"power_state": "stopped"}))).await;

    let (status, body) = app.get(&ecs("/detail")).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["count"], 5);
    let all = ids(&app, "").await;
    assert_eq!(all.len(), 5);
    // `offset` is a page number: page 2 of pages of 2 is the third and fourth server.
    assert_eq!(ids(&app, "?limit=2&offset=2").await, all[2..4]);
    assert_eq!(ids(&app, "?limit=2&offset=3").await, all[4..]);
    assert_eq!(ids(&app, "?limit=2&offset=1").await, ids(&app, "?limit=2&offset=0").await, "0 and 1: the first");
    // `marker` pages after a server; the count is of every match, not of the page.
    assert_eq!(ids(&app, &format!("?limit=2&marker={}", all[1])).await, all[2..4]);
    let (_, page) = app.get(&ecs("/detail?limit=1")).await;
    assert_eq!(page["count"], 5);

    assert_eq!(ids(&app, "?status=SHUTOFF").await, ["s3"]);
    assert_eq!(ids(&app, "?name=name-s4").await, ["s4"]);
    assert_eq!(ids(&app, "?server_id=s1,s5&status=SHUTOFF").await, ["s1", "s5"], "server_id overrides the rest");
    assert!(ids(&app, "?ip=10.0.0.1").await.is_empty(), "no inventory server has an address");

    // IMS lists the public catalogue and filters it.
    let (status, body) = app.get("/v2/cloudimages?__imagetype=gold&__platform=CentOS").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let images = body["images"].as_array().unwrap();
    assert_eq!(images.len(), 1, "{body}");
    assert_eq!(images[0]["__os_type"], "Linux");
}

#[tokio::test]
async fn a_project_reads_only_its_own_servers_and_images() {
    let app = TestApp::new().await;
    app.server("mine", json!({"family": "windows", "cloudbase_init": false}), "password").await;
    let other = [("x-auth-token", "other-token")];

    // The other project's token on this project's path: refused before anything is read.
    let (status, _) = app.raw(Method::GET, &ecs("/mine"), "", &other).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    // On its own path the server does not exist.
    let (status, body) = app.raw(Method::GET, &format!("/v1/{OTHER}/cloudservers/mine"), "", &other).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    assert_eq!(body["error"]["code"], "Ecs.0114");
    // IMS paths name no project: the credential's is used, so another project's private image does not exist.
    let (status, body) = app.raw(Method::GET, "/v2/images/mine-image", "", &other).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    let (status, body) = app.raw(Method::GET, "/v2/images/mine-image", "", &[("x-auth-token", demo::TOKEN)]).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, body) = app.raw(Method::GET, "/v2/cloudimages?__imagetype=private", "", &other).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["images"], json!([]), "{body}");
    // No credential, no answer.
    let (status, _) = app.raw(Method::GET, "/v2/cloudimages", "", &[]).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    // Reads only: ECS and IMS changes are not served.
    let (status, _) = app.call(Method::DELETE, &ecs("/mine"), None).await;
    assert!(status == StatusCode::METHOD_NOT_ALLOWED || status == StatusCode::NOT_FOUND, "{status}");
}
