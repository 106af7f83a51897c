//! Recovery plans: the plan check (every reason alone and together), the simulated timeline, and the run's state machine.

use sdrs_core::plan::check::{check_plan, cleanup_targets, DrillMade, DrillRunRecord, PlanFindingKind as K};
use sdrs_core::plan::evidence::evidence;
use sdrs_core::plan::run::{
    CommandError, GroupAt, GroupRunStatus as G, PlanRun, Resolution, RunStatus, StageStatus, SubmitOutcome,
};
use sdrs_core::plan::{PlanError, PlanGroup, RecoveryPlan, RunMode, RunOptions, Stage, StartRunRequest};
use sdrs_core::precheck::{FindingKind, Severity};
use sdrs_core::snapshot::SnapshotFacts;
use sdrs_core::status::{DrillStatus, GroupStatus, JobStatus, PriorityStation};
use sdrs_core::wire::{DisasterRecoveryDrill, Job, JobEntities};

use crate::util;

fn facts(id: &str, status: GroupStatus, station: PriorityStation) -> SnapshotFacts {
    let mut snapshot = util::snapshot(status, station);
    snapshot.server_group.id = id.to_owned();
    snapshot.server_group.name = format!("pg-{id}");
    snapshot.facts()
}

fn groups(ids: &[&str]) -> Stage {
    Stage::Groups {
        groups: ids
            .iter()
            .map(|id| PlanGroup {
                server_group_id: (*id).to_owned(),
                critical: !id.starts_with("opt"),
                drill_vpc_id: None,
            })
            .collect(),
    }
}

fn plan(stages: Vec<Stage>) -> RecoveryPlan {
    RecoveryPlan { name: "site-b".to_owned(), description: String::new(), stages }
}

fn options(mode: RunMode) -> RunOptions {
    RunOptions {
        mode,
        priority_station: (mode == RunMode::PlannedFailover).then_some(PriorityStation::Target),
        drill_vpc_id: None,
        drill_run_id: (mode == RunMode::DrillCleanup).then(|| "run-1".to_owned()),
    }
}

/// The finding kinds of a check, in its order (the plan's own) or by the pre-check kind for group findings.
fn kinds(check: &sdrs_core::plan::check::PlanCheck) -> Vec<String> {
    check
        .findings
        .iter()
        .map(|f| match f.precheck {
            Some(kind) => format!("group:{kind}"),
            None => f.kind.to_string(),
        })
        .collect()
}

fn healthy() -> Vec<SnapshotFacts> {
    vec![
        facts("db", GroupStatus::Protected, PriorityStation::Source),
        facts("app", GroupStatus::Protected, PriorityStation::Source),
        facts("web", GroupStatus::Protected, PriorityStation::Source),
    ]
}

#[test]
fn a_good_plan_has_no_blocking_finding_in_any_mode() {
    let plan = plan(vec![groups(&["db"]), Stage::Gate { text: "check the database".into() }, groups(&["app", "web"])]);
    for mode in [RunMode::Failover, RunMode::PlannedFailover, RunMode::Drill] {
        let check = check_plan(&plan, &options(mode), &healthy(), &[]);
        assert!(check.allowed, "{mode}: {:?}", check.findings);
        assert!(check.findings.iter().all(|f| f.severity != Severity::Blocking), "{mode}");
    }
}

#[test]
fn every_reason_of_the_plan_alone_and_all_together() {
    let run_one = DrillRunRecord {
        run_id: "run-1".into(),
        drills: vec![DrillMade { server_group_id: "db".into(), disaster_recovery_drill_id: "d1".into() }],
    };
    // (what, plan, mode, groups, drill runs, expected finding kinds)
    type Case = (&'static str, RecoveryPlan, RunOptions, Vec<SnapshotFacts>, Vec<DrillRunRecord>, Vec<&'static str>);
    let mut mixed = healthy();
    mixed[1] = facts("app", GroupStatus::Protected, PriorityStation::Target);
    let cases: Vec<Case> = vec![
        (
            "no groups at all",
            plan(vec![Stage::Wait { seconds: 5 }]),
            options(RunMode::Failover),
            healthy(),
            vec![],
            vec!["empty-plan"],
        ),
        (
            "an empty stage",
            plan(vec![groups(&["db"]), groups(&[])]),
            options(RunMode::Failover),
            healthy(),
            vec![],
            vec!["empty-stage"],
        ),
        (
            "a group in two stages",
            plan(vec![groups(&["db"]), groups(&["app", "db"])]),
            options(RunMode::Failover),
            healthy(),
            vec![],
            vec!["group-in-two-stages"],
        ),
        (
            "a group that no longer exists",
            plan(vec![groups(&["db", "gone"])]),
            options(RunMode::Failover),
            healthy(),
            vec![],
            vec!["group-not-found"],
        ),
        (
            "a planned failover over both sides",
            plan(vec![groups(&["db", "app"])]),
            options(RunMode::PlannedFailover),
            mixed.clone(),
            vec![],
            // app is already at `target`: its own pre-check says so too.
            vec!["group:already-production-site", "mixed-production-sites"],
        ),
        (
            "a drill cleanup of an unknown run",
            plan(vec![groups(&["db"])]),
            options(RunMode::DrillCleanup),
            healthy(),
            vec![],
            vec!["unknown-drill-run"],
        ),
        (
            "a group the pre-check refuses",
            plan(vec![groups(&["db"])]),
            options(RunMode::Failover),
            vec![facts("db", GroupStatus::FailedOver, PriorityStation::Target)],
            vec![],
            vec!["group:wrong-status"],
        ),
    ];
    for (what, plan, options, snapshots, runs, expected) in cases {
        let check = check_plan(&plan, &options, &snapshots, &runs);
        assert_eq!(kinds(&check), expected, "{what}");
        assert!(!check.allowed, "{what}");
    }
    // All together, in one check: every reason at once.
    let everything = plan(vec![groups(&["db", "app"]), groups(&[]), groups(&["db", "gone"])]);
    let mut snapshots = mixed;
    snapshots[0] = facts("db", GroupStatus::FailedOver, PriorityStation::Source);
    let check = check_plan(&everything, &options(RunMode::PlannedFailover), &snapshots, &[run_one]);
    let mut found = kinds(&check);
    found.sort();
    assert_eq!(
        found,
        [
            "empty-stage",
            "group-in-two-stages",
            "group-not-found",
            "group:already-production-site",
            "group:wrong-status",
            "mixed-production-sites"
        ]
    );
    // Blocking first; every finding names its stage or is about the whole plan.
    let stage_of = |kind: K| check.findings.iter().find(|f| f.kind == kind).and_then(|f| f.stage);
    assert_eq!(stage_of(K::EmptyStage), Some(1));
    assert_eq!(stage_of(K::GroupInTwoStages), Some(2));
    assert_eq!(stage_of(K::GroupNotFound), Some(2));
    assert_eq!(check.findings.iter().find(|f| f.kind == K::GroupNotFound).unwrap().code, "SDRS.1013");
}

#[test]
fn drill_and_cleanup_findings_come_from_the_member_rules() {
    let plan1 = plan(vec![groups(&["db"])]);
    // A drill in the production VPC is refused, like `POST /disaster-recovery-drills`.
    let snapshots = healthy();
    let vpc = snapshots[0].server_group.source_vpc_id.clone();
    assert!(!vpc.is_empty());
    let mut drill = options(RunMode::Drill);
    drill.drill_vpc_id = Some(vpc);
    let check = check_plan(&plan1, &drill, &snapshots, &[]);
    assert_eq!(check.findings.iter().map(|f| f.code.as_str()).collect::<Vec<_>>(), ["SDRS.1907"]);
    // A group that cannot drill in its status.
    let busy = vec![facts("db", GroupStatus::FailingOver, PriorityStation::Source)];
    let check = check_plan(&plan1, &options(RunMode::Drill), &busy, &[]);
    assert_eq!(check.findings.iter().map(|f| f.code.as_str()).collect::<Vec<_>>(), ["SDRS.1002"]);

    // A cleanup: the drill that still exists is deleted; one already gone, and a group without one, are told.
    let record = DrillRunRecord {
        run_id: "run-1".into(),
        drills: vec![
            DrillMade { server_group_id: "db".into(), disaster_recovery_drill_id: "d-db".into() },
            DrillMade { server_group_id: "app".into(), disaster_recovery_drill_id: "d-app".into() },
        ],
    };
    let mut snapshots = healthy();
    snapshots[0].disaster_recovery_drills =
        vec![sdrs_core::snapshot::DrillFacts { id: "d-db".into(), status: DrillStatus::Available }];
    let both = plan(vec![groups(&["db", "app", "web"])]);
    let check = check_plan(&both, &options(RunMode::DrillCleanup), &snapshots, std::slice::from_ref(&record));
    assert!(check.allowed, "{:?}", check.findings);
    assert_eq!(kinds(&check), ["nothing-to-clean", "nothing-to-clean"]);
    assert_eq!(
        cleanup_targets(&record, &snapshots),
        [DrillMade { server_group_id: "db".into(), disaster_recovery_drill_id: "d-db".into() }]
    );
    // A drill still being created cannot be deleted yet.
    snapshots[0].disaster_recovery_drills[0].status = DrillStatus::Creating;
    let check = check_plan(&both, &options(RunMode::DrillCleanup), &snapshots, &[record]);
    assert_eq!(check.findings[0].code, "SDRS.1913");
    assert!(!check.allowed);
}

#[test]
fn the_timeline_follows_the_state_machine_stage_by_stage() {
    let plan =
        plan(vec![groups(&["db"]), Stage::Wait { seconds: 30 }, Stage::Gate { text: "ok?".into() }, groups(&["app"])]);
    let check = check_plan(&plan, &options(RunMode::Failover), &healthy(), &[]);
    let shape: Vec<(usize, String, usize)> =
        check.timeline.iter().map(|s| (s.index, s.kind.to_string(), s.groups.len())).collect();
    assert_eq!(shape, [(0, "groups".into(), 1), (1, "wait".into(), 0), (2, "gate".into(), 0), (3, "groups".into(), 1)]);
    assert_eq!(check.timeline[1].seconds, Some(30));
    assert_eq!(check.timeline[2].text.as_deref(), Some("ok?"));
    let db = &check.timeline[0].groups[0];
    assert_eq!(db.statuses, [GroupStatus::Protected, GroupStatus::FailingOver, GroupStatus::FailedOver]);
    assert_eq!(db.on_failure, GroupStatus::ErrorFailingOver);
    assert_eq!((db.production_before, db.production_after), (PriorityStation::Source, PriorityStation::Target));

    let planned = check_plan(&plan, &options(RunMode::PlannedFailover), &healthy(), &[]);
    let db = &planned.timeline[0].groups[0];
    assert_eq!(db.statuses, [GroupStatus::Protected, GroupStatus::Reversing, GroupStatus::Protected]);
    assert_eq!(db.production_after, PriorityStation::Target);

    let drill = check_plan(&plan, &options(RunMode::Drill), &healthy(), &[]);
    let db = &drill.timeline[0].groups[0];
    assert_eq!(db.statuses, [GroupStatus::Protected]);
    assert_eq!(db.drill_statuses, [DrillStatus::Creating, DrillStatus::Available]);
    assert_eq!(db.production_after, PriorityStation::Source);
}

#[test]
fn plans_and_run_requests_are_validated() {
    let mut bad = plan(vec![Stage::Wait { seconds: 0 }]);
    assert_eq!(bad.validate(), Err(PlanError::WaitOutOfRange { stage: 0, seconds: 0 }));
    bad.stages = vec![Stage::Gate { text: "  ".into() }];
    assert_eq!(bad.validate(), Err(PlanError::GateText { stage: 0 }));
    bad.stages = vec![groups(&["a b"])];
    assert!(matches!(bad.validate(), Err(PlanError::InvalidId { .. })));
    bad.stages = vec![];
    bad.name = "no spaces allowed".into();
    assert!(matches!(bad.validate(), Err(PlanError::InvalidName(_))));

    let request = |mode, confirm: &str| StartRunRequest {
        mode,
        priority_station: None,
        drill_vpc_id: None,
        drill_run_id: None,
        confirm: confirm.to_owned(),
        plan_version: 3,
    };
    assert_eq!(
        request(RunMode::Failover, "site-a").accept("site-b", 3),
        Err(PlanError::ConfirmationMismatch { expected: "site-b".into() })
    );
    assert!(request(RunMode::Failover, "site-b").accept("site-b", 3).is_ok());
    assert_eq!(
        request(RunMode::Failover, "site-b").accept("site-b", 4),
        Err(PlanError::PlanChanged { confirmed: 3, now: 4 }),
        "the plan was replaced after the operator checked and confirmed it"
    );
    assert_eq!(
        request(RunMode::PlannedFailover, "site-b").accept("site-b", 3),
        Err(PlanError::MissingOption { field: "priority_station", mode: RunMode::PlannedFailover })
    );
    assert_eq!(
        request(RunMode::DrillCleanup, "site-b").accept("site-b", 3),
        Err(PlanError::MissingOption { field: "drill_run_id", mode: RunMode::DrillCleanup })
    );
    let mut stray = request(RunMode::Failover, "site-b");
    stray.drill_vpc_id = Some("vpc".into());
    assert_eq!(
        stray.accept("site-b", 3),
        Err(PlanError::OptionNotForMode { field: "drill_vpc_id", mode: RunMode::Failover })
    );
    // The wire form: stages tagged by `type`, groups critical unless said otherwise, unknown fields refused.
    let parsed: RecoveryPlan = serde_json::from_str(
        r#"{"name":"p","stages":[{"type":"groups","groups":[{"server_group_id":"g"}]},{"type":"wait","seconds":5},{"type":"gate","text":"go"}]}"#,
    )
    .unwrap();
    assert!(parsed.stages[0].groups()[0].critical);
    assert!(serde_json::from_str::<RecoveryPlan>(r#"{"name":"p","stages":[],"extra":1}"#).is_err());
}

const T0: i64 = 1_800_000_000_000;

fn job(id: &str, status: JobStatus) -> Job {
    Job {
        job_id: id.to_owned(),
        job_type: "failoverProtectionGroupNoCG".into(),
        status,
        entities: JobEntities::default(),
        begin_time: Some(sdrs_core::timefmt::job_time(T0)),
        end_time: matches!(status, JobStatus::Success | JobStatus::Fail)
            .then(|| sdrs_core::timefmt::job_time(T0 + 9_000)),
        error_code: (status == JobStatus::Fail).then(|| "SDRS.1025".into()),
        fail_reason: None,
    }
}

fn new_run(plan: RecoveryPlan, mode: RunMode) -> PlanRun {
    let check = check_plan(&plan, &options(mode), &healthy(), &[]);
    PlanRun::new("run-1".into(), "plan-1".into(), plan, options(mode), check, &[], T0)
}

/// Submits what `advance` asks, accepting each with a job named after the group.
fn submit_all(run: &mut PlanRun, now: i64) -> Vec<GroupAt> {
    let work = run.advance(now);
    for at in &work.submit {
        let id = format!("job-{}", run.group(*at).server_group_id);
        run.submitted(*at, SubmitOutcome::Accepted { job_id: id }, now);
    }
    work.submit
}

#[test]
fn a_run_goes_stage_by_stage_through_waits_and_gates() {
    let plan = plan(vec![
        groups(&["db"]),
        Stage::Wait { seconds: 10 },
        Stage::Gate { text: "go?".into() },
        groups(&["app", "web"]),
    ]);
    let mut run = new_run(plan, RunMode::Failover);
    let submitted = submit_all(&mut run, T0);
    assert_eq!(submitted, [GroupAt { stage: 0, group: 0 }]);
    // Nothing new while db runs; the poll names its job.
    let work = run.advance(T0 + 1);
    assert!(work.submit.is_empty());
    assert_eq!(work.poll, [(GroupAt { stage: 0, group: 0 }, "job-db".to_owned())]);
    assert!(run.job_seen(GroupAt { stage: 0, group: 0 }, &job("job-db", JobStatus::Success), T0 + 2));
    // db done: the wait starts and names when it ends.
    let work = run.advance(T0 + 3);
    assert_eq!(work.wake_at, Some(T0 + 3 + 10_000));
    assert_eq!(run.stages[1].status, StageStatus::Running);
    // After the wait, the gate holds the run.
    run.advance(T0 + 20_000);
    assert_eq!(run.status, RunStatus::WaitingForGate);
    assert!(run.advance(T0 + 20_001).submit.is_empty());
    assert_eq!(run.confirm_gate(" ", "token", T0), Err(CommandError::ConfirmerMissing));
    run.confirm_gate("Ana on call", "token of project p", T0 + 21_000).unwrap();
    assert_eq!(run.stages[2].confirmed_by.as_deref(), Some("Ana on call"));
    // The last stage submits both groups at once.
    assert_eq!(submit_all(&mut run, T0 + 22_000).len(), 2);
    for group in 0..2 {
        let at = GroupAt { stage: 3, group };
        let id = run.group(at).job_id.clone().unwrap();
        run.job_seen(at, &job(&id, JobStatus::Success), T0 + 30_000);
    }
    run.advance(T0 + 31_000);
    assert_eq!(run.status, RunStatus::Succeeded);
    assert!(run.stages.iter().all(|s| s.status == StageStatus::Done));
    // The evidence measures from the run's start to each job's end.
    let report = evidence(&run, T0 + 40_000);
    assert_eq!(report.groups.iter().map(|g| g.recovery_millis).collect::<Vec<_>>(), [Some(9_000); 3]);
    assert_eq!(report.total_millis, 31_000);
    assert_eq!(report.gates[0].confirmed_with.as_deref(), Some("token of project p"));
}

#[test]
fn a_critical_failure_pauses_the_run_until_retried_skipped_or_cancelled() {
    let plan = plan(vec![groups(&["db", "opt-cache"]), groups(&["app"])]);
    // Retry: the group is submitted again, with its earlier job kept.
    let mut run = new_run(plan.clone(), RunMode::Failover);
    submit_all(&mut run, T0);
    let (db, cache) = (GroupAt { stage: 0, group: 0 }, GroupAt { stage: 0, group: 1 });
    run.job_seen(db, &job("job-db", JobStatus::Fail), T0 + 1);
    run.job_seen(cache, &job("job-opt-cache", JobStatus::Success), T0 + 1);
    run.advance(T0 + 2);
    assert_eq!(run.status, RunStatus::PausedOnFailure);
    assert!(run.advance(T0 + 3).submit.is_empty(), "a paused run submits nothing");
    assert_eq!(run.retry("app", T0), Err(CommandError::NotRetryable { id: "app".into(), status: G::Pending }));
    run.retry("db", T0 + 4).unwrap();
    assert_eq!(run.status, RunStatus::Running);
    assert_eq!(submit_all(&mut run, T0 + 5), [db]);
    assert_eq!(run.group(db).attempts, 2);
    assert_eq!(run.group(db).earlier_job_ids, ["job-db"]);

    // Skip: the stage completes without it, and the run ends with failures.
    let mut run = new_run(plan.clone(), RunMode::Failover);
    submit_all(&mut run, T0);
    run.job_seen(db, &job("job-db", JobStatus::Fail), T0 + 1);
    run.job_seen(cache, &job("c", JobStatus::Success), T0 + 1);
    run.advance(T0 + 2);
    run.skip("db", T0 + 3).unwrap();
    assert_eq!(submit_all(&mut run, T0 + 4), [GroupAt { stage: 1, group: 0 }]);
    run.job_seen(GroupAt { stage: 1, group: 0 }, &job("a", JobStatus::Success), T0 + 5);
    run.advance(T0 + 6);
    assert_eq!(run.status, RunStatus::FinishedWithFailures);

    // Cancel: nothing further is submitted, the pending stage is cancelled.
    let mut run = new_run(plan.clone(), RunMode::Failover);
    submit_all(&mut run, T0);
    run.job_seen(db, &job("job-db", JobStatus::Fail), T0 + 1);
    run.job_seen(cache, &job("c", JobStatus::Success), T0 + 1);
    run.advance(T0 + 2);
    run.cancel(T0 + 3).unwrap();
    assert_eq!(run.status, RunStatus::Cancelled);
    assert_eq!(run.group(GroupAt { stage: 1, group: 0 }).status, G::Cancelled);
    assert!(run.advance(T0 + 4).submit.is_empty());
    assert_eq!(run.cancel(T0 + 5), Err(CommandError::NotInStatus { command: "cancel", status: RunStatus::Cancelled }));

    // An optional failure is recorded and the run goes on.
    let mut run = new_run(plan, RunMode::Failover);
    submit_all(&mut run, T0);
    run.job_seen(db, &job("job-db", JobStatus::Success), T0 + 1);
    run.job_seen(cache, &job("c", JobStatus::Fail), T0 + 1);
    assert_eq!(submit_all(&mut run, T0 + 2), [GroupAt { stage: 1, group: 0 }]);
    assert_eq!(run.status, RunStatus::Running);
}

#[test]
fn pause_resume_and_skipping_an_optional_group_before_it_starts() {
    let plan = plan(vec![groups(&["db"]), groups(&["app", "opt-web"])]);
    let mut run = new_run(plan, RunMode::Failover);
    submit_all(&mut run, T0);
    run.pause(T0 + 1).unwrap();
    run.job_seen(GroupAt { stage: 0, group: 0 }, &job("job-db", JobStatus::Success), T0 + 2);
    assert!(run.advance(T0 + 3).submit.is_empty(), "paused: stage 2 does not start");
    assert_eq!(run.pause(T0), Err(CommandError::NotInStatus { command: "pause", status: RunStatus::Paused }));
    run.skip("opt-web", T0 + 4).unwrap();
    assert_eq!(run.skip("app", T0), Err(CommandError::NotSkippable { id: "app".into(), status: G::Pending }));
    run.resume(T0 + 5).unwrap();
    assert_eq!(submit_all(&mut run, T0 + 6), [GroupAt { stage: 1, group: 0 }]);
}

/// A run's events are bounded: its first event and the latest ones are kept, the others counted.
#[test]
fn a_run_keeps_a_bounded_number_of_events() {
    let mut run = new_run(plan(vec![groups(&["db"])]), RunMode::Failover);
    submit_all(&mut run, T0);
    let (first, before) = (run.events[0].clone(), run.events.len());
    for n in 0..1_500 {
        run.pause(T0 + 2 * n).unwrap();
        run.resume(T0 + 2 * n + 1).unwrap();
    }
    let max = sdrs_core::plan::MAX_RUN_EVENTS;
    assert_eq!(run.events.len(), max);
    assert_eq!(run.events[0], first, "the first event stays");
    let logged = before + 3_000;
    assert_eq!(run.events_dropped, (logged - max) as u64, "every dropped event is counted");
    assert!(run.events.last().unwrap().text.contains("resume"), "{:?}", run.events.last());
}

#[test]
fn an_interrupted_submission_is_never_sent_again_blindly() {
    let plan = plan(vec![groups(&["db", "app", "web"])]);
    let mut run = new_run(plan, RunMode::Failover);
    // `advance` marks them submitting; the process dies before any answer is recorded.
    let work = run.advance(T0);
    assert_eq!(work.submit.len(), 3);
    let stored: PlanRun = serde_json::from_value(serde_json::to_value(&run).unwrap()).unwrap();
    let mut run = stored;
    let work = run.advance(T0 + 1);
    assert!(work.submit.is_empty(), "nothing is submitted while an interruption is unresolved");
    assert_eq!(work.interrupted.len(), 3);
    let [db, app, web] = [0, 1, 2].map(|group| GroupAt { stage: 0, group });
    run.resolve_interrupted(db, Resolution::Accepted { disaster_recovery_drill_id: None }, T0 + 2);
    run.resolve_interrupted(app, Resolution::NotAccepted, T0 + 2);
    run.resolve_interrupted(web, Resolution::Unknown { reason: "gateway".into() }, T0 + 2);
    assert_eq!(
        [run.group(db).status, run.group(app).status, run.group(web).status],
        [G::Running, G::Pending, G::Failed]
    );
    let work = run.advance(T0 + 3);
    assert_eq!(work.submit, [app], "only the one the service certainly never had");
    assert_eq!(work.observe, [db], "the accepted one is followed by its group's status");
    assert_eq!(run.group(app).attempts, 1);
    assert_eq!(run.outcome_of_group_status(GroupStatus::FailingOver), None);
    assert_eq!(run.outcome_of_group_status(GroupStatus::FailedOver), Some(true));
    assert_eq!(run.outcome_of_group_status(GroupStatus::ErrorFailingOver), Some(false));
    assert!(run.status_seen(db, Some(true), T0 + 4));
}

#[test]
fn a_drill_run_records_its_drills_for_the_cleanup() {
    let plan = plan(vec![groups(&["db", "app"])]);
    let mut run = new_run(plan.clone(), RunMode::Drill);
    submit_all(&mut run, T0);
    for group in 0..2 {
        let at = GroupAt { stage: 0, group };
        let mut done = job("j", JobStatus::Success);
        done.entities.disaster_recovery_drill_id = Some(format!("drill-{group}"));
        run.job_seen(at, &done, T0 + 1);
    }
    run.advance(T0 + 2);
    assert_eq!(run.status, RunStatus::Succeeded);
    let made = run.drills_made();
    assert_eq!(made.len(), 2);
    assert_eq!(run.drill_name(GroupAt { stage: 0, group: 1 }), "drill-run1-1-2");
    // The cleanup deletes what still exists and skips a group with nothing left.
    let cleanup_targets = &made[..1];
    let mut options = options(RunMode::DrillCleanup);
    options.drill_run_id = Some(run.id.clone());
    let check = check_plan(&plan, &options, &healthy(), &[]);
    let cleanup = PlanRun::new("run-2".into(), "plan-1".into(), plan, options, check, cleanup_targets, T0);
    let statuses: Vec<G> = cleanup.groups().map(|(_, g)| g.status).collect();
    assert_eq!(statuses, [G::Pending, G::Skipped]);
    assert_eq!(cleanup.group(GroupAt { stage: 0, group: 0 }).disaster_recovery_drill_id.as_deref(), Some("drill-0"));
    let _ = DisasterRecoveryDrill::clone;
    let _ = FindingKind::WrongStatus;
}

/// A stage is read by its `type`, with exactly that kind's field: what is written reads back, a field of another
/// kind, an unknown field, a missing field and an unknown type are refused.
#[test]
fn a_stage_reads_its_own_kinds_fields_only() {
    let stages = vec![groups(&["g1"]), Stage::Wait { seconds: 30 }, Stage::Gate { text: "call the DBA".into() }];
    for stage in &stages {
        let text = serde_json::to_string(stage).unwrap();
        assert_eq!(&serde_json::from_str::<Stage>(&text).unwrap(), stage, "{text}");
    }
    for (text, says) in [
        (r#"{"type": "wait", "seconds": 5, "text": "x"}"#, "a `wait` stage has no field `text`"),
        (r#"{"type": "gate", "text": "x", "groups": []}"#, "a `gate` stage has no field `groups`"),
        (r#"{"type": "groups", "groups": [], "seconds": 1}"#, "a `groups` stage has no field `seconds`"),
        (r#"{"type": "wait"}"#, "missing field `seconds`"),
        (r#"{"type": "gate", "colour": "red"}"#, "unknown field `colour`"),
        (r#"{"type": "nap", "seconds": 5}"#, "nap"),
        (r#"{"seconds": 5}"#, "missing field `type`"),
    ] {
        let error = serde_json::from_str::<Stage>(text).unwrap_err().to_string();
        assert!(error.contains(says), "{text}: {error}");
    }
}
