//! The recovery-plan editor as a reducer: stages of groups, waits and gates, edited in place; the result is the
//! core's `RecoveryPlan`, which the server validates and checks.

use std::rc::Rc;

use yew::Reducible;

use sdrs_core::plan::{PlanGroup, RecoveryPlan, Stage};

/// The plan being edited, and whether it differs from what was saved.
#[derive(Debug, Clone, PartialEq)]
pub struct PlanEditor {
    pub plan: RecoveryPlan,
    pub dirty: bool,
}

impl Default for PlanEditor {
    fn default() -> PlanEditor {
        PlanEditor {
            plan: RecoveryPlan { name: String::new(), description: String::new(), stages: Vec::new() },
            dirty: false,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum EditAction {
    /// A plan read from the server (not dirty).
    Load(RecoveryPlan),
    /// Saved as it is.
    Saved,
    SetName(String),
    SetDescription(String),
    AddGroupsStage,
    AddWait,
    AddGate,
    RemoveStage(usize),
    /// Swaps a stage with the one before it.
    MoveUp(usize),
    SetWaitSeconds(usize, u64),
    SetGateText(usize, String),
    /// Adds a group to a groups stage (critical by default); a group already in that stage is not added twice.
    AddGroup(usize, String),
    RemoveGroup(usize, usize),
    SetCritical(usize, usize, bool),
}

/// A new wait stage's length.
pub const DEFAULT_WAIT_SECONDS: u64 = 60;

impl Reducible for PlanEditor {
    type Action = EditAction;

    fn reduce(self: Rc<Self>, action: EditAction) -> Rc<Self> {
        let mut next = (*self).clone();
        let stages = &mut next.plan.stages;
        match action {
            EditAction::Load(plan) => return Rc::new(PlanEditor { plan, dirty: false }),
            EditAction::Saved => {
                next.dirty = false;
                return Rc::new(next);
            }
            EditAction::SetName(name) => next.plan.name = name,
            EditAction::SetDescription(text) => next.plan.description = text,
            EditAction::AddGroupsStage => stages.push(Stage::Groups { groups: Vec::new() }),
            EditAction::AddWait => stages.push(Stage::Wait { seconds: DEFAULT_WAIT_SECONDS }),
            EditAction::AddGate => stages.push(Stage::Gate { text: "Confirm to go on.".to_owned() }),
            EditAction::RemoveStage(index) if index < stages.len() => {
                stages.remove(index);
            }
            EditAction::MoveUp(index) if index > 0 && index < stages.len() => stages.swap(index - 1, index),
            EditAction::SetWaitSeconds(index, value) => {
                if let Some(Stage::Wait { seconds }) = stages.get_mut(index) {
                    *seconds = value;
                }
            }
            EditAction::SetGateText(index, value) => {
                if let Some(Stage::Gate { text }) = stages.get_mut(index) {
                    *text = value;
                }
            }
            EditAction::AddGroup(index, id) => {
                if let Some(Stage::Groups { groups }) = stages.get_mut(index) {
                    if id.is_empty() || groups.iter().any(|g| g.server_group_id == id) {
                        return self;
                    }
                    groups.push(PlanGroup { server_group_id: id, critical: true, drill_vpc_id: None });
                }
            }
            EditAction::RemoveGroup(index, group) => {
                if let Some(Stage::Groups { groups }) = stages.get_mut(index) {
                    if group < groups.len() {
                        groups.remove(group);
                    }
                }
            }
            EditAction::SetCritical(index, group, critical) => {
                if let Some(Stage::Groups { groups }) = stages.get_mut(index) {
                    if let Some(entry) = groups.get_mut(group) {
                        entry.critical = critical;
                    }
                }
            }
            _ => return self,
        }
        next.dirty = true;
        Rc::new(next)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn apply(editor: Rc<PlanEditor>, actions: Vec<EditAction>) -> Rc<PlanEditor> {
        actions.into_iter().fold(editor, |e, a| e.reduce(a))
    }

    #[test]
    fn stages_are_added_edited_moved_and_removed() {
        let editor = apply(
            Rc::new(PlanEditor::default()),
            vec![
                EditAction::SetName("site-b".into()),
                EditAction::AddGroupsStage,
                EditAction::AddGroup(0, "db".into()),
                EditAction::AddGroup(0, "db".into()),
                EditAction::AddGroup(0, "cache".into()),
                EditAction::SetCritical(0, 1, false),
                EditAction::AddGate,
                EditAction::SetGateText(1, "databases up?".into()),
                EditAction::AddWait,
                EditAction::SetWaitSeconds(2, 30),
                EditAction::MoveUp(2),
            ],
        );
        assert!(editor.dirty);
        let plan = &editor.plan;
        assert_eq!(plan.name, "site-b");
        assert_eq!(plan.stages[0].groups().len(), 2, "a group is not added twice to a stage");
        assert!(!plan.stages[0].groups()[1].critical);
        assert_eq!(plan.stages[1], Stage::Wait { seconds: 30 });
        assert_eq!(plan.stages[2], Stage::Gate { text: "databases up?".into() });
        assert!(plan.validate().is_ok());
        let editor = apply(editor, vec![EditAction::RemoveStage(1), EditAction::RemoveGroup(0, 0), EditAction::Saved]);
        assert_eq!(editor.plan.stages.len(), 2);
        assert_eq!(editor.plan.stages[0].groups()[0].server_group_id, "cache");
        assert!(!editor.dirty);
        // Out-of-range edits change nothing.
        let same = apply(editor.clone(), vec![EditAction::RemoveStage(9), EditAction::MoveUp(0)]);
        assert_eq!(same, editor);
    }
}
