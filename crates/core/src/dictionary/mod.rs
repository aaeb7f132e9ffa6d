//! The music dictionary: entry model, languages, term normalisation, the quality score, search
//! query rules, the curated seed set, service-token checks, the public HTML pages, and the
//! prompts and answer checks of Workers AI content.

pub mod access;
pub mod entry;
pub mod generate;
pub mod lang;
pub mod review;
pub mod search;
pub mod seed;
pub mod seo;

pub use entry::{Definition, Entry, QualityScore, TermType, normalize_term};
pub use lang::Lang;
