//! Onboarding of authorities: the legal representative's office and the registration's status.

use crate::{AuthorityKind, ParseError};
use serde::{Deserialize, Serialize};

/// The office of an authority's legal representative, which depends on the kind of authority.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Office {
    /// Sindaco (comune).
    Sindaco,
    /// Presidente della Provincia.
    PresidenteProvincia,
    /// Sindaco metropolitano (Città metropolitana di Milano).
    SindacoMetropolitano,
}

impl Office {
    pub const ALL: [Office; 3] = [
        Self::Sindaco,
        Self::PresidenteProvincia,
        Self::SindacoMetropolitano,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Self::Sindaco => "sindaco",
            Self::PresidenteProvincia => "presidente_provincia",
            Self::SindacoMetropolitano => "sindaco_metropolitano",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Sindaco => "Sindaco",
            Self::PresidenteProvincia => "Presidente della Provincia",
            Self::SindacoMetropolitano => "Sindaco metropolitano",
        }
    }

    /// The office that represents an authority of this kind (none for the region).
    pub fn for_kind(kind: AuthorityKind) -> Option<Self> {
        match kind {
            AuthorityKind::Comune => Some(Self::Sindaco),
            AuthorityKind::Provincia => Some(Self::PresidenteProvincia),
            AuthorityKind::CittaMetropolitana => Some(Self::SindacoMetropolitano),
            AuthorityKind::Regione => None,
        }
    }

    pub fn parse(s: &str) -> Result<Self, ParseError> {
        Self::ALL
            .into_iter()
            .find(|o| o.code() == s.trim())
            .ok_or_else(|| ParseError::new(format!("«{s}» non è una carica: usare sindaco, presidente_provincia o sindaco_metropolitano")))
    }
}

/// Where a registration stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum RegistrationStatus {
    /// Signed up; the signed protocol is still to be uploaded.
    AwaitingProtocol,
    /// The protocol is uploaded; the secretariat decides.
    Submitted,
    /// Approved: the representative holds `authority_rep`.
    Approved,
    /// Rejected with a reason; the representative may correct and resubmit.
    Rejected,
}

impl RegistrationStatus {
    pub const ALL: [RegistrationStatus; 4] = [
        Self::AwaitingProtocol,
        Self::Submitted,
        Self::Approved,
        Self::Rejected,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Self::AwaitingProtocol => "awaiting_protocol",
            Self::Submitted => "submitted",
            Self::Approved => "approved",
            Self::Rejected => "rejected",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::AwaitingProtocol => "In attesa del protocollo firmato",
            Self::Submitted => "In valutazione",
            Self::Approved => "Approvata",
            Self::Rejected => "Respinta",
        }
    }

    pub fn parse(s: &str) -> Result<Self, ParseError> {
        Self::ALL
            .into_iter()
            .find(|o| o.code() == s.trim())
            .ok_or_else(|| {
                ParseError::new(format!(
                    "«{s}» non è uno stato: usare awaiting_protocol, submitted, approved o rejected"
                ))
            })
    }

    /// The representative may upload (again) the protocol.
    pub fn accepts_protocol(self) -> bool {
        matches!(self, Self::AwaitingProtocol | Self::Rejected)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_kind_of_authority_has_its_office() {
        assert_eq!(
            Office::for_kind(AuthorityKind::Comune),
            Some(Office::Sindaco)
        );
        assert_eq!(
            Office::for_kind(AuthorityKind::CittaMetropolitana),
            Some(Office::SindacoMetropolitano)
        );
        assert_eq!(Office::for_kind(AuthorityKind::Regione), None);
        for o in Office::ALL {
            assert_eq!(Office::parse(o.code()).unwrap(), o);
        }
        for s in RegistrationStatus::ALL {
            assert_eq!(RegistrationStatus::parse(s.code()).unwrap(), s);
        }
    }

    #[test]
    fn the_protocol_can_be_uploaded_before_submission_and_after_rejection() {
        assert!(RegistrationStatus::AwaitingProtocol.accepts_protocol());
        assert!(RegistrationStatus::Rejected.accepts_protocol());
        assert!(!RegistrationStatus::Submitted.accepts_protocol());
        assert!(!RegistrationStatus::Approved.accepts_protocol());
    }
}
