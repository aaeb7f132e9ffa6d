use mirubato_core::ApiError;
use serde::Serialize;
use worker::{Headers, Response};

use crate::EdgeError;

/// A 200 JSON response.
pub fn json<T: Serialize>(body: &T) -> Result<Response, EdgeError> {
    json_with_status(body, 200)
}

pub fn json_with_status<T: Serialize>(body: &T, status: u16) -> Result<Response, EdgeError> {
    Ok(Response::from_json(body)?.with_status(status))
}

/// The common error envelope with the error's status and headers.
pub fn error_response(err: &ApiError) -> worker::Result<Response> {
    let mut response = Response::from_json(&err.envelope())?.with_status(err.status());
    for (name, value) in err.headers() {
        response.headers_mut().set(name, &value)?;
    }
    Ok(response)
}

/// Copies a response into one whose headers can be changed, adding `extra`.
///
/// Responses that come from `fetch` (static assets, service bindings) have immutable headers;
/// this is how the pipeline can still stamp request id, CORS and security headers on them.
pub fn rebuild_with_headers(
    response: Response,
    extra: &[(&str, String)],
) -> worker::Result<Response> {
    let headers = Headers::new();
    for (name, value) in response.headers().entries() {
        headers.append(&name, &value)?;
    }
    for (name, value) in extra {
        headers.set(name, value)?;
    }
    let (builder, body) = response.into_parts();
    Ok(builder.with_headers(headers).body(body))
}
