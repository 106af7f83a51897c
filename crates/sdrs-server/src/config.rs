//! Server configuration: where the database is, how fast jobs run, and which credentials belong to which project.

use std::collections::HashMap;
use std::path::PathBuf;

/// Credentials of one project.
#[derive(Debug, Clone, Default)]
pub struct Credentials {
    /// `X-Auth-Token` values accepted for the project.
    pub tokens: Vec<String>,
    /// Access key → secret key pairs accepted for the project (`SDK-HMAC-SHA256`).
    pub access_keys: Vec<(String, String)>,
}

/// Everything the server is told at start.
#[derive(Debug, Clone)]
pub struct Config {
    pub database: PathBuf,
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
}

impl Config {
    /// A configuration for one database with no projects yet.
    pub fn new(database: PathBuf) -> Config {
        Config {
            database,
            time_scale: 1.0,
            projects: HashMap::new(),
            console_dir: None,
            max_body_bytes: 1 << 20,
            console_login: None,
            allowed_origins: Vec::new(),
        }
    }

    /// The project a token belongs to.
    pub fn project_of_token(&self, token: &str) -> Option<&str> {
        self.projects.iter().find(|(_, c)| c.tokens.iter().any(|t| t == token)).map(|(p, _)| p.as_str())
    }

    /// The project and secret of an access key.
    pub fn secret_of(&self, access_key: &str) -> Option<(&str, &str)> {
        self.projects.iter().find_map(|(project, c)| {
            c.access_keys.iter().find(|(ak, _)| ak == access_key).map(|(_, sk)| (project.as_str(), sk.as_str()))
        })
    }
}
