//! What the web app's task list shows: its filter tabs, its client-side search, and one page of
//! it with the counts.

use serde::{Deserialize, Serialize};

use super::Task;

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
