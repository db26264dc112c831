//! Parsed values: once constructed, they are valid. Each serialises as a plain JSON string and
//! refuses invalid input when deserialised.

use crate::ParseError;
use serde::{Deserialize, Serialize};
use std::fmt;

/// Implements `utoipa::ToSchema` for a type that travels as a plain string.
#[cfg(feature = "openapi")]
macro_rules! string_schema {
    ($ty:ty, $description:literal, $example:literal, $pattern:literal) => {
        impl utoipa::PartialSchema for $ty {
            fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
                utoipa::openapi::ObjectBuilder::new()
                    .schema_type(utoipa::openapi::schema::Type::String)
                    .description(Some($description))
                    .pattern(Some($pattern))
                    .examples([$example])
                    .into()
            }
        }
        impl utoipa::ToSchema for $ty {}
    };
}
#[cfg(feature = "openapi")]
pub(crate) use string_schema;

macro_rules! string_value {
    ($name:ident, $example:literal) => {
        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }
        impl std::str::FromStr for $name {
            type Err = ParseError;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Self::parse(s)
            }
        }
        impl TryFrom<String> for $name {
            type Error = ParseError;
            fn try_from(s: String) -> Result<Self, Self::Error> {
                Self::parse(&s)
            }
        }
        impl From<$name> for String {
            fn from(v: $name) -> String {
                v.0
            }
        }
        impl $name {
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }
    };
}

/// An ISTAT code identifying an authority: 6 digits for a comune (`015146` = Milano), 3 digits for
/// a province body (its UTS code: `016` = Provincia di Bergamo, `215` = Città metropolitana di
/// Milano), 2 digits for the region (`03` = Lombardia).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(value_type = String, example = "016024", pattern = "^[0-9]{2}([0-9]|[0-9]{4})?$"))]
#[serde(try_from = "String", into = "String")]
pub struct IstatCode(String);
string_value!(IstatCode, "016024");

impl IstatCode {
    pub fn parse(s: &str) -> Result<Self, ParseError> {
        let s = s.trim();
        if matches!(s.len(), 2 | 3 | 6) && s.bytes().all(|b| b.is_ascii_digit()) {
            Ok(Self(s.to_owned()))
        } else {
            Err(ParseError::new(format!(
                "«{s}» non è un codice ISTAT: servono 6 cifre per un comune (es. 016024), 3 per una provincia, 2 per la regione"
            )))
        }
    }

    /// For a comune, the 3-digit ISTAT code of its province (the first three digits).
    pub fn province_prefix(&self) -> Option<&str> {
        (self.0.len() == 6).then(|| &self.0[..3])
    }
}

/// The two-letter code of a province (its car plate code: `BG`, `MI`, ...), the key people use.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(value_type = String, example = "BG", pattern = "^[A-Z]{2}$"))]
#[serde(try_from = "String", into = "String")]
pub struct ProvinceCode(String);
string_value!(ProvinceCode, "BG");

impl ProvinceCode {
    pub fn parse(s: &str) -> Result<Self, ParseError> {
        let s = s.trim();
        if s.len() == 2 && s.bytes().all(|b| b.is_ascii_alphabetic()) {
            Ok(Self(s.to_ascii_uppercase()))
        } else {
            Err(ParseError::new(format!(
                "«{s}» non è una sigla di provincia: servono due lettere (es. BG)"
            )))
        }
    }
}

/// The code of a procedure type in the catalog: upper case letters, digits and `_`, starting with
/// a letter, at most 40 characters (`PDC`, `VIA_PAUR`, `RIFIUTI_208`).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(value_type = String, example = "PDC", pattern = "^[A-Z][A-Z0-9_]{0,39}$"))]
#[serde(try_from = "String", into = "String")]
pub struct ProcedureCode(String);
string_value!(ProcedureCode, "PDC");

impl ProcedureCode {
    pub fn parse(s: &str) -> Result<Self, ParseError> {
        let s = s.trim();
        let ok = !s.is_empty()
            && s.len() <= 40
            && s.as_bytes()[0].is_ascii_uppercase()
            && s.bytes()
                .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_');
        if ok {
            Ok(Self(s.to_owned()))
        } else {
            Err(ParseError::new(format!(
                "«{s}» non è un codice di procedimento valido: lettere maiuscole, cifre e _, al massimo 40 caratteri, iniziando con una lettera"
            )))
        }
    }
}

/// An e-mail address, trimmed and lower-cased so that it can be compared and used as a key.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(value_type = String, example = "segreteria@example.org", format = "email"))]
#[serde(try_from = "String", into = "String")]
pub struct Email(String);
string_value!(Email, "segreteria@example.org");

impl Email {
    pub fn parse(s: &str) -> Result<Self, ParseError> {
        let s = s.trim().to_lowercase();
        let valid = s.len() <= 254
            && s.split_once('@').is_some_and(|(local, domain)| {
                !local.is_empty()
                    && !domain.is_empty()
                    && !domain.contains('@')
                    && domain.contains('.')
                    && !domain.starts_with('.')
                    && !domain.ends_with('.')
                    && !s.chars().any(|c| c.is_whitespace() || c.is_control())
            });
        if valid {
            Ok(Self(s))
        } else {
            Err(ParseError::new(format!(
                "«{s}» non è un indirizzo e-mail valido"
            )))
        }
    }
}

/// A semester: `2022S1` (January–June) or `2022S2` (July–December).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Period {
    year: i32,
    half: u8,
}

impl Period {
    pub fn new(year: i32, half: u8) -> Result<Self, ParseError> {
        if (1990..=2100).contains(&year) && matches!(half, 1 | 2) {
            Ok(Self { year, half })
        } else {
            Err(ParseError::new(format!(
                "semestre non valido: {year}S{half}"
            )))
        }
    }

    pub fn parse(s: &str) -> Result<Self, ParseError> {
        let err = || {
            ParseError::new(format!(
                "«{s}» non è un semestre: scrivere ad esempio 2022S1 o 2022S2"
            ))
        };
        let (y, h) = s.trim().split_once(['S', 's']).ok_or_else(err)?;
        if y.len() != 4 || h.len() != 1 {
            return Err(err());
        }
        let year: i32 = y.parse().map_err(|_| err())?;
        let half: u8 = h.parse().map_err(|_| err())?;
        Self::new(year, half).map_err(|_| err())
    }

    /// The semester containing a date.
    pub fn containing(date: chrono::NaiveDate) -> Self {
        use chrono::Datelike;
        Self {
            year: date.year(),
            half: if date.month() <= 6 { 1 } else { 2 },
        }
    }

    pub fn year(self) -> i32 {
        self.year
    }
    pub fn half(self) -> u8 {
        self.half
    }

    pub fn first_day(self) -> chrono::NaiveDate {
        let month = if self.half == 1 { 1 } else { 7 };
        chrono::NaiveDate::from_ymd_opt(self.year, month, 1).expect("valid semester start")
    }

    pub fn last_day(self) -> chrono::NaiveDate {
        let (m, d) = if self.half == 1 { (6, 30) } else { (12, 31) };
        chrono::NaiveDate::from_ymd_opt(self.year, m, d).expect("valid semester end")
    }

    pub fn next(self) -> Self {
        if self.half == 1 {
            Self {
                year: self.year,
                half: 2,
            }
        } else {
            Self {
                year: self.year + 1,
                half: 1,
            }
        }
    }
}

#[cfg(feature = "openapi")]
string_schema!(
    Period,
    "A semester: 2022S1 is January–June 2022, 2022S2 July–December",
    "2022S1",
    "^[0-9]{4}S[12]$"
);

impl fmt::Display for Period {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}S{}", self.year, self.half)
    }
}
impl std::str::FromStr for Period {
    type Err = ParseError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}
impl TryFrom<String> for Period {
    type Error = ParseError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::parse(&s)
    }
}
impl From<Period> for String {
    fn from(p: Period) -> String {
        p.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

    #[test]
    fn istat_codes_of_each_kind_parse() {
        assert_eq!(IstatCode::parse("016024").unwrap().as_str(), "016024");
        assert_eq!(IstatCode::parse(" 215 ").unwrap().as_str(), "215");
        assert_eq!(IstatCode::parse("03").unwrap().province_prefix(), None);
        assert_eq!(
            IstatCode::parse("016024").unwrap().province_prefix(),
            Some("016")
        );
    }

    #[test]
    fn malformed_istat_codes_are_refused() {
        for bad in ["", "1", "16024", "0160241", "01602a", "ABCDEF", "-16024"] {
            assert!(IstatCode::parse(bad).is_err(), "{bad} accepted");
        }
    }

    #[test]
    fn istat_code_deserialisation_refuses_bad_values() {
        assert!(serde_json::from_str::<IstatCode>("\"12345\"").is_err());
        assert_eq!(
            serde_json::from_str::<IstatCode>("\"012001\"")
                .unwrap()
                .as_str(),
            "012001"
        );
    }

    #[test]
    fn province_codes_are_upper_cased() {
        assert_eq!(ProvinceCode::parse("bg").unwrap().as_str(), "BG");
        assert!(ProvinceCode::parse("B").is_err());
        assert!(ProvinceCode::parse("B1").is_err());
        assert!(ProvinceCode::parse("BGG").is_err());
    }

    #[test]
    fn procedure_codes() {
        assert!(ProcedureCode::parse("RIFIUTI_208").is_ok());
        assert!(ProcedureCode::parse("pdc").is_err());
        assert!(ProcedureCode::parse("_PDC").is_err());
        assert!(ProcedureCode::parse("8PDC").is_err());
        assert!(ProcedureCode::parse(&"A".repeat(41)).is_err());
    }

    #[test]
    fn emails_are_normalised_and_checked() {
        assert_eq!(
            Email::parse(" Mario.Rossi@Comune.BG.it ").unwrap().as_str(),
            "mario.rossi@comune.bg.it"
        );
        for bad in [
            "",
            "mario",
            "@x.it",
            "mario@",
            "mario@x",
            "ma rio@x.it",
            "a@b@c.it",
            "a@.it",
        ] {
            assert!(Email::parse(bad).is_err(), "{bad} accepted");
        }
    }

    #[test]
    fn periods_parse_print_and_bound_their_days() {
        let p = Period::parse("2022S1").unwrap();
        assert_eq!(p.to_string(), "2022S1");
        assert_eq!(p.first_day(), NaiveDate::from_ymd_opt(2022, 1, 1).unwrap());
        assert_eq!(p.last_day(), NaiveDate::from_ymd_opt(2022, 6, 30).unwrap());
        assert_eq!(p.next(), Period::parse("2022S2").unwrap());
        assert_eq!(
            Period::parse("2022S2").unwrap().next(),
            Period::parse("2023S1").unwrap()
        );
        assert_eq!(
            Period::containing(NaiveDate::from_ymd_opt(2022, 6, 30).unwrap()),
            p
        );
        assert_eq!(
            Period::containing(NaiveDate::from_ymd_opt(2022, 7, 1).unwrap()).half(),
            2
        );
        for bad in ["2022", "2022S3", "22S1", "2022-S1", "S1", "2022S12"] {
            assert!(Period::parse(bad).is_err(), "{bad} accepted");
        }
        assert!(Period::parse("2021S2").unwrap() < Period::parse("2022S1").unwrap());
    }
}
