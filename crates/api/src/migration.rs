//! Database migrations, one file each (sea-orm takes the migration's name from its file name).
//! They run at start and with `affianca migrate`; the same ones serve SQLite and PostgreSQL.

use sea_orm_migration::prelude::*;

mod m20261126_000001_reference;
mod m20261126_000002_users;
mod m20261126_000003_reference_versions;
mod m20261126_000004_audit_events;
mod m20261126_000005_onboarding;
mod m20261126_000006_action_tokens;
mod m20261126_000007_phases;
mod m20261126_000008_expert_profiles;
mod m20261126_000009_meetings;
mod m20261126_000010_support_requests;
mod m20261126_000011_request_messages;
mod m20261126_000012_activity_entries;
mod m20261126_000013_request_attachments;
mod m20261126_000014_request_list_index;
mod m20261126_000015_monitoring;
mod m20261129_000001_file_chunks;
mod m20261129_000020_sessions_and_throttles;
mod m20261129_000030_monitoring_changes;
mod m20261208_000001_events;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261126_000001_reference::Migration),
            Box::new(m20261126_000002_users::Migration),
            Box::new(m20261126_000003_reference_versions::Migration),
            Box::new(m20261126_000004_audit_events::Migration),
            Box::new(m20261126_000005_onboarding::Migration),
            Box::new(m20261126_000006_action_tokens::Migration),
            Box::new(m20261126_000007_phases::Migration),
            Box::new(m20261126_000008_expert_profiles::Migration),
            Box::new(m20261126_000009_meetings::Migration),
            Box::new(m20261126_000010_support_requests::Migration),
            Box::new(m20261126_000011_request_messages::Migration),
            Box::new(m20261126_000012_activity_entries::Migration),
            Box::new(m20261126_000013_request_attachments::Migration),
            Box::new(m20261126_000014_request_list_index::Migration),
            Box::new(m20261126_000015_monitoring::Migration),
            Box::new(m20261129_000001_file_chunks::Migration),
            Box::new(m20261129_000020_sessions_and_throttles::Migration),
            Box::new(m20261129_000030_monitoring_changes::Migration),
            Box::new(m20261208_000001_events::Migration),
        ]
    }
}
