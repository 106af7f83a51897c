//! Criterion timings of the sdrs-core operations the server, console and JS module call on every request.

use criterion::{black_box, criterion_group, criterion_main, Criterion};

use sdrs_core::action::parse_action;
use sdrs_core::login::{
    explain_login, AfterOperation, CloudbaseInitState, LoginMethod, LoginQuestion, OsProfile, ServerNames, ServerRole,
};
use sdrs_core::precheck::precheck;
use sdrs_core::role_swap::preview;
use sdrs_core::snapshot::{GroupSnapshot, Intent, PowerState, ServerFacts};
use sdrs_core::status::PriorityStation;
use sdrs_core::wire::{ProtectedInstanceResponse, ReplicationResponse, ServerGroupResponse};
use sdrs_core::ErrorCode;

fn snapshot(instances: usize) -> GroupSnapshot {
    let examples = concat!(env!("CARGO_MANIFEST_DIR"), "/../sdrs-core/tests/data/examples");
    let read = |path: &str| std::fs::read_to_string(format!("{examples}/{path}")).unwrap();
    let mut group =
        serde_json::from_str::<ServerGroupResponse>(&read("reference/server-group-show.json")).unwrap().server_group;
    group.status = sdrs_core::status::GroupStatus::Protected;
    let instance = serde_json::from_str::<ProtectedInstanceResponse>(&read("constructed/protected-instance-show.json"))
        .unwrap()
        .protected_instance;
    let pair =
        serde_json::from_str::<ReplicationResponse>(&read("constructed/replication-show.json")).unwrap().replication;
    let mut snapshot = GroupSnapshot {
        server_group: group,
        protected_instances: vec![],
        replications: vec![],
        disaster_recovery_drills: vec![],
        servers: vec![],
    };
    for n in 0..instances {
        let mut i = instance.clone();
        i.id = format!("i{n}");
        i.source_server = format!("a{n}");
        i.target_server = format!("b{n}");
        snapshot.protected_instances.push(i);
        let mut p = pair.clone();
        p.id = format!("r{n}");
        snapshot.replications.push(p);
        snapshot.servers.push(ServerFacts {
            id: format!("a{n}"),
            name: Some(format!("web-{n}")),
            power_state: PowerState::Stopped,
        });
        snapshot.servers.push(ServerFacts {
            id: format!("b{n}"),
            name: Some(format!("web-{n}")),
            power_state: PowerState::Stopped,
        });
    }
    snapshot
}

fn core(c: &mut Criterion) {
    c.bench_function("parse_action_failover", |b| {
        b.iter(|| parse_action(black_box(br#"{"failover-server-group": {}}"#)))
    });
    let snap = snapshot(20).facts();
    c.bench_function("precheck_failover_20_instances", |b| b.iter(|| precheck(black_box(&snap), Intent::Failover)));
    c.bench_function("preview_planned_failover_20_instances", |b| {
        b.iter(|| preview(black_box(&snap), Intent::PlannedFailover { priority_station: PriorityStation::Target }))
    });
    let question = LoginQuestion {
        os: OsProfile::Windows { cloudbase_init: true },
        login: LoginMethod::KeyPair,
        after: AfterOperation::Failover,
        first_time: true,
        server: ServerRole::Production,
        production_site: None,
        password_changed_before_failover: None,
        cloudbase_init: CloudbaseInitState::Unknown,
        names: ServerNames::default(),
    };
    c.bench_function("explain_login_scenario_2", |b| b.iter(|| explain_login(black_box(&question))));
    c.bench_function("error_code_lookup", |b| b.iter(|| ErrorCode::parse(black_box("SDRS.1824"))));
}

criterion_group!(benches, core);
criterion_main!(benches);
