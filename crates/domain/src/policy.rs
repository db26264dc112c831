//! Who may call each operation of the API, and how the object it names is checked: the one
//! declarative form of the authorization policy.
//!
//! Read by the server (the role gate every authenticated request passes, [`find`]), by the client
//! (what to offer a user, [`may_call`]) and by the authorization matrix test, which calls every
//! operation anonymously and as every role with an object of the caller's own scope and one of a
//! foreign scope and expects the answers this table implies. A route missing here is refused by the
//! server (500, logged) and fails the matrix.
//!
//! How to read a row: [`Callers`] is the answer for an object *in the caller's own scope* (its
//! authority, its province's authorities, a request it works on…). For an object outside it, a
//! caller whose grant does not reach it ([`reaches_everywhere`]) gets 404 where the object is not
//! public (a request, a meeting, an activity) and 403 where it is (an authority of the public
//! registry, an expert of the programme's directory) and the operation is a [`Callers::Roles`] one.

use crate::roles::set::*;
use crate::{Role, RoleScope, Scope};

/// Who may call an operation, on an object of their own scope.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Callers {
    /// Anyone, signed in or not.
    Public,
    /// Any signed-in user, whatever their role (the answer is limited to what they may see).
    AnyUser,
    /// Only these roles; other signed-in users get 403 (the server's role gate), anonymous callers 401.
    Roles(&'static [Role]),
    /// An object only these roles (or its owner) may see: other signed-in users get 404, so its
    /// existence does not leak; anonymous callers 401.
    Scoped(&'static [Role]),
    /// An object `allowed` roles may act on; `seeing` roles see it but may not act (403); other
    /// signed-in users get 404; anonymous callers 401.
    Acting {
        allowed: &'static [Role],
        seeing: &'static [Role],
    },
}

/// The object of an operation whose scope is checked against the caller's grants.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Object {
    /// Nothing scoped: the operation works on the caller's own data, on reference data, or only
    /// region-wide roles may call it.
    None,
    /// An authority (path `{istat_code}` or the body's `istat_code`): public registry data.
    Authority,
    /// An authority's standing in the programme (registration, phases, whether it may ask for
    /// support): programme staff see every authority's.
    Standing,
    /// A support request and what hangs off it (messages, activities, attachments).
    Request,
    /// A meeting.
    Meeting,
    /// An activity logged by an expert.
    Activity,
    /// An expert (path `{user_id}`): the programme's directory is known to its staff.
    Expert,
    /// A registration of a new authority representative.
    Registration,
    /// A notification: personal to its recipient.
    Notification,
}

impl Object {
    /// Whether callers who may not act on the object may still know it exists (403 instead of 404).
    pub fn is_public(self) -> bool {
        matches!(self, Self::Authority | Self::Expert)
    }
}

/// Whether a grant reaches every object of a kind, wherever it is (so a "foreign" object is no
/// different from one of its own scope). Region-wide grants reach everything but personal objects
/// (the administrator's reaches no request, meeting or authority's standing in the programme: those
/// are programme work, not oversight);
/// coordinators read every authority's monitoring; programme staff see every meeting.
pub fn reaches_everywhere(grant: &RoleScope, object: Object) -> bool {
    match object {
        Object::Notification => false,
        Object::Request | Object::Meeting | Object::Standing if grant.role == Role::Admin => false,
        _ if grant.scope == Scope::Region => true,
        Object::Authority => grant.role == Role::Coordinator,
        Object::Meeting | Object::Standing => {
            matches!(grant.role, Role::Expert | Role::Coordinator)
        }
        _ => false,
    }
}

/// One row of the policy.
#[derive(Debug, Clone, Copy)]
pub struct Rule {
    /// `METHOD /path/{param}`, exactly as in the OpenAPI document and the server's routes.
    pub op: &'static str,
    pub callers: Callers,
    pub object: Object,
}

impl Rule {
    /// The roles named by the row (allowed or seeing).
    pub fn roles(&self) -> impl Iterator<Item = Role> {
        let (a, b): (&[Role], &[Role]) = match self.callers {
            Callers::Public | Callers::AnyUser => (EVERYONE, &[]),
            Callers::Roles(r) | Callers::Scoped(r) => (r, &[]),
            Callers::Acting { allowed, seeing } => (allowed, seeing),
        };
        a.iter().chain(b).copied()
    }
}

const fn rule(op: &'static str, callers: Callers, object: Object) -> Rule {
    Rule {
        op,
        callers,
        object,
    }
}

use Callers::*;

/// Roles that see an authority's monitoring data (for their own authority, province, assigned
/// requests, or everywhere); writers are [`MONITORING_WRITERS`].
const MONITORING_READERS: &[Role] = EVERYONE;
/// Who sees a request of their scope and what hangs off it.
const REQUEST_READERS: &[Role] = PROGRAMME;
/// Who acts on a request of their scope (writes messages, attachments).
const REQUEST_WRITERS: &[Role] = &[
    Role::AuthorityRep,
    Role::AuthorityDelegate,
    Role::Expert,
    Role::Coordinator,
    Role::Secretariat,
];
/// Who sees a meeting: programme staff and observers everywhere, authorities their invitations.
const MEETING_READERS: &[Role] = PROGRAMME;

/// Who names and removes an authority's delegates: its representative and the secretariat; the
/// delegates see the list but may not change it; nobody else knows it.
const DELEGATE_MANAGERS: Callers = Acting {
    allowed: &[Role::Secretariat, Role::AuthorityRep],
    seeing: &[Role::AuthorityDelegate],
};

/// The policy: every operation of the API.
pub const POLICY: &[Rule] = &[
    // Session and reference data.
    rule("GET /api/v1/status", Public, Object::None),
    rule("POST /api/v1/auth/login", Public, Object::None),
    rule("POST /api/v1/auth/refresh", Public, Object::None),
    rule("POST /api/v1/auth/logout", Public, Object::None),
    rule("POST /api/v1/auth/password-reset", Public, Object::None),
    rule(
        "POST /api/v1/auth/password-reset/{token}",
        Public,
        Object::None,
    ),
    rule("GET /api/v1/me", AnyUser, Object::None),
    rule("GET /api/v1/authorities", Public, Object::None),
    rule("GET /api/v1/authorities/{istat_code}", Public, Object::None),
    rule("GET /api/v1/provinces", Public, Object::None),
    rule("GET /api/v1/task-forces", AnyUser, Object::None),
    rule("GET /api/v1/procedures", AnyUser, Object::None),
    rule("GET /api/v1/procedures/{id}", AnyUser, Object::None),
    rule("POST /api/v1/procedures", Roles(SECRETARIAT), Object::None),
    rule(
        "PATCH /api/v1/procedures/{id}",
        Roles(SECRETARIAT),
        Object::None,
    ),
    rule(
        "DELETE /api/v1/procedures/{id}",
        Roles(SECRETARIAT),
        Object::None,
    ),
    // Onboarding.
    rule("POST /api/v1/registrations", Public, Object::None),
    rule("GET /api/v1/registrations", AnyUser, Object::None),
    rule(
        "GET /api/v1/registrations/{id}",
        Scoped(SECRETARIAT),
        Object::Registration,
    ),
    rule(
        "GET /api/v1/registrations/{id}/protocol",
        Scoped(SECRETARIAT),
        Object::Registration,
    ),
    rule(
        "PUT /api/v1/registrations/{id}/protocol",
        Scoped(&[]),
        Object::Registration,
    ),
    rule(
        "POST /api/v1/registrations/{id}/approve",
        Roles(SECRETARIAT),
        Object::None,
    ),
    rule(
        "POST /api/v1/registrations/{id}/reject",
        Roles(SECRETARIAT),
        Object::None,
    ),
    rule("GET /api/v1/invitations/{token}", Public, Object::None),
    rule(
        "POST /api/v1/invitations/{token}/accept",
        Public,
        Object::None,
    ),
    rule(
        "POST /api/v1/authorities/{istat_code}/invitations",
        DELEGATE_MANAGERS,
        Object::Authority,
    ),
    rule(
        "GET /api/v1/authorities/{istat_code}/invitations",
        DELEGATE_MANAGERS,
        Object::Authority,
    ),
    rule(
        "DELETE /api/v1/authorities/{istat_code}/invitations/{id}",
        DELEGATE_MANAGERS,
        Object::Authority,
    ),
    rule(
        "GET /api/v1/authorities/{istat_code}/delegates",
        Scoped(&[
            Role::Secretariat,
            Role::AuthorityRep,
            Role::AuthorityDelegate,
        ]),
        Object::Authority,
    ),
    rule(
        "DELETE /api/v1/authorities/{istat_code}/delegates/{user_id}",
        DELEGATE_MANAGERS,
        Object::Authority,
    ),
    rule(
        "PUT /api/v1/authorities/{istat_code}/representative",
        Roles(SECRETARIAT),
        Object::None,
    ),
    // Phases.
    rule("GET /api/v1/phases", AnyUser, Object::None),
    rule("POST /api/v1/phases", Roles(SECRETARIAT), Object::None),
    rule("GET /api/v1/phases/{id}", AnyUser, Object::None),
    rule("GET /api/v1/phases/{id}/authorities", AnyUser, Object::None),
    rule(
        "POST /api/v1/phases/{id}/authorities",
        Roles(SECRETARIAT),
        Object::None,
    ),
    rule(
        "DELETE /api/v1/phases/{id}/authorities/{istat_code}",
        Roles(SECRETARIAT),
        Object::None,
    ),
    rule(
        "GET /api/v1/authorities/{istat_code}/programme-status",
        Scoped(PROGRAMME),
        Object::Standing,
    ),
    // Experts and task forces.
    rule("POST /api/v1/experts", Roles(SECRETARIAT), Object::None),
    rule("GET /api/v1/experts", Roles(STAFF), Object::None),
    rule("GET /api/v1/experts/{user_id}", Roles(STAFF), Object::None),
    rule(
        "PATCH /api/v1/experts/{user_id}",
        Roles(&[Role::Expert, Role::Secretariat]),
        Object::Expert,
    ),
    rule(
        "POST /api/v1/task-forces/{code}/coordinators",
        Roles(SECRETARIAT),
        Object::None,
    ),
    rule(
        "DELETE /api/v1/task-forces/{code}/coordinators/{user_id}",
        Roles(SECRETARIAT),
        Object::None,
    ),
    rule(
        "GET /api/v1/experts/{user_id}/timesheet",
        Scoped(STAFF),
        Object::Expert,
    ),
    rule(
        "GET /api/v1/experts/{user_id}/timesheet.csv",
        Scoped(STAFF),
        Object::Expert,
    ),
    // Meetings.
    rule("POST /api/v1/meetings", Roles(SECRETARIAT), Object::None),
    rule("GET /api/v1/meetings", AnyUser, Object::None),
    rule(
        "GET /api/v1/meetings/{id}",
        Scoped(MEETING_READERS),
        Object::Meeting,
    ),
    rule(
        "POST /api/v1/meetings/{id}/rsvp",
        Scoped(AUTHORITY),
        Object::Meeting,
    ),
    rule(
        "GET /api/v1/meetings/{id}/attendance.csv",
        Roles(SECRETARIAT),
        Object::None,
    ),
    rule(
        "GET /api/v1/meetings/{id}/calendar.ics",
        Scoped(MEETING_READERS),
        Object::Meeting,
    ),
    // Support requests.
    rule(
        "POST /api/v1/support-requests",
        Roles(AUTHORITY),
        Object::Authority,
    ),
    rule(
        "GET /api/v1/support-requests",
        Roles(PROGRAMME),
        Object::None,
    ),
    rule(
        "GET /api/v1/support-requests.csv",
        Roles(PROGRAMME),
        Object::None,
    ),
    rule(
        "GET /api/v1/support-requests/{id}",
        Scoped(REQUEST_READERS),
        Object::Request,
    ),
    rule(
        "PATCH /api/v1/support-requests/{id}",
        Scoped(AUTHORITY),
        Object::Request,
    ),
    rule(
        "POST /api/v1/support-requests/{id}/transitions",
        Acting {
            allowed: REQUEST_WRITERS,
            seeing: &[Role::Observer],
        },
        Object::Request,
    ),
    rule(
        "GET /api/v1/support-requests/{id}/candidates",
        Acting {
            allowed: TRIAGE,
            seeing: &[
                Role::AuthorityRep,
                Role::AuthorityDelegate,
                Role::Expert,
                Role::Observer,
            ],
        },
        Object::Request,
    ),
    rule(
        "GET /api/v1/support-requests/{id}/messages",
        Scoped(REQUEST_READERS),
        Object::Request,
    ),
    rule(
        "GET /api/v1/support-requests/{id}/messages/{message_id}",
        Scoped(REQUEST_READERS),
        Object::Request,
    ),
    rule(
        "POST /api/v1/support-requests/{id}/messages",
        Acting {
            allowed: REQUEST_WRITERS,
            seeing: &[Role::Observer],
        },
        Object::Request,
    ),
    rule(
        "GET /api/v1/support-requests/{id}/activities",
        Scoped(REQUEST_READERS),
        Object::Request,
    ),
    rule(
        "POST /api/v1/support-requests/{id}/activities",
        Acting {
            allowed: &[Role::Expert],
            seeing: &[
                Role::AuthorityRep,
                Role::AuthorityDelegate,
                Role::Coordinator,
                Role::Secretariat,
                Role::Observer,
            ],
        },
        Object::Request,
    ),
    rule(
        "PATCH /api/v1/activities/{id}",
        Scoped(&[Role::Expert]),
        Object::Activity,
    ),
    rule(
        "DELETE /api/v1/activities/{id}",
        Scoped(&[Role::Expert]),
        Object::Activity,
    ),
    rule(
        "POST /api/v1/support-requests/{id}/attachments",
        Acting {
            allowed: REQUEST_WRITERS,
            seeing: &[Role::Observer],
        },
        Object::Request,
    ),
    rule(
        "GET /api/v1/support-requests/{id}/attachments",
        Acting {
            allowed: REQUEST_WRITERS,
            seeing: &[Role::Observer],
        },
        Object::Request,
    ),
    rule(
        "GET /api/v1/support-requests/{id}/attachments/{attachment_id}",
        Acting {
            allowed: REQUEST_WRITERS,
            seeing: &[Role::Observer],
        },
        Object::Request,
    ),
    rule("GET /api/v1/reports/service", Roles(TRIAGE), Object::None),
    // Monitoring: the file register, semesters, targets, indicators.
    rule(
        "POST /api/v1/authorities/{istat_code}/register",
        Roles(MONITORING_WRITERS),
        Object::Authority,
    ),
    rule(
        "PUT /api/v1/authorities/{istat_code}/files/{codice_pratica}",
        Roles(MONITORING_WRITERS),
        Object::Authority,
    ),
    rule(
        "GET /api/v1/authorities/{istat_code}/files",
        Roles(MONITORING_READERS),
        Object::Authority,
    ),
    rule(
        "GET /api/v1/authorities/{istat_code}/files/{codice_pratica}",
        Roles(MONITORING_READERS),
        Object::Authority,
    ),
    rule(
        "DELETE /api/v1/authorities/{istat_code}/files/{codice_pratica}",
        Roles(MONITORING_WRITERS),
        Object::Authority,
    ),
    rule(
        "GET /api/v1/authorities/{istat_code}/semesters",
        Roles(MONITORING_READERS),
        Object::Authority,
    ),
    rule(
        "PUT /api/v1/authorities/{istat_code}/semesters/{period}/measurements",
        Roles(MONITORING_WRITERS),
        Object::Authority,
    ),
    rule(
        "POST /api/v1/authorities/{istat_code}/semesters/{period}/transitions",
        Roles(MONITORING_WRITERS),
        Object::Authority,
    ),
    rule(
        "GET /api/v1/authorities/{istat_code}/semesters/{period}/history",
        Roles(MONITORING_READERS),
        Object::Authority,
    ),
    rule(
        "GET /api/v1/semester-reports",
        Roles(OVERSIGHT),
        Object::None,
    ),
    rule("GET /api/v1/monitoring/settings", AnyUser, Object::None),
    rule(
        "PUT /api/v1/monitoring/settings",
        Roles(SECRETARIAT),
        Object::None,
    ),
    rule(
        "GET /api/v1/authorities/{istat_code}/targets",
        Roles(MONITORING_READERS),
        Object::Authority,
    ),
    rule(
        "PUT /api/v1/authorities/{istat_code}/targets",
        Roles(SECRETARIAT),
        Object::None,
    ),
    rule(
        "DELETE /api/v1/authorities/{istat_code}/targets",
        Roles(SECRETARIAT),
        Object::None,
    ),
    rule("GET /api/v1/indicators", Roles(EVERYONE), Object::Authority),
    rule(
        "GET /api/v1/indicators/completeness",
        Roles(EVERYONE),
        Object::Authority,
    ),
    rule(
        "GET /api/v1/indicators/rankings",
        Roles(EVERYONE),
        Object::Authority,
    ),
    rule("GET /api/v1/open-data/indicators.csv", Public, Object::None),
    // The caller's own notifications.
    rule("GET /api/v1/notifications", AnyUser, Object::None),
    rule(
        "GET /api/v1/notifications/unread-count",
        AnyUser,
        Object::None,
    ),
    rule(
        "POST /api/v1/notifications/{id}/read",
        Scoped(EVERYONE),
        Object::Notification,
    ),
    rule("POST /api/v1/notifications/read-all", AnyUser, Object::None),
    // Administration.
    rule("GET /api/v1/outbox", Roles(ADMIN), Object::None),
    rule("GET /api/v1/audit-events", Roles(ADMIN), Object::None),
    rule("GET /api/v1/users", Roles(ADMIN), Object::None),
    rule("POST /api/v1/users", Roles(ADMIN), Object::None),
    rule("GET /api/v1/users/{id}", Roles(ADMIN), Object::None),
    rule("POST /api/v1/users/{id}/grants", Roles(ADMIN), Object::None),
    rule(
        "DELETE /api/v1/users/{id}/grants/{grant_id}",
        Roles(ADMIN),
        Object::None,
    ),
];

/// The row of an operation: `method` as in HTTP (`GET`), `path` the route's template
/// (`/api/v1/authorities/{istat_code}`).
pub fn find(method: &str, path: &str) -> Option<&'static Rule> {
    POLICY.iter().find(|r| {
        r.op.split_once(' ')
            .is_some_and(|(m, p)| m.eq_ignore_ascii_case(method) && p == path)
    })
}

/// The row of `op` (`"GET /api/v1/users"`); `None` for an operation the policy does not know.
pub fn rule_of(op: &str) -> Option<&'static Rule> {
    POLICY.iter().find(|r| r.op == op)
}

/// Whether someone holding `roles` may call `op` on an object of their own scope (what a client
/// offers: a page, a button). Public operations answer true for everyone.
pub fn may_call(roles: impl IntoIterator<Item = Role>, op: &str) -> bool {
    let Some(rule) = rule_of(op) else {
        return false;
    };
    let allowed: &[Role] = match rule.callers {
        Public | AnyUser => return true,
        Roles(r) | Scoped(r) => r,
        Acting { allowed, .. } => allowed,
    };
    roles.into_iter().any(|r| allowed.contains(&r))
}

/// The role gate: `Err` with the roles that may call, when a signed-in caller holding `roles` may
/// not call the operation of `rule` whatever the object (a [`Callers::Roles`] row without any of
/// the caller's roles).
pub fn gate(rule: &Rule, roles: impl IntoIterator<Item = Role>) -> Result<(), &'static [Role]> {
    match rule.callers {
        Roles(allowed) if !roles.into_iter().any(|r| allowed.contains(&r)) => Err(allowed),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_operation_appears_once() {
        let mut seen = std::collections::BTreeSet::new();
        for r in POLICY {
            assert!(seen.insert(r.op), "{} twice", r.op);
            let (method, path) = r.op.split_once(' ').expect("METHOD /path");
            assert!(
                ["GET", "POST", "PUT", "PATCH", "DELETE"].contains(&method),
                "{}",
                r.op
            );
            assert!(path.starts_with("/api/v1/"), "{}", r.op);
        }
    }

    #[test]
    fn lookups_find_rows_by_method_and_template() {
        let r = find("get", "/api/v1/authorities/{istat_code}/files").unwrap();
        assert_eq!(r.object, Object::Authority);
        assert!(find("GET", "/api/v1/authorities/016024/files").is_none());
        assert!(find("PUT", "/api/v1/users").is_none());
        assert!(may_call([Role::Admin], "GET /api/v1/users"));
        assert!(!may_call([Role::Secretariat], "GET /api/v1/users"));
        assert!(may_call([], "GET /api/v1/status"));
        assert!(!may_call([Role::Admin], "GET /api/v1/nothing"));
        let users = rule_of("GET /api/v1/users").unwrap();
        assert_eq!(gate(users, [Role::Secretariat]), Err(ADMIN));
        assert_eq!(gate(users, [Role::Observer, Role::Admin]), Ok(()));
        // Scoped rows are decided by the object, not by the gate.
        let request = rule_of("GET /api/v1/support-requests/{id}").unwrap();
        assert_eq!(gate(request, [Role::Admin]), Ok(()));
    }

    #[test]
    fn reach_follows_the_grant() {
        let g = |role, scope: &str| RoleScope::new(role, Scope::parse(scope).unwrap()).unwrap();
        let sec = g(Role::Secretariat, "region");
        let bg = g(Role::Observer, "province:BG");
        let coord = g(Role::Coordinator, "task_force:waste");
        assert!(reaches_everywhere(&sec, Object::Request));
        assert!(!reaches_everywhere(&sec, Object::Notification));
        assert!(!reaches_everywhere(&bg, Object::Authority));
        assert!(reaches_everywhere(
            &g(Role::Observer, "region"),
            Object::Request
        ));
        assert!(reaches_everywhere(&coord, Object::Authority));
        assert!(!reaches_everywhere(&coord, Object::Request));
        assert!(reaches_everywhere(&coord, Object::Meeting));
        assert!(!reaches_everywhere(
            &g(Role::AuthorityRep, "authority:016024"),
            Object::Meeting
        ));
        let admin = g(Role::Admin, "region");
        assert!(reaches_everywhere(&admin, Object::Authority));
        assert!(!reaches_everywhere(&admin, Object::Request));
        assert!(!reaches_everywhere(&admin, Object::Meeting));
        assert!(!reaches_everywhere(&admin, Object::Standing));
    }
}
