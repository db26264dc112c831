//! `affianca seed-demo --scale region`: a realistic region for load tests and demos — 120 experts
//! in the 8 task forces (one coordinator each), 20,000 support requests over three years in every
//! status with consistent histories, assignments and service levels, 200,000 activity entries
//! (never more than 24 hours per expert per day) and about 10,000 messages. Deterministic (a
//! fixed seed) and written in bulk, in one transaction.

use affianca_api::entities::{
    activity_entry, authority, expert_profile, procedure, request_assignee, request_message,
    request_transition, role_grant, support_request, user,
};
use affianca_domain::calendar::{Hold, due_date, rome_date};
use affianca_domain::request::{ASSIGN_DAYS, TAKE_CHARGE_DAYS};
use affianca_domain::text::fold_for_search;
use affianca_domain::{ActivityKind, Role, SupportKind, SupportMode, TaskForce, Urgency};
use anyhow::Context;
use chrono::{DateTime, Duration, NaiveDate, Utc};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait,
    PaginatorTrait, QueryFilter, QueryOrder, QuerySelect,
};
use std::collections::HashMap;

/// How much to generate.
#[derive(Debug, Clone, Copy)]
pub struct Sizes {
    pub experts: usize,
    pub requests: usize,
    pub activities: usize,
}

/// The region of the issue: 120 experts, 20,000 requests, 200,000 activity entries.
pub const REGION: Sizes = Sizes {
    experts: 120,
    requests: 20_000,
    activities: 200_000,
};

/// Files in the registers of the region-scale dataset (DOMAIN.md §5, issue 5: at least 1.5 M).
pub const REGISTER_FILES: usize = 1_520_000;

/// What was created.
#[derive(Debug, Default)]
pub struct ScaleReport {
    pub experts: usize,
    pub requests: usize,
    pub transitions: usize,
    pub activities: usize,
    pub messages: usize,
}

/// A small deterministic generator (SplitMix64): the same region every time.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// Uniform in `0..n` (n > 0).
    fn below(&mut self, n: usize) -> usize {
        usize::try_from(self.next() % (n as u64)).unwrap_or(0)
    }
    fn pick<'a, T>(&mut self, v: &'a [T]) -> &'a T {
        &v[self.below(v.len())]
    }
    fn chance(&mut self, percent: usize) -> bool {
        self.below(100) < percent
    }
    fn minutes(&mut self, max: i64) -> Duration {
        Duration::minutes(
            i64::try_from(self.next() % u64::try_from(max.max(1)).unwrap_or(1)).unwrap_or(0),
        )
    }
}

const FIRST: [&str; 24] = [
    "Anna",
    "Marco",
    "Giulia",
    "Luca",
    "Sara",
    "Paolo",
    "Chiara",
    "Davide",
    "Elena",
    "Matteo",
    "Francesca",
    "Andrea",
    "Laura",
    "Stefano",
    "Valentina",
    "Giorgio",
    "Silvia",
    "Roberto",
    "Marta",
    "Alessandro",
    "Federica",
    "Simone",
    "Ilaria",
    "Lorenzo",
];
const LAST: [&str; 24] = [
    "Colombo",
    "Bianchi",
    "Rossi",
    "Ferrari",
    "Russo",
    "Galli",
    "Conti",
    "Ricci",
    "Marino",
    "Greco",
    "Bruno",
    "Gallo",
    "Costa",
    "Fontana",
    "Moretti",
    "Barbieri",
    "Lombardi",
    "Mariani",
    "Rinaldi",
    "Caruso",
    "Ferri",
    "Villa",
    "Sala",
    "Brambilla",
];
const PROVINCES: [&str; 12] = [
    "BG", "BS", "CO", "CR", "LC", "LO", "MN", "MI", "MB", "PV", "SO", "VA",
];

/// The status a generated request ends in, with its weight in 1000.
const STATUS_MIX: [(&str, usize); 10] = [
    ("closed", 450),
    ("completed", 80),
    ("in_progress", 120),
    ("assigned", 50),
    ("on_hold", 30),
    ("under_review", 40),
    ("submitted", 50),
    ("rejected", 60),
    ("withdrawn", 40),
    ("draft", 80),
];

fn pick_status(rng: &mut Rng) -> &'static str {
    let mut x = rng.below(1000);
    for (s, w) in STATUS_MIX {
        if x < w {
            return s;
        }
        x -= w;
    }
    "closed"
}

/// For benchmarks at `factor` times the region (`seed-demo --scale region --factor N`): adds
/// `(factor − 1) × ` the real authorities as synthetic comuni, named as such ("Ente sintetico 123 (BG)"),
/// coded `9xxxxx` (no ISTAT code of Lombardy starts with 9), spread over the 12 provinces. The
/// registers then hold `factor` times the files. Does nothing for a factor of 1 or when they exist.
pub async fn seed_synthetic_authorities(
    db: &DatabaseConnection,
    factor: usize,
) -> anyhow::Result<usize> {
    use affianca_domain::text::fold_for_search;
    if factor <= 1 {
        return Ok(0);
    }
    let real = authority::Entity::find()
        .filter(authority::Column::IstatCode.not_like("9%"))
        .filter(authority::Column::Kind.ne("regione"))
        .count(db)
        .await? as usize;
    let wanted = real * (factor - 1);
    anyhow::ensure!(
        wanted < 100_000,
        "factor too large: at most 99,999 synthetic authorities"
    );
    let existing = authority::Entity::find()
        .filter(authority::Column::IstatCode.like("9%"))
        .count(db)
        .await? as usize;
    if existing >= wanted {
        return Ok(0);
    }
    let now = Utc::now();
    let provinces = affianca_api::registry::PROVINCES;
    let rows: Vec<authority::ActiveModel> = (existing + 1..=wanted)
        .map(|i| {
            let province = provinces[i % provinces.len()];
            let name = format!("Ente sintetico {i} ({province})");
            authority::ActiveModel {
                istat_code: Set(format!("9{i:05}")),
                name_search: Set(fold_for_search(&name)),
                name: Set(name),
                kind: Set("comune".to_owned()),
                province: Set(Some(province.to_owned())),
                cadastral_code: Set(None),
                fiscal_code: Set(None),
                active: Set(true),
                created_at: Set(now),
                updated_at: Set(now),
            }
        })
        .collect();
    let n = rows.len();
    let txn = affianca_api::db::begin_write(db).await?;
    insert_chunks(&txn, rows, 1000).await?;
    affianca_api::reference::bump_authorities_version(&txn).await?;
    txn.commit().await?;
    Ok(n)
}

/// Inserts `rows` in chunks (databases limit the parameters of one statement).
async fn insert_chunks<E, A>(
    db: &impl ConnectionTrait,
    rows: Vec<A>,
    per: usize,
) -> Result<(), sea_orm::DbErr>
where
    E: EntityTrait,
    A: sea_orm::ActiveModelTrait<Entity = E> + Send,
{
    let mut rows = rows.into_iter().peekable();
    while rows.peek().is_some() {
        let chunk: Vec<A> = rows.by_ref().take(per).collect();
        E::insert_many(chunk).exec_without_returning(db).await?;
    }
    Ok(())
}

/// Seeds the region (after the reference data and the demo accounts). Does nothing when the
/// database already holds that many requests.
pub async fn seed_region(db: &DatabaseConnection, sizes: Sizes) -> anyhow::Result<ScaleReport> {
    if support_request::Entity::find().count(db).await? >= sizes.requests as u64 {
        return Ok(ScaleReport::default());
    }
    let mut rng = Rng(20_212_026);
    let now = Utc::now();
    let hash = affianca_api::auth::password::hash_blocking(crate::DEMO_PASSWORD.to_owned()).await?;
    let rep = user::Entity::find()
        .filter(user::Column::Email.eq("sindaco.bergamo@demo.affianca.it"))
        .one(db)
        .await?
        .context("run the demo seed first")?;
    let secretariat = user::Entity::find()
        .filter(user::Column::Email.eq("segreteria@demo.affianca.it"))
        .one(db)
        .await?
        .context("run the demo seed first")?;
    let comuni: Vec<(String, Option<String>)> = authority::Entity::find()
        .select_only()
        .column(authority::Column::IstatCode)
        .column(authority::Column::Province)
        .filter(authority::Column::Active.eq(true))
        .filter(authority::Column::Kind.eq("comune"))
        .order_by_asc(authority::Column::IstatCode)
        .into_tuple()
        .all(db)
        .await?;
    anyhow::ensure!(!comuni.is_empty(), "the reference data is missing");
    // Some authorities ask often, most rarely: a busy third gets most requests.
    let busy: Vec<usize> = (0..comuni.len()).filter(|i| i % 3 == 0).collect();
    let procedures: Vec<(String, String, String)> = procedure::Entity::find()
        .select_only()
        .column(procedure::Column::Code)
        .column(procedure::Column::TaskForce)
        .column(procedure::Column::Name)
        .filter(procedure::Column::Active.eq(true))
        .into_tuple()
        .all(db)
        .await?;

    let txn = affianca_api::db::begin_write(db).await?;
    let mut report = ScaleReport::default();

    // ---- experts --------------------------------------------------------------------------------
    let mut users = Vec::new();
    for i in 0..sizes.experts {
        let name = format!(
            "{} {}",
            FIRST[i % FIRST.len()],
            LAST[(i * 7 + i / FIRST.len()) % LAST.len()]
        );
        users.push(user::ActiveModel {
            email: Set(format!("esperto.{i:03}@scala.affianca.it")),
            full_name: Set(name),
            password_hash: Set(hash.clone()),
            active: Set(true),
            created_at: Set(now),
            ..Default::default()
        });
    }
    insert_chunks(&txn, users, 200).await?;
    let expert_ids: Vec<i64> = user::Entity::find()
        .select_only()
        .column(user::Column::Id)
        .filter(user::Column::Email.like("esperto.%@scala.affianca.it"))
        .order_by_asc(user::Column::Email)
        .into_tuple()
        .all(&txn)
        .await?;
    let mut grants = Vec::new();
    let mut profiles = Vec::new();
    let mut by_tf: HashMap<&str, Vec<i64>> = HashMap::new();
    for (i, &id) in expert_ids.iter().enumerate() {
        let tf = TaskForce::ALL[i % TaskForce::ALL.len()];
        by_tf.entry(tf.code()).or_default().push(id);
        grants.push(role_grant::ActiveModel {
            user_id: Set(id),
            role: Set(Role::Expert.code().to_owned()),
            scope: Set(format!("task_force:{}", tf.code())),
            granted_at: Set(now),
            granted_by: Set(None),
            ..Default::default()
        });
        if i < TaskForce::ALL.len() {
            grants.push(role_grant::ActiveModel {
                user_id: Set(id),
                role: Set(Role::Coordinator.code().to_owned()),
                scope: Set(format!("task_force:{}", tf.code())),
                granted_at: Set(now),
                granted_by: Set(None),
                ..Default::default()
            });
        }
        let ps: Vec<&str> = (0..2 + rng.below(2))
            .map(|k| PROVINCES[(i + k * 5) % 12])
            .collect();
        profiles.push(expert_profile::ActiveModel {
            user_id: Set(id),
            provinces: Set(ps.join(",")),
            professional_profile: Set(format!("Esperto di {}", tf.name_it().to_lowercase())),
            max_concurrent_requests: Set(4 + i32::try_from(rng.below(5)).unwrap_or(0)),
            version: Set(1),
            updated_at: Set(now),
        });
    }
    insert_chunks(&txn, grants, 500).await?;
    insert_chunks(&txn, profiles, 500).await?;
    report.experts = expert_ids.len();

    // ---- requests ---------------------------------------------------------------------------------
    struct Gen {
        status: &'static str,
        submitted: Option<DateTime<Utc>>,
        taken: Option<DateTime<Utc>>,
        assigned: Option<DateTime<Utc>>,
        started: Option<DateTime<Utc>>,
        completed: Option<DateTime<Utc>>,
        closed: Option<DateTime<Utc>>,
        lead: Option<i64>,
    }
    let span_minutes = 3 * 365 * 24 * 60;
    let first_id: i64 = support_request::Entity::find()
        .select_only()
        .column_as(support_request::Column::Id.max(), "m")
        .into_tuple::<Option<i64>>()
        .one(&txn)
        .await?
        .flatten()
        .unwrap_or(0);
    let mut rows = Vec::with_capacity(sizes.requests);
    let mut gens = Vec::with_capacity(sizes.requests);
    for i in 0..sizes.requests {
        let status = pick_status(&mut rng);
        let (code, tf, proc_name) = rng.pick(&procedures).clone();
        let a = if rng.chance(75) {
            &comuni[*rng.pick(&busy)]
        } else {
            rng.pick(&comuni)
        };
        // Waiting requests are recent; finished ones spread over three years.
        let recent = matches!(status, "submitted" | "under_review" | "draft");
        let created = if recent {
            now - rng.minutes(25 * 24 * 60) - Duration::hours(1)
        } else {
            now - rng.minutes(span_minutes) - Duration::days(30)
        };
        let submitted = (status != "draft").then(|| created + rng.minutes(3 * 24 * 60));
        let after = |t: Option<DateTime<Utc>>, rng: &mut Rng, max_days: i64| {
            t.map(|t| (t + rng.minutes(max_days * 24 * 60)).min(now - Duration::minutes(5)))
        };
        let reached = |s: &str| {
            let order = [
                "under_review",
                "assigned",
                "in_progress",
                "completed",
                "closed",
            ];
            let rank = |x: &str| order.iter().position(|o| *o == x);
            match (rank(status), rank(s)) {
                (Some(a), Some(b)) => a >= b,
                _ => {
                    status == "on_hold" && matches!(s, "under_review" | "assigned" | "in_progress")
                }
            }
        };
        let taken = if reached("under_review") || (status == "rejected" && rng.chance(60)) {
            after(submitted, &mut rng, 7)
        } else {
            None
        };
        let assigned = if reached("assigned") {
            after(taken, &mut rng, 8)
        } else {
            None
        };
        let started = if reached("in_progress") {
            after(assigned, &mut rng, 5)
        } else {
            None
        };
        let completed = if reached("completed") {
            after(started, &mut rng, 120)
        } else {
            None
        };
        let closed = if status == "closed" {
            after(completed, &mut rng, 16)
        } else {
            None
        };
        let lead = assigned.map(|_| *rng.pick(&by_tf[tf.as_str()]));
        let kind = *rng.pick(SupportKind::ALL);
        let subject = match kind {
            SupportKind::BacklogRecovery => format!("Arretrato: {proc_name}"),
            SupportKind::FileReview => format!("Istruttoria di pratiche — {proc_name}"),
            SupportKind::Training => format!("Formazione del personale su {code}"),
            SupportKind::ProcessRedesign => format!("Riorganizzazione del procedimento {code}"),
            SupportKind::LegalAdvice => format!("Quesito giuridico su {code}"),
            SupportKind::Other => format!("Supporto su {proc_name}"),
        };
        let subject: String = subject.chars().take(200).collect();
        let files = i32::try_from(rng.below(200)).unwrap_or(0);
        let description = format!(
            "Richiesta n. {} dell'ente {}: {files} pratiche interessate, {}.",
            i + 1,
            a.0,
            kind.label().to_lowercase()
        );
        let day = submitted.map(rome_date);
        let holds: &[Hold] = &[];
        let final_status = status;
        rows.push(support_request::ActiveModel {
            authority_code: Set(a.0.clone()),
            province: Set(a.1.clone()),
            task_force: Set(tf.clone()),
            procedure_code: Set(code.clone()),
            search: Set(fold_for_search(&format!("{subject} {description}"))),
            subject: Set(subject),
            description: Set(description),
            support_kind: Set(kind.code().to_owned()),
            urgency: Set(rng.pick(Urgency::ALL).code().to_owned()),
            mode: Set(rng.pick(SupportMode::ALL).code().to_owned()),
            files_count: Set(files),
            contact: Set("Ufficio tecnico".to_owned()),
            status: Set(final_status.to_owned()),
            held_from: Set((final_status == "on_hold").then(|| "in_progress".to_owned())),
            lead_expert_id: Set(lead),
            created_by: Set(rep.id),
            created_at: Set(created),
            updated_at: Set([closed, completed, started, assigned, taken, submitted]
                .into_iter()
                .flatten()
                .next()
                .unwrap_or(created)),
            submitted_at: Set(submitted),
            taken_at: Set(taken),
            assigned_at: Set(assigned),
            completed_at: Set(completed),
            closed_at: Set(closed),
            take_charge_due: Set(day.and_then(|d| due_date(d, TAKE_CHARGE_DAYS, holds))),
            assign_due: Set(day.and_then(|d| due_date(d, ASSIGN_DAYS, holds))),
            report: Set(completed
                .map(|_| "Attività svolte come da registro; obiettivi raggiunti.".to_owned())),
            rating: Set(closed
                .filter(|_| rng.chance(80))
                .map(|_| 3 + i32::try_from(rng.below(3)).unwrap_or(0))),
            feedback: Set(None),
            version: Set(1),
            ..Default::default()
        });
        gens.push(Gen {
            status: final_status,
            submitted,
            taken,
            assigned,
            started,
            completed,
            closed,
            lead,
        });
    }
    insert_chunks(&txn, rows, 400).await?;
    let ids: Vec<i64> = support_request::Entity::find()
        .select_only()
        .column(support_request::Column::Id)
        .filter(support_request::Column::Id.gt(first_id))
        .order_by_asc(support_request::Column::Id)
        .into_tuple()
        .all(&txn)
        .await?;
    anyhow::ensure!(ids.len() == gens.len(), "requests read back: {}", ids.len());
    report.requests = ids.len();

    // ---- histories, assignments, messages -----------------------------------------------------------
    let mut transitions = Vec::new();
    let mut assignees = Vec::new();
    let mut messages = Vec::new();
    let t = |rid: i64,
             action: &str,
             from: Option<&str>,
             to: &str,
             actor: Option<i64>,
             at: DateTime<Utc>,
             reason: Option<&str>| {
        request_transition::ActiveModel {
            request_id: Set(rid),
            action: Set(action.to_owned()),
            from_status: Set(from.map(str::to_owned)),
            to_status: Set(to.to_owned()),
            actor_id: Set(actor),
            reason: Set(reason.map(str::to_owned)),
            at: Set(at),
            ..Default::default()
        }
    };
    for (id, g) in ids.iter().copied().zip(&gens) {
        let created = g.submitted.unwrap_or(now) - Duration::hours(2);
        transitions.push(t(id, "create", None, "draft", Some(rep.id), created, None));
        let Some(sub) = g.submitted else { continue };
        transitions.push(t(
            id,
            "submit",
            Some("draft"),
            "submitted",
            Some(rep.id),
            sub,
            None,
        ));
        if g.status == "withdrawn" {
            transitions.push(t(
                id,
                "withdraw",
                Some("submitted"),
                "withdrawn",
                Some(rep.id),
                sub + Duration::days(2),
                None,
            ));
            continue;
        }
        if let Some(tk) = g.taken {
            transitions.push(t(
                id,
                "take_charge",
                Some("submitted"),
                "under_review",
                Some(secretariat.id),
                tk,
                None,
            ));
        }
        if g.status == "rejected" {
            let from = if g.taken.is_some() {
                "under_review"
            } else {
                "submitted"
            };
            let at = g.taken.unwrap_or(sub) + Duration::hours(3);
            transitions.push(t(
                id,
                "reject",
                Some(from),
                "rejected",
                Some(secretariat.id),
                at,
                Some("Fuori dall'ambito del programma"),
            ));
            continue;
        }
        if let (Some(at), Some(lead)) = (g.assigned, g.lead) {
            transitions.push(t(
                id,
                "assign",
                Some("under_review"),
                "assigned",
                Some(secretariat.id),
                at,
                None,
            ));
            assignees.push(request_assignee::ActiveModel {
                request_id: Set(id),
                user_id: Set(lead),
                lead: Set(true),
            });
        }
        if let Some(st) = g.started {
            transitions.push(t(
                id,
                "start",
                Some("assigned"),
                "in_progress",
                g.lead,
                st,
                None,
            ));
            if g.status == "on_hold" {
                transitions.push(t(
                    id,
                    "suspend",
                    Some("in_progress"),
                    "on_hold",
                    g.lead,
                    st + Duration::days(3),
                    Some("In attesa di documenti dall'ente"),
                ));
            }
        }
        if let Some(c) = g.completed {
            transitions.push(t(
                id,
                "complete",
                Some("in_progress"),
                "completed",
                g.lead,
                c,
                None,
            ));
        }
        if let Some(c) = g.closed {
            transitions.push(t(
                id,
                "close",
                Some("completed"),
                "closed",
                Some(rep.id),
                c,
                None,
            ));
        }
        if rng.chance(45) {
            messages.push(request_message::ActiveModel {
                request_id: Set(id),
                author_id: Set(rep.id),
                body: Set("Buongiorno, alleghiamo l'elenco delle pratiche interessate.".to_owned()),
                internal: Set(false),
                created_at: Set(sub + Duration::hours(1)),
                ..Default::default()
            });
            if let Some(lead) = g.lead {
                messages.push(request_message::ActiveModel {
                    request_id: Set(id),
                    author_id: Set(lead),
                    body: Set("Ricevuto, fissiamo un primo incontro.".to_owned()),
                    internal: Set(rng.chance(20)),
                    created_at: Set(g.assigned.unwrap_or(sub) + Duration::hours(4)),
                    ..Default::default()
                });
            }
        }
    }
    report.transitions = transitions.len();
    report.messages = messages.len();
    insert_chunks(&txn, transitions, 800).await?;
    insert_chunks(&txn, assignees, 1000).await?;
    insert_chunks(&txn, messages, 800).await?;

    // ---- activity log ---------------------------------------------------------------------------------
    let worked: Vec<(i64, i64, NaiveDate, NaiveDate)> = ids
        .iter()
        .copied()
        .zip(&gens)
        .filter_map(|(id, g)| {
            let start = rome_date(g.started?);
            let end = rome_date(g.completed.unwrap_or(now));
            Some((id, g.lead?, start, end.max(start)))
        })
        .collect();
    anyhow::ensure!(!worked.is_empty(), "no worked requests");
    let mut per_day: HashMap<(i64, NaiveDate), i32> = HashMap::new();
    let mut entries = Vec::with_capacity(sizes.activities);
    let mut attempts = 0;
    while entries.len() < sizes.activities && attempts < sizes.activities * 3 {
        attempts += 1;
        let (rid, expert, start, end) = *rng.pick(&worked);
        let span = usize::try_from((end - start).num_days()).unwrap_or(0) + 1;
        let day = start + Duration::days(i64::try_from(rng.below(span)).unwrap_or(0));
        let quarters = 1 + i32::try_from(rng.below(16)).unwrap_or(0);
        let used = per_day.entry((expert, day)).or_default();
        if *used + quarters > 24 * 4 {
            continue;
        }
        *used += quarters;
        let at = day.and_hms_opt(17, 0, 0).expect("17:00").and_utc();
        entries.push(activity_entry::ActiveModel {
            request_id: Set(rid),
            expert_id: Set(expert),
            day: Set(day),
            kind: Set(rng.pick(ActivityKind::ALL).code().to_owned()),
            quarters: Set(quarters),
            files_handled: Set(i32::try_from(rng.below(8)).unwrap_or(0)),
            notes: Set(String::new()),
            created_at: Set(at),
            updated_at: Set(at),
            ..Default::default()
        });
    }
    report.activities = entries.len();
    insert_chunks(&txn, entries, 1000).await?;
    txn.commit().await?;
    // Servers already running apply the new data at their next query (a full reload).
    affianca_api::monitoring::record_change(db, affianca_api::monitoring::Changed::Catalog).await?;
    Ok(report)
}

/// What the register seed created.
#[derive(Debug, Default)]
pub struct RegisterReport {
    pub authorities: usize,
    pub files: usize,
    pub measurements: usize,
    pub semesters: usize,
}

/// Procedures a comune handles most, and those of a province (weights).
const COMUNE_MIX: [(&str, usize); 9] = [
    ("SCIA", 30),
    ("CILA", 25),
    ("PDC", 20),
    ("PAESAGGISTICA", 8),
    ("PDC_SANATORIA", 6),
    ("GARA_SERVIZI", 4),
    ("GARA_LAVORI", 3),
    ("SCAVI_BUL", 2),
    ("IMPIANTI_TLC", 2),
];
const PROVINCE_MIX: [(&str, usize); 8] = [
    ("AUA", 30),
    ("RIFIUTI_SEMPLIFICATA", 15),
    ("RIFIUTI_208", 12),
    ("VERIFICA_VIA", 10),
    ("AU_FER", 10),
    ("PAS_FER", 10),
    ("AIA", 8),
    ("BONIFICA", 5),
];

fn pick_weighted<'a>(rng: &mut Rng, mix: &[(&'a str, usize)]) -> &'a str {
    let total: usize = mix.iter().map(|m| m.1).sum();
    let mut x = rng.below(total);
    for (code, w) in mix {
        if x < *w {
            return code;
        }
        x -= w;
    }
    mix[0].0
}

/// Fills the file registers of every comune, province and the Città metropolitana (about
/// `files` files over 2021–2025), computes their semesters with the indicator engine and marks
/// them validated (the last ones submitted or in draft, so that the validation queue and the
/// completeness figures have something to show). Each authority improves at its own pace, so the
/// dashboards show every traffic light. Does nothing when registers exist.
pub async fn seed_registers(
    db: &DatabaseConnection,
    files: usize,
) -> anyhow::Result<RegisterReport> {
    use affianca_api::entities::{measurement, register_file, semester_report};
    use affianca_domain::dto::SemesterStatus;
    use affianca_domain::monitoring::{
        FileRecord, compute, date_of_day, days_from_civil, period_of_sem,
    };
    if register_file::Entity::find().count(db).await? > 0 {
        return Ok(RegisterReport::default());
    }
    let catalog = affianca_api::monitoring::catalog(db).await?;
    let terms = &catalog.terms;
    let authorities: Vec<(String, String)> = authority::Entity::find()
        .select_only()
        .column(authority::Column::IstatCode)
        .column(authority::Column::Kind)
        .filter(authority::Column::Active.eq(true))
        .filter(authority::Column::Kind.ne("regione"))
        .order_by_asc(authority::Column::IstatCode)
        .into_tuple()
        .all(db)
        .await?;
    let mut rng = Rng(20_212_025);
    let now = Utc::now();
    // Files start from 2020 (so that 2021 opens with a backlog, as real registers do) to the
    // end of the last semester ended; `files` of them start in 2021–2025.
    let (from, to) = (2021 * 2, affianca_api::indicators::last_ended());
    let first_day = days_from_civil(2020, 1, 1);
    let program_start = days_from_civil(2021, 1, 1);
    let last_day = affianca_domain::monitoring::last_day_of_sem(to);
    let span = (last_day - first_day + 1) as usize;
    let five_years = (days_from_civil(2026, 1, 1) - program_start) as usize;
    let per = files * span / five_years / authorities.len().max(1);
    let mut report = RegisterReport::default();
    let txn = affianca_api::db::begin_write(db).await?;
    for (code, kind) in &authorities {
        let mix: &[(&str, usize)] = if kind == "comune" {
            &COMUNE_MIX
        } else {
            &PROVINCE_MIX
        };
        // Sizes from a third to five thirds of the mean; provinces handle fewer, longer files.
        let n = per * (1 + rng.below(5)) / 3;
        // How much faster this authority gets over the five years (some get slower).
        let improve = rng.below(125) as f64 / 100.0 - 0.1;
        let mut register: Vec<FileRecord> = Vec::with_capacity(n);
        let mut rows = Vec::with_capacity(n);
        for i in 0..n {
            let Some(p) = terms.index_of(pick_weighted(&mut rng, mix)) else {
                continue;
            };
            let term = terms.term(p);
            let start = first_day + rng.below(span) as i32;
            let progress = (f64::from(start - program_start) / five_years as f64).clamp(0.0, 1.0);
            let mean = f64::from(term) * (1.4 - improve * progress * 1.2).max(0.2);
            // An exponential duration (-ln(U) × mean), with a slow tail that shrinks as the
            // authority improves.
            let u = (rng.below(1_000_000) as f64 + 1.0) / 1_000_001.0;
            let mut days = -u.ln() * mean;
            if rng.chance((10.0 * (1.0 - improve * progress)).max(0.0) as usize) {
                days *= 4.0;
            }
            let end = start + days as i32;
            let suspension = if rng.chance(20) {
                5 + rng.below(55) as i64
            } else {
                0
            };
            let (decision, silent) = if end > last_day {
                (None, None)
            } else if term <= 90 && rng.chance(8) {
                (None, Some(end))
            } else {
                (Some(end), None)
            };
            let Ok(f) =
                FileRecord::new(p, start, term, decision, silent, rng.chance(5), suspension)
            else {
                continue;
            };
            register.push(f);
            rows.push(register_file::ActiveModel {
                authority_code: Set(code.clone()),
                code: Set(format!("{}-{:06}", terms.code(p), i)),
                procedure_code: Set(terms.code(p).to_owned()),
                start_date: Set(date_of_day(start)),
                term_days: Set(term as i32),
                decision_date: Set(decision.map(date_of_day)),
                silent_assent_date: Set(silent.map(date_of_day)),
                conference: Set(f.conference),
                suspension_days: Set(f.suspension_days as i32),
                updated_at: Set(now),
            });
        }
        report.files += rows.len();
        insert_chunks(&txn, rows, 1000).await?;
        // The window the server computes an authority over (affianca_api::monitoring::window).
        let from = affianca_domain::monitoring::natural_window(&register).map_or(from, |w| w.0);
        let computed = compute(&register, terms, from, to);
        let mut cells = Vec::new();
        let mut periods = std::collections::BTreeSet::new();
        for (p, s, cell) in computed.iter() {
            if cell.parts.is_empty() {
                continue;
            }
            let Some(period) = period_of_sem(s) else {
                continue;
            };
            periods.insert(s);
            cells.push(measurement::ActiveModel {
                authority_code: Set(code.clone()),
                procedure_code: Set(terms.code(p).to_owned()),
                period: Set(period.to_string()),
                source: Set("register".into()),
                started: Set(cell.parts.started),
                concluded_express: Set(cell.parts.concluded_express),
                concluded_express_with_suspension: Set(cell
                    .parts
                    .concluded_express_with_suspension),
                concluded_express_with_conference: Set(cell
                    .parts
                    .concluded_express_with_conference),
                concluded_silent_assent: Set(cell.parts.concluded_silent_assent),
                duration_days_sum: Set(cell.parts.duration_days_sum),
                net_duration_days_sum: Set(cell.parts.net_duration_days_sum),
                backlog: Set(cell.parts.backlog),
                max_term_days: Set(cell.max_term_days),
                updated_at: Set(now),
            });
        }
        report.measurements += cells.len();
        insert_chunks(&txn, cells, 1000).await?;
        let states: Vec<semester_report::ActiveModel> = periods
            .iter()
            .filter_map(|s| {
                let period = period_of_sem(*s)?;
                let status = if *s < to - 1 {
                    SemesterStatus::Validated
                } else if *s == to - 1 {
                    match rng.below(10) {
                        0..=6 => SemesterStatus::Validated,
                        7 | 8 => SemesterStatus::Submitted,
                        _ => SemesterStatus::Draft,
                    }
                } else {
                    match rng.below(10) {
                        0..=2 => SemesterStatus::Validated,
                        3..=5 => SemesterStatus::Submitted,
                        _ => return None,
                    }
                };
                let reported = status != SemesterStatus::Draft;
                let ended = chrono::DateTime::<Utc>::from_naive_utc_and_offset(
                    period.last_day().and_hms_opt(12, 0, 0)?,
                    Utc,
                );
                Some(semester_report::ActiveModel {
                    authority_code: Set(code.clone()),
                    period: Set(period.to_string()),
                    status: Set(status.code().to_owned()),
                    comment: Set(None),
                    submitted_at: Set(reported.then(|| ended + Duration::days(20))),
                    submitted_by: Set(None),
                    reviewed_at: Set(
                        (status == SemesterStatus::Validated).then(|| ended + Duration::days(40))
                    ),
                    reviewed_by: Set(None),
                    reopened: Set(false),
                    updated_at: Set(now),
                })
            })
            .collect();
        report.semesters += states.len();
        insert_chunks(&txn, states, 1000).await?;
        report.authorities += 1;
    }
    txn.commit().await?;
    // Servers already running apply the new data at their next query (a full reload).
    affianca_api::monitoring::record_change(db, affianca_api::monitoring::Changed::Catalog).await?;
    Ok(report)
}
