//! Reference data (ISTAT registry of authorities, task forces, the default procedure catalog),
//! seeded idempotently at every start, and the import of a newer ISTAT list. (The demo accounts
//! and the region-scale generators are not the server's: crate `affianca-demo`.)
//!
//! The registry is compiled in from `data/` (ISTAT, SITUAS, CC-BY 4.0), so a fresh database is
//! complete without any file next to the binary.

use crate::entities::{authority, procedure, province, task_force};
use affianca_domain::text::fold_for_search;
use affianca_domain::{AuthorityKind, IstatCode, ProcedureCode, ProvinceCode, TaskForce};
use anyhow::{Context, bail};
use chrono::Utc;
use sea_orm::sea_query::ExprTrait;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
};
use std::collections::{BTreeMap, HashMap};

pub const COMUNI_CSV: &str = include_str!("../../../data/comuni-lombardia.csv");
pub const PROVINCES_CSV: &str = include_str!("../../../data/province-lombardia.csv");

/// Lombardy: ISTAT region code, name and fiscal code.
pub const REGION_CODE: &str = "03";
const REGION_NAME: &str = "Regione Lombardia";
const REGION_FISCAL_CODE: &str = "80050050154";

/// The default catalog of DOMAIN.md §3; terms are indicative.
pub const DEFAULT_CATALOG: [(TaskForce, &str, &str, i32); 20] = [
    (
        TaskForce::EnvironmentalAssessments,
        "VIA_PAUR",
        "VIA / Provvedimento autorizzatorio unico regionale, art. 27-bis d.lgs. 152/2006",
        150,
    ),
    (
        TaskForce::EnvironmentalAssessments,
        "VERIFICA_VIA",
        "Verifica di assoggettabilità a VIA, art. 19 d.lgs. 152/2006",
        90,
    ),
    (
        TaskForce::EnvironmentalAssessments,
        "AIA",
        "Autorizzazione integrata ambientale (nuova, modifica sostanziale, riesame)",
        150,
    ),
    (
        TaskForce::EnvironmentalAssessments,
        "AUA",
        "Autorizzazione unica ambientale, DPR 59/2013",
        120,
    ),
    (
        TaskForce::Remediation,
        "BONIFICA",
        "Procedimento di bonifica siti contaminati, art. 242 d.lgs. 152/2006",
        180,
    ),
    (
        TaskForce::Renewables,
        "AU_FER",
        "Autorizzazione unica impianti FER, art. 12 d.lgs. 387/2003",
        90,
    ),
    (
        TaskForce::Renewables,
        "PAS_FER",
        "Procedura abilitativa semplificata impianti FER",
        30,
    ),
    (
        TaskForce::Waste,
        "RIFIUTI_208",
        "Autorizzazione unica impianti rifiuti, art. 208 d.lgs. 152/2006",
        150,
    ),
    (
        TaskForce::Waste,
        "RIFIUTI_SEMPLIFICATA",
        "Procedure semplificate di recupero rifiuti, artt. 214–216",
        90,
    ),
    (
        TaskForce::BuildingPlanning,
        "PDC",
        "Permesso di costruire, art. 20 DPR 380/2001",
        60,
    ),
    (
        TaskForce::BuildingPlanning,
        "PDC_SANATORIA",
        "Permesso in sanatoria, art. 36 DPR 380/2001",
        60,
    ),
    (
        TaskForce::BuildingPlanning,
        "CILA",
        "Controllo CILA, art. 6-bis DPR 380/2001",
        30,
    ),
    (
        TaskForce::BuildingPlanning,
        "SCIA",
        "Controllo SCIA edilizia, artt. 22–23 DPR 380/2001",
        30,
    ),
    (
        TaskForce::BuildingPlanning,
        "PAESAGGISTICA",
        "Autorizzazione paesaggistica, art. 146 d.lgs. 42/2004",
        105,
    ),
    (
        TaskForce::BuildingPlanning,
        "PIANO_ATTUATIVO",
        "Approvazione piani attuativi, l.r. 12/2005",
        90,
    ),
    (
        TaskForce::Procurement,
        "GARA_LAVORI",
        "Affidamento di lavori, procedura aperta, d.lgs. 36/2023",
        270,
    ),
    (
        TaskForce::Procurement,
        "GARA_SERVIZI",
        "Affidamento di servizi e forniture, d.lgs. 36/2023",
        270,
    ),
    (
        TaskForce::DigitalInfrastructure,
        "IMPIANTI_TLC",
        "Autorizzazione impianti di comunicazione elettronica, d.lgs. 259/2003",
        90,
    ),
    (
        TaskForce::DigitalInfrastructure,
        "SCAVI_BUL",
        "Autorizzazione scavi per reti a banda ultralarga",
        30,
    ),
    (
        TaskForce::ReportingMonitoring,
        "RENDICONTAZIONE_PNRR",
        "Rendicontazione e monitoraggio interventi PNRR (ReGiS)",
        30,
    ),
];

/// One comune of an ISTAT list, parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ComuneRow {
    pub istat_code: IstatCode,
    pub name: String,
    pub province: ProvinceCode,
    pub cadastral_code: String,
    pub fiscal_code: String,
}

/// A province row of the ISTAT list, parsed.
#[derive(Debug, Clone)]
pub struct ProvinceRow {
    pub istat_code: String,
    pub authority_code: IstatCode,
    pub code: ProvinceCode,
    pub name: String,
    pub kind: AuthorityKind,
    pub fiscal_code: String,
    pub nuts3: String,
}

/// Parses a comuni list (`istat_code,name,province,cadastral_code,fiscal_code`). Every bad row is
/// reported with its line number; nothing is returned unless all rows are good.
pub fn parse_comuni(csv_text: &str) -> anyhow::Result<Vec<ComuneRow>> {
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_reader(csv_text.trim_start_matches('\u{feff}').as_bytes());
    let headers = reader
        .headers()
        .context("the file has no header line")?
        .clone();
    let col = |name: &str| -> anyhow::Result<usize> {
        headers
            .iter()
            .position(|h| h == name)
            .with_context(|| format!("missing column {name:?} in the header line"))
    };
    let (ci, cn, cp, cc, cf) = (
        col("istat_code")?,
        col("name")?,
        col("province")?,
        col("cadastral_code")?,
        col("fiscal_code")?,
    );
    let mut rows = Vec::new();
    let mut errors = Vec::new();
    for (i, rec) in reader.records().enumerate() {
        let line = i + 2;
        let rec = match rec {
            Ok(r) => r,
            Err(e) => {
                errors.push(format!("line {line}: {e}"));
                continue;
            }
        };
        let get = |c: usize| rec.get(c).unwrap_or_default().to_owned();
        let istat = IstatCode::parse(&get(ci))
            .ok()
            .filter(|c| c.as_str().len() == 6);
        let province = ProvinceCode::parse(&get(cp)).ok();
        let name = get(cn);
        match (istat, province) {
            (Some(istat_code), Some(province)) if !name.is_empty() => rows.push(ComuneRow {
                istat_code,
                name,
                province,
                cadastral_code: get(cc),
                fiscal_code: get(cf),
            }),
            _ => errors.push(format!(
                "line {line}: needs a 6-digit istat_code, a name and a two-letter province (got {:?}, {:?}, {:?})",
                get(ci),
                name,
                get(cp)
            )),
        }
    }
    if !errors.is_empty() {
        bail!("{} bad row(s):\n{}", errors.len(), errors.join("\n"));
    }
    Ok(rows)
}

/// Parses the bundled list of provinces (and the metropolitan city).
pub fn parse_provinces() -> anyhow::Result<Vec<ProvinceRow>> {
    let mut reader = csv::Reader::from_reader(PROVINCES_CSV.as_bytes());
    let mut out = Vec::new();
    for rec in reader.records() {
        let rec = rec?;
        let get = |i: usize| rec.get(i).unwrap_or_default().trim().to_owned();
        out.push(ProvinceRow {
            istat_code: get(0),
            authority_code: IstatCode::parse(&get(1)).map_err(anyhow::Error::msg)?,
            code: ProvinceCode::parse(&get(2)).map_err(anyhow::Error::msg)?,
            name: get(3),
            kind: AuthorityKind::parse(&get(4)).map_err(anyhow::Error::msg)?,
            fiscal_code: get(5),
            nuts3: get(6),
        });
    }
    Ok(out)
}

fn authority_row(
    istat_code: &str,
    name: &str,
    kind: AuthorityKind,
    province: Option<&str>,
    cadastral: Option<&str>,
    fiscal: Option<&str>,
) -> authority::ActiveModel {
    let now = Utc::now();
    authority::ActiveModel {
        istat_code: Set(istat_code.to_owned()),
        name: Set(name.to_owned()),
        name_search: Set(fold_for_search(name)),
        kind: Set(kind.code().to_owned()),
        province: Set(province.map(str::to_owned)),
        cadastral_code: Set(cadastral.map(str::to_owned)),
        fiscal_code: Set(fiscal.map(str::to_owned)),
        active: Set(true),
        created_at: Set(now),
        updated_at: Set(now),
    }
}

fn province_display_name(p: &ProvinceRow) -> String {
    match p.kind {
        AuthorityKind::CittaMetropolitana => format!("Città metropolitana di {}", p.name),
        _ => format!("Provincia di {}", p.name),
    }
}

/// Inserts whatever reference data is missing; rows already there are left as they are (a newer
/// ISTAT list is applied with [`import_authorities`]). Safe to run at every start.
pub async fn seed_reference(db: &DatabaseConnection) -> anyhow::Result<()> {
    let txn = crate::db::begin_write(db).await?;
    let tf_rows = TaskForce::ALL
        .iter()
        .enumerate()
        .map(|(i, tf)| task_force::ActiveModel {
            code: Set(tf.code().to_owned()),
            name: Set(tf.name_it().to_owned()),
            position: Set(i as i32),
        });
    task_force::Entity::insert_many(tf_rows)
        .on_conflict_do_nothing()
        .exec_without_returning(&txn)
        .await?;

    let provinces = parse_provinces()?;
    let province_rows = provinces.iter().map(|p| province::ActiveModel {
        code: Set(p.code.to_string()),
        istat_code: Set(p.istat_code.clone()),
        authority_code: Set(p.authority_code.to_string()),
        name: Set(p.name.clone()),
        kind: Set(p.kind.code().to_owned()),
        fiscal_code: Set(p.fiscal_code.clone()),
        nuts3: Set(p.nuts3.clone()),
    });
    province::Entity::insert_many(province_rows)
        .on_conflict_do_nothing()
        .exec_without_returning(&txn)
        .await?;

    let mut rows = vec![authority_row(
        REGION_CODE,
        REGION_NAME,
        AuthorityKind::Regione,
        None,
        None,
        Some(REGION_FISCAL_CODE),
    )];
    rows.extend(provinces.iter().map(|p| {
        authority_row(
            p.authority_code.as_str(),
            &province_display_name(p),
            p.kind,
            Some(p.code.as_str()),
            None,
            Some(&p.fiscal_code),
        )
    }));
    for c in parse_comuni(COMUNI_CSV)? {
        rows.push(authority_row(
            c.istat_code.as_str(),
            &c.name,
            AuthorityKind::Comune,
            Some(c.province.as_str()),
            Some(&c.cadastral_code),
            Some(&c.fiscal_code),
        ));
    }
    for chunk in rows.chunks(300) {
        authority::Entity::insert_many(chunk.to_vec())
            .on_conflict_do_nothing()
            .exec_without_returning(&txn)
            .await?;
    }

    let now = Utc::now();
    let catalog = DEFAULT_CATALOG
        .iter()
        .map(|(tf, code, name, days)| procedure::ActiveModel {
            code: Set((*code).to_owned()),
            task_force: Set(tf.code().to_owned()),
            name: Set((*name).to_owned()),
            legal_term_days: Set(*days),
            term_indicative: Set(true),
            active: Set(true),
            version: Set(1),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        });
    procedure::Entity::insert_many(catalog)
        .on_conflict_do_nothing_on([procedure::Column::Code])
        .exec_without_returning(&txn)
        .await?;
    txn.commit().await?;
    Ok(())
}

/// Records a change of the authorities registry (call inside the transaction that changes it):
/// servers caching the registry reload it at their next request.
pub async fn bump_authorities_version(db: &impl ConnectionTrait) -> Result<(), sea_orm::DbErr> {
    use crate::entities::reference_version;
    reference_version::Entity::update_many()
        .col_expr(
            reference_version::Column::Version,
            sea_orm::sea_query::Expr::col(reference_version::Column::Version).add(1),
        )
        .filter(reference_version::Column::Name.eq("authorities"))
        .exec(db)
        .await?;
    // The indicator cubes index authorities too: they reload.
    crate::monitoring::record_change(db, crate::monitoring::Changed::Catalog).await
}

/// What [`import_authorities`] changed.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct ImportReport {
    pub added: Vec<String>,
    pub updated: Vec<String>,
    pub reactivated: Vec<String>,
    pub retired: Vec<String>,
    pub unchanged: usize,
}

impl std::fmt::Display for ImportReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(f, "added: {}", self.added.len())?;
        for a in &self.added {
            writeln!(f, "  + {a}")?;
        }
        writeln!(f, "updated: {}", self.updated.len())?;
        for a in &self.updated {
            writeln!(f, "  ~ {a}")?;
        }
        writeln!(f, "reactivated: {}", self.reactivated.len())?;
        for a in &self.reactivated {
            writeln!(f, "  ^ {a}")?;
        }
        writeln!(
            f,
            "retired (marked inactive, data kept): {}",
            self.retired.len()
        )?;
        for a in &self.retired {
            writeln!(f, "  - {a}")?;
        }
        write!(f, "unchanged: {}", self.unchanged)
    }
}

/// Applies a newer ISTAT list of comuni: updates names and codes, adds new comuni, marks the ones
/// that vanished inactive. Nothing is ever deleted, so the data attached to a merged comune stays.
/// All or nothing: one bad row and the database is not touched.
pub async fn import_authorities(
    db: &DatabaseConnection,
    csv_text: &str,
) -> anyhow::Result<ImportReport> {
    let rows = parse_comuni(csv_text)?;
    let known_provinces: Vec<String> = province::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .map(|p| p.code)
        .collect();
    let mut seen = BTreeMap::new();
    for r in &rows {
        if !known_provinces.iter().any(|p| p == r.province.as_str()) {
            bail!(
                "{} {}: unknown province {}",
                r.istat_code,
                r.name,
                r.province
            );
        }
        if seen.insert(r.istat_code.to_string(), ()).is_some() {
            bail!("{} appears twice in the file", r.istat_code);
        }
    }
    let txn = crate::db::begin_write(db).await?;
    let existing: HashMap<String, authority::Model> = authority::Entity::find()
        .filter(authority::Column::Kind.eq(AuthorityKind::Comune.code()))
        .all(&txn)
        .await?
        .into_iter()
        .map(|a| (a.istat_code.clone(), a))
        .collect();
    let mut report = ImportReport::default();
    let now = Utc::now();
    for r in &rows {
        let label = format!("{} {}", r.istat_code, r.name);
        match existing.get(r.istat_code.as_str()) {
            None => {
                authority::Entity::insert(authority_row(
                    r.istat_code.as_str(),
                    &r.name,
                    AuthorityKind::Comune,
                    Some(r.province.as_str()),
                    Some(&r.cadastral_code),
                    Some(&r.fiscal_code),
                ))
                .exec_without_returning(&txn)
                .await?;
                report.added.push(label);
            }
            Some(a) => {
                let changed = a.name != r.name
                    || a.province.as_deref() != Some(r.province.as_str())
                    || a.cadastral_code.as_deref() != Some(r.cadastral_code.as_str())
                    || a.fiscal_code.as_deref() != Some(r.fiscal_code.as_str());
                if changed || !a.active {
                    let am = authority::ActiveModel {
                        istat_code: Set(a.istat_code.clone()),
                        name: Set(r.name.clone()),
                        name_search: Set(fold_for_search(&r.name)),
                        province: Set(Some(r.province.to_string())),
                        cadastral_code: Set(Some(r.cadastral_code.clone())),
                        fiscal_code: Set(Some(r.fiscal_code.clone())),
                        active: Set(true),
                        updated_at: Set(now),
                        ..Default::default()
                    };
                    authority::Entity::update(am).exec(&txn).await?;
                    if !a.active {
                        report.reactivated.push(label);
                    } else {
                        report.updated.push(if a.name != r.name {
                            format!("{label} (was {})", a.name)
                        } else {
                            label
                        });
                    }
                } else {
                    report.unchanged += 1;
                }
            }
        }
    }
    let gone: Vec<&authority::Model> = existing
        .values()
        .filter(|a| a.active && !seen.contains_key(&a.istat_code))
        .collect();
    for a in gone {
        authority::Entity::update(authority::ActiveModel {
            istat_code: Set(a.istat_code.clone()),
            active: Set(false),
            updated_at: Set(now),
            ..Default::default()
        })
        .exec(&txn)
        .await?;
        report.retired.push(format!("{} {}", a.istat_code, a.name));
    }
    if !(report.added.is_empty()
        && report.updated.is_empty()
        && report.reactivated.is_empty()
        && report.retired.is_empty())
    {
        bump_authorities_version(&txn).await?;
    }
    txn.commit().await?;
    report.retired.sort();
    Ok(report)
}

/// Parses a procedure code of the default catalog (they are all valid; checked by a test).
pub fn catalog_code(code: &str) -> ProcedureCode {
    ProcedureCode::parse(code).expect("catalog codes are valid")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bundled_registry_has_1502_comuni_in_12_provinces() {
        let comuni = parse_comuni(COMUNI_CSV).unwrap();
        assert_eq!(comuni.len(), 1502);
        let provinces = parse_provinces().unwrap();
        assert_eq!(provinces.len(), 12);
        for p in &provinces {
            assert!(
                comuni.iter().any(|c| c.province == p.code),
                "{} has no comuni",
                p.code
            );
        }
        assert!(comuni.iter().any(|c| c.name == "Fenegrò"));
    }

    #[test]
    fn the_default_catalog_is_valid() {
        for (_, code, name, days) in DEFAULT_CATALOG {
            catalog_code(code);
            assert!(!name.is_empty() && days > 0);
        }
        for tf in TaskForce::ALL {
            assert!(
                DEFAULT_CATALOG.iter().any(|(t, ..)| *t == tf),
                "{tf} has no procedure"
            );
        }
    }

    #[test]
    fn bad_rows_are_reported_by_line() {
        let err = parse_comuni("istat_code,name,province,cadastral_code,fiscal_code\n012001,Agra,VA,A085,1\n12,Bad,VA,,\n012003,,VA,,\n")
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("line 3") && err.contains("line 4") && !err.contains("line 2"),
            "{err}"
        );
    }
}
