//! Problem documents. Our own five-field type rather than a crate's (http-api-problem): it is
//! shared with the WASM client, which must not pull in a server-side crate, and it carries the
//! `errors` extension member API.md defines.

use serde::{Deserialize, Serialize};

/// An RFC 9457 problem document: the body of every error the JSON API returns.
///
/// With `type` left at `about:blank`, RFC 9457 says `title` must be the HTTP status phrase, so
/// callers give only the status and a human-readable `detail`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Problem {
    #[serde(rename = "type")]
    pub kind: String,
    pub title: String,
    pub status: u16,
    /// What went wrong, for a person to read; always sent.
    #[serde(default)]
    #[cfg_attr(feature = "ssr", schema(required = true))]
    pub detail: String,
    /// One entry per invalid field (422 only).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldError>,
    /// The resource as it now is (412 only: a write whose `If-Match` named another version).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ssr", schema(value_type = Option<Object>))]
    pub current: Option<serde_json::Value>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            message: message.into(),
        }
    }
}

impl Problem {
    pub const MEDIA_TYPE: &'static str = "application/problem+json";

    /// A problem of type `about:blank`; `title` must be the status's reason phrase.
    pub fn new(status: u16, title: impl Into<String>, detail: impl Into<String>) -> Self {
        Self {
            kind: "about:blank".to_owned(),
            title: title.into(),
            status,
            detail: detail.into(),
            errors: Vec::new(),
            current: None,
        }
    }

    pub fn with_errors(mut self, errors: Vec<FieldError>) -> Self {
        self.errors = errors;
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serializes_with_rfc_9457_member_names() {
        let problem = Problem::new(404, "Not Found", "task not found");
        let json = serde_json::to_value(&problem).expect("serializable");
        assert_eq!(
            json,
            serde_json::json!({
                "type": "about:blank",
                "title": "Not Found",
                "status": 404,
                "detail": "task not found"
            })
        );
    }

    #[test]
    fn lists_field_errors_only_when_present() {
        let problem = Problem::new(422, "Unprocessable Content", "invalid task").with_errors(vec![
            FieldError {
                field: "title".into(),
                message: "must not be empty".into(),
            },
        ]);
        let json = serde_json::to_value(&problem).expect("serializable");
        assert_eq!(
            json["errors"],
            serde_json::json!([{"field": "title", "message": "must not be empty"}])
        );
        let back: Problem = serde_json::from_value(json).expect("round trip");
        assert_eq!(back, problem);
    }
}
