//! The rules of the SDRS failover page on post-failover login, quoted verbatim so every answer can cite its source.

use serde::{Serialize, Serializer};

use crate::status::wire_enum;

wire_enum! {
    /// A statement of the failover page's section "Restrictions on Logging In to a Server After You Perform
    /// a Planned Failover, Failover, or DR Drill for the First Time".
    SeedRule, "seed rule" {
        GeneralWithInit = "general-with-init",
        GeneralWithoutInit = "general-without-init",
        Table1 = "table-1",
        DrillAsDrSite = "drill-as-dr-site",
        Scenario1Password = "scenario-1-password",
        Scenario1KeyPair = "scenario-1-key-pair",
        Scenario1Note = "scenario-1-note",
        Scenario2PasswordBeforeStart = "scenario-2-password-before-start",
        Scenario2PasswordAfterStart = "scenario-2-password-after-start",
        Scenario2KeyPairBeforeStart = "scenario-2-key-pair-before-start",
        Scenario2KeyPairAfterStart = "scenario-2-key-pair-after-start",
        Scenario2Note = "scenario-2-note",
        Scenario2NotePassword = "scenario-2-note-password",
        Scenario2NoteKeyPair = "scenario-2-note-key-pair",
        Scenario3Password = "scenario-3-password",
        Scenario3PasswordUnchanged = "scenario-3-password-unchanged",
        Scenario3PasswordChanged = "scenario-3-password-changed",
        Scenario3NoteNonCoreOs = "scenario-3-note-non-coreos",
        Scenario3NoteCoreOs = "scenario-3-note-coreos",
        Scenario3KeyPair = "scenario-3-key-pair",
    }
}

impl SeedRule {
    /// Where on the page the statement stands.
    pub fn title(self) -> &'static str {
        use SeedRule::*;
        match self {
            GeneralWithInit => "Restrictions on logging in, servers with Cloud-Init/Cloudbase-Init",
            GeneralWithoutInit => "Restrictions on logging in, servers without Cloud-Init/Cloudbase-Init",
            Table1 => "Table 1: production and DR site servers after a planned failover or failover",
            DrillAsDrSite => "DR drill servers follow the DR site server",
            Scenario1Password => "Scenario 1 (Windows without Cloudbase-Init), password login",
            Scenario1KeyPair => "Scenario 1 (Windows without Cloudbase-Init), key pair login",
            Scenario1Note => "Scenario 1 note: from the second planned failover or failover",
            Scenario2PasswordBeforeStart => {
                "Scenario 2 (Windows with Cloudbase-Init), password login, before Cloudbase-Init starts"
            }
            Scenario2PasswordAfterStart => {
                "Scenario 2 (Windows with Cloudbase-Init), password login, after Cloudbase-Init starts"
            }
            Scenario2KeyPairBeforeStart => {
                "Scenario 2 (Windows with Cloudbase-Init), key pair login, before Cloudbase-Init starts"
            }
            Scenario2KeyPairAfterStart => {
                "Scenario 2 (Windows with Cloudbase-Init), key pair login, after Cloudbase-Init starts"
            }
            Scenario2Note => "Scenario 2 note: from the second planned failover or failover",
            Scenario2NotePassword => "Scenario 2 note, password login",
            Scenario2NoteKeyPair => "Scenario 2 note, key pair login",
            Scenario3Password => "Scenario 3 (Linux), password login",
            Scenario3PasswordUnchanged => "Scenario 3 (Linux), password not changed before the failover",
            Scenario3PasswordChanged => "Scenario 3 (Linux), password changed before the failover",
            Scenario3NoteNonCoreOs => "Scenario 3 note, OSs other than CoreOS",
            Scenario3NoteCoreOs => "Scenario 3 note, CoreOS",
            Scenario3KeyPair => "Scenario 3 (Linux), key pair login",
        }
    }

    /// The statement, verbatim (Markdown and line breaks removed).
    pub fn quote(self) -> &'static str {
        use SeedRule::*;
        match self {
            GeneralWithInit => "For servers with Cloud-Init/Cloudbase-Init installed, after you perform a planned failover, failover, or DR drill for the first time, Cloud-Init/Cloudbase-Init will start when the servers start for the first time to inject the initial data. The password or key pair for logging in to the production site server, DR site server, or DR drill server will change.",
            GeneralWithoutInit => "For servers without Cloud-Init/Cloudbase-Init installed, the password or key pair for logging in to the production site, DR site server, or DR drill server will not change after you perform a planned failover or failover for the first time.",
            Table1 => "Server A and server B are deployed. After the first time planned failover or failover, the production site server and DR site server are listed as follows. (Before: production site server A, DR site server B. After: production site server B, DR site server A.)",
            DrillAsDrSite => "For details about the login restrictions for the DR drill server, see the login restrictions for the DR site server in this scenario.",
            Scenario1Password | Scenario3Password => "If you choose to use a password for the server login, use the password of server A to log in to the production site server B or DR site server A.",
            Scenario1KeyPair => "If you choose to use a key pair for the server login, use the password obtained from server A to log in to the production site server B or DR site server A.",
            Scenario1Note => "From the second time planned failover or failover, the login password or key pair of the server without Cloudbase-Init installed will remain the same. Take servers listed in Table 1 as an example. You can use the password of server A to log in to the production site server or DR site server.",
            Scenario2PasswordBeforeStart | Scenario2KeyPairBeforeStart => "If Cloudbase-Init is not started (normally within three to five minutes after the production site server starts), you can use the password of server B for the login.",
            Scenario2PasswordAfterStart => "After the Cloudbase-Init is started, the login password of server B set before the planned failover or failover becomes invalid. You need to reset the login password of server B and then use the new password to log in to server B.",
            Scenario2KeyPairAfterStart => "After the Cloudbase-Init is started, the login password of server B obtained before the planned failover or failover becomes invalid. You need to obtain the login password of server B again.",
            Scenario2Note => "From the second time planned failover or failover, the login password or key pair of the server with Cloudbase-Init installed will remain the same.",
            Scenario2NotePassword => "Login using a password: Reset the password of server B and use the new password to log in to server B after the first time planned failover or failover.",
            Scenario2NoteKeyPair => "Login using a key pair: Obtain the password of server B and use the obtained password to log in to server B after the first time planned failover or failover.",
            Scenario3PasswordUnchanged => "If the login password of server A is not changed before the planned failover or failover, use the login password configured when server A is created after the planned failover or failover.",
            Scenario3PasswordChanged => "If the login password of server A is changed before the planned failover or failover, use the new login password after the planned failover or failover.",
            Scenario3NoteNonCoreOs => "For ECSs running OSs other than CoreOS, the login password does not change after the first-time planned failover or failover.",
            Scenario3NoteCoreOs => "For ECSs running CoreOS, the login password of server A will restore to the initial one after the first-time planned failover or failover. Therefore, you need to use the login password configured when server A is created to log in to production site server A or DR site server B.",
            Scenario3KeyPair => "If you choose to use a key pair for the server login, use the key pair of server A to log in to the production site server B or DR site server A in SSH mode.",
        }
    }
}

/// A rule as shown to people and programs: id, where it stands, and its words.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Citation(pub SeedRule);

impl Serialize for Citation {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut s = serializer.serialize_struct("Citation", 3)?;
        s.serialize_field("rule", &self.0)?;
        s.serialize_field("title", self.0.title())?;
        s.serialize_field("quote", self.0.quote())?;
        s.end()
    }
}

impl<'de> serde::Deserialize<'de> for Citation {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        #[derive(serde::Deserialize)]
        struct Raw {
            rule: SeedRule,
        }
        Raw::deserialize(deserializer).map(|raw| Citation(raw.rule))
    }
}
