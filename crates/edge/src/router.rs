use std::cell::RefCell;
use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;

use mirubato_core::ApiError;
use mirubato_core::config::ServiceConfig;
use mirubato_core::rate_limit::Scope;
use worker::{Context, Env, Method, Request, Response};

use crate::pipeline::Service;
use crate::{EdgeError, rate_limit};

/// The host service-binding calls between our workers address.
pub const INTERNAL_HOST: &str = "internal.mirubato";

/// POSTs `body` as JSON to an internal route of the worker behind service binding `binding`,
/// passing on the request id (when there is one) so the call can be followed in the logs.
pub async fn post_internal(
    env: &worker::Env,
    binding: &str,
    path: &str,
    body: &serde_json::Value,
    request_id: Option<&str>,
) -> Result<Response, worker::Error> {
    let headers = worker::Headers::new();
    headers.set("Content-Type", "application/json")?;
    if let Some(request_id) = request_id {
        headers.set("X-Request-Id", request_id)?;
    }
    let mut init = worker::RequestInit::new();
    init.with_method(Method::Post)
        .with_headers(headers)
        .with_body(Some(body.to_string().into()));
    env.service(binding)?
        .fetch(format!("https://{INTERNAL_HOST}{path}"), Some(init))
        .await
}

type BoxedFuture = Pin<Box<dyn Future<Output = Result<Response, EdgeError>>>>;
type Handler = Box<dyn Fn(RequestContext) -> BoxedFuture>;

/// Everything a handler gets: the request (body unread), the environment, the route's path
/// parameters, and the request's identity.
pub struct RequestContext {
    pub req: Request,
    pub env: Env,
    /// The runtime's event context (`wait_until` for work after the response).
    pub worker: Rc<Context>,
    pub config: Rc<ServiceConfig>,
    pub service: &'static Service,
    pub request_id: String,
    params: HashMap<String, String>,
    /// What handlers learn that the request's log line and data point report.
    pub(crate) observed: Rc<RefCell<Observed>>,
}

/// Facts a handler learns about its request, read back by the pipeline when it finishes.
#[derive(Debug, Default)]
pub(crate) struct Observed {
    pub user_id: Option<String>,
    /// Counts the handler reports in the request's log line.
    pub counts: std::collections::BTreeMap<&'static str, u64>,
}

impl RequestContext {
    pub(crate) fn new(
        req: Request,
        env: Env,
        worker: Rc<Context>,
        config: Rc<ServiceConfig>,
        service: &'static Service,
        request_id: String,
        observed: Rc<RefCell<Observed>>,
    ) -> Self {
        Self {
            req,
            env,
            worker,
            config,
            service,
            request_id,
            params: HashMap::new(),
            observed,
        }
    }

    /// Records who is calling, for the request's analytics (as a keyed hash, never raw).
    pub fn identify(&self, user_id: &str) {
        self.observed.borrow_mut().user_id = Some(user_id.to_string());
    }

    /// Adds `n` to the count `name` that the request's log line reports under `counts`.
    pub fn count(&self, name: &'static str, n: u64) {
        *self.observed.borrow_mut().counts.entry(name).or_default() += n;
    }

    /// A path parameter of the matched route (`/api/scores/{id}` → `param("id")`).
    pub fn param(&self, name: &str) -> Result<&str, ApiError> {
        self.params
            .get(name)
            .map(String::as_str)
            .ok_or_else(|| ApiError::internal(format!("route has no parameter {name}")))
    }
}

struct Route {
    pattern: &'static str,
    handlers: Vec<(Method, Scope, Handler)>,
}

/// Method + path routing over `matchit` patterns (`/api/items/{id}`, `/{*path}`).
///
/// Unlike `worker::Router` it tells the pipeline which pattern matched (for metrics and logs),
/// answers a known path with a wrong method with 405 and an `Allow` header, and lets a worker
/// set a fallback for unmatched paths (the frontend's static assets).
pub struct Router {
    routes: Vec<Route>,
    index: matchit::Router<usize>,
    fallback: Option<(Scope, Handler)>,
    /// The rate-limit scope of the routes registered next (see [`limit`](Self::limit)).
    scope: Scope,
}

/// What the router decided for one request.
pub(crate) struct Dispatch {
    pub route: Option<&'static str>,
    pub result: Result<Response, EdgeError>,
}

impl Router {
    /// An empty router. The pipeline adds `/health`, `/livez`, `/readyz` and `/metrics`.
    pub fn new() -> Self {
        Self {
            routes: Vec::new(),
            index: matchit::Router::new(),
            fallback: None,
            scope: Scope::DEFAULT,
        }
    }

    /// Counts the routes registered after this call in `scope` (until the next call); routes
    /// start in [`Scope::DEFAULT`].
    pub fn limit(mut self, scope: Scope) -> Self {
        self.scope = scope;
        self
    }

    pub fn get<F, Fut>(self, pattern: &'static str, handler: F) -> Self
    where
        F: Fn(RequestContext) -> Fut + 'static,
        Fut: Future<Output = Result<Response, EdgeError>> + 'static,
    {
        self.on(Method::Get, pattern, handler)
    }

    pub fn post<F, Fut>(self, pattern: &'static str, handler: F) -> Self
    where
        F: Fn(RequestContext) -> Fut + 'static,
        Fut: Future<Output = Result<Response, EdgeError>> + 'static,
    {
        self.on(Method::Post, pattern, handler)
    }

    pub fn put<F, Fut>(self, pattern: &'static str, handler: F) -> Self
    where
        F: Fn(RequestContext) -> Fut + 'static,
        Fut: Future<Output = Result<Response, EdgeError>> + 'static,
    {
        self.on(Method::Put, pattern, handler)
    }

    pub fn patch<F, Fut>(self, pattern: &'static str, handler: F) -> Self
    where
        F: Fn(RequestContext) -> Fut + 'static,
        Fut: Future<Output = Result<Response, EdgeError>> + 'static,
    {
        self.on(Method::Patch, pattern, handler)
    }

    pub fn delete<F, Fut>(self, pattern: &'static str, handler: F) -> Self
    where
        F: Fn(RequestContext) -> Fut + 'static,
        Fut: Future<Output = Result<Response, EdgeError>> + 'static,
    {
        self.on(Method::Delete, pattern, handler)
    }

    /// Handles every request no route matched (instead of the 404 envelope).
    pub fn fallback<F, Fut>(mut self, handler: F) -> Self
    where
        F: Fn(RequestContext) -> Fut + 'static,
        Fut: Future<Output = Result<Response, EdgeError>> + 'static,
    {
        self.fallback = Some((self.scope, Box::new(move |ctx| Box::pin(handler(ctx)))));
        self
    }

    /// Registers a handler. Route tables are static program text, so a malformed or
    /// conflicting pattern is a programming error caught by the first request in any test.
    pub fn on<F, Fut>(mut self, method: Method, pattern: &'static str, handler: F) -> Self
    where
        F: Fn(RequestContext) -> Fut + 'static,
        Fut: Future<Output = Result<Response, EdgeError>> + 'static,
    {
        let handler: Handler = Box::new(move |ctx| Box::pin(handler(ctx)));
        let slot = match self
            .routes
            .iter()
            .position(|route| route.pattern == pattern)
        {
            Some(slot) => slot,
            None => {
                let slot = self.routes.len();
                if let Err(err) = self.index.insert(pattern, slot) {
                    panic!("invalid route pattern {pattern}: {err}");
                }
                self.routes.push(Route {
                    pattern,
                    handlers: Vec::new(),
                });
                slot
            }
        };
        self.routes[slot]
            .handlers
            .push((method, self.scope, handler));
        self
    }

    pub(crate) async fn dispatch(&self, mut ctx: RequestContext) -> Dispatch {
        let path = ctx.req.path();
        let Ok(matched) = self.index.at(&path) else {
            return match &self.fallback {
                Some((scope, fallback)) => Dispatch {
                    route: Some("fallback"),
                    result: limited(ctx, *scope, fallback).await,
                },
                None => Dispatch {
                    route: None,
                    result: Err(ApiError::not_found(format!("No route for {path}")).into()),
                },
            };
        };
        let route = &self.routes[*matched.value];
        ctx.params = matched
            .params
            .iter()
            .map(|(name, value)| (name.to_string(), value.to_string()))
            .collect();
        let method = ctx.req.method();
        // HEAD is answered by the GET handler; the runtime drops the body.
        let wanted = if method == Method::Head {
            Method::Get
        } else {
            method.clone()
        };
        let result = match route.handlers.iter().find(|(m, _, _)| *m == wanted) {
            Some((_, scope, handler)) => limited(ctx, *scope, handler).await,
            None => Err(ApiError::MethodNotAllowed {
                method: method.to_string(),
                allowed: route
                    .handlers
                    .iter()
                    .map(|(m, _, _)| m.to_string())
                    .collect(),
            }
            .into()),
        };
        Dispatch {
            route: Some(route.pattern),
            result,
        }
    }
}

/// Runs `handler` if the caller's count in `scope` allows, and reports the quota on its
/// answer, deliberate errors included (faults go on to the pipeline, which logs them). Calls
/// from our other workers are not counted.
async fn limited(
    ctx: RequestContext,
    scope: Scope,
    handler: &Handler,
) -> Result<Response, EdgeError> {
    if ctx.is_internal() {
        return handler(ctx).await;
    }
    let decision = rate_limit::admit(&ctx, scope).await?;
    if !decision.allowed {
        return rate_limit::refusal(&decision);
    }
    match handler(ctx).await {
        Ok(response) => rate_limit::stamp(response, &decision),
        Err(EdgeError::Api(err)) if err.log_reason().is_none() => {
            rate_limit::stamp(crate::respond::error_response(&err)?, &decision)
        }
        Err(fault) => Err(fault),
    }
}

impl Default for Router {
    fn default() -> Self {
        Self::new()
    }
}

impl RequestContext {
    /// Whether the request came from another of our workers over a service binding. Those
    /// calls address the host [`INTERNAL_HOST`], which no public route leads to (each worker
    /// is reachable publicly only on its own custom domain), so internal routes answer 404 to
    /// everyone else.
    pub fn is_internal(&self) -> bool {
        self.req
            .url()
            .ok()
            .and_then(|url| url.host_str().map(|host| host == INTERNAL_HOST))
            .unwrap_or(false)
    }

    /// 404 unless the request is internal (see [`is_internal`](Self::is_internal)).
    pub fn require_internal(&self) -> Result<(), ApiError> {
        if self.is_internal() {
            Ok(())
        } else {
            Err(ApiError::not_found(format!(
                "No route for {}",
                self.req.path()
            )))
        }
    }

    /// A request header's value.
    pub fn header(&self, name: &str) -> Option<String> {
        self.req.headers().get(name).ok().flatten()
    }

    /// A query-string parameter.
    pub fn query(&self, name: &str) -> Option<String> {
        let url = self.req.url().ok()?;
        url.query_pairs()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.into_owned())
    }

    /// A secret or var that must be configured; its absence is a server fault.
    pub fn secret(&self, name: &str) -> Result<String, ApiError> {
        self.env
            .secret(name)
            .map(|value| value.to_string())
            .or_else(|_| self.env.var(name).map(|value| value.to_string()))
            .map_err(|_| ApiError::internal(format!("{name} is not configured")))
    }

    /// The client's address for rate limits: only `CF-Connecting-IP` outside local
    /// development; locally (where Miniflare overwrites that header) the first
    /// `X-Forwarded-For` address when present, so a test can act as many clients.
    pub fn client_ip(&self) -> String {
        let connecting = self.header("CF-Connecting-IP");
        let forwarded = self
            .header("X-Forwarded-For")
            .and_then(|list| list.split(',').next().map(|first| first.trim().to_string()))
            .filter(|first| !first.is_empty());
        match (self.config.environment.is_local(), forwarded) {
            (true, Some(forwarded)) => forwarded,
            _ => connecting.unwrap_or_else(|| "unknown".into()),
        }
    }

    /// Reads and validates a JSON body of at most `limit` bytes: 413 when larger (by its
    /// declared length, before reading), 400 when malformed or invalid.
    pub async fn json_with_limit<T>(&mut self, limit: u64) -> Result<T, ApiError>
    where
        T: serde::de::DeserializeOwned + validator::Validate,
    {
        let value: T = self.json_value_with_limit(limit).await?;
        value
            .validate()
            .map_err(mirubato_core::input::validation_error)?;
        Ok(value)
    }

    /// Reads a JSON body of at most `limit` bytes into a type with no `validator` rules
    /// (its validation is its own); the same 413 and 400 as [`json_with_limit`](Self::json_with_limit).
    pub async fn json_value_with_limit<T>(&mut self, limit: u64) -> Result<T, ApiError>
    where
        T: serde::de::DeserializeOwned,
    {
        let body = self.body_bytes(limit).await?;
        mirubato_core::input::parse_json_unvalidated(&body, limit)
    }

    /// The declared `Content-Length`, when there is a readable one.
    pub fn content_length(&self) -> Option<u64> {
        self.header("Content-Length")
            .and_then(|length| length.trim().parse::<u64>().ok())
    }

    /// The request body, at most `limit` bytes: 413 by its declared length before reading,
    /// and, for a body without one (chunked), as soon as the bytes read pass the limit, so a
    /// body never takes more memory than its limit whatever the client claims.
    pub async fn body_bytes(&mut self, limit: u64) -> Result<Vec<u8>, ApiError> {
        let declared = self.content_length();
        if declared.is_some_and(|length| length > limit) {
            return Err(ApiError::PayloadTooLarge { limit_bytes: limit });
        }
        if self.req.inner().body().is_none() {
            return Ok(Vec::new());
        }
        let stream = self
            .req
            .stream()
            .map_err(|_| ApiError::validation("Request body could not be read"))?;
        read_capped(stream, limit, declared).await
    }

    /// [`json_with_limit`](Self::json_with_limit) with the default 1 MB limit.
    pub async fn json<T>(&mut self) -> Result<T, ApiError>
    where
        T: serde::de::DeserializeOwned + validator::Validate,
    {
        self.json_with_limit(mirubato_core::input::MAX_JSON_BODY)
            .await
    }
}

/// Reads a body stream (a request's, or a fetched response's) into memory, failing with 413
/// as soon as more than `limit` bytes arrive. `expected` (a declared length) only sizes the
/// buffer; it is never trusted as a bound.
pub async fn read_capped(
    mut stream: worker::ByteStream,
    limit: u64,
    expected: Option<u64>,
) -> Result<Vec<u8>, ApiError> {
    use futures_util::StreamExt;
    let capacity = expected.unwrap_or(0).min(limit);
    let mut body = Vec::with_capacity(usize::try_from(capacity).unwrap_or(0));
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|_| ApiError::validation("The body could not be read"))?;
        if body.len() as u64 + chunk.len() as u64 > limit {
            return Err(ApiError::PayloadTooLarge { limit_bytes: limit });
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}
