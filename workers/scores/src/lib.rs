//! The scores worker: the sheet-music library (import, storage, processing, search, collections).

use mirubato_edge::auth::API_BINDING;
use mirubato_edge::{Capability, Dependency, Router, Service, serve};
use worker::{Context, Env, Request, Response, event};

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
    capabilities: &[Capability::Ai("AI"), Capability::Browser("BROWSER")],
};

fn routes() -> Router {
    Router::new()
}

#[event(fetch)]
async fn fetch(req: Request, env: Env, ctx: Context) -> worker::Result<Response> {
    serve(req, env, ctx, &SERVICE, routes).await
}
