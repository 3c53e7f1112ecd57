//! JSON request bodies, member by member: every member's mistake is found in one pass, so that a
//! 422 names each bad field (API.md), where a derived `Deserialize` stops at the first.

use std::fmt;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer};

use super::FieldError;

/// One member of a JSON object as it arrived. Deserializing it never fails (a wrong type is kept
/// as [`Field::Invalid`] with serde's message), so a body struct made of these deserializes
/// whenever the body is a JSON object, and its conversion to a validated value reports every
/// member at once. Members declared `#[serde(default)]` are [`Field::Absent`] when missing.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Field<T> {
    #[default]
    Absent,
    Null,
    Value(T),
    /// Present, of the wrong type: serde's message.
    Invalid(String),
}

impl<'de, T: DeserializeOwned> Deserialize<'de> for Field<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let value = serde_json::Value::deserialize(deserializer)?;
        if value.is_null() {
            return Ok(Self::Null);
        }
        Ok(match T::deserialize(value) {
            Ok(value) => Self::Value(value),
            Err(err) => Self::Invalid(err.to_string()),
        })
    }
}

const REQUIRED: &str = "is required";
const NOT_NULL: &str = "must not be null";

impl<T> Field<T> {
    /// A member that must be present with a value.
    pub fn required(self) -> Result<T, String> {
        match self {
            Self::Value(value) => Ok(value),
            Self::Absent => Err(REQUIRED.into()),
            Self::Null => Err(NOT_NULL.into()),
            Self::Invalid(message) => Err(message),
        }
    }

    /// A member that may be left out (`None`), but not be `null`.
    pub fn optional(self) -> Result<Option<T>, String> {
        match self {
            Self::Value(value) => Ok(Some(value)),
            Self::Absent => Ok(None),
            Self::Null => Err(NOT_NULL.into()),
            Self::Invalid(message) => Err(message),
        }
    }

    /// A member for which left out and `null` both mean none.
    pub fn or_null(self) -> Result<Option<T>, String> {
        match self {
            Self::Value(value) => Ok(Some(value)),
            Self::Absent | Self::Null => Ok(None),
            Self::Invalid(message) => Err(message),
        }
    }

    /// A partial update's nullable member: left out is `None` (unchanged), `null` is
    /// `Some(None)` (cleared), a value is `Some(Some(value))`.
    pub fn change(self) -> Result<Option<Option<T>>, String> {
        match self {
            Self::Value(value) => Ok(Some(Some(value))),
            Self::Absent => Ok(None),
            Self::Null => Ok(Some(None)),
            Self::Invalid(message) => Err(message),
        }
    }
}

/// The mistakes found so far in one request's fields, in the order they were checked.
#[derive(Debug, Default)]
pub struct Fields {
    errors: Vec<FieldError>,
}

impl Fields {
    /// The value, or `None` with the mistake recorded against `name`.
    pub fn check<T, E: fmt::Display>(&mut self, name: &str, result: Result<T, E>) -> Option<T> {
        match result {
            Ok(value) => Some(value),
            Err(err) => {
                self.errors.push(FieldError::new(name, err.to_string()));
                None
            }
        }
    }

    /// Every recorded mistake, or the value `build` makes from the checked fields (each of which
    /// is then `Some`).
    pub fn finish<T>(self, build: impl FnOnce() -> Option<T>) -> Result<T, Vec<FieldError>> {
        if !self.errors.is_empty() {
            return Err(self.errors);
        }
        // `build` only sees `None` for a field whose mistake was recorded: this cannot happen.
        build().ok_or_else(|| vec![FieldError::new("body", "is invalid")])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Deserialize)]
    struct Body {
        #[serde(default)]
        name: Field<String>,
        #[serde(default)]
        count: Field<u8>,
    }

    fn body(json: &str) -> Body {
        serde_json::from_str(json).expect("an object always deserializes")
    }

    #[test]
    fn tells_absent_null_value_and_wrong_type_apart() {
        let b = body(r#"{"name": null, "count": 300}"#);
        assert_eq!(b.name, Field::Null);
        assert!(matches!(b.count, Field::Invalid(ref m) if m.starts_with("invalid value")));
        let b = body(r#"{"name": "x"}"#);
        assert_eq!(b.name, Field::Value("x".to_owned()));
        assert_eq!(b.count, Field::Absent);
        let b = body(r#"{"name": 5}"#);
        assert!(matches!(b.name, Field::Invalid(ref m) if m.starts_with("invalid type: integer")));
    }

    #[test]
    fn each_reading_treats_absent_and_null_as_it_says() {
        assert_eq!(Field::<u8>::Absent.required(), Err(REQUIRED.to_owned()));
        assert_eq!(Field::<u8>::Null.required(), Err(NOT_NULL.to_owned()));
        assert_eq!(Field::<u8>::Absent.optional(), Ok(None));
        assert_eq!(Field::<u8>::Null.optional(), Err(NOT_NULL.to_owned()));
        assert_eq!(Field::<u8>::Null.or_null(), Ok(None));
        assert_eq!(Field::<u8>::Absent.change(), Ok(None));
        assert_eq!(Field::<u8>::Null.change(), Ok(Some(None)));
        assert_eq!(Field::Value(1u8).change(), Ok(Some(Some(1))));
    }

    #[test]
    fn every_mistake_is_collected_in_order() {
        let mut fields = Fields::default();
        let a = fields.check("a", Err::<u8, _>("bad a"));
        let b = fields.check("b", Ok::<u8, String>(2));
        let c = fields.check("c", Err::<u8, _>("bad c"));
        let errors = fields
            .finish(|| Some((a?, b?, c?)))
            .expect_err("two mistakes");
        let names: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(names, ["a", "c"]);
    }
}
