//! The frontend worker: serves the single-page app from the static-assets binding, with the
//! SPA fallback, cache rules and security headers of `mirubato_core::web`.

use mirubato_core::ApiError;
use mirubato_core::rate_limit::Scope;
use mirubato_core::web::{AppOrigins, cache_control, has_file_extension, security_headers};
use mirubato_edge::{
    Dependency, EdgeError, RequestContext, Router, Service, SessionCheck, json,
    rebuild_with_headers, serve,
};
use serde_json::json;
use worker::{Context, Env, Request, Response, event};

/// Every worker hosts the rate limiter's counters (crates/edge).
pub use mirubato_edge::rate_limit::RateLimiter;

const ASSETS: &str = "ASSETS";
const APP_SHELL_URL: &str = "https://assets.local/";

static SERVICE: Service = Service {
    name: "frontend",
    version: env!("CARGO_PKG_VERSION"),
    dependencies: &[Dependency::Assets(ASSETS)],
    capabilities: &[],
    sessions: SessionCheck::NoTokens,
};

fn routes() -> Router {
    Router::new()
        .limit(Scope::STATIC)
        .get("/config.json", app_config)
        .fallback(static_asset)
}

/// Service URLs of this deployment, read by the app at start-up (so one build serves every
/// environment and every local port layout).
struct ServiceUrls {
    api: String,
    scores: String,
    dictionary: String,
    sync: String,
}

impl ServiceUrls {
    fn from_env(env: &Env) -> Result<Self, ApiError> {
        let var = |key: &str| {
            env.var(key)
                .map(|value| value.to_string())
                .map_err(|_| ApiError::internal(format!("configuration {key} is missing")))
        };
        Ok(Self {
            api: var("API_URL")?,
            scores: var("SCORES_URL")?,
            dictionary: var("DICTIONARY_URL")?,
            sync: var("SYNC_URL")?,
        })
    }

    fn origins(&self) -> AppOrigins<'_> {
        AppOrigins {
            api: &self.api,
            scores: &self.scores,
            dictionary: &self.dictionary,
            sync: &self.sync,
        }
    }
}

/// The Google OAuth client id for the sign-in button; absent or empty hides the button.
fn google_client_id(env: &Env) -> String {
    env.var("GOOGLE_CLIENT_ID")
        .map(|value| value.to_string().trim().to_string())
        .unwrap_or_default()
}

async fn app_config(ctx: RequestContext) -> Result<Response, EdgeError> {
    let urls = ServiceUrls::from_env(&ctx.env)?;
    let mut response = json(&json!({
        "apiUrl": urls.api,
        "scoresUrl": urls.scores,
        "dictionaryUrl": urls.dictionary,
        "syncUrl": urls.sync,
        "googleClientId": google_client_id(&ctx.env),
        "environment": ctx.config.environment.as_str(),
        "version": ctx.service.version,
    }))?;
    response.headers_mut().set("Cache-Control", "no-cache")?;
    Ok(response)
}

async fn static_asset(ctx: RequestContext) -> Result<Response, EdgeError> {
    let urls = ServiceUrls::from_env(&ctx.env)?;
    let assets = ctx.env.assets(ASSETS)?;
    let path = ctx.req.path();
    let mut response = assets.fetch_request(ctx.req.clone()?).await?;
    if response.status_code() == 404 {
        if has_file_extension(&path) {
            return Err(ApiError::not_found(format!("No file at {path}")).into());
        }
        // An app route: the app shell renders it. (The assets binding ignores the host.)
        response = assets.fetch(APP_SHELL_URL, None).await?;
    }
    let content_type = response.headers().get("Content-Type")?;
    let mut headers = security_headers(&urls.origins());
    headers.push((
        "Cache-Control",
        cache_control(&path, content_type.as_deref()).to_string(),
    ));
    Ok(rebuild_with_headers(response, &headers)?)
}

#[event(fetch)]
async fn fetch(req: Request, env: Env, ctx: Context) -> worker::Result<Response> {
    serve(req, env, ctx, &SERVICE, routes).await
}
