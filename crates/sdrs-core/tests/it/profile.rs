//! Server profiles from ECS and IMS: each inference from its source, unknowns kept unknown, and guidance that answers
//! every case of an unknown and names the fact that decides.

use serde_json::json;

use sdrs_core::guidance::{login_rows, RowAnswer};
use sdrs_core::login::{AfterOperation, LoginMethod, OsFamily, OsProfile};
use sdrs_core::profile::{profile_from_cloud, Lookup, ServerProfile};
use sdrs_core::snapshot::PowerState;
use sdrs_core::status::{GroupStatus, PriorityStation};
use sdrs_core::wire::{EcsServer, ImsImage};

use crate::util::snapshot;

fn server(os_type: &str, key_name: Option<&str>, status: &str, image_name: &str) -> EcsServer {
    serde_json::from_value(json!({
        "id": "srv-a", "name": "web-01", "status": status, "key_name": key_name, "image": {"id": "img-1"},
        "metadata": {"os_type": os_type, "image_name": image_name, "metering.imagetype": "gold"},
        "OS-EXT-AZ:availability_zone": "eu-de-01", "unknown-field": {"ignored": true}
    }))
    .unwrap()
}

fn image(imagetype: &str, name: &str, platform: Option<&str>) -> ImsImage {
    serde_json::from_value(json!({"id": "img-1", "name": name, "__imagetype": imagetype, "__os_type": "Windows",
        "__platform": platform, "visibility": if imagetype == "gold" { "public" } else { "private" }}))
    .unwrap()
}

#[test]
fn a_public_image_tells_everything_each_fact_with_its_source() {
    let ecs = server("Windows", None, "SHUTOFF", "Standard_Windows_Server_2019");
    let ims = image("gold", "Standard_Windows_Server_2019", Some("Windows"));
    let profile = profile_from_cloud("srv-a", Lookup::Found(&ecs), Some(Lookup::Found(&ims)));
    assert_eq!(profile.family.value, Some(OsFamily::Windows));
    assert_eq!(profile.family.source, "ECS metadata.os_type");
    assert_eq!(profile.init_installed.value, Some(true));
    assert!(profile.init_installed.source.contains("public image"), "{}", profile.init_installed.source);
    assert_eq!(profile.login.value, Some(LoginMethod::Password));
    assert!(profile.login.source.contains("key_name"));
    assert_eq!(profile.coreos.value, Some(false));
    assert_eq!(profile.power_state.value, Some(PowerState::Stopped));
    assert_eq!(profile.cases().len(), 1, "nothing unknown: one case");
    let with_key = server("Linux", Some("KeyPair-ops"), "ACTIVE", "coreos-stable");
    let profile = profile_from_cloud("srv-a", Lookup::Found(&with_key), Some(Lookup::Failed("403 forbidden")));
    assert_eq!(profile.login.value, Some(LoginMethod::KeyPair));
    assert_eq!(profile.coreos.value, Some(true), "CoreOS named in metadata.image_name");
    assert_eq!(profile.init_installed.value, None, "IMS refused: not known");
    assert!(profile.init_installed.source.contains("403"), "{}", profile.init_installed.source);
    assert_eq!(profile.power_state.value, Some(PowerState::Running));
}

#[test]
fn what_the_services_do_not_say_stays_unknown() {
    let ecs = server("Windows", None, "REBOOT", "web-02-golden");
    let private = image("private", "web-02-golden", Some("Windows"));
    let profile = profile_from_cloud("srv-a", Lookup::Found(&ecs), Some(Lookup::Found(&private)));
    assert_eq!(profile.init_installed.value, None, "a private image says nothing of Cloudbase-Init");
    assert!(profile.init_installed.source.contains("private"));
    assert_eq!(profile.power_state.value, None, "REBOOT is neither running nor stopped");
    assert_eq!(profile.cases().len(), 2);
    let community = image("gold", "Community_Windows_2012", None);
    let profile = profile_from_cloud("srv-a", Lookup::Found(&ecs), Some(Lookup::Found(&community)));
    assert_eq!(profile.init_installed.value, None, "certain community images lack it");
    let gone = profile_from_cloud("srv-x", Lookup::Failed("404 Ecs.0114 Instance[srv-x] could not be found."), None);
    assert!(gone.family.value.is_none() && gone.login.value.is_none() && gone.power_state.value.is_none());
    assert!(gone.power_state.source.contains("404"), "{}", gone.power_state.source);
    assert_eq!(gone.cases().len(), 2 * 2 * 2 + 2 * 2, "Windows: init × login; Linux: CoreOS × init × login");
    let deleted = profile_from_cloud("srv-a", Lookup::Found(&server("Linux", None, "DELETED", "x")), None);
    assert_eq!(deleted.power_state.value, Some(PowerState::Deleted));
    assert_eq!(deleted.facts().unwrap().power_state, PowerState::Deleted, "pre-checks read it");
}

#[test]
fn an_override_replaces_the_services_facts_and_says_so() {
    let ecs = server("Windows", None, "ACTIVE", "web-02-golden");
    let private = image("private", "web-02-golden", None);
    let profile = profile_from_cloud("srv-a", Lookup::Found(&ecs), Some(Lookup::Found(&private)))
        .overridden(Some(OsProfile::Windows { cloudbase_init: false }), None);
    assert_eq!(profile.init_installed.value, Some(false));
    assert!(profile.init_installed.source.contains("operator"), "{}", profile.init_installed.source);
    assert!(profile.login.source.contains("ECS"), "the login method is still the service's");
    assert!(profile.notes().iter().any(|n| n.contains("Cloudbase-Init: not installed (given by the operator")));
}

/// The guidance for a Windows server on a private image: Cloudbase-Init decides, so both answers are given, each
/// with its condition; for Linux it does not change the credential, so one answer is given.
#[test]
fn guidance_answers_each_case_of_an_unknown_and_names_the_fact_that_decides() {
    let snap = snapshot(GroupStatus::FailedOver, PriorityStation::Target);
    let source = snap.protected_instances[0].source_server.clone();
    let ecs = EcsServer { id: source.clone(), ..server("Windows", None, "ACTIVE", "web-02-golden") };
    let private = image("private", "web-02-golden", Some("Windows"));
    let profile = profile_from_cloud(&source, Lookup::Found(&ecs), Some(Lookup::Found(&private)));
    let rows = login_rows(&snap, &[profile], AfterOperation::Failover, true);
    assert!(!rows.is_empty());
    let RowAnswer::DependsOn { decided_by, cases } = &rows[0].answer else { panic!("{:?}", rows[0].answer) };
    assert_eq!(decided_by, "whether Cloudbase-Init is installed");
    let conditions: Vec<&str> = cases.iter().map(|c| c.condition.as_str()).collect();
    assert_eq!(conditions, ["if Cloudbase-Init is installed", "if Cloudbase-Init is not installed"]);
    assert_ne!(cases[0].explanation.answer, cases[1].explanation.answer);
    assert!(rows[0].answer.summary().starts_with("Depends on whether Cloudbase-Init is installed"));
    assert!(rows[0].facts.iter().any(|f| f.contains("private")), "{:?}", rows[0].facts);

    let linux = EcsServer { id: source.clone(), ..server("Linux", None, "ACTIVE", "db-02-golden") };
    let private_linux = ImsImage { platform: Some("CentOS".into()), ..image("private", "db-02-golden", None) };
    let profile = profile_from_cloud(&source, Lookup::Found(&linux), Some(Lookup::Found(&private_linux)));
    let rows = login_rows(&snap, &[profile], AfterOperation::Failover, true);
    assert!(matches!(rows[0].answer, RowAnswer::Known(_)), "Cloud-Init does not change a Linux credential");

    let unknown = login_rows(&snap, &[], AfterOperation::Failover, true);
    assert!(matches!(&unknown[0].answer, RowAnswer::DependsOn { decided_by, .. } if decided_by.contains("the OS")));
    let known = ServerProfile::known(
        &source,
        Some("a"),
        OsProfile::Linux { coreos: false, cloud_init: true },
        LoginMethod::KeyPair,
        PowerState::Running,
        "a test",
    );
    assert!(matches!(login_rows(&snap, &[known], AfterOperation::Failover, true)[0].answer, RowAnswer::Known(_)));
}

/// Each row's facts are server A's profile (B is its copy) with the row's own server's power state: after a failover
/// the new production server B runs while A is stopped.
#[test]
fn a_rows_power_state_is_its_own_servers() {
    let snap = snapshot(GroupStatus::FailedOver, PriorityStation::Target);
    let instance = &snap.protected_instances[0];
    let a = EcsServer { id: instance.source_server.clone(), ..server("Linux", Some("kp"), "SHUTOFF", "img") };
    let b = EcsServer { id: instance.target_server.clone(), ..server("Linux", Some("kp"), "ACTIVE", "img") };
    let profiles =
        [profile_from_cloud(&a.id, Lookup::Found(&a), None), profile_from_cloud(&b.id, Lookup::Found(&b), None)];
    let rows = login_rows(&snap, &profiles, AfterOperation::Failover, true);
    let power = |id: &str| {
        let row = rows.iter().find(|r| r.server_id == id).unwrap();
        row.facts.iter().find(|f| f.starts_with("power:")).unwrap().clone()
    };
    assert!(power(&instance.target_server).starts_with("power: running"), "{}", power(&instance.target_server));
    assert!(power(&instance.source_server).starts_with("power: stopped"), "{}", power(&instance.source_server));
    let only_a = login_rows(&snap, &profiles[..1], AfterOperation::Failover, true);
    let b_row = only_a.iter().find(|r| r.server_id == instance.target_server).unwrap();
    assert!(b_row.facts.iter().any(|f| f == "power: not known (not read)"), "{:?}", b_row.facts);
}
