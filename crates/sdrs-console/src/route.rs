//! The console's routes (`Route`: its pages, read from and written to the URL's fragment) and its two modules
//! (`Module`: which module shows which route).

use crate::view;

/// The console's pages. A hash router, so the console also works from a static file host.
#[derive(Debug, Clone, PartialEq)]
pub enum Route {
    Overview,
    Groups,
    Group { id: String },
    Operation { id: String, operation: view::ConsoleOperation },
    Job { id: String },
    Activity,
    History { id: String },
    Plans,
    Plan { id: String },
    Run { id: String },
    Rules,
    Webhooks,
    Settings,
    NotFound,
}

/// The route's path in the page's fragment and back, written out for the fourteen fixed paths (`router.rs` says why
/// there is no router crate). Ids in paths are the API's ids (UUIDs, or `new` for a plan not yet saved), taken as
/// they are. `tests::every_route_reads_back_from_its_path` keeps the two in step.
impl Route {
    pub fn to_path(&self) -> String {
        match self {
            Route::Overview => "/".to_owned(),
            Route::Groups => "/groups".to_owned(),
            Route::Group { id } => format!("/groups/{id}"),
            Route::Operation { id, operation } => format!("/groups/{id}/do/{operation}"),
            Route::Job { id } => format!("/jobs/{id}"),
            Route::Activity => "/activity".to_owned(),
            Route::History { id } => format!("/activity/{id}"),
            Route::Plans => "/plans".to_owned(),
            Route::Plan { id } => format!("/plans/{id}"),
            Route::Run { id } => format!("/runs/{id}"),
            Route::Rules => "/rules".to_owned(),
            Route::Webhooks => "/webhooks".to_owned(),
            Route::Settings => "/settings".to_owned(),
            Route::NotFound => "/404".to_owned(),
        }
    }

    /// The route of a path; any path that is not one of the console's reads as the not-found page.
    pub fn recognize(pathname: &str) -> Route {
        Route::parse(pathname).unwrap_or(Route::NotFound)
    }
}

impl Route {
    fn parse(pathname: &str) -> Option<Route> {
        let segments: Vec<&str> = pathname.trim_matches('/').split('/').collect();
        let id = |segment: &str| (!segment.is_empty()).then(|| segment.to_owned());
        Some(match segments.as_slice() {
            [""] => Route::Overview,
            ["groups"] => Route::Groups,
            ["groups", group] => Route::Group { id: id(group)? },
            ["groups", group, "do", operation] => {
                Route::Operation { id: id(group)?, operation: operation.parse().ok()? }
            }
            ["jobs", job] => Route::Job { id: id(job)? },
            ["activity"] => Route::Activity,
            ["activity", resource] => Route::History { id: id(resource)? },
            ["plans"] => Route::Plans,
            ["plans", plan] => Route::Plan { id: id(plan)? },
            ["runs", run] => Route::Run { id: id(run)? },
            ["rules"] => Route::Rules,
            ["webhooks"] => Route::Webhooks,
            ["settings"] => Route::Settings,
            _ => return None,
        })
    }
}

/// The console is built as two wasm modules, so that the pages an incident needs load first and alone: the
/// incident module (`index.html`: overview, groups, a group, its operations and jobs) and the planning module
/// (`plans/index.html`: recovery plans, their runs, the rule explorer, the audit trail, notifications). Each holds only its own pages; a route of the
/// other one opens the other page. `scripts/size-check` holds each module to its size budget.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Module {
    Incident,
    Planning,
}

impl Module {
    /// Whether this module shows the route. The connection settings and the not-found page are in both.
    pub fn shows(self, route: &Route) -> bool {
        match route {
            Route::Plans
            | Route::Plan { .. }
            | Route::Run { .. }
            | Route::Rules
            | Route::Webhooks
            | Route::Activity
            | Route::History { .. } => self == Module::Planning,
            Route::Settings | Route::NotFound => true,
            Route::Overview | Route::Groups | Route::Group { .. } | Route::Operation { .. } | Route::Job { .. } => {
                self == Module::Incident
            }
        }
    }

    /// Where a route of the other module opens from this module's page. Relative, with the file named, so that a
    /// static file host without directory indexes serves it too.
    pub fn link_to_other(self, route: &Route) -> String {
        let page = match self {
            Module::Incident => "plans/index.html",
            Module::Planning => "../index.html",
        };
        format!("{page}#{}", route.to_path())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn every_route() -> Vec<Route> {
        let id = || "g1".to_owned();
        vec![
            Route::Overview,
            Route::Groups,
            Route::Group { id: id() },
            Route::Operation { id: id(), operation: view::ConsoleOperation::Drill },
            Route::Job { id: id() },
            Route::Activity,
            Route::History { id: id() },
            Route::Plans,
            Route::Plan { id: id() },
            Route::Run { id: id() },
            Route::Rules,
            Route::Webhooks,
            Route::Settings,
            Route::NotFound,
        ]
    }

    #[test]
    fn every_route_reads_back_from_its_path() {
        for route in every_route() {
            assert_eq!(Route::recognize(&route.to_path()), route, "{}", route.to_path());
        }
        for operation in view::ConsoleOperation::ALL {
            let route = Route::Operation { id: "g1".into(), operation };
            assert_eq!(Route::recognize(&route.to_path()), route);
        }
        for unknown in ["/nope", "/groups//do/failover", "/groups/g1/do/nothing", "/plans/p1/extra", "/jobs/"] {
            assert_eq!(Route::recognize(unknown), Route::NotFound, "{unknown}");
        }
        assert_eq!(Route::recognize(""), Route::Overview, "no fragment at all");
        assert_eq!(Route::recognize("/groups/g1/"), Route::Group { id: "g1".into() }, "a trailing slash");
    }

    #[test]
    fn every_route_has_a_module_and_the_incident_pages_are_in_the_first_one() {
        for route in every_route() {
            assert!(Module::Incident.shows(&route) || Module::Planning.shows(&route), "{route:?} is in neither module");
        }
        for route in [Route::Overview, Route::Groups, Route::Group { id: "g".into() }, Route::Job { id: "j".into() }] {
            assert!(Module::Incident.shows(&route) && !Module::Planning.shows(&route), "{route:?}");
        }
        let drill = Route::Operation { id: "g".into(), operation: view::ConsoleOperation::Drill };
        assert!(Module::Incident.shows(&drill) && !Module::Planning.shows(&drill), "a DR drill starts from its group");
        let failover = Route::Operation { id: "g".into(), operation: view::ConsoleOperation::ALL[5] };
        assert_eq!(failover.to_path(), "/groups/g/do/failover");
        assert!(Module::Incident.shows(&failover) && !Module::Planning.shows(&failover));
        for route in [Route::Plans, Route::Run { id: "r".into() }, Route::Rules] {
            assert!(Module::Planning.shows(&route) && !Module::Incident.shows(&route), "{route:?}");
        }
        assert!(Module::Incident.shows(&Route::Settings) && Module::Planning.shows(&Route::Settings));
    }

    #[test]
    fn a_route_of_the_other_module_opens_its_page_at_the_same_route() {
        assert_eq!(Module::Incident.link_to_other(&Route::Run { id: "r1".into() }), "plans/index.html#/runs/r1");
        assert_eq!(Module::Planning.link_to_other(&Route::Group { id: "g1".into() }), "../index.html#/groups/g1");
        let operation = Route::Operation { id: "g1".into(), operation: view::ConsoleOperation::Drill };
        let link = Module::Planning.link_to_other(&operation);
        assert_eq!(Route::recognize(link.split_once('#').unwrap().1), operation, "{link}");
    }
}
