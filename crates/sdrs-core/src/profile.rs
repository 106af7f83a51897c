//! A server's profile for the login rules and the pre-checks, from what the compute (ECS) and image (IMS) services say
//! about it: each fact with its source, an unknown left unknown, an operator's override shown as such.
//!
//! The inferences, each from a documented source:
//! - **OS family**: ECS `metadata.os_type` (`Linux`, `Windows`); else IMS `__os_type`.
//! - **Login**: a `key_name` on the ECS server means it was created with a key pair; none, with a password (ECS
//!   creates a server with one or the other).
//! - **CoreOS**: IMS `__platform` (`CoreOS` or another); else `CoreOS` in ECS `metadata.image_name`.
//! - **Cloud-Init / Cloudbase-Init**: a public image (IMS `__imagetype` `gold`) has it: "All standard (Standard_xxx)
//!   and enterprise (Enterprise_xxx) images support Cloud-Init or Cloudbase-Init. Only certain community images
//!   (Community_xxx) do not support it" (the ECS user guide, *Cloud-Init/Cloudbase-Init*), so a `Community_` image
//!   stays unknown. A private, shared or market image has it only if its maker installed it ("you must install
//!   Cloud-Init or Cloudbase-Init on the ECSs before using them to create private images"): unknown.
//! - **Power state**: ECS `status`: `ACTIVE` running, `SHUTOFF` stopped, `DELETED`/`SOFT_DELETED` deleted; any
//!   other status (`BUILD`, `REBOOT`, `ERROR`, …) tells neither.
//!
//! A fact the services do not tell (the server or its image unreadable: 404, 403; a private image) stays unknown; the
//! guidance then answers for each value it could have and says which fact decides ([`crate::guidance`]).

use serde::{Deserialize, Serialize};

use crate::login::{LoginMethod, OsFamily, OsProfile};
use crate::snapshot::{PowerState, ServerFacts};
use crate::wire::{EcsServer, ImsImage};

/// One fact about a server: its value, or `None` when not known, and where it comes from (or why it is unknown).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Inferred<T> {
    pub value: Option<T>,
    pub source: String,
}

impl<T> Inferred<T> {
    pub fn known(value: T, source: impl Into<String>) -> Inferred<T> {
        Inferred { value: Some(value), source: source.into() }
    }

    pub fn unknown(why: impl Into<String>) -> Inferred<T> {
        Inferred { value: None, source: why.into() }
    }
}

/// What the login rules and pre-checks need to know about one server.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ServerProfile {
    pub server_id: String,
    #[serde(default)]
    pub name: Option<String>,
    pub family: Inferred<OsFamily>,
    pub coreos: Inferred<bool>,
    /// Cloud-Init (Linux) or Cloudbase-Init (Windows) installed.
    pub init_installed: Inferred<bool>,
    pub login: Inferred<LoginMethod>,
    pub power_state: Inferred<PowerState>,
}

/// What reading a server or an image from its service came to.
#[derive(Debug, Clone, Copy)]
pub enum Lookup<'a, T> {
    Found(&'a T),
    /// The service did not give it: its answer in words (`404 Ecs.0114 …`, `403 …`, "no answer").
    Failed(&'a str),
}

/// A server's profile from ECS's answer about it and IMS's about its image (`None`: the image was not asked for,
/// because the server could not be read or names none).
pub fn profile_from_cloud(
    server_id: &str,
    server: Lookup<'_, EcsServer>,
    image: Option<Lookup<'_, ImsImage>>,
) -> ServerProfile {
    let server = match server {
        Lookup::Found(server) => server,
        Lookup::Failed(answer) => {
            let why = format!("ECS did not give the server ({answer})");
            return ServerProfile {
                server_id: server_id.to_owned(),
                name: None,
                family: Inferred::unknown(why.clone()),
                coreos: Inferred::unknown(why.clone()),
                init_installed: Inferred::unknown(why.clone()),
                login: Inferred::unknown(why.clone()),
                power_state: Inferred::unknown(why),
            };
        }
    };
    let image = match image {
        Some(Lookup::Found(image)) => Ok(image),
        Some(Lookup::Failed(answer)) => Err(format!("IMS did not give the server's image ({answer})")),
        None => Err("the server names no image".to_owned()),
    };
    let family = match non_empty(&server.metadata.os_type).and_then(os_family) {
        Some(family) => Inferred::known(family, "ECS metadata.os_type"),
        None => match image.as_ref().ok().and_then(|i| i.os_type.as_deref()).and_then(os_family) {
            Some(family) => Inferred::known(family, "IMS __os_type of the server's image"),
            None => Inferred::unknown("neither ECS metadata.os_type nor the image's IMS __os_type says"),
        },
    };
    let image_name = non_empty(&server.metadata.image_name);
    let coreos = match (&image, image_name) {
        (Ok(ImsImage { platform: Some(platform), .. }), _) => {
            Inferred::known(platform.eq_ignore_ascii_case("CoreOS"), format!("IMS __platform `{platform}`"))
        }
        (_, Some(name)) if name.to_ascii_lowercase().contains("coreos") => {
            Inferred::known(true, format!("ECS metadata.image_name `{name}`"))
        }
        (Err(why), _) => Inferred::unknown(format!("{why}, and ECS metadata.image_name does not name CoreOS")),
        (Ok(_), _) => Inferred::unknown("the image's IMS __platform is not set"),
    };
    let init_installed = match &image {
        Ok(image) => match image.imagetype.as_deref() {
            Some("gold") if image.name.starts_with("Community_") => Inferred::unknown(format!(
                "`{}` is a community public image: \"only certain community images do not support\" Cloud-Init",
                image.name
            )),
            Some("gold") => Inferred::known(
                true,
                format!(
                    "`{}` is a public image (IMS __imagetype gold): public images have Cloud-Init or Cloudbase-Init",
                    image.name
                ),
            ),
            Some(kind) => Inferred::unknown(format!(
                "`{}` is a {kind} image (IMS __imagetype): it has Cloud-Init or Cloudbase-Init only if its maker \
                 installed it, which IMS does not say",
                image.name
            )),
            None => Inferred::unknown("the image's IMS __imagetype is not set"),
        },
        Err(why) => Inferred::unknown(why.clone()),
    };
    let login = match server.key_name.as_deref().filter(|k| !k.is_empty()) {
        Some(key) => Inferred::known(LoginMethod::KeyPair, format!("ECS key_name `{key}`: created with a key pair")),
        None => Inferred::known(LoginMethod::Password, "ECS key_name is empty: created with a password"),
    };
    let power_state = match server.status.as_str() {
        "ACTIVE" => Inferred::known(PowerState::Running, "ECS status ACTIVE"),
        "SHUTOFF" => Inferred::known(PowerState::Stopped, "ECS status SHUTOFF"),
        "DELETED" | "SOFT_DELETED" => Inferred::known(PowerState::Deleted, format!("ECS status {}", server.status)),
        other => Inferred::unknown(format!("ECS status `{other}` is neither running nor stopped")),
    };
    ServerProfile {
        server_id: server.id.clone(),
        name: Some(server.name.clone()).filter(|n| !n.is_empty()),
        family,
        coreos,
        init_installed,
        login,
        power_state,
    }
}

fn os_family(text: &str) -> Option<OsFamily> {
    match text.to_ascii_lowercase().as_str() {
        "linux" => Some(OsFamily::Linux),
        "windows" => Some(OsFamily::Windows),
        _ => None,
    }
}

/// The values a profile's OS facts could have, each with the words that state its assumptions ("if Cloudbase-Init is
/// installed"); one case, with no assumption, when every fact is known.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProfileCase {
    pub os: OsProfile,
    pub login: LoginMethod,
    pub assumptions: Vec<String>,
}

impl ServerProfile {
    /// Every OS profile and login method the known facts allow.
    pub fn cases(&self) -> Vec<ProfileCase> {
        let families = match self.family.value {
            Some(family) => vec![(family, None)],
            None => vec![
                (OsFamily::Windows, Some("if it runs Windows".to_owned())),
                (OsFamily::Linux, Some("if it runs Linux".to_owned())),
            ],
        };
        let logins = match self.login.value {
            Some(login) => vec![(login, None)],
            None => vec![
                (LoginMethod::Password, Some("if it was created with a password".to_owned())),
                (LoginMethod::KeyPair, Some("if it was created with a key pair".to_owned())),
            ],
        };
        let mut cases = Vec::new();
        for (family, family_words) in &families {
            let tool = match family {
                OsFamily::Windows => "Cloudbase-Init",
                OsFamily::Linux => "Cloud-Init",
            };
            let inits = match self.init_installed.value {
                Some(init) => vec![(init, None)],
                None => vec![
                    (true, Some(format!("if {tool} is installed"))),
                    (false, Some(format!("if {tool} is not installed"))),
                ],
            };
            let coreos = match (family, self.coreos.value) {
                (OsFamily::Windows, _) => vec![(false, None)],
                (OsFamily::Linux, Some(coreos)) => vec![(coreos, None)],
                (OsFamily::Linux, None) => {
                    vec![(false, Some("if it is not CoreOS".to_owned())), (true, Some("if it is CoreOS".to_owned()))]
                }
            };
            for (init, init_words) in &inits {
                for (coreos, coreos_words) in &coreos {
                    for (login, login_words) in &logins {
                        let os = match family {
                            OsFamily::Windows => OsProfile::Windows { cloudbase_init: *init },
                            OsFamily::Linux => OsProfile::Linux { coreos: *coreos, cloud_init: *init },
                        };
                        let assumptions = [family_words, coreos_words, init_words, login_words]
                            .into_iter()
                            .flatten()
                            .cloned()
                            .collect();
                        cases.push(ProfileCase { os, login: *login, assumptions });
                    }
                }
            }
        }
        cases
    }

    /// The same profile with the operator's own statement of the OS and the login method in place of what the
    /// services say, marked as theirs.
    pub fn overridden(mut self, os: Option<OsProfile>, login: Option<LoginMethod>) -> ServerProfile {
        const GIVEN: &str = "given by the operator, in place of what the services say";
        if let Some(os) = os {
            let (family, coreos, init) = match os {
                OsProfile::Windows { cloudbase_init } => (OsFamily::Windows, false, cloudbase_init),
                OsProfile::Linux { coreos, cloud_init } => (OsFamily::Linux, coreos, cloud_init),
            };
            self.family = Inferred::known(family, GIVEN);
            self.coreos = Inferred::known(coreos, GIVEN);
            self.init_installed = Inferred::known(init, GIVEN);
        }
        if let Some(login) = login {
            self.login = Inferred::known(login, GIVEN);
        }
        self
    }

    /// A profile whose every fact is known, from one source (sdrs-server's own inventory, a test).
    pub fn known(
        server_id: &str,
        name: Option<&str>,
        os: OsProfile,
        login: LoginMethod,
        power_state: PowerState,
        source: &str,
    ) -> ServerProfile {
        let profile = ServerProfile {
            server_id: server_id.to_owned(),
            name: name.map(str::to_owned),
            family: Inferred::unknown(""),
            coreos: Inferred::unknown(""),
            init_installed: Inferred::unknown(""),
            login: Inferred::unknown(""),
            power_state: Inferred::known(power_state, source),
        };
        let mut profile = profile.overridden(Some(os), Some(login));
        for source_of in [&mut profile.family.source, &mut profile.coreos.source, &mut profile.init_installed.source] {
            *source_of = source.to_owned();
        }
        profile.login.source = source.to_owned();
        profile
    }

    /// What a pre-check reads: the power state, where known.
    pub fn facts(&self) -> Option<ServerFacts> {
        let power_state = self.power_state.value?;
        Some(ServerFacts { id: self.server_id.clone(), name: self.name.clone(), power_state })
    }

    /// Each fact with its value and source, for a person.
    pub fn notes(&self) -> Vec<String> {
        fn line<T>(what: &str, fact: &Inferred<T>, shown: impl Fn(&T) -> String) -> String {
            match &fact.value {
                Some(value) => format!("{what}: {} ({})", shown(value), fact.source),
                None => format!("{what}: not known ({})", fact.source),
            }
        }
        let tool = match self.family.value {
            Some(OsFamily::Windows) => "Cloudbase-Init",
            Some(OsFamily::Linux) => "Cloud-Init",
            None => "Cloud-Init or Cloudbase-Init",
        };
        vec![
            line("OS", &self.family, |f| f.as_str().to_owned()),
            line("CoreOS", &self.coreos, |c| if *c { "yes" } else { "no" }.to_owned()),
            line(tool, &self.init_installed, |i| if *i { "installed" } else { "not installed" }.to_owned()),
            line("login", &self.login, |l| l.as_str().to_owned()),
            line("power", &self.power_state, |p| p.as_str().to_owned()),
        ]
    }
}

/// A value a service gave, unless it is empty (ECS writes `""` for a metadata key it has no value for).
fn non_empty(value: &Option<String>) -> Option<&str> {
    value.as_deref().filter(|value| !value.is_empty())
}
