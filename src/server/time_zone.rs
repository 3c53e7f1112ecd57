//! A user's time zone: an IANA name known to the time zone database (chrono-tz), and the date
//! and time it is there now, for the due filters ("today", "overdue").

use chrono::{NaiveDate, NaiveTime, Utc};

/// A valid IANA time zone name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimeZone(chrono_tz::Tz);

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("must be an IANA time zone name, such as Europe/Berlin or UTC")]
pub struct UnknownTimeZone;

impl Default for TimeZone {
    fn default() -> Self {
        Self(chrono_tz::UTC)
    }
}

impl TimeZone {
    /// The zone of this exact name (IANA names are case-sensitive: `europe/berlin` is refused,
    /// so that what is stored is what the database calls it).
    pub fn parse(name: &str) -> Result<Self, UnknownTimeZone> {
        name.parse::<chrono_tz::Tz>()
            .ok()
            .filter(|tz| tz.name() == name)
            .map(Self)
            .ok_or(UnknownTimeZone)
    }

    pub fn name(&self) -> &'static str {
        self.0.name()
    }

    /// The date and the wall-clock time in this zone now.
    pub fn now(&self) -> (NaiveDate, NaiveTime) {
        let local = Utc::now().with_timezone(&self.0);
        (local.date_naive(), local.time())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn knows_iana_names_exactly() {
        assert_eq!(
            TimeZone::parse("Europe/Berlin").unwrap().name(),
            "Europe/Berlin"
        );
        assert_eq!(TimeZone::parse("UTC").unwrap(), TimeZone::default());
        assert!(TimeZone::parse("Pacific/Kiritimati").is_ok());
        for bad in ["", "Mars/Olympus", "europe/berlin", "UTC\0", "+01:00"] {
            assert!(TimeZone::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn today_differs_across_the_date_line() {
        let (east, _) = TimeZone::parse("Pacific/Kiritimati").unwrap().now();
        let (west, _) = TimeZone::parse("Etc/GMT+12").unwrap().now();
        // UTC+14 and UTC-12 are 26 hours apart: never the same date.
        assert!(east > west, "{east} {west}");
    }
}
