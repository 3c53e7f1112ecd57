//! The task list's state in the browser, and what outlives one loaded page.

use leptos::prelude::*;
use uuid::Uuid;

use super::urls::tasks_url;
use crate::domain::{Task, TaskFilter, TaskPage};
use crate::error::AppError;

/// The list's state in the browser: the page from the server, then changed in place.
#[derive(Clone, Copy)]
pub(super) struct ListState {
    pub(super) tasks: RwSignal<Vec<Task>>,
    pub(super) next: RwSignal<Option<String>>,
    pub(super) active: RwSignal<i64>,
    pub(super) completed: RwSignal<i64>,
    /// Tasks with a request in flight (their buttons show it).
    pub(super) busy: RwSignal<Vec<Uuid>>,
    /// The task being edited in place.
    pub(super) editing: RwSignal<Option<Uuid>>,
    /// A message about the last failed action, announced.
    pub(super) notice: RwSignal<Option<String>>,
    pub(super) filter: Memo<TaskFilter>,
    pub(super) q: Memo<String>,
    pub(super) cursor: Memo<Option<String>>,
    /// What to do with an error: a lost session goes to sign-in, the rest is announced.
    pub(super) on_error: Callback<AppError>,
    /// The user's date when the page was loaded (due dates are shown relative to it).
    pub(super) today: chrono::NaiveDate,
}

/// What outlives one loaded page: the URL's settings and where errors go.
#[derive(Clone, Copy)]
pub(super) struct Shared {
    pub(super) notice: RwSignal<Option<String>>,
    pub(super) filter: Memo<TaskFilter>,
    pub(super) q: Memo<String>,
    pub(super) cursor: Memo<Option<String>>,
    pub(super) on_error: Callback<AppError>,
}

impl ListState {
    /// Fresh signals for each loaded page, owned by the view that shows it: a new page never
    /// writes into signals that the previous page's (disposed) view still listens to.
    pub(super) fn new(page: TaskPage, shared: Shared, editing: Option<Uuid>) -> Self {
        Self {
            tasks: RwSignal::new(page.tasks),
            next: RwSignal::new(page.next),
            active: RwSignal::new(page.active),
            completed: RwSignal::new(page.completed),
            busy: RwSignal::new(Vec::new()),
            editing: RwSignal::new(editing),
            notice: shared.notice,
            filter: shared.filter,
            q: shared.q,
            cursor: shared.cursor,
            on_error: shared.on_error,
            today: page.today,
        }
    }

    pub(super) fn set_busy(&self, id: Uuid, busy: bool) {
        self.busy.update(|ids| {
            ids.retain(|other| *other != id);
            if busy {
                ids.push(id);
            }
        });
    }

    pub(super) fn is_busy(&self, id: Uuid) -> bool {
        self.busy.with(|ids| ids.contains(&id))
    }

    /// Where a plain form post of this view returns (without the edit mode).
    pub(super) fn back(&self) -> String {
        tasks_url(
            self.filter.get_untracked(),
            &self.q.get_untracked(),
            self.cursor.get_untracked().as_deref(),
            None,
        )
    }

    /// Replaces a task in the list with the server's version, adjusting the counts.
    pub(super) fn replace(&self, task: Task) {
        let mut was_completed = None;
        self.tasks.update(|tasks| {
            if let Some(slot) = tasks.iter_mut().find(|t| t.id == task.id) {
                was_completed = Some(slot.completed);
                *slot = task.clone();
            }
        });
        if let Some(was) = was_completed {
            if was != task.completed {
                let delta = if task.completed { 1 } else { -1 };
                self.completed.update(|n| *n += delta);
                self.active.update(|n| *n -= delta);
            }
        }
    }

    pub(super) fn remove(&self, id: Uuid) {
        let mut removed = None;
        self.tasks.update(|tasks| {
            if let Some(at) = tasks.iter().position(|t| t.id == id) {
                removed = Some(tasks.remove(at));
            }
        });
        if let Some(task) = removed {
            let count = if task.completed {
                self.completed
            } else {
                self.active
            };
            count.update(|n| *n -= 1);
        }
    }
}
