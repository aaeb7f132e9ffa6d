//! Browser Rendering, where the `BROWSER` binding is configured: an IMSLP work page is read
//! as a browser renders it (links its scripts add included), through the binding's `content`
//! quick action. Whatever the browser cannot give (no binding, a failure, a page that did not
//! answer 200, no answer within 30 s) leaves the plain fetch to decide, so imports never
//! depend on it.

use std::time::Duration;

use futures_util::future::{Either, select};
use mirubato_edge::EdgeError;
use serde::Deserialize;
use serde_json::json;
use url::Url;
use wasm_bindgen::prelude::*;
use worker::js_sys::{Object, Promise, Reflect};
use worker::wasm_bindgen_futures::JsFuture;
use worker::{Delay, Env, Response};

use crate::store::BROWSER_BINDING;

/// A Browser Rendering call that has not answered by then is abandoned (logged), and the
/// plain fetch decides, as for any other failure.
const BROWSER_TIMEOUT: Duration = Duration::from_secs(30);

#[wasm_bindgen]
extern "C" {
    /// The binding: a JS RPC stub whose `quickAction(action, options)` answers a Response.
    #[wasm_bindgen(extends = Object)]
    type BrowserRendering;

    #[wasm_bindgen(method, catch, js_name = quickAction)]
    fn quick_action(
        this: &BrowserRendering,
        action: &str,
        options: &JsValue,
    ) -> Result<Promise, JsValue>;
}

/// Whether the binding exists here.
pub fn configured(env: &Env) -> bool {
    binding(env).is_some()
}

fn binding(env: &Env) -> Option<BrowserRendering> {
    Reflect::get(env, &JsValue::from_str(BROWSER_BINDING))
        .ok()
        .filter(|value| value.is_object())
        .map(JsCast::unchecked_into)
}

#[derive(Deserialize)]
struct Rendered {
    result: String,
    /// The page's own answer, where the service reports it.
    meta: Option<PageMeta>,
}

#[derive(Deserialize)]
struct PageMeta {
    status: u16,
}

/// The HTML of `page` after the browser ran its scripts; `None` when the binding is not
/// configured, failed (logged), or the page itself did not answer 200.
pub async fn rendered_html(env: &Env, page: &Url) -> Option<String> {
    let browser = binding(env)?;
    match content(&browser, page).await {
        Ok(Some(html)) => Some(html),
        Ok(None) => None,
        Err(err) => {
            worker::console_warn!("Browser Rendering could not read {page}: {err}");
            None
        }
    }
}

async fn content(browser: &BrowserRendering, page: &Url) -> Result<Option<String>, EdgeError> {
    let options = quick_action_options(page)?;
    let promise = browser
        .quick_action("content", &options)
        .map_err(worker::Error::from)?;
    let answer = match select(JsFuture::from(promise), Delay::from(BROWSER_TIMEOUT)).await {
        Either::Left((answer, _)) => answer.map_err(worker::Error::from)?,
        Either::Right(_) => {
            return Err(worker::Error::RustError(format!(
                "no answer within {} s",
                BROWSER_TIMEOUT.as_secs()
            ))
            .into());
        }
    };
    let mut response = Response::from(answer.unchecked_into::<worker::web_sys::Response>());
    if response.status_code() != 200 {
        let body = response.text().await.unwrap_or_default();
        return Err(worker::Error::RustError(format!(
            "quick action answered {}: {}",
            response.status_code(),
            body.chars().take(300).collect::<String>()
        ))
        .into());
    }
    let rendered: Rendered = response.json().await?;
    let page_ok = rendered.meta.is_none_or(|meta| meta.status == 200);
    Ok(page_ok.then_some(rendered.result))
}

fn quick_action_options(page: &Url) -> Result<JsValue, EdgeError> {
    let options = json!({ "url": page.as_str() });
    Ok(worker::js_sys::JSON::parse(&options.to_string()).map_err(worker::Error::from)?)
}
