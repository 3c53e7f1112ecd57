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

    /// The first instant after `date` ends in this zone (its next midnight, or the first time
    /// after it where a change of clocks skips midnight).
    pub fn end_of_day(&self, date: NaiveDate) -> Option<chrono::DateTime<Utc>> {
        use chrono::TimeZone as _;
        let next = date.succ_opt()?.and_time(NaiveTime::MIN);
        (0..=3).find_map(|hours| {
            self.0
                .from_local_datetime(&(next + chrono::Duration::hours(hours)))
                .earliest()
                .map(|at| at.with_timezone(&Utc))
        })
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
    fn a_day_ends_at_the_zones_next_midnight() {
        let date = NaiveDate::from_ymd_opt(2026, 3, 28).unwrap();
        let berlin = TimeZone::parse("Europe/Berlin").unwrap();
        assert_eq!(
            berlin.end_of_day(date).unwrap().to_rfc3339(),
            "2026-03-28T23:00:00+00:00"
        );
        assert_eq!(
            TimeZone::default().end_of_day(date).unwrap().to_rfc3339(),
            "2026-03-29T00:00:00+00:00"
        );
        // Santiago skips midnight when summer time starts (2026-09-06 00:00 does not exist).
        let santiago = TimeZone::parse("America/Santiago").unwrap();
        let before = NaiveDate::from_ymd_opt(2026, 9, 5).unwrap();
        assert_eq!(
            santiago.end_of_day(before).unwrap().to_rfc3339(),
            "2026-09-06T04:00:00+00:00"
        );
    }

    #[test]
    fn today_differs_across_the_date_line() {
        let (east, _) = TimeZone::parse("Pacific/Kiritimati").unwrap().now();
        let (west, _) = TimeZone::parse("Etc/GMT+12").unwrap().now();
        // UTC+14 and UTC-12 are 26 hours apart: never the same date.
        assert!(east > west, "{east} {west}");
    }
}
