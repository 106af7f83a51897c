//! The sdrs-server binary: parse flags, open the database, optionally seed the demo, serve.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::Parser;
use sdrs_server::{demo, AppState, Config, Database};

/// An SDRS-compatible API server.
#[derive(Debug, Parser)]
#[command(version)]
struct Args {
    #[command(subcommand)]
    command: Option<Command>,
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:8080", env = "SDRS_LISTEN")]
    listen: SocketAddr,
    /// Where the data lives: a SQLite file (created if missing; `sqlite:PATH` or a plain path), or a PostgreSQL
    /// database that several replicas share (`postgres://USER:PASSWORD@HOST:PORT/DB`).
    #[arg(long, default_value = "sdrs.db", env = "SDRS_DATABASE", value_parser = parse_database)]
    database: Database,
    /// This replica's name, unique among the replicas of one PostgreSQL database and kept across its restarts (a
    /// restarted replica then resumes its recovery-plan runs at once) [default: random].
    #[arg(long, env = "SDRS_REPLICA")]
    replica: Option<String>,
    /// Multiplies each job step's nominal 3 s (0 = as fast as possible).
    #[arg(long, default_value_t = 1.0, env = "SDRS_TIME_SCALE")]
    time_scale: f64,
    /// Seed an empty database with the demo dataset and accept the demo credentials.
    #[arg(long)]
    demo: bool,
    /// A project's token: PROJECT_ID=TOKEN (repeatable).
    #[arg(long = "token", value_name = "PROJECT_ID=TOKEN")]
    tokens: Vec<String>,
    /// A project's access key: PROJECT_ID=AK:SK (repeatable).
    #[arg(long = "access-key", value_name = "PROJECT_ID=AK:SK")]
    access_keys: Vec<String>,
    /// An origin whose pages may call the API from a browser (repeatable; `*` for any).
    #[arg(long = "allow-origin", value_name = "ORIGIN")]
    allowed_origins: Vec<String>,
    /// Gateway mode: forward the console's SDRS calls to this endpoint, signed with AK/SK
    /// (from SDRS_GATEWAY_AK / SDRS_GATEWAY_SK / SDRS_GATEWAY_SECRET, or --gateway-credentials).
    #[arg(long, value_name = "URL")]
    gateway_upstream: Option<String>,
    /// The upstream project id, in gateway mode.
    #[arg(long, value_name = "PROJECT_ID")]
    gateway_project: Option<String>,
    /// A file of `ak=`, `sk=` and `secret=` lines (the console's login secret); must not be readable by others.
    #[arg(long, value_name = "FILE")]
    gateway_credentials: Option<PathBuf>,
    /// Seconds to wait for the upstream.
    #[arg(long, default_value_t = 30)]
    gateway_timeout_seconds: u64,
    /// The built console (Trunk's dist/) to serve at `/`.
    #[arg(long, env = "SDRS_CONSOLE_DIR")]
    console_dir: Option<PathBuf>,
    /// Serve the admin API (inventory, fault injection) at /admin/v1, for the token in SDRS_ADMIN_TOKEN
    /// (at least 16 characters). On with --demo, whose admin token is public.
    #[arg(long)]
    admin: bool,
    /// The URL clients use to reach this server, for the links of GET / and GET /v1 [default: http://LISTEN].
    #[arg(long, env = "SDRS_PUBLIC_URL")]
    public_url: Option<String>,
    /// Accept AK/SK requests signed with `X-Sdk-Content-Sha256: UNSIGNED-PAYLOAD`, whose bodies the signature then
    /// does not cover. The official SDKs send it only for non-JSON bodies, which the SDRS API never takes.
    #[arg(long)]
    allow_unsigned_payload: bool,
    /// Open connections at most; one more is answered 503 and closed.
    #[arg(long, default_value_t = 1024)]
    max_connections: usize,
    /// Requests handled at once at most; one more is answered 503.
    #[arg(long, default_value_t = 512)]
    max_in_flight: usize,
}

#[derive(Debug, clap::Subcommand)]
enum Command {
    /// Copies every row of one database into another, empty one, in one transaction (moving an existing SQLite file
    /// to PostgreSQL, say), then exits. Stop the servers of both first.
    CopyDatabase {
        /// The database to read (a SQLite path or `postgres://…`).
        #[arg(long, value_parser = parse_database)]
        from: Database,
        /// The new, empty database to fill (migrated first).
        #[arg(long, value_parser = parse_database)]
        to: Database,
    },
}

/// The shortest admin token or gateway secret accepted: long enough that guessing it is hopeless.
const MIN_SECRET_CHARS: usize = 16;

/// The gateway's AK, SK and console secret: from the credentials file (refused if others may read it), else from
/// the environment. Never printed.
fn gateway_credentials(file: Option<&std::path::Path>) -> anyhow::Result<(String, String, String)> {
    let mut values = std::collections::HashMap::new();
    if let Some(file) = file {
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(file)?.permissions().mode();
            anyhow::ensure!(
                mode & 0o077 == 0,
                "{} must not be readable by group or others (chmod 600)",
                file.display()
            );
        }
        for line in std::fs::read_to_string(file)?.lines() {
            if let Some((key, value)) = line.split_once('=') {
                values.insert(key.trim().to_owned(), value.trim().to_owned());
            }
        }
    }
    let get = |key: &str, env: &str| {
        values
            .get(key)
            .cloned()
            .or_else(|| std::env::var(env).ok())
            .filter(|v| !v.is_empty())
            .ok_or_else(|| anyhow::anyhow!("gateway mode needs `{key}` in --gateway-credentials or {env}"))
    };
    let secret = get("secret", "SDRS_GATEWAY_SECRET")?;
    anyhow::ensure!(
        secret.chars().count() >= MIN_SECRET_CHARS,
        "the gateway's console secret must be at least {MIN_SECRET_CHARS} characters long"
    );
    Ok((get("ak", "SDRS_GATEWAY_AK")?, get("sk", "SDRS_GATEWAY_SK")?, secret))
}

fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()))
        .init();
    let args = Args::parse();
    // Blocking threads serve lists from a pool of 8 connections: more would only wait on the pool, and each thread
    // may hold a malloc arena of its own (the soak's RSS grew with them).
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().max_blocking_threads(16).build()?;
    let result = runtime.block_on(run(args));
    // A database call still on the blocking pool after the grace period is abandoned; SQLite rolls back what it
    // did not commit, and jobs resume from their last committed step.
    runtime.shutdown_timeout(std::time::Duration::from_secs(2));
    result
}

async fn run(args: Args) -> anyhow::Result<()> {
    if let Some(Command::CopyDatabase { from, to }) = args.command {
        let (source, target) = (sdrs_server::store::Db::open(&from)?, sdrs_server::store::Db::open(&to)?);
        let copied = sdrs_server::store::copy_database(&source, &target).await?;
        println!(
            "copied {from:?} to {to:?}: {} resources, {} jobs, {} task-centre entries, {} faults, {} domains, {} console sessions",
            copied.resources, copied.jobs, copied.failure_jobs, copied.faults, copied.domains, copied.sessions
        );
        return Ok(());
    }
    let mut config = Config::new(args.database);
    config.replica = args.replica;
    config.time_scale = args.time_scale;
    config.console_dir = args.console_dir.filter(|dir| dir.join("index.html").exists());
    config.allowed_origins = args.allowed_origins;
    config.allow_unsigned_payload = args.allow_unsigned_payload;
    config.public_url = args.public_url.unwrap_or_else(|| format!("http://{}", args.listen));
    config.limits.max_connections = args.max_connections;
    config.limits.max_in_flight = args.max_in_flight;
    if args.admin && !args.demo {
        let token = std::env::var("SDRS_ADMIN_TOKEN").unwrap_or_default();
        anyhow::ensure!(
            token.chars().count() >= MIN_SECRET_CHARS,
            "--admin needs SDRS_ADMIN_TOKEN of at least {MIN_SECRET_CHARS} characters"
        );
        config.admin_token = Some(token);
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
    if args.demo {
        demo::add_credentials(&mut config);
    }
    let mut state = AppState::open(config)?;
    if let Some(upstream) = args.gateway_upstream {
        let project_id =
            args.gateway_project.ok_or_else(|| anyhow::anyhow!("--gateway-upstream needs --gateway-project"))?;
        let (access_key, secret_key, console_secret) = gateway_credentials(args.gateway_credentials.as_deref())?;
        let gateway = sdrs_server::gateway::GatewayConfig {
            upstream: upstream.clone(),
            project_id,
            access_key,
            secret_key,
            console_secret,
            timeout: std::time::Duration::from_secs(args.gateway_timeout_seconds),
        };
        state.gateway = Some(sdrs_server::gateway::Gateway::new(gateway)?);
        println!(
            "Gateway mode: forwarding the SDRS API to {upstream}; the console logs in with the configured secret."
        );
    }
    if args.demo {
        if demo::seed(&state).await? {
            println!("Seeded the demo dataset.");
        }
        println!(
            "Demo project: {}\n  X-Auth-Token: {}\n  AK/SK: {} / {}\n  Admin API X-Admin-Token: {}\n  Console: http://{}/",
            demo::PROJECT,
            demo::TOKEN,
            demo::ACCESS_KEY,
            demo::SECRET_KEY,
            demo::ADMIN_TOKEN,
            args.listen
        );
    }
    sdrs_server::serve(state, args.listen).await
}

fn parse_database(text: &str) -> Result<Database, std::convert::Infallible> {
    Ok(Database::parse(text))
}
