//! Native tests of the reducers: filters and paging, and the operation flow's guards (double submit, confirmation).

use std::rc::Rc;

use yew::Reducible;

use sdrs_core::snapshot::{GroupSnapshot, Intent};
use sdrs_core::status::{GroupStatus, JobStatus};
use sdrs_core::wire::{Job, JobEntities, ServerGroupResponse};

use super::*;

pub fn snapshot(status: GroupStatus, replication_num: u32) -> GroupSnapshot {
    let text = include_str!("../../../sdrs-core/tests/data/examples/reference/server-group-show.json");
    let mut group = serde_json::from_str::<ServerGroupResponse>(text).unwrap().server_group;
    group.status = status;
    group.replication_num = replication_num;
    GroupSnapshot {
        server_group: group,
        protected_instances: vec![],
        replications: vec![],
        disaster_recovery_drills: vec![],
        servers: vec![],
    }
}

fn job(status: JobStatus) -> Job {
    Job {
        job_id: "j".into(),
        job_type: "failoverProtectionGroupNoCG".into(),
        status,
        entities: JobEntities::default(),
        begin_time: None,
        end_time: None,
        error_code: None,
        fail_reason: None,
    }
}

#[test]
fn filters_reset_paging_and_request_a_reload() {
    let state = Rc::new(GroupsState { count: 57, offset: 40, ..GroupsState::default() });
    let state = state.reduce(GroupsAction::SetName("web tier".into()));
    assert_eq!((state.offset, state.generation, state.loading), (0, 1, true));
    assert_eq!(state.query(), "?limit=20&offset=0&name=web%20tier");
    let state = state.reduce(GroupsAction::SetStatus(Some(GroupStatus::Protected)));
    assert!(state.query().ends_with("&status=protected"));
}

#[test]
fn paging_stays_in_range() {
    let state = Rc::new(GroupsState { count: 25, ..GroupsState::default() });
    let state = state.reduce(GroupsAction::PreviousPage);
    assert_eq!(state.generation, 0, "no page before the first");
    let state = state.reduce(GroupsAction::NextPage);
    assert_eq!((state.offset, state.generation), (20, 1));
    let same = state.clone().reduce(GroupsAction::NextPage);
    assert!(Rc::ptr_eq(&state, &same), "no page after the last: the same state, no re-render");
    let loaded = state.reduce(GroupsAction::Loaded { groups: vec![], count: 25 });
    assert!(!loaded.loading);
}

#[test]
fn range_label() {
    let state = GroupsState { count: 0, ..GroupsState::default() };
    assert_eq!(state.range_label(), "no groups");
}

#[test]
fn submit_needs_an_allowed_precheck_and_the_typed_name() {
    let flow =
        Rc::new(FlowState::new(Intent::Failover)).reduce(FlowAction::Loaded(snapshot(GroupStatus::Protected, 1)));
    assert_eq!(flow.phase, Phase::Ready);
    assert!(flow.precheck.as_ref().unwrap().allowed);
    assert!(!flow.can_submit());
    assert_eq!(flow.submit_blocked_because().as_deref(), Some("Type the group's name to confirm."));
    let unchanged = flow.clone().reduce(FlowAction::Submit);
    assert!(Rc::ptr_eq(&flow, &unchanged), "submit without confirmation does nothing");
    let flow = flow.reduce(FlowAction::Typed("Protection-Group-lwx".into()));
    assert!(flow.can_submit());
    assert_eq!(flow.submit_blocked_because(), None);
}

#[test]
fn a_double_click_submits_once() {
    let flow = Rc::new(FlowState::new(Intent::Failover))
        .reduce(FlowAction::Loaded(snapshot(GroupStatus::Protected, 1)))
        .reduce(FlowAction::Typed("Protection-Group-lwx".into()));
    let first = flow.reduce(FlowAction::Submit);
    assert_eq!((first.phase.clone(), first.submissions), (Phase::Submitting, 1));
    let second = first.clone().reduce(FlowAction::Submit);
    assert!(Rc::ptr_eq(&first, &second));
    assert_eq!(second.submissions, 1);
}

#[test]
fn blocked_group_cannot_be_submitted() {
    let flow = Rc::new(FlowState::new(Intent::Failover))
        .reduce(FlowAction::Loaded(snapshot(GroupStatus::Available, 0)))
        .reduce(FlowAction::Typed("Protection-Group-lwx".into()));
    let precheck = flow.precheck.as_ref().unwrap();
    assert!(!precheck.allowed);
    assert_eq!(precheck.blocking().count(), 2, "wrong status and no pairs, both shown");
    assert!(!flow.can_submit());
    assert_eq!(flow.submit_blocked_because().as_deref(), Some("2 blocking reason(s) above."));
    assert_eq!(flow.clone().reduce(FlowAction::Submit).phase, Phase::Ready);
}

#[test]
fn job_updates_finish_the_flow_and_a_failure_offers_a_retry() {
    let flow = Rc::new(FlowState::new(Intent::Failover))
        .reduce(FlowAction::Loaded(snapshot(GroupStatus::Protected, 1)))
        .reduce(FlowAction::Typed("Protection-Group-lwx".into()))
        .reduce(FlowAction::Submit)
        .reduce(FlowAction::Submitted("j".into()));
    assert_eq!(flow.phase, Phase::Running { job_id: "j".into() });
    let flow = flow.reduce(FlowAction::JobUpdate(job(JobStatus::Running)));
    assert!(matches!(flow.phase, Phase::Running { .. }));
    let flow = flow.reduce(FlowAction::JobUpdate(job(JobStatus::Fail)));
    assert!(flow.can_retry());
    let flow = flow.reduce(FlowAction::Retry(snapshot(GroupStatus::ErrorFailingOver, 1)));
    assert_eq!(flow.phase, Phase::Ready);
    assert!(flow.precheck.as_ref().unwrap().allowed, "a failover may be retried from error-failing-over");
    assert_eq!(flow.confirmation, "", "the retry asks for the name again");
}

#[test]
fn a_group_the_console_cannot_read_does_not_hide_the_others() {
    let text = include_str!("../../../sdrs-core/tests/data/examples/reference/server-group-show.json");
    let good: serde_json::Value = serde_json::from_str::<serde_json::Value>(text).unwrap()["server_group"].clone();
    let mut legacy = good.clone();
    legacy["id"] = "legacy-id".into();
    legacy["name"] = "old-tier".into();
    legacy["status"] = "failed-over-back".into();
    let body = serde_json::json!({ "server_groups": [good.clone(), legacy, {"id": 7}], "count": 3 });
    let (rows, count) = read_group_list(&body.to_string()).unwrap();
    assert_eq!(count, 3);
    assert!(matches!(&rows[0], GroupRow::Group(g) if g.id == good["id"].as_str().unwrap()));
    let GroupRow::Unreadable { id, name, reason } = &rows[1] else { panic!("{:?}", rows[1]) };
    assert_eq!((id.as_str(), name.as_str()), ("legacy-id", "old-tier"));
    assert!(reason.contains("`failed-over-back` is not a valid protection group status"), "{reason}");
    assert!(matches!(&rows[2], GroupRow::Unreadable { id, name, .. } if id == "?" && name == "?"));

    assert!(read_group_list(r#"{ "server_groups": [] }"#).is_err(), "no count");
    assert!(read_group_list(r#"{ "count": 0 }"#).is_err(), "no list");
    assert!(read_group_list("<html>").is_err(), "not JSON");
    let state = Rc::new(GroupsState::default()).reduce(GroupsAction::Loaded { groups: rows, count });
    assert_eq!(state.range_label(), "1–3 of 3", "unreadable rows still count");
}

#[test]
fn a_load_error_is_replaced_by_a_later_successful_load_but_a_refusal_stays() {
    let refused = ApiError::Gateway { status: 404, code: "APIG.0101".into(), message: "no such API".into() };
    let flow = Rc::new(FlowState::new(Intent::Failover)).reduce(FlowAction::LoadFailed(refused.clone()));
    assert_eq!(flow.phase, Phase::LoadFailed(refused.clone()));
    let flow = flow.reduce(FlowAction::Loaded(snapshot(GroupStatus::Protected, 1)));
    assert_eq!(flow.phase, Phase::Ready, "the superseded error leaves the screen");
    // A failed refresh does not hide the snapshot on screen.
    let flow = flow.reduce(FlowAction::LoadFailed(refused.clone()));
    assert_eq!(flow.phase, Phase::Ready);
    // A submission's refusal is the operator's to read: a reload does not clear it.
    let flow = flow.reduce(FlowAction::SubmitFailed(refused.clone()));
    let flow = flow.reduce(FlowAction::Loaded(snapshot(GroupStatus::Protected, 1)));
    assert_eq!(flow.phase, Phase::Refused(refused));
}
