//! What the web app's task list shows: its filter tabs, its client-side search, and one page of
//! it with the counts.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::listing::{DueFilter, ProjectFilter, Sort};
use super::organise::{due_rank, LabelName, Priority};
use super::{query_string, Task};

/// The web app's filter tabs: its pages' name for
/// [`ListQuery::completed`](super::ListQuery::completed), as they appear in the page's URL
/// (`?filter=active`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum TaskFilter {
    #[default]
    All,
    Active,
    Completed,
}

impl TaskFilter {
    pub const ALL: [Self; 3] = [Self::All, Self::Active, Self::Completed];

    /// Anything unknown is "all": a mistyped link still shows the user's tasks.
    pub fn parse(value: Option<&str>) -> Self {
        match value {
            Some("active") => Self::Active,
            Some("completed") => Self::Completed,
            _ => Self::All,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::All => "all",
            Self::Active => "active",
            Self::Completed => "completed",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::All => "All",
            Self::Active => "Active",
            Self::Completed => "Completed",
        }
    }

    /// The `completed` value this filter selects, as the data layer takes it.
    pub fn completed(self) -> Option<bool> {
        match self {
            Self::All => None,
            Self::Active => Some(false),
            Self::Completed => Some(true),
        }
    }

    pub fn shows(self, task: &Task) -> bool {
        self.completed()
            .is_none_or(|completed| task.completed == completed)
    }
}

/// Which page of the web app: every task (with its filters), Today, or Upcoming.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ViewKind {
    #[default]
    List,
    /// What is still to do and due today or before (overdue), earliest first.
    Today,
    /// What is still to do and due after today, earliest first, grouped by date.
    Upcoming,
}

impl ViewKind {
    /// The view a page path shows (the list for any other).
    pub fn from_path(path: &str) -> Self {
        match path.trim_end_matches('/') {
            "/today" => Self::Today,
            "/upcoming" => Self::Upcoming,
            _ => Self::List,
        }
    }

    pub fn path(self) -> &'static str {
        match self {
            Self::List => "/tasks",
            Self::Today => "/today",
            Self::Upcoming => "/upcoming",
        }
    }
}

/// The web app's view of the task list, as its URL says (`/tasks?project=…&label=…&priority=…
/// &due=…&filter=…&q=…&sort=…`, `/today`, `/upcoming`): parsed leniently, so that a mistyped
/// link still shows the user's tasks (a value that does not parse is left out); the server turns
/// it into the API's [`ListQuery`](super::ListQuery), which checks it again (an unknown project is
/// the API's error).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TaskView {
    pub kind: ViewKind,
    pub filter: TaskFilter,
    /// The search text, trimmed.
    pub q: String,
    pub project: Option<ProjectFilter>,
    pub label: Option<String>,
    pub priority: Option<i16>,
    pub due: Option<DueFilter>,
    /// The order asked for; see [`TaskView::sort`].
    pub sort: Sort,
}

impl TaskView {
    /// The query parameters a view reads.
    pub const PARAMETERS: [&'static str; 7] =
        ["project", "label", "priority", "due", "filter", "q", "sort"];

    /// The view at `path` with these query parameters (names and decoded values).
    pub fn parse<'a>(kind: ViewKind, pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> Self {
        let mut view = Self {
            kind,
            ..Self::default()
        };
        for (name, value) in pairs {
            match name {
                "filter" => view.filter = TaskFilter::parse(Some(value)),
                "q" => view.q = value.trim().to_owned(),
                "project" => view.project = ProjectFilter::parse(value),
                "label" => view.label = LabelName::parse(value).ok().map(|l| l.as_ref().to_owned()),
                "priority" => {
                    view.priority = value
                        .parse::<i64>()
                        .ok()
                        .and_then(|p| Priority::new(p).ok())
                        .map(Priority::get)
                }
                "due" => view.due = DueFilter::parse(value),
                "sort" => view.sort = Sort::parse(value).unwrap_or_default(),
                _ => {}
            }
        }
        view
    }

    /// The order the page lists in: Today and Upcoming are by due date; manual order is a
    /// project's (or the Inbox's), so without one it is newest first.
    pub fn sort(&self) -> Sort {
        match (self.kind, self.sort) {
            (ViewKind::Today | ViewKind::Upcoming, _) => Sort::Due,
            (ViewKind::List, Sort::Manual) if self.project.is_none() => Sort::Created,
            (ViewKind::List, sort) => sort,
        }
    }

    /// Whether the view narrows the list beyond its kind (any filter or a search).
    pub fn is_filtered(&self) -> bool {
        self.filter != TaskFilter::All
            || !self.q.is_empty()
            || self.project.is_some()
            || self.label.is_some()
            || self.priority.is_some()
            || self.due.is_some()
    }

    /// The query string of this view (without `?`), only what differs from the default.
    pub fn query(&self) -> String {
        let project = self.project.map(ProjectFilter::encode);
        let priority = self.priority.map(|p| p.to_string());
        let sort = self.sort();
        let pairs = [
            ("project", project.as_deref()),
            ("label", self.label.as_deref()),
            ("priority", priority.as_deref()),
            ("due", self.due.map(DueFilter::as_str)),
            (
                "filter",
                (self.filter != TaskFilter::All).then(|| self.filter.as_str()),
            ),
            ("q", (!self.q.is_empty()).then_some(self.q.as_str())),
            (
                "sort",
                (self.kind == ViewKind::List && sort != Sort::Created).then(|| sort.as_str()),
            ),
        ];
        query_string(
            pairs
                .iter()
                .filter_map(|(name, value)| Some((*name, (*value)?))),
        )
    }

    /// This view's URL, on the page after `cursor` when given, with the edit form of `edit`
    /// open (the no-JavaScript way into it).
    pub fn url(&self, cursor: Option<&str>, edit: Option<Uuid>) -> String {
        let mut query = self.query();
        let mut add = |name: &str, value: &str| {
            if !query.is_empty() {
                query.push('&');
            }
            query.push_str(name);
            query.push('=');
            query.push_str(&super::encode_query_value(value));
        };
        if let Some(cursor) = cursor {
            add("cursor", cursor);
        }
        if let Some(id) = edit {
            add("edit", &id.to_string());
        }
        if query.is_empty() {
            self.kind.path().to_owned()
        } else {
            format!("{}?{query}", self.kind.path())
        }
    }

    /// Whether this view lists `task`, as the server would, on the user's `today`.
    pub fn shows(&self, task: &Task, today: NaiveDate) -> bool {
        let kind = match self.kind {
            ViewKind::List => self.filter.shows(task),
            ViewKind::Today => !task.completed && task.due_date.is_some_and(|d| d <= today),
            ViewKind::Upcoming => !task.completed && task.due_date.is_some_and(|d| d > today),
        };
        let due = self.kind != ViewKind::List
            || self.due.is_none_or(|due| match due {
                DueFilter::None => task.due_date.is_none(),
                DueFilter::Any => task.due_date.is_some(),
                // The server also counts today's tasks whose time has passed; the page knows only
                // the date, so those join when it next loads.
                DueFilter::Overdue => task.due_date.is_some_and(|d| d < today),
                DueFilter::Today => task.due_date == Some(today),
                DueFilter::Upcoming => task.due_date.is_some_and(|d| d > today),
            });
        kind && due
            && matches_search(task, &self.q)
            && self.project.is_none_or(|p| task.project_id == p.id())
            && self.label.as_deref().is_none_or(|label| {
                let label = label.to_lowercase();
                task.labels.iter().any(|l| l.to_lowercase() == label)
            })
            && self.priority.is_none_or(|p| task.priority == p)
    }

    /// Whether `a` is listed before `b` in this view's order (newest first on ties). Manual
    /// order is not known to the page (a task does not carry its key): there, a task new to the
    /// page goes first, where a new task lands.
    pub fn before(&self, a: &Task, b: &Task) -> bool {
        let created = |t: &Task| (t.created_at, t.id);
        match self.sort() {
            Sort::Created => created(a) > created(b),
            Sort::Due => {
                let rank = |t: &Task| (due_rank(t.due_date, t.due_time), created(t));
                rank(a) > rank(b)
            }
            Sort::Priority => (a.priority, created(a)) > (b.priority, created(b)),
            Sort::Manual => true,
        }
    }
}

/// Whether `q` (already trimmed) finds this task, as the server's search does: a
/// case-insensitive substring of the title or the description.
pub fn matches_search(task: &Task, q: &str) -> bool {
    if q.is_empty() {
        return true;
    }
    let q = q.to_lowercase();
    task.title.to_lowercase().contains(&q)
        || task
            .description
            .as_deref()
            .is_some_and(|d| d.to_lowercase().contains(&q))
}

/// One page of the list, newest first, with the counts the page shows.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct TaskPage {
    pub tasks: Vec<Task>,
    /// The cursor of the next page, when there is one (the API's cursor).
    pub next: Option<String>,
    /// Tasks still to do, over all of the user's tasks (not just this filter or page).
    pub active: i64,
    /// Completed tasks, over all of the user's tasks.
    pub completed: i64,
    /// The user's date, in their time zone: due dates are shown relative to it.
    pub today: chrono::NaiveDate,
    /// Where the change feed stood when this page was read (a cursor for
    /// [`changed_tasks`](crate::server_fns::tasks::changed_tasks)): every change the page may not
    /// show comes after it.
    pub feed: String,
    /// The edit form a post without JavaScript left refused, as it was typed (once).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kept: Option<super::KeptEdit>,
}

/// The web app's sidebar: the user's projects and labels, each with its counts.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Lists {
    /// By name, case-insensitively.
    pub projects: Vec<ListEntry>,
    /// By name, case-insensitively.
    pub labels: Vec<ListEntry>,
}

/// A project or a label in the sidebar.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ListEntry {
    pub id: Uuid,
    pub name: String,
    pub version: i64,
    /// Its tasks still to do.
    pub open: i64,
    /// All of its tasks (what deleting a project deletes with it).
    pub tasks: i64,
}

impl Lists {
    pub fn project(&self, id: Uuid) -> Option<&ListEntry> {
        self.projects.iter().find(|p| p.id == id)
    }
}

/// What changed in the user's tasks since a feed cursor, for a page that shows them live.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct TaskChanges {
    /// Each changed task once, as it is now, oldest change first.
    pub changes: Vec<TaskChange>,
    /// Where to read from next.
    pub cursor: String,
    /// Whether more changes follow at once (read again from `cursor`).
    pub more: bool,
    /// The cursor is older than the feed keeps: load the page afresh.
    pub reload: bool,
    /// The counts now, over all of the user's tasks.
    pub active: i64,
    pub completed: i64,
    /// Whether anything changed at all: a project or a label too (which `changes` leaves out),
    /// for the sidebar to read its lists again.
    #[serde(default)]
    pub anything: bool,
}

/// One changed task: as it is now, or `None` once deleted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TaskChange {
    pub id: uuid::Uuid,
    pub task: Option<Task>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::task::sample as task;

    #[test]
    fn filters_parse_leniently_and_select_by_state() {
        assert_eq!(TaskFilter::parse(Some("active")), TaskFilter::Active);
        assert_eq!(TaskFilter::parse(Some("bogus")), TaskFilter::All);
        assert_eq!(TaskFilter::parse(None), TaskFilter::All);
        let done = task("a", None, true);
        assert!(TaskFilter::Completed.shows(&done));
        assert!(!TaskFilter::Active.shows(&done));
        assert!(TaskFilter::All.shows(&done));
    }

    #[test]
    fn search_is_case_insensitive_over_title_and_description() {
        let t = task("Buy MILK", Some("Oat, 2 litres"), false);
        assert!(matches_search(&t, "milk"));
        assert!(matches_search(&t, "oat"));
        assert!(matches_search(&t, ""));
        assert!(!matches_search(&t, "bread"));
    }
}
