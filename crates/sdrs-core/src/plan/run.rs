//! A run of a recovery plan as a state machine: what to submit, poll or wait for next, and the operator's commands.
//!
//! The executor that reaches SDRS lives elsewhere (the server); here is only what it decides. `advance` marks the
//! groups to submit as `submitting` *before* anything is sent, so a run stored after `advance` and killed before the
//! answer is known comes back with those groups `submitting`: `advance` then reports them as interrupted, never to
//! be submitted again blindly, and the executor resolves each by looking at the group (`resolve_interrupted`).

use serde::{Deserialize, Serialize};

use crate::status::{wire_enum, GroupStatus, JobStatus};
use crate::timefmt::{job_time, parse_job_time, UnixMillis};
use crate::wire::Job;

use super::check::{DrillMade, PlanCheck};
use super::evidence::ServerLogin;
use super::{RecoveryPlan, RunMode, RunOptions, StageKind};

wire_enum! {
    /// Where a run is.
    RunStatus, "run status" {
        /// Acting on the current stage.
        Running = "running",
        /// At a gate: a person must confirm.
        WaitingForGate = "waiting-for-gate",
        /// Paused by an operator: nothing new is submitted; jobs already submitted are still followed.
        Paused = "paused",
        /// A critical group of the current stage failed: retry it, skip it, or cancel the run.
        PausedOnFailure = "paused-on-failure",
        /// Every stage done, every group succeeded (or had nothing to do).
        Succeeded = "succeeded",
        /// Every stage done, but a group failed or was skipped after failing.
        FinishedWithFailures = "finished-with-failures",
        /// Cancelled by an operator; submitted jobs were not undone.
        Cancelled = "cancelled",
    }
}

impl RunStatus {
    /// Whether the run has ended.
    pub fn is_final(self) -> bool {
        matches!(self, RunStatus::Succeeded | RunStatus::FinishedWithFailures | RunStatus::Cancelled)
    }
}

wire_enum! {
    /// Where a stage is.
    StageStatus, "stage status" {
        Pending = "pending",
        Running = "running",
        Done = "done",
        Cancelled = "cancelled",
    }
}

wire_enum! {
    /// Where one group of a run is.
    GroupRunStatus, "group run status" {
        Pending = "pending",
        /// Recorded before the action is sent; the job id is recorded once the service answers.
        Submitting = "submitting",
        Running = "running",
        Succeeded = "succeeded",
        Failed = "failed",
        Skipped = "skipped",
        Cancelled = "cancelled",
    }
}

impl GroupRunStatus {
    fn is_terminal(self) -> bool {
        matches!(
            self,
            GroupRunStatus::Succeeded | GroupRunStatus::Failed | GroupRunStatus::Skipped | GroupRunStatus::Cancelled
        )
    }
}

/// A step of a group's job (a sub-job), with its times.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct JobStep {
    pub job_type: String,
    pub status: JobStatus,
    #[serde(default)]
    pub begin_time: Option<String>,
    #[serde(default)]
    pub end_time: Option<String>,
}

/// One group of a run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct GroupRun {
    pub server_group_id: String,
    pub name: String,
    pub critical: bool,
    pub status: GroupRunStatus,
    /// How many times its action was submitted (a retry adds one).
    pub attempts: u32,
    #[serde(default)]
    pub job_id: Option<String>,
    /// Jobs of earlier attempts, oldest first.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub earlier_job_ids: Vec<String>,
    /// The DR drill this group's drill run created, or the one its cleanup deletes.
    #[serde(default)]
    pub disaster_recovery_drill_id: Option<String>,
    /// The VPC of its DR drill.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub drill_vpc_id: Option<String>,
    /// When its action was recorded as about to be sent.
    #[serde(default)]
    pub submitted_at: Option<String>,
    /// When the run saw its job end.
    #[serde(default)]
    pub finished_at: Option<String>,
    /// The job's own `begin_time` and `end_time`, as the service reports them.
    #[serde(default)]
    pub job_begin_time: Option<String>,
    #[serde(default)]
    pub job_end_time: Option<String>,
    #[serde(default)]
    pub steps: Vec<JobStep>,
    #[serde(default)]
    pub error_code: Option<String>,
    #[serde(default)]
    pub fail_reason: Option<String>,
    /// Its submission was interrupted by a restart and found to have been accepted without a recorded job id: the
    /// run follows it by the group's (or drill's) status instead of the job.
    #[serde(default)]
    pub followed_by_status: bool,
    /// Skipped by an operator after it failed (a skip of a group not yet started leaves this false).
    #[serde(default)]
    pub skipped_after_failure: bool,
}

/// One stage of a run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct StageRun {
    pub index: usize,
    pub kind: StageKind,
    pub status: StageStatus,
    #[serde(default)]
    pub started_at: Option<String>,
    #[serde(default)]
    pub finished_at: Option<String>,
    /// A wait's length.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seconds: Option<u64>,
    /// A gate's text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub groups: Vec<GroupRun>,
    /// Who confirmed a gate, in their own words, and with which credential.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub confirmed_by: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub confirmed_with: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub confirmed_at: Option<String>,
}

/// Something that happened in a run, for its log and evidence.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct RunEvent {
    pub at: String,
    pub text: String,
}

/// A run of a plan: the plan as it was, the check at start, and every stage and group with its job and times.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct PlanRun {
    pub id: String,
    pub plan_id: String,
    /// The plan as it was when the run started.
    pub plan: RecoveryPlan,
    pub options: RunOptions,
    pub status: RunStatus,
    pub started_at: String,
    #[serde(default)]
    pub finished_at: Option<String>,
    /// The plan check at start.
    pub check: PlanCheck,
    pub stages: Vec<StageRun>,
    /// What happened, oldest first; at most `MAX_RUN_EVENTS` (the first, then the latest).
    pub events: Vec<RunEvent>,
    /// Events dropped between the first and the latest to keep the run within its bound.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub events_dropped: u64,
    /// For every server after the run, which credential logs in (filled when the run ends, where profiles are known).
    #[serde(default)]
    pub logins: Vec<ServerLogin>,
    /// Why logins could not be given, if they could not.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub logins_note: Option<String>,
}

fn is_zero(count: &u64) -> bool {
    *count == 0
}

/// A group of a run, by stage and position.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct GroupAt {
    pub stage: usize,
    pub group: usize,
}

/// What the executor must do after `advance`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Work {
    /// Marked `submitting` by this `advance`: store the run, then send each group's action.
    pub submit: Vec<GroupAt>,
    /// Found `submitting` from before: the answer was never recorded; look at the group before anything else.
    pub interrupted: Vec<GroupAt>,
    /// Running with a job id: read the job.
    pub poll: Vec<(GroupAt, String)>,
    /// Running without a job id (see `GroupRun::followed_by_status`): read the group.
    pub observe: Vec<GroupAt>,
    /// When a wait ends, if the run is in one.
    pub wake_at: Option<UnixMillis>,
    /// Whether `advance` changed the run (store it).
    pub changed: bool,
}

/// What the executor found for an interrupted submission.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Resolution {
    /// The service has the action (the group's status moved, or the drill exists): follow it by status.
    Accepted { disaster_recovery_drill_id: Option<String> },
    /// The service certainly does not have it (the executor is the service itself, and the change never
    /// committed): submit it again, which sends it once.
    NotAccepted,
    /// The service may or may not have it: an operator must look and retry or skip.
    Unknown { reason: String },
}

/// Why a submission was not accepted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SubmitOutcome {
    /// The service answered with a job.
    Accepted { job_id: String },
    /// The service refused, with its code.
    Refused { code: String, message: String },
    /// No answer (connection lost, timeout): the action may have been received.
    NoAnswer { reason: String },
}

/// An operator's command that does not apply.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CommandError {
    #[error("`{command}` does not apply to a run that is `{status}`")]
    NotInStatus { command: &'static str, status: RunStatus },
    #[error("the run is not waiting at a gate")]
    NotAtGate,
    #[error("group `{0}` is not in this run")]
    NoSuchGroup(String),
    #[error("group `{id}` is `{status}`: only a failed group of the current stage can be retried")]
    NotRetryable { id: String, status: GroupRunStatus },
    #[error(
        "group `{id}` is `{status}`: a failed group of the current stage, or an optional one not yet started, can be skipped"
    )]
    NotSkippable { id: String, status: GroupRunStatus },
    #[error("say who confirms the gate in `confirmed_by`")]
    ConfirmerMissing,
    #[error("`confirmed_by` is at most {MAX_CONFIRMER_CHARS} characters on one line, without control characters")]
    ConfirmerInvalid,
}

/// The longest `confirmed_by`: a name or a ticket, on one line.
pub const MAX_CONFIRMER_CHARS: usize = 255;

impl PlanRun {
    /// A new run, `running`, about to start its first stage. `cleanup` is what a drill cleanup deletes
    /// (`check::cleanup_targets`); a group with nothing to delete is skipped at once.
    pub fn new(
        id: String,
        plan_id: String,
        plan: RecoveryPlan,
        options: RunOptions,
        check: PlanCheck,
        cleanup: &[DrillMade],
        now: UnixMillis,
    ) -> PlanRun {
        let names: std::collections::HashMap<&str, &str> = check
            .timeline
            .iter()
            .flat_map(|s| &s.groups)
            .map(|g| (g.server_group_id.as_str(), g.name.as_str()))
            .collect();
        let stages = plan
            .stages
            .iter()
            .enumerate()
            .map(|(index, stage)| StageRun {
                index,
                kind: stage.kind(),
                status: StageStatus::Pending,
                started_at: None,
                finished_at: None,
                seconds: stage.wait_seconds(),
                text: stage.gate_text().map(str::to_owned),
                groups: stage
                    .groups()
                    .iter()
                    .map(|member| {
                        let id = member.server_group_id.as_str();
                        let target = cleanup.iter().find(|t| t.server_group_id == id);
                        let nothing_to_clean = options.mode == RunMode::DrillCleanup && target.is_none();
                        GroupRun {
                            server_group_id: id.to_owned(),
                            name: names.get(id).map_or_else(|| id.to_owned(), |n| (*n).to_owned()),
                            critical: member.critical,
                            status: if nothing_to_clean { GroupRunStatus::Skipped } else { GroupRunStatus::Pending },
                            attempts: 0,
                            job_id: None,
                            earlier_job_ids: Vec::new(),
                            disaster_recovery_drill_id: target.map(|t| t.disaster_recovery_drill_id.clone()),
                            drill_vpc_id: (options.mode == RunMode::Drill)
                                .then(|| member.drill_vpc_id.clone().or_else(|| options.drill_vpc_id.clone()))
                                .flatten(),
                            submitted_at: None,
                            finished_at: None,
                            job_begin_time: None,
                            job_end_time: None,
                            steps: Vec::new(),
                            error_code: None,
                            fail_reason: nothing_to_clean.then(|| "nothing to clean up".to_owned()),
                            followed_by_status: false,
                            skipped_after_failure: false,
                        }
                    })
                    .collect(),
                confirmed_by: None,
                confirmed_with: None,
                confirmed_at: None,
            })
            .collect();
        let mut run = PlanRun {
            id,
            plan_id,
            plan,
            options,
            status: RunStatus::Running,
            started_at: job_time(now),
            finished_at: None,
            check,
            stages,
            events: Vec::new(),
            events_dropped: 0,
            logins: Vec::new(),
            logins_note: None,
        };
        run.log(now, format!("run started in `{}` mode", run.options.mode));
        run
    }

    /// Records an event. A run keeps its first event and the latest ones, `MAX_RUN_EVENTS` in all, and counts the
    /// ones it dropped: a run over thousands of groups, retried for days, stays a bounded document.
    fn log(&mut self, now: UnixMillis, text: String) {
        if self.events.len() >= super::MAX_RUN_EVENTS {
            self.events.remove(1);
            self.events_dropped += 1;
        }
        self.events.push(RunEvent { at: job_time(now), text });
    }

    /// The stage being worked on: the first not done.
    pub fn current_stage(&self) -> Option<usize> {
        self.stages.iter().position(|s| s.status != StageStatus::Done && s.status != StageStatus::Cancelled)
    }

    pub fn group(&self, at: GroupAt) -> &GroupRun {
        &self.stages[at.stage].groups[at.group]
    }

    fn group_mut(&mut self, at: GroupAt) -> &mut GroupRun {
        &mut self.stages[at.stage].groups[at.group]
    }

    /// Every group of the run with where it is.
    pub fn groups(&self) -> impl Iterator<Item = (GroupAt, &GroupRun)> {
        self.stages
            .iter()
            .enumerate()
            .flat_map(|(stage, s)| s.groups.iter().enumerate().map(move |(group, g)| (GroupAt { stage, group }, g)))
    }

    /// A group by id.
    pub fn find(&self, server_group_id: &str) -> Option<GroupAt> {
        self.groups().find(|(_, g)| g.server_group_id == server_group_id).map(|(at, _)| at)
    }

    /// Moves the run as far as it can go by itself at `now`, and says what the executor must do.
    pub fn advance(&mut self, now: UnixMillis) -> Work {
        let mut work = Work::default();
        for (at, group) in self.groups() {
            match group.status {
                GroupRunStatus::Submitting => work.interrupted.push(at),
                GroupRunStatus::Running if group.followed_by_status => work.observe.push(at),
                GroupRunStatus::Running => {
                    work.poll.push((at, group.job_id.clone().unwrap_or_default()));
                }
                _ => {}
            }
        }
        if self.status != RunStatus::Running || !work.interrupted.is_empty() {
            return work;
        }
        while let Some(index) = self.current_stage() {
            if self.stages[index].status == StageStatus::Pending {
                self.stages[index].status = StageStatus::Running;
                self.stages[index].started_at = Some(job_time(now));
                work.changed = true;
                let kind = self.stages[index].kind;
                self.log(now, format!("stage {} ({kind}) started", index + 1));
            }
            match self.stages[index].kind {
                StageKind::Wait => {
                    let started = self.stages[index].started_at.as_deref().and_then(parse_job_time).unwrap_or(now);
                    let ends = started + 1000 * self.stages[index].seconds.unwrap_or(0) as i64;
                    if now < ends {
                        work.wake_at = Some(ends);
                        return work;
                    }
                }
                StageKind::Gate => {
                    self.status = RunStatus::WaitingForGate;
                    self.log(now, format!("stage {}: waiting for a person to confirm the gate", index + 1));
                    work.changed = true;
                    return work;
                }
                StageKind::Groups => {
                    let mut any_pending = false;
                    for group in 0..self.stages[index].groups.len() {
                        let at = GroupAt { stage: index, group };
                        if self.group(at).status == GroupRunStatus::Pending {
                            let entry = self.group_mut(at);
                            entry.status = GroupRunStatus::Submitting;
                            entry.attempts += 1;
                            entry.submitted_at = Some(job_time(now));
                            work.submit.push(at);
                            any_pending = true;
                        }
                    }
                    if any_pending {
                        work.changed = true;
                        return work;
                    }
                    let groups = &self.stages[index].groups;
                    if !groups.iter().all(|g| g.status.is_terminal()) {
                        return work;
                    }
                    if let Some(failed) = groups.iter().find(|g| g.critical && g.status == GroupRunStatus::Failed) {
                        let text = format!(
                            "stage {}: critical group `{}` failed; the run waits for a retry, a skip or a cancel",
                            index + 1,
                            failed.name
                        );
                        self.status = RunStatus::PausedOnFailure;
                        self.log(now, text);
                        work.changed = true;
                        return work;
                    }
                }
            }
            self.stages[index].status = StageStatus::Done;
            self.stages[index].finished_at = Some(job_time(now));
            self.log(now, format!("stage {} done", index + 1));
            work.changed = true;
        }
        let failures = self.groups().any(|(_, g)| g.status == GroupRunStatus::Failed || g.skipped_after_failure);
        self.status = if failures { RunStatus::FinishedWithFailures } else { RunStatus::Succeeded };
        self.finished_at = Some(job_time(now));
        let status = self.status;
        self.log(now, format!("run ended: {status}"));
        work.changed = true;
        work
    }

    /// Records the service's answer to a group's submission.
    pub fn submitted(&mut self, at: GroupAt, outcome: SubmitOutcome, now: UnixMillis) {
        let name = self.group(at).name.clone();
        let entry = self.group_mut(at);
        if entry.status != GroupRunStatus::Submitting {
            return;
        }
        match outcome {
            SubmitOutcome::Accepted { job_id } => {
                entry.status = GroupRunStatus::Running;
                entry.job_id = Some(job_id.clone());
                self.log(now, format!("group `{name}`: submitted, job {job_id}"));
            }
            SubmitOutcome::Refused { code, message } => {
                entry.status = GroupRunStatus::Failed;
                entry.finished_at = Some(job_time(now));
                entry.error_code = Some(code.clone());
                entry.fail_reason = Some(message);
                self.log(now, format!("group `{name}`: refused ({code})"));
            }
            SubmitOutcome::NoAnswer { reason } => {
                entry.status = GroupRunStatus::Failed;
                entry.finished_at = Some(job_time(now));
                entry.fail_reason = Some(format!(
                    "no answer from the service ({reason}); the action may have been received: check the group, then \
                     retry or skip it"
                ));
                self.log(now, format!("group `{name}`: no answer to its submission"));
            }
        }
    }

    /// Records what the executor found for an interrupted submission.
    pub fn resolve_interrupted(&mut self, at: GroupAt, resolution: Resolution, now: UnixMillis) {
        let name = self.group(at).name.clone();
        let entry = self.group_mut(at);
        if entry.status != GroupRunStatus::Submitting {
            return;
        }
        let text = match resolution {
            Resolution::Accepted { disaster_recovery_drill_id } => {
                entry.status = GroupRunStatus::Running;
                entry.followed_by_status = true;
                if disaster_recovery_drill_id.is_some() {
                    entry.disaster_recovery_drill_id = disaster_recovery_drill_id;
                }
                format!("group `{name}`: its interrupted submission had been accepted; followed by its status")
            }
            Resolution::NotAccepted => {
                entry.status = GroupRunStatus::Pending;
                entry.attempts = entry.attempts.saturating_sub(1);
                entry.submitted_at = None;
                format!("group `{name}`: its interrupted submission never reached the service; submitted again")
            }
            Resolution::Unknown { reason } => {
                entry.status = GroupRunStatus::Failed;
                entry.finished_at = Some(job_time(now));
                entry.fail_reason =
                    Some(format!("interrupted while submitting: {reason}; check the group, then retry or skip it"));
                format!("group `{name}`: interrupted while submitting, outcome unknown")
            }
        };
        self.log(now, text);
    }

    /// Records a job as read from the service; returns whether anything changed.
    pub fn job_seen(&mut self, at: GroupAt, job: &Job, now: UnixMillis) -> bool {
        let before = self.group(at).clone();
        let entry = self.group_mut(at);
        if entry.status != GroupRunStatus::Running {
            return false;
        }
        entry.steps = job
            .entities
            .sub_jobs
            .iter()
            .flatten()
            .map(|sub| JobStep {
                job_type: sub.job_type.clone(),
                status: sub.status,
                begin_time: sub.begin_time.clone(),
                end_time: sub.end_time.clone(),
            })
            .collect();
        entry.job_begin_time.clone_from(&job.begin_time);
        entry.job_end_time.clone_from(&job.end_time);
        if let Some(drill) = &job.entities.disaster_recovery_drill_id {
            entry.disaster_recovery_drill_id.get_or_insert_with(|| drill.clone());
        }
        let ended = match job.status {
            JobStatus::Success => Some(GroupRunStatus::Succeeded),
            JobStatus::Fail => Some(GroupRunStatus::Failed),
            _ => None,
        };
        if let Some(status) = ended {
            entry.status = status;
            entry.finished_at = Some(job_time(now));
            entry.error_code.clone_from(&job.error_code);
            entry.fail_reason.clone_from(&job.fail_reason);
            let name = entry.name.clone();
            self.log(now, format!("group `{name}`: job {status}"));
        }
        *self.group(at) != before
    }

    /// Records the status of a group followed by status (`followed_by_status`): `succeeded` once it is the
    /// operation's success status (or, for drills, the drill's), `failed` at its failure status.
    pub fn status_seen(&mut self, at: GroupAt, outcome: Option<bool>, now: UnixMillis) -> bool {
        let Some(succeeded) = outcome else { return false };
        let entry = self.group_mut(at);
        if entry.status != GroupRunStatus::Running {
            return false;
        }
        entry.status = if succeeded { GroupRunStatus::Succeeded } else { GroupRunStatus::Failed };
        entry.finished_at = Some(job_time(now));
        let (name, status) = (entry.name.clone(), entry.status);
        self.log(now, format!("group `{name}`: {status} (seen from its status)"));
        true
    }

    /// A person confirms the gate the run waits at.
    pub fn confirm_gate(&mut self, confirmed_by: &str, credential: &str, now: UnixMillis) -> Result<(), CommandError> {
        if self.status != RunStatus::WaitingForGate {
            return Err(CommandError::NotAtGate);
        }
        let confirmed_by = confirmed_by.trim();
        if confirmed_by.is_empty() {
            return Err(CommandError::ConfirmerMissing);
        }
        // It is written into the run's events and its report: one line of text, nothing a reader would take for
        // another event.
        if confirmed_by.chars().count() > MAX_CONFIRMER_CHARS || confirmed_by.chars().any(char::is_control) {
            return Err(CommandError::ConfirmerInvalid);
        }
        let index = self.current_stage().ok_or(CommandError::NotAtGate)?;
        let stage = &mut self.stages[index];
        stage.confirmed_by = Some(confirmed_by.to_owned());
        stage.confirmed_with = Some(credential.to_owned());
        stage.confirmed_at = Some(job_time(now));
        stage.status = StageStatus::Done;
        stage.finished_at = Some(job_time(now));
        self.status = RunStatus::Running;
        self.log(now, format!("stage {}: gate confirmed by {confirmed_by} ({credential})", index + 1));
        Ok(())
    }

    pub fn pause(&mut self, now: UnixMillis) -> Result<(), CommandError> {
        if !matches!(self.status, RunStatus::Running | RunStatus::WaitingForGate) {
            return Err(CommandError::NotInStatus { command: "pause", status: self.status });
        }
        self.status = RunStatus::Paused;
        self.log(now, "paused".to_owned());
        Ok(())
    }

    pub fn resume(&mut self, now: UnixMillis) -> Result<(), CommandError> {
        if self.status != RunStatus::Paused {
            return Err(CommandError::NotInStatus { command: "resume", status: self.status });
        }
        let at_gate = self
            .current_stage()
            .is_some_and(|i| self.stages[i].kind == StageKind::Gate && self.stages[i].status == StageStatus::Running);
        self.status = if at_gate { RunStatus::WaitingForGate } else { RunStatus::Running };
        self.log(now, "resumed".to_owned());
        Ok(())
    }

    /// Submits a failed group of the current stage again.
    pub fn retry(&mut self, server_group_id: &str, now: UnixMillis) -> Result<(), CommandError> {
        self.unfinished("retry")?;
        let at = self.find(server_group_id).ok_or_else(|| CommandError::NoSuchGroup(server_group_id.to_owned()))?;
        let status = self.group(at).status;
        if status != GroupRunStatus::Failed || Some(at.stage) != self.current_stage() {
            return Err(CommandError::NotRetryable { id: server_group_id.to_owned(), status });
        }
        let entry = self.group_mut(at);
        if let Some(job) = entry.job_id.take() {
            entry.earlier_job_ids.push(job);
        }
        entry.status = GroupRunStatus::Pending;
        entry.followed_by_status = false;
        entry.steps.clear();
        (entry.error_code, entry.fail_reason, entry.finished_at) = (None, None, None);
        (entry.job_begin_time, entry.job_end_time) = (None, None);
        let name = entry.name.clone();
        self.log(now, format!("group `{name}`: retried"));
        self.unpause_if_clear();
        Ok(())
    }

    /// Skips a failed group of the current stage, or an optional group not started yet.
    pub fn skip(&mut self, server_group_id: &str, now: UnixMillis) -> Result<(), CommandError> {
        self.unfinished("skip")?;
        let at = self.find(server_group_id).ok_or_else(|| CommandError::NoSuchGroup(server_group_id.to_owned()))?;
        let entry = self.group(at);
        let failed_here = entry.status == GroupRunStatus::Failed && Some(at.stage) == self.current_stage();
        let optional_pending = entry.status == GroupRunStatus::Pending && !entry.critical;
        if !failed_here && !optional_pending {
            return Err(CommandError::NotSkippable { id: server_group_id.to_owned(), status: entry.status });
        }
        let entry = self.group_mut(at);
        entry.skipped_after_failure = failed_here;
        entry.status = GroupRunStatus::Skipped;
        let name = entry.name.clone();
        self.log(now, format!("group `{name}`: skipped"));
        self.unpause_if_clear();
        Ok(())
    }

    /// Ends the run: nothing more is submitted; jobs already submitted run on at the service.
    pub fn cancel(&mut self, now: UnixMillis) -> Result<(), CommandError> {
        self.unfinished("cancel")?;
        for stage in &mut self.stages {
            for group in &mut stage.groups {
                if group.status == GroupRunStatus::Pending {
                    group.status = GroupRunStatus::Cancelled;
                }
            }
            if matches!(stage.status, StageStatus::Pending | StageStatus::Running) {
                stage.status = StageStatus::Cancelled;
            }
        }
        self.status = RunStatus::Cancelled;
        self.finished_at = Some(job_time(now));
        self.log(now, "cancelled".to_owned());
        Ok(())
    }

    fn unfinished(&self, command: &'static str) -> Result<(), CommandError> {
        if self.status.is_final() {
            return Err(CommandError::NotInStatus { command, status: self.status });
        }
        Ok(())
    }

    /// A run paused on failure goes on once no critical group of its stage is failed any more.
    fn unpause_if_clear(&mut self) {
        if self.status != RunStatus::PausedOnFailure {
            return;
        }
        let Some(index) = self.current_stage() else { return };
        if !self.stages[index].groups.iter().any(|g| g.critical && g.status == GroupRunStatus::Failed) {
            self.status = RunStatus::Running;
        }
    }

    /// The drills this run created (for a drill run), by group.
    pub fn drills_made(&self) -> Vec<DrillMade> {
        if self.options.mode != RunMode::Drill {
            return Vec::new();
        }
        self.groups()
            .filter_map(|(_, g)| {
                g.disaster_recovery_drill_id.as_ref().map(|d| DrillMade {
                    server_group_id: g.server_group_id.clone(),
                    disaster_recovery_drill_id: d.clone(),
                })
            })
            .collect()
    }

    /// The name of the DR drill a drill run creates for a group: derived from the run and the group's place, so an
    /// interrupted submission can be recognised at the service by it.
    pub fn drill_name(&self, at: GroupAt) -> String {
        let short: String = self.id.chars().filter(char::is_ascii_alphanumeric).take(12).collect();
        format!("drill-{short}-{}-{}", at.stage + 1, at.group + 1)
    }

    /// The idempotency key of a group's current submission: the run, the group and the attempt. Sent again (the
    /// same attempt, resubmitted after an interruption the service never saw, or by a replica whose lease lapsed
    /// while its request was on the way) it names the same submission, which sdrs-server accepts once. A retry the
    /// operator asks for is a new attempt, and a new key.
    pub fn submission_key(&self, at: GroupAt) -> String {
        let group = self.group(at);
        format!("plan-run:{}:{}:{}", self.id, group.server_group_id, group.attempts)
    }

    /// For a group followed by its status: whether `status` is the end of this run's operation on it
    /// (`Some(true)` success, `Some(false)` failure, `None` still under way). Drill modes follow the drill instead.
    pub fn outcome_of_group_status(&self, status: GroupStatus) -> Option<bool> {
        let intent = super::check::intent_of(&self.options)?;
        let transition = intent.operation().transition();
        if Some(status) == transition.success {
            Some(true)
        } else if status == transition.failure {
            Some(false)
        } else {
            None
        }
    }
}
