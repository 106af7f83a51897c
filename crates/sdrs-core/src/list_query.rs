//! The query of every list operation: one table of the keys each list documents ([`ListKind::documented_keys`]),
//! and the raw pairs parsed once into a validated [`ListQuery`].
//!
//! A key the list does not document is refused (`SDRS.0201`, naming the keys it accepts) rather than ignored: a
//! filter a user relies on that a list silently dropped would return everything, and at 3 a.m. "every group" reads
//! like "the groups I asked for". The one key accepted beyond the documentation is `marker` (keyset paging: the
//! items after the one with that id), which openstacksdk-based clients (`otcextensions`) send when they page.
//!
//! Each list's keys and their meaning come from the official SDK's request models (`huaweicloudsdksdrs` 3.1.219,
//! `List*Request`), which the OTC API reference agrees with:
//! - `server_group_ids` overrides `server_group_id`; on the protected-instance list either overrides
//!   `protected_instance_ids`; on the replication-pair list `protected_instance_ids` overrides
//!   `protected_instance_id`. An id list is written `['id1','id2']`, at most 30 ids.
//! - `availability_zone` is the *current production-site* AZ of the resource's group.
//! - `query_type` is `general` (or empty: no filter) or `status_abnormal`, and on the group list also
//!   `stop_protected` and `period_no_dr_drill`.

use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};

use crate::request::{parse_id_list, parse_paging, Paging, RequestError};
use crate::status::{DrillStatus, GroupStatus, InstanceStatus, ReplicationStatus};

/// A list operation of the API (and of this tool's own recovery-plan API).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ListKind {
    ServerGroups,
    ProtectedInstances,
    Replications,
    Drills,
    FailureJobs,
    /// This tool's own: recovery plans, and a plan's runs.
    RecoveryPlans,
    PlanRuns,
}

impl ListKind {
    /// Every list.
    pub const ALL: &'static [ListKind] = &[
        ListKind::ServerGroups,
        ListKind::ProtectedInstances,
        ListKind::Replications,
        ListKind::Drills,
        ListKind::FailureJobs,
        ListKind::RecoveryPlans,
        ListKind::PlanRuns,
    ];

    /// The query keys the list's documentation names, in its order (for this tool's own lists, its own document).
    pub const fn documented_keys(self) -> &'static [&'static str] {
        match self {
            ListKind::ServerGroups => &["limit", "offset", "status", "name", "query_type", "availability_zone"],
            ListKind::ProtectedInstances => &[
                "server_group_id",
                "server_group_ids",
                "protected_instance_ids",
                "limit",
                "offset",
                "status",
                "name",
                "query_type",
                "availability_zone",
            ],
            ListKind::Replications => &[
                "server_group_id",
                "server_group_ids",
                "protected_instance_id",
                "protected_instance_ids",
                "name",
                "status",
                "limit",
                "offset",
                "query_type",
                "availability_zone",
            ],
            ListKind::Drills => &["server_group_id", "name", "status", "drill_vpc_id", "limit", "offset"],
            ListKind::FailureJobs => {
                &["failure_status", "resource_name", "server_group_id", "resource_type", "limit", "offset"]
            }
            ListKind::RecoveryPlans | ListKind::PlanRuns => &["limit", "offset"],
        }
    }

    /// The keys this server accepts beyond the documented ones: `marker` on the lists of stored resources.
    pub const fn extension_keys(self) -> &'static [&'static str] {
        match self {
            ListKind::FailureJobs => &[],
            _ => &["marker"],
        }
    }

    /// The largest page, and the page when `limit` is absent: the API's 1,000, and for this tool's own lists what
    /// keeps a page within a client's 16 MiB answer (a plan is at most `plan::MAX_PLAN_BYTES`).
    pub const fn max_limit(self) -> u32 {
        match self {
            ListKind::RecoveryPlans => 50,
            ListKind::PlanRuns => 100,
            _ => crate::request::MAX_LIMIT,
        }
    }

    /// Whether the list accepts `key`.
    pub fn accepts(self, key: &str) -> bool {
        self.documented_keys().contains(&key) || self.extension_keys().contains(&key)
    }

    /// The list's name in refusals.
    pub const fn label(self) -> &'static str {
        match self {
            ListKind::ServerGroups => "protection groups",
            ListKind::ProtectedInstances => "protected instances",
            ListKind::Replications => "replication pairs",
            ListKind::Drills => "DR drills",
            ListKind::FailureJobs => "failed jobs",
            ListKind::RecoveryPlans => "recovery plans",
            ListKind::PlanRuns => "plan runs",
        }
    }

    /// The `query_type` values the list documents besides `general`.
    pub const fn query_types(self) -> &'static [QueryType] {
        match self {
            ListKind::ServerGroups => {
                &[QueryType::StatusAbnormal, QueryType::StopProtected, QueryType::PeriodNoDrDrill]
            }
            ListKind::ProtectedInstances | ListKind::Replications => &[QueryType::StatusAbnormal],
            _ => &[],
        }
    }
}

/// A `query_type` other than `general`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QueryType {
    /// Resources in an abnormal status (see [`ListQuery::abnormal_statuses`]).
    StatusAbnormal,
    /// Groups whose protection is not running: `available` or `failed-over`.
    StopProtected,
    /// Groups without a DR drill in the last three months; this server keeps no drill history, so: without a drill.
    PeriodNoDrDrill,
}

impl QueryType {
    pub const fn as_str(self) -> &'static str {
        match self {
            QueryType::StatusAbnormal => "status_abnormal",
            QueryType::StopProtected => "stop_protected",
            QueryType::PeriodNoDrDrill => "period_no_dr_drill",
        }
    }
}

/// A list's query, validated: every documented key the list has, with the documented precedence applied.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ListQuery {
    pub paging: Paging,
    /// The status filter, checked against the listed kind's statuses.
    pub status: Option<String>,
    /// A substring of the name.
    pub name: Option<String>,
    pub query_type: Option<QueryType>,
    /// The current production-site AZ of the resource's group (of the group itself on the group list).
    pub availability_zone: Option<String>,
    /// The groups the resources belong to (`server_group_ids`, or else `server_group_id`).
    pub server_group_ids: Option<Vec<String>>,
    /// Protected instances: the instances themselves; replication pairs: the pairs attached to them.
    pub protected_instance_ids: Option<Vec<String>>,
    pub drill_vpc_id: Option<String>,
    pub failure_status: Option<String>,
    pub resource_name: Option<String>,
    pub resource_type: Option<String>,
    /// Only the items after the one with this id, in list order (this server's extension).
    pub marker: Option<String>,
}

impl ListQuery {
    /// Parses the decoded query pairs of `list`. An undocumented key is refused; an empty value means "no filter";
    /// where a key repeats the first value wins (the server refuses repeated keys before this).
    pub fn parse<'a>(
        list: ListKind,
        pairs: impl IntoIterator<Item = (&'a str, &'a str)> + Clone,
    ) -> Result<ListQuery, RequestError> {
        if let Some((key, _)) = pairs.clone().into_iter().find(|(key, _)| !list.accepts(key)) {
            return Err(RequestError::UndocumentedQueryKey {
                key: key.to_owned(),
                list: list.label(),
                accepted: [list.documented_keys(), list.extension_keys()].concat().join(", "),
            });
        }
        let value = |key: &str| pairs.clone().into_iter().find(|(k, v)| *k == key && !v.is_empty()).map(|(_, v)| v);
        let owned = |key: &str| value(key).map(str::to_owned);
        let ids = |key: &str| value(key).map(|raw| parse_id_list(key, raw)).transpose();
        let status = value("status").map(|text| valid_status(list, text)).transpose()?;
        let query_type = match value("query_type") {
            None | Some("general") => None,
            Some(text) => Some(
                list.query_types()
                    .iter()
                    .copied()
                    .find(|q| q.as_str() == text)
                    .ok_or_else(|| RequestError::InvalidQueryType { value: text.to_owned(), list: list.label() })?,
            ),
        };
        let groups = match ids("server_group_ids")? {
            Some(list) => Some(list),
            None => owned("server_group_id").map(|id| vec![id]),
        };
        let instances = match list {
            // Either group filter overrides the instance ids on this list.
            ListKind::ProtectedInstances if groups.is_some() => None,
            ListKind::ProtectedInstances => ids("protected_instance_ids")?,
            _ => match ids("protected_instance_ids")? {
                Some(list) => Some(list),
                None => owned("protected_instance_id").map(|id| vec![id]),
            },
        };
        Ok(ListQuery {
            paging: parse_paging(pairs.clone(), list.max_limit())?,
            status,
            name: owned("name"),
            query_type,
            availability_zone: owned("availability_zone"),
            server_group_ids: groups,
            protected_instance_ids: instances,
            drill_vpc_id: owned("drill_vpc_id"),
            failure_status: owned("failure_status"),
            resource_name: owned("resource_name"),
            resource_type: owned("resource_type"),
            marker: owned("marker"),
        })
    }

    /// The statuses `status_abnormal` selects on `list`, when it was asked for: a group's `error` and `error-*`; an
    /// instance's or a pair's `error`, `error-*`, `invalid` and `fault`. (A pair whose `fault_level` is not `0` is
    /// abnormal too, whatever its status; the store adds that, since it is not a status.)
    pub fn abnormal_statuses(&self, list: ListKind) -> Option<Vec<&'static str>> {
        if self.query_type != Some(QueryType::StatusAbnormal) {
            return None;
        }
        let abnormal = |text: &str| text.starts_with("error") || text == "invalid" || text == "fault";
        Some(match list {
            ListKind::ServerGroups => GroupStatus::ALL.iter().filter(|s| s.is_error()).map(|s| s.as_str()).collect(),
            ListKind::ProtectedInstances => {
                InstanceStatus::ALL.iter().map(|s| s.as_str()).filter(|s| abnormal(s)).collect()
            }
            ListKind::Replications => {
                ReplicationStatus::ALL.iter().map(|s| s.as_str()).filter(|s| abnormal(s)).collect()
            }
            _ => Vec::new(),
        })
    }
}

/// A status filter must be one of the listed kind's statuses (`SDRS.0209` otherwise).
fn valid_status(list: ListKind, text: &str) -> Result<String, RequestError> {
    match list {
        ListKind::ServerGroups => text.parse::<GroupStatus>().map(GroupStatus::as_str)?,
        ListKind::ProtectedInstances => text.parse::<InstanceStatus>().map(InstanceStatus::as_str)?,
        ListKind::Replications => text.parse::<ReplicationStatus>().map(ReplicationStatus::as_str)?,
        ListKind::Drills => text.parse::<DrillStatus>().map(DrillStatus::as_str)?,
        // Lists without a status key never get here: the key is refused first.
        _ => text,
    };
    Ok(text.to_owned())
}

/// What a query value keeps as it is: RFC 3986's unreserved characters; everything else is percent-encoded.
const QUERY_VALUE: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'_').remove(b'.').remove(b'~');

/// Percent-encodes one query value, as every client writes its list filters (`name=web%20tier`).
pub fn encode_query_value(value: &str) -> String {
    utf8_percent_encode(value, QUERY_VALUE).to_string()
}

/// Appends `&key=value` to a query string for each filter that is given, its value encoded: how the CLI and the
/// console write a list's filters.
pub fn append_filters(query: &mut String, filters: &[(&str, Option<&str>)]) {
    for (key, value) in filters {
        if let Some(value) = value {
            query.push('&');
            query.push_str(key);
            query.push('=');
            query.push_str(&encode_query_value(value));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalogue::{ErrorCode, SdrsCoded};

    #[test]
    fn a_query_value_keeps_only_unreserved_characters() {
        assert_eq!(encode_query_value("web tier/é&x=['a']~-_."), "web%20tier%2F%C3%A9%26x%3D%5B%27a%27%5D~-_.");
        let mut query = "limit=5".to_owned();
        append_filters(&mut query, &[("name", Some("web tier")), ("status", None), ("marker", Some("m&1"))]);
        assert_eq!(query, "limit=5&name=web%20tier&marker=m%261");
    }

    #[test]
    fn undocumented_keys_are_refused_naming_what_the_list_accepts() {
        let error = ListQuery::parse(ListKind::Replications, [("availabilty_zone", "eu-de-02")]).unwrap_err();
        assert_eq!(error.code(), ErrorCode::SDRS_0201);
        let text = error.to_string();
        assert!(text.contains("availabilty_zone") && text.contains("availability_zone, marker"), "{text}");
        assert!(ListQuery::parse(ListKind::FailureJobs, [("marker", "x")]).is_err());
        assert_eq!(ListQuery::parse(ListKind::Drills, [("marker", "x")]).unwrap().marker.as_deref(), Some("x"));
    }

    #[test]
    fn the_documented_precedence_holds() {
        let q = ListQuery::parse(
            ListKind::ProtectedInstances,
            [("server_group_id", "g1"), ("server_group_ids", "['g2','g3']"), ("protected_instance_ids", "['i1']")],
        )
        .unwrap();
        assert_eq!(q.server_group_ids, Some(vec!["g2".to_owned(), "g3".to_owned()]));
        assert_eq!(q.protected_instance_ids, None, "a group filter overrides the instance ids");
        let q = ListQuery::parse(
            ListKind::Replications,
            [("server_group_id", "g1"), ("protected_instance_id", "i1"), ("protected_instance_ids", "['i2']")],
        )
        .unwrap();
        assert_eq!(q.server_group_ids, Some(vec!["g1".to_owned()]));
        assert_eq!(q.protected_instance_ids, Some(vec!["i2".to_owned()]));
    }

    #[test]
    fn query_types_are_those_the_list_documents() {
        let parse = |list, value| ListQuery::parse(list, [("query_type", value)]);
        assert_eq!(
            parse(ListKind::Replications, "status_abnormal").unwrap().query_type,
            Some(QueryType::StatusAbnormal)
        );
        assert_eq!(parse(ListKind::Replications, "general").unwrap().query_type, None);
        assert_eq!(parse(ListKind::Replications, "stop_protected").unwrap_err().code(), ErrorCode::SDRS_0201);
        assert_eq!(parse(ListKind::ServerGroups, "stop_protected").unwrap().query_type, Some(QueryType::StopProtected));
        let abnormal = parse(ListKind::Replications, "status_abnormal").unwrap();
        let statuses = abnormal.abnormal_statuses(ListKind::Replications).unwrap();
        assert!(statuses.contains(&"invalid") && statuses.contains(&"error-failing-over"));
        assert!(!statuses.contains(&"protected"));
    }

    #[test]
    fn a_status_must_be_one_of_the_kinds() {
        let parse = |list, value| ListQuery::parse(list, [("status", value)]);
        assert_eq!(parse(ListKind::Drills, "available").unwrap().status.as_deref(), Some("available"));
        assert_eq!(parse(ListKind::Drills, "protected").unwrap_err().code(), ErrorCode::SDRS_0209);
        assert_eq!(parse(ListKind::Replications, "").unwrap().status, None);
    }
}
