//! The demo dataset: built through the real API in-process, so it passes the same validation and jobs as any client.

use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use serde_json::{json, Value};
use tower::ServiceExt;

use sdrs_core::login::{LoginMethod, OsProfile};
use sdrs_core::snapshot::PowerState;
use sdrs_core::status::{GroupStatus, InstanceStatus, PriorityStation, ReplicationStatus};
use sdrs_core::timefmt::resource_time;
use sdrs_core::wire::{
    ActiveDomain, InstanceAttachment, ProtectedInstance, RecordMetadata, Replication, ReplicationAttachment,
    ReplicationCluster, ServerGroup,
};

use crate::store;
use sdrs_core::wire::NativeServer;

use crate::config::Credentials;
use crate::{jobs, now_millis, router, AppState, Config};

/// The demo project and its credentials.
pub const PROJECT: &str = "5a1f0c3e2b7d4e6f8a9b0c1d2e3f4a5b";
pub const TOKEN: &str = "demo-token";
pub const ACCESS_KEY: &str = "DEMOACCESSKEY0000001";
pub const SECRET_KEY: &str = "demo-secret-key-change-me";
/// The admin API's token in demo mode (public, like every demo credential).
pub const ADMIN_TOKEN: &str = "demo-admin-token-0000";
pub const DOMAIN_ID: &str = "fb4bb8e3-a574-4437-a156-78c916aeea4d";
pub const SOURCE_AZ: &str = "eu-de-01";
pub const TARGET_AZ: &str = "eu-de-02";
pub const VPC_ID: &str = "046852ef-c49d-409b-8389-546aaaa5701f";

/// Adds the demo project's credentials to a configuration.
pub fn add_credentials(config: &mut Config) {
    config.console_login = Some((PROJECT.to_owned(), TOKEN.to_owned()));
    config.admin_token = Some(ADMIN_TOKEN.to_owned());
    config.projects.insert(
        PROJECT.to_owned(),
        Credentials {
            tokens: vec![TOKEN.to_owned()],
            access_keys: vec![(ACCESS_KEY.to_owned(), SECRET_KEY.to_owned())],
        },
    );
}

/// A client that calls the router in-process with the demo token and runs jobs to completion.
struct Seeder {
    state: AppState,
}

impl Seeder {
    async fn call(&self, method: Method, path: &str, body: Option<Value>) -> anyhow::Result<Value> {
        let request = Request::builder()
            .method(method.clone())
            .uri(path)
            .header("x-auth-token", TOKEN)
            .header("x-admin-token", ADMIN_TOKEN)
            .header("content-type", "application/json")
            .body(body.map(|b| Body::from(b.to_string())).unwrap_or_else(Body::empty))?;
        let response = router(self.state.clone()).oneshot(request).await?;
        let status = response.status();
        let bytes = axum::body::to_bytes(response.into_body(), usize::MAX).await?;
        if !status.is_success() {
            anyhow::bail!("demo seeding: {method} {path} answered {status}: {}", String::from_utf8_lossy(&bytes));
        }
        if status == StatusCode::NO_CONTENT || bytes.is_empty() {
            return Ok(Value::Null);
        }
        Ok(serde_json::from_slice(&bytes)?)
    }

    /// Submits a job and runs it to its end; returns the finished job.
    async fn job(&self, method: Method, path: &str, body: Option<Value>) -> anyhow::Result<Value> {
        let submitted = self.call(method, path, body).await?;
        let job_id = submitted["job_id"].as_str().unwrap_or_default().to_owned();
        jobs::run_due(&self.state.db, now_millis()).await.map_err(|e| anyhow::anyhow!("{e}"))?;
        self.call(Method::GET, &format!("/v1/{PROJECT}/jobs/{job_id}"), None).await
    }

    async fn server(&self, id: &str, name: &str, os: Value, login: &str, password_changed: bool) -> anyhow::Result<()> {
        self.call(
            Method::POST,
            &format!("/admin/v1/{PROJECT}/servers"),
            Some(json!({"id": id, "name": name, "availability_zone": SOURCE_AZ, "vpc_id": VPC_ID,
                        "os": os, "login": login, "password_changed": password_changed})),
        )
        .await?;
        self.call(
            Method::POST,
            &format!("/admin/v1/{PROJECT}/disks"),
            Some(json!({"id": format!("{id}-sys"), "name": format!("{name}-system"), "size_gb": 40,
                        "volume_type": "SSD", "availability_zone": SOURCE_AZ, "status": "in-use",
                        "bootable": true, "server_id": id})),
        )
        .await?;
        Ok(())
    }

    async fn group(&self, name: &str, description: &str) -> anyhow::Result<String> {
        let job = self
            .job(
                Method::POST,
                &format!("/v1/{PROJECT}/server-groups"),
                Some(json!({"server_group": {"name": name, "description": description,
                    "source_availability_zone": SOURCE_AZ, "target_availability_zone": TARGET_AZ,
                    "domain_id": DOMAIN_ID, "source_vpc_id": VPC_ID, "dr_type": "migration"}})),
            )
            .await?;
        Ok(job["entities"]["server_group_id"].as_str().unwrap_or_default().to_owned())
    }

    /// Protects a server: instance, a replication pair of its system disk, attached as /dev/vda.
    async fn protect(&self, group: &str, server: &str, name: &str) -> anyhow::Result<String> {
        let job = self
            .job(
                Method::POST,
                &format!("/v1/{PROJECT}/protected-instances"),
                Some(json!({"protected_instance": {"server_group_id": group, "server_id": server, "name": name}})),
            )
            .await?;
        let instance = job["entities"]["protected_instance_id"].as_str().unwrap_or_default().to_owned();
        let job = self
            .job(
                Method::POST,
                &format!("/v1/{PROJECT}/replications"),
                Some(json!({"replication": {"server_group_id": group, "volume_id": format!("{server}-sys"),
                                            "name": format!("{name}-system")}})),
            )
            .await?;
        let pair = job["entities"]["replication_pair_id"].as_str().unwrap_or_default().to_owned();
        self.job(
            Method::POST,
            &format!("/v1/{PROJECT}/protected-instances/{instance}/attachreplication"),
            Some(json!({"replicationAttachment": {"replication_id": pair, "device": "/dev/vda"}})),
        )
        .await?;
        Ok(pair)
    }

    async fn act(&self, group: &str, body: Value) -> anyhow::Result<Value> {
        self.job(Method::POST, &format!("/v1/{PROJECT}/server-groups/{group}/action"), Some(body)).await
    }
}

/// Stores the demo's active-active domain (eu-de-01 ⇄ eu-de-02).
pub async fn install_domain(state: &AppState) -> anyhow::Result<()> {
    let domain = ActiveDomain {
        id: DOMAIN_ID.to_owned(),
        name: "ActiveactiveDomain".to_owned(),
        description: Some("eu-de-01 and eu-de-02".to_owned()),
        sold_out: false,
        local_replication_cluster: ReplicationCluster { availability_zone: SOURCE_AZ.to_owned() },
        remote_replication_cluster: ReplicationCluster { availability_zone: TARGET_AZ.to_owned() },
    };
    state.db.write(move |tx| crate::routes::put_domain(tx, &domain)).await.map_err(|e| anyhow::anyhow!("{e}"))
}

/// The lease a replica holds while it seeds, so that replicas started together with `--demo` on one empty database
/// seed it once. Long enough for the seed (a few seconds); a replica that died seeding frees it when it lapses.
const SEED_LEASE: &str = "demo-seed";
const SEED_LEASE_MILLIS: i64 = 120_000;

/// Seeds an empty database with the demo dataset. Returns false when the database already has data, or when another
/// replica is seeding it: this one waits for the first of that replica's data and leaves the rest to it.
pub async fn seed(state: &AppState) -> anyhow::Result<bool> {
    let has_data = || async { state.db.call(|store| store.has_resources()).await.map_err(|e| anyhow::anyhow!("{e}")) };
    loop {
        if has_data().await? {
            return Ok(false);
        }
        let (holder, now) = (state.replica.clone(), now_millis());
        let taken = state.db.write(move |tx| tx.take_lease(SEED_LEASE, &holder, now, now + SEED_LEASE_MILLIS)).await;
        if taken.map_err(|e| anyhow::anyhow!("{e}"))?.is_some() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    // Another replica may have seeded between the check and the lease.
    if has_data().await? {
        return Ok(false);
    }
    let mut config = (*state.config).clone();
    config.time_scale = 0.0;
    add_credentials(&mut config);
    let seeder = Seeder { state: state.with_config(config) };
    install_domain(state).await?;

    let windows_cbi = json!({"family": "windows", "cloudbase_init": true});
    let windows = json!({"family": "windows", "cloudbase_init": false});
    let linux_ci = json!({"family": "linux", "coreos": false, "cloud_init": true});
    let linux = json!({"family": "linux", "coreos": false, "cloud_init": false});
    let coreos = json!({"family": "linux", "coreos": true, "cloud_init": false});
    let s = &seeder;
    s.server("srv-web-01", "web-01", windows_cbi.clone(), "password", false).await?;
    s.server("srv-web-02", "web-02", windows.clone(), "key-pair", false).await?;
    s.server("srv-db-01", "db-01", linux_ci.clone(), "key-pair", false).await?;
    s.server("srv-db-02", "db-02", linux.clone(), "password", true).await?;
    s.server("srv-etl-01", "etl-01", linux.clone(), "password", false).await?;
    s.server("srv-batch-01", "batch-01", windows.clone(), "password", false).await?;
    s.server("srv-legacy-01", "legacy-01", windows, "password", false).await?;
    s.server("srv-legacy-02", "legacy-02", linux, "key-pair", false).await?;
    s.server("srv-kube-01", "kube-01", coreos, "password", true).await?;
    s.server("srv-ad-01", "ad-01", windows_cbi, "key-pair", false).await?;
    s.server("srv-spare-01", "spare-01", linux_ci, "password", false).await?;

    // Protected, two Windows servers, ready for a failover.
    let web = s.group("web-tier", "Windows web servers").await?;
    s.protect(&web, "srv-web-01", "web-01").await?;
    s.protect(&web, "srv-web-02", "web-02").await?;
    s.act(&web, json!({"start-server-group": {}})).await?;
    s.job(
        Method::POST,
        &format!("/v1/{PROJECT}/disaster-recovery-drills"),
        Some(json!({"disaster_recovery_drill": {"server_group_id": web, "name": "web-quarterly-drill"}})),
    )
    .await?;

    // Failed over: production now at eu-de-02.
    let db = s.group("db-tier", "Linux databases").await?;
    s.protect(&db, "srv-db-01", "db-01").await?;
    s.protect(&db, "srv-db-02", "db-02").await?;
    s.act(&db, json!({"start-server-group": {}})).await?;
    s.act(&db, json!({"failover-server-group": {}})).await?;

    // A failover that failed; it can be retried.
    let etl = s.group("etl-tier", "Nightly ETL").await?;
    s.protect(&etl, "srv-etl-01", "etl-01").await?;
    s.act(&etl, json!({"start-server-group": {}})).await?;
    s.call(
        Method::POST,
        &format!("/admin/v1/{PROJECT}/faults"),
        Some(json!({"server_group_id": etl, "step": "failoverReplicationPairs",
                    "fail_reason": "failoverReplicationPairs-fail: storage array did not confirm the switch"})),
    )
    .await?;
    s.act(&etl, json!({"failover-server-group": {}})).await?;

    // Available: an instance but no replication pair yet, so it cannot be enabled.
    let batch = s.group("batch-tier", "Batch servers, pairs not created yet").await?;
    s.call(
        Method::POST,
        &format!("/v1/{PROJECT}/protected-instances"),
        Some(
            json!({"protected_instance": {"server_group_id": batch, "server_id": "srv-batch-01", "name": "batch-01"}}),
        ),
    )
    .await?;
    jobs::run_due(&state.db, now_millis()).await.map_err(|e| anyhow::anyhow!("{e}"))?;

    // Protected, but a production server was deleted through the native interface.
    let legacy = s.group("legacy-tier", "A server was deleted behind SDRS").await?;
    s.protect(&legacy, "srv-legacy-01", "legacy-01").await?;
    s.protect(&legacy, "srv-legacy-02", "legacy-02").await?;
    s.act(&legacy, json!({"start-server-group": {}})).await?;
    s.call(Method::DELETE, &format!("/admin/v1/{PROJECT}/servers/srv-legacy-02"), None).await?;

    // Protected, but a replication link is broken (fault_level 5).
    let kube = s.group("kube-tier", "CoreOS and AD; a replication link is down").await?;
    s.protect(&kube, "srv-kube-01", "kube-01").await?;
    let ad_pair = s.protect(&kube, "srv-ad-01", "ad-01").await?;
    s.act(&kube, json!({"start-server-group": {}})).await?;
    s.call(Method::PATCH, &format!("/admin/v1/{PROJECT}/replications/{ad_pair}"), Some(json!({"fault_level": "5"})))
        .await?;

    // Empty and available: can be deleted.
    s.group("sandbox", "Empty group").await?;

    // A recovery plan over the tiers, ready to run as a drill (a failover would be refused: the database tier is
    // already failed over and the kube tier's replication link is down, which its check says).
    let plan = json!({"recovery_plan": {
    "name": "site-b-recovery",
    "description": "Databases first, then a check, then the web and container tiers",
    "stages": [
        {"type": "groups", "groups": [{"server_group_id": db, "critical": true}]},
        {"type": "gate", "text": "Check that the databases answer at the DR site before the web tier follows."},
        {"type": "groups", "groups": [{"server_group_id": web, "critical": true},
                                      {"server_group_id": kube, "critical": false}]}
    ]}});
    s.call(Method::POST, &format!("/orchestration/v1/{PROJECT}/recovery-plans"), Some(plan)).await?;
    Ok(true)
}

/// Inserts `groups` groups directly (5,000 per transaction) for benchmarks and load tests: protected with one
/// instance, pair and two servers each, or bare and available. Returns their ids in order.
pub async fn seed_bulk(state: &AppState, groups: usize, protected: bool) -> anyhow::Result<Vec<String>> {
    let mut ids = Vec::with_capacity(groups);
    let stamp = resource_time(now_millis());
    for chunk_start in (0..groups).step_by(5000) {
        let chunk_end = (chunk_start + 5000).min(groups);
        let stamp = stamp.clone();
        let chunk = state
            .db
            .write(move |tx| {
                let mut ids = Vec::new();
                for n in chunk_start..chunk_end {
                    let group = group(n, protected, &stamp);
                    store::insert(tx, PROJECT, &group)?;
                    if protected {
                        for (id, az, power) in [
                            (format!("a-{n}"), SOURCE_AZ, PowerState::Running),
                            (format!("b-{n}"), TARGET_AZ, PowerState::Stopped),
                        ] {
                            let server = NativeServer {
                                name: id.clone(),
                                id,
                                availability_zone: az.to_owned(),
                                vpc_id: VPC_ID.to_owned(),
                                os: OsProfile::Linux { coreos: false, cloud_init: false },
                                login: LoginMethod::KeyPair,
                                power_state: power,
                                password_changed: false,
                                protected_instance_id: None,
                                image_id: None,
                            };
                            store::insert(tx, PROJECT, &server)?;
                        }
                        let (instance, pair) = members(n, &group.id, &stamp);
                        store::insert(tx, PROJECT, &instance)?;
                        store::insert(tx, PROJECT, &pair)?;
                    }
                    ids.push(group.id);
                }
                Ok(ids)
            })
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        ids.extend(chunk);
    }
    state.db.after_bulk_load().await.map_err(|e| anyhow::anyhow!("{e}"))?;
    Ok(ids)
}

fn group(n: usize, protected: bool, stamp: &str) -> ServerGroup {
    ServerGroup {
        id: format!("00000000-0000-4000-8000-{n:012}"),
        name: format!("bench-{n}"),
        description: None,
        status: if protected { GroupStatus::Protected } else { GroupStatus::Available },
        progress: 100,
        source_availability_zone: SOURCE_AZ.to_owned(),
        target_availability_zone: TARGET_AZ.to_owned(),
        domain_id: DOMAIN_ID.to_owned(),
        domain_name: "ActiveactiveDomain".to_owned(),
        priority_station: PriorityStation::Source,
        protected_instance_num: u32::from(protected),
        replication_num: u32::from(protected),
        disaster_recovery_drill_num: 0,
        protected_status: None,
        replication_status: None,
        health_status: None,
        source_vpc_id: VPC_ID.to_owned(),
        target_vpc_id: VPC_ID.to_owned(),
        test_vpc_id: None,
        dr_type: "migration".to_owned(),
        server_type: "ECS".to_owned(),
        created_at: stamp.to_owned(),
        updated_at: stamp.to_owned(),
        protection_type: Some("replication-pair".to_owned()),
        replication_model: None,
    }
}

fn members(n: usize, group_id: &str, stamp: &str) -> (ProtectedInstance, Replication) {
    let instance_id = format!("10000000-0000-4000-8000-{n:012}");
    let pair_id = format!("20000000-0000-4000-8000-{n:012}");
    let instance = ProtectedInstance {
        id: instance_id.clone(),
        name: format!("pi-{n}"),
        description: None,
        server_group_id: group_id.to_owned(),
        status: InstanceStatus::Protected,
        progress: 100,
        source_server: format!("a-{n}"),
        target_server: format!("b-{n}"),
        created_at: stamp.to_owned(),
        updated_at: stamp.to_owned(),
        priority_station: PriorityStation::Source,
        attachment: vec![InstanceAttachment { replication: pair_id.clone(), device: "/dev/vda".to_owned() }],
        tags: None,
        metadata: serde_json::Map::new(),
    };
    let pair = Replication {
        id: pair_id,
        name: format!("rp-{n}"),
        description: None,
        replication_model: Some("hypermetro".to_owned()),
        status: ReplicationStatus::Protected,
        progress: 100,
        replication_status: Some("active".to_owned()),
        attachment: vec![ReplicationAttachment { device: "/dev/vda".to_owned(), protected_instance: instance_id }],
        server_group_id: group_id.to_owned(),
        volume_ids: format!("va-{n},vb-{n}"),
        priority_station: PriorityStation::Source,
        fault_level: "0".to_owned(),
        created_at: stamp.to_owned(),
        updated_at: stamp.to_owned(),
        record_metadata: RecordMetadata {
            multiattach: false,
            bootable: true,
            volume_size: 40,
            volume_type: "SSD".to_owned(),
        },
        failure_detail: None,
    };
    (instance, pair)
}
