// Node tests of every export of sdrs-wasm's two modules, on the seed's scenarios and on bad input. Run: node --test web/sdrs-wasm/test/
import { test } from "node:test";
import assert from "node:assert/strict";
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);
const sdrs = require("../node/sdrs_wasm.js");
const plans = require("../node/sdrs_wasm_plan.js");

const group = {
  id: "g1", name: "web", description: null, status: "protected", progress: 100,
  source_availability_zone: "eu-de-01", target_availability_zone: "eu-de-02", domain_id: "d", domain_name: "D",
  priority_station: "source", protected_instance_num: 1, replication_num: 1, disaster_recovery_drill_num: 0,
  protected_status: null, replication_status: null, health_status: null, source_vpc_id: "v", target_vpc_id: "v",
  test_vpc_id: null, dr_type: "migration", server_type: "ECS", created_at: "2019-05-22 08:16:54.413",
  updated_at: "2019-05-22 08:16:54.413", protection_type: "replication-pair", replication_model: null,
};
const instance = {
  id: "i1", name: "web-01", description: null, server_group_id: "g1", status: "protected", progress: 100,
  source_server: "srv-a", target_server: "srv-b", created_at: "x", updated_at: "x", priority_station: "source",
  attachment: [], metadata: {},
};
const pair = (fault_level) => ({
  id: "r1", name: "rp", description: null, replication_model: "hypermetro", status: "protected", progress: 100,
  replication_status: "active", attachment: [], server_group_id: "g1", volume_ids: "a,b", priority_station: "source",
  fault_level, created_at: "x", updated_at: "x",
  record_metadata: { multiattach: false, bootable: true, volume_size: 10, volume_type: "SSD" },
});
const snapshot = (overrides = {}) => ({
  server_group: { ...group, ...overrides }, protected_instances: [instance], replications: [pair("0")],
  servers: [{ id: "srv-a", name: "web-01", power_state: "running" }, { id: "srv-b", name: "web-01-dr", power_state: "stopped" }],
});

/** Asserts that `fn` throws an Error carrying `code`. */
function throwsCode(fn, code) {
  assert.throws(fn, (error) => {
    assert.ok(error instanceof Error, "a real Error");
    assert.equal(error.code, code, error.message);
    assert.equal(typeof error.httpStatus, "number");
    return true;
  });
}

test("validateAction accepts the four bodies, as text or object", () => {
  assert.deepEqual(sdrs.validateAction('{"failover-server-group": {}}'), { action: "failover-server-group" });
  assert.deepEqual(sdrs.validateAction({ "reverse-server-group": { priority_station: "target" } }),
    { action: "reverse-server-group", priority_station: "target" });
  assert.deepEqual(sdrs.validateAction({ "start-server-group": {} }), { action: "start-server-group" });
  assert.deepEqual(sdrs.validateAction({ "stop-server-group": {} }), { action: "stop-server-group" });
});

test("validateAction refuses malformed bodies with their SDRS codes", () => {
  throwsCode(() => sdrs.validateAction(""), "SDRS.0201");
  throwsCode(() => sdrs.validateAction("{"), "SDRS.0201");
  throwsCode(() => sdrs.validateAction([]), "SDRS.0201");
  throwsCode(() => sdrs.validateAction(null), "SDRS.0201");
  throwsCode(() => sdrs.validateAction(42), "SDRS.0201");
  throwsCode(() => sdrs.validateAction({}), "SDRS.0206");
  throwsCode(() => sdrs.validateAction({ failover: {} }), "SDRS.0206");
  throwsCode(() => sdrs.validateAction({ "failover-server-group": {}, "stop-server-group": {} }), "SDRS.0206");
  throwsCode(() => sdrs.validateAction({ "failover-server-group": null }), "SDRS.0201");
  throwsCode(() => sdrs.validateAction({ "reverse-server-group": { priority_station: "dr" } }), "SDRS.0216");
});

test("validateAction answers a body given as text as it does the same body as an object", () => {
  const outcome = (body) => { try { return sdrs.validateAction(body); } catch (error) { return error.code; } };
  const bodies = [{ "failover-server-group": {} }, { "reverse-server-group": { priority_station: "source" } },
    {}, { failover: {} }, { "failover-server-group": null }, { "reverse-server-group": {} }, [], 42, null, "x"];
  for (const body of bodies) assert.deepEqual(outcome(JSON.stringify(body)), outcome(body), JSON.stringify(body));
  throwsCode(() => sdrs.validateAction("  \n"), "SDRS.0201");
  throwsCode(() => sdrs.validateAction('{"failover-server-group": {}'), "SDRS.0201");
});

test("resolveAction turns start into enable or re-protect", () => {
  assert.equal(sdrs.resolveAction({ "start-server-group": {} }, "available"), "enable");
  assert.equal(sdrs.resolveAction({ "start-server-group": {} }, "failed-over"), "re-protect");
  throwsCode(() => sdrs.resolveAction({ "failover-server-group": {} }, "available"), "SDRS.1002");
  throwsCode(() => sdrs.resolveAction({ "failover-server-group": {} }, "sideways"), "SDRS.0201");
});

test("precheck reports every blocking reason", () => {
  const ok = sdrs.precheck(snapshot(), { operation: "failover" });
  assert.equal(ok.allowed, true);
  assert.deepEqual(ok.findings, []);
  const blocked = sdrs.precheck({ ...snapshot({ status: "available", replication_num: 0 }), replications: [pair("5")] },
    { operation: "failover" });
  assert.equal(blocked.allowed, false);
  assert.deepEqual(blocked.findings.map((f) => [f.kind, f.code]),
    [["wrong-status", "SDRS.1002"], ["replication-link-broken", "SDRS.1824"]]);
  const planned = sdrs.precheck(snapshot(), { operation: "planned-failover", priority_station: "target" });
  assert.deepEqual(planned.findings.map((f) => f.code), ["SDRS.1319"], "production server web-01 is running");
  for (const operation of ["enable", "re-protect", "disable", "delete"]) {
    assert.equal(typeof sdrs.precheck(snapshot(), { operation }).allowed, "boolean");
  }
});

test("precheck refuses wrong types, missing fields and unknown values without trapping", () => {
  throwsCode(() => sdrs.precheck({}, { operation: "failover" }), "SDRS.0201");
  throwsCode(() => sdrs.precheck(snapshot(), { operation: "explode" }), "SDRS.0201");
  throwsCode(() => sdrs.precheck(snapshot({ status: "weird" }), { operation: "failover" }), "SDRS.0201");
  throwsCode(() => sdrs.precheck(snapshot({ replication_num: "ten" }), { operation: "failover" }), "SDRS.0201");
  throwsCode(() => sdrs.precheck(snapshot({ priority_station: undefined }), { operation: "failover" }), "SDRS.0201");
  throwsCode(() => sdrs.precheck(snapshot(), { operation: "create" }), "SDRS.0201");
  throwsCode(() => sdrs.precheck(snapshot(), { operation: "planned-failover" }), "SDRS.0201");
  throwsCode(() => sdrs.precheck(undefined, undefined), "SDRS.0201");
  throwsCode(() => sdrs.precheck("text", 3), "SDRS.0201");
});

test("precheck reads the fields the rules need and ignores the others", () => {
  const full = sdrs.precheck(snapshot(), { operation: "failover" });
  const minimal = sdrs.precheck({
    server_group: { id: "g1", name: "web", status: "protected", priority_station: "source",
      source_availability_zone: "eu-de-01", target_availability_zone: "eu-de-02", replication_num: 1 },
    protected_instances: [{ id: "i1", name: "web-01", status: "protected", source_server: "srv-a", target_server: "srv-b" }],
  }, { operation: "failover" });
  assert.deepEqual(minimal, full);
  assert.deepEqual(sdrs.precheck(snapshot({ progress: "ten", added_later: { x: 1 } }), { operation: "failover" }), full);
});

test("previewRoleSwap computes Table 1", () => {
  const swap = sdrs.previewRoleSwap(snapshot(), { operation: "failover" });
  assert.equal(swap.before.instances[0].production_server.name, "web-01");
  assert.equal(swap.after.instances[0].production_server.name, "web-01-dr");
  assert.equal(swap.after.instances[0].production_server.seed, "B");
  assert.deepEqual(swap.statuses, ["protected", "failing-over", "failed-over"]);
  throwsCode(() => sdrs.previewRoleSwap(snapshot(), {}), "SDRS.0201");
});

test("explainLogin answers the seed's scenarios", () => {
  const ask = (q) => sdrs.explainLogin({ after: "failover", server: "production", ...q });
  const s1 = ask({ os: { family: "windows", cloudbase_init: false }, login: "password", names: { server_a: "web-01" } });
  assert.equal(s1.answer.kind, "use");
  assert.equal(s1.answer.credential.of, "A");
  assert.equal(s1.answer.credential.of_name, "web-01");
  assert.ok(s1.citations.some((c) => c.rule === "scenario-1-password"));
  const s2 = ask({ os: { family: "windows", cloudbase_init: true }, login: "key-pair" });
  assert.equal(s2.answer.kind, "depends-on-cloudbase-init");
  assert.equal(s2.answer.once_started.first[0].action, "obtain-password-again");
  const s3 = ask({ os: { family: "linux", coreos: true, cloud_init: false }, login: "password", password_changed_before_failover: true });
  assert.equal(s3.answer.credential.version, "as-created");
  assert.equal(s3.discrepancies[0].id, "coreos-note-server-names");
  const later = ask({ os: { family: "linux", coreos: false, cloud_init: false }, login: "key-pair", first_time: false, production_site: "source" });
  assert.equal(later.answer.kind, "not-documented");
  const drill = sdrs.explainLogin({ os: { family: "windows", cloudbase_init: false }, login: "password", after: "dr-drill", server: "drill" });
  assert.ok(drill.citations.some((c) => c.rule === "drill-as-dr-site"));
});

test("explainLogin refuses bad questions with a code", () => {
  throwsCode(() => sdrs.explainLogin({}), "SDRS.0201");
  throwsCode(() => sdrs.explainLogin({ os: { family: "beos" }, login: "password", after: "failover", server: "production" }), "SDRS.0201");
  throwsCode(() => sdrs.explainLogin({ os: { family: "linux", coreos: "yes", cloud_init: false }, login: "password", after: "failover", server: "production" }), "SDRS.0201");
  throwsCode(() => sdrs.explainLogin({ os: { family: "linux", coreos: false, cloud_init: false }, login: "password", after: "failover", server: "drill" }), "SDRS.0201");
  throwsCode(() => sdrs.explainLogin({ os: { family: "linux", coreos: false, cloud_init: false }, login: "password", after: "failover", server: "production", first_time: false }), "SDRS.0201");
});

test("state machine and error catalogue", () => {
  assert.deepEqual(sdrs.allowedOperations("failed-over"), ["re-protect", "delete"]);
  assert.deepEqual(sdrs.allowedOperations("failing-over"), []);
  throwsCode(() => sdrs.allowedOperations("nope"), "SDRS.0201");
  const table = sdrs.stateTable();
  assert.equal(table.length, 7);
  const failover = table.find((t) => t.operation === "failover");
  assert.deepEqual(failover.from, ["protected", "error-failing-over", "error-reversing"]);
  assert.equal(failover.failure_code, "SDRS.1030");
  assert.equal(failover.station, "flip");
  assert.deepEqual(sdrs.lookupError("SDRS.1013"), {
    code: "SDRS.1013", httpStatus: 400, message: "Protection group not found",
    description: "The protection group is not found.", handling: "Use an available protection group.",
  });
  throwsCode(() => sdrs.lookupError("SDRS.9999"), "SDRS.0201");
});

test("the rules module and the plan module each export their own functions only", () => {
  assert.deepEqual(Object.keys(sdrs).sort(), [
    "allowedOperations", "explainLogin", "lookupError", "precheck", "previewRoleSwap", "profileFromEcs", "resolveAction",
    "stateTable", "validateAction",
  ]);
  assert.deepEqual(Object.keys(plans), ["checkPlan"]);
});

test("checkPlan returns every reason of the plan and its groups at once, with the timeline", () => {
  const db = snapshot({ id: "db", name: "db" });
  const web = snapshot({ id: "web", name: "web", status: "failed-over", priority_station: "target" });
  const plan = {
    name: "site-b",
    stages: [
      { type: "groups", groups: [{ server_group_id: "db" }, { server_group_id: "web", critical: false }] },
      { type: "gate", text: "database up?" },
      { type: "groups", groups: [] },
      { type: "groups", groups: [{ server_group_id: "db" }, { server_group_id: "gone" }] },
    ],
  };
  const check = plans.checkPlan(plan, { mode: "failover" }, [db, web]);
  assert.equal(check.allowed, false);
  const kinds = check.findings.filter((f) => f.severity === "blocking").map((f) => f.precheck ?? f.kind).sort();
  assert.deepEqual(kinds, ["empty-stage", "group-in-two-stages", "group-not-found", "wrong-status"]);
  assert.equal(check.findings.find((f) => f.kind === "group-not-found").code, "SDRS.1013");
  assert.deepEqual(check.timeline.map((s) => s.kind), ["groups", "gate", "groups", "groups"]);
  assert.deepEqual(check.timeline[0].groups[0].statuses, ["protected", "failing-over", "failed-over"]);
  assert.equal(check.timeline[0].groups[1].critical, false);
  assert.equal(check.timeline[1].text, "database up?");

  // The same plan's groups as a good plan: nothing blocks a drill.
  const good = { name: "ok", stages: [{ type: "groups", groups: [{ server_group_id: "db" }] }] };
  assert.equal(plans.checkPlan(good, { mode: "drill" }, [db]).allowed, true);
  // A planned failover over groups on both sides, and a cleanup of an unknown drill run.
  const both = { name: "both", stages: [{ type: "groups", groups: [{ server_group_id: "db" }, { server_group_id: "web" }] }] };
  const planned = plans.checkPlan(both, { mode: "planned-failover", priority_station: "target" }, [db, web]);
  assert.ok(planned.findings.some((f) => f.kind === "mixed-production-sites"));
  const cleanup = plans.checkPlan(good, { mode: "drill-cleanup", drill_run_id: "r9" }, [db], [{ run_id: "r1", drills: [] }]);
  assert.deepEqual(cleanup.findings.map((f) => f.kind), ["unknown-drill-run"]);
});

test("checkPlan refuses a malformed plan or options with this tool's code", () => {
  throwsCode(() => plans.checkPlan({ name: "has space", stages: [] }, { mode: "failover" }, []), "PLAN.0400");
  throwsCode(() => plans.checkPlan({ name: "p", stages: [] }, { mode: "planned-failover" }, []), "PLAN.0400");
  throwsCode(() => plans.checkPlan({ name: "p", stages: [{ type: "teleport" }] }, { mode: "failover" }, []), "SDRS.0201");
  throwsCode(() => plans.checkPlan({ name: "p", stages: [] }, { mode: "failover" }, "not a list"), "SDRS.0201");
});

test("profileFromEcs maps ECS and IMS facts to a profile, each with its source, unknowns left unknown", () => {
  const server = { id: "s1", name: "web-02", status: "SHUTOFF", key_name: null, image: { id: "i2" },
    metadata: { os_type: "Windows", image_name: "web-02-golden" }, "OS-EXT-AZ:availability_zone": "eu-de-01" };
  const privateImage = { id: "i2", name: "web-02-golden", __imagetype: "private", __os_type: "Windows", __platform: "Windows" };
  const profile = sdrs.profileFromEcs(server, privateImage);
  assert.equal(profile.family.value, "windows");
  assert.equal(profile.login.value, "password");
  assert.equal(profile.power_state.value, "stopped");
  assert.equal(profile.init_installed.value, null, "a private image does not say");
  assert.match(profile.init_installed.source, /private/);
  const publicImage = { ...privateImage, name: "Standard_Windows_2019", __imagetype: "gold" };
  assert.equal(sdrs.profileFromEcs(server, publicImage).init_installed.value, true);
  const noImage = sdrs.profileFromEcs({ ...server, key_name: "KeyPair-ops" }, null);
  assert.equal(noImage.login.value, "key-pair");
  assert.equal(noImage.init_installed.value, null);
  assert.throws(() => sdrs.profileFromEcs({ name: "no id" }), (e) => e.code === "SDRS.0201");
});
