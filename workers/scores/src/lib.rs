//! The scores worker: the sheet-music library (import, storage, processing, search,
//! collections, favourites). Routes are in `docs/API.md` (Scores); the import and
//! processing pipeline in `docs/ARCHITECTURE.md`.

mod browser;
mod collections;
mod dev;
mod erasure;
mod export;
mod favorites;
mod files;
mod imports;
mod limits;
mod processing;
mod scores;
mod search;
mod sharing;
mod store;
mod upkeep;

use mirubato_core::rate_limit::Scope;
use mirubato_edge::auth::API_BINDING;
use mirubato_edge::{Capability, Dependency, Router, Service, SessionCheck, serve};
use worker::{
    Context, Env, MessageBatch, Request, Response, ScheduleContext, ScheduledEvent, event,
};

/// Every worker hosts the rate limiter's counters (crates/edge).
pub use mirubato_edge::rate_limit::RateLimiter;

static SERVICE: Service = Service {
    name: "scores",
    version: env!("CARGO_PKG_VERSION"),
    dependencies: &[
        Dependency::D1("DB"),
        Dependency::Kv("CACHE"),
        Dependency::R2("SCORES_BUCKET"),
        Dependency::Worker {
            binding: API_BINDING,
            name: "api",
        },
    ],
    capabilities: &[
        Capability::Ai(store::AI_BINDING),
        Capability::Browser(store::BROWSER_BINDING),
    ],
    sessions: SessionCheck::AskApi,
};

fn routes() -> Router {
    Router::new()
        .get("/api/scores", scores::list)
        .post("/api/scores", scores::create)
        .get("/api/scores/user/library", scores::library)
        .post("/api/scores/batch/delete", scores::batch_delete)
        .get("/api/scores/{id}", scores::get)
        .put("/api/scores/{id}", scores::update)
        .delete("/api/scores/{id}", scores::remove)
        .get("/api/scores/{id}/metadata", scores::metadata)
        .get("/api/scores/{id}/pages/{page}", scores::page_image)
        .get("/api/scores/{id}/download/pdf", scores::download_pdf)
        .get("/files/{*key}", scores::file)
        .get("/api/search", search::search)
        .get("/api/search/popular", search::popular)
        .get("/api/search/recent", search::recent)
        .limit(Scope::IMPORT)
        .post("/api/import", imports::import_url)
        .post("/api/import/pdf", imports::import_multipart)
        .post("/api/import/images", imports::import_images)
        .post("/api/import/imslp", imports::import_imslp)
        .post("/api/import/batch", imports::import_batch)
        .limit(Scope::DEFAULT)
        .get("/api/import/health", imports::health)
        .get("/api/import/{id}", imports::status)
        .get("/api/pdf/v2/thumbnail/{id}", processing::thumbnail)
        .get(
            "/api/pdf/v2/render/{id}/page/{page}",
            processing::render_page,
        )
        .get("/api/collections/featured", collections::featured)
        .post("/api/collections/featured/feature", sharing::feature)
        .delete("/api/collections/featured/feature/{id}", sharing::unfeature)
        .put("/api/collections/featured/order", sharing::reorder)
        .get("/api/collections/shared/with-me", sharing::with_me)
        .get("/api/collections/shared/by-me", sharing::by_me)
        .post("/api/collections/shared/{id}/share", sharing::share)
        .delete(
            "/api/collections/shared/{id}/share",
            sharing::unshare_collection,
        )
        .get("/api/collections/{slug}", collections::by_slug)
        .get("/api/user/collections", collections::list)
        .post("/api/user/collections", collections::create)
        .post(
            "/api/user/collections/batch/score-collections",
            collections::for_scores,
        )
        .get(
            "/api/user/collections/score/{scoreId}",
            collections::for_score,
        )
        .get("/api/user/collections/{id}", collections::get)
        .put("/api/user/collections/{id}", collections::update)
        .delete("/api/user/collections/{id}", collections::remove)
        .post("/api/user/collections/{id}/scores", collections::add_score)
        .post(
            "/api/user/collections/{id}/scores/batch",
            collections::add_scores,
        )
        .delete(
            "/api/user/collections/{id}/scores/{scoreId}",
            collections::remove_score,
        )
        .post("/api/dev/seed", dev::seed)
        .post("/api/dev/upload", dev::upload)
        .post("/api/admin/reprocess-imports", upkeep::reprocess)
        .get("/api/admin/score-status/{id}", upkeep::score_status)
        .get("/api/user/favorites", favorites::list)
        .get("/api/user/favorites/ids", favorites::ids)
        .post("/api/user/favorites/batch/check", favorites::batch_check)
        .get("/api/user/favorites/check/{scoreId}", favorites::check)
        .post("/api/user/favorites/{scoreId}", favorites::add)
        .delete("/api/user/favorites/{scoreId}", favorites::remove)
        .post("/api/user/favorites/{scoreId}/toggle", favorites::toggle)
        .post(mirubato_core::erasure::ERASE_PATH, erasure::erase)
        .post("/internal/users/export", export::library)
        .post("/internal/users/file", export::file)
}

#[event(fetch)]
async fn fetch(req: Request, env: Env, ctx: Context) -> worker::Result<Response> {
    serve(req, env, ctx, &SERVICE, routes).await
}

#[event(queue)]
async fn queue(
    batch: MessageBatch<processing::Job>,
    env: Env,
    _ctx: Context,
) -> worker::Result<()> {
    processing::consume(batch, env).await
}

/// The scores crons (`[triggers] crons` in wrangler/scores.toml; see upkeep.rs).
#[event(scheduled)]
async fn scheduled(event: ScheduledEvent, env: Env, _ctx: ScheduleContext) {
    upkeep::run_cron(&event.cron(), &env).await;
}
