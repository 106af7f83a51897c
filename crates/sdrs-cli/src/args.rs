//! The command line, declared with clap's derive: global connection flags (each with its environment variable) and
//! one subcommand per runbook step.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

use sdrs_core::plan::RunMode;
use sdrs_core::status::PriorityStation;

/// The exit statuses, documented in `--help` and the README.
pub const EXIT_CODES: &str = "\
Exit status:
  0  done (a check found nothing blocking; a job ended SUCCESS)
  1  refused by the service, or another error
  2  bad command line
  3  something blocks: a check found blocking reasons, or the confirmation was not typed (nothing was sent)
  4  no answer: a change may or may not have been accepted; it was not sent again
  5  the job (or plan run) ended in failure";

#[derive(Debug, Parser)]
#[command(name = "sdrs", version, about = "SDRS runbooks from the terminal: fail over, follow the job, print who logs in where",
    after_help = EXIT_CODES)]
pub struct Cli {
    /// The SDRS endpoint, e.g. https://sdrs.eu-de.otc.t-systems.com or an sdrs-server.
    #[arg(long, env = "SDRS_ENDPOINT", global = true)]
    pub endpoint: Option<String>,
    #[arg(long, env = "SDRS_PROJECT_ID", global = true)]
    pub project_id: Option<String>,
    /// An IAM token (X-Auth-Token); or give an access key.
    #[arg(long, env = "SDRS_TOKEN", global = true, hide_env_values = true)]
    pub token: Option<String>,
    /// Access key for SDK-HMAC-SHA256 signatures.
    #[arg(long, env = "SDRS_AK", global = true)]
    pub ak: Option<String>,
    #[arg(long, env = "SDRS_SK", global = true, hide_env_values = true)]
    pub sk: Option<String>,
    /// Where ECS answers, for the servers' facts [default: the endpoint with its host's `sdrs.` made `ecs.`].
    #[arg(long, env = "SDRS_ECS_ENDPOINT", global = true)]
    pub ecs_endpoint: Option<String>,
    /// Where IMS answers, for the servers' images [default: the endpoint with its host's `sdrs.` made `ims.`].
    #[arg(long, env = "SDRS_IMS_ENDPOINT", global = true)]
    pub ims_endpoint: Option<String>,
    /// The profile to read from the configuration file.
    #[arg(long, env = "SDRS_PROFILE", global = true)]
    pub profile: Option<String>,
    /// The configuration file [default: $XDG_CONFIG_HOME/sdrs/config.toml or ~/.config/sdrs/config.toml].
    #[arg(long, env = "SDRS_CONFIG", global = true)]
    pub config: Option<PathBuf>,
    /// `json` for scripts: one JSON document on stdout, errors included.
    #[arg(long, value_enum, default_value_t = Output::Text, global = true)]
    pub output: Output,
    /// Seconds to wait for one answer of the service.
    #[arg(long, default_value_t = 30, global = true)]
    pub timeout_seconds: u64,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Output {
    Text,
    Json,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// The configuration in effect.
    Config {
        #[command(subcommand)]
        what: ConfigCommand,
    },
    /// List protection groups, as a table.
    Groups(GroupsArgs),
    /// One group: instances, pairs, drills, which site is production, what each action would need.
    Group { group: String },
    /// The pre-check and the what-if role swap of an operation, offline from a fetched snapshot.
    Check {
        group: String,
        operation: OperationArg,
        /// For planned-failover: the site that becomes production.
        #[arg(long)]
        priority_station: Option<Station>,
    },
    /// Fail a group over to its DR site.
    Failover(ActArgs),
    /// Planned failover: move production to the given site with both sites up.
    PlannedFailover {
        #[command(flatten)]
        act: ActArgs,
        #[arg(long)]
        priority_station: Station,
    },
    /// Re-protect a failed-over group (replication reversed).
    Reprotect(ActArgs),
    /// Enable protection.
    Enable(ActArgs),
    /// Disable protection.
    Disable(ActArgs),
    /// A job's status and steps.
    Job {
        id: String,
        /// Follow it until it ends.
        #[arg(long)]
        wait: bool,
    },
    /// The failover page's login rules in the terminal: the rule explorer's questions and answers.
    LoginRules(LoginArgs),
    /// Recovery plans (sdrs-server's extension).
    Plan {
        #[command(subcommand)]
        what: PlanCommand,
    },
    /// The audit trail: who changed what, from where, with what outcome (newest first).
    Audit(AuditArgs),
    /// Shell completions, printed on stdout.
    Completions { shell: clap_complete::Shell },
}

#[derive(Debug, Subcommand)]
pub enum ConfigCommand {
    /// Print each setting in effect and where it came from; secrets masked.
    Show,
}

#[derive(Debug, Args)]
pub struct GroupsArgs {
    /// Only groups in this status.
    #[arg(long)]
    pub status: Option<String>,
    /// Only groups whose name contains this.
    #[arg(long)]
    pub name: Option<String>,
    /// status_abnormal, stop_protected, period_no_dr_drill, …, as the API takes it.
    #[arg(long)]
    pub query_type: Option<String>,
    #[arg(long)]
    pub availability_zone: Option<String>,
    #[arg(long, default_value_t = 100)]
    pub limit: u32,
    #[arg(long, default_value_t = 0)]
    pub offset: u64,
}

#[derive(Debug, Args)]
pub struct AuditArgs {
    /// Only events at or after this time: Unix milliseconds or 2026-12-04T10:00:00.000Z.
    #[arg(long)]
    pub since: Option<String>,
    /// Only events before this time.
    #[arg(long)]
    pub until: Option<String>,
    /// Only events about this resource: a group's name or id, a run's, a job's, a webhook's id.
    #[arg(long)]
    pub resource: Option<String>,
    #[arg(long, default_value_t = 50)]
    pub limit: u32,
    /// Older events than the previous page's last (its `--marker` line).
    #[arg(long)]
    pub marker: Option<String>,
}

#[derive(Debug, Args)]
pub struct ActArgs {
    /// The group's name or id.
    pub group: String,
    /// Follow the job step by step, then print the roles and who logs in where.
    #[arg(long)]
    pub wait: bool,
    /// Do not ask for the group's name to be typed (for scripts).
    #[arg(long)]
    pub yes: bool,
    /// The OS of the group's servers, in place of what ECS and IMS say (shown as your statement).
    #[arg(long, value_enum)]
    pub os: Option<OsArg>,
    /// How the servers are logged in to, in place of what ECS says (shown as your statement).
    #[arg(long, value_enum)]
    pub login: Option<LoginArg>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OperationArg {
    Enable,
    Reprotect,
    Disable,
    PlannedFailover,
    Failover,
    Delete,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Station {
    Source,
    Target,
}

impl From<Station> for PriorityStation {
    fn from(station: Station) -> PriorityStation {
        match station {
            Station::Source => PriorityStation::Source,
            Station::Target => PriorityStation::Target,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OsArg {
    Windows,
    WindowsCloudbaseInit,
    Linux,
    LinuxCloudInit,
    Coreos,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LoginArg {
    Password,
    KeyPair,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum AfterArg {
    Failover,
    PlannedFailover,
    DrDrill,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum RoleArg {
    Production,
    Dr,
    Drill,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum CloudbaseArg {
    NotStarted,
    Started,
    Unknown,
}

#[derive(Debug, Args)]
pub struct LoginArgs {
    #[arg(long, value_enum)]
    pub os: OsArg,
    #[arg(long, value_enum)]
    pub login: LoginArg,
    #[arg(long, value_enum)]
    pub after: AfterArg,
    /// Which server, by its role now.
    #[arg(long, value_enum)]
    pub server: RoleArg,
    /// Not the group's first planned failover or failover.
    #[arg(long)]
    pub later: bool,
    /// The group's priority_station after the operation (needed with --later).
    #[arg(long, value_enum)]
    pub production_site: Option<Station>,
    /// Server A's password was changed before the failover (Linux password logins).
    #[arg(long)]
    pub password_changed: bool,
    #[arg(long, value_enum, default_value_t = CloudbaseArg::Unknown)]
    pub cloudbase_init: CloudbaseArg,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ModeArg {
    Failover,
    PlannedFailover,
    Drill,
    DrillCleanup,
}

impl From<ModeArg> for RunMode {
    fn from(mode: ModeArg) -> RunMode {
        match mode {
            ModeArg::Failover => RunMode::Failover,
            ModeArg::PlannedFailover => RunMode::PlannedFailover,
            ModeArg::Drill => RunMode::Drill,
            ModeArg::DrillCleanup => RunMode::DrillCleanup,
        }
    }
}

#[derive(Debug, Args)]
pub struct RunArgs {
    /// The plan's name or id.
    pub plan: String,
    #[arg(long, value_enum)]
    pub mode: ModeArg,
    #[arg(long, value_enum)]
    pub priority_station: Option<Station>,
    #[arg(long)]
    pub drill_vpc_id: Option<String>,
    /// For drill-cleanup: the drill run whose drills to delete.
    #[arg(long)]
    pub drill_run: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum PlanCommand {
    /// The project's recovery plans.
    List,
    /// The plan check of a run: every reason at once, and the simulated timeline.
    Check(RunArgs),
    /// Start a run (the plan's name typed, or --yes) and, with --wait, follow it to its end or its next gate.
    Run {
        #[command(flatten)]
        run: RunArgs,
        #[arg(long)]
        yes: bool,
        #[arg(long)]
        wait: bool,
    },
    /// Confirm the gate a run waits at.
    Confirm {
        run: String,
        /// Who confirms, as the evidence records it.
        #[arg(long)]
        by: String,
    },
    /// A run's status, stage by stage.
    Show { run: String },
    /// A run's evidence report: JSON, or with --html the printable page written to FILE.
    Report {
        run: String,
        #[arg(long)]
        html: Option<PathBuf>,
    },
}
