//! Quick add: a task's fields written into its title, as in "Pay rent #Home @bills !3 tomorrow
//! 9am". One parser for the browser (the chips shown while typing) and the server (the form that
//! works without JavaScript), so both read a line the same way.
//!
//! What it understands, each as whole words separated by spaces, in any order:
//!
//! - `#project`: the task's project, when it names one of the user's projects (case-insensitively;
//!   `#Side project` for a name of several words); the first one only. Otherwise it stays in the
//!   title: "Fix bug #123" is a title, not a project called "123".
//! - `@label`: a label, created on first use like any label (each name once, at most
//!   [`Labels::MAX`]).
//! - `!1`, `!2`, `!3`: priority low, medium, high.
//! - A due date: `today`, `tomorrow`, a weekday (`mon`, `monday`, …: the next one after today, so
//!   `mon` on a Monday is a week away; "today" says today), a day of a month (`dec 24`,
//!   `24 dec`, `December 24th`, optionally followed by a year; without one, the next such day from
//!   today on), `in 3 days` (also weeks and months; `in a week`), or `2026-12-24`.
//! - A time of day: `17:30`, `5pm`, `5:30pm`, `5 pm`, optionally after `at`; a time with no date is
//!   today's.
//!
//! Anything else, including what is ambiguous or invalid (a second date, `!4`, `feb 30`, `25:00`,
//! a label name with a comma), stays in the title as typed. If nothing but fields was written,
//! the whole line is the title: a task is never left without one. Where fields were taken, the
//! remaining words are joined by single spaces; a line with none is kept as typed (trimmed).

use chrono::{Datelike, Days, Months, NaiveDate, NaiveTime, Weekday};

use super::organise::{LabelName, Labels, Priority, ProjectName, MAX_DUE_YEAR, MIN_DUE_YEAR};

/// What a line of quick add says.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct QuickAdd {
    /// The words that were not fields, joined by single spaces.
    pub title: String,
    pub project: Option<String>,
    pub labels: Vec<String>,
    pub priority: Option<Priority>,
    pub due_date: Option<NaiveDate>,
    pub due_time: Option<NaiveTime>,
    /// What was recognised, in the order it was written: what the browser shows as chips.
    pub chips: Vec<Chip>,
}

/// One recognised part of the line: its kind and the words as typed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Chip {
    pub kind: ChipKind,
    pub text: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChipKind {
    Project,
    Label,
    Priority,
    Date,
    Time,
}

/// The longest line read for fields: room for a full title, a project, twenty labels and a
/// date. A longer line is all title (and too long for one): reading it would only cost time.
pub const MAX_LINE_CHARS: usize = 2_048;

/// Reads `line` with `today` as the user's date (in their time zone) and `projects` as the names
/// of the user's projects.
pub fn parse(line: &str, today: NaiveDate, projects: &[&str]) -> QuickAdd {
    if line.chars().nth(MAX_LINE_CHARS).is_some() {
        return QuickAdd {
            title: line.trim().to_owned(),
            ..QuickAdd::default()
        };
    }
    // Folded once per line, not once per `#` and candidate.
    let projects: Vec<(String, &str)> = projects
        .iter()
        .map(|name| (name.to_lowercase(), *name))
        .collect();
    let words: Vec<&str> = line.split_whitespace().collect();
    let mut parsed = QuickAdd::default();
    let mut title: Vec<&str> = Vec::new();
    let mut i = 0;
    while i < words.len() {
        match recognise(&words[i..], today, &projects, &parsed) {
            Some((taken, field)) => {
                let text = words[i..i + taken].join(" ");
                let kind = field.apply(&mut parsed);
                parsed.chips.push(Chip { kind, text });
                i += taken;
            }
            None => {
                title.push(words[i]);
                i += 1;
            }
        }
    }
    if title.is_empty() || parsed.chips.is_empty() {
        // Only fields (then the line is the title, and nothing is taken from it), or none: the
        // line as typed, its inner spacing kept.
        return QuickAdd {
            title: line.trim().to_owned(),
            ..QuickAdd::default()
        };
    }
    if parsed.due_time.is_some() && parsed.due_date.is_none() {
        parsed.due_date = Some(today);
    }
    parsed.title = title.join(" ");
    parsed
}

/// A field recognised at the start of some words.
enum Field {
    Project(String),
    Label(String),
    Priority(Priority),
    Date(NaiveDate),
    Time(NaiveTime),
}

impl Field {
    fn apply(self, parsed: &mut QuickAdd) -> ChipKind {
        match self {
            Field::Project(name) => {
                parsed.project = Some(name);
                ChipKind::Project
            }
            Field::Label(name) => {
                parsed.labels.push(name);
                ChipKind::Label
            }
            Field::Priority(priority) => {
                parsed.priority = Some(priority);
                ChipKind::Priority
            }
            Field::Date(date) => {
                parsed.due_date = Some(date);
                ChipKind::Date
            }
            Field::Time(time) => {
                parsed.due_time = Some(time);
                ChipKind::Time
            }
        }
    }
}

/// The field that `words` start with, and how many words it takes; `None` when the first word is
/// part of the title (including a field of a kind already set).
fn recognise(
    words: &[&str],
    today: NaiveDate,
    projects: &[(String, &str)],
    so_far: &QuickAdd,
) -> Option<(usize, Field)> {
    let first = words[0];
    if let Some(name) = first.strip_prefix('#') {
        if so_far.project.is_some() || name.is_empty() || projects.is_empty() {
            return None;
        }
        // The longest of the user's project names (folded) that the words spell: the words
        // joined one at a time, no further than a project name can be long.
        let mut spelled = name.to_lowercase();
        let mut found = None;
        for taken in 1..=words.len() {
            if taken > 1 {
                spelled.push(' ');
                spelled.push_str(&words[taken - 1].to_lowercase());
            }
            if spelled.chars().count() > ProjectName::MAX_CHARS {
                break;
            }
            if let Some((_, project)) = projects.iter().find(|(folded, _)| *folded == spelled) {
                found = Some((taken, Field::Project((*project).to_owned())));
            }
        }
        return found;
    }
    if let Some(name) = first.strip_prefix('@') {
        let name = LabelName::parse(name).ok()?;
        let folded = name.as_ref().to_lowercase();
        let new = !so_far.labels.iter().any(|l| l.to_lowercase() == folded);
        return (new && so_far.labels.len() < Labels::MAX)
            .then(|| (1, Field::Label(name.as_ref().to_owned())));
    }
    if let Some(level) = first.strip_prefix('!') {
        let priority = match level {
            "1" | "2" | "3" => Priority::new(i64::from(level.as_bytes()[0] - b'0')).ok()?,
            _ => return None,
        };
        return so_far
            .priority
            .is_none()
            .then_some((1, Field::Priority(priority)));
    }
    if so_far.due_time.is_none() {
        if let Some((taken, time)) = time_at(words) {
            return Some((taken, Field::Time(time)));
        }
    }
    if so_far.due_date.is_none() {
        if let Some((taken, date)) = date_at(words, today) {
            let in_range = (MIN_DUE_YEAR..=MAX_DUE_YEAR).contains(&date.year());
            return in_range.then_some((taken, Field::Date(date)));
        }
    }
    None
}

/// A time of day at the start of `words`: `17:30`, `5pm`, `5:30pm`, `5 pm`, each optionally
/// after `at`.
fn time_at(words: &[&str]) -> Option<(usize, NaiveTime)> {
    let (skip, words) = match words {
        [at, rest @ ..] if at.eq_ignore_ascii_case("at") && !rest.is_empty() => (1, rest),
        _ => (0, words),
    };
    let first = words[0].to_ascii_lowercase();
    let meridiem_of = |word: &str| match word.to_ascii_lowercase().as_str() {
        "am" => Some(false),
        "pm" => Some(true),
        _ => None,
    };
    // "5 pm": the meridiem as the next word.
    if let Some(pm) = words.get(1).and_then(|word| meridiem_of(word)) {
        if let Some(time) = clock(&first, Some(pm)) {
            return Some((skip + 2, time));
        }
    }
    let (digits, pm) = if let Some(digits) = first.strip_suffix("am") {
        (digits, Some(false))
    } else if let Some(digits) = first.strip_suffix("pm") {
        (digits, Some(true))
    } else {
        (first.as_str(), None)
    };
    clock(digits, pm).map(|time| (skip + 1, time))
}

/// `H`, `HH`, `H:MM` or `HH:MM`; with a meridiem, hours 1 to 12 (12am is midnight); without one,
/// only `HH:MM` in 24 hours (a bare number is not a time).
fn clock(text: &str, pm: Option<bool>) -> Option<NaiveTime> {
    let (hours, minutes) = match text.split_once(':') {
        Some((hours, minutes)) if minutes.len() == 2 => (hours, Some(minutes)),
        Some(_) => return None,
        None => (text, None),
    };
    if hours.is_empty() || hours.len() > 2 || !hours.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    if minutes.is_some_and(|m| !m.bytes().all(|b| b.is_ascii_digit())) {
        return None;
    }
    let hour: u32 = hours.parse().ok()?;
    let minute: u32 = minutes.map_or(Some(0), |m| m.parse().ok())?;
    let hour = match pm {
        Some(pm) if (1..=12).contains(&hour) => hour % 12 + if pm { 12 } else { 0 },
        Some(_) => return None,
        None if minutes.is_some() => hour,
        None => return None,
    };
    NaiveTime::from_hms_opt(hour, minute, 0)
}

/// A due date at the start of `words`, and how many words it takes.
fn date_at(words: &[&str], today: NaiveDate) -> Option<(usize, NaiveDate)> {
    let first = words[0].to_lowercase();
    match first.as_str() {
        "today" => return Some((1, today)),
        "tomorrow" => return Some((1, today.succ_opt()?)),
        "in" => return in_some_time(words, today),
        _ => {}
    }
    if let Some(weekday) = weekday(&first) {
        let ahead =
            (7 + weekday.num_days_from_monday() - today.weekday().num_days_from_monday()) % 7;
        let ahead = if ahead == 0 { 7 } else { ahead };
        return Some((1, today.checked_add_days(Days::new(u64::from(ahead)))?));
    }
    if let Ok(date) = NaiveDate::parse_from_str(&first, "%Y-%m-%d") {
        // Exactly YYYY-MM-DD, as the API takes it.
        return (first.len() == 10).then_some((1, date));
    }
    // "dec 24" or "24 dec", maybe followed by a year.
    let second = words.get(1)?.to_lowercase();
    let (month, day) = match (month(&first), day_of_month(&second)) {
        (Some(month), Some(day)) => (month, day),
        _ => (month(&second)?, day_of_month(&first)?),
    };
    let year = words
        .get(2)
        .filter(|word| word.len() == 4 && word.bytes().all(|b| b.is_ascii_digit()))
        .and_then(|word| word.parse::<i32>().ok());
    match year {
        Some(year) => NaiveDate::from_ymd_opt(year, month, day).map(|date| (3, date)),
        None => {
            // The next such day from today on: this year's, or next year's once it has passed.
            let this_year = NaiveDate::from_ymd_opt(today.year(), month, day);
            let date = match this_year {
                Some(date) if date >= today => date,
                // Feb 29 in a year without one is refused, like any day a month has not got.
                None if !(month == 2 && day == 29) => return None,
                _ => (1..=8)
                    .find_map(|ahead| NaiveDate::from_ymd_opt(today.year() + ahead, month, day))?,
            };
            Some((2, date))
        }
    }
}

/// `in 3 days`, `in 2 weeks`, `in 1 month`, `in a week`.
fn in_some_time(words: &[&str], today: NaiveDate) -> Option<(usize, NaiveDate)> {
    let count = words.get(1)?.to_lowercase();
    let count: u32 = match count.as_str() {
        "a" | "an" => 1,
        digits if digits.len() <= 3 && digits.bytes().all(|b| b.is_ascii_digit()) => {
            digits.parse().ok()?
        }
        _ => return None,
    };
    let unit = words.get(2)?.to_lowercase();
    let date = match unit.as_str() {
        "day" | "days" => today.checked_add_days(Days::new(u64::from(count))),
        "week" | "weeks" => today.checked_add_days(Days::new(7 * u64::from(count))),
        "month" | "months" => today.checked_add_months(Months::new(count)),
        _ => None,
    }?;
    Some((3, date))
}

fn weekday(word: &str) -> Option<Weekday> {
    Some(match word {
        "mon" | "monday" => Weekday::Mon,
        "tue" | "tues" | "tuesday" => Weekday::Tue,
        "wed" | "wednesday" => Weekday::Wed,
        "thu" | "thur" | "thurs" | "thursday" => Weekday::Thu,
        "fri" | "friday" => Weekday::Fri,
        "sat" | "saturday" => Weekday::Sat,
        "sun" | "sunday" => Weekday::Sun,
        _ => return None,
    })
}

fn month(word: &str) -> Option<u32> {
    const MONTHS: [&str; 12] = [
        "january",
        "february",
        "march",
        "april",
        "may",
        "june",
        "july",
        "august",
        "september",
        "october",
        "november",
        "december",
    ];
    MONTHS
        .iter()
        .position(|name| {
            *name == word
                || (word.len() == 3 && name.starts_with(word))
                || (word == "sept" && *name == "september")
        })
        .map(|index| index as u32 + 1)
}

/// `24`, `24th`, `1st`, `2nd`, `3rd`: 1 to 31.
fn day_of_month(word: &str) -> Option<u32> {
    let digits = ["st", "nd", "rd", "th"]
        .iter()
        .find_map(|suffix| word.strip_suffix(suffix))
        .unwrap_or(word);
    if digits.is_empty() || digits.len() > 2 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok().filter(|day| (1..=31).contains(day))
}

#[cfg(test)]
mod tests;
