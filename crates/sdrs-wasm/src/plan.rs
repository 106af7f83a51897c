//! The plan module's export: the check of a recovery plan, run offline (`@sdrs/rules/plan`).

use wasm_bindgen::prelude::*;

use sdrs_core::plan::check::DrillRunRecord;
use sdrs_core::plan::{PlanError, RecoveryPlan, RunOptions};
use sdrs_core::snapshot::SnapshotFacts;

use crate::{input, js_error, output};

#[wasm_bindgen(typescript_custom_section)]
const TYPES: &'static str = include_str!("plan.d.ts");

/// The plan module's declarations name the rules module's types (a group snapshot, its statuses) and import them from
/// it; built into one module with the rules, they are declared in the same file.
#[cfg(not(feature = "rules"))]
#[wasm_bindgen(typescript_custom_section)]
const IMPORTS: &'static str = r#"import type { DrillStatus, FindingKind, GroupSnapshot, GroupStatus, PriorityStation } from "./sdrs_wasm";
export type { GroupSnapshot, SdrsError } from "./sdrs_wasm";"#;

/// A JS `Error` for a recovery-plan refusal, with this tool's `PLAN.*` code.
fn plan_error(refusal: &PlanError) -> JsValue {
    let code = refusal.code();
    js_error(code.as_str(), code.http_status(), &refusal.to_string())
}

/// The plan check of a recovery plan run offline: every finding (the groups' own and the plan's) and the simulated
/// timeline. `snapshots` are the plan's groups (one missing is a group that no longer exists); `drillRuns` the
/// plan's drill runs, for a `drill-cleanup`. Throws `PLAN.0400` for a malformed plan or options.
#[wasm_bindgen(js_name = checkPlan, unchecked_return_type = "PlanCheck")]
pub fn check_plan(
    #[wasm_bindgen(unchecked_param_type = "RecoveryPlan")] plan: JsValue,
    #[wasm_bindgen(unchecked_param_type = "RunOptions")] options: JsValue,
    #[wasm_bindgen(unchecked_param_type = "GroupSnapshot[]")] snapshots: JsValue,
    #[wasm_bindgen(unchecked_param_type = "DrillRunRecord[] | undefined")] drill_runs: JsValue,
) -> Result<JsValue, JsValue> {
    let plan: RecoveryPlan = input(plan, "recovery plan")?;
    plan.validate().map_err(|e| plan_error(&e))?;
    let options: RunOptions = input(options, "run options")?;
    options.validate().map_err(|e| plan_error(&e))?;
    let snapshots: Vec<SnapshotFacts> = input(snapshots, "group snapshots")?;
    let drill_runs: Vec<DrillRunRecord> =
        if drill_runs.is_undefined() || drill_runs.is_null() { Vec::new() } else { input(drill_runs, "drill runs")? };
    output(&sdrs_core::plan::check::check_plan(&plan, &options, &snapshots, &drill_runs))
}
