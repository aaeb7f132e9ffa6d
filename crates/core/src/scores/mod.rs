//! The sheet-music library: score metadata rules, import validation, PDF inspection and
//! rendering, IMSLP link resolution, search queries, and the anonymous import limit.

pub mod engrave;
pub mod import;
pub mod imslp;
pub mod limit;
pub mod model;
pub mod pdf;
pub mod search;
