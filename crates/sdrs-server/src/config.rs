//! Server configuration: where the database is, how fast jobs run, and which credentials belong to which project.

use std::collections::HashMap;
use std::path::PathBuf;
use std::time::Duration;

use subtle::ConstantTimeEq;

/// Credentials of one project.
#[derive(Debug, Clone, Default)]
pub struct Credentials {
    /// `X-Auth-Token` values accepted for the project.
    pub tokens: Vec<String>,
    /// Access key → secret key pairs accepted for the project (`SDK-HMAC-SHA256`).
    pub access_keys: Vec<(String, String)>,
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
    /// file.
    pub fn parse(text: &str) -> Database {
        if text.starts_with("postgres://") || text.starts_with("postgresql://") {
            return Database::Postgres(text.to_owned());
        }
        let path = text.strip_prefix("sqlite://").or_else(|| text.strip_prefix("sqlite:")).unwrap_or(text);
        Database::Sqlite(PathBuf::from(path))
    }
}

impl std::fmt::Debug for Database {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Database::Sqlite(path) => write!(f, "sqlite:{}", path.display()),
            // Host, port and database only: never the password.
            Database::Postgres(url) => {
                let shown = url.rsplit_once('@').map_or(url.as_str(), |(_, rest)| rest);
                write!(f, "postgres://…@{shown}")
            }
        }
    }
}

impl From<PathBuf> for Database {
    fn from(path: PathBuf) -> Database {
        Database::Sqlite(path)
    }
}

/// Everything the server is told at start.
#[derive(Debug, Clone)]
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
            allow_unsigned_payload: false,
            public_url: "http://127.0.0.1:8080".to_owned(),
            limits: Limits::default(),
            replica: None,
        }
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
