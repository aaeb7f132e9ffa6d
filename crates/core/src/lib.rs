//! Mirubato's domain core: everything that is logic rather than I/O.
//!
//! This crate has no `worker` dependency. It builds natively (where it is unit- and
//! property-tested) and for `wasm32-unknown-unknown` (where the workers use it).

pub mod account_data;
pub mod accounts;
pub mod alerts;
pub mod analytics;
pub mod auth;
pub mod byte_serving;
pub mod config;
pub mod cookies;
pub mod cors;
pub mod dictionary;
pub mod erasure;
pub mod error;
pub mod health;
pub mod input;
pub mod jwt;
pub mod metrics;
pub mod practice;
pub mod preferences;
pub mod rate_limit;
pub mod recordings;
pub mod request;
pub mod score_id;
pub mod scores;
pub mod sessions;
pub mod sync;
pub mod user;
pub mod web;

#[cfg(all(test, feature = "ts"))]
mod ts_bindings;

pub use error::{ApiError, ErrorCode, ErrorEnvelope};
