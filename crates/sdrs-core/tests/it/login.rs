//! Table-driven tests of the login engine: every scenario and note of the seed, the drill rule, the gaps and the discrepancies.

use sdrs_core::login::*;
use sdrs_core::role_swap::SeedServer::{self, A, B};
use sdrs_core::seed::SeedRule::{self, *};
use sdrs_core::status::PriorityStation;

use CredentialKind::{KeyPair as Kp, Password as Pw, PasswordFromKeyPair as PwKp};
use CredentialVersion as V;

const WIN: OsProfile = OsProfile::Windows { cloudbase_init: false };
const WIN_CBI: OsProfile = OsProfile::Windows { cloudbase_init: true };
const LINUX: OsProfile = OsProfile::Linux { coreos: false, cloud_init: false };
const LINUX_CI: OsProfile = OsProfile::Linux { coreos: false, cloud_init: true };
const COREOS: OsProfile = OsProfile::Linux { coreos: true, cloud_init: false };

fn question(os: OsProfile, login: LoginMethod, server: ServerRole) -> LoginQuestion {
    LoginQuestion {
        os,
        login,
        after: if server == ServerRole::Drill { AfterOperation::DrDrill } else { AfterOperation::Failover },
        first_time: true,
        server,
        production_site: None,
        password_changed_before_failover: None,
        cloudbase_init: CloudbaseInitState::Unknown,
        names: ServerNames::default(),
    }
}

fn later(mut q: LoginQuestion, production_site: PriorityStation) -> LoginQuestion {
    q.first_time = false;
    q.production_site = Some(production_site);
    q
}

fn cbi(mut q: LoginQuestion, state: CloudbaseInitState) -> LoginQuestion {
    q.cloudbase_init = state;
    q
}

fn changed(mut q: LoginQuestion, value: bool) -> LoginQuestion {
    q.password_changed_before_failover = Some(value);
    q
}

/// What an answer must be.
enum Expect {
    Use(CredentialKind, SeedServer, CredentialVersion, &'static [StepAction]),
    Depends {
        until: (CredentialKind, SeedServer, CredentialVersion),
        once: (CredentialKind, SeedServer, CredentialVersion, StepAction),
    },
    NotDocumented,
}

fn credential_of(advice: &Advice) -> (CredentialKind, SeedServer, CredentialVersion) {
    (advice.credential.kind, advice.credential.of, advice.credential.version)
}

#[track_caller]
fn check(
    q: LoginQuestion,
    target: Option<SeedServer>,
    expect: Expect,
    rules: &[SeedRule],
    discrepancies: &[Discrepancy],
) {
    let explanation = explain_login(&q).expect("a valid question");
    assert_eq!(explanation.server.seed, target, "target server");
    match (&explanation.answer, expect) {
        (Answer::Use(advice), Expect::Use(kind, of, version, steps)) => {
            assert_eq!(credential_of(advice), (kind, of, version));
            let actions: Vec<StepAction> = advice.first.iter().map(|s| s.action).collect();
            assert_eq!(actions, steps);
        }
        (Answer::DependsOnCloudbaseInit { check, until_started, once_started }, Expect::Depends { until, once }) => {
            assert_eq!(check.action, StepAction::CheckCloudbaseInit);
            assert_eq!(credential_of(until_started), until);
            assert_eq!(credential_of(once_started), (once.0, once.1, once.2));
            assert_eq!(once_started.first.iter().map(|s| s.action).collect::<Vec<_>>(), [once.3]);
        }
        (Answer::NotDocumented { known }, Expect::NotDocumented) => {
            assert!(!known.is_empty());
            assert!(explanation.summary.contains("Not documented"), "{}", explanation.summary);
        }
        (answer, _) => panic!("unexpected answer {answer:?}"),
    }
    let cited = explanation.rules();
    for rule in rules {
        assert!(cited.contains(rule), "{rule} not cited; cited {cited:?}");
    }
    let found: Vec<Discrepancy> = explanation.discrepancies.iter().map(|d| d.id).collect();
    assert_eq!(found, discrepancies);
}

use LoginMethod::{KeyPair as KP, Password as PW};
use ServerRole::{Dr, Drill, Production as Prod};

#[test]
fn scenario_1_windows_without_cloudbase_init() {
    // First planned failover or failover: server A's password logs in to production B and DR A.
    check(
        question(WIN, PW, Prod),
        Some(B),
        Expect::Use(Pw, A, V::BeforeFailover, &[]),
        &[Scenario1Password, GeneralWithoutInit, Table1],
        &[],
    );
    check(question(WIN, PW, Dr), Some(A), Expect::Use(Pw, A, V::BeforeFailover, &[]), &[Scenario1Password], &[]);
    // Key pair: the password obtained from server A.
    check(question(WIN, KP, Prod), Some(B), Expect::Use(PwKp, A, V::BeforeFailover, &[]), &[Scenario1KeyPair], &[]);
    check(question(WIN, KP, Dr), Some(A), Expect::Use(PwKp, A, V::BeforeFailover, &[]), &[Scenario1KeyPair], &[]);
}

#[test]
fn scenario_1_note_later_failovers() {
    // From the second failover on: still server A's password, whichever server is where.
    for site in [PriorityStation::Source, PriorityStation::Target] {
        let production = if site == PriorityStation::Source { A } else { B };
        let q = later(question(WIN, PW, Prod), site);
        check(q, Some(production), Expect::Use(Pw, A, V::BeforeFailover, &[]), &[Scenario1Note], &[]);
        let q = later(question(WIN, KP, Dr), site);
        check(q, Some(production.other()), Expect::Use(PwKp, A, V::BeforeFailover, &[]), &[Scenario1Note], &[]);
    }
}

#[test]
fn scenario_2_password_by_cloudbase_init_state() {
    let q = || question(WIN_CBI, PW, Prod);
    check(
        cbi(q(), CloudbaseInitState::NotStarted),
        Some(B),
        Expect::Use(Pw, B, V::BeforeFailover, &[]),
        &[Scenario2PasswordBeforeStart, GeneralWithInit],
        &[],
    );
    check(
        cbi(q(), CloudbaseInitState::Started),
        Some(B),
        Expect::Use(Pw, B, V::NewlyReset, &[StepAction::ResetPassword]),
        &[Scenario2PasswordAfterStart],
        &[],
    );
    check(
        q(),
        Some(B),
        Expect::Depends { until: (Pw, B, V::BeforeFailover), once: (Pw, B, V::NewlyReset, StepAction::ResetPassword) },
        &[Scenario2PasswordBeforeStart, Scenario2PasswordAfterStart],
        &[],
    );
}

#[test]
fn scenario_2_key_pair_by_cloudbase_init_state() {
    let q = || question(WIN_CBI, KP, Prod);
    check(
        cbi(q(), CloudbaseInitState::NotStarted),
        Some(B),
        Expect::Use(Pw, B, V::BeforeFailover, &[]),
        &[Scenario2KeyPairBeforeStart],
        &[],
    );
    check(
        cbi(q(), CloudbaseInitState::Started),
        Some(B),
        Expect::Use(PwKp, B, V::ObtainedAgain, &[StepAction::ObtainPasswordAgain]),
        &[Scenario2KeyPairAfterStart],
        &[],
    );
    check(
        q(),
        Some(B),
        Expect::Depends {
            until: (Pw, B, V::BeforeFailover),
            once: (PwKp, B, V::ObtainedAgain, StepAction::ObtainPasswordAgain),
        },
        &[Scenario2KeyPairBeforeStart, Scenario2KeyPairAfterStart],
        &[],
    );
}

#[test]
fn scenario_2_window_is_named_in_the_caution() {
    let explanation = explain_login(&cbi(question(WIN_CBI, PW, Prod), CloudbaseInitState::NotStarted)).unwrap();
    let Answer::Use(advice) = &explanation.answer else { panic!() };
    assert!(advice.cautions[0].contains("three to five minutes"), "{:?}", advice.cautions);
}

#[test]
fn scenario_2_is_silent_about_the_dr_site_server() {
    for state in CloudbaseInitState::ALL {
        check(cbi(question(WIN_CBI, PW, Dr), *state), Some(A), Expect::NotDocumented, &[GeneralWithInit], &[]);
    }
}

#[test]
fn scenario_2_note_later_failovers_cover_server_b_only() {
    // Server B at the production site (priority_station target) and at the DR site (source).
    check(
        later(question(WIN_CBI, PW, Prod), PriorityStation::Target),
        Some(B),
        Expect::Use(Pw, B, V::SinceFirstFailover, &[]),
        &[Scenario2Note, Scenario2NotePassword],
        &[],
    );
    check(
        later(question(WIN_CBI, KP, Dr), PriorityStation::Source),
        Some(B),
        Expect::Use(PwKp, B, V::SinceFirstFailover, &[]),
        &[Scenario2Note, Scenario2NoteKeyPair],
        &[],
    );
    check(
        later(question(WIN_CBI, PW, Prod), PriorityStation::Source),
        Some(A),
        Expect::NotDocumented,
        &[Scenario2Note],
        &[],
    );
}

#[test]
fn scenario_3_linux_password() {
    let q = || question(LINUX, PW, Prod);
    check(
        changed(q(), false),
        Some(B),
        Expect::Use(Pw, A, V::AsCreated, &[]),
        &[Scenario3Password, Scenario3PasswordUnchanged, Scenario3NoteNonCoreOs, GeneralWithoutInit],
        &[],
    );
    check(
        changed(q(), true),
        Some(B),
        Expect::Use(Pw, A, V::ChangedBeforeFailover, &[]),
        &[Scenario3PasswordChanged, Scenario3NoteNonCoreOs],
        &[],
    );
    check(
        q(),
        Some(B),
        Expect::Use(Pw, A, V::AsCreatedOrChanged, &[]),
        &[Scenario3PasswordUnchanged, Scenario3PasswordChanged],
        &[],
    );
    check(
        changed(question(LINUX, PW, Dr), true),
        Some(A),
        Expect::Use(Pw, A, V::ChangedBeforeFailover, &[]),
        &[Scenario3PasswordChanged],
        &[],
    );
}

#[test]
fn scenario_3_coreos_restores_the_initial_password() {
    for was_changed in [true, false] {
        let q = changed(question(COREOS, PW, Prod), was_changed);
        check(
            q.clone(),
            Some(B),
            Expect::Use(Pw, A, V::AsCreated, &[]),
            &[Scenario3NoteCoreOs],
            &[Discrepancy::CoreOsNoteServerNames],
        );
        let explanation = explain_login(&q).unwrap();
        let Answer::Use(advice) = &explanation.answer else { panic!() };
        assert_eq!(advice.cautions.len(), usize::from(was_changed), "warn only when a changed password stops working");
    }
    // The note is about passwords; a CoreOS key pair follows Scenario 3's key-pair rule.
    check(question(COREOS, KP, Dr), Some(A), Expect::Use(Kp, A, V::BeforeFailover, &[]), &[Scenario3KeyPair], &[]);
}

#[test]
fn scenario_3_linux_key_pair() {
    check(question(LINUX, KP, Prod), Some(B), Expect::Use(Kp, A, V::BeforeFailover, &[]), &[Scenario3KeyPair], &[]);
    check(question(LINUX, KP, Dr), Some(A), Expect::Use(Kp, A, V::BeforeFailover, &[]), &[Scenario3KeyPair], &[]);
}

#[test]
fn linux_with_cloud_init_surfaces_the_disagreement() {
    check(
        question(LINUX_CI, KP, Prod),
        Some(B),
        Expect::Use(Kp, A, V::BeforeFailover, &[]),
        &[GeneralWithInit, Scenario3KeyPair],
        &[Discrepancy::GeneralWithInitVsScenario3],
    );
    check(
        changed(question(LINUX_CI, PW, Dr), false),
        Some(A),
        Expect::Use(Pw, A, V::AsCreated, &[]),
        &[GeneralWithInit, Scenario3NoteNonCoreOs],
        &[Discrepancy::GeneralWithInitVsScenario3],
    );
}

#[test]
fn linux_later_failovers_are_not_documented() {
    for os in [LINUX, LINUX_CI, COREOS] {
        for method in [PW, KP] {
            check(later(question(os, method, Prod), PriorityStation::Source), Some(A), Expect::NotDocumented, &[], &[]);
        }
    }
}

#[test]
fn drill_servers_follow_the_dr_site_server() {
    check(
        question(WIN, PW, Drill),
        None,
        Expect::Use(Pw, A, V::BeforeFailover, &[]),
        &[DrillAsDrSite, Scenario1Password],
        &[],
    );
    check(
        question(WIN, KP, Drill),
        None,
        Expect::Use(PwKp, A, V::BeforeFailover, &[]),
        &[DrillAsDrSite, Scenario1KeyPair],
        &[],
    );
    check(
        question(LINUX, KP, Drill),
        None,
        Expect::Use(Kp, A, V::BeforeFailover, &[]),
        &[DrillAsDrSite, Scenario3KeyPair],
        &[],
    );
    check(question(WIN_CBI, PW, Drill), None, Expect::NotDocumented, &[DrillAsDrSite, GeneralWithInit], &[]);
    check(
        question(LINUX_CI, PW, Drill),
        None,
        Expect::Use(Pw, A, V::AsCreatedOrChanged, &[]),
        &[DrillAsDrSite],
        &[Discrepancy::GeneralWithInitVsScenario3],
    );
}

#[test]
fn planned_failover_follows_the_same_rules_as_failover() {
    let mut planned = question(WIN, PW, Prod);
    planned.after = AfterOperation::PlannedFailover;
    let failover = question(WIN, PW, Prod);
    let (p, f) = (explain_login(&planned).unwrap(), explain_login(&failover).unwrap());
    assert_eq!(p.answer, f.answer);
    assert!(p.summary.starts_with("After the first planned failover"), "{}", p.summary);
}

#[test]
fn invalid_questions_are_refused() {
    let mut q = question(WIN, PW, Prod);
    q.after = AfterOperation::DrDrill;
    assert_eq!(explain_login(&q), Err(LoginQuestionError::DrillNeedsDrillServer));
    let mut q = question(WIN, PW, Drill);
    q.after = AfterOperation::Failover;
    assert_eq!(explain_login(&q), Err(LoginQuestionError::DrillServerNeedsDrill));
    let mut q = question(WIN, PW, Prod);
    q.first_time = false;
    assert_eq!(explain_login(&q), Err(LoginQuestionError::ProductionSiteRequired));
    let mut q = question(WIN, PW, Prod);
    q.production_site = Some(PriorityStation::Source);
    assert_eq!(explain_login(&q), Err(LoginQuestionError::FirstFailoverEndsAtTarget));
    use sdrs_core::SdrsCoded;
    assert_eq!(LoginQuestionError::ProductionSiteRequired.code().as_str(), "SDRS.0201");
}

#[test]
fn real_names_appear_next_to_a_and_b() {
    let mut q = question(WIN, PW, Prod);
    q.names = ServerNames { server_a: Some("web-01".into()), server_b: Some("web-01-dr".into()), drill_server: None };
    let explanation = explain_login(&q).unwrap();
    assert_eq!(explanation.server.name.as_deref(), Some("web-01-dr"));
    let Answer::Use(advice) = &explanation.answer else { panic!() };
    assert_eq!(advice.credential.of_name.as_deref(), Some("web-01"));
    assert_eq!(
        explanation.summary,
        "After the first failover, to log in to server B (web-01-dr), now the production site server: \
         Use the password of server A (web-01)."
    );
}

#[test]
fn os_profiles_read_flat_and_name_the_missing_field() {
    for os in [WIN, WIN_CBI, LINUX, LINUX_CI, COREOS] {
        let json = serde_json::to_value(os).unwrap();
        assert_eq!(serde_json::from_value::<OsProfile>(json).unwrap(), os);
    }
    let read = |text: &str| serde_json::from_str::<OsProfile>(text).map_err(|e| e.to_string());
    assert!(read(r#"{"family": "linux", "coreos": false}"#).unwrap_err().contains("missing field `cloud_init`"));
    assert!(read(r#"{"family": "windows"}"#).unwrap_err().contains("missing field `cloudbase_init`"));
    assert!(read(r#"{"family": "beos", "coreos": false, "cloud_init": false}"#).is_err());
    assert!(read(r#"{"family": "linux", "coreos": "yes", "cloud_init": false}"#).is_err());
}

#[test]
fn questions_and_answers_serialise_for_javascript() {
    let json = serde_json::json!({
        "os": {"family": "windows", "cloudbase_init": true},
        "login": "key-pair",
        "after": "failover",
        "server": "production",
        "cloudbase_init": "started"
    });
    let q: LoginQuestion = serde_json::from_value(json).unwrap();
    assert!(q.first_time, "first_time defaults to true");
    let answer = serde_json::to_value(explain_login(&q).unwrap()).unwrap();
    assert_eq!(answer["answer"]["kind"], "use");
    assert_eq!(answer["answer"]["credential"]["kind"], "password-obtained-with-key-pair");
    assert_eq!(answer["citations"][2]["rule"], "scenario-2-key-pair-after-start");
    assert!(answer["citations"][2]["quote"].as_str().unwrap().starts_with("After the Cloudbase-Init is started"));
}

/// Every combination of inputs gets an answer or a defined refusal, and every seed rule is used by some answer.
#[test]
fn exhaustive_sweep_covers_every_rule() {
    let oses = [WIN, WIN_CBI, LINUX, LINUX_CI, COREOS, OsProfile::Linux { coreos: true, cloud_init: true }];
    let mut cited = std::collections::BTreeSet::new();
    let mut answered = 0;
    for os in oses {
        for login in LoginMethod::ALL {
            for after in AfterOperation::ALL {
                for first_time in [true, false] {
                    for server in ServerRole::ALL {
                        for production_site in [None, Some(PriorityStation::Source), Some(PriorityStation::Target)] {
                            for changed in [None, Some(true), Some(false)] {
                                for state in CloudbaseInitState::ALL {
                                    let q = LoginQuestion {
                                        os,
                                        login: *login,
                                        after: *after,
                                        first_time,
                                        server: *server,
                                        production_site,
                                        password_changed_before_failover: changed,
                                        cloudbase_init: *state,
                                        names: ServerNames::default(),
                                    };
                                    if let Ok(explanation) = explain_login(&q) {
                                        answered += 1;
                                        assert!(!explanation.citations.is_empty(), "{q:?} cites nothing");
                                        assert!(!explanation.summary.is_empty());
                                        cited.extend(explanation.rules());
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
    assert!(answered > 1000, "{answered}");
    let missing: Vec<_> = SeedRule::ALL.iter().filter(|r| !cited.contains(*r)).collect();
    assert!(missing.is_empty(), "rules no answer cites: {missing:?}");
}

/// Every quote stands verbatim on the seed page (Markdown, escapes and line breaks aside).
#[test]
fn quotes_are_verbatim() {
    let page = include_str!("../../../../docs/reference/sdrs-failover-page.txt");
    let mut text = page.replace("\\(", "(").replace("\\)", ")").replace("**", "");
    text = text.replace("[Table 1](#en-us_topic_0110981899_table92017496206)", "Table 1");
    text = text.replace(">![](/images/icon-note.gif) NOTE:", " ");
    let text: String = text
        .lines()
        .map(|line| line.trim_start().trim_start_matches('>').trim_start_matches("- ").trim_start_matches("-   "))
        .collect::<Vec<_>>()
        .join(" ");
    let normalised = text.split_whitespace().collect::<Vec<_>>().join(" ");
    for rule in SeedRule::ALL {
        let quote = rule.quote();
        let quote = quote.split(" (Before:").next().unwrap();
        assert!(normalised.contains(quote), "{rule}: {quote}");
    }
}
