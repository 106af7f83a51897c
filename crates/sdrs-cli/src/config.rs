//! Where the connection comes from: flags, then environment variables, then a profile of the configuration file
//! (refused when it holds secrets and others can read it, as the gateway's credentials file is).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use clap::parser::ValueSource;
use clap::ArgMatches;
use serde::Serialize;

use sdrs_client::Credential;

use crate::args::Cli;
use crate::CliError;

/// Where a setting's value came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Source {
    Flag,
    Environment,
    /// The configuration file and profile.
    Profile,
    Unset,
}

/// One setting in effect.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Setting {
    pub name: &'static str,
    #[serde(skip)]
    pub value: Option<String>,
    /// What `config show` prints: secrets masked.
    pub shown: Option<String>,
    pub source: Source,
}

/// The settings in effect, and the file and profile read.
#[derive(Debug, Clone, Serialize)]
pub struct Settings {
    pub file: Option<PathBuf>,
    pub profile: String,
    pub settings: Vec<Setting>,
    /// What the operator should know before a credential is sent (printed on standard error).
    pub warnings: Vec<String>,
}

/// The keys a profile may hold; `secret` ones are masked and make the file's permissions matter.
const KEYS: [(&str, bool); 7] = [
    ("endpoint", false),
    ("ecs_endpoint", false),
    ("ims_endpoint", false),
    ("project_id", false),
    ("token", true),
    ("ak", false),
    ("sk", true),
];

/// Masks a secret: its length only.
pub fn mask(secret: &str) -> String {
    format!("<hidden, {} characters>", secret.chars().count())
}

fn default_file() -> Option<PathBuf> {
    let base = std::env::var_os("XDG_CONFIG_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".config")))?;
    Some(base.join("sdrs").join("config.toml"))
}

/// Reads a profile: a TOML table per profile name of string keys.
fn read_profile(file: &Path, profile: &str) -> Result<BTreeMap<String, String>, CliError> {
    let text =
        std::fs::read_to_string(file).map_err(|e| CliError::Config(format!("cannot read {}: {e}", file.display())))?;
    let table: toml::Table =
        text.parse().map_err(|e| CliError::Config(format!("{} is not valid TOML: {e}", file.display())))?;
    let Some(section) = table.get(profile) else {
        let known: Vec<&String> = table.keys().collect();
        return Err(CliError::Config(format!("{} has no profile `{profile}` (it has: {known:?})", file.display())));
    };
    let section = section
        .as_table()
        .ok_or_else(|| CliError::Config(format!("profile `{profile}` in {} is not a table", file.display())))?;
    let mut values = BTreeMap::new();
    for (key, value) in section {
        if !KEYS.iter().any(|(k, _)| k == key) {
            let allowed: Vec<&str> = KEYS.iter().map(|(k, _)| *k).collect();
            return Err(CliError::Config(format!("profile `{profile}`: unknown key `{key}` (allowed: {allowed:?})")));
        }
        let value =
            value.as_str().ok_or_else(|| CliError::Config(format!("profile `{profile}`: `{key}` must be a string")))?;
        values.insert(key.clone(), value.to_owned());
    }
    let holds_secret = KEYS.iter().any(|(k, secret)| *secret && values.contains_key(*k));
    // A profile that names the endpoint decides where a credential is sent, whichever source the credential comes
    // from (SDRS_TOKEN too): someone who may change the file may send it to their own server.
    let redirects = ["endpoint", "ecs_endpoint", "ims_endpoint"].iter().any(|key| values.contains_key(*key));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(file).map_err(|e| CliError::Config(e.to_string()))?.permissions().mode();
        let shown = file.display();
        if holds_secret && mode & 0o077 != 0 {
            return Err(CliError::Config(format!(
                "{shown} holds secrets and must not be readable by group or others (chmod 600 {shown})"
            )));
        }
        if redirects && mode & 0o022 != 0 {
            return Err(CliError::Config(format!(
                "{shown} names the endpoint credentials are sent to and must not be writable by group or others \
                 (chmod go-w {shown})"
            )));
        }
    }
    let _ = (holds_secret, redirects);
    Ok(values)
}

impl Settings {
    /// Flags and environment (clap has read both), then the profile.
    pub fn resolve(cli: &Cli, matches: &ArgMatches) -> Result<Settings, CliError> {
        let profile = cli.profile.clone().unwrap_or_else(|| "default".to_owned());
        let file = match &cli.config {
            Some(file) => Some(file.clone()),
            None => default_file().filter(|f| f.exists()),
        };
        let from_file = match &file {
            Some(file) => read_profile(file, &profile)?,
            None if cli.profile.is_some() => {
                return Err(CliError::Config(format!("profile `{profile}` asked for, but no configuration file")))
            }
            None => BTreeMap::new(),
        };
        let given = [
            ("endpoint", &cli.endpoint),
            ("ecs_endpoint", &cli.ecs_endpoint),
            ("ims_endpoint", &cli.ims_endpoint),
            ("project_id", &cli.project_id),
            ("token", &cli.token),
            ("ak", &cli.ak),
            ("sk", &cli.sk),
        ];
        let settings = given
            .into_iter()
            .map(|(name, value)| {
                let secret = KEYS.iter().any(|(k, s)| *k == name && *s);
                let (value, source) = match value {
                    Some(value) => {
                        let source = match matches.value_source(name) {
                            Some(ValueSource::EnvVariable) => Source::Environment,
                            _ => Source::Flag,
                        };
                        (Some(value.clone()), source)
                    }
                    None => match from_file.get(name) {
                        Some(value) => (Some(value.clone()), Source::Profile),
                        None => (None, Source::Unset),
                    },
                };
                let shown = value.as_ref().map(|v| if secret { mask(v) } else { v.clone() });
                Setting { name, value, shown, source }
            })
            .collect();
        let mut resolved = Settings { file, profile, settings, warnings: Vec::new() };
        resolved.warnings = resolved.cleartext_warning(&|name| std::env::var(name).ok()).into_iter().collect();
        Ok(resolved)
    }

    /// A warning when the credential would travel in clear text: an `http://` endpoint that is not this machine,
    /// named above all when an `HTTP_PROXY` would carry it (the proxy then reads the token).
    pub fn cleartext_warning(&self, env: &dyn Fn(&str) -> Option<String>) -> Option<String> {
        let endpoint = self.get("endpoint")?;
        let rest = endpoint.strip_prefix("http://")?;
        let host = rest.split(['/', ':']).next().unwrap_or_default();
        if matches!(host, "localhost" | "127.0.0.1" | "[") || host.starts_with("127.") {
            return None;
        }
        let proxy = ["HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy"].iter().find_map(|name| env(name));
        Some(match proxy {
            Some(_) => format!(
                "{endpoint} is plain HTTP and an HTTP proxy is set: the credential goes to the proxy in clear text; \
                 use https://"
            ),
            None => format!("{endpoint} is plain HTTP: the credential crosses the network in clear text; use https://"),
        })
    }

    pub fn get(&self, name: &str) -> Option<&str> {
        self.settings.iter().find(|s| s.name == name).and_then(|s| s.value.as_deref())
    }

    fn required(&self, name: &str, env: &str) -> Result<&str, CliError> {
        self.get(name).ok_or_else(|| {
            CliError::Config(format!("no {name}: give --{}, set {env}, or put it in a profile", name.replace('_', "-")))
        })
    }

    pub fn endpoint(&self) -> Result<&str, CliError> {
        self.required("endpoint", "SDRS_ENDPOINT")
    }

    pub fn project_id(&self) -> Result<&str, CliError> {
        self.required("project_id", "SDRS_PROJECT_ID")
    }

    /// A token, or an access key with its secret; not both.
    pub fn credential(&self) -> Result<Credential, CliError> {
        match (self.get("token"), self.get("ak"), self.get("sk")) {
            (Some(_), Some(_), _) => {
                Err(CliError::Config("both a token and an access key are set: keep one".to_owned()))
            }
            (Some(token), None, _) => Ok(Credential::Token(token.to_owned())),
            (None, Some(ak), Some(sk)) => {
                Ok(Credential::AccessKey { access_key: ak.to_owned(), secret_key: sk.to_owned() })
            }
            (None, Some(_), None) => Err(CliError::Config("an access key needs its secret (SDRS_SK)".to_owned())),
            (None, None, _) => Err(CliError::Config(
                "no credential: set SDRS_TOKEN, or SDRS_AK and SDRS_SK (flags and profiles work too)".to_owned(),
            )),
        }
    }
}
