//! The api worker: accounts, sync, repertoire, goals.

mod accounts;
mod docs;
mod documents;
mod google;
mod mail;
mod preferences;
mod session;
mod store;
mod sync;

use mirubato_edge::{Dependency, Router, Service, serve};
use worker::{Context, Env, Request, Response, event};

static SERVICE: Service = Service {
    name: "api",
    version: env!("CARGO_PKG_VERSION"),
    dependencies: &[Dependency::D1("DB"), Dependency::Kv("CACHE")],
    capabilities: &[],
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
        .post("/api/auth/request-magic-link", accounts::request_magic_link)
        .post("/api/auth/verify-magic-link", accounts::verify_magic_link)
        .post("/api/auth/google", accounts::google_sign_in)
        .post("/api/auth/refresh", accounts::refresh)
        .post("/api/auth/logout", accounts::logout)
        .get("/api/user/me", accounts::me)
        .delete("/api/user/me", accounts::delete_me)
        .get("/api/user/preferences", preferences::get)
        .put("/api/user/preferences", preferences::put)
        .get("/api/dev/outbox", mail::outbox)
        .post("/api/sync/pull", sync::pull)
        .post("/api/sync/push", sync::push)
        .post("/api/sync/batch", sync::batch)
        .get("/api/sync/status", sync::status)
}

#[event(fetch)]
async fn fetch(req: Request, env: Env, _ctx: Context) -> worker::Result<Response> {
    serve(req, env, &SERVICE, routes).await
}
