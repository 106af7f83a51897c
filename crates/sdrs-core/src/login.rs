//! Which password or key pair logs in to which server after a failover, planned failover or DR drill — from the seed's rules only.
//!
//! The engine answers in the seed's terms: server A is the production server before the first planned
//! failover or failover (`source_server`), server B the DR server (`target_server`). Where the page says
//! nothing it answers "not documented" and says what is known instead; where two of its statements
//! disagree it says so in `discrepancies`.

use serde::{Deserialize, Serialize};

use crate::catalogue::{ErrorCode, SdrsCoded};
use crate::role_swap::SeedServer;
use crate::seed::{Citation, SeedRule};
use crate::status::{wire_enum, PriorityStation};

/// The server's operating system and its initialisation agent.
///
/// On the wire `{"family": "linux", "coreos": false, "cloud_init": true}`; read through the flat
/// [`OsProfileBody`] rather than as an internally tagged enum, whose buffering costs sdrs-wasm several KB.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[serde(tag = "family", rename_all = "kebab-case")]
pub enum OsProfile {
    Windows {
        /// Cloudbase-Init is installed.
        cloudbase_init: bool,
    },
    Linux {
        coreos: bool,
        /// Cloud-Init is installed.
        cloud_init: bool,
    },
}

wire_enum! {
    /// An operating-system family.
    OsFamily, "OS family" {
        Windows = "windows",
        Linux = "linux",
    }
}

/// The wire form of an [`OsProfile`], read flat.
#[derive(Deserialize)]
struct OsProfileBody {
    family: OsFamily,
    cloudbase_init: Option<bool>,
    coreos: Option<bool>,
    cloud_init: Option<bool>,
}

/// An OS profile without a field its family needs.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("missing field `{field}` (needed for {family} servers)")]
pub struct OsProfileError {
    pub family: OsFamily,
    pub field: &'static str,
}

impl<'de> Deserialize<'de> for OsProfile {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        OsProfileBody::deserialize(deserializer)?.try_into().map_err(serde::de::Error::custom)
    }
}

impl TryFrom<OsProfileBody> for OsProfile {
    type Error = OsProfileError;

    fn try_from(body: OsProfileBody) -> Result<OsProfile, OsProfileError> {
        let family = body.family;
        let need = |value: Option<bool>, field: &'static str| value.ok_or(OsProfileError { family, field });
        Ok(match family {
            OsFamily::Windows => OsProfile::Windows { cloudbase_init: need(body.cloudbase_init, "cloudbase_init")? },
            OsFamily::Linux => OsProfile::Linux {
                coreos: need(body.coreos, "coreos")?,
                cloud_init: need(body.cloud_init, "cloud_init")?,
            },
        })
    }
}

wire_enum! {
    /// How the server was set up to be logged in to.
    LoginMethod, "login method" {
        Password = "password",
        KeyPair = "key-pair",
    }
}

wire_enum! {
    /// Whether Cloudbase-Init has started on the server since the failover.
    #[derive(Default)]
    CloudbaseInitState, "Cloudbase-Init state" {
        NotStarted = "not-started",
        Started = "started",
        #[default]
        Unknown = "unknown",
    }
}

wire_enum! {
    /// The operation after which the operator wants to log in.
    AfterOperation, "operation" {
        Failover = "failover",
        PlannedFailover = "planned-failover",
        DrDrill = "dr-drill",
    }
}

wire_enum! {
    /// Which server the operator wants to log in to, by its role now.
    ServerRole, "server role" {
        /// The current production site server.
        Production = "production",
        /// The current DR site server.
        Dr = "dr",
        /// A DR drill server.
        Drill = "drill",
    }
}

/// Real server names, where known, to put next to "server A" and "server B".
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServerNames {
    #[serde(default)]
    pub server_a: Option<String>,
    #[serde(default)]
    pub server_b: Option<String>,
    #[serde(default)]
    pub drill_server: Option<String>,
}

fn default_true() -> bool {
    true
}

/// A question to the login engine: a server profile and a situation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoginQuestion {
    pub os: OsProfile,
    pub login: LoginMethod,
    pub after: AfterOperation,
    /// The first planned failover or failover of the group (ignored for drills).
    #[serde(default = "default_true")]
    pub first_time: bool,
    pub server: ServerRole,
    /// The group's `priority_station` after the operation; needed after a later failover to tell A from B.
    #[serde(default)]
    pub production_site: Option<PriorityStation>,
    /// Whether server A's password was changed before the failover (Linux password logins).
    #[serde(default)]
    pub password_changed_before_failover: Option<bool>,
    /// Windows with Cloudbase-Init only.
    #[serde(default)]
    pub cloudbase_init: CloudbaseInitState,
    #[serde(default)]
    pub names: ServerNames,
}

/// The question cannot be answered as asked.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LoginQuestionError {
    #[error("after a DR drill, ask about the drill server (server `drill`)")]
    DrillNeedsDrillServer,
    #[error("a drill server exists only after a DR drill; choose `production` or `dr`")]
    DrillServerNeedsDrill,
    #[error(
        "after a later failover, give `production_site` (the group's priority_station) to tell server A from server B"
    )]
    ProductionSiteRequired,
    #[error("the first planned failover or failover always moves production to server B (`target`), as in Table 1")]
    FirstFailoverEndsAtTarget,
}

impl SdrsCoded for LoginQuestionError {
    fn code(&self) -> ErrorCode {
        ErrorCode::SDRS_0201
    }
}

/// The server the question is about.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TargetServer {
    pub role: ServerRole,
    /// A or B; absent for a drill server.
    #[serde(default)]
    pub seed: Option<SeedServer>,
    #[serde(default)]
    pub name: Option<String>,
}

wire_enum! {
    /// What kind of secret logs in.
    CredentialKind, "credential kind" {
        Password = "password",
        /// Windows key-pair login: the password decrypted with the key pair.
        PasswordFromKeyPair = "password-obtained-with-key-pair",
        /// Linux key-pair login over SSH.
        KeyPair = "key-pair",
    }
}

wire_enum! {
    /// Which version of the secret.
    CredentialVersion, "credential version" {
        /// The one in use before the operation.
        BeforeFailover = "as-before-failover",
        /// The one configured when the server was created.
        AsCreated = "as-created",
        /// The new one set before the failover.
        ChangedBeforeFailover = "as-changed-before-failover",
        /// The one configured at creation, or the new one if it was changed before the failover.
        AsCreatedOrChanged = "as-created-or-changed",
        /// A new one, after a reset.
        NewlyReset = "newly-reset",
        /// Obtained again with the key pair.
        ObtainedAgain = "obtained-again",
        /// The one reset or obtained after the first planned failover or failover.
        SinceFirstFailover = "set-after-first-failover",
    }
}

/// The secret that logs in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Credential {
    pub kind: CredentialKind,
    /// Whose secret it is.
    pub of: SeedServer,
    #[serde(default)]
    pub of_name: Option<String>,
    pub version: CredentialVersion,
    /// The same, in words.
    pub text: String,
}

wire_enum! {
    /// Something to do before logging in.
    StepAction, "step" {
        CheckCloudbaseInit = "check-cloudbase-init",
        ResetPassword = "reset-password",
        ObtainPasswordAgain = "obtain-password-again",
    }
}

/// A step to take before logging in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Step {
    pub action: StepAction,
    #[serde(default)]
    pub server: Option<SeedServer>,
    pub text: String,
}

/// A documented way in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Advice {
    pub credential: Credential,
    /// What to do first.
    pub first: Vec<Step>,
    /// What may change under the operator's feet.
    pub cautions: Vec<String>,
}

/// The engine's answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Answer {
    /// The seed says which credential logs in.
    Use(Advice),
    /// The seed's answer depends on whether Cloudbase-Init has started, which the question leaves open.
    DependsOnCloudbaseInit { check: Step, until_started: Advice, once_started: Advice },
    /// The seed does not say; `known` is what it does say around the question.
    NotDocumented { known: String },
}

wire_enum! {
    /// Two statements of the seed that disagree where this question falls.
    Discrepancy, "discrepancy" {
        GeneralWithInitVsScenario3 = "general-with-init-vs-scenario-3",
        CoreOsNoteServerNames = "coreos-note-server-names",
    }
}

impl Discrepancy {
    /// The disagreement in words, and which side the answer follows.
    pub fn explanation(self) -> &'static str {
        match self {
            Discrepancy::GeneralWithInitVsScenario3 => {
                "The general statement says that on servers with Cloud-Init installed the password or key pair \
                 changes after the first planned failover, failover or DR drill. Scenario 3 (Linux) does not \
                 depend on Cloud-Init and its note says the password of a non-CoreOS server does not change. \
                 This answer follows Scenario 3, the more specific rule; if the credential is refused, the \
                 general statement is the one that applied."
            }
            Discrepancy::CoreOsNoteServerNames => {
                "The CoreOS note says to log in to \"production site server A or DR site server B\", but Table 1 \
                 puts server B at the production site and server A at the DR site after the first failover. \
                 Either way the credential is server A's initial password."
            }
        }
    }
}

/// A discrepancy as shown: its id and explanation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DiscrepancyNote {
    pub id: Discrepancy,
    pub explanation: String,
}

/// The full answer: the server, what logs in, the rules it comes from and any disagreement among them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoginExplanation {
    pub server: TargetServer,
    pub answer: Answer,
    pub citations: Vec<Citation>,
    pub discrepancies: Vec<DiscrepancyNote>,
    /// The answer in one paragraph.
    pub summary: String,
}

impl LoginExplanation {
    /// Whether the seed documents an answer.
    pub fn is_documented(&self) -> bool {
        !matches!(self.answer, Answer::NotDocumented { .. })
    }

    /// The ids of the rules cited.
    pub fn rules(&self) -> Vec<SeedRule> {
        self.citations.iter().map(|c| c.0).collect()
    }
}

/// Answers a login question from the seed's rules.
pub fn explain_login(question: &LoginQuestion) -> Result<LoginExplanation, LoginQuestionError> {
    let server = target_server(question)?;
    let mut ctx = Context { question, rules: Vec::new(), discrepancies: Vec::new() };
    let answer = match question.os {
        OsProfile::Windows { cloudbase_init: false } => ctx.windows_without_cloudbase_init(&server),
        OsProfile::Windows { cloudbase_init: true } => ctx.windows_with_cloudbase_init(&server),
        OsProfile::Linux { coreos, cloud_init } => ctx.linux(&server, coreos, cloud_init),
    };
    let summary = summarise(question, &server, &answer);
    Ok(LoginExplanation {
        server,
        answer,
        citations: ctx.rules.into_iter().map(Citation).collect(),
        discrepancies: ctx
            .discrepancies
            .into_iter()
            .map(|id| DiscrepancyNote { id, explanation: id.explanation().to_owned() })
            .collect(),
        summary,
    })
}

fn target_server(question: &LoginQuestion) -> Result<TargetServer, LoginQuestionError> {
    let is_drill = question.after == AfterOperation::DrDrill;
    match (is_drill, question.server) {
        (true, ServerRole::Drill) => {
            return Ok(TargetServer { role: ServerRole::Drill, seed: None, name: question.names.drill_server.clone() })
        }
        (true, _) => return Err(LoginQuestionError::DrillNeedsDrillServer),
        (false, ServerRole::Drill) => return Err(LoginQuestionError::DrillServerNeedsDrill),
        (false, _) => {}
    }
    let production_site = if question.first_time {
        if question.production_site == Some(PriorityStation::Source) {
            return Err(LoginQuestionError::FirstFailoverEndsAtTarget);
        }
        PriorityStation::Target
    } else {
        question.production_site.ok_or(LoginQuestionError::ProductionSiteRequired)?
    };
    let production = SeedServer::at_production(production_site);
    let seed = if question.server == ServerRole::Production { production } else { production.other() };
    Ok(TargetServer { role: question.server, seed: Some(seed), name: name_of(question, seed) })
}

fn name_of(question: &LoginQuestion, seed: SeedServer) -> Option<String> {
    match seed {
        SeedServer::A => question.names.server_a.clone(),
        SeedServer::B => question.names.server_b.clone(),
    }
}

struct Context<'q> {
    question: &'q LoginQuestion,
    rules: Vec<SeedRule>,
    discrepancies: Vec<Discrepancy>,
}

impl Context<'_> {
    fn cite(&mut self, rules: &[SeedRule]) {
        for rule in rules {
            if !self.rules.contains(rule) {
                self.rules.push(*rule);
            }
        }
    }

    fn credential(&self, kind: CredentialKind, of: SeedServer, version: CredentialVersion) -> Credential {
        let of_name = name_of(self.question, of);
        let who = match &of_name {
            Some(name) => format!("server {of} ({name})"),
            None => format!("server {of}"),
        };
        let text = match (kind, version) {
            (CredentialKind::KeyPair, _) => format!("the key pair of {who}, over SSH"),
            (CredentialKind::PasswordFromKeyPair, CredentialVersion::ObtainedAgain) => {
                format!("the password of {who}, obtained again with its key pair")
            }
            (CredentialKind::PasswordFromKeyPair, CredentialVersion::SinceFirstFailover) => {
                format!("the password of {who} that you obtained with its key pair after the first planned failover or failover")
            }
            (CredentialKind::PasswordFromKeyPair, _) => format!("the password obtained from {who} with its key pair"),
            (CredentialKind::Password, CredentialVersion::AsCreated) => {
                format!("the login password configured when {who} was created")
            }
            (CredentialKind::Password, CredentialVersion::ChangedBeforeFailover) => {
                format!("the new password {who} was given before the failover")
            }
            (CredentialKind::Password, CredentialVersion::AsCreatedOrChanged) => format!(
                "the password of {who}: the one configured when it was created or, if it was changed before the failover, the new one"
            ),
            (CredentialKind::Password, CredentialVersion::NewlyReset) => {
                format!("a new password, set by resetting the password of {who}")
            }
            (CredentialKind::Password, CredentialVersion::SinceFirstFailover) => {
                format!("the password you set by resetting {who}'s password after the first planned failover or failover")
            }
            (CredentialKind::Password, _) => format!("the password of {who}"),
        };
        Credential { kind, of, of_name, version, text }
    }

    fn use_credential(&self, kind: CredentialKind, of: SeedServer, version: CredentialVersion) -> Answer {
        Answer::Use(Advice { credential: self.credential(kind, of, version), first: Vec::new(), cautions: Vec::new() })
    }

    fn is_first_or_drill(&self) -> bool {
        self.question.first_time || self.question.after == AfterOperation::DrDrill
    }

    /// Scenario 1 and its note: server A's credentials log in to both servers, now and later.
    fn windows_without_cloudbase_init(&mut self, _server: &TargetServer) -> Answer {
        let password = self.question.login == LoginMethod::Password;
        if self.is_first_or_drill() {
            self.cite(&[SeedRule::GeneralWithoutInit, SeedRule::Table1]);
            self.cite_drill();
            self.cite(&[if password { SeedRule::Scenario1Password } else { SeedRule::Scenario1KeyPair }]);
        } else {
            self.cite(&[SeedRule::Scenario1Note]);
        }
        let kind = if password { CredentialKind::Password } else { CredentialKind::PasswordFromKeyPair };
        self.use_credential(kind, SeedServer::A, CredentialVersion::BeforeFailover)
    }

    /// Scenario 2 and its note: only server B is covered.
    fn windows_with_cloudbase_init(&mut self, server: &TargetServer) -> Answer {
        let password = self.question.login == LoginMethod::Password;
        if self.question.after == AfterOperation::DrDrill {
            self.cite(&[SeedRule::GeneralWithInit, SeedRule::DrillAsDrSite]);
            return Answer::NotDocumented {
                known: "Drill servers follow the DR site server's rule, and Scenario 2 gives none for the DR site \
                        server (server A). The general statement says the password or key pair of a DR drill \
                        server with Cloudbase-Init changes after the first DR drill."
                    .to_owned(),
            };
        }
        if self.question.first_time {
            self.cite(&[SeedRule::GeneralWithInit, SeedRule::Table1]);
            if server.seed == Some(SeedServer::A) {
                return Answer::NotDocumented {
                    known: "Scenario 2 covers only the production site server B. The general statement says the \
                            password or key pair of the DR site server (server A) changes after the first planned \
                            failover or failover, without saying what to use instead."
                        .to_owned(),
                };
            }
            return self.scenario_2_first_time(password);
        }
        self.cite(&[SeedRule::Scenario2Note]);
        if server.seed == Some(SeedServer::A) {
            return Answer::NotDocumented {
                known: "The Scenario 2 note says credentials stay the same from the second planned failover or \
                        failover on, but names only server B's: the password reset (or obtained) after the first one."
                    .to_owned(),
            };
        }
        self.cite(&[if password { SeedRule::Scenario2NotePassword } else { SeedRule::Scenario2NoteKeyPair }]);
        let kind = if password { CredentialKind::Password } else { CredentialKind::PasswordFromKeyPair };
        self.use_credential(kind, SeedServer::B, CredentialVersion::SinceFirstFailover)
    }

    fn scenario_2_first_time(&mut self, password: bool) -> Answer {
        let (before_rule, after_rule) = if password {
            (SeedRule::Scenario2PasswordBeforeStart, SeedRule::Scenario2PasswordAfterStart)
        } else {
            (SeedRule::Scenario2KeyPairBeforeStart, SeedRule::Scenario2KeyPairAfterStart)
        };
        let until_started = Advice {
            credential: self.credential(CredentialKind::Password, SeedServer::B, CredentialVersion::BeforeFailover),
            first: Vec::new(),
            cautions: vec![format!(
                "This works only until Cloudbase-Init starts (normally within three to five minutes after the \
                 production site server starts). After that this password is invalid and you must {}.",
                if password { "reset server B's password" } else { "obtain server B's password again" }
            )],
        };
        let once_started = if password {
            Advice {
                credential: self.credential(CredentialKind::Password, SeedServer::B, CredentialVersion::NewlyReset),
                first: vec![Step {
                    action: StepAction::ResetPassword,
                    server: Some(SeedServer::B),
                    text: "Reset the login password of server B; the one set before the failover is invalid."
                        .to_owned(),
                }],
                cautions: Vec::new(),
            }
        } else {
            Advice {
                credential: self.credential(
                    CredentialKind::PasswordFromKeyPair,
                    SeedServer::B,
                    CredentialVersion::ObtainedAgain,
                ),
                first: vec![Step {
                    action: StepAction::ObtainPasswordAgain,
                    server: Some(SeedServer::B),
                    text: "Obtain the login password of server B again with its key pair; the one obtained before \
                           the failover is invalid."
                        .to_owned(),
                }],
                cautions: Vec::new(),
            }
        };
        match self.question.cloudbase_init {
            CloudbaseInitState::NotStarted => {
                self.cite(&[before_rule]);
                Answer::Use(until_started)
            }
            CloudbaseInitState::Started => {
                self.cite(&[after_rule]);
                Answer::Use(once_started)
            }
            CloudbaseInitState::Unknown => {
                self.cite(&[before_rule, after_rule]);
                Answer::DependsOnCloudbaseInit {
                    check: Step {
                        action: StepAction::CheckCloudbaseInit,
                        server: Some(SeedServer::B),
                        text: "Check whether Cloudbase-Init has started on server B; it normally starts within \
                               three to five minutes after the production site server starts."
                            .to_owned(),
                    },
                    until_started,
                    once_started,
                }
            }
        }
    }

    /// Scenario 3 and its notes: server A's credentials, documented for the first failover only.
    fn linux(&mut self, _server: &TargetServer, coreos: bool, cloud_init: bool) -> Answer {
        if !self.is_first_or_drill() {
            self.cite(&[SeedRule::Scenario3Password, SeedRule::Scenario3KeyPair]);
            return Answer::NotDocumented {
                known: "The seed documents Linux logins only after the first planned failover or failover: then \
                        server A's password or key pair logs in to both the production site server B and the DR \
                        site server A (Scenario 3). It says nothing about later ones."
                    .to_owned(),
            };
        }
        self.cite(&[
            if cloud_init { SeedRule::GeneralWithInit } else { SeedRule::GeneralWithoutInit },
            SeedRule::Table1,
        ]);
        self.cite_drill();
        if cloud_init {
            self.discrepancies.push(Discrepancy::GeneralWithInitVsScenario3);
        }
        if self.question.login == LoginMethod::KeyPair {
            self.cite(&[SeedRule::Scenario3KeyPair]);
            return self.use_credential(CredentialKind::KeyPair, SeedServer::A, CredentialVersion::BeforeFailover);
        }
        self.cite(&[SeedRule::Scenario3Password]);
        if coreos {
            self.cite(&[SeedRule::Scenario3NoteCoreOs]);
            self.discrepancies.push(Discrepancy::CoreOsNoteServerNames);
            let mut answer = self.use_credential(CredentialKind::Password, SeedServer::A, CredentialVersion::AsCreated);
            if self.question.password_changed_before_failover != Some(false) {
                if let Answer::Use(advice) = &mut answer {
                    advice.cautions.push(
                        "CoreOS restores server A's initial password: a password changed before the failover no \
                         longer works."
                            .to_owned(),
                    );
                }
            }
            return answer;
        }
        let (rules, version): (&[SeedRule], _) = match self.question.password_changed_before_failover {
            Some(false) => (&[SeedRule::Scenario3PasswordUnchanged], CredentialVersion::AsCreated),
            Some(true) => (&[SeedRule::Scenario3PasswordChanged], CredentialVersion::ChangedBeforeFailover),
            None => (
                &[SeedRule::Scenario3PasswordUnchanged, SeedRule::Scenario3PasswordChanged],
                CredentialVersion::AsCreatedOrChanged,
            ),
        };
        self.cite(rules);
        self.cite(&[SeedRule::Scenario3NoteNonCoreOs]);
        self.use_credential(CredentialKind::Password, SeedServer::A, version)
    }

    fn cite_drill(&mut self) {
        if self.question.after == AfterOperation::DrDrill {
            self.cite(&[SeedRule::DrillAsDrSite]);
        }
    }
}

fn summarise(question: &LoginQuestion, server: &TargetServer, answer: &Answer) -> String {
    let occasion = match (question.after, question.first_time) {
        (AfterOperation::DrDrill, _) => "After a DR drill".to_owned(),
        (operation, true) => format!("After the first {}", operation_words(operation)),
        (operation, false) => format!("After a later {}", operation_words(operation)),
    };
    let target = match (server.seed, &server.name) {
        (None, Some(name)) => format!("the DR drill server {name}"),
        (None, None) => "the DR drill server".to_owned(),
        (Some(seed), name) => {
            let role = if server.role == ServerRole::Production { "production" } else { "DR" };
            match name {
                Some(name) => format!("server {seed} ({name}), now the {role} site server"),
                None => format!("server {seed}, now the {role} site server"),
            }
        }
    };
    let advice_words = |advice: &Advice| {
        let mut words = String::new();
        for step in &advice.first {
            words.push_str(&step.text);
            words.push(' ');
        }
        words.push_str(&format!("Use {}.", advice.credential.text));
        for caution in &advice.cautions {
            words.push(' ');
            words.push_str(caution);
        }
        words
    };
    let body = match answer {
        Answer::Use(advice) => advice_words(advice),
        Answer::DependsOnCloudbaseInit { check, until_started, once_started } => format!(
            "{} Until it has started: {} Once it has started: {}",
            check.text,
            advice_words(until_started),
            advice_words(once_started)
        ),
        Answer::NotDocumented { known } => format!("Not documented. {known}"),
    };
    format!("{occasion}, to log in to {target}: {body}")
}

fn operation_words(operation: AfterOperation) -> &'static str {
    match operation {
        AfterOperation::Failover => "failover",
        AfterOperation::PlannedFailover => "planned failover",
        AfterOperation::DrDrill => "DR drill",
    }
}
