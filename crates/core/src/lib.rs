//! Mirubato's domain core: everything that is logic rather than I/O.
//!
//! This crate has no `worker` dependency. It builds natively (where it is unit- and
//! property-tested) and for `wasm32-unknown-unknown` (where the workers use it).

pub mod accounts;
pub mod auth;
pub mod config;
pub mod cookies;
pub mod cors;
pub mod error;
pub mod health;
pub mod input;
pub mod jwt;
pub mod metrics;
pub mod practice;
pub mod preferences;
pub mod request;
pub mod score_id;
pub mod scores;
pub mod sync;
pub mod user;
pub mod web;

pub use error::{ApiError, ErrorCode, ErrorEnvelope};
