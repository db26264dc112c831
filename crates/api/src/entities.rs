//! sea-orm entities: one module per table. Columns hold plain strings and numbers; the handlers
//! turn rows into the domain's parsed types at the edge.

pub mod action_token;
pub mod activity_entry;
pub mod audit_event;
pub mod authority;
pub mod event;
pub mod expert_profile;
pub mod file_chunk;
pub mod login_failure;
pub mod measurement;
pub mod measurement_change;
pub mod meeting;
pub mod meeting_invitation;
pub mod monitoring_change;
pub mod monitoring_target;
pub mod notification;
pub mod outbox;
pub mod phase;
pub mod phase_authority;
pub mod procedure;
pub mod province;
pub mod reference_version;
pub mod refresh_token;
pub mod register_file;
pub mod registration;
pub mod request_assignee;
pub mod request_attachment;
pub mod request_message;
pub mod request_transition;
pub mod role_grant;
pub mod semester_report;
pub mod stored_file;
pub mod support_request;
pub mod task_force;
pub mod throttle_event;
pub mod user;
