//! The sheet-music library: score metadata rules, import validation, PDF inspection and
//! rendering, IMSLP link resolution, search queries, the anonymous import limit, shared and
//! featured collections, and upkeep (orphaned files, stuck imports).

pub mod analysis;
#[cfg(any(test, feature = "corpus"))]
pub mod corpus;
pub mod engrave;
pub mod import;
pub mod imslp;
pub mod limit;
pub mod model;
pub mod pdf;
pub mod search;
pub mod sharing;
pub mod title;
pub mod upkeep;
