//! `ApiJson<T>`: a JSON body extractor whose every rejection is the API's own problem document,
//! with the status API.md assigns: 415 (not JSON), 413 (over 64 KiB), 400 (not valid UTF-8 JSON),
//! 422 (valid JSON of the wrong shape, one entry per bad field).
//!
//! Hand-written rather than axum's `Json` with a mapped rejection: axum's reports one serde error
//! (the first field), accepts a body whose unused strings are not valid UTF-8 as a shape error
//! (422 where API.md says 400), and its limit comes from a separate layer. Body types here are
//! made of [`Field`](crate::domain::input::Field)s, so a body that is a JSON object always
//! deserializes and its conversion names every bad member.

use axum::extract::{FromRequest, Request};
use axum::http::header;
use serde::de::DeserializeOwned;

use crate::domain::FieldError;
use crate::server::error::ApiError;

/// Bodies up to this many bytes are accepted (exactly 65,536 included).
pub const MAX_BODY_BYTES: usize = 64 * 1024;

pub struct ApiJson<T>(pub T);

impl<S, T> FromRequest<S> for ApiJson<T>
where
    S: Send + Sync,
    T: DeserializeOwned,
{
    type Rejection = ApiError;

    async fn from_request(request: Request, _state: &S) -> Result<Self, Self::Rejection> {
        if !is_json(request.headers().get(header::CONTENT_TYPE)) {
            return Err(ApiError::UnsupportedMediaType);
        }
        let bytes = axum::body::to_bytes(request.into_body(), MAX_BODY_BYTES)
            .await
            .map_err(|_| ApiError::PayloadTooLarge)?;
        parse(&bytes).map(ApiJson)
    }
}

/// `application/json`, or any `+json` type, with or without parameters.
fn is_json(content_type: Option<&header::HeaderValue>) -> bool {
    let Some(Ok(value)) = content_type.map(|v| v.to_str()) else {
        return false;
    };
    let essence = value
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    essence == "application/json"
        || (essence.starts_with("application/") && essence.ends_with("+json"))
}

pub fn parse<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    // JSON is UTF-8 (RFC 8259); serde_json does not check the bytes of strings it skips.
    if std::str::from_utf8(bytes).is_err() {
        return Err(ApiError::BadRequest("the request body is not valid UTF-8"));
    }
    // Syntax first: a body that is not JSON at all is a 400, whatever shape was expected.
    if let Err(err) = serde_json::from_slice::<serde::de::IgnoredAny>(bytes) {
        return Err(if err.is_data() {
            shape_error(&err.to_string())
        } else {
            ApiError::BadRequest("the request body is not valid JSON")
        });
    }
    // Every body of this API is an object; anything else is the wrong shape as a whole.
    if bytes.iter().find(|b| !b.is_ascii_whitespace()) != Some(&b'{') {
        return Err(ApiError::Validation(vec![FieldError::new(
            "body",
            "must be a JSON object",
        )]));
    }
    serde_json::from_slice(bytes).map_err(|err| shape_error(&err.to_string()))
}

/// What is left once every member is a `Field`: a member given twice, or a body type that still
/// has a plain member (named by serde's message).
fn shape_error(message: &str) -> ApiError {
    // serde's messages say "at line 1 column 9"; the field name says more to an API client.
    let message = message
        .split(" at line ")
        .next()
        .unwrap_or(message)
        .to_owned();
    let field = ["missing field `", "duplicate field `"]
        .iter()
        .find_map(|prefix| message.strip_prefix(prefix))
        .map_or("body", |rest| rest.trim_end_matches('`'))
        .to_owned();
    ApiError::Validation(vec![FieldError::new(field, message)])
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::domain::input::Field;

    #[derive(Debug, serde::Deserialize)]
    #[allow(dead_code)]
    struct Body {
        #[serde(default)]
        email: Field<String>,
        #[serde(default)]
        n: Field<u8>,
    }

    fn field_errors(result: Result<Body, ApiError>) -> Vec<FieldError> {
        match result {
            Err(ApiError::Validation(errors)) => errors,
            other => panic!("expected a validation error, got {other:?}"),
        }
    }

    #[test]
    fn syntax_errors_are_bad_requests() {
        for body in [
            &b""[..],
            b"{",
            b"{\"email\": }",
            b"nul",
            b"{\"a\":1} trailing",
            b"{\"email\": \"\xff\xfe\"}",
            b"{\"ignored\": \"\xc3\"}",
        ] {
            assert!(
                matches!(parse::<Body>(body), Err(ApiError::BadRequest(_))),
                "{body:?}"
            );
        }
    }

    #[test]
    fn shape_errors_name_the_field() {
        let errors = field_errors(parse(br#"[1, 2]"#));
        assert_eq!(errors[0].field, "body");
        let errors = field_errors(parse(br#"{"email": "a", "email": "b"}"#));
        assert_eq!(errors[0].field, "email");
        let body: Body = parse(br#"{"email": 5, "n": 300}"#).expect("an object");
        assert!(
            matches!(body.email, Field::Invalid(ref m) if m.starts_with("invalid type: integer"))
        );
        assert!(matches!(body.n, Field::Invalid(_)));
    }

    #[test]
    fn recognises_json_media_types() {
        let value = |s: &'static str| header::HeaderValue::from_static(s);
        assert!(is_json(Some(&value("application/json"))));
        assert!(is_json(Some(&value("Application/JSON; charset=utf-8"))));
        assert!(is_json(Some(&value("application/merge-patch+json"))));
        assert!(!is_json(Some(&value("text/plain"))));
        assert!(!is_json(Some(&value("application/x-www-form-urlencoded"))));
        assert!(!is_json(None));
    }
}
