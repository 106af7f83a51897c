// Types of the plan module's export (`@sdrs/rules/plan`), written by hand and held to the Rust types by
// crates/sdrs-wasm/tests/types_dts.rs, as types.d.ts is. The group snapshot and the statuses are the rules module's.

export type RunMode = "failover" | "planned-failover" | "drill" | "drill-cleanup";
export type StageKind = "groups" | "wait" | "gate";
/** A group in a stage; `critical` defaults to true. */
export interface PlanGroup { server_group_id: string; critical?: boolean; drill_vpc_id?: string }
export type Stage =
  | { type: "groups"; groups: PlanGroup[] } | { type: "wait"; seconds: number } | { type: "gate"; text: string };
export interface RecoveryPlan { name: string; description?: string; stages: Stage[] }
/** How a plan is to be run: `priority_station` for a planned failover, `drill_run_id` for a drill cleanup. */
export interface RunOptions {
  mode: RunMode; priority_station?: PriorityStation; drill_vpc_id?: string; drill_run_id?: string;
}
export interface DrillMade { server_group_id: string; disaster_recovery_drill_id: string }
export interface DrillRunRecord { run_id: string; drills: DrillMade[] }
export type PlanFindingKind =
  | "empty-plan" | "empty-stage" | "group-in-two-stages" | "group-not-found" | "mixed-production-sites"
  | "unknown-drill-run" | "nothing-to-clean" | "group";
export interface PlanFinding {
  kind: PlanFindingKind; severity: "blocking" | "verify" | "info"; code: string; message: string; hint: string;
  stage?: number; server_group_id?: string; precheck?: FindingKind; resource_id?: string;
}
export interface SimulatedGroup {
  server_group_id: string; name: string; critical: boolean; statuses: GroupStatus[]; on_failure: GroupStatus;
  production_before: PriorityStation; production_after: PriorityStation; drill_statuses?: DrillStatus[];
}
export interface TimelineStage { index: number; kind: StageKind; seconds?: number; text?: string; groups?: SimulatedGroup[] }
export interface PlanCheck { mode: RunMode; allowed: boolean; findings: PlanFinding[]; timeline: TimelineStage[] }
