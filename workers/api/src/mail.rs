//! Delivering the magic-link email: a dev outbox locally, an HTTP email API (Resend)
//! elsewhere, chosen by configuration.

use mirubato_core::ApiError;
use mirubato_core::accounts::OutgoingEmail;
use mirubato_core::auth::normalize_email;
use mirubato_core::practice::new_id;
use mirubato_edge::{EdgeError, RequestContext, json};
use serde::{Deserialize, Serialize};
use worker::kv::KvStore;
use worker::{Fetch, Headers, Method, Request, RequestInit, Response};

use crate::CACHE;

/// Messages the dev outbox shows per address (the newest, oldest first).
const OUTBOX_KEEP: usize = 20;
const OUTBOX_TTL_SECS: u64 = 24 * 60 * 60;
const RESEND_ENDPOINT: &str = "https://api.resend.com/emails";
const FROM: &str = "Mirubato <noreply@mirubato.com>";

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OutboxMessage {
    pub to: String,
    pub subject: String,
    pub link: String,
    pub token: String,
    pub sent_at: String,
}

pub enum Mailer {
    /// Local development: kept in KV, readable at `GET /api/dev/outbox`, and logged.
    DevOutbox(KvStore),
    Resend {
        api_key: String,
    },
}

impl Mailer {
    pub fn from_context(ctx: &RequestContext) -> Result<Self, EdgeError> {
        if ctx.config.environment.is_local() {
            return Ok(Self::DevOutbox(ctx.env.kv(CACHE)?));
        }
        match ctx.secret("RESEND_API_KEY") {
            Ok(api_key) => Ok(Self::Resend { api_key }),
            Err(_) => Err(ApiError::Unavailable(
                "email delivery is not configured (RESEND_API_KEY)".into(),
            )
            .into()),
        }
    }

    /// Sends the magic-link email (`link` and `token` are kept by the dev outbox).
    pub async fn send(
        &self,
        email: &OutgoingEmail,
        link: &str,
        token: &str,
        now: &str,
    ) -> Result<(), EdgeError> {
        match self {
            Self::DevOutbox(kv) => {
                let message = OutboxMessage {
                    to: email.to.clone(),
                    subject: email.subject.clone(),
                    link: link.to_string(),
                    token: token.to_string(),
                    sent_at: now.to_string(),
                };
                // One key per message (never a read-modify-write of a list), so messages
                // sent at the same moment are all kept.
                let key = format!("{}{now}:{}", outbox_prefix(&email.to), new_id("mail"));
                kv.put(
                    &key,
                    serde_json::to_string(&message).map_err(ApiError::internal)?,
                )?
                .expiration_ttl(OUTBOX_TTL_SECS)
                .execute()
                .await?;
                worker::console_log!(
                    "{}",
                    serde_json::json!({"level": "info", "message": "dev outbox: magic link", "to": email.to, "link": link})
                );
                Ok(())
            }
            Self::Resend { api_key } => {
                let headers = Headers::new();
                headers.set("Authorization", &format!("Bearer {api_key}"))?;
                headers.set("Content-Type", "application/json")?;
                let body = serde_json::json!({
                    "from": FROM,
                    "to": [email.to],
                    "subject": email.subject,
                    "text": email.text,
                    "html": email.html,
                });
                let mut init = RequestInit::new();
                init.with_method(Method::Post)
                    .with_headers(headers)
                    .with_body(Some(body.to_string().into()));
                let request = Request::new_with_init(RESEND_ENDPOINT, &init)?;
                let mut response = Fetch::Request(request).send().await?;
                if (200..300).contains(&response.status_code()) {
                    Ok(())
                } else {
                    let detail = response.text().await.unwrap_or_default();
                    Err(ApiError::Unavailable(format!(
                        "email provider answered {}: {detail}",
                        response.status_code()
                    ))
                    .into())
                }
            }
        }
    }
}

/// Keys of an address's messages: the prefix, then the sending time (so they list in order).
fn outbox_prefix(email: &str) -> String {
    format!("dev-outbox:{email}:")
}

/// `GET /api/dev/outbox?email=…`: the messages sent to an address (local development only).
pub async fn outbox(ctx: RequestContext) -> Result<Response, EdgeError> {
    if !ctx.config.environment.is_local() {
        return Err(ApiError::not_found("No route for /api/dev/outbox").into());
    }
    let email = ctx
        .query("email")
        .ok_or_else(|| ApiError::validation("Query parameter email is required"))?;
    let email = normalize_email(&email)?;
    let kv = ctx.env.kv(CACHE)?;
    let mut keys = Vec::new();
    let mut cursor = None;
    loop {
        let mut listing = kv.list().prefix(outbox_prefix(&email));
        if let Some(cursor) = cursor {
            listing = listing.cursor(cursor);
        }
        let page = listing.execute().await?;
        keys.extend(page.keys.into_iter().map(|key| key.name));
        if page.list_complete || page.cursor.is_none() {
            break;
        }
        cursor = page.cursor;
    }
    let mut messages = Vec::new();
    for key in keys.iter().skip(keys.len().saturating_sub(OUTBOX_KEEP)) {
        // A message that expired between the listing and now is simply gone.
        if let Some(message) = kv.get(key).json::<OutboxMessage>().await? {
            messages.push(message);
        }
    }
    json(&serde_json::json!({ "messages": messages }))
}
