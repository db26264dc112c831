//! Parts shared by several pages.

pub mod feedback;
pub mod form;
pub mod grant_fields;
pub mod guard;
pub mod header;
pub mod icon;
pub mod layout;
pub mod pagination;
