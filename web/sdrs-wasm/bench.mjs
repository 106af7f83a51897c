// Times sdrs-wasm's explainLogin and precheck in Node (prints key=value lines). Run after scripts/build-wasm.
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);
const sdrs = require("./node/sdrs_wasm.js");

function time(name, iterations, fn) {
  for (let i = 0; i < 1000; i++) fn(i); // warm up
  const start = process.hrtime.bigint();
  for (let i = 0; i < iterations; i++) fn(i);
  const micros = Number(process.hrtime.bigint() - start) / 1000 / iterations;
  console.log(`${name}_microseconds=${micros.toFixed(2)}`);
}

const questions = [
  { os: { family: "windows", cloudbase_init: true }, login: "key-pair", after: "failover", server: "production" },
  { os: { family: "linux", coreos: true, cloud_init: false }, login: "password", after: "failover", server: "dr", password_changed_before_failover: true },
  { os: { family: "windows", cloudbase_init: false }, login: "password", after: "dr-drill", server: "drill" },
];
time("explain_login", 20000, (i) => sdrs.explainLogin(questions[i % questions.length]));

const group = {
  id: "g", name: "g", description: null, status: "protected", progress: 100, source_availability_zone: "az1",
  target_availability_zone: "az2", domain_id: "d", domain_name: "d", priority_station: "source", protected_instance_num: 20,
  replication_num: 20, disaster_recovery_drill_num: 0, protected_status: null, replication_status: null, health_status: null,
  source_vpc_id: "v", target_vpc_id: "v", test_vpc_id: null, dr_type: "migration", server_type: "ECS", created_at: "x",
  updated_at: "x", protection_type: "replication-pair", replication_model: null,
};
const instances = Array.from({ length: 20 }, (_, i) => ({
  id: `i${i}`, name: `i${i}`, description: null, server_group_id: "g", status: "protected", progress: 100,
  source_server: `a${i}`, target_server: `b${i}`, created_at: "x", updated_at: "x", priority_station: "source",
}));
const replications = Array.from({ length: 20 }, (_, i) => ({
  id: `r${i}`, name: `r${i}`, description: null, replication_model: "hypermetro", status: "protected", progress: 100,
  replication_status: "active", server_group_id: "g", volume_ids: `a${i},b${i}`, priority_station: "source",
  fault_level: "0", created_at: "x", updated_at: "x",
  record_metadata: { multiattach: false, bootable: true, volume_size: 10, volume_type: "SSD" },
}));
const servers = instances.flatMap((i) => [
  { id: i.source_server, name: i.name, power_state: "running" }, { id: i.target_server, name: i.name, power_state: "stopped" },
]);
const snapshot = { server_group: group, protected_instances: instances, replications, servers };
time("precheck_20_instances", 5000, () => sdrs.precheck(snapshot, { operation: "planned-failover", priority_station: "target" }));
