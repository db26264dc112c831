//! Demo and benchmark data for Affianca, used by the command line (`affianca serve --demo`,
//! `affianca seed-demo [--scale region]`) and the tests, never by the server library: one demo
//! account per role with the demo's approved registrations and pilot phase, and (`scale`) a
//! region-scale dataset of experts, requests and registers.

pub mod scale;

use affianca_api::app::accounts;
use affianca_api::entities::user;
use affianca_domain::{Email, Role, RoleScope, Scope};
use chrono::Utc;
use sea_orm::{ActiveValue::Set, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter};

/// The password of every demo account (printed at start in demo mode only).
pub const DEMO_PASSWORD: &str = "Affianca-Demo-2026";

/// One demo account per role: (e-mail, full name, role, scope).
pub const DEMO_USERS: [(&str, &str, Role, &str); 8] = [
    (
        "segreteria@demo.affianca.it",
        "Giulia Bianchi (Segreteria Tecnica)",
        Role::Secretariat,
        "region",
    ),
    (
        "admin@demo.affianca.it",
        "Marco Ferrari (Amministratore)",
        Role::Admin,
        "region",
    ),
    (
        "sindaco.bergamo@demo.affianca.it",
        "Sindaco di Bergamo",
        Role::AuthorityRep,
        "authority:016024",
    ),
    (
        "delegato.brescia@demo.affianca.it",
        "Luca Rossi (Comune di Brescia)",
        Role::AuthorityDelegate,
        "authority:017029",
    ),
    (
        "esperta.edilizia@demo.affianca.it",
        "Anna Colombo (esperta edilizia)",
        Role::Expert,
        "task_force:building_planning",
    ),
    (
        "coordinatore.edilizia@demo.affianca.it",
        "Paolo Ricci (coordinatore edilizia)",
        Role::Coordinator,
        "task_force:building_planning",
    ),
    (
        "osservatore.bg@demo.affianca.it",
        "Ufficio PNRR Provincia di Bergamo",
        Role::Observer,
        "province:BG",
    ),
    (
        "sindaca.brescia@demo.affianca.it",
        "Sindaca di Brescia",
        Role::AuthorityRep,
        "authority:017029",
    ),
];

/// Creates the demo accounts that do not exist yet (the demo expert with a profile).
pub async fn seed_demo(db: &DatabaseConnection) -> anyhow::Result<()> {
    for (email, name, role, scope) in DEMO_USERS {
        let email = Email::parse(email).map_err(anyhow::Error::msg)?;
        if user::Entity::find()
            .filter(user::Column::Email.eq(email.as_str()))
            .one(db)
            .await?
            .is_some()
        {
            continue;
        }
        let grant = RoleScope::new(role, Scope::parse(scope).map_err(anyhow::Error::msg)?)
            .map_err(anyhow::Error::msg)?;
        let u = accounts::create_user(
            db,
            &email,
            name,
            DEMO_PASSWORD,
            std::slice::from_ref(&grant),
            None,
        )
        .await?;
        if let (Role::AuthorityRep, Scope::Authority(code)) = (role, &grant.scope) {
            demo_approved_registration(db, u.id, name, code.as_str()).await?;
        }
        if role == Role::Expert {
            affianca_api::entities::expert_profile::Entity::insert(
                affianca_api::entities::expert_profile::ActiveModel {
                    user_id: Set(u.id),
                    provinces: Set("BG,BS".into()),
                    professional_profile: Set(
                        "Architetta, esperta di procedimenti edilizi e SUE".into()
                    ),
                    max_concurrent_requests: Set(6),
                    version: Set(1),
                    updated_at: Set(Utc::now()),
                },
            )
            .exec_without_returning(db)
            .await?;
        }
    }
    seed_demo_phase(db).await?;
    Ok(())
}

/// An approved registration for a demo representative's authority, so that the demo has
/// approved authorities in two provinces.
async fn demo_approved_registration(
    db: &DatabaseConnection,
    user_id: i64,
    name: &str,
    code: &str,
) -> anyhow::Result<()> {
    use affianca_api::entities::registration;
    let now = Utc::now();
    registration::Entity::insert(registration::ActiveModel {
        authority_code: Set(code.to_owned()),
        user_id: Set(user_id),
        full_name: Set(name.to_owned()),
        office: Set(affianca_domain::Office::Sindaco.code().to_owned()),
        status: Set(affianca_domain::RegistrationStatus::Approved
            .code()
            .to_owned()),
        protocol_file_id: Set(None),
        rejection_reason: Set(None),
        created_at: Set(now),
        submitted_at: Set(Some(now)),
        decided_at: Set(Some(now)),
        decided_by: Set(None),
        version: Set(1),
        ..Default::default()
    })
    .exec_without_returning(db)
    .await?;
    Ok(())
}

/// The demo's started pilot phase: the province bodies and the demo comuni (Bergamo, Brescia).
pub const DEMO_PHASE: &str = "Fase pilota (dimostrazione)";

async fn seed_demo_phase(db: &DatabaseConnection) -> anyhow::Result<()> {
    use affianca_api::entities::{phase, phase_authority};
    if phase::Entity::find()
        .filter(phase::Column::Name.eq(DEMO_PHASE))
        .one(db)
        .await?
        .is_some()
    {
        return Ok(());
    }
    let id = phase::Entity::insert(phase::ActiveModel {
        name: Set(DEMO_PHASE.to_owned()),
        start_date: Set(chrono::NaiveDate::from_ymd_opt(2022, 9, 1).expect("valid date")),
        description: Set("Tutte le Province, la Città metropolitana e i Comuni di Bergamo e Brescia (dati di dimostrazione).".into()),
        created_at: Set(Utc::now()),
        ..Default::default()
    })
    .exec(db)
    .await?
    .last_insert_id;
    let mut codes: Vec<String> = affianca_api::reference::parse_provinces()?
        .into_iter()
        .map(|p| p.authority_code.to_string())
        .collect();
    codes.extend(["016024".to_owned(), "017029".to_owned()]);
    phase_authority::Entity::insert_many(codes.into_iter().map(|c| phase_authority::ActiveModel {
        phase_id: Set(id),
        authority_code: Set(c),
        added_at: Set(Utc::now()),
    }))
    .exec_without_returning(db)
    .await?;
    affianca_api::monitoring::record_change(db, affianca_api::monitoring::Changed::Phases).await?;
    Ok(())
}
