//! One module per page.

pub mod audit;
pub mod authorities;
pub mod authority;
pub mod home;
pub mod login;
pub mod not_found;
pub mod procedures;
pub mod user;
pub mod users;
