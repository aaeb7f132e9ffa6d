//! The dictionary worker: music terms in six languages — lookups, full-text and semantic
//! search, feedback and reports, exports, admin edits, public term pages, and the cron that
//! keeps it tidy.

mod admin;
mod ai;
mod cache;
mod cron;
mod embeddings;
mod erasure;
mod export;
mod generate;
mod guard;
mod pages;
mod search;
mod store;
mod terms;

use mirubato_core::rate_limit::Scope;
use mirubato_edge::auth::API_BINDING;
use mirubato_edge::{Capability, Dependency, EdgeError, Router, Service, SessionCheck, serve};
use worker::{Context, Env, Request, Response, ScheduleContext, ScheduledEvent, event};

/// Every worker hosts the rate limiter's counters (crates/edge).
pub use mirubato_edge::rate_limit::RateLimiter;

static SERVICE: Service = Service {
    name: "dictionary",
    version: env!("CARGO_PKG_VERSION"),
    dependencies: &[
        Dependency::D1("DB"),
        Dependency::Kv("CACHE"),
        Dependency::R2("STORAGE"),
        Dependency::Worker {
            binding: API_BINDING,
            name: "api",
        },
    ],
    capabilities: &[Capability::Ai(AI)],
    sessions: SessionCheck::AskApi,
};

/// Bindings of this worker.
pub(crate) const DB: &str = "DB";
pub(crate) const CACHE: &str = "CACHE";
pub(crate) const AI: &str = "AI";

/// The instant of a request, and its stored form.
pub(crate) fn clock() -> (chrono::DateTime<chrono::Utc>, String) {
    let at = mirubato_edge::now();
    (at, mirubato_core::practice::iso(at))
}

/// A whole-number var, or `default` when it is unset or not a number.
pub(crate) fn var_or(env: &Env, name: &str, default: i64) -> i64 {
    env.var(name)
        .ok()
        .and_then(|value| value.to_string().parse().ok())
        .unwrap_or(default)
}

/// Says whether an answer came from the cache.
/// `X-Cache` (the original clients' header) and `X-Cache-Status` (every worker's debug header,
/// which the request's analytics record reads).
pub(crate) fn with_cache_header(response: Response, hit: bool) -> Result<Response, EdgeError> {
    let value = if hit { "HIT" } else { "MISS" };
    Ok(mirubato_edge::rebuild_with_headers(
        response,
        &[
            ("X-Cache", value.to_string()),
            ("X-Cache-Status", value.to_string()),
        ],
    )?)
}

fn routes() -> Router {
    Router::new()
        .limit(Scope::LOOKUP)
        .get("/api/v1/terms/id/{id}", terms::by_id)
        .get("/api/v1/terms/{term}", terms::lookup)
        .get("/api/v1/terms/{term}/languages", terms::languages)
        .post("/api/v1/batch/query", search::batch_query)
        .limit(Scope::FEEDBACK)
        .post("/api/v1/terms/{term}/feedback", terms::feedback)
        .limit(Scope::REPORT)
        .post("/api/v1/terms/{term}/report", terms::report)
        .limit(Scope::SEARCH)
        .get("/api/v1/search", search::search)
        .get("/api/v1/search/suggestions", search::suggestions)
        .get("/api/v1/search/popular", search::popular)
        .get("/api/v1/search/related", search::related)
        .post("/api/v1/search/semantic", search::semantic)
        .get("/api/v1/batch/stats", search::batch_stats)
        .limit(Scope::EXPORT)
        .get("/api/v1/export", export::export)
        .limit(Scope::DEFAULT)
        .put("/api/v1/admin/terms/{term}", admin::put_term)
        .delete("/api/v1/admin/terms/{term}", admin::delete_term)
        .post("/api/v1/admin/bulk", admin::bulk)
        .post("/api/v1/admin/seed/bulk-import", admin::seed_import)
        .get("/api/v1/admin/seed/status", admin::seed_status)
        .get("/api/v1/admin/seed/review-queue", admin::review_queue)
        .put("/api/v1/admin/seed/review/{id}", admin::review)
        .get("/dictionary", pages::home)
        .get("/dictionary/{file}", pages::sitemap)
        .get("/dictionary/{lang}/{term}", pages::term)
        .post(mirubato_core::erasure::ERASE_PATH, erasure::erase)
}

#[event(fetch)]
async fn fetch(req: Request, env: Env, ctx: Context) -> worker::Result<Response> {
    serve(req, env, ctx, &SERVICE, routes).await
}

#[event(scheduled)]
async fn scheduled(event: ScheduledEvent, env: Env, _ctx: ScheduleContext) {
    let report = cron::run(&env, &event.cron()).await;
    worker::console_log!("{report}");
}
