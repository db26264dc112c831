//! Dashboards and exports of the indicators (DOMAIN.md §5): a scope's semesters with baseline,
//! latest, targets and progress; reporting completeness; rankings; CSV and JSON; open data.
//!
//! Observers see their province, authority users their own authority, experts the authorities
//! of their requests; the secretariat, coordinators and admins see everything.

use crate::app::sight::Sight;
use crate::auth::Caller;
use crate::csv::{BOM, line, number, row, text};
use crate::error::{ApiError, ApiResult};
use crate::extract::Query;
use crate::indicators::{Cube, Filter, IndicatorCache, QueryError, Ranking};
use actix_web::http::header;
use actix_web::{HttpResponse, get, web};
use affianca_domain::dto::{
    CompletenessRow, IndicatorLevel, IndicatorReport, RankingRow, SeriesPoint,
};
use affianca_domain::monitoring::parse_sem;
use affianca_domain::policy::Object;
use sea_orm::{ConnectionTrait, DatabaseConnection};
use serde::Deserialize;
use std::collections::HashSet;
use utoipa::IntoParams;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct IndicatorQuery {
    /// `region` (default), `province`, `task_force`, `procedure`, `phase` or `authority`.
    pub level: Option<String>,
    /// The scope at that level: a province code (`BG`), a task force (`building_planning`), a
    /// procedure (`PDC`), a phase id, an ISTAT code. Not for `region`.
    pub key: Option<String>,
    /// Only this procedure.
    pub procedure: Option<String>,
    /// Only the procedures of this task force.
    pub task_force: Option<String>,
    /// First semester (`2021S1`); default the first with data or the baseline.
    pub from: Option<String>,
    /// Last semester; default the last one ended.
    pub to: Option<String>,
    /// `true`: validated semesters only.
    #[serde(default)]
    pub validated_only: bool,
    /// `json` (default) or `csv`.
    pub format: Option<String>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RankingQuery {
    pub level: Option<String>,
    pub key: Option<String>,
    pub procedure: Option<String>,
    pub task_force: Option<String>,
    pub from: Option<String>,
    pub to: Option<String>,
    #[serde(default)]
    pub validated_only: bool,
    /// `backlog` (largest first, default), `duration` (longest first) or `progress` (worst first).
    pub by: Option<String>,
    /// How many (default 10, at most 500).
    pub limit: Option<usize>,
    /// `json` (default) or `csv`.
    pub format: Option<String>,
}

fn filter(
    level: Option<&str>,
    key: Option<&str>,
    procedure: Option<&str>,
    task_force: Option<&str>,
    from: Option<&str>,
    to: Option<&str>,
    validated_only: bool,
) -> ApiResult<Filter> {
    let level = match level {
        None => IndicatorLevel::Region,
        Some(l) => {
            IndicatorLevel::parse(l).map_err(|e| ApiError::invalid_field("level", e.to_string()))?
        }
    };
    let sem = |name: &str, v: Option<&str>| -> ApiResult<Option<i32>> {
        v.map(|s| parse_sem(s).map_err(|e| ApiError::invalid_field(name, e.to_string())))
            .transpose()
    };
    let (from, to) = (sem("from", from)?, sem("to", to)?);
    if let (Some(f), Some(t)) = (from, to)
        && f > t
    {
        return Err(ApiError::invalid_field("to", "deve seguire «from»"));
    }
    if from.zip(to).is_some_and(|(f, t)| t - f > 200) {
        return Err(ApiError::invalid_field("from", "al massimo 100 anni"));
    }
    Ok(Filter {
        level,
        key: key
            .map(str::trim)
            .filter(|k| !k.is_empty())
            .map(str::to_owned),
        procedure: procedure.map(str::to_owned),
        task_force: task_force.map(str::to_owned),
        from,
        to,
        validated_only,
    })
}

fn query_error(e: QueryError) -> ApiError {
    match e {
        QueryError::MissingKey => ApiError::invalid_field(
            "key",
            "indicare la chiave del livello (provincia, task force, procedimento, fase o ente)",
        ),
        QueryError::UnknownKey => ApiError::not_found("Questo ambito"),
    }
}

/// The authorities the caller may see; `None` for everything.
async fn visible(
    db: &impl ConnectionTrait,
    caller: &Caller,
    cube: &Cube,
) -> ApiResult<Option<HashSet<u32>>> {
    let sight = Sight::of(caller, Object::Authority);
    if sight.everywhere() {
        return Ok(None);
    }
    let assigned = sight.assigned_authorities(db).await?;
    let mut set: HashSet<u32> = sight
        .own()
        .iter()
        .chain(&assigned)
        .filter_map(|c| cube.authority_index(c))
        .collect();
    for (i, a) in cube.authorities().iter().enumerate() {
        if a.province
            .as_ref()
            .is_some_and(|p| sight.provinces().contains(p.as_str()))
        {
            set.insert(i as u32);
        }
    }
    Ok(Some(set))
}

/// Restricted callers ask about their own scopes only: a province they observe, an authority
/// they see.
fn check_scope(cube: &Cube, f: &Filter, visible: Option<&HashSet<u32>>) -> ApiResult<()> {
    let Some(v) = visible else {
        return Ok(());
    };
    let ok = match f.level {
        IndicatorLevel::Authority => f
            .key
            .as_deref()
            .and_then(|k| cube.authority_index(k))
            .is_some_and(|a| v.contains(&a)),
        IndicatorLevel::Province => f.key.as_deref().is_some_and(|k| {
            let k = k.to_uppercase();
            let members: Vec<usize> = cube
                .authorities()
                .iter()
                .enumerate()
                .filter(|(_, a)| a.province.as_deref() == Some(k.as_str()))
                .map(|(i, _)| i)
                .collect();
            !members.is_empty() && members.iter().all(|i| v.contains(&(*i as u32)))
        }),
        _ => false,
    };
    if ok {
        Ok(())
    } else {
        Err(ApiError::forbidden(
            "Si vedono gli indicatori dei propri enti (e, per gli uffici provinciali, della propria provincia); i livelli regionali sono della Segreteria Tecnica.",
        ))
    }
}

fn wants_csv(format: Option<&str>) -> ApiResult<bool> {
    match format {
        None | Some("json") => Ok(false),
        Some("csv") => Ok(true),
        Some(_) => Err(ApiError::invalid_field("format", "json oppure csv")),
    }
}

fn num(v: Option<f64>) -> String {
    v.map_or(String::new(), |v| format!("{v:.2}").replace('.', ","))
}

fn csv_response(name: &str, body: String) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{name}\""),
        ))
        .body(body)
}

fn series_csv(report: &IndicatorReport) -> String {
    let mut out = String::from(BOM);
    out.push_str(&line(&[
        "ambito",
        "semestre",
        "avviate",
        "concluse_espresse",
        "concluse_con_sospensione",
        "concluse_con_conferenza",
        "concluse_silenzio_assenso",
        "durata_media_giorni",
        "durata_netta_media_giorni",
        "termine_mediano_giorni",
        "arretrato",
        "somma_giorni",
        "somma_giorni_netti",
        "enti_con_dati",
    ]));
    for p in &report.series {
        let SeriesPoint { parts, .. } = p;
        out.push_str(&row(&[
            text(report.name.clone()),
            text(p.period.to_string()),
            number(p.started),
            number(p.concluded_express),
            number(p.concluded_express_with_suspension),
            number(p.concluded_express_with_conference),
            number(p.concluded_silent_assent),
            number(num(p.avg_duration_days)),
            number(num(p.avg_net_duration_days)),
            number(num(p.max_term_days)),
            number(p.backlog),
            number(parts.duration_days_sum),
            number(parts.net_duration_days_sum),
            number(p.authorities),
        ]));
    }
    out
}

/// The indicators of a scope per semester, with baseline, latest, targets, progress and status,
/// and the scope one level down for drill-down. `format=csv` for a spreadsheet.
#[utoipa::path(
    tag = "indicators",
    security(("bearer" = [])),
    params(IndicatorQuery),
    responses(
        (status = 200, description = "The scope's indicators (JSON, or CSV with format=csv)", body = IndicatorReport),
        crate::openapi::Unauthorized,
        crate::openapi::Forbidden,
        crate::openapi::NotFound,
        crate::openapi::Unprocessable,
    )
)]
#[get("/indicators")]
pub async fn indicators(
    db: web::Data<DatabaseConnection>,
    cache: web::Data<IndicatorCache>,
    caller: Caller,
    query: Query<IndicatorQuery>,
) -> ApiResult<HttpResponse> {
    let q = &query.0;
    let f = filter(
        q.level.as_deref(),
        q.key.as_deref(),
        q.procedure.as_deref(),
        q.task_force.as_deref(),
        q.from.as_deref(),
        q.to.as_deref(),
        q.validated_only,
    )?;
    let csv = wants_csv(q.format.as_deref())?;
    let cube = cache.get(db.get_ref()).await?;
    let vis = visible(db.get_ref(), &caller, &cube).await?;
    check_scope(&cube, &f, vis.as_ref())?;
    let key = format!("indicators|{q:?}|{}", vis_key(vis.as_ref()));
    let answer = cube.memo(key, &f, || {
        let report = cube.report(&f, vis.as_ref()).map_err(query_error)?;
        Ok::<_, ApiError>(if csv {
            series_csv(&report)
        } else {
            serde_json::to_string(&report).map_err(ApiError::internal)?
        })
    })?;
    if csv {
        return Ok(csv_response("indicatori.csv", (*answer).clone()));
    }
    Ok(json_response(&answer))
}

/// A signature of what the caller may see, for the cube's memo of answers.
fn vis_key(v: Option<&HashSet<u32>>) -> String {
    match v {
        None => "all".to_owned(),
        Some(set) => {
            let mut ids: Vec<u32> = set.iter().copied().collect();
            ids.sort_unstable();
            format!("{ids:?}")
        }
    }
}

fn json_response(body: &str) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("application/json")
        .body(body.to_owned())
}

/// How many authorities of a scope had data, submitted, were validated, or are late, per semester.
#[utoipa::path(
    tag = "indicators",
    security(("bearer" = [])),
    params(IndicatorQuery),
    responses(
        (status = 200, description = "Per semester", body = Vec<CompletenessRow>),
        crate::openapi::Unauthorized,
        crate::openapi::Forbidden,
        crate::openapi::NotFound,
        crate::openapi::Unprocessable,
    )
)]
#[get("/indicators/completeness")]
pub async fn completeness(
    db: web::Data<DatabaseConnection>,
    cache: web::Data<IndicatorCache>,
    caller: Caller,
    query: Query<IndicatorQuery>,
) -> ApiResult<HttpResponse> {
    let q = &query.0;
    let f = filter(
        q.level.as_deref(),
        q.key.as_deref(),
        q.procedure.as_deref(),
        q.task_force.as_deref(),
        q.from.as_deref(),
        q.to.as_deref(),
        false,
    )?;
    let csv = wants_csv(q.format.as_deref())?;
    let cube = cache.get(db.get_ref()).await?;
    let vis = visible(db.get_ref(), &caller, &cube).await?;
    check_scope(&cube, &f, vis.as_ref())?;
    if !csv {
        // JSON answers are kept with the cube; the CSV is written from the rows each time.
        let key = format!("completeness|{q:?}|{}", vis_key(vis.as_ref()));
        let answer = cube.memo(key, &f, || {
            let rows = cube.completeness(&f, vis.as_ref()).map_err(query_error)?;
            serde_json::to_string(&rows).map_err(ApiError::internal)
        })?;
        return Ok(json_response(&answer));
    }
    let rows = cube.completeness(&f, vis.as_ref()).map_err(query_error)?;
    if csv {
        let mut out = String::from(BOM);
        out.push_str(&line(&[
            "semestre",
            "enti",
            "con_dati",
            "inviati",
            "validati",
            "in_ritardo",
        ]));
        for r in &rows {
            out.push_str(&row(&[
                text(r.period.to_string()),
                number(r.authorities),
                number(r.with_data),
                number(r.submitted),
                number(r.validated),
                number(r.late),
            ]));
        }
        return Ok(csv_response("completezza.csv", out));
    }
    Ok(HttpResponse::Ok().json(rows))
}

/// Authorities of a scope with the largest backlog, the longest average duration or the worst
/// progress (latest semester).
#[utoipa::path(
    tag = "indicators",
    security(("bearer" = [])),
    params(RankingQuery),
    responses(
        (status = 200, description = "Ranking", body = Vec<RankingRow>),
        crate::openapi::Unauthorized,
        crate::openapi::Forbidden,
        crate::openapi::NotFound,
        crate::openapi::Unprocessable,
    )
)]
#[get("/indicators/rankings")]
pub async fn rankings(
    db: web::Data<DatabaseConnection>,
    cache: web::Data<IndicatorCache>,
    caller: Caller,
    query: Query<RankingQuery>,
) -> ApiResult<HttpResponse> {
    let q = &query.0;
    let f = filter(
        q.level.as_deref(),
        q.key.as_deref(),
        q.procedure.as_deref(),
        q.task_force.as_deref(),
        q.from.as_deref(),
        q.to.as_deref(),
        q.validated_only,
    )?;
    let by = match q.by.as_deref() {
        None | Some("backlog") => Ranking::Backlog,
        Some("duration") => Ranking::Duration,
        Some("progress") => Ranking::Progress,
        Some(_) => {
            return Err(ApiError::invalid_field(
                "by",
                "backlog, duration oppure progress",
            ));
        }
    };
    let limit = q.limit.unwrap_or(10);
    if !(1..=500).contains(&limit) {
        return Err(ApiError::invalid_field("limit", "da 1 a 500"));
    }
    let csv = wants_csv(q.format.as_deref())?;
    let cube = cache.get(db.get_ref()).await?;
    let vis = visible(db.get_ref(), &caller, &cube).await?;
    check_scope(&cube, &f, vis.as_ref())?;
    if !csv {
        let key = format!("rankings|{q:?}|{}", vis_key(vis.as_ref()));
        let answer = cube.memo(key, &f, || {
            let rows = cube
                .rankings(&f, vis.as_ref(), by, limit)
                .map_err(query_error)?;
            serde_json::to_string(&rows).map_err(ApiError::internal)
        })?;
        return Ok(json_response(&answer));
    }
    let rows = cube
        .rankings(&f, vis.as_ref(), by, limit)
        .map_err(query_error)?;
    if csv {
        let mut out = String::from(BOM);
        out.push_str(&line(&[
            "codice_istat",
            "ente",
            "provincia",
            "arretrato",
            "durata_media_giorni",
            "avanzamento_arretrato_pct",
            "stato",
        ]));
        for r in &rows {
            out.push_str(&row(&[
                text(r.authority.clone()),
                text(r.name.clone()),
                text(r.province.clone().unwrap_or_default()),
                number(r.backlog),
                number(num(r.avg_duration_days)),
                number(num(r.progress_pct)),
                text(r.status.label().to_owned()),
            ]));
        }
        return Ok(csv_response("classifica.csv", out));
    }
    Ok(HttpResponse::Ok().json(rows))
}

/// Open data: the validated indicators of every authority, procedure and semester (CSV, no
/// personal data, no authentication).
#[utoipa::path(
    tag = "indicators",
    security(()),
    responses(
        (status = 200, description = "CSV", content_type = "text/csv", body = String),
        crate::openapi::InternalError,
    )
)]
#[get("/open-data/indicators.csv")]
pub async fn open_data(
    db: web::Data<DatabaseConnection>,
    cache: web::Data<IndicatorCache>,
) -> ApiResult<HttpResponse> {
    let cube = cache.get(db.get_ref()).await?;
    let mut out = String::from(BOM);
    out.push_str(&line(&[
        "codice_istat",
        "ente",
        "provincia",
        "procedimento",
        "task_force",
        "semestre",
        "avviate",
        "concluse_espresse",
        "concluse_con_sospensione",
        "concluse_con_conferenza",
        "concluse_silenzio_assenso",
        "somma_giorni",
        "somma_giorni_netti",
        "durata_media_giorni",
        "durata_netta_media_giorni",
        "termine_mediano_giorni",
        "arretrato",
    ]));
    for (a, p, period, parts, term) in cube.open_data() {
        out.push_str(&row(&[
            text(a.code.clone()),
            text(a.name.clone()),
            text(a.province.clone().unwrap_or_default()),
            text(p.code.clone()),
            text(p.task_force.clone()),
            text(period.to_string()),
            number(parts.started),
            number(parts.concluded_express),
            number(parts.concluded_express_with_suspension),
            number(parts.concluded_express_with_conference),
            number(parts.concluded_silent_assent),
            number(parts.duration_days_sum),
            number(parts.net_duration_days_sum),
            number(num(parts.avg_duration_days())),
            number(num(parts.avg_net_duration_days())),
            number(num(Some(term))),
            number(parts.backlog),
        ]));
    }
    Ok(csv_response("affianca-indicatori.csv", out))
}
