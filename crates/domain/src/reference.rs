//! Reference enums of the programme: kinds of authority and the 8 task forces.

use crate::ParseError;
use serde::{Deserialize, Serialize};
use std::fmt;

/// The kind of a local authority (*ente*).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum AuthorityKind {
    Comune,
    Provincia,
    CittaMetropolitana,
    Regione,
}

impl AuthorityKind {
    pub const ALL: [AuthorityKind; 4] = [
        Self::Comune,
        Self::Provincia,
        Self::CittaMetropolitana,
        Self::Regione,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Self::Comune => "comune",
            Self::Provincia => "provincia",
            Self::CittaMetropolitana => "citta_metropolitana",
            Self::Regione => "regione",
        }
    }

    /// The Italian label shown to people.
    pub fn label(self) -> &'static str {
        match self {
            Self::Comune => "Comune",
            Self::Provincia => "Provincia",
            Self::CittaMetropolitana => "Città metropolitana",
            Self::Regione => "Regione",
        }
    }

    pub fn parse(s: &str) -> Result<Self, ParseError> {
        Self::ALL.into_iter().find(|k| k.code() == s.trim()).ok_or_else(|| {
            ParseError::new(format!(
                "«{s}» non è un tipo di ente: usare comune, provincia, citta_metropolitana o regione"
            ))
        })
    }
}

impl fmt::Display for AuthorityKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// The 8 thematic task forces (*ambiti*) the experts work in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum TaskForce {
    EnvironmentalAssessments,
    Remediation,
    Renewables,
    Waste,
    BuildingPlanning,
    Procurement,
    DigitalInfrastructure,
    ReportingMonitoring,
}

impl TaskForce {
    pub const ALL: [TaskForce; 8] = [
        Self::EnvironmentalAssessments,
        Self::Remediation,
        Self::Renewables,
        Self::Waste,
        Self::BuildingPlanning,
        Self::Procurement,
        Self::DigitalInfrastructure,
        Self::ReportingMonitoring,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Self::EnvironmentalAssessments => "environmental_assessments",
            Self::Remediation => "remediation",
            Self::Renewables => "renewables",
            Self::Waste => "waste",
            Self::BuildingPlanning => "building_planning",
            Self::Procurement => "procurement",
            Self::DigitalInfrastructure => "digital_infrastructure",
            Self::ReportingMonitoring => "reporting_monitoring",
        }
    }

    /// The Italian name shown to people.
    pub fn name_it(self) -> &'static str {
        match self {
            Self::EnvironmentalAssessments => "Valutazioni e autorizzazioni ambientali",
            Self::Remediation => "Bonifiche",
            Self::Renewables => "Rinnovabili ed energia",
            Self::Waste => "Rifiuti",
            Self::BuildingPlanning => "Edilizia e urbanistica",
            Self::Procurement => "Appalti",
            Self::DigitalInfrastructure => "Infrastrutture digitali",
            Self::ReportingMonitoring => "Procedure di rendicontazione e monitoraggio",
        }
    }

    pub fn parse(s: &str) -> Result<Self, ParseError> {
        Self::ALL
            .into_iter()
            .find(|t| t.code() == s.trim())
            .ok_or_else(|| {
                ParseError::new(format!(
                    "«{s}» non è una task force: usare uno dei codici {}",
                    Self::codes()
                ))
            })
    }

    fn codes() -> String {
        Self::ALL.map(Self::code).join(", ")
    }
}

impl fmt::Display for TaskForce {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip_through_parse_and_serde() {
        for tf in TaskForce::ALL {
            assert_eq!(TaskForce::parse(tf.code()).unwrap(), tf);
            assert_eq!(
                serde_json::to_string(&tf).unwrap(),
                format!("\"{}\"", tf.code())
            );
        }
        for k in AuthorityKind::ALL {
            assert_eq!(AuthorityKind::parse(k.code()).unwrap(), k);
            assert_eq!(
                serde_json::to_string(&k).unwrap(),
                format!("\"{}\"", k.code())
            );
        }
        assert!(TaskForce::parse("edilizia").is_err());
        assert!(AuthorityKind::parse("municipio").is_err());
    }
}
