//! Roles and scopes (DOMAIN.md §2). A grant pairs a role with the one scope it acts in; a user may
//! hold several grants. Which scope a role may take is checked when the grant is built, so a grant
//! such as "secretariat of one comune" cannot exist.

use crate::{IstatCode, ParseError, ProvinceCode, TaskForce};
use serde::{Deserialize, Serialize};
use std::fmt;

/// A role a user can hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Role {
    AuthorityRep,
    AuthorityDelegate,
    Expert,
    Coordinator,
    Secretariat,
    Observer,
    Admin,
}

impl Role {
    pub const ALL: [Role; 7] = [
        Self::AuthorityRep,
        Self::AuthorityDelegate,
        Self::Expert,
        Self::Coordinator,
        Self::Secretariat,
        Self::Observer,
        Self::Admin,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Self::AuthorityRep => "authority_rep",
            Self::AuthorityDelegate => "authority_delegate",
            Self::Expert => "expert",
            Self::Coordinator => "coordinator",
            Self::Secretariat => "secretariat",
            Self::Observer => "observer",
            Self::Admin => "admin",
        }
    }

    /// The Italian label shown to people.
    pub fn label(self) -> &'static str {
        match self {
            Self::AuthorityRep => "Rappresentante legale",
            Self::AuthorityDelegate => "Delegato dell'ente",
            Self::Expert => "Esperto",
            Self::Coordinator => "Coordinatore di task force",
            Self::Secretariat => "Segreteria Tecnica",
            Self::Observer => "Osservatore",
            Self::Admin => "Amministratore",
        }
    }

    pub fn parse(s: &str) -> Result<Self, ParseError> {
        Self::ALL
            .into_iter()
            .find(|r| r.code() == s.trim())
            .ok_or_else(|| {
                ParseError::new(format!(
                    "«{s}» non è un ruolo: usare uno tra {}",
                    Self::ALL.map(Self::code).join(", ")
                ))
            })
    }

    /// Whether this role may act in the given kind of scope.
    pub fn accepts(self, scope: &Scope) -> bool {
        matches!(
            (self, scope),
            (
                Self::AuthorityRep | Self::AuthorityDelegate,
                Scope::Authority(_)
            ) | (Self::Expert | Self::Coordinator, Scope::TaskForce(_))
                | (Self::Secretariat | Self::Admin, Scope::Region)
                | (Self::Observer, Scope::Province(_) | Scope::Region)
        )
    }

    /// The scope a role takes, in words, for error messages.
    pub fn expected_scope(self) -> &'static str {
        match self {
            Self::AuthorityRep | Self::AuthorityDelegate => "authority:<codice ISTAT>",
            Self::Expert | Self::Coordinator => "task_force:<codice>",
            Self::Secretariat | Self::Admin => "region",
            Self::Observer => "province:<sigla> oppure region",
        }
    }

    /// Programme staff see internal notes and work requests (DOMAIN.md §4).
    pub fn is_programme_staff(self) -> bool {
        set::STAFF.contains(&self)
    }
}

/// The named sets of roles the policy, the server and the client speak of; defined here once.
pub mod set {
    use super::Role::{self, *};

    pub const SECRETARIAT: &[Role] = &[Secretariat];
    pub const ADMIN: &[Role] = &[Admin];
    /// The people of an authority: its legal representative and the delegates they name.
    pub const AUTHORITY: &[Role] = &[AuthorityRep, AuthorityDelegate];
    /// Programme staff: they work requests and see internal notes (DOMAIN.md §4).
    pub const STAFF: &[Role] = &[Expert, Coordinator, Secretariat];
    /// Who triages requests and sees the service report: the secretariat and the coordinators.
    pub const TRIAGE: &[Role] = &[Secretariat, Coordinator];
    /// Everyone who takes part in the programme's requests (all but the administrator).
    pub const PROGRAMME: &[Role] = &[
        AuthorityRep,
        AuthorityDelegate,
        Expert,
        Coordinator,
        Secretariat,
        Observer,
    ];
    /// Who reads the monitoring of the whole region: the secretariat, the coordinators and the
    /// administrator (an observer reads its province's, an authority its own).
    pub const OVERSIGHT: &[Role] = &[Secretariat, Coordinator, Admin];
    /// Who writes an authority's monitoring data: its people and the secretariat.
    pub const MONITORING_WRITERS: &[Role] = &[AuthorityRep, AuthorityDelegate, Secretariat];
    /// Every role.
    pub const EVERYONE: &[Role] = &Role::ALL;
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// Where a grant applies. Written `region`, `province:BG`, `authority:015146` or
/// `task_force:building_planning`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub enum Scope {
    Region,
    Province(ProvinceCode),
    Authority(IstatCode),
    TaskForce(TaskForce),
}

impl Scope {
    pub fn parse(s: &str) -> Result<Self, ParseError> {
        let s = s.trim();
        if s == "region" {
            return Ok(Self::Region);
        }
        match s.split_once(':') {
            Some(("province", v)) => ProvinceCode::parse(v).map(Self::Province),
            Some(("authority", v)) => IstatCode::parse(v).map(Self::Authority),
            Some(("task_force", v)) => TaskForce::parse(v).map(Self::TaskForce),
            _ => Err(ParseError::new(format!(
                "«{s}» non è un ambito: scrivere region, province:BG, authority:015146 o task_force:building_planning"
            ))),
        }
    }
}

#[cfg(feature = "openapi")]
crate::values::string_schema!(
    Scope,
    "Where a grant applies: region, province:<sigla>, authority:<ISTAT code> or task_force:<code>",
    "authority:016024",
    "^(region|province:[A-Z]{2}|authority:[0-9]{2,6}|task_force:[a-z_]+)$"
);

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Region => f.write_str("region"),
            Self::Province(p) => write!(f, "province:{p}"),
            Self::Authority(a) => write!(f, "authority:{a}"),
            Self::TaskForce(t) => write!(f, "task_force:{t}"),
        }
    }
}
impl std::str::FromStr for Scope {
    type Err = ParseError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}
impl TryFrom<String> for Scope {
    type Error = ParseError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::parse(&s)
    }
}
impl From<Scope> for String {
    fn from(s: Scope) -> String {
        s.to_string()
    }
}

/// A role in a scope, checked to fit together.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RoleScope {
    pub role: Role,
    pub scope: Scope,
}

impl RoleScope {
    pub fn new(role: Role, scope: Scope) -> Result<Self, ParseError> {
        if role.accepts(&scope) {
            Ok(Self { role, scope })
        } else {
            Err(ParseError::new(format!(
                "il ruolo {role} non può avere l'ambito {scope}: serve {}",
                role.expected_scope()
            )))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes_round_trip() {
        for s in [
            "region",
            "province:BG",
            "authority:015146",
            "task_force:building_planning",
        ] {
            assert_eq!(Scope::parse(s).unwrap().to_string(), s);
        }
        assert_eq!(
            Scope::parse("province:bg").unwrap().to_string(),
            "province:BG"
        );
        for bad in [
            "",
            "regione",
            "province:",
            "authority:15146",
            "task_force:edilizia",
            "city:MI",
        ] {
            assert!(Scope::parse(bad).is_err(), "{bad} accepted");
        }
    }

    #[test]
    fn roles_take_only_their_kind_of_scope() {
        let region = Scope::Region;
        let comune = Scope::parse("authority:016024").unwrap();
        let bg = Scope::parse("province:BG").unwrap();
        let tf = Scope::parse("task_force:waste").unwrap();
        assert!(RoleScope::new(Role::AuthorityRep, comune.clone()).is_ok());
        assert!(RoleScope::new(Role::AuthorityDelegate, region.clone()).is_err());
        assert!(RoleScope::new(Role::Expert, tf.clone()).is_ok());
        assert!(RoleScope::new(Role::Coordinator, comune.clone()).is_err());
        assert!(RoleScope::new(Role::Secretariat, region.clone()).is_ok());
        assert!(RoleScope::new(Role::Secretariat, bg.clone()).is_err());
        assert!(RoleScope::new(Role::Observer, bg).is_ok());
        assert!(RoleScope::new(Role::Observer, region.clone()).is_ok());
        assert!(RoleScope::new(Role::Observer, tf).is_err());
        assert!(RoleScope::new(Role::Admin, region).is_ok());
        assert!(RoleScope::new(Role::Admin, comune).is_err());
    }

    #[test]
    fn every_role_parses_from_its_code() {
        for r in Role::ALL {
            assert_eq!(Role::parse(r.code()).unwrap(), r);
        }
        assert!(Role::parse("mayor").is_err());
    }
}
