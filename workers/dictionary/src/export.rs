//! `GET /api/v1/export?format=json|csv`: the dictionary streamed in pages, so an export of
//! any size never sits in memory whole.

use futures_util::stream;
use mirubato_core::ApiError;
use mirubato_core::byte_serving::{Disposition, content_disposition};
use mirubato_core::dictionary::seo::csv_rows;
use mirubato_core::dictionary::{Entry, TermType};
use mirubato_edge::{EdgeError, RequestContext};
use serde::Deserialize;
use serde_json::json;
use validator::Validate;
use worker::{Env, Headers, Response, query};

use crate::DB;
use crate::guard::with_optional_caller;
use crate::store::{ENTRY_COLUMNS, EntryRow, into_entries};
use crate::terms::query_params;

/// Entries read from D1 per page of the stream.
const PAGE: u32 = 200;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
enum Format {
    Json,
    Csv,
}

#[derive(Deserialize, Validate)]
struct ExportQuery {
    format: Option<Format>,
    #[validate(range(max = 100.0))]
    min_quality: Option<f64>,
    #[serde(rename = "type")]
    kind: Option<String>,
    #[validate(range(min = 1, max = 10000))]
    limit: Option<u32>,
}

struct Filter {
    types: String,
    min_quality: f64,
}

async fn page(env: &Env, filter: &Filter, after: &str, size: u32) -> Result<Vec<Entry>, EdgeError> {
    let sql = format!(
        "SELECT {ENTRY_COLUMNS} FROM dictionary_entries e WHERE e.id > ?1 \
         AND (?2 = '[]' OR e.type IN (SELECT value FROM json_each(?2))) AND e.overall_score >= ?3 \
         ORDER BY e.id LIMIT ?4"
    );
    let db = env.d1(DB)?;
    into_entries(
        query!(
            &db,
            &sql,
            after,
            &filter.types,
            filter.min_quality,
            f64::from(size)
        )?
        .all()
        .await?
        .results::<EntryRow>()?,
    )
}

/// Where the stream is: the last id written, how many rows remain allowed, whether it has
/// written its opening and its closing.
struct Cursor {
    env: Env,
    filter: Filter,
    format: Format,
    after: String,
    remaining: u32,
    written: u64,
    started: bool,
    finished: bool,
}

fn chunk(cursor: &mut Cursor, entries: &[Entry]) -> Result<Vec<u8>, EdgeError> {
    let mut out = String::new();
    match cursor.format {
        Format::Csv => {
            out.push_str(&csv_rows(entries, !cursor.started).map_err(ApiError::internal)?)
        }
        Format::Json => {
            if !cursor.started {
                out.push_str(&format!(
                    "{{\"success\":true,\"data\":{{\"format\":\"json\",\"exported_at\":{},\"entries\":[",
                    json!(crate::clock().1)
                ));
            }
            for entry in entries {
                if cursor.written > 0 || !out.ends_with('[') {
                    out.push(',');
                }
                out.push_str(&serde_json::to_string(entry).map_err(ApiError::internal)?);
                cursor.written += 1;
            }
            if cursor.finished {
                out.push_str(&format!("],\"count\":{}}}}}", cursor.written));
            }
        }
    }
    cursor.started = true;
    Ok(out.into_bytes())
}

async fn next(mut cursor: Cursor) -> Option<(Result<Vec<u8>, worker::Error>, Cursor)> {
    if cursor.finished {
        return None;
    }
    let size = PAGE.min(cursor.remaining);
    let entries = if size == 0 {
        Vec::new()
    } else {
        match page(&cursor.env, &cursor.filter, &cursor.after, size).await {
            Ok(entries) => entries,
            Err(err) => {
                cursor.finished = true;
                return Some((Err(worker::Error::RustError(err.to_string())), cursor));
            }
        }
    };
    if let Some(last) = entries.last() {
        cursor.after = last.id.clone();
    }
    cursor.remaining -= entries.len() as u32;
    cursor.finished = (entries.len() as u32) < size || cursor.remaining == 0;
    let bytes =
        chunk(&mut cursor, &entries).map_err(|err| worker::Error::RustError(err.to_string()));
    Some((bytes, cursor))
}

/// `GET /api/v1/export`
pub async fn export(ctx: RequestContext) -> Result<Response, EdgeError> {
    with_optional_caller(ctx, |ctx, _| async move {
        let params: ExportQuery = query_params(&ctx)?;
        params
            .validate()
            .map_err(mirubato_core::input::validation_error)?;
        let types = match params.kind.as_deref() {
            Some(list) => TermType::parse_list(list)?,
            None => Vec::new(),
        };
        let format = params.format.unwrap_or(Format::Json);
        let cursor = Cursor {
            env: ctx.env.clone(),
            filter: Filter {
                types: json!(types.iter().map(|kind| kind.as_str()).collect::<Vec<_>>())
                    .to_string(),
                min_quality: params.min_quality.unwrap_or(0.0),
            },
            format,
            after: String::new(),
            remaining: params.limit.unwrap_or(10000),
            written: 0,
            started: false,
            finished: false,
        };
        let headers = Headers::new();
        match format {
            Format::Json => headers.set("Content-Type", "application/json; charset=utf-8")?,
            Format::Csv => {
                headers.set("Content-Type", "text/csv; charset=utf-8")?;
                headers.set(
                    "Content-Disposition",
                    &content_disposition(Disposition::Attachment, "mirubato-dictionary", "csv"),
                )?;
            }
        }
        Ok(Response::from_stream(stream::unfold(cursor, next))?.with_headers(headers))
    })
    .await
}
