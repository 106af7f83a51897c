//! Page state as reducers: the groups list, and the operation flow (pre-check, confirm, submit once, follow the job).

pub mod plan_editor;

use std::rc::Rc;

use yew::Reducible;

use sdrs_core::list_query::encode_query_value;
use sdrs_core::precheck::{precheck, Precheck};
use sdrs_core::role_swap::{preview, RoleSwap};
use sdrs_core::snapshot::{GroupSnapshot, Intent};
use sdrs_core::state_machine::Operation;
use sdrs_core::status::{GroupStatus, JobStatus};
use sdrs_core::wire::{Job, ServerGroup};

use serde::Deserialize;

use crate::api::{parse_json, ApiError, RawJson};

/// Rows per page of the groups list.
pub const PAGE_SIZE: u64 = 20;

/// The protection-groups list.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct GroupsState {
    pub name_filter: String,
    pub status_filter: Option<GroupStatus>,
    pub offset: u64,
    pub groups: Vec<GroupRow>,
    pub count: u64,
    pub loading: bool,
    pub error: Option<ApiError>,
    /// Bumped to ask for a reload (filters changed, page changed, auto-refresh).
    pub generation: u64,
}

pub enum GroupsAction {
    Loaded { groups: Vec<GroupRow>, count: u64 },
    Failed(ApiError),
    SetName(String),
    SetStatus(Option<GroupStatus>),
    NextPage,
    PreviousPage,
    Refresh,
}

impl GroupsState {
    /// The query string for the current filters and page.
    pub fn query(&self) -> String {
        let mut query = format!("?limit={PAGE_SIZE}&offset={}", self.offset);
        if !self.name_filter.is_empty() {
            query.push_str(&format!("&name={}", encode_query_value(&self.name_filter)));
        }
        if let Some(status) = self.status_filter {
            query.push_str(&format!("&status={status}"));
        }
        query
    }

    pub fn has_next(&self) -> bool {
        self.offset + PAGE_SIZE < self.count
    }

    /// "21–40 of 57".
    pub fn range_label(&self) -> String {
        if self.count == 0 {
            return "no groups".to_owned();
        }
        let last = (self.offset + self.groups.len() as u64).min(self.count);
        format!("{}–{last} of {}", self.offset + 1, self.count)
    }
}

/// One row of the groups list: a group the console can read, or one it cannot.
///
/// A real SDRS endpoint may send what the documentation does not list (a legacy status such as `failed-over-back`).
/// Such a group is shown as unreadable, with the reason, instead of hiding every other group behind one error.
#[derive(Debug, Clone, PartialEq)]
pub enum GroupRow {
    Group(Box<ServerGroup>),
    Unreadable { id: String, name: String, reason: String },
}

/// A `GET /server-groups` answer with its items not yet read.
#[derive(Deserialize)]
struct GroupListAnswer {
    server_groups: Vec<RawJson>,
    count: u64,
}

/// Reads a `GET /server-groups` answer item by item; fails only when the list itself is not the documented shape.
pub fn read_group_list(text: &str) -> Result<(Vec<GroupRow>, u64), String> {
    let answer: GroupListAnswer = parse_json(text)?;
    let rows = answer
        .server_groups
        .iter()
        .map(|item| match item.decode::<ServerGroup>() {
            Ok(group) => GroupRow::Group(Box::new(group)),
            Err(reason) => {
                let text = |key: &str| item.text(key).unwrap_or_else(|| "?".to_owned());
                GroupRow::Unreadable { id: text("id"), name: text("name"), reason }
            }
        })
        .collect();
    Ok((rows, answer.count))
}

impl Reducible for GroupsState {
    type Action = GroupsAction;

    fn reduce(self: Rc<Self>, action: GroupsAction) -> Rc<Self> {
        let mut next = (*self).clone();
        match action {
            GroupsAction::Loaded { groups, count } => {
                next.groups = groups;
                next.count = count;
                next.loading = false;
                next.error = None;
            }
            GroupsAction::Failed(error) => {
                next.loading = false;
                next.error = Some(error);
            }
            GroupsAction::SetName(name) => {
                next.name_filter = name;
                next.offset = 0;
                next.generation += 1;
            }
            GroupsAction::SetStatus(status) => {
                next.status_filter = status;
                next.offset = 0;
                next.generation += 1;
            }
            GroupsAction::NextPage if self.has_next() => {
                next.offset += PAGE_SIZE;
                next.generation += 1;
            }
            GroupsAction::PreviousPage if self.offset > 0 => {
                next.offset = self.offset.saturating_sub(PAGE_SIZE);
                next.generation += 1;
            }
            GroupsAction::NextPage | GroupsAction::PreviousPage => return self,
            GroupsAction::Refresh => next.generation += 1,
        }
        if next.generation != self.generation {
            next.loading = true;
        }
        Rc::new(next)
    }
}

/// Where an operation stands.
#[derive(Debug, Clone, PartialEq)]
pub enum Phase {
    Loading,
    /// Pre-checked; waiting for the operator.
    Ready,
    /// Sent; waiting for the job id.
    Submitting,
    Running {
        job_id: String,
    },
    Finished {
        job: Box<Job>,
    },
    /// The group could not be loaded; a later load that succeeds replaces this (the error leaves the screen).
    LoadFailed(ApiError),
    Refused(ApiError),
}

/// The operation page: what will happen, whether it may, and what it did.
#[derive(Debug, Clone, PartialEq)]
pub struct FlowState {
    pub intent: Intent,
    pub snapshot: Option<GroupSnapshot>,
    pub precheck: Option<Precheck>,
    pub preview: Option<RoleSwap>,
    pub confirmation: String,
    pub phase: Phase,
    pub job: Option<Job>,
    /// Bumped each time a submission is accepted, so the request is sent exactly once per click that counts.
    pub submissions: u32,
}

pub enum FlowAction {
    Loaded(GroupSnapshot),
    LoadFailed(ApiError),
    Typed(String),
    Submit,
    Submitted(String),
    SubmitFailed(ApiError),
    JobUpdate(Job),
    /// Start over on a fresh snapshot (after a failure, to retry).
    Retry(GroupSnapshot),
}

impl FlowState {
    pub fn new(intent: Intent) -> FlowState {
        FlowState {
            intent,
            snapshot: None,
            precheck: None,
            preview: None,
            confirmation: String::new(),
            phase: Phase::Loading,
            job: None,
            submissions: 0,
        }
    }

    /// The name the operator must type to confirm.
    pub fn group_name(&self) -> Option<&str> {
        self.snapshot.as_ref().map(|s| s.server_group.name.as_str())
    }

    /// Whether the submit button does anything now.
    pub fn can_submit(&self) -> bool {
        self.phase == Phase::Ready
            && self.precheck.as_ref().is_some_and(|p| p.allowed)
            && self.group_name().is_some_and(|name| name == self.confirmation.trim())
    }

    /// Why the submit button is disabled, in words.
    pub fn submit_blocked_because(&self) -> Option<String> {
        match &self.phase {
            Phase::Loading => return Some("Loading the group…".to_owned()),
            Phase::Submitting | Phase::Running { .. } => return Some("Submitted; following the job.".to_owned()),
            Phase::Finished { .. } => return Some("This operation has finished.".to_owned()),
            Phase::LoadFailed(_) => return Some("The group could not be loaded.".to_owned()),
            Phase::Refused(_) | Phase::Ready => {}
        }
        match &self.precheck {
            Some(p) if !p.allowed => Some(format!("{} blocking reason(s) above.", p.blocking().count())),
            _ if self.group_name().is_none_or(|name| name != self.confirmation.trim()) => {
                Some("Type the group's name to confirm.".to_owned())
            }
            _ => None,
        }
    }

    /// Whether the failed job can be retried from the status it left the group in.
    pub fn can_retry(&self) -> bool {
        matches!(&self.phase, Phase::Finished { job } if job.status == JobStatus::Fail)
            && self.intent.operation() != Operation::Create
    }

    fn evaluate(&mut self, snapshot: GroupSnapshot) {
        let facts = snapshot.facts();
        self.precheck = Some(precheck(&facts, self.intent));
        self.preview = Some(preview(&facts, self.intent));
        self.snapshot = Some(snapshot);
    }
}

impl Reducible for FlowState {
    type Action = FlowAction;

    fn reduce(self: Rc<Self>, action: FlowAction) -> Rc<Self> {
        let mut next = (*self).clone();
        match action {
            FlowAction::Loaded(snapshot) => {
                next.evaluate(snapshot);
                if matches!(next.phase, Phase::Loading | Phase::LoadFailed(_)) {
                    next.phase = Phase::Ready;
                }
            }
            FlowAction::LoadFailed(error) => {
                // Only a load that has not succeeded yet: a failed refresh must not hide a snapshot on screen.
                if matches!(next.phase, Phase::Loading | Phase::LoadFailed(_)) {
                    next.phase = Phase::LoadFailed(error);
                }
            }
            FlowAction::Typed(text) => next.confirmation = text,
            FlowAction::Submit => {
                if !self.can_submit() {
                    // A second click, or a click that should not count: nothing changes, nothing is sent.
                    return self;
                }
                next.phase = Phase::Submitting;
                next.submissions += 1;
            }
            FlowAction::Submitted(job_id) => next.phase = Phase::Running { job_id },
            FlowAction::SubmitFailed(error) => next.phase = Phase::Refused(error),
            FlowAction::JobUpdate(job) => {
                if job.status.is_finished() {
                    next.phase = Phase::Finished { job: Box::new(job.clone()) };
                }
                next.job = Some(job);
            }
            FlowAction::Retry(snapshot) => {
                next.evaluate(snapshot);
                next.phase = Phase::Ready;
                next.job = None;
                next.confirmation.clear();
            }
        }
        Rc::new(next)
    }
}

#[cfg(test)]
pub(crate) mod tests;
