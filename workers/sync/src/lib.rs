//! The sync worker: real-time device sync over WebSockets.

use mirubato_edge::{Dependency, Router, Service, serve};
use worker::{Context, Env, Request, Response, event};

static SERVICE: Service = Service {
    name: "sync",
    version: env!("CARGO_PKG_VERSION"),
    dependencies: &[Dependency::Worker {
        binding: "API",
        name: "api",
    }],
    capabilities: &[],
};

fn routes() -> Router {
    Router::new()
}

#[event(fetch)]
async fn fetch(req: Request, env: Env, _ctx: Context) -> worker::Result<Response> {
    serve(req, env, &SERVICE, routes).await
}
