//! The registry of authorities held in memory. It is reference data (about 1,500 rows) read on
//! almost every page and changed only by imports, so each request checks one version number
//! (`reference_versions`, bumped in the same transaction as every change, by any process) and
//! filters, sorts and pages in memory; the rows are reloaded only when the version moved.

use crate::entities::{authority, province, reference_version};
use affianca_domain::dto::Authority;
use affianca_domain::{AuthorityKind, IstatCode, ProvinceCode};
use sea_orm::{DatabaseConnection, EntityTrait, FromQueryResult, QueryOrder, QuerySelect};
use std::collections::HashMap;
use std::sync::{Arc, RwLock};

/// The codes (sigle) of Lombardy's 12 provinces: fixed reference data, checked against the bundled
/// ISTAT list by a test.
pub const PROVINCES: [&str; 12] = [
    "BG", "BS", "CO", "CR", "LC", "LO", "MB", "MI", "MN", "PV", "SO", "VA",
];

/// One authority with its folded name for search.
#[derive(Debug, Clone)]
pub struct Entry {
    pub authority: Authority,
    pub name_search: String,
}

/// A consistent copy of the registry at one version, sorted by name then code.
#[derive(Debug, Default)]
pub struct Snapshot {
    pub version: i64,
    pub entries: Vec<Entry>,
    by_code: HashMap<String, usize>,
    /// Province names by sigla.
    pub province_names: HashMap<String, String>,
}

impl Snapshot {
    pub fn get(&self, code: &str) -> Option<&Authority> {
        self.by_code.get(code).map(|&i| &self.entries[i].authority)
    }
}

#[derive(Debug, FromQueryResult)]
struct Row {
    istat_code: String,
    name: String,
    name_search: String,
    kind: String,
    province: Option<String>,
    cadastral_code: Option<String>,
    fiscal_code: Option<String>,
    active: bool,
}

/// Shared by all workers of a server.
#[derive(Debug, Clone, Default)]
pub struct Registry {
    current: Arc<RwLock<Arc<Snapshot>>>,
    /// When the version was last read from the database.
    checked: Arc<std::sync::Mutex<Option<std::time::Instant>>>,
}

/// How stale [`Registry::snapshot_recent`] may be.
pub const RECENT: std::time::Duration = std::time::Duration::from_secs(2);

impl Registry {
    /// The registry as of at most [`RECENT`] ago, without a query when it was read that recently:
    /// for pages that only show authorities' names next to other data (support requests), where a
    /// rename seen two seconds late does no harm. The directory itself uses [`Registry::snapshot`].
    pub async fn snapshot_recent(
        &self,
        db: &DatabaseConnection,
    ) -> Result<Arc<Snapshot>, sea_orm::DbErr> {
        let recent = self
            .checked
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .is_some_and(|t| t.elapsed() < RECENT);
        if recent {
            let cached = self.current.read().unwrap_or_else(|e| e.into_inner());
            if !cached.entries.is_empty() {
                return Ok(cached.clone());
            }
        }
        self.snapshot(db).await
    }

    /// The registry as of now: one cheap query, plus a reload when something changed.
    pub async fn snapshot(&self, db: &DatabaseConnection) -> Result<Arc<Snapshot>, sea_orm::DbErr> {
        let version = reference_version::Entity::find_by_id("authorities".to_owned())
            .one(db)
            .await?
            .map_or(0, |v| v.version);
        *self.checked.lock().unwrap_or_else(|e| e.into_inner()) = Some(std::time::Instant::now());
        {
            let cached = self.current.read().unwrap_or_else(|e| e.into_inner());
            if cached.version == version && !cached.entries.is_empty() {
                return Ok(cached.clone());
            }
        }
        let fresh = Arc::new(load(db, version).await?);
        *self.current.write().unwrap_or_else(|e| e.into_inner()) = fresh.clone();
        tracing::info!(
            version,
            authorities = fresh.entries.len(),
            "registry of authorities loaded"
        );
        Ok(fresh)
    }
}

async fn load(db: &DatabaseConnection, version: i64) -> Result<Snapshot, sea_orm::DbErr> {
    use authority::Column as C;
    let province_names: HashMap<String, String> = province::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .map(|p| (p.code, p.name))
        .collect();
    let rows = authority::Entity::find()
        .select_only()
        .columns([
            C::IstatCode,
            C::Name,
            C::NameSearch,
            C::Kind,
            C::Province,
            C::CadastralCode,
            C::FiscalCode,
            C::Active,
        ])
        .order_by_asc(C::Name)
        .order_by_asc(C::IstatCode)
        .into_model::<Row>()
        .all(db)
        .await?;
    let mut entries = Vec::with_capacity(rows.len());
    for r in rows {
        // Codes were parsed when stored; a row that no longer parses is logged and left out.
        let Ok(istat_code) = IstatCode::parse(&r.istat_code) else {
            tracing::error!(istat_code = %r.istat_code, "stored ISTAT code does not parse");
            continue;
        };
        entries.push(Entry {
            name_search: r.name_search,
            authority: Authority {
                istat_code,
                province_name: r
                    .province
                    .as_ref()
                    .and_then(|p| province_names.get(p).cloned()),
                province: r
                    .province
                    .as_deref()
                    .and_then(|p| ProvinceCode::parse(p).ok()),
                name: r.name,
                kind: AuthorityKind::parse(&r.kind).unwrap_or(AuthorityKind::Comune),
                cadastral_code: r.cadastral_code,
                fiscal_code: r.fiscal_code,
                active: r.active,
            },
        });
    }
    // The database's collation may differ from Rust's; keep one order everywhere.
    entries.sort_by(|a, b| {
        a.authority
            .name
            .cmp(&b.authority.name)
            .then_with(|| a.authority.istat_code.cmp(&b.authority.istat_code))
    });
    let by_code = entries
        .iter()
        .enumerate()
        .map(|(i, e)| (e.authority.istat_code.to_string(), i))
        .collect();
    Ok(Snapshot {
        version,
        entries,
        by_code,
        province_names,
    })
}

/// The 12 provinces (11 Province and the Città metropolitana di Milano) in name order, each with
/// how many active comuni it has.
pub async fn provinces(
    db: &sea_orm::DatabaseConnection,
) -> Result<Vec<affianca_domain::dto::Province>, sea_orm::DbErr> {
    use crate::entities::{authority, province};
    use affianca_domain::dto::Province;
    use affianca_domain::{AuthorityKind, IstatCode, ProvinceCode};
    use sea_orm::sea_query::Expr;
    use sea_orm::{
        ColumnTrait, EntityTrait, FromQueryResult, QueryFilter, QueryOrder, QuerySelect,
    };
    use std::collections::HashMap;
    let provinces = province::Entity::find()
        .order_by_asc(province::Column::Name)
        .all(db)
        .await?;
    #[derive(FromQueryResult)]
    struct CountRow {
        province: Option<String>,
        n: i64,
    }
    let counts: HashMap<String, u64> = authority::Entity::find()
        .select_only()
        .column(authority::Column::Province)
        .column_as(Expr::cust("COUNT(*)"), "n")
        .filter(authority::Column::Kind.eq(AuthorityKind::Comune.code()))
        .filter(authority::Column::Active.eq(true))
        .group_by(authority::Column::Province)
        .into_model::<CountRow>()
        .all(db)
        .await?
        .into_iter()
        .filter_map(|r| Some((r.province?, r.n.max(0) as u64)))
        .collect();
    let items: Vec<Province> = provinces
        .into_iter()
        .filter_map(|p| {
            Some(Province {
                comuni: counts.get(&p.code).copied().unwrap_or(0),
                code: ProvinceCode::parse(&p.code).ok()?,
                authority_code: IstatCode::parse(&p.authority_code).ok()?,
                kind: AuthorityKind::parse(&p.kind).ok()?,
                name: p.name,
                istat_code: p.istat_code,
                fiscal_code: p.fiscal_code,
                nuts3: p.nuts3,
            })
        })
        .collect();
    Ok(items)
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_province_codes_match_the_istat_list() {
        let mut from_csv: Vec<String> = crate::reference::PROVINCES_CSV
            .lines()
            .skip(1)
            .filter_map(|l| l.split(',').nth(2).map(str::to_owned))
            .collect();
        from_csv.sort();
        assert_eq!(from_csv, super::PROVINCES);
    }
}
