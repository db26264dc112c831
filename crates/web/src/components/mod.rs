//! Parts shared by several pages.

pub mod chart;
pub mod choice;
pub mod crumbs;
pub mod feedback;
pub mod form;
pub mod grant_fields;
pub mod guard;
pub mod header;
pub mod icon;
pub mod layout;
pub mod notifications;
pub mod pagination;
pub mod protocol_upload;
pub mod text_field;
