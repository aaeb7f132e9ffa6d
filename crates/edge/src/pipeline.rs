use std::cell::{OnceCell, RefCell};
use std::rc::Rc;

use mirubato_core::ApiError;
use mirubato_core::analytics::{RequestFacts, request_point};
use mirubato_core::config::ServiceConfig;
use mirubato_core::cors::CorsPolicy;
use mirubato_core::rate_limit::Scope;
use mirubato_core::request::request_id;
use mirubato_core::sessions::secret_problems;
use worker::{Context, Env, Method, Request, Response};

use crate::respond::{error_response, rebuild_with_headers};
use crate::router::{Observed, RequestContext, Router};
use crate::{health, now_ms, observe};

/// A binding the worker cannot work without; `/health` touches each one.
#[derive(Debug, Clone, Copy)]
pub enum Dependency {
    /// A D1 database, checked with a query on its migration table.
    D1(&'static str),
    /// A KV namespace, checked with a read.
    Kv(&'static str),
    /// An R2 bucket, checked with a head request.
    R2(&'static str),
    /// The static-assets binding, checked by fetching the app shell.
    Assets(&'static str),
    /// Another worker behind a service binding, checked with its `/livez`; reported under
    /// the worker's name.
    Worker {
        binding: &'static str,
        name: &'static str,
    },
}

/// An optional binding: reported as configured or not, never a reason to be unhealthy.
#[derive(Debug, Clone, Copy)]
pub enum Capability {
    Ai(&'static str),
    Browser(&'static str),
    /// A webhook URL secret (health alerts), reported under `alerts`.
    Alerts(&'static str),
}

/// What a worker is, for the pipeline: its name, version and bindings.
pub struct Service {
    pub name: &'static str,
    pub version: &'static str,
    pub dependencies: &'static [Dependency],
    pub capabilities: &'static [Capability],
    /// Where the worker learns whether a token's sign-in session has ended.
    pub sessions: SessionCheck,
}

/// How a worker checks that a token's session is still live (logout, logout-all, reuse of a
/// refresh token and account deletion end sessions; see `auth`).
#[derive(Debug, Clone, Copy)]
pub enum SessionCheck {
    /// The worker keeps the revocation markers itself, in this KV namespace (the api).
    Kept(&'static str),
    /// The worker asks the api over its `API` service binding, and remembers a live session
    /// for a few seconds per isolate (`SESSION_CHECK_CACHE_SECS`).
    AskApi,
    /// The worker accepts no tokens (the frontend serves the app to everyone); its rate
    /// limiter counts every caller by address.
    NoTokens,
}

thread_local! {
    // One router per isolate, built on its first request.
    static ROUTER: OnceCell<Rc<Router>> = const { OnceCell::new() };
}

/// Answers one request: request id, CORS preflight, routing, the error envelope, CORS and
/// request-id headers, metrics, and one JSON log line.
pub async fn serve(
    req: Request,
    env: Env,
    worker_ctx: Context,
    service: &'static Service,
    routes: fn() -> Router,
) -> worker::Result<Response> {
    let started = now_ms();
    let request_id = request_id(req.headers().get("X-Request-Id")?.as_deref());
    let method = req.method();
    let path = req.path();
    let origin = req.headers().get("Origin")?;
    let country = req.cf().and_then(|cf| cf.country());
    let request_bytes = content_length(req.headers());
    let is_preflight =
        method == Method::Options && req.headers().has("Access-Control-Request-Method")?;
    let observed = Rc::new(RefCell::new(Observed::default()));

    let config = ServiceConfig::from_lookup(|key| env.var(key).ok().map(|var| var.to_string()));
    let allowed_origins = config
        .as_ref()
        .map(|config| config.allowed_origins.clone())
        .unwrap_or_default();
    let build_sha = config
        .as_ref()
        .ok()
        .and_then(|config| config.build_sha.clone());
    let observer = env.clone();
    let (route, result) = match config {
        Err(err) => (None, Err(ApiError::internal(err).into())),
        Ok(_) if is_preflight => (Some("preflight"), Ok(Response::empty()?.with_status(204))),
        Ok(config) if refuses_to_serve(&env, &config, service) && path != "/livez" => (
            None,
            Err(ApiError::Unavailable(
                "This service is not configured to serve yet (its log says why)".into(),
            )
            .into()),
        ),
        Ok(config) => {
            let router = ROUTER.with(|cell| {
                cell.get_or_init(|| Rc::new(with_builtins(routes())))
                    .clone()
            });
            let ctx = RequestContext::new(
                req,
                env,
                Rc::new(worker_ctx),
                Rc::new(config),
                service,
                request_id.clone(),
                observed.clone(),
            );
            let dispatch = router.dispatch(ctx).await;
            (dispatch.route, dispatch.result)
        }
    };
    let user_id = observed.borrow_mut().user_id.take();
    let counts = std::mem::take(&mut observed.borrow_mut().counts);
    finish(
        FinishArgs {
            service,
            env: &observer,
            request_id: &request_id,
            method: &method,
            path: &path,
            origin: origin.as_deref(),
            allowed_origins: &allowed_origins,
            preflight: is_preflight,
            started,
            build_sha: build_sha.as_deref(),
            country: country.as_deref(),
            request_bytes,
            user_id: user_id.as_deref(),
            counts: &counts,
        },
        route,
        result,
    )
}

thread_local! {
    // What is wrong with this isolate's secrets, checked on its first request.
    static SECRET_PROBLEMS: OnceCell<Vec<String>> = const { OnceCell::new() };
}

/// Whether a deployed worker must refuse to serve: a guarded secret is missing, shorter than
/// 32 bytes or the public example value. Only `/livez` answers then (so `/readyz` is 503 and
/// a gradual deploy stops); the reason is logged once per isolate. Local development is
/// exempt.
fn refuses_to_serve(env: &Env, config: &ServiceConfig, service: &Service) -> bool {
    if config.environment.is_local() {
        return false;
    }
    SECRET_PROBLEMS.with(|cell| {
        !cell
            .get_or_init(|| {
                let lookup = |name: &str| {
                    env.secret(name)
                        .map(|value| value.to_string())
                        .or_else(|_| env.var(name).map(|value| value.to_string()))
                        .ok()
                };
                let verifies_tokens = !matches!(service.sessions, SessionCheck::NoTokens);
                let problems = secret_problems(lookup, verifies_tokens);
                if !problems.is_empty() {
                    worker::console_error!(
                        "{}",
                        serde_json::json!({"level": "error", "message": "refusing to serve: weak secrets",
                                           "service": service.name, "problems": problems})
                    );
                }
                problems
            })
            .is_empty()
    })
}

/// Bytes of a response body: known for bodies built here, from `Content-Length` for streams.
fn response_bytes(response: &Response) -> u64 {
    match response.body() {
        worker::ResponseBody::Body(bytes) => bytes.len() as u64,
        worker::ResponseBody::Empty => 0,
        worker::ResponseBody::Stream(_) => content_length(response.headers()),
    }
}

fn content_length(headers: &worker::Headers) -> u64 {
    headers
        .get("Content-Length")
        .ok()
        .flatten()
        .and_then(|value| value.trim().parse().ok())
        .unwrap_or(0)
}

fn with_builtins(router: Router) -> Router {
    router
        .limit(Scope::DEFAULT)
        .get("/health", health::health)
        .get("/livez", health::livez)
        .get("/readyz", health::readyz)
        .get("/metrics", observe::metrics)
}

struct FinishArgs<'a> {
    service: &'static Service,
    env: &'a Env,
    request_id: &'a str,
    method: &'a Method,
    path: &'a str,
    origin: Option<&'a str>,
    allowed_origins: &'a [String],
    preflight: bool,
    started: f64,
    build_sha: Option<&'a str>,
    country: Option<&'a str>,
    request_bytes: u64,
    user_id: Option<&'a str>,
    counts: &'a std::collections::BTreeMap<&'static str, u64>,
}

fn finish(
    args: FinishArgs<'_>,
    route: Option<&'static str>,
    result: Result<Response, crate::EdgeError>,
) -> worker::Result<Response> {
    let (response, failure) = match result {
        Ok(response) => (response, None),
        Err(err) => {
            let err = err.into_api_error();
            (error_response(&err)?, err.log_reason().map(str::to_string))
        }
    };
    let duration_ms = now_ms() - args.started;
    let mut extra = CorsPolicy::new(args.allowed_origins).headers(args.origin, args.preflight);
    extra.push(("X-Request-Id", args.request_id.to_string()));
    extra.push(("Vary", "Origin".to_string()));
    extra.push((
        "X-Worker-Version",
        worker_version(args.service, args.build_sha),
    ));
    extra.push(("X-Processing-Time", format!("{duration_ms:.0}ms")));
    // A WebSocket upgrade is passed through untouched: its socket lives in the original.
    let response = if response.status_code() == 101 {
        response
    } else {
        rebuild_with_headers(response, &extra)?
    };
    let cache_status = response.headers().get("X-Cache-Status").ok().flatten();
    let user_hash = args
        .user_id
        .and_then(|user_id| observe::user_hash(args.env, user_id));
    let point = request_point(&RequestFacts {
        worker: args.service.name,
        route,
        method: args.method.as_ref(),
        status: response.status_code(),
        cache_status: cache_status.as_deref(),
        country: args.country,
        user_hash: user_hash.as_deref(),
        duration_ms,
        request_bytes: args.request_bytes,
        response_bytes: response_bytes(&response),
    });
    observe::record(
        args.service,
        args.env,
        &observe::RequestRecord {
            request_id: args.request_id,
            method: args.method.as_ref(),
            path: args.path,
            route,
            status: response.status_code(),
            duration_ms,
            error: failure.as_deref(),
            counts: args.counts,
            analytics: &point,
        },
    );
    Ok(response)
}

/// `X-Worker-Version`: the crate version and, when the deploy stamped it, the git sha.
fn worker_version(service: &Service, build_sha: Option<&str>) -> String {
    match build_sha {
        Some(sha) => format!("{}+{sha}", service.version),
        None => service.version.to_string(),
    }
}
