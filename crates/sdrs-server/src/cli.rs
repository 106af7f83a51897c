//! The command line of sdrs-server: flags and environment turned into what to start, with every secret read from the
//! environment or a file only its owner can read, never needed on the command line (where every local user sees it
//! in `ps`).
//!
//! A secret still given as a flag (`--token`, `--access-key`, a password in `--database`) works, with a warning on
//! standard error; `--demo` refuses real credentials beside the demo's, and scopes its public admin token to the
//! demo project.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use clap::parser::ValueSource;
use clap::{ArgMatches, CommandFactory, FromArgMatches, Parser};

use crate::config::{Config, Database};
use crate::gateway::GatewayConfig;

/// An SDRS-compatible API server.
#[derive(Debug, Parser)]
#[command(version)]
pub struct Args {
    #[command(subcommand)]
    pub command: Option<Command>,
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:8080", env = "SDRS_LISTEN")]
    pub listen: SocketAddr,
    /// Where the data lives: a SQLite file (created if missing; `sqlite:PATH` or a plain path), or a PostgreSQL
    /// database that several replicas share (`postgres://USER@HOST:PORT/DB?sslmode=verify-full`; the password from
    /// --database-password-file, not the URL, which `ps` shows).
    #[arg(long, default_value = "sdrs.db", env = "SDRS_DATABASE")]
    pub database: String,
    /// A file holding the PostgreSQL password (one line; refused unless only its owner can read it).
    #[arg(long, value_name = "FILE", env = "SDRS_DATABASE_PASSWORD_FILE")]
    pub database_password_file: Option<PathBuf>,
    /// This replica's name, unique among the replicas of one PostgreSQL database and kept across its restarts (a
    /// restarted replica then resumes its recovery-plan runs at once) [default: random].
    #[arg(long, env = "SDRS_REPLICA")]
    pub replica: Option<String>,
    /// Multiplies each job step's nominal 3 s (0 = as fast as possible).
    #[arg(long, default_value_t = 1.0, env = "SDRS_TIME_SCALE")]
    pub time_scale: f64,
    /// Seed an empty database with the demo dataset and accept the demo credentials (alone: with no other
    /// project's credentials).
    #[arg(long)]
    pub demo: bool,
    /// The projects' credentials: lines `token PROJECT_ID TOKEN` and `access-key PROJECT_ID AK SK` (`#` starts a
    /// comment); refused unless only its owner can read it.
    #[arg(long, value_name = "FILE", env = "SDRS_CREDENTIALS_FILE")]
    pub credentials_file: Option<PathBuf>,
    /// A project's token: PROJECT_ID=TOKEN (repeatable; comma-separated in SDRS_TOKENS). On the command line it is
    /// visible to every local user: prefer --credentials-file.
    #[arg(long = "token", value_name = "PROJECT_ID=TOKEN", env = "SDRS_TOKENS", value_delimiter = ',')]
    pub tokens: Vec<String>,
    /// A project's access key: PROJECT_ID=AK:SK (repeatable; comma-separated in SDRS_ACCESS_KEYS). On the command
    /// line it is visible to every local user: prefer --credentials-file.
    #[arg(long = "access-key", value_name = "PROJECT_ID=AK:SK", env = "SDRS_ACCESS_KEYS", value_delimiter = ',')]
    pub access_keys: Vec<String>,
    /// An origin whose pages may call the API from a browser (repeatable; `*` for any).
    #[arg(long = "allow-origin", value_name = "ORIGIN")]
    pub allowed_origins: Vec<String>,
    /// Gateway mode: forward the console's SDRS calls to this endpoint, signed with AK/SK
    /// (from SDRS_GATEWAY_AK / SDRS_GATEWAY_SK / SDRS_GATEWAY_SECRET, or --gateway-credentials).
    #[arg(long, value_name = "URL")]
    pub gateway_upstream: Option<String>,
    /// Where ECS answers, in gateway mode [default: the SDRS upstream with its host's `sdrs.` made `ecs.`].
    #[arg(long, value_name = "URL")]
    pub gateway_ecs_upstream: Option<String>,
    /// Where IMS answers, in gateway mode [default: the SDRS upstream with its host's `sdrs.` made `ims.`].
    #[arg(long, value_name = "URL")]
    pub gateway_ims_upstream: Option<String>,
    /// The upstream project id, in gateway mode.
    #[arg(long, value_name = "PROJECT_ID")]
    pub gateway_project: Option<String>,
    /// A file of `ak=`, `sk=` and `secret=` lines (the console's login secret); must not be readable by others.
    #[arg(long, value_name = "FILE")]
    pub gateway_credentials: Option<PathBuf>,
    /// Seconds to wait for the upstream.
    #[arg(long, default_value_t = 30)]
    pub gateway_timeout_seconds: u64,
    /// The address of a proxy in front of the gateway (repeatable): a request it forwards is throttled on the client
    /// address it names in `X-Forwarded-For`, not on the proxy's own.
    #[arg(long = "trusted-proxy", value_name = "IP")]
    pub trusted_proxies: Vec<std::net::IpAddr>,
    /// The built console (Trunk's dist/) to serve at `/`.
    #[arg(long, env = "SDRS_CONSOLE_DIR")]
    pub console_dir: Option<PathBuf>,
    /// Serve the admin API (inventory, fault injection) at /admin/v1, for the token in SDRS_ADMIN_TOKEN
    /// (at least 16 characters). On with --demo, whose admin token is public.
    #[arg(long)]
    pub admin: bool,
    /// The URL clients use to reach this server, for the links of GET / and GET /v1 [default: http://LISTEN].
    #[arg(long, env = "SDRS_PUBLIC_URL")]
    pub public_url: Option<String>,
    /// Accept AK/SK requests signed with `X-Sdk-Content-Sha256: UNSIGNED-PAYLOAD`, whose bodies the signature then
    /// does not cover. The official SDKs send it only for non-JSON bodies, which the SDRS API never takes.
    #[arg(long)]
    pub allow_unsigned_payload: bool,
    /// Open connections at most; one more is answered 503 and closed.
    #[arg(long, default_value_t = 1024)]
    pub max_connections: usize,
    /// Requests handled at once at most; one more is answered 503.
    #[arg(long, default_value_t = 512)]
    pub max_in_flight: usize,
    /// Log lines as JSON objects (one per line, with the request id), or as text.
    #[arg(long, value_enum, default_value = "text", env = "SDRS_LOG_FORMAT")]
    pub log_format: LogFormat,
    /// Serve `/metrics`, `/healthz` and `/readyz` on this address too (a port the monitoring reaches and clients do
    /// not).
    #[arg(long, value_name = "ADDRESS", env = "SDRS_METRICS_LISTEN")]
    pub metrics_listen: Option<SocketAddr>,
    /// How many days audit events (and settled webhook deliveries) are kept.
    #[arg(long, default_value_t = 400, env = "SDRS_AUDIT_RETENTION_DAYS")]
    pub audit_retention_days: u32,
    /// Deliver webhooks to loopback and link-local addresses too (for tests; a webhook could otherwise reach
    /// services on this host, a cloud's metadata service among them).
    #[arg(long)]
    pub allow_private_webhooks: bool,
}

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    Text,
    Json,
}

#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// Copies every row of one database into another, empty one, in one transaction (moving an existing SQLite file
    /// to PostgreSQL, say), then exits. Stop the servers of both first.
    CopyDatabase {
        /// The database to read (an existing SQLite file, or `postgres://…`).
        #[arg(long)]
        from: String,
        /// The new, empty database to fill (migrated first).
        #[arg(long)]
        to: String,
    },
}

/// What the command line asks for.
#[derive(Debug)]
pub enum Startup {
    /// Serve, with this configuration.
    Serve(Box<Serve>),
    /// Copy one database into another.
    CopyDatabase { from: Database, to: Database },
}

/// A server to start.
#[derive(Debug)]
pub struct Serve {
    pub config: Config,
    pub listen: SocketAddr,
    pub demo: bool,
    pub gateway: Option<GatewayConfig>,
    pub metrics_listen: Option<SocketAddr>,
    pub log_format: LogFormat,
}

/// The shortest admin token or gateway secret accepted: long enough that guessing it is hopeless.
const MIN_SECRET_CHARS: usize = 16;

/// Parses the process's own command line. Warnings (secrets given as flags) are printed to standard error.
pub fn from_env() -> anyhow::Result<Startup> {
    let matches = Args::command().get_matches();
    let (startup, warnings) = startup(&matches, &|name| std::env::var(name).ok())?;
    for warning in warnings {
        eprintln!("warning: {warning}");
    }
    Ok(startup)
}

/// What `matches` asks for, with `env` for the variables read outside clap (`SDRS_ADMIN_TOKEN`, the gateway's), and
/// the warnings to print.
pub fn startup(matches: &ArgMatches, env: &dyn Fn(&str) -> Option<String>) -> anyhow::Result<(Startup, Vec<String>)> {
    let args = Args::from_arg_matches(matches)?;
    let mut warnings = Vec::new();
    let on_command_line = |id: &str| matches.value_source(id) == Some(ValueSource::CommandLine);
    let password = args.database_password_file.as_deref().map(read_private).transpose()?;
    let password = password.as_deref().map(|text| text.trim_end_matches(['\r', '\n']));
    // The password file's password, for a PostgreSQL URL that names none.
    let with_password = |database: Database| match (password, &database) {
        (Some(password), Database::Postgres(_)) if !database.has_password() => database.with_password(password),
        _ => Ok(database),
    };
    if let Some(Command::CopyDatabase { from, to }) = &args.command {
        let from = with_password(Database::parse(from)?)?;
        if let Database::Sqlite(path) = &from {
            anyhow::ensure!(path.is_file(), "--from {}: no such SQLite file", path.display());
        }
        return Ok((Startup::CopyDatabase { from, to: with_password(Database::parse(to)?)? }, warnings));
    }
    let mut database = Database::parse(&args.database)?;
    if database.has_password() && on_command_line("database") {
        warnings.push(
            "--database holds a password, which every local user can read in `ps`: put it in \
             --database-password-file, or give the URL in SDRS_DATABASE"
                .to_owned(),
        );
    }
    if let Some(password) = password {
        database = database.with_password(password)?;
    }
    let mut config = Config::new(database);
    config.replica = args.replica;
    config.time_scale = args.time_scale;
    config.console_dir = args.console_dir.filter(|dir| dir.join("index.html").exists());
    config.allowed_origins = args.allowed_origins;
    config.allow_unsigned_payload = args.allow_unsigned_payload;
    config.public_url = args.public_url.unwrap_or_else(|| format!("http://{}", args.listen));
    config.limits.max_connections = args.max_connections;
    config.allow_private_webhooks = args.allow_private_webhooks;
    config.audit_retention = std::time::Duration::from_secs(u64::from(args.audit_retention_days.max(1)) * 86_400);
    config.limits.max_in_flight = args.max_in_flight;
    config.trusted_proxies = args.trusted_proxies;
    if args.admin && !args.demo {
        let token = env("SDRS_ADMIN_TOKEN").unwrap_or_default();
        anyhow::ensure!(
            token.chars().count() >= MIN_SECRET_CHARS,
            "--admin needs SDRS_ADMIN_TOKEN of at least {MIN_SECRET_CHARS} characters"
        );
        config.admin_token = Some(token);
    }
    for (id, flag) in [("tokens", "--token"), ("access_keys", "--access-key")] {
        if on_command_line(id) {
            warnings.push(format!(
                "{flag} puts a secret on the command line, where every local user can read it in `ps`: use \
                 --credentials-file (or the environment) instead"
            ));
        }
    }
    for token in &args.tokens {
        let (project, token) =
            token.split_once('=').ok_or_else(|| anyhow::anyhow!("--token takes PROJECT_ID=TOKEN"))?;
        config.projects.entry(project.to_owned()).or_default().tokens.push(token.to_owned());
    }
    for key in &args.access_keys {
        let (project, pair) =
            key.split_once('=').ok_or_else(|| anyhow::anyhow!("--access-key takes PROJECT_ID=AK:SK"))?;
        let (ak, sk) = pair.split_once(':').ok_or_else(|| anyhow::anyhow!("--access-key takes PROJECT_ID=AK:SK"))?;
        config.projects.entry(project.to_owned()).or_default().access_keys.push((ak.to_owned(), sk.to_owned()));
    }
    if let Some(file) = &args.credentials_file {
        read_credentials(&read_private(file)?, &mut config)?;
    }
    let gateway = match args.gateway_upstream {
        Some(upstream) => {
            let project_id =
                args.gateway_project.ok_or_else(|| anyhow::anyhow!("--gateway-upstream needs --gateway-project"))?;
            let (access_key, secret_key, console_secret) =
                gateway_credentials(args.gateway_credentials.as_deref(), env)?;
            Some(GatewayConfig {
                upstream,
                project_id,
                access_key,
                secret_key,
                console_secret,
                timeout: std::time::Duration::from_secs(args.gateway_timeout_seconds),
                ecs_upstream: args.gateway_ecs_upstream,
                ims_upstream: args.gateway_ims_upstream,
            })
        }
        None => None,
    };
    if args.demo {
        // The demo's credentials are public, and `/console/config` hands its admin token to any page: beside real
        // projects, that token would open their inventory. The demo runs alone.
        anyhow::ensure!(
            config.projects.is_empty() && gateway.is_none() && config.admin_token.is_none(),
            "--demo runs with the demo's public credentials only: leave out --token, --access-key, \
             --credentials-file, --admin and gateway mode, or leave out --demo"
        );
        crate::demo::add_credentials(&mut config);
        config.admin_project = Some(crate::demo::PROJECT.to_owned());
    }
    config.validate()?;
    let serve = Serve {
        config,
        listen: args.listen,
        demo: args.demo,
        gateway,
        metrics_listen: args.metrics_listen,
        log_format: args.log_format,
    };
    Ok((Startup::Serve(Box::new(serve)), warnings))
}

/// Reads a file that holds secrets: refused unless only its owner can read or write it (`chmod 600`).
pub fn read_private(file: &Path) -> anyhow::Result<String> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(file)
            .map_err(|error| anyhow::anyhow!("{}: {error}", file.display()))?
            .permissions()
            .mode();
        anyhow::ensure!(mode & 0o077 == 0, "{} must be readable by its owner only (chmod 600)", file.display());
    }
    std::fs::read_to_string(file).map_err(|error| anyhow::anyhow!("{}: {error}", file.display()))
}

/// Adds the credentials of a credentials file's lines to the configuration.
fn read_credentials(text: &str, config: &mut Config) -> anyhow::Result<()> {
    for (number, line) in text.lines().enumerate() {
        let words: Vec<&str> = line.split('#').next().unwrap_or_default().split_whitespace().collect();
        let bad = || {
            anyhow::anyhow!(
                "line {} of the credentials file: expected `token PROJECT_ID TOKEN` or `access-key PROJECT_ID AK SK`",
                number + 1
            )
        };
        match words.as_slice() {
            [] => {}
            ["token", project, token] => {
                config.projects.entry((*project).to_owned()).or_default().tokens.push((*token).to_owned())
            }
            ["access-key", project, ak, sk] => config
                .projects
                .entry((*project).to_owned())
                .or_default()
                .access_keys
                .push(((*ak).to_owned(), (*sk).to_owned())),
            _ => return Err(bad()),
        }
    }
    Ok(())
}

/// The gateway's AK, SK and console secret: from the credentials file (refused if others may read it), else from
/// the environment. Never printed.
fn gateway_credentials(
    file: Option<&Path>,
    env: &dyn Fn(&str) -> Option<String>,
) -> anyhow::Result<(String, String, String)> {
    let mut values = std::collections::HashMap::new();
    if let Some(file) = file {
        for line in read_private(file)?.lines() {
            if let Some((key, value)) = line.split_once('=') {
                values.insert(key.trim().to_owned(), value.trim().to_owned());
            }
        }
    }
    let get = |key: &str, name: &str| {
        values
            .get(key)
            .cloned()
            .or_else(|| env(name))
            .filter(|v| !v.is_empty())
            .ok_or_else(|| anyhow::anyhow!("gateway mode needs `{key}` in --gateway-credentials or {name}"))
    };
    let secret = get("secret", "SDRS_GATEWAY_SECRET")?;
    anyhow::ensure!(
        secret.chars().count() >= MIN_SECRET_CHARS,
        "the gateway's console secret must be at least {MIN_SECRET_CHARS} characters long"
    );
    Ok((get("ak", "SDRS_GATEWAY_AK")?, get("sk", "SDRS_GATEWAY_SK")?, secret))
}
