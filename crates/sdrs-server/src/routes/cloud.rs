//! The read side of ECS and IMS for the servers of the inventory, as the real services answer it, so that every client
//! learns a server's facts the way it would on a real cloud (the official `huaweicloudsdkecs` and `huaweicloudsdkims`
//! read them unchanged): ECS ShowServer and ListServersDetails, IMS GlanceShowImage and ListImages.
//!
//! The inventory (the admin API) holds what a real cloud holds: each server's OS, login method and power state. The
//! documents are made from it: `metadata.os_type`, a `key_name` for a key-pair login, `status` from the power state,
//! and the image the server was created from. A server whose OS has Cloud-Init or Cloudbase-Init was created from a
//! public image of its OS (`IMAGES`, shared by every project, as IMS's public images are); one without, from a
//! private image of the project (`{server id}-image`), which says its OS and platform and, as on a real cloud, not
//! what is installed on it. A server deleted through the native interface shows `DELETED`, as ECS keeps one for a
//! while.
//!
//! Errors are the services' own envelopes: `400 Ecs.0000` for a bad request and `404 Ecs.0114` for a server that does
//! not exist (the ECS error table); `404 IMG.0027` for an image that does not exist, `400 IMG.0001` for a bad query.

use axum::extract::{FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::StatusCode;
use axum::Json;

use sdrs_core::login::{LoginMethod, OsProfile};
use sdrs_core::snapshot::PowerState;
use sdrs_core::wire::{
    EcsFlavor, EcsImageRef, EcsMetadata, EcsServer, EcsServerList, EcsServerResponse, ErrorBody, ImsImage,
    ImsImageList, NativeServer,
};

use super::{Ids, QueryPairs};
use crate::error::{ApiError, ApiResult};
use crate::store::{self, ListFilter};
use crate::AppState;

/// A public image of the catalogue: id, name, OS type, platform, version.
struct PublicImage {
    id: &'static str,
    name: &'static str,
    os_type: &'static str,
    platform: &'static str,
    os_version: &'static str,
}

/// IMS's public images the inventory's servers are created from (their OS has Cloud-Init or Cloudbase-Init).
const IMAGES: &[PublicImage] = &[
    PublicImage {
        id: "5f2c8a1e-0b6d-4c1f-9e3a-7d8b6a4c2e01",
        name: "Standard_Windows_Server_2019_DataCenter_64bit_en",
        os_type: "Windows",
        platform: "Windows",
        os_version: "Windows Server 2019 Datacenter 64bit",
    },
    PublicImage {
        id: "5f2c8a1e-0b6d-4c1f-9e3a-7d8b6a4c2e02",
        name: "Standard_CentOS_7.9_64bit",
        os_type: "Linux",
        platform: "CentOS",
        os_version: "CentOS 7.9 64bit",
    },
    PublicImage {
        id: "5f2c8a1e-0b6d-4c1f-9e3a-7d8b6a4c2e03",
        name: "Standard_CoreOS_2345.3.0_64bit",
        os_type: "Linux",
        platform: "CoreOS",
        os_version: "CoreOS 2345.3.0 64bit",
    },
];

/// The flavor every inventory server has.
const FLAVOR: &str = "s3.large.2";
/// The project's private images are named after the server they were made from.
const PRIVATE_SUFFIX: &str = "-image";

/// The image a server of this OS profile is created from when its creator does not name one: the public image of
/// its OS where the OS has an init tool, else a private image made from the server itself.
pub fn default_image(server_id: &str, os: OsProfile) -> String {
    let public = |platform: &str| IMAGES.iter().find(|i| i.platform == platform).map(|i| i.id.to_owned());
    let found = match os {
        OsProfile::Windows { cloudbase_init: true } => public("Windows"),
        OsProfile::Linux { coreos: true, cloud_init: true } => public("CoreOS"),
        OsProfile::Linux { coreos: false, cloud_init: true } => public("CentOS"),
        _ => None,
    };
    found.unwrap_or_else(|| format!("{server_id}{PRIVATE_SUFFIX}"))
}

/// The image document of a public image.
fn public_document(image: &PublicImage) -> ImsImage {
    ImsImage {
        id: image.id.to_owned(),
        name: image.name.to_owned(),
        status: Some("active".to_owned()),
        visibility: Some("public".to_owned()),
        imagetype: Some("gold".to_owned()),
        os_type: Some(image.os_type.to_owned()),
        platform: Some(image.platform.to_owned()),
        os_version: Some(image.os_version.to_owned()),
        os_bit: Some("64".to_owned()),
        disk_format: Some("zvhd2".to_owned()),
        min_disk: Some(40),
        created_at: Some("2024-01-01T00:00:00Z".to_owned()),
        updated_at: Some("2024-01-01T00:00:00Z".to_owned()),
    }
}

/// The private image a server was made from: its OS and platform, nothing about what is installed.
fn private_document(server: &NativeServer, id: &str) -> ImsImage {
    let (os_type, platform) = match server.os {
        OsProfile::Windows { .. } => ("Windows", "Windows"),
        OsProfile::Linux { coreos: true, .. } => ("Linux", "CoreOS"),
        OsProfile::Linux { .. } => ("Linux", "CentOS"),
    };
    ImsImage {
        id: id.to_owned(),
        name: format!("{}{PRIVATE_SUFFIX}", server.name),
        status: Some("active".to_owned()),
        visibility: Some("private".to_owned()),
        imagetype: Some("private".to_owned()),
        os_type: Some(os_type.to_owned()),
        platform: Some(platform.to_owned()),
        os_version: None,
        os_bit: Some("64".to_owned()),
        disk_format: Some("zvhd2".to_owned()),
        min_disk: Some(40),
        created_at: Some("2024-01-01T00:00:00Z".to_owned()),
        updated_at: Some("2024-01-01T00:00:00Z".to_owned()),
    }
}

/// A server's image: its own if it names one, else the default of its OS.
fn image_id(server: &NativeServer) -> String {
    server.image_id.clone().unwrap_or_else(|| default_image(&server.id, server.os))
}

/// An image of the project by id: a public one, or a private one made from one of its servers.
fn find_image(store: &dyn store::Store, project: &str, id: &str) -> ApiResult<Option<ImsImage>> {
    if let Some(image) = IMAGES.iter().find(|i| i.id == id) {
        return Ok(Some(public_document(image)));
    }
    let Some(server_id) = id.strip_suffix(PRIVATE_SUFFIX) else { return Ok(None) };
    Ok(store::get::<NativeServer>(store, project, server_id)?
        .filter(|server| image_id(server) == id)
        .map(|server| private_document(&server, id)))
}

/// The ECS document of an inventory server.
fn ecs_document(server: &NativeServer, project: &str, image: Option<&ImsImage>) -> EcsServer {
    let (status, vm_state, power) = match server.power_state {
        PowerState::Running => ("ACTIVE", "active", 1),
        PowerState::Stopped => ("SHUTOFF", "stopped", 4),
        PowerState::Deleted => ("DELETED", "deleted", 0),
    };
    let os_type = match server.os {
        OsProfile::Windows { .. } => "Windows",
        OsProfile::Linux { .. } => "Linux",
    };
    let image_id = image_id(server);
    let metadata = EcsMetadata {
        os_type: Some(os_type.to_owned()),
        image_name: image.map(|image| image.name.clone()),
        os_bit: Some("64".to_owned()),
        vpc_id: Some(server.vpc_id.clone()),
        charging_mode: Some("0".to_owned()),
        metering_image_id: Some(image_id.clone()),
        metering_imagetype: image.and_then(|image| image.imagetype.clone()),
    };
    EcsServer {
        id: server.id.clone(),
        name: server.name.clone(),
        status: status.to_owned(),
        key_name: (server.login == LoginMethod::KeyPair).then(|| format!("KeyPair-{}", server.name)),
        image: Some(EcsImageRef { id: image_id }),
        flavor: Some(EcsFlavor { id: FLAVOR.to_owned(), name: Some(FLAVOR.to_owned()) }),
        metadata,
        availability_zone: Some(server.availability_zone.clone()),
        vm_state: Some(vm_state.to_owned()),
        power_state: Some(power),
        created: Some("2024-01-01T00:00:00Z".to_owned()),
        updated: Some("2024-01-01T00:00:00Z".to_owned()),
        tenant_id: Some(project.to_owned()),
        description: Some(String::new()),
        tags: Vec::new(),
    }
}

fn service_error(status: StatusCode, code: &str, message: String) -> ApiError {
    ApiError::Sdrs { status, body: ErrorBody { code: code.to_owned(), message } }
}

fn ecs_bad_request(detail: String) -> ApiError {
    service_error(StatusCode::BAD_REQUEST, "Ecs.0000", format!("Request error. {detail}"))
}

/// ECS ShowServer: `GET /v1/{project_id}/cloudservers/{server_id}`.
pub async fn show_server(
    State(state): State<AppState>,
    Ids((project, id)): Ids<(String, String)>,
) -> ApiResult<Json<EcsServerResponse>> {
    let server = state
        .db
        .call(move |store| {
            let Some(server) = store::get::<NativeServer>(store, &project, &id)? else {
                return Err(service_error(
                    StatusCode::NOT_FOUND,
                    "Ecs.0114",
                    format!("Instance[{id}] could not be found."),
                ));
            };
            let image = find_image(store, &project, &image_id(&server))?;
            Ok(ecs_document(&server, &project, image.as_ref()))
        })
        .await?;
    Ok(Json(EcsServerResponse { server }))
}

/// A service's query, as the pairs a signature reads, documented with the keys its official SDK sends.
pub struct ServiceQuery<K>(pub QueryPairs, pub std::marker::PhantomData<K>);

/// The query keys of one of the services' operations.
pub trait QueryKeys {
    const KEYS: &'static [&'static str];
}

impl<S: Send + Sync, K> FromRequestParts<S> for ServiceQuery<K> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        Ok(ServiceQuery(QueryPairs::from_request_parts(parts, state).await?, std::marker::PhantomData))
    }
}

impl<K: QueryKeys> aide::OperationInput for ServiceQuery<K> {
    fn operation_input(ctx: &mut aide::generate::GenContext, operation: &mut aide::openapi::Operation) {
        let properties: serde_json::Map<String, serde_json::Value> = K::KEYS
            .iter()
            .map(|key| {
                let schema = match *key {
                    "limit" | "offset" => serde_json::json!({"type": "integer", "minimum": 0}),
                    _ => serde_json::json!({"type": "string"}),
                };
                ((*key).to_owned(), schema)
            })
            .collect();
        let schema = schemars::Schema::try_from(serde_json::json!({"type": "object", "properties": properties}))
            .expect("an object schema");
        let parameters = aide::operation::parameters_from_schema(ctx, schema, aide::operation::ParamLocation::Query);
        aide::operation::add_parameters(ctx, operation, parameters);
    }
}

/// ListServersDetails' query.
pub struct ServerQuery;

impl QueryKeys for ServerQuery {
    const KEYS: &'static [&'static str] = LIST_KEYS;
}

/// ListImages' query.
pub struct ImageQuery;

impl QueryKeys for ImageQuery {
    /// As the official SDK's `ListImagesRequest` sends them.
    const KEYS: &'static [&'static str] = &[
        "__imagetype",
        "__isregistered",
        "__os_bit",
        "__os_type",
        "__platform",
        "__support_diskintensive",
        "__support_highperformance",
        "__support_kvm",
        "__support_kvm_gpu_type",
        "__support_kvm_infiniband",
        "__support_largememory",
        "__support_xen",
        "__support_xen_gpu_type",
        "__support_xen_hana",
        "container_format",
        "disk_format",
        "enterprise_project_id",
        "id",
        "limit",
        "marker",
        "member_status",
        "min_disk",
        "min_ram",
        "name",
        "owner",
        "protected",
        "sort_dir",
        "sort_key",
        "status",
        "tag",
        "virtual_env_type",
        "visibility",
        "flavor_id",
        "created_at",
        "updated_at",
        "architecture",
    ];
}

/// The ListImages keys this server applies (the others of `ImageQuery` are refused).
const APPLIED_IMAGE_KEYS: &[&str] = &[
    "__imagetype",
    "__os_type",
    "__platform",
    "id",
    "name",
    "status",
    "limit",
    "marker",
    "visibility",
    "__os_bit",
    "disk_format",
    "__isregistered",
    "protected",
];

/// ListServersDetails' query keys (the official SDK's `ListServersDetailsRequest`).
const LIST_KEYS: &[&str] = &[
    "enterprise_project_id",
    "flavor",
    "ip",
    "limit",
    "name",
    "not-tags",
    "offset",
    "reservation_id",
    "status",
    "tags",
    "ip_eq",
    "server_id",
    "marker",
];

/// ECS ListServersDetails: `GET /v1/{project_id}/cloudservers/detail`. `offset` is a page number (0 and 1 are the
/// first page), `limit` the page size (25 by default, at most 1,000); `name` matches a part of the name, `server_id`
/// names servers (comma-separated, then every other filter is ignored, as documented), `marker` pages after a
/// server. The inventory's servers have no IP, tag or reservation and are in the default enterprise project.
pub async fn list_servers(
    State(state): State<AppState>,
    Ids(project): Ids<String>,
    ServiceQuery(query, _): ServiceQuery<ServerQuery>,
) -> ApiResult<Json<EcsServerList>> {
    if let Some((key, _)) = query.0.iter().find(|(key, _)| !LIST_KEYS.contains(&key.as_str())) {
        return Err(ecs_bad_request(format!("Unknown query parameter `{key}`.")));
    }
    let get = |key: &str| query.0.iter().find(|(k, v)| k == key && !v.is_empty()).map(|(_, v)| v.clone());
    let number = |key: &str, default: u64, max: u64| -> ApiResult<u64> {
        match get(key) {
            None => Ok(default),
            Some(text) => text
                .parse::<u64>()
                .ok()
                .filter(|n| *n <= max)
                .ok_or_else(|| ecs_bad_request(format!("`{key}` must be an integer from 0 to {max}."))),
        }
    };
    let limit = number("limit", 25, 1000)?.max(1);
    let page = number("offset", 1, u64::from(u32::MAX))?.max(1);
    let ids: Option<Vec<String>> = get("server_id").map(|ids| ids.split(',').map(|id| id.trim().to_owned()).collect());
    let name = get("name");
    let status = get("status");
    let marker = get("marker");
    let (flavor, ip, ip_eq, tags, reservation, project_scope) =
        (get("flavor"), get("ip"), get("ip_eq"), get("tags"), get("reservation_id"), get("enterprise_project_id"));
    let servers = state
        .db
        .call(move |store| {
            let filter = ListFilter { limit: u32::MAX, ..ListFilter::default() };
            let (all, _) = store::list::<NativeServer>(store, &project, &filter)?;
            let mut documents = Vec::new();
            for server in &all {
                let image = find_image(store, &project, &image_id(server))?;
                documents.push(ecs_document(server, &project, image.as_ref()));
            }
            Ok((documents, project))
        })
        .await?;
    let (documents, _) = servers;
    let matching: Vec<EcsServer> = documents
        .into_iter()
        .filter(|server| match &ids {
            Some(ids) => ids.contains(&server.id),
            None => {
                name.as_ref().is_none_or(|n| server.name.contains(n.as_str()))
                    && status.as_ref().is_none_or(|s| server.status.eq_ignore_ascii_case(s))
                    && flavor.as_ref().is_none_or(|f| f == FLAVOR)
                    && ip.is_none()
                    && ip_eq.is_none()
                    && tags.is_none()
                    && reservation.is_none()
                    && project_scope.as_ref().is_none_or(|p| p == "0" || p == "all_granted_eps")
            }
        })
        .collect();
    let count = matching.len() as u64;
    let after_marker: Vec<EcsServer> = match &marker {
        Some(marker) => matching.into_iter().skip_while(|s| &s.id != marker).skip(1).collect(),
        None => matching,
    };
    let start = if marker.is_some() { 0 } else { ((page - 1) * limit) as usize };
    let servers = after_marker.into_iter().skip(start).take(limit as usize).collect();
    Ok(Json(EcsServerList { count, servers }))
}

/// The project an IMS request is for: IMS paths name none, so it is the credential's (`auth::authenticate_unscoped`).
pub struct CallerProject(pub String);

impl<S: Send + Sync> FromRequestParts<S> for CallerProject {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, ApiError> {
        parts
            .extensions
            .get::<CallerProject>()
            .map(|p| CallerProject(p.0.clone()))
            .ok_or_else(|| ApiError::unauthorized("no credential"))
    }
}

impl Clone for CallerProject {
    fn clone(&self) -> Self {
        CallerProject(self.0.clone())
    }
}

impl aide::OperationInput for CallerProject {}

/// IMS GlanceShowImage: `GET /v2/images/{image_id}`, the image itself.
pub async fn show_image(
    State(state): State<AppState>,
    CallerProject(project): CallerProject,
    Ids(id): Ids<String>,
) -> ApiResult<Json<ImsImage>> {
    let found = state.db.call(move |store| find_image(store, &project, &id).map(|image| (image, id))).await?;
    match found {
        (Some(image), _) => Ok(Json(image)),
        (None, id) => Err(service_error(StatusCode::NOT_FOUND, "IMG.0027", format!("The image {id} does not exist."))),
    }
}

/// IMS ListImages: `GET /v2/cloudimages`, the public images and the project's private ones, filtered by the keys of
/// `APPLIED_IMAGE_KEYS`, paged by `limit` (at most 1,000) and `marker`.
pub async fn list_images(
    State(state): State<AppState>,
    CallerProject(project): CallerProject,
    ServiceQuery(query, _): ServiceQuery<ImageQuery>,
) -> ApiResult<Json<ImsImageList>> {
    let unknown = query.0.iter().find(|(k, _)| !ImageQuery::KEYS.contains(&k.as_str()));
    if let Some((key, _)) = unknown {
        return Err(service_error(StatusCode::BAD_REQUEST, "IMG.0001", format!("Unknown query parameter `{key}`.")));
    }
    // A documented filter this emulation does not apply is refused, not ignored: ignoring it would answer a
    // question other than the one asked.
    let unapplied = query.0.iter().find(|(k, v)| !v.is_empty() && !APPLIED_IMAGE_KEYS.contains(&k.as_str()));
    if let Some((key, _)) = unapplied {
        return Err(service_error(
            StatusCode::BAD_REQUEST,
            "IMG.0001",
            format!("The query parameter `{key}` is documented but not applied by this server; leave it out."),
        ));
    }
    let get = |key: &str| query.0.iter().find(|(k, v)| k == key && !v.is_empty()).map(|(_, v)| v.clone());
    let limit = match get("limit") {
        None => 500,
        Some(text) => text.parse::<usize>().ok().filter(|n| (1..=1000).contains(n)).ok_or_else(|| {
            service_error(StatusCode::BAD_REQUEST, "IMG.0001", "`limit` must be from 1 to 1000.".to_owned())
        })?,
    };
    let images = state
        .db
        .call(move |store| {
            let mut images: Vec<ImsImage> = IMAGES.iter().map(public_document).collect();
            let filter = ListFilter { limit: u32::MAX, ..ListFilter::default() };
            let (servers, _) = store::list::<NativeServer>(store, &project, &filter)?;
            for server in servers.iter().filter(|s| s.protected_instance_id.is_none()) {
                let id = image_id(server);
                if id.ends_with(PRIVATE_SUFFIX) {
                    images.push(private_document(server, &id));
                }
            }
            Ok(images)
        })
        .await?;
    let matches = |image: &ImsImage| {
        let is = |key: &str, value: Option<&str>| get(key).is_none_or(|wanted| value == Some(wanted.as_str()));
        is("id", Some(&image.id))
            && is("name", Some(&image.name))
            && is("visibility", image.visibility.as_deref())
            && is("__os_bit", image.os_bit.as_deref())
            && is("disk_format", image.disk_format.as_deref())
            // Every image of the catalogue is registered and none is protected.
            && is("__isregistered", Some("true"))
            && is("protected", Some("false"))
            && is("__imagetype", image.imagetype.as_deref())
            && is("__os_type", image.os_type.as_deref())
            && is("__platform", image.platform.as_deref())
            && is("status", image.status.as_deref())
    };
    let matching = images.into_iter().filter(|i| matches(i));
    let after: Vec<ImsImage> = match get("marker") {
        Some(marker) => matching.skip_while(|i| i.id != marker).skip(1).collect(),
        None => matching.collect(),
    };
    Ok(Json(ImsImageList { images: after.into_iter().take(limit).collect() }))
}
