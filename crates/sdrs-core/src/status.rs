//! Closed string enums of the API: resource statuses, job status, priority station, fault level.

/// The text was not one of the enum's documented values.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{value}` is not a valid {kind}; expected one of: {expected}")]
pub struct UnknownValue {
    /// What was being parsed, e.g. "protection group status".
    pub kind: &'static str,
    /// The rejected text.
    pub value: String,
    /// The accepted values, comma-separated.
    pub expected: String,
}

/// Declares a closed enum whose wire form is a fixed string per variant.
macro_rules! wire_enum {
    (
        $(#[$meta:meta])*
        $name:ident, $kind:literal {
            $( $(#[$vmeta:meta])* $variant:ident = $text:literal ),+ $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum $name {
            $( $(#[$vmeta])* $variant ),+
        }

        impl $name {
            /// Every value, in documentation order.
            pub const ALL: &'static [$name] = &[ $( $name::$variant ),+ ];

            /// The value as it appears on the wire.
            pub fn as_str(self) -> &'static str {
                match self {
                    $( $name::$variant => $text ),+
                }
            }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl ::std::str::FromStr for $name {
            type Err = $crate::status::UnknownValue;

            fn from_str(text: &str) -> Result<Self, Self::Err> {
                match text {
                    $( $text => Ok($name::$variant), )+
                    _ => Err($crate::status::UnknownValue {
                        kind: $kind,
                        value: text.to_owned(),
                        expected: [$( $text ),+].join(", "),
                    }),
                }
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }

        impl schemars::JsonSchema for $name {
            fn schema_name() -> ::std::borrow::Cow<'static, str> {
                stringify!($name).into()
            }

            fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
                schemars::json_schema!({ "type": "string", "enum": [$( $text ),+] })
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
                text.parse().map_err(serde::de::Error::custom)
            }
        }
    };
}
pub(crate) use wire_enum;

wire_enum! {
    /// Status of a protection group (`server_group.status`).
    GroupStatus, "protection group status" {
        Creating = "creating",
        Available = "available",
        Protected = "protected",
        Deleting = "deleting",
        ErrorDeleting = "error-deleting",
        /// Creation failed.
        Error = "error",
        Starting = "starting",
        ErrorStarting = "error-starting",
        Reprotecting = "reprotecting",
        ErrorReprotecting = "error-reprotecting",
        Stopping = "stopping",
        ErrorStopping = "error-stopping",
        Reversing = "reversing",
        ErrorReversing = "error-reversing",
        FailingOver = "failing-over",
        FailedOver = "failed-over",
        ErrorFailingOver = "error-failing-over",
    }
}

impl GroupStatus {
    /// A job is running on the group; nothing else may start.
    pub fn is_transient(self) -> bool {
        matches!(
            self,
            GroupStatus::Creating
                | GroupStatus::Deleting
                | GroupStatus::Starting
                | GroupStatus::Reprotecting
                | GroupStatus::Stopping
                | GroupStatus::Reversing
                | GroupStatus::FailingOver
        )
    }

    /// The last job on the group failed (`error` or `error-*`).
    pub fn is_error(self) -> bool {
        self.as_str().starts_with("error")
    }
}

wire_enum! {
    /// Status of a protected instance (`protected_instance.status`).
    InstanceStatus, "protected instance status" {
        Creating = "creating",
        Available = "available",
        Deleting = "deleting",
        ErrorDeleting = "error-deleting",
        Error = "error",
        NicCreating = "nic-creating",
        NicDeleting = "nic-deleting",
        Starting = "starting",
        ErrorStarting = "error-starting",
        Protected = "protected",
        Reversing = "reversing",
        FailingOver = "failing-over",
        FailedOver = "failed-over",
        Reprotecting = "reprotecting",
        Stopping = "stopping",
        ErrorStopping = "error-stopping",
        ErrorReversing = "error-reversing",
        ErrorFailingOver = "error-failing-over",
        ErrorReprotecting = "error-reprotecting",
        Resizing = "resizing",
        ErrorResizing = "error-resizing",
        /// A server of the instance was deleted through the native interface.
        Invalid = "invalid",
        /// Replication synchronisation is abnormal.
        Fault = "fault",
    }
}

wire_enum! {
    /// Status of a replication pair (`replication.status`).
    ReplicationStatus, "replication pair status" {
        Creating = "creating",
        Available = "available",
        Deleting = "deleting",
        ErrorDeleting = "error-deleting",
        Error = "error",
        Extending = "extending",
        ErrorExtending = "error-extending",
        Starting = "starting",
        ErrorStarting = "error-starting",
        Protected = "protected",
        Reversing = "reversing",
        FailingOver = "failing-over",
        FailedOver = "failed-over",
        Reprotecting = "reprotecting",
        Stopping = "stopping",
        ErrorStopping = "error-stopping",
        ErrorReversing = "error-reversing",
        ErrorFailingOver = "error-failing-over",
        ErrorReprotecting = "error-reprotecting",
        /// A disk of the pair was deleted.
        Invalid = "invalid",
        Fault = "fault",
        Attaching = "attaching",
        Detaching = "detaching",
        ErrorAttaching = "error-attaching",
        ErrorDetaching = "error-detaching",
    }
}

wire_enum! {
    /// Status of a DR drill (`disaster_recovery_drill.status`).
    DrillStatus, "DR drill status" {
        Creating = "creating",
        Available = "available",
        Deleting = "deleting",
        ErrorDeleting = "error-deleting",
        Error = "error",
    }
}

wire_enum! {
    /// Status of an asynchronous job.
    JobStatus, "job status" {
        Init = "INIT",
        Running = "RUNNING",
        Success = "SUCCESS",
        Fail = "FAIL",
    }
}

impl JobStatus {
    /// The job has ended, one way or the other.
    pub fn is_finished(self) -> bool {
        matches!(self, JobStatus::Success | JobStatus::Fail)
    }
}

wire_enum! {
    /// Which site is the current production site: the group's creation-time production AZ
    /// (`source`) or its creation-time DR AZ (`target`).
    PriorityStation, "priority_station" {
        Source = "source",
        Target = "target",
    }
}

impl PriorityStation {
    /// The other site.
    pub fn flipped(self) -> PriorityStation {
        match self {
            PriorityStation::Source => PriorityStation::Target,
            PriorityStation::Target => PriorityStation::Source,
        }
    }

    /// Of a `source`-side and a `target`-side value, the one at this site.
    pub fn pick<T>(self, source: T, target: T) -> T {
        match self {
            PriorityStation::Source => source,
            PriorityStation::Target => target,
        }
    }
}

wire_enum! {
    /// A replication pair's `fault_level` (sent as a string).
    FaultLevel, "fault_level" {
        /// No fault.
        NoFault = "0",
        /// The production-site disk lost read/write access; a failover is advised.
        ProductionDiskFault = "2",
        /// The replication link is broken; a failover is not allowed.
        ReplicationLinkBroken = "5",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_round_trip_through_text() {
        for status in GroupStatus::ALL {
            assert_eq!(status.as_str().parse::<GroupStatus>(), Ok(*status));
            let json = serde_json::to_string(status).unwrap();
            assert_eq!(serde_json::from_str::<GroupStatus>(&json).unwrap(), *status);
        }
        assert_eq!(GroupStatus::ALL.len(), 17);
        assert_eq!(InstanceStatus::ALL.len(), 23);
        assert_eq!(ReplicationStatus::ALL.len(), 25);
    }

    #[test]
    fn unknown_text_is_rejected_with_the_accepted_values() {
        let err = "sideways".parse::<PriorityStation>().unwrap_err();
        assert_eq!(err.value, "sideways");
        assert_eq!(err.expected, "source, target");
        assert!(serde_json::from_str::<GroupStatus>("\"Protected\"").is_err());
    }

    #[test]
    fn transient_and_error_statuses_are_disjoint() {
        for status in GroupStatus::ALL {
            assert!(!(status.is_transient() && status.is_error()), "{status}");
        }
        assert!(GroupStatus::Error.is_error());
        assert!(GroupStatus::ErrorFailingOver.is_error());
        assert!(!GroupStatus::FailedOver.is_error());
    }
}

wire_enum! {
    /// A named step of a job, reported as a sub-job's `job_type` (sdrs-server's names for the work SDRS does).
    Step, "job step" {
        CreateProtectionGroup = "createProtectionGroup",
        DeleteProtectionGroup = "deleteProtectionGroup",
        CreateReplicationSessions = "createReplicationSessions",
        SynchroniseData = "synchroniseData",
        ReverseReplicationDirection = "reverseReplicationDirection",
        ResumeReplication = "resumeReplication",
        StopProtectionGroupRepNoCg = "stopProtectionGroupRepNoCG",
        CheckProductionServersStopped = "checkProductionServersStopped",
        ReverseReplicationPairs = "reverseReplicationPairs",
        MoveNics = "moveNics",
        StartProductionServers = "startProductionServers",
        StopProductionServers = "stopProductionServers",
        FailoverReplicationPairs = "failoverReplicationPairs",
        StartDrServers = "startDrServers",
        CreateDrServer = "createDrServer",
        AttachDrNics = "attachDrNics",
        DeleteProtectedInstance = "deleteProtectedInstance",
        CreateDrDisk = "createDrDisk",
        CreateReplicationPair = "createReplicationPair",
        DeleteReplicationPair = "deleteReplicationPair",
        ExpandDisks = "expandDisks",
        AttachReplicationPair = "attachReplicationPair",
        DetachReplicationPair = "detachReplicationPair",
        CreateDrillServers = "createDrillServers",
        DeleteDrillServers = "deleteDrillServers",
    }
}
