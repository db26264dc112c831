//! One module per page.

pub mod audit;
pub mod authorities;
pub mod authority;
pub mod delegates;
pub mod experts;
pub mod home;
pub mod invitation;
pub mod login;
pub mod meetings;
pub mod monitoring;
pub mod not_found;
pub mod notifications;
pub mod password_reset;
pub mod phases;
pub mod procedures;
pub mod registrations;
pub mod reports;
pub mod request;
pub mod requests;
pub mod sign_up;
pub mod timesheet;
pub mod user;
pub mod users;
