//! What the topics share.

pub mod nesting;
pub mod scratch;
