//! The state machine: documented rows, properties over random sequences, and the generated charts in docs/.

use std::collections::{BTreeSet, VecDeque};
use std::path::Path;

use proptest::prelude::*;

use sdrs_core::action::GroupAction;
use sdrs_core::state_machine::*;
use sdrs_core::status::{GroupStatus, PriorityStation};
use sdrs_core::SdrsCoded;

use GroupStatus as S;

#[test]
fn documented_rows() {
    assert_eq!(resolve(GroupAction::Failover, S::Protected), Ok(Operation::Failover));
    assert_eq!(resolve(GroupAction::Failover, S::ErrorFailingOver), Ok(Operation::Failover));
    assert_eq!(resolve(GroupAction::Failover, S::ErrorReversing), Ok(Operation::Failover));
    assert_eq!(resolve(GroupAction::Start, S::Available), Ok(Operation::Enable));
    assert_eq!(resolve(GroupAction::Start, S::ErrorStarting), Ok(Operation::Enable));
    assert_eq!(resolve(GroupAction::Start, S::FailedOver), Ok(Operation::Reprotect));
    assert_eq!(resolve(GroupAction::Start, S::ErrorReprotecting), Ok(Operation::Reprotect));
    assert_eq!(resolve(GroupAction::Stop, S::ErrorStopping), Ok(Operation::Disable));
    let reverse = GroupAction::Reverse { priority_station: PriorityStation::Target };
    assert_eq!(resolve(reverse, S::ErrorReversing), Ok(Operation::PlannedFailover));
}

#[test]
fn refused_actions_name_the_allowed_statuses() {
    let err = resolve(GroupAction::Failover, S::Available).unwrap_err();
    assert_eq!(err.allowed, [S::Protected, S::ErrorFailingOver, S::ErrorReversing]);
    assert_eq!(err.code().as_str(), "SDRS.1002");
    assert_eq!(
        err.to_string(),
        "failover is not allowed while the protection group is `available`; it is accepted from: protected, error-failing-over, error-reversing"
    );
    let err = resolve(GroupAction::Start, S::Protected).unwrap_err();
    assert_eq!(err.operation, None);
    assert_eq!(err.allowed, [S::Available, S::ErrorStarting, S::FailedOver, S::ErrorReprotecting]);
}

#[test]
fn failed_over_allows_only_reprotect_and_delete() {
    assert_eq!(allowed_operations(S::FailedOver), [Operation::Reprotect, Operation::Delete]);
    assert_eq!(
        allowed_operations(S::Protected),
        [Operation::Disable, Operation::PlannedFailover, Operation::Failover, Operation::Delete]
    );
    assert!(drill_allowed(S::FailedOver));
    assert!(!drill_allowed(S::FailingOver));
}

#[test]
fn station_effects() {
    let failover = Operation::Failover.transition();
    assert_eq!(failover.station_after(PriorityStation::Source, None), PriorityStation::Target);
    assert_eq!(failover.station_after(PriorityStation::Target, None), PriorityStation::Source);
    let planned = Operation::PlannedFailover.transition();
    assert_eq!(planned.station_after(PriorityStation::Target, Some(PriorityStation::Source)), PriorityStation::Source);
    let reprotect = Operation::Reprotect.transition();
    assert_eq!(reprotect.station_after(PriorityStation::Target, None), PriorityStation::Target);
}

#[test]
fn member_statuses_exist_for_instances_and_pairs() {
    for t in &TRANSITIONS {
        if let Some(members) = t.members {
            let (transient, success, failure) = members.for_replications();
            assert_eq!(
                (transient.as_str(), success.as_str(), failure.as_str()),
                (members.transient.as_str(), members.success.as_str(), members.failure.as_str())
            );
            assert_eq!(members.failure.as_str(), t.failure.as_str(), "{}: members fail like the group", t.operation);
        }
    }
}

fn any_status() -> impl Strategy<Value = GroupStatus> {
    proptest::sample::select(GroupStatus::ALL.to_vec())
}

fn any_action() -> impl Strategy<Value = GroupAction> {
    prop_oneof![
        Just(GroupAction::Start),
        Just(GroupAction::Stop),
        Just(GroupAction::Failover),
        Just(GroupAction::Reverse { priority_station: PriorityStation::Source }),
        Just(GroupAction::Reverse { priority_station: PriorityStation::Target }),
    ]
}

fn any_operation() -> impl Strategy<Value = Operation> {
    proptest::sample::select(Operation::ALL.to_vec())
}

proptest! {
    /// No action is accepted while a job runs.
    #[test]
    fn nothing_is_accepted_in_a_transient_status(status in any_status(), action in any_action(), operation in any_operation()) {
        if status.is_transient() {
            prop_assert!(resolve(action, status).is_err());
            prop_assert!(check(operation, status).is_err());
            prop_assert!(allowed_operations(status).is_empty());
        }
    }

    /// Walking the machine with random operations and outcomes never reaches an unknown state, and a
    /// failure always leaves the group where the same operation can be retried.
    #[test]
    fn random_walks_keep_retry_possible(steps in proptest::collection::vec((any_operation(), any::<bool>()), 1..60)) {
        let mut status = S::Available;
        let mut station = PriorityStation::Source;
        for (operation, succeeds) in steps {
            let transition = operation.transition();
            if check(operation, status).is_err() {
                continue;
            }
            let Some(next) = transition.finish(succeeds) else { break };
            if succeeds {
                station = transition.station_after(station, Some(station.flipped()));
            } else {
                prop_assert!(check(operation, next).is_ok(), "{operation} cannot be retried from {next}");
            }
            prop_assert!(!next.is_transient());
            status = next;
        }
        let _ = station;
    }
}

/// Every `error-*` status allows the retry of the operation that failed into it.
#[test]
fn every_error_status_allows_its_own_retry() {
    for status in GroupStatus::ALL.iter().filter(|s| s.as_str().starts_with("error-")) {
        let failed: Vec<_> = TRANSITIONS.iter().filter(|t| t.failure == *status).collect();
        assert!(!failed.is_empty(), "no operation fails into {status}");
        for t in failed {
            assert!(t.accepts(*status), "{status} does not allow retrying {}", t.operation);
        }
    }
}

/// Every success status is reachable from `available` through successful jobs.
#[test]
fn every_success_status_is_reachable_from_available() {
    let mut seen = BTreeSet::from([S::Available]);
    let mut queue = VecDeque::from([S::Available]);
    while let Some(status) = queue.pop_front() {
        for operation in allowed_operations(status) {
            if let Some(next) = operation.transition().success {
                if seen.insert(next) {
                    queue.push_back(next);
                }
            }
        }
    }
    for t in &TRANSITIONS {
        if let Some(success) = t.success {
            assert!(seen.contains(&success), "{success} is not reachable");
        }
    }
}

/// docs/state-machine.{md,dot} are generated from the table; `UPDATE_EXPECT=1 cargo test` rewrites them.
#[test]
fn checked_in_charts_match_the_table() {
    let docs = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs");
    for (file, generated) in [("state-machine.md", markdown_chart()), ("state-machine.dot", dot_chart())] {
        let path = docs.join(file);
        if std::env::var_os("UPDATE_EXPECT").is_some() {
            std::fs::write(&path, &generated).unwrap();
        }
        let on_disk = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(
            on_disk == generated,
            "docs/{file} is out of date with sdrs_core::state_machine::TRANSITIONS; run `UPDATE_EXPECT=1 cargo test -p sdrs-core`"
        );
    }
}
