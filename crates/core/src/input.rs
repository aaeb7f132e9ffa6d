//! Turning request bodies into validated values: every failure is a 4xx with a clear message,
//! never a panic or a 500.

use serde::de::DeserializeOwned;
use serde_json::{Value, json};
use validator::{Validate, ValidationErrors, ValidationErrorsKind};

use crate::ApiError;

/// Default cap on a JSON request body.
pub const MAX_JSON_BODY: u64 = 1024 * 1024;

/// Parses and validates a JSON body of at most `limit` bytes.
pub fn parse_json<T: DeserializeOwned + Validate>(body: &[u8], limit: u64) -> Result<T, ApiError> {
    let value: T = parse_json_unvalidated(body, limit)?;
    value.validate().map_err(validation_error)?;
    Ok(value)
}

/// Parses a JSON body of at most `limit` bytes, without `validator` rules (for types whose
/// validation is done by their own constructor).
pub fn parse_json_unvalidated<T: DeserializeOwned>(body: &[u8], limit: u64) -> Result<T, ApiError> {
    if body.len() as u64 > limit {
        return Err(ApiError::PayloadTooLarge { limit_bytes: limit });
    }
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(ApiError::validation("Request body is empty; expected JSON"));
    }
    serde_json::from_slice(body).map_err(|err| {
        let message = if err.is_syntax() || err.is_eof() {
            format!("Request body is not valid JSON: {err}")
        } else {
            format!("Invalid request body: {err}")
        };
        ApiError::Validation {
            message,
            details: Some(json!({ "line": err.line(), "column": err.column() })),
        }
    })
}

/// A `validator` failure as a 400 naming each field and what is wrong with it.
pub fn validation_error(errors: ValidationErrors) -> ApiError {
    let mut fields = serde_json::Map::new();
    collect(&errors, "", &mut fields);
    let summary = fields
        .iter()
        .map(|(field, problems)| {
            let first = problems
                .as_array()
                .and_then(|list| list.first())
                .and_then(Value::as_str)
                .unwrap_or("is invalid");
            format!("{field} {first}")
        })
        .collect::<Vec<_>>()
        .join("; ");
    ApiError::Validation {
        message: format!("Invalid request body: {summary}"),
        details: Some(json!({ "fields": fields })),
    }
}

fn collect(errors: &ValidationErrors, prefix: &str, out: &mut serde_json::Map<String, Value>) {
    for (field, kind) in errors.errors() {
        let field = camel_case(field);
        let path = if prefix.is_empty() {
            field
        } else {
            format!("{prefix}.{field}")
        };
        match kind {
            ValidationErrorsKind::Field(list) => {
                let problems = list
                    .iter()
                    .map(|error| {
                        Value::String(
                            error
                                .message
                                .as_ref()
                                .map(ToString::to_string)
                                .unwrap_or_else(|| describe(&error.code)),
                        )
                    })
                    .collect();
                out.insert(path, Value::Array(problems));
            }
            ValidationErrorsKind::Struct(inner) => collect(inner, &path, out),
            ValidationErrorsKind::List(items) => {
                for (index, inner) in items {
                    collect(inner, &format!("{path}[{index}]"), out);
                }
            }
        }
    }
}

/// `time_of_day` → `timeOfDay`: `validator` reports Rust field names; clients know the wire
/// names, which are camelCase throughout.
fn camel_case(field: &str) -> String {
    let mut out = String::with_capacity(field.len());
    let mut upper = false;
    // Fields named after keywords (`r#type`) are reported with their raw-identifier prefix.
    for c in field.trim_start_matches("r#").chars() {
        if c == '_' {
            upper = true;
        } else if upper {
            out.extend(c.to_uppercase());
            upper = false;
        } else {
            out.push(c);
        }
    }
    out
}

fn describe(code: &str) -> String {
    match code {
        "email" => "is not a valid email address".into(),
        "length" => "has an invalid length".into(),
        "range" => "is out of range".into(),
        "url" => "is not a valid URL".into(),
        other => format!("is invalid ({other})"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Deserialize, Validate)]
    struct Signup {
        #[validate(email)]
        email: String,
        #[validate(length(max = 5, message = "must be at most 5 characters"))]
        name: Option<String>,
    }

    #[test]
    fn accepts_a_valid_body() {
        let signup: Signup = parse_json(br#"{"email":"a@b.co","name":"Ada"}"#, 1024).unwrap();
        assert_eq!(signup.email, "a@b.co");
    }

    #[test]
    fn rejects_bad_json_types_and_values_with_400() {
        for body in [&b"{"[..], b"", b"  ", br#"{"email":5}"#, br#"[]"#] {
            let err = parse_json::<Signup>(body, 1024).unwrap_err();
            assert_eq!(err.status(), 400, "{:?}", String::from_utf8_lossy(body));
        }
        let err = parse_json::<Signup>(br#"{"email":"nope","name":"Too long"}"#, 1024).unwrap_err();
        let envelope = serde_json::to_value(err.envelope()).unwrap();
        assert_eq!(envelope["code"], "VALIDATION_ERROR");
        assert_eq!(
            envelope["details"]["fields"]["email"][0],
            "is not a valid email address"
        );
        assert_eq!(
            envelope["details"]["fields"]["name"][0],
            "must be at most 5 characters"
        );
        assert!(
            envelope["error"]
                .as_str()
                .unwrap()
                .contains("email is not a valid email address")
        );
    }

    #[derive(Debug, Deserialize, Validate)]
    struct Nested {
        #[validate(length(min = 1))]
        display_name: String,
    }

    #[test]
    fn field_names_are_reported_as_clients_write_them() {
        let err = parse_json::<Nested>(br#"{"display_name":""}"#, 1024).unwrap_err();
        let envelope = serde_json::to_value(err.envelope()).unwrap();
        assert!(
            envelope["details"]["fields"]["displayName"].is_array(),
            "{envelope}"
        );
        assert_eq!(camel_case("r#type"), "type");
        assert_eq!(camel_case("time_of_day"), "timeOfDay");
    }

    #[test]
    fn rejects_oversized_bodies_with_413() {
        let body = format!(r#"{{"email":"a@b.co","name":"{}"}}"#, "x".repeat(100));
        assert_eq!(
            parse_json::<Signup>(body.as_bytes(), 50)
                .unwrap_err()
                .status(),
            413
        );
    }
}
