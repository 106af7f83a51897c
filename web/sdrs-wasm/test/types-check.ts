// Uses every export and type of sdrs-wasm's two modules so that `tsc --noEmit` checks the declarations are usable and consistent.
import init, {
  allowedOperations, explainLogin, lookupError, precheck, previewRoleSwap, profileFromEcs, resolveAction, stateTable,
  validateAction, type Answer, type ServerProfile, type ErrorInfo, type GroupSnapshot, type Intent, type LoginExplanation, type LoginQuestion,
  type Operation, type Precheck, type RoleSwap, type SdrsError, type Transition, type ValidatedAction,
} from "../web/sdrs_wasm.js";
// The plan module: its own init, and the rules module's snapshot type re-exported.
import initPlan, { checkPlan, type PlanCheck, type RecoveryPlan, type RunOptions, type GroupSnapshot as PlanSnapshot } from "../web/sdrs_wasm_plan.js";

declare const snapshot: GroupSnapshot;

async function main(): Promise<void> {
  await init();
  await initPlan();
  const action: ValidatedAction = validateAction('{"failover-server-group": {}}');
  if (action.action === "reverse-server-group") {
    const station: "source" | "target" = action.priority_station;
    console.log(station);
  }
  const operation: Operation = resolveAction({ "start-server-group": {} }, "failed-over");
  const intent: Intent = { operation: "planned-failover", priority_station: "target" };
  const check: Precheck = precheck(snapshot, intent);
  for (const finding of check.findings) console.log(finding.kind, finding.code, finding.severity, finding.hint);
  const swap: RoleSwap = previewRoleSwap(snapshot, { operation: "failover" });
  console.log(swap.after.instances.map((i) => i.production_server.seed), operation);
  const question: LoginQuestion = {
    os: { family: "linux", coreos: true, cloud_init: false }, login: "password", after: "failover", server: "dr",
    password_changed_before_failover: true, names: { server_a: "db-01" },
  };
  const explanation: LoginExplanation = explainLogin(question);
  const answer: Answer = explanation.answer;
  switch (answer.kind) {
    case "use": console.log(answer.credential.text, answer.first.length); break;
    case "depends-on-cloudbase-init": console.log(answer.check.text, answer.once_started.credential.kind); break;
    case "not-documented": console.log(answer.known); break;
  }
  const ops: Operation[] = allowedOperations("protected");
  const table: Transition[] = stateTable();
  const info: ErrorInfo = lookupError("SDRS.1030");
  console.log(ops, table[0].from, info.httpStatus);
  const plan: RecoveryPlan = {
    name: "site-b",
    stages: [{ type: "groups", groups: [{ server_group_id: "g1", critical: false }] }, { type: "gate", text: "go?" }],
  };
  const options: RunOptions = { mode: "drill-cleanup", drill_run_id: "r1" };
  const same: PlanSnapshot = snapshot;
  const planCheck: PlanCheck = checkPlan(plan, options, [same], [{ run_id: "r1", drills: [] }]);
  for (const finding of planCheck.findings) console.log(finding.kind, finding.stage, finding.precheck);
  for (const stage of planCheck.timeline) console.log(stage.kind, stage.groups?.map((g) => g.statuses.join(">")));
  const profile: ServerProfile = profileFromEcs({ id: "s1", status: "ACTIVE", metadata: { os_type: "Linux" } }, null);
  const family: "windows" | "linux" | null = profile.family.value;
  console.log(family, profile.init_installed.source, profile.power_state.value);
  try {
    validateAction({});
  } catch (caught) {
    const error = caught as SdrsError;
    console.log(error.code, error.httpStatus);
  }
}

void main();
