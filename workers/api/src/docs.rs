//! `/api` (index), `/docs/openapi.json` (OpenAPI 3, generated from the Rust types and
//! handler annotations) and `/docs` (a readable page of it, with no external assets).

use mirubato_core::accounts::{
    GoogleSignInRequest, MagicLinkRequest, MessageResponse, RefreshRequest, RefreshResponse,
    SessionResponse, UpdateProfileRequest, VerifyMagicLinkRequest,
};
use mirubato_core::practice::goals::{
    CreateGoalRequest, Milestone, ProgressRequest, UpdateGoalRequest,
};
use mirubato_core::practice::pieces::{PieceName, UpdatePieceNameRequest};
use mirubato_core::practice::repertoire::{AddRepertoireRequest, UpdateRepertoireRequest};
use mirubato_core::practice::templates::{AdoptRequest, Customization, ScheduleCustomization};
use mirubato_core::preferences::{EmailFrequency, NotificationSettings, Theme, UserPreferences};
use mirubato_core::sessions::{SessionList, SessionView};
use mirubato_core::user::{AuthProvider, Role, User};
use mirubato_edge::{EdgeError, RequestContext, json};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};
use worker::Response;

use crate::{accounts, autocomplete, goals, pieces, preferences, repertoire, templates};

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .build(),
            ),
        );
    }
}

#[derive(OpenApi)]
#[openapi(
    info(title = "Mirubato API", description = "Accounts, sync, repertoire and goals. Errors: {success:false, error, code, details?}."),
    paths(
        accounts::request_magic_link, accounts::verify_magic_link, accounts::google_sign_in,
        accounts::refresh, accounts::logout, accounts::logout_all, accounts::sessions,
        accounts::end_session, accounts::me, accounts::update_me, accounts::delete_me,
        preferences::get, preferences::put,
        repertoire::list, repertoire::stats, repertoire::add, repertoire::update,
        repertoire::remove, repertoire::dissociate_item,
        goals::list, goals::get, goals::create, goals::update, goals::progress, goals::remove,
        pieces::update_name, templates::adopt_template,
        autocomplete::composers, autocomplete::pieces,
    ),
    components(schemas(
        MagicLinkRequest, VerifyMagicLinkRequest, GoogleSignInRequest, RefreshRequest,
        UpdateProfileRequest, SessionResponse, RefreshResponse, MessageResponse, User, AuthProvider, Role,
        SessionList, SessionView,
        UserPreferences, NotificationSettings, Theme, EmailFrequency,
        AddRepertoireRequest, UpdateRepertoireRequest, CreateGoalRequest, UpdateGoalRequest,
        Milestone, ProgressRequest, UpdatePieceNameRequest, PieceName, AdoptRequest,
        Customization, ScheduleCustomization,
    )),
    modifiers(&BearerAuth),
)]
struct ApiDoc;

fn document() -> utoipa::openapi::OpenApi {
    let mut doc = ApiDoc::openapi();
    doc.info.version = env!("CARGO_PKG_VERSION").to_string();
    doc
}

pub async fn openapi(_ctx: RequestContext) -> Result<Response, EdgeError> {
    json(&document())
}

pub async fn index(ctx: RequestContext) -> Result<Response, EdgeError> {
    let endpoints: Vec<String> = document().paths.paths.keys().cloned().collect();
    json(&serde_json::json!({
        "service": ctx.service.name,
        "version": ctx.service.version,
        "documentation": "/docs",
        "openapi": "/docs/openapi.json",
        "endpoints": endpoints,
    }))
}

pub async fn page(_ctx: RequestContext) -> Result<Response, EdgeError> {
    let doc = document();
    let mut rows = String::new();
    for (path, item) in &doc.paths.paths {
        let operations = [
            ("GET", &item.get),
            ("POST", &item.post),
            ("PUT", &item.put),
            ("PATCH", &item.patch),
            ("DELETE", &item.delete),
        ];
        for (method, operation) in operations {
            if let Some(operation) = operation {
                let statuses: Vec<&String> = operation.responses.responses.keys().collect();
                let secured = operation.security.as_ref().is_some_and(|s| !s.is_empty());
                rows.push_str(&format!(
                    "<tr><td><code>{method}</code></td><td><code>{}</code></td><td>{}</td><td>{}</td></tr>",
                    escape(path),
                    if secured { "bearer / auth-token cookie" } else { "—" },
                    statuses.iter().map(|s| escape(s)).collect::<Vec<_>>().join(", ")
                ));
            }
        }
    }
    let html = format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Mirubato API</title>\
         <style>body{{font-family:system-ui,sans-serif;margin:2rem;max-width:60rem}}td,th{{padding:.3rem .6rem;text-align:left;border-bottom:1px solid #ddd}}</style></head>\
         <body><h1>Mirubato API {}</h1><p>Machine-readable: <a href=\"/docs/openapi.json\">/docs/openapi.json</a> (OpenAPI 3). \
         Errors use one envelope: <code>{{\"success\":false,\"error\":\"…\",\"code\":\"…\",\"details\":{{…}}}}</code>.</p>\
         <table><thead><tr><th>Method</th><th>Path</th><th>Auth</th><th>Statuses</th></tr></thead><tbody>{rows}</tbody></table></body></html>",
        escape(&doc.info.version)
    );
    let mut response = Response::from_html(html)?;
    response.headers_mut().set("Cache-Control", "no-cache")?;
    Ok(response)
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}
