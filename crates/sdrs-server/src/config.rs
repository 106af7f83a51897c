//! Server configuration: where the database is, how fast jobs run, and which credentials belong to which project.

use std::collections::HashMap;
use std::path::PathBuf;
use std::time::Duration;

use subtle::ConstantTimeEq;

/// Credentials of one project. `Debug` shows how many there are and the access keys' ids, never a secret.
#[derive(Clone, Default)]
pub struct Credentials {
    /// `X-Auth-Token` values accepted for the project.
    pub tokens: Vec<String>,
    /// Access key → secret key pairs accepted for the project (`SDK-HMAC-SHA256`).
    pub access_keys: Vec<(String, String)>,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let keys: Vec<&str> = self.access_keys.iter().map(|(ak, _)| ak.as_str()).collect();
        f.debug_struct("Credentials").field("tokens", &self.tokens.len()).field("access_keys", &keys).finish()
    }
}

/// Where the data lives: one SQLite file (the embedded default, one process), or a PostgreSQL database that several
/// replicas share.
#[derive(Clone, PartialEq, Eq)]
pub enum Database {
    Sqlite(PathBuf),
    /// A libpq-style connection string or `postgres://` URL; it may hold a password, so it is never printed whole.
    Postgres(String),
}

impl Database {
    /// `postgres://…` or `postgresql://…` is PostgreSQL; `sqlite:PATH`, `sqlite://PATH` or a plain path is a SQLite
    /// file. Anything else is refused rather than taken for a file name: a libpq `key=value` string (with its
    /// password) would otherwise become a SQLite file of that name.
    pub fn parse(text: &str) -> anyhow::Result<Database> {
        if text.starts_with("postgres://") || text.starts_with("postgresql://") {
            postgres_config(text)?;
            return Ok(Database::Postgres(text.to_owned()));
        }
        if let Some(path) = text.strip_prefix("sqlite://").or_else(|| text.strip_prefix("sqlite:")) {
            return Ok(Database::Sqlite(PathBuf::from(path)));
        }
        let key_value = text.split_whitespace().next().is_some_and(|word| {
            word.split_once('=')
                .is_some_and(|(key, _)| !key.is_empty() && key.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_'))
        });
        anyhow::ensure!(
            !text.contains("://") && !key_value,
            "the database is a SQLite path or a postgres:// URL; this is neither (a libpq `key=value` string must be \
             written as a postgres:// URL)"
        );
        anyhow::ensure!(!text.is_empty(), "the database path is empty");
        Ok(Database::Sqlite(PathBuf::from(text)))
    }

    /// Whether a PostgreSQL URL carries a password (in its user part or as a parameter).
    pub fn has_password(&self) -> bool {
        match self {
            Database::Sqlite(_) => false,
            Database::Postgres(url) => postgres_config(url).is_ok_and(|(c, _)| c.get_password().is_some()),
        }
    }

    /// The same PostgreSQL database with this password (from a file, so that it is not on the command line).
    pub fn with_password(self, password: &str) -> anyhow::Result<Database> {
        match self {
            Database::Sqlite(_) => anyhow::bail!("a password file is for a PostgreSQL database"),
            Database::Postgres(url) => {
                let mut parsed = url::Url::parse(&url)?;
                parsed.set_password(Some(password)).map_err(|_| anyhow::anyhow!("this URL cannot hold a password"))?;
                Ok(Database::Postgres(parsed.into()))
            }
        }
    }
}

impl std::fmt::Debug for Database {
    /// For a PostgreSQL URL its hosts, ports and database only: never the password, in the user part or a parameter.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let url = match self {
            Database::Sqlite(path) => return write!(f, "sqlite:{}", path.display()),
            Database::Postgres(url) => url,
        };
        let Ok((config, _)) = postgres_config(url) else { return f.write_str("postgres://(unreadable)") };
        let hosts: Vec<String> = config
            .get_hosts()
            .iter()
            .map(|host| match host {
                tokio_postgres::config::Host::Tcp(name) => name.clone(),
                #[cfg(unix)]
                tokio_postgres::config::Host::Unix(path) => path.display().to_string(),
            })
            .collect();
        let ports: Vec<String> = config.get_ports().iter().map(u16::to_string).collect();
        let port = if ports.is_empty() { String::new() } else { format!(":{}", ports.join(",")) };
        write!(f, "postgres://…@{}{port}/{}", hosts.join(","), config.get_dbname().unwrap_or_default())
    }
}

/// How the connection to PostgreSQL is secured: libpq's `sslmode`, read from the URL, with `sslrootcert`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PgTls {
    /// Plain text.
    Disable,
    /// TLS where the server offers it, without checking its certificate; plain text otherwise (libpq's default).
    Prefer,
    /// TLS always, without checking the certificate: encrypted against a passive listener, not an impostor.
    Require,
    /// TLS with the certificate chain checked against the system's roots and `root`, not its name.
    VerifyCa { root: Option<PathBuf> },
    /// TLS with the chain and the host name checked: what a connection across availability zones should use.
    VerifyFull { root: Option<PathBuf> },
}

/// A PostgreSQL URL's connection settings and TLS. `sslmode` takes libpq's values (`disable`, `prefer`, `require`,
/// `verify-ca`, `verify-full`) and `sslrootcert` a PEM file of CA certificates, which the driver's own parser does not
/// know: they are read here and taken out of the URL before it parses the rest.
pub fn postgres_config(text: &str) -> anyhow::Result<(tokio_postgres::Config, PgTls)> {
    let invalid = |why: String| anyhow::anyhow!("not a PostgreSQL URL ({why}); expected postgres://USER@HOST:PORT/DB");
    let mut url = url::Url::parse(text).map_err(|error| invalid(error.to_string()))?;
    let (mut mode, mut root) = (None, None);
    let kept: Vec<(String, String)> = url
        .query_pairs()
        .filter(|(key, value)| match key.as_ref() {
            "sslmode" => {
                mode = Some(value.to_string());
                false
            }
            "sslrootcert" => {
                root = Some(PathBuf::from(value.as_ref()));
                false
            }
            _ => true,
        })
        .map(|(key, value)| (key.into_owned(), value.into_owned()))
        .collect();
    url.set_query(None);
    if !kept.is_empty() {
        url.query_pairs_mut().extend_pairs(kept);
    }
    let mut config: tokio_postgres::Config = url.as_str().parse().map_err(|error| invalid(format!("{error}")))?;
    let tls = match mode.as_deref().unwrap_or("prefer") {
        "disable" => PgTls::Disable,
        "prefer" => PgTls::Prefer,
        "require" => PgTls::Require,
        "verify-ca" => PgTls::VerifyCa { root },
        "verify-full" => PgTls::VerifyFull { root },
        other => return Err(invalid(format!("sslmode `{other}`: disable, prefer, require, verify-ca or verify-full"))),
    };
    config.ssl_mode(match tls {
        PgTls::Disable => tokio_postgres::config::SslMode::Disable,
        PgTls::Prefer => tokio_postgres::config::SslMode::Prefer,
        _ => tokio_postgres::config::SslMode::Require,
    });
    Ok((config, tls))
}

impl From<PathBuf> for Database {
    fn from(path: PathBuf) -> Database {
        Database::Sqlite(path)
    }
}

/// Everything the server is told at start. `Debug` hides every secret.
#[derive(Clone)]
pub struct Config {
    pub database: Database,
    /// Multiplies every job step's nominal 3 s; 0 runs jobs as fast as the database allows.
    pub time_scale: f64,
    /// Project id → credentials.
    pub projects: HashMap<String, Credentials>,
    /// The built console (a Trunk `dist/`), served at `/` when present.
    pub console_dir: Option<PathBuf>,
    /// Largest request body accepted.
    pub max_body_bytes: usize,
    /// Project and token the console may fetch from `/console/config`: set only in demo mode, where the demo
    /// credentials are public anyway. `None` answers that path as missing.
    pub console_login: Option<(String, String)>,
    /// Origins whose pages may call the API from a browser (CORS); `*` allows any. Empty: same origin only.
    pub allowed_origins: Vec<String>,
    /// The admin API's own credential (`X-Admin-Token`); `None` leaves the admin API out of the router.
    pub admin_token: Option<String>,
    /// The one project the admin token opens, when it is not the whole server's (`--demo`: its token is public).
    pub admin_project: Option<String>,
    /// Proxies in front of the gateway whose `X-Forwarded-For` names the client a login is throttled on.
    pub trusted_proxies: Vec<std::net::IpAddr>,
    /// Accept signed `X-Sdk-Content-Sha256: UNSIGNED-PAYLOAD`, leaving bodies out of signatures (off).
    pub allow_unsigned_payload: bool,
    /// The URL clients reach this server at, for the links of `GET /` and `GET /v1` (never taken from `Host`).
    pub public_url: String,
    pub limits: Limits,
    /// This replica's name among those sharing a PostgreSQL database: unique per replica and the same across its
    /// restarts, so a restarted replica resumes the work it leased at once. `None`: a random name on PostgreSQL
    /// (a restart then waits for its old leases to expire), and one fixed name on SQLite, where one process holds
    /// the file.
    pub replica: Option<String>,
    /// Deliver webhooks to loopback and link-local addresses too (a test's receiver; off in production).
    pub allow_private_webhooks: bool,
    /// How long audit events (and settled webhook deliveries) are kept.
    pub audit_retention: Duration,
}

impl std::fmt::Debug for Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let hidden = |set: bool| if set { "<hidden>" } else { "<none>" };
        f.debug_struct("Config")
            .field("database", &self.database)
            .field("time_scale", &self.time_scale)
            .field("projects", &self.projects)
            .field("console_dir", &self.console_dir)
            .field("console_login", &self.console_login.as_ref().map(|(project, _)| (project, "<hidden>")))
            .field("allowed_origins", &self.allowed_origins)
            .field("admin_token", &hidden(self.admin_token.is_some()))
            .field("admin_project", &self.admin_project)
            .field("trusted_proxies", &self.trusted_proxies)
            .field("public_url", &self.public_url)
            .field("replica", &self.replica)
            .field("allow_private_webhooks", &self.allow_private_webhooks)
            .field("audit_retention", &self.audit_retention)
            .finish_non_exhaustive()
    }
}

/// Bounds on what one client can hold: connections, requests in flight, and time.
#[derive(Debug, Clone)]
pub struct Limits {
    /// Open connections; one more is answered 503 and closed.
    pub max_connections: usize,
    /// Requests being handled at once; one more is answered 503 at once.
    pub max_in_flight: usize,
    /// A connection that has not sent a whole request head within this (idle keep-alive ones too) is closed.
    pub header_read_timeout: Duration,
    /// A request body not received within this is refused with 408.
    pub body_timeout: Duration,
    /// A request not answered within this is answered 503 (its work, if it started, still completes).
    pub request_timeout: Duration,
    /// On SIGTERM, how long open requests and the job step under way get before the process exits.
    pub shutdown_grace: Duration,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            max_connections: 1024,
            max_in_flight: 512,
            header_read_timeout: Duration::from_secs(10),
            body_timeout: Duration::from_secs(30),
            request_timeout: Duration::from_secs(60),
            shutdown_grace: Duration::from_secs(5),
        }
    }
}

impl Config {
    /// A configuration for one database with no projects yet.
    pub fn new(database: impl Into<Database>) -> Config {
        Config {
            database: database.into(),
            time_scale: 1.0,
            projects: HashMap::new(),
            console_dir: None,
            max_body_bytes: 1 << 20,
            console_login: None,
            allowed_origins: Vec::new(),
            admin_token: None,
            admin_project: None,
            trusted_proxies: Vec::new(),
            allow_unsigned_payload: false,
            public_url: "http://127.0.0.1:8080".to_owned(),
            limits: Limits::default(),
            replica: None,
            allow_private_webhooks: false,
            audit_retention: Duration::from_secs(400 * 86_400),
        }
    }

    /// Refuses what no request could be checked against: a project id outside the SDRS id alphabet (a `%` in one
    /// would make the raw path and the decoded one name different projects).
    pub fn validate(&self) -> anyhow::Result<()> {
        for project in self.projects.keys().chain(&self.admin_project) {
            anyhow::ensure!(
                sdrs_core::request::is_resource_id(project),
                "project id `{project}`: 1 to 64 letters, digits, `-` or `_`"
            );
        }
        Ok(())
    }

    /// The project a token belongs to. Every configured token is compared, each in constant time, so the time
    /// taken says nothing about how much of a guess was right.
    pub fn project_of_token(&self, token: &str) -> Option<&str> {
        let mut found = None;
        for (project, credentials) in &self.projects {
            for candidate in &credentials.tokens {
                if bool::from(candidate.as_bytes().ct_eq(token.as_bytes())) {
                    found = Some(project.as_str());
                }
            }
        }
        found
    }

    /// Whether `token` is the admin API's credential (constant time).
    pub fn is_admin_token(&self, token: &str) -> bool {
        self.admin_token.as_deref().is_some_and(|admin| bool::from(admin.as_bytes().ct_eq(token.as_bytes())))
    }

    /// The project and secret of an access key.
    pub fn secret_of(&self, access_key: &str) -> Option<(&str, &str)> {
        self.projects.iter().find_map(|(project, c)| {
            c.access_keys.iter().find(|(ak, _)| ak == access_key).map(|(_, sk)| (project.as_str(), sk.as_str()))
        })
    }
}
