//! Quick add's unit tests: every form it reads, what it leaves in the title, and dates relative
//! to the user's day in several time zones.

use chrono::{DateTime, FixedOffset, TimeZone, Utc};

use super::*;

fn date(text: &str) -> NaiveDate {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").expect("a date")
}

fn time(text: &str) -> NaiveTime {
    NaiveTime::parse_from_str(text, "%H:%M").expect("a time")
}

const PROJECTS: &[&str] = &["Home", "Work", "Side project"];

/// Wednesday 2 December 2026.
fn wednesday() -> NaiveDate {
    date("2026-12-02")
}

fn due(line: &str) -> (Option<NaiveDate>, Option<NaiveTime>, String) {
    let parsed = parse(line, wednesday(), PROJECTS);
    (parsed.due_date, parsed.due_time, parsed.title)
}

#[test]
fn the_issues_example_sets_every_part() {
    let parsed = parse(
        "Pay rent #Home @bills !3 tomorrow 9am",
        wednesday(),
        PROJECTS,
    );
    assert_eq!(parsed.title, "Pay rent");
    assert_eq!(parsed.project.as_deref(), Some("Home"));
    assert_eq!(parsed.labels, ["bills"]);
    assert_eq!(parsed.priority.map(Priority::get), Some(3));
    assert_eq!(parsed.due_date, Some(date("2026-12-03")));
    assert_eq!(parsed.due_time, Some(time("09:00")));
    let chips: Vec<(ChipKind, &str)> = parsed
        .chips
        .iter()
        .map(|chip| (chip.kind, chip.text.as_str()))
        .collect();
    assert_eq!(
        chips,
        [
            (ChipKind::Project, "#Home"),
            (ChipKind::Label, "@bills"),
            (ChipKind::Priority, "!3"),
            (ChipKind::Date, "tomorrow"),
            (ChipKind::Time, "9am"),
        ]
    );
}

#[test]
fn fields_may_come_anywhere_and_the_title_keeps_its_order() {
    let parsed = parse(
        "!1 call @phone the bank at 17:30 friday",
        wednesday(),
        PROJECTS,
    );
    assert_eq!(parsed.title, "call the bank");
    assert_eq!(parsed.labels, ["phone"]);
    assert_eq!(parsed.priority.map(Priority::get), Some(1));
    assert_eq!(parsed.due_date, Some(date("2026-12-04")));
    assert_eq!(parsed.due_time, Some(time("17:30")));
}

#[test]
fn projects_are_the_users_own_by_name() {
    let project = |line: &str| {
        let parsed = parse(line, wednesday(), PROJECTS);
        (parsed.project, parsed.title)
    };
    assert_eq!(project("a #home"), (Some("Home".into()), "a".into()));
    assert_eq!(
        project("a #side Project b"),
        (Some("Side project".into()), "a b".into())
    );
    assert_eq!(project("a #Side b"), (None, "a #Side b".into()));
    assert_eq!(project("Fix bug #123"), (None, "Fix bug #123".into()));
    assert_eq!(project("a #Homework"), (None, "a #Homework".into()));
    assert_eq!(
        parse("a #Work", wednesday(), &[]).project,
        None,
        "a user without projects"
    );
}

#[test]
fn relative_days() {
    assert_eq!(due("a today").0, Some(date("2026-12-02")));
    assert_eq!(due("a Tomorrow").0, Some(date("2026-12-03")));
    assert_eq!(due("a in 3 days").0, Some(date("2026-12-05")));
    assert_eq!(due("a in 1 day").0, Some(date("2026-12-03")));
    assert_eq!(due("a in 2 weeks").0, Some(date("2026-12-16")));
    assert_eq!(due("a in a week").0, Some(date("2026-12-09")));
    assert_eq!(due("a in 3 months").0, Some(date("2027-03-02")));
    // The end of a shorter month, not an overflow into the next.
    assert_eq!(
        parse("a in 1 month", date("2027-01-31"), PROJECTS).due_date,
        Some(date("2027-02-28"))
    );
}

#[test]
fn weekdays_are_the_next_one_after_today() {
    // Today is a Wednesday.
    assert_eq!(due("a thu").0, Some(date("2026-12-03")));
    assert_eq!(due("a fri").0, Some(date("2026-12-04")));
    assert_eq!(due("a sunday").0, Some(date("2026-12-06")));
    assert_eq!(due("a mon").0, Some(date("2026-12-07")));
    assert_eq!(due("a Tuesday").0, Some(date("2026-12-08")));
    assert_eq!(due("a wed").0, Some(date("2026-12-09")), "a week away");
}

#[test]
fn days_of_a_month_are_the_next_such_day() {
    assert_eq!(due("a dec 24").0, Some(date("2026-12-24")));
    assert_eq!(due("a 24 Dec").0, Some(date("2026-12-24")));
    assert_eq!(due("a December 24th").0, Some(date("2026-12-24")));
    assert_eq!(due("a dec 2").0, Some(date("2026-12-02")), "today");
    assert_eq!(due("a dec 1").0, Some(date("2027-12-01")), "passed");
    assert_eq!(due("a jan 3rd").0, Some(date("2027-01-03")));
    assert_eq!(due("a sept 1").0, Some(date("2027-09-01")));
    assert_eq!(due("a mar 1 2030").0, Some(date("2030-03-01")));
    assert_eq!(due("a 2026-12-24").0, Some(date("2026-12-24")));
    // Feb 29: the next year that has one.
    assert_eq!(due("a feb 29").0, Some(date("2028-02-29")));
}

#[test]
fn times_of_day() {
    for (line, expected) in [
        ("a 17:30", "17:30"),
        ("a 5pm", "17:00"),
        ("a 5:30PM", "17:30"),
        ("a 5 pm", "17:00"),
        ("a at 9am", "09:00"),
        ("a 12am", "00:00"),
        ("a 12pm", "12:00"),
        ("a 00:05", "00:05"),
    ] {
        let (date, at, title) = due(line);
        assert_eq!(at, Some(time(expected)), "{line}");
        assert_eq!(date, Some(wednesday()), "{line}: a time alone is today's");
        assert_eq!(title, "a", "{line}");
    }
    let (day, at, _) = due("a 9am tomorrow");
    assert_eq!((day, at), (Some(date("2026-12-03")), Some(time("09:00"))));
}

#[test]
fn what_is_ambiguous_or_invalid_stays_in_the_title() {
    for line in [
        "a !4",
        "a !0",
        "a !",
        "a #",
        "a @",
        "a @x,y",
        "a feb 30",
        "a dec 32",
        "a 25:00",
        "a 13pm",
        "a 0am",
        "a 5:3pm",
        "a 5",
        "a in 3",
        "a in many days",
        "a in 1000 days",
        "a 2026-13-01",
        "a 2026-1-1",
        "a tomorrow's",
        "email bob@example.com",
        "a at",
    ] {
        let parsed = parse(line, wednesday(), PROJECTS);
        assert_eq!(parsed.title, line, "{line}");
        assert!(parsed.chips.is_empty(), "{line}: {:?}", parsed.chips);
    }
}

#[test]
fn a_second_field_of_one_kind_stays_in_the_title() {
    let parsed = parse(
        "a #Home #Work !1 !2 today tomorrow 9am 10am",
        wednesday(),
        PROJECTS,
    );
    assert_eq!(parsed.title, "a #Work !2 tomorrow 10am");
    assert_eq!(parsed.project.as_deref(), Some("Home"));
    assert_eq!(parsed.priority.map(Priority::get), Some(1));
    assert_eq!(parsed.due_date, Some(wednesday()));
    assert_eq!(parsed.due_time, Some(time("09:00")));
    // Labels: each name once (case-insensitively), the first spelling kept.
    let parsed = parse("a @Bills @bills @rent", wednesday(), PROJECTS);
    assert_eq!(parsed.labels, ["Bills", "rent"]);
    assert_eq!(parsed.title, "a @bills");
}

#[test]
fn at_most_the_label_limit() {
    let line: Vec<String> = (0..=Labels::MAX).map(|n| format!("@l{n}")).collect();
    let parsed = parse(&format!("a {}", line.join(" ")), wednesday(), PROJECTS);
    assert_eq!(parsed.labels.len(), Labels::MAX);
    assert_eq!(parsed.title, format!("a @l{}", Labels::MAX));
}

#[test]
fn a_line_of_only_fields_is_all_title() {
    let parsed = parse("  tomorrow   9am ", wednesday(), PROJECTS);
    assert_eq!(
        parsed,
        QuickAdd {
            title: "tomorrow   9am".into(),
            ..QuickAdd::default()
        }
    );
    // Nothing recognised: the line as typed, spacing and all.
    assert_eq!(parse(" a  b ", wednesday(), PROJECTS).title, "a  b");
}

/// A line past [`MAX_LINE_CHARS`] is not read for fields; a long line of `#` words that name
/// no project is read in time proportional to its length.
#[test]
fn long_lines_cost_little() {
    let long = format!("a {} tomorrow", "x".repeat(MAX_LINE_CHARS));
    let parsed = parse(&long, wednesday(), PROJECTS);
    assert_eq!(parsed.title, long);
    assert!(parsed.chips.is_empty());
    let hashes = "#a ".repeat(MAX_LINE_CHARS / 3 - 5);
    let line = format!("{hashes}tomorrow");
    let parsed = parse(&line, wednesday(), PROJECTS);
    assert_eq!(parsed.due_date, Some(date("2026-12-03")));
    assert_eq!(parsed.project, None);
}

#[test]
fn dates_past_the_contracts_years_stay_in_the_title() {
    let parsed = parse("a in 12 months", date("9999-06-01"), PROJECTS);
    assert_eq!(parsed.due_date, None);
    assert_eq!(parsed.title, "a in 12 months");
    assert_eq!(parse("a 1899-12-31", wednesday(), PROJECTS).due_date, None);
}

/// The same instant is a different "today" on either side of the date line: the caller
/// passes the user's date, and every relative date follows it.
#[test]
fn relative_to_the_users_date_in_their_time_zone() {
    let instant: DateTime<Utc> = Utc
        .with_ymd_and_hms(2026, 12, 2, 12, 30, 0)
        .single()
        .expect("an instant");
    for (offset_hours, today, tomorrow, monday) in [
        (14, "2026-12-03", "2026-12-04", "2026-12-07"), // Pacific/Kiritimati
        (0, "2026-12-02", "2026-12-03", "2026-12-07"),  // UTC
        (-11, "2026-12-02", "2026-12-03", "2026-12-07"), // Pacific/Pago_Pago
    ] {
        let zone = FixedOffset::east_opt(offset_hours * 3600).expect("an offset");
        let local = instant.with_timezone(&zone).date_naive();
        assert_eq!(local, date(today), "{offset_hours}");
        assert_eq!(
            parse("a today", local, PROJECTS).due_date,
            Some(date(today))
        );
        assert_eq!(
            parse("a tomorrow", local, PROJECTS).due_date,
            Some(date(tomorrow))
        );
        assert_eq!(parse("a mon", local, PROJECTS).due_date, Some(date(monday)));
    }
    // Just after midnight in Kiritimati, still the day before in UTC.
    let early = Utc
        .with_ymd_and_hms(2026, 12, 31, 10, 30, 0)
        .single()
        .expect("an instant");
    let kiritimati = FixedOffset::east_opt(14 * 3600).expect("an offset");
    let local = early.with_timezone(&kiritimati).date_naive();
    assert_eq!(local, date("2027-01-01"));
    assert_eq!(
        parse("a dec 31", local, PROJECTS).due_date,
        Some(date("2027-12-31"))
    );
    assert_eq!(
        parse("a dec 31", early.date_naive(), PROJECTS).due_date,
        Some(date("2026-12-31"))
    );
}
