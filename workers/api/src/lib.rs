//! The api worker: accounts, sync, repertoire, goals.

mod account_data;
mod accounts;
mod autocomplete;
mod docs;
mod documents;
mod erasure;
mod goals;
mod google;
mod mail;
mod maintenance;
mod pieces;
mod preferences;
mod recordings;
mod repertoire;
mod session;
mod store;
mod sync;
mod templates;

use mirubato_core::rate_limit::Scope;
use mirubato_edge::{Capability, Dependency, Router, Service, SessionCheck, serve};

/// Every worker hosts the rate limiter's counters (crates/edge).
pub use mirubato_edge::rate_limit::RateLimiter;
use worker::{Context, Env, Request, Response, ScheduleContext, ScheduledEvent, event};

static SERVICE: Service = Service {
    name: "api",
    version: env!("CARGO_PKG_VERSION"),
    dependencies: &[
        Dependency::D1("DB"),
        Dependency::Kv("CACHE"),
        Dependency::R2(recordings::RECORDINGS),
    ],
    capabilities: &[Capability::Alerts(maintenance::ALERT_WEBHOOK)],
    sessions: SessionCheck::Kept(CACHE),
};

/// Bindings of this worker.
pub(crate) const DB: &str = "DB";
pub(crate) const CACHE: &str = "CACHE";

fn routes() -> Router {
    Router::new()
        .get("/api", docs::index)
        .get("/docs", docs::page)
        .get("/docs/openapi.json", docs::openapi)
        .get("/openapi.json", docs::openapi)
        .limit(Scope::AUTH)
        .post("/api/auth/request-magic-link", accounts::request_magic_link)
        .post("/api/auth/google", accounts::google_sign_in)
        .limit(Scope::DEFAULT)
        .post("/api/auth/verify-magic-link", accounts::verify_magic_link)
        .post("/api/auth/refresh", accounts::refresh)
        .post("/api/auth/logout", accounts::logout)
        .post("/api/auth/logout-all", accounts::logout_all)
        .get("/api/auth/sessions", accounts::sessions)
        .delete("/api/auth/sessions/{id}", accounts::end_session)
        .get("/api/user/me", accounts::me)
        .delete("/api/user/me", accounts::delete_me)
        .patch("/api/user/me", accounts::update_me)
        .limit(Scope::ACCOUNT_EXPORT)
        .get("/api/user/export", account_data::export)
        .post("/api/user/import", account_data::import)
        .limit(Scope::DEFAULT)
        .get("/api/user/preferences", preferences::get)
        .put("/api/user/preferences", preferences::put)
        .get("/api/dev/outbox", mail::outbox)
        .limit(Scope::SYNC)
        .post("/api/sync/pull", sync::pull)
        .post("/api/sync/push", sync::push)
        .post("/api/sync/batch", sync::batch)
        .get("/api/sync/status", sync::status)
        .limit(Scope::DEFAULT)
        .post("/internal/auth/verify", session::internal_verify)
        .post("/internal/sync/apply", sync::internal_apply)
        .post("/internal/sync/changes", sync::internal_changes)
        .get("/api/repertoire", repertoire::list)
        .post("/api/repertoire", repertoire::add)
        .get("/api/repertoire/{scoreId}/stats", repertoire::stats)
        .put("/api/repertoire/{scoreId}", repertoire::update)
        .delete("/api/repertoire/{scoreId}", repertoire::remove)
        .delete(
            "/api/repertoire/{scoreId}/dissociate",
            repertoire::dissociate_item,
        )
        .get("/api/goals", goals::list)
        .post("/api/goals", goals::create)
        .get("/api/goals/{id}", goals::get)
        .put("/api/goals/{id}", goals::update)
        .delete("/api/goals/{id}", goals::remove)
        .post("/api/goals/{id}/progress", goals::progress)
        .put("/api/pieces/update-name", pieces::update_name)
        .post("/api/templates/adopt", templates::adopt_template)
        .get("/api/autocomplete/composers", autocomplete::composers)
        .get("/api/autocomplete/pieces", autocomplete::pieces)
        .get("/api/recordings", recordings::list)
        .post("/api/recordings", recordings::upload)
        .post("/api/recordings/uploads", recordings::create_upload)
        .get(
            "/api/recordings/uploads/{uploadId}",
            recordings::upload_status,
        )
        .delete(
            "/api/recordings/uploads/{uploadId}",
            recordings::abort_upload,
        )
        .put(
            "/api/recordings/uploads/{uploadId}/parts/{partNumber}",
            recordings::upload_part,
        )
        .post(
            "/api/recordings/uploads/{uploadId}/complete",
            recordings::complete_upload,
        )
        .get("/api/recordings/{id}", recordings::get)
        .patch("/api/recordings/{id}", recordings::update)
        .delete("/api/recordings/{id}", recordings::remove)
        .get("/api/recordings/{id}/audio", recordings::audio)
}

/// The api's crons (`[triggers] crons` in wrangler/api.toml; see maintenance.rs).
#[event(scheduled)]
async fn scheduled(event: ScheduledEvent, env: Env, _ctx: ScheduleContext) {
    maintenance::run(&event.cron(), &env).await;
}

#[event(fetch)]
async fn fetch(req: Request, env: Env, ctx: Context) -> worker::Result<Response> {
    serve(req, env, ctx, &SERVICE, routes).await
}
