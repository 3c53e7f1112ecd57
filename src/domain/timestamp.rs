//! Timestamps on the wire: RFC 3339 in UTC with a `Z` and always six fractional digits
//! (`2026-11-26T15:46:00.123456Z`), PostgreSQL's own precision. A fixed width also keeps them
//! sortable as strings.

use chrono::{DateTime, SecondsFormat, Utc};
use serde::Serializer;

pub fn serialize<S: Serializer>(at: &DateTime<Utc>, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(&at.to_rfc3339_opts(SecondsFormat::Micros, true))
}

/// As [`serialize`], and `null` for none.
pub fn serialize_option<S: Serializer>(
    at: &Option<DateTime<Utc>>,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    match at {
        Some(at) => serialize(at, serializer),
        None => serializer.serialize_none(),
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    #[test]
    fn always_six_digits_and_z() {
        let at = chrono::Utc
            .timestamp_micros(1_795_000_000_120_000)
            .single()
            .expect("valid");
        let json = serde_json::to_string(&Wrapper { at }).expect("serializes");
        assert_eq!(json, r#"{"at":"2026-11-18T11:06:40.120000Z"}"#);
    }

    #[derive(serde::Serialize)]
    struct Wrapper {
        #[serde(serialize_with = "super::serialize")]
        at: chrono::DateTime<chrono::Utc>,
    }
}
