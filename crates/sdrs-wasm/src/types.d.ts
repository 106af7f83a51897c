// Types of sdrs-wasm's exports: the SDRS API's own JSON shapes and sdrs-core's results. Written by hand and held to
// the Rust types by crates/sdrs-wasm/tests/types_dts.rs (every union against the core enum, every interface against
// what the core serializes); web/sdrs-wasm/test/types-check.ts uses every export and is type-checked in the tests.

export type GroupStatus =
  | "creating" | "available" | "protected" | "deleting" | "error-deleting" | "error" | "starting" | "error-starting"
  | "reprotecting" | "error-reprotecting" | "stopping" | "error-stopping" | "reversing" | "error-reversing"
  | "failing-over" | "failed-over" | "error-failing-over";
export type InstanceStatus =
  | "creating" | "available" | "deleting" | "error-deleting" | "error" | "nic-creating" | "nic-deleting" | "starting"
  | "error-starting" | "protected" | "reversing" | "failing-over" | "failed-over" | "reprotecting" | "stopping"
  | "error-stopping" | "error-reversing" | "error-failing-over" | "error-reprotecting" | "resizing" | "error-resizing"
  | "invalid" | "fault";
export type ReplicationStatus =
  | "creating" | "available" | "deleting" | "error-deleting" | "error" | "extending" | "error-extending" | "starting"
  | "error-starting" | "protected" | "reversing" | "failing-over" | "failed-over" | "reprotecting" | "stopping"
  | "error-stopping" | "error-reversing" | "error-failing-over" | "error-reprotecting" | "invalid" | "fault"
  | "attaching" | "detaching" | "error-attaching" | "error-detaching";
export type DrillStatus = "creating" | "available" | "deleting" | "error-deleting" | "error";
export type PriorityStation = "source" | "target";
export type Operation = "create" | "enable" | "re-protect" | "disable" | "planned-failover" | "failover" | "delete";

/** The fields of the API's `server_group` the rules read. Pass the API's object as it is: other fields are ignored. */
export interface GroupFacts {
  id: string; name: string; status: GroupStatus; priority_station: PriorityStation;
  source_availability_zone: string; target_availability_zone: string;
  /** The production VPC, which a DR drill may not use. */
  source_vpc_id?: string;
  /** Counters stand in for lists left out of the snapshot; 0 when absent. */
  protected_instance_num?: number; replication_num?: number; disaster_recovery_drill_num?: number;
  [field: string]: unknown;
}
/** The fields of a protected instance the rules read (server A at `source`, server B at `target`). */
export interface InstanceFacts {
  id: string; name: string; status: InstanceStatus; source_server: string; target_server: string;
  [field: string]: unknown;
}
/** The fields of a replication pair the rules read; `fault_level` is "0", "2" or "5". */
export interface PairFacts { id: string; name: string; status: ReplicationStatus; fault_level: string; [field: string]: unknown }
/** The fields of a DR drill the rules read. */
export interface DrillFacts { id: string; status: DrillStatus; [field: string]: unknown }
export interface ServerFacts { id: string; name?: string | null; power_state: "running" | "stopped" | "deleted" }
/** A group as the API returns it, with its members (lists may be omitted), plus what is known of its servers. */
export interface GroupSnapshot {
  server_group: GroupFacts; protected_instances?: InstanceFacts[]; replications?: PairFacts[];
  disaster_recovery_drills?: DrillFacts[]; servers?: ServerFacts[];
}
export type Intent =
  | { operation: "enable" } | { operation: "re-protect" } | { operation: "disable" }
  | { operation: "planned-failover"; priority_station: PriorityStation } | { operation: "failover" }
  | { operation: "delete" };

export type ValidatedAction =
  | { action: "start-server-group" } | { action: "stop-server-group" }
  | { action: "reverse-server-group"; priority_station: PriorityStation } | { action: "failover-server-group" };

export type FindingKind =
  | "wrong-status" | "server-deleted-natively" | "instance-invalid" | "no-replication-pairs"
  | "replication-link-broken" | "production-disk-fault" | "already-production-site" | "production-server-running"
  | "production-server-state-unknown" | "dr-server-running" | "dr-server-state-unknown" | "has-protected-instances"
  | "has-replication-pairs" | "has-drills";
export interface Finding {
  kind: FindingKind; severity: "blocking" | "verify" | "info"; code: string; message: string; hint: string;
  resource_id?: string;
}
export interface Precheck { operation: Operation; allowed: boolean; findings: Finding[] }

export type SeedServer = "A" | "B";
export interface ServerRef { id: string; name: string | null; seed: SeedServer }
export interface InstanceRoles { protected_instance_id: string; name: string; production_server: ServerRef; dr_server: ServerRef }
export interface SiteRoles {
  priority_station: PriorityStation; production_availability_zone: string; dr_availability_zone: string;
  instances: InstanceRoles[];
}
export interface RoleSwap {
  operation: Operation; before: SiteRoles; after: SiteRoles; roles_change: boolean; statuses: GroupStatus[];
  on_failure: GroupStatus;
}

export type OsProfile = { family: "windows"; cloudbase_init: boolean } | { family: "linux"; coreos: boolean; cloud_init: boolean };
export type LoginMethod = "password" | "key-pair";
export type ServerRole = "production" | "dr" | "drill";
export interface LoginQuestion {
  os: OsProfile; login: LoginMethod; after: "failover" | "planned-failover" | "dr-drill";
  /** Default true. */
  first_time?: boolean; server: ServerRole;
  /** The group's priority_station after the operation; required after a later failover. */
  production_site?: PriorityStation | null;
  password_changed_before_failover?: boolean | null;
  cloudbase_init?: "not-started" | "started" | "unknown";
  names?: { server_a?: string | null; server_b?: string | null; drill_server?: string | null };
}
export interface Credential {
  kind: "password" | "password-obtained-with-key-pair" | "key-pair"; of: SeedServer; of_name: string | null;
  version: "as-before-failover" | "as-created" | "as-changed-before-failover" | "as-created-or-changed"
    | "newly-reset" | "obtained-again" | "set-after-first-failover";
  text: string;
}
export interface Step { action: "check-cloudbase-init" | "reset-password" | "obtain-password-again"; server: SeedServer | null; text: string }
export interface Advice { credential: Credential; first: Step[]; cautions: string[] }
export type Answer =
  | ({ kind: "use" } & Advice)
  | { kind: "depends-on-cloudbase-init"; check: Step; until_started: Advice; once_started: Advice }
  | { kind: "not-documented"; known: string };
export interface Citation { rule: string; title: string; quote: string }
export interface LoginExplanation {
  server: { role: ServerRole; seed: SeedServer | null; name: string | null };
  answer: Answer; citations: Citation[];
  discrepancies: { id: "general-with-init-vs-scenario-3" | "coreos-note-server-names"; explanation: string }[];
  summary: string;
}

export interface Transition {
  operation: Operation; from: GroupStatus[]; transient: GroupStatus; success: GroupStatus | null;
  failure: GroupStatus; job_type: string; station: "unchanged" | "flip" | "set-requested";
  members: { transient: InstanceStatus; success: InstanceStatus; failure: InstanceStatus } | null;
  failure_code: string; failure_status: string;
}

/** ECS ShowServer's `server`, as far as the profile reads it (other fields are ignored). */
export interface EcsServer {
  id: string; name?: string; status?: string; key_name?: string | null; image?: { id: string } | null;
  metadata?: Record<string, string>; [field: string]: unknown;
}
/** IMS GlanceShowImage's image, as far as the profile reads it. */
export interface ImsImage {
  id: string; name?: string; __imagetype?: string | null; __os_type?: string | null; __platform?: string | null;
  [field: string]: unknown;
}
/** One fact of a profile: its value, or null when ECS and IMS do not tell it, and where it comes from. */
export interface Inferred<T> { value: T | null; source: string }
export interface ServerProfile {
  server_id: string; name: string | null; family: Inferred<"windows" | "linux">; coreos: Inferred<boolean>;
  init_installed: Inferred<boolean>; login: Inferred<LoginMethod>; power_state: Inferred<"running" | "stopped" | "deleted">;
}

export interface ErrorInfo { code: string; httpStatus: number; message: string; description: string; handling: string }
/** What every export throws. */
export interface SdrsError extends Error { code: string; httpStatus: number }
