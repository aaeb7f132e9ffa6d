//! The public HTML pages (`/dictionary/{lang}/{term}`), the sitemaps, and `/dictionary`
//! itself, which is the web app's toolbox.

use mirubato_core::ApiError;
use mirubato_core::dictionary::seo::{
    not_found_page, page_path, sitemap as sitemap_xml, sitemap_langs, term_page,
};
use mirubato_core::dictionary::{Lang, normalize_term};
use mirubato_core::practice::percent_decode;
use mirubato_edge::{EdgeError, RequestContext};
use serde::Deserialize;
use worker::{Headers, Response, query};

use crate::DB;
use crate::store::{entries_named, find_term, suggestions};

/// The scheme and host the request came to, for absolute links.
fn base_url(ctx: &RequestContext) -> Result<String, ApiError> {
    let url = ctx
        .req
        .url()
        .map_err(|_| ApiError::validation("Invalid URL"))?;
    Ok(url.origin().ascii_serialization())
}

fn html(body: String, status: u16, lang: Lang, indexable: bool) -> Result<Response, EdgeError> {
    let headers = Headers::new();
    headers.set("Content-Type", "text/html; charset=utf-8")?;
    headers.set("Content-Language", lang.code())?;
    headers.set(
        "X-Robots-Tag",
        if indexable {
            "index, follow"
        } else {
            "noindex"
        },
    )?;
    headers.set("Cache-Control", "public, max-age=300")?;
    Ok(Response::from_html(body)?
        .with_status(status)
        .with_headers(headers))
}

fn redirect(ctx: &RequestContext, path: &str) -> Result<Response, EdgeError> {
    moved_to(&format!("{}{path}", base_url(ctx)?))
}

fn moved_to(target: &str) -> Result<Response, EdgeError> {
    let url = worker::Url::parse(target).map_err(ApiError::internal)?;
    Ok(Response::redirect_with_status(url, 301)?)
}

/// `GET /dictionary`: the dictionary's home is the toolbox of the web app.
pub async fn home(ctx: RequestContext) -> Result<Response, EdgeError> {
    let frontend = ctx.secret("FRONTEND_URL")?;
    moved_to(&format!("{}/toolbox", frontend.trim_end_matches('/')))
}

/// `GET /dictionary/{lang}/{term}`: an unsupported language moves permanently to English, a
/// differently written one (`EN`, `zh-tw`) to its canonical form.
pub async fn term(ctx: RequestContext) -> Result<Response, EdgeError> {
    let raw_term = percent_decode(ctx.param("term")?)
        .ok_or_else(|| ApiError::validation("Invalid term: bad percent-encoding"))?;
    let normalized = normalize_term(&raw_term);
    if normalized.is_empty() || normalized.chars().count() > 100 {
        return Err(ApiError::not_found("Term not found").into());
    }
    let asked_lang = ctx.param("lang")?;
    let lang = match Lang::from_tag(asked_lang) {
        Some(lang) if lang.code() == asked_lang && raw_term == normalized => lang,
        Some(lang) => return redirect(&ctx, &page_path(lang, &normalized)),
        None => return redirect(&ctx, &page_path(Lang::En, &normalized)),
    };
    let db = ctx.env.d1(DB)?;
    match find_term(&db, &normalized, lang, None).await? {
        Some(entry) if entry.normalized_term == normalized => {
            let related: Vec<String> = entries_named(&db, &entry.related_terms(), 5)
                .await?
                .into_iter()
                .map(|related| related.normalized_term)
                .collect();
            html(
                term_page(&entry, lang, &base_url(&ctx)?, &related),
                200,
                lang,
                true,
            )
        }
        // Reached by a translated name: the page lives at the term's own name.
        Some(entry) => redirect(&ctx, &page_path(lang, &entry.normalized_term)),
        None => {
            let suggested = suggestions(&db, &normalized, 5).await?;
            html(
                not_found_page(&raw_term, lang, &suggested),
                404,
                lang,
                false,
            )
        }
    }
}

#[derive(Deserialize)]
struct SitemapRow {
    normalized_term: String,
    updated_at: String,
}

/// `GET /dictionary/sitemap.xml` (every term's page in every language) and
/// `/dictionary/sitemap-<lang>.xml` (the pages in one language).
pub async fn sitemap(ctx: RequestContext) -> Result<Response, EdgeError> {
    let file = ctx.param("file")?;
    let langs =
        sitemap_langs(file).ok_or_else(|| ApiError::not_found(format!("No sitemap {file}")))?;
    let rows = query!(
        &ctx.env.d1(DB)?,
        "SELECT normalized_term, max(updated_at) AS updated_at FROM dictionary_entries \
         GROUP BY normalized_term ORDER BY normalized_term"
    )
    .all()
    .await?
    .results::<SitemapRow>()?;
    let terms: Vec<(String, String)> = rows
        .into_iter()
        .map(|row| (row.normalized_term, row.updated_at))
        .collect();
    let headers = Headers::new();
    headers.set("Content-Type", "application/xml; charset=utf-8")?;
    headers.set("Cache-Control", "public, max-age=3600")?;
    Ok(Response::ok(sitemap_xml(&base_url(&ctx)?, &langs, &terms))?.with_headers(headers))
}
