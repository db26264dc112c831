//! Parts shared by several pages.

pub mod feedback;
pub mod header;
pub mod icon;
pub mod layout;
pub mod pagination;
