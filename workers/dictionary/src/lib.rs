//! The dictionary worker: music terms in six languages.

use mirubato_edge::auth::API_BINDING;
use mirubato_edge::{Capability, Dependency, Router, Service, serve};
use worker::{Context, Env, Request, Response, event};

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
    capabilities: &[Capability::Ai("AI")],
};

fn routes() -> Router {
    Router::new()
}

#[event(fetch)]
async fn fetch(req: Request, env: Env, ctx: Context) -> worker::Result<Response> {
    serve(req, env, ctx, &SERVICE, routes).await
}
