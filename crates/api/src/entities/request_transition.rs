use sea_orm::entity::prelude::*;

/// One step in a request's history: who moved it, when, from where to where, and why.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "request_transitions")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub request_id: i64,
    /// `create` for the draft, else a [`affianca_domain::RequestAction`] code.
    pub action: String,
    pub from_status: Option<String>,
    pub to_status: String,
    /// `None` for the system (automatic closing).
    pub actor_id: Option<i64>,
    pub reason: Option<String>,
    pub at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
