//! The web app's edit form of a task, as a browser posts it: every field a string.

use uuid::Uuid;

use super::input::Fields;
use super::organise::PriorityError;
use super::task::{parse_date, parse_labels, parse_priority, parse_time};
use super::{Description, FieldError, TaskPatch, Title};

/// The web app's edit form, as posted: every field a string, a field the form did not send
/// left as it is. `project` is a project id or empty (the Inbox); `labels` are comma-separated;
/// an empty `due_date` or `due_time` clears it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TaskForm<'a> {
    pub title: &'a str,
    pub description: Option<&'a str>,
    pub project: Option<&'a str>,
    pub labels: Option<&'a str>,
    pub priority: Option<&'a str>,
    pub due_date: Option<&'a str>,
    pub due_time: Option<&'a str>,
}

/// An edit form a browser without JavaScript posted and the server refused (a mistake in a
/// field): kept in the session for the one render of the page the post returns to, so that the
/// form comes back as the user left it, beside its messages, not as the task is stored. Without
/// it, everything typed was lost (the redirect carries the error, never what was typed).
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct KeptEdit {
    pub id: Uuid,
    pub title: String,
    pub description: Option<String>,
    pub project: Option<String>,
    pub labels: Option<String>,
    pub priority: Option<String>,
    pub due_date: Option<String>,
    pub due_time: Option<String>,
}

impl KeptEdit {
    /// A form bigger than this is not kept: every field's own bound is far below it (the notes'
    /// 10,000 characters the largest), so such a post is no one's typing, and the session is a
    /// database row.
    pub const MAX_BYTES: usize = 16 * 1024;

    /// The form as posted, if it is small enough to keep.
    pub fn of(id: Uuid, form: &TaskForm<'_>) -> Option<Self> {
        let sent = [
            Some(form.title),
            form.description,
            form.project,
            form.labels,
            form.priority,
            form.due_date,
            form.due_time,
        ];
        if sent.iter().flatten().map(|f| f.len()).sum::<usize>() > Self::MAX_BYTES {
            return None;
        }
        let owned = |value: Option<&str>| value.map(str::to_owned);
        Some(Self {
            id,
            title: form.title.to_owned(),
            description: owned(form.description),
            project: owned(form.project),
            labels: owned(form.labels),
            priority: owned(form.priority),
            due_date: owned(form.due_date),
            due_time: owned(form.due_time),
        })
    }
}

impl TaskForm<'_> {
    /// The fields beyond title and notes that the web app's edit form shows (sent along as
    /// `fields`: a browser sends an empty field as no value, which would leave it unchanged).
    pub const FIELDS: &'static str = "project,labels,priority,due_date,due_time";

    /// The change the form asks for, or every mistake, each named by its form field.
    pub fn parse(&self) -> Result<TaskPatch, Vec<FieldError>> {
        let mut fields = Fields::default();
        let title = fields.check("title", Title::parse(self.title));
        let description = fields.check("description", Description::parse(self.description));
        let project_id = fields.check(
            "project",
            self.project
                .map(|raw| match raw.trim() {
                    "" | "inbox" => Ok(None),
                    id => Uuid::try_parse(id)
                        .map(Some)
                        .map_err(|_| "is not one of your projects".to_owned()),
                })
                .transpose(),
        );
        let labels = fields.check(
            "labels",
            self.labels
                .map(|raw| {
                    let names: Vec<&str> = raw
                        .split(',')
                        .map(str::trim)
                        .filter(|n| !n.is_empty())
                        .collect();
                    parse_labels(names.into_iter().map(str::to_owned).collect())
                })
                .transpose(),
        );
        let priority = fields.check(
            "priority",
            self.priority
                .map(|raw| {
                    raw.trim()
                        .parse::<i64>()
                        .map_err(|_| PriorityError.to_string())
                        .and_then(parse_priority)
                })
                .transpose(),
        );
        let due_date = fields.check(
            "due_date",
            self.due_date
                .map(|raw| match raw.trim() {
                    "" => Ok(None),
                    date => parse_date(date.to_owned()).map(Some),
                })
                .transpose(),
        );
        let due_time = fields.check(
            "due_time",
            self.due_time
                .map(|raw| match raw.trim() {
                    "" => Ok(None),
                    time => parse_time(time.to_owned()).map(Some),
                })
                .transpose(),
        );
        // A time is a time of the due date: without one (cleared here) it means nothing.
        if let (Some(Some(None)), Some(Some(Some(_)))) = (&due_date, &due_time) {
            fields.check("due_time", Err::<(), _>("needs a due date"));
        }
        fields.finish(|| {
            Some(TaskPatch {
                title: Some(title?),
                description: Some(description?),
                completed: None,
                project_id: project_id?,
                labels: labels?,
                priority: priority?,
                due_date: due_date?,
                due_time: due_time?,
            })
        })
    }
}

#[cfg(test)]
mod tests {
    use chrono::{NaiveDate, NaiveTime};

    use super::*;

    #[test]
    fn a_refused_form_is_kept_as_typed_unless_it_is_too_big_to_be_typing() {
        let id = Uuid::nil();
        let form = TaskForm {
            title: " Pay rent ",
            labels: Some("a, b"),
            due_time: Some("9"),
            ..TaskForm::default()
        };
        let kept = KeptEdit::of(id, &form).expect("kept");
        assert_eq!(
            (
                kept.title.as_str(),
                kept.labels.as_deref(),
                kept.due_time.as_deref()
            ),
            (" Pay rent ", Some("a, b"), Some("9"))
        );
        assert_eq!(kept.description, None, "not sent, not kept");
        let huge = "x".repeat(KeptEdit::MAX_BYTES);
        let form = TaskForm {
            title: "t",
            description: Some(&huge),
            ..TaskForm::default()
        };
        assert_eq!(KeptEdit::of(id, &form), None);
    }

    #[test]
    fn the_edit_form_changes_what_it_sends_and_names_each_mistake() {
        let form = TaskForm {
            title: " Pay rent ",
            description: Some(""),
            project: Some(""),
            labels: Some(" bills , Rent,,BILLS "),
            priority: Some("3"),
            due_date: Some("2026-12-24"),
            due_time: Some("09:30"),
        };
        let patch = form.parse().unwrap();
        assert_eq!(patch.title.unwrap().as_ref(), "Pay rent");
        assert_eq!(patch.project_id, Some(None), "empty: the Inbox");
        assert_eq!(patch.labels.unwrap().names(), ["bills", "Rent"]);
        assert_eq!(patch.priority.unwrap().get(), 3);
        assert_eq!(patch.due_date, Some(NaiveDate::from_ymd_opt(2026, 12, 24)));
        assert_eq!(patch.due_time, Some(NaiveTime::from_hms_opt(9, 30, 0)));

        // Fields the form did not send stay as they are.
        let old_form = TaskForm {
            title: "x",
            ..TaskForm::default()
        };
        let patch = old_form.parse().unwrap();
        assert_eq!(
            (patch.project_id, patch.priority, patch.due_date),
            (None, None, None)
        );

        let wrong = TaskForm {
            title: " ",
            project: Some("home"),
            priority: Some("4"),
            due_date: Some(""),
            due_time: Some("9am"),
            labels: Some("a,b,c,d,e,f,g,h,i,j,k,l,m,n,o,p,q,r,s,t,u"),
            ..TaskForm::default()
        };
        let errors = wrong.parse().unwrap_err();
        let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(
            fields,
            ["title", "project", "labels", "priority", "due_time"]
        );
        let no_date = TaskForm {
            title: "x",
            due_date: Some(""),
            due_time: Some("09:00"),
            ..TaskForm::default()
        };
        assert_eq!(no_date.parse().unwrap_err()[0].message, "needs a due date");
    }
}
