//! Google sign-in: the ID token is verified against Google's published keys (JWKS), fetched
//! from Google (or `GOOGLE_JWKS_URL`, honoured only when `ENVIRONMENT=local`) and cached in KV for as long as Google says they may be.

use jsonwebtoken::jwk::JwkSet;
use mirubato_core::ApiError;
use mirubato_core::auth::{GoogleIdentity, GoogleTokenError, verify_google_id_token};
use mirubato_edge::{EdgeError, RequestContext, now};
use worker::kv::KvStore;
use worker::{Fetch, Method, Request};

use crate::CACHE;

const DEFAULT_JWKS_URL: &str = "https://www.googleapis.com/oauth2/v3/certs";
const JWKS_CACHE_KEY: &str = "google:jwks";
/// Bounds on how long fetched keys are cached (KV's minimum TTL is 60 s).
const MIN_CACHE_SECS: u64 = 60;
const MAX_CACHE_SECS: u64 = 24 * 60 * 60;

/// Verifies a Google ID token. When its key is unknown (Google rotated keys), the key set is
/// fetched again once before the token is refused.
pub async fn verify(ctx: &RequestContext, credential: &str) -> Result<GoogleIdentity, EdgeError> {
    let client_id = ctx.secret("GOOGLE_CLIENT_ID").map_err(|_| {
        ApiError::Unavailable("Google sign-in is not configured (GOOGLE_CLIENT_ID)".into())
    })?;
    // The override exists for local tests; anywhere else it would let whoever sets it mint
    // Google identities, so it is ignored.
    let url = ctx
        .secret("GOOGLE_JWKS_URL")
        .ok()
        .filter(|_| ctx.config.environment.is_local())
        .unwrap_or_else(|| DEFAULT_JWKS_URL.into());
    let kv = ctx.env.kv(CACHE)?;

    let cached = kv.get(JWKS_CACHE_KEY).json::<JwkSet>().await?;
    let keys = match cached {
        Some(keys) => keys,
        None => fetch_keys(&kv, &url).await?,
    };
    match verify_google_id_token(credential, &keys, &client_id, now()) {
        Err(GoogleTokenError::UnknownKey(_)) => {
            let fresh = fetch_keys(&kv, &url).await?;
            verify_google_id_token(credential, &fresh, &client_id, now()).map_err(refused)
        }
        other => other.map_err(refused),
    }
}

fn refused(err: GoogleTokenError) -> EdgeError {
    ApiError::Unauthorized(format!("Google sign-in failed: {err}")).into()
}

async fn fetch_keys(kv: &KvStore, url: &str) -> Result<JwkSet, EdgeError> {
    let mut response = Fetch::Request(Request::new(url, Method::Get)?)
        .send()
        .await?;
    if response.status_code() != 200 {
        return Err(ApiError::Unavailable(format!(
            "Google keys answered {}",
            response.status_code()
        ))
        .into());
    }
    let max_age = response
        .headers()
        .get("Cache-Control")?
        .and_then(|value| {
            value
                .split(',')
                .filter_map(|part| part.trim().strip_prefix("max-age="))
                .find_map(|secs| secs.parse::<u64>().ok())
        })
        .unwrap_or(MIN_CACHE_SECS)
        .clamp(MIN_CACHE_SECS, MAX_CACHE_SECS);
    let text = response.text().await?;
    let keys: JwkSet = serde_json::from_str(&text)
        .map_err(|err| ApiError::Unavailable(format!("Google keys are not a JWK set: {err}")))?;
    kv.put(JWKS_CACHE_KEY, text)?
        .expiration_ttl(max_age)
        .execute()
        .await?;
    Ok(keys)
}
