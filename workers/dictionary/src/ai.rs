//! Workers AI text generation and its daily token budget. Used only where the `AI` binding
//! exists; prompts and the checks of answers live in `mirubato_core::dictionary::generate`.

use mirubato_core::ApiError;
use mirubato_core::dictionary::generate::{ChatRequest, answer_text, within_budget};
use mirubato_edge::EdgeError;
use serde::Deserialize;
use serde_json::Value;
use worker::{D1Database, Env, query};

use crate::{AI, var_or};

/// Daily Workers AI token budget unless `AI_DAILY_TOKEN_BUDGET` says otherwise.
const DEFAULT_TOKEN_BUDGET: i64 = 4500;

pub fn configured(env: &Env) -> bool {
    env.ai(AI).is_ok()
}

#[derive(Deserialize)]
struct Used {
    tokens: f64,
}

/// Tokens spent on `day` (`YYYY-MM-DD`) by every model.
async fn tokens_used(db: &D1Database, day: &str) -> Result<i64, EdgeError> {
    Ok(query!(
        db,
        "SELECT coalesce(sum(tokens_used), 0) AS tokens FROM ai_token_usage WHERE date = ?1",
        day
    )?
    .first::<Used>(None)
    .await?
    .map_or(0, |used| used.tokens as i64))
}

fn daily_budget(env: &Env) -> i64 {
    var_or(env, "AI_DAILY_TOKEN_BUDGET", DEFAULT_TOKEN_BUDGET)
}

/// Whether a request estimated at `next` tokens fits what is left of `day`'s budget.
pub async fn affordable(
    env: &Env,
    db: &D1Database,
    day: &str,
    next: i64,
) -> Result<bool, EdgeError> {
    Ok(within_budget(
        daily_budget(env),
        tokens_used(db, day).await?,
        next,
    ))
}

/// The tokens `day`'s budget has left.
pub async fn tokens_left(env: &Env, db: &D1Database, day: &str) -> Result<i64, EdgeError> {
    Ok(daily_budget(env) - tokens_used(db, day).await?)
}

/// Adds to `day`'s usage of `model`.
pub async fn record_usage(
    db: &D1Database,
    day: &str,
    model: &str,
    tokens: i64,
    terms: usize,
) -> Result<(), EdgeError> {
    query!(
        db,
        "INSERT INTO ai_token_usage (date, model, tokens_used, terms_processed) VALUES (?1, ?2, ?3, ?4) \
         ON CONFLICT (date, model) DO UPDATE SET tokens_used = tokens_used + excluded.tokens_used, \
           terms_processed = terms_processed + excluded.terms_processed",
        day,
        model,
        tokens as f64,
        terms as f64
    )?
    .run()
    .await?;
    Ok(())
}

#[derive(Deserialize)]
struct Usage {
    total_tokens: Option<f64>,
}

#[derive(Deserialize)]
struct ChatAnswer {
    response: Value,
    usage: Option<Usage>,
}

/// A model's answer and what it cost.
pub struct Reply {
    pub text: String,
    pub model: &'static str,
    pub tokens: i64,
}

/// Runs `request` on the first of `models` that answers, recording the tokens it spent on
/// `day` (as the model reports them, else the request's estimate).
pub async fn chat(
    env: &Env,
    db: &D1Database,
    day: &str,
    request: &ChatRequest,
    models: &[&'static str],
) -> Result<Reply, EdgeError> {
    let ai = env.ai(AI)?;
    let mut failures = Vec::new();
    for &model in models {
        match ai.run::<_, ChatAnswer>(model, request).await {
            Ok(answer) => {
                let tokens = answer
                    .usage
                    .and_then(|usage| usage.total_tokens)
                    .map_or_else(|| request.token_estimate(), |tokens| tokens as i64);
                record_usage(db, day, model, tokens, 1).await?;
                return Ok(Reply {
                    text: answer_text(&answer.response),
                    model,
                    tokens,
                });
            }
            Err(err) => failures.push(format!("{model}: {err}")),
        }
    }
    worker::console_error!("Workers AI failed: {}", failures.join("; "));
    Err(ApiError::Unavailable("The AI service did not answer".into()).into())
}
