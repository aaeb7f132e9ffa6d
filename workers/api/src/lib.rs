//! The api worker: accounts, sync, repertoire, goals.

use mirubato_edge::{Dependency, Router, Service, serve};
use worker::{Context, Env, Request, Response, event};

static SERVICE: Service = Service {
    name: "api",
    version: env!("CARGO_PKG_VERSION"),
    dependencies: &[Dependency::D1("DB"), Dependency::Kv("CACHE")],
    capabilities: &[],
};

fn routes() -> Router {
    Router::new()
}

#[event(fetch)]
async fn fetch(req: Request, env: Env, _ctx: Context) -> worker::Result<Response> {
    serve(req, env, &SERVICE, routes).await
}
