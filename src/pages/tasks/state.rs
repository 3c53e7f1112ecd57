//! The task list's state in the browser, and what outlives one loaded page.

use leptos::prelude::*;
use uuid::Uuid;

use crate::domain::{Sort, Task, TaskChange, TaskChanges, TaskPage, TaskView};
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
    pub(super) view: Memo<TaskView>,
    pub(super) cursor: Memo<Option<String>>,
    /// What to do with an error: a lost session goes to sign-in, the rest is announced.
    pub(super) on_error: Callback<AppError>,
    /// The user's date when the page was loaded (due dates are shown relative to it).
    pub(super) today: chrono::NaiveDate,
    /// Where this page stands in the change feed: the next read of changes starts here.
    #[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
    pub(super) feed: StoredValue<String>,
    /// Changes to the task being edited, held back until its form closes: the form is not
    /// redrawn under the user's cursor (its save then meets the newer version: the 412 path).
    pub(super) held: RwSignal<Vec<TaskChange>>,
    /// How many reads of changes this list has taken in: an answer that arrives after one knows
    /// the counts may already include its own write.
    pub(super) reads: StoredValue<u64>,
    /// The task being dragged to another place.
    pub(super) dragging: RwSignal<Option<Uuid>>,
    /// An edit form a post without JavaScript left refused, as typed: its form opens with it
    /// once.
    pub(super) kept: StoredValue<Option<crate::domain::KeptEdit>>,
}

/// The sidebar's lists, shared with the forms that offer projects (context of the tasks
/// pages), and a way to read them again after a change.
#[derive(Clone, Copy)]
pub(super) struct Sidebar {
    pub(super) lists: RwSignal<crate::domain::Lists>,
    pub(super) reload: Callback<()>,
}

/// What outlives one loaded page: the URL's settings and where errors go.
#[derive(Clone, Copy)]
pub(super) struct Shared {
    pub(super) notice: RwSignal<Option<String>>,
    pub(super) view: Memo<TaskView>,
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
            view: shared.view,
            cursor: shared.cursor,
            on_error: shared.on_error,
            today: page.today,
            feed: StoredValue::new(page.feed),
            held: RwSignal::new(Vec::new()),
            reads: StoredValue::new(0),
            dragging: RwSignal::new(None),
            kept: StoredValue::new(page.kept),
        }
    }

    /// Opens the edit form of `id` (at most one is open), or closes it (`None`); changes held
    /// back while another task was edited are shown now.
    pub(super) fn edit(&self, id: Option<Uuid>) {
        let closed = self.editing.get_untracked().filter(|_| id.is_none());
        self.editing.set(id);
        if let Some(closed) = closed {
            // What a refused post left typed is for the form it came back to, not a later one.
            self.kept.try_update_value(|kept| *kept = None);
            // The form's fields are gone, and the keyboard with them: back to its task.
            focus_task(closed);
        }
        let mut released = Vec::new();
        self.held.update(|held| {
            let (kept, out): (Vec<_>, Vec<_>) = held.drain(..).partition(|c| Some(c.id) == id);
            *held = kept;
            released = out;
        });
        for change in released {
            self.apply(change);
        }
    }

    /// Takes in what changed elsewhere (another page, an API client): each change merged into
    /// the list as the server would list it now, then the counts. Written with `try_` access
    /// throughout: an answer may arrive after this page's view (and its signals) is gone.
    #[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
    pub(super) fn take_in(&self, batch: TaskChanges) {
        for change in batch.changes {
            self.apply(change);
        }
        self.active.try_set(batch.active);
        self.completed.try_set(batch.completed);
        self.feed.try_set_value(batch.cursor);
        self.reads.try_update_value(|n| *n += 1);
    }

    /// One task's change: held back while its form is open, else merged.
    pub(super) fn apply(&self, change: TaskChange) {
        if self.editing.try_get_untracked().flatten() == Some(change.id) {
            self.held.try_update(|held| {
                held.retain(|c| c.id != change.id);
                held.push(change);
            });
            return;
        }
        match change.task {
            Some(task) => self.merge(task),
            None => {
                self.tasks
                    .try_update(|tasks| tasks.retain(|t| t.id != change.id));
            }
        }
    }

    /// Puts the server's copy of a task where this view lists it (in the view's order), replaces an
    /// older copy, or takes it out when the view no longer shows it. A copy no newer than the one
    /// shown (an answer that crossed a newer write of this page's) is ignored. A task new to the
    /// page is added only within the part of the list loaded so far.
    pub(super) fn merge(&self, task: Task) {
        let Some(view) = self.view.try_get_untracked() else {
            return;
        };
        let shown = view.shows(&task, self.today);
        let paged = self.cursor.try_get_untracked().flatten().is_some();
        let more = self.next.try_get_untracked().flatten().is_some();
        self.tasks.try_update(|tasks| {
            if let Some(at) = tasks.iter().position(|t| t.id == task.id) {
                // The same version is nothing new; and while a toggle is on its way, the shown
                // copy is that version with `completed` already flipped, which must stay.
                if tasks[at].version >= task.version {
                    return;
                }
                if !shown {
                    tasks.remove(at);
                    return;
                }
                // Its place holds while what the order reads cannot have changed (a task's
                // creation never does; the page does not know manual keys); else it goes where
                // the order now puts it.
                if matches!(view.sort(), Sort::Created | Sort::Manual) {
                    tasks[at] = task;
                    return;
                }
                // Else it leaves and comes back where the order puts it, under the same rules
                // as a new task: outside what this page holds, it is left to the page it now
                // belongs to (kept, a later "Load more" would skip it as a duplicate and show
                // the tasks after it above it).
                tasks.remove(at);
            }
            if !shown {
                return;
            }
            match tasks.iter().position(|t| view.before(&task, t)) {
                // Before this page's first task: a later page's view starts below it.
                Some(0) if paged => {}
                Some(at) => tasks.insert(at, task),
                // After everything loaded: it belongs here only if nothing more follows.
                None if !more => tasks.push(task),
                None => {}
            }
        });
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
        self.view
            .with_untracked(|view| view.url(self.cursor.get_untracked().as_deref(), None))
    }

    /// Replaces a task in the list with `task`, adjusting the counts, unless the list already
    /// shows a newer version (a live update that overtook this answer, or a rollback's old copy).
    pub(super) fn replace(&self, task: Task) {
        let mut was_completed = None;
        self.tasks.update(|tasks| {
            if let Some(slot) = tasks.iter_mut().find(|t| t.id == task.id) {
                if slot.version > task.version {
                    return;
                }
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

    /// The tasks shown right before and after `id` (a completed task hidden by the view's tab
    /// is no place to move to).
    pub(super) fn neighbours(&self, id: Uuid) -> (Option<Uuid>, Option<Uuid>) {
        let filter = self.view.with_untracked(|v| v.filter);
        self.tasks.with(|tasks| {
            let shown: Vec<Uuid> = tasks
                .iter()
                .filter(|t| t.id == id || filter.shows(t))
                .map(|t| t.id)
                .collect();
            let Some(at) = shown.iter().position(|t| *t == id) else {
                return (None, None);
            };
            (
                at.checked_sub(1).map(|i| shown[i]),
                shown.get(at + 1).copied(),
            )
        })
    }

    /// Moves `id` one place up or down in the manual order: shown at once, sent as the API's
    /// move (before the task above it, or after the one below), put back if refused. The
    /// keyboard's Alt+arrows and the up and down buttons both come here.
    pub(super) fn move_by(&self, id: Uuid, up: bool) {
        let (above, below) = self.neighbours(id);
        if let Some(anchor) = if up { above } else { below } {
            self.place(id, anchor, up);
        }
    }

    /// Moves `id` right before (`up`) or after `anchor`, a task of the same list (a drop, or a
    /// step of [`move_by`](Self::move_by)).
    pub(super) fn place(&self, id: Uuid, anchor: Uuid, up: bool) {
        let (before, after) = if up {
            (Some(anchor), None)
        } else {
            (None, Some(anchor))
        };
        if id == anchor || self.is_busy(id) {
            return;
        }
        let state = *self;
        // Where it was: after this task, or first.
        let was_after = self.tasks.with_untracked(|tasks| {
            let at = tasks.iter().position(|t| t.id == id)?;
            at.checked_sub(1).map(|i| tasks[i].id)
        });
        self.tasks.update(|tasks| {
            let (Some(at), Some(_)) = (
                tasks.iter().position(|t| t.id == id),
                tasks.iter().position(|t| t.id == anchor),
            ) else {
                return;
            };
            let task = tasks.remove(at);
            let to = tasks.iter().position(|t| t.id == anchor).unwrap_or(0);
            tasks.insert(if up { to } else { to + 1 }, task);
        });
        self.notice.set(None);
        self.set_busy(id, true);
        leptos::task::spawn_local(async move {
            let result = crate::server_fns::organise::move_task(
                id.to_string(),
                None,
                before.map(|b| b.to_string()),
                after.map(|a| a.to_string()),
                None,
            )
            .await;
            match result {
                Ok(task) => state.replace(task),
                Err(err) => {
                    // Back where it was (only this task: another move may have been made since).
                    state.tasks.try_update(|tasks| {
                        let Some(at) = tasks.iter().position(|t| t.id == id) else {
                            return;
                        };
                        let task = tasks.remove(at);
                        let to = was_after
                            .and_then(|above| tasks.iter().position(|t| t.id == above))
                            .map_or(0, |i| i + 1);
                        tasks.insert(to, task);
                    });
                    state.on_error.try_run(err);
                }
            }
            state.set_busy(id, false);
            focus_task(id);
        });
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

/// Puts the keyboard back on a task's checkbox once it is drawn again (a moved, toggled or
/// saved task is redrawn: its version changed), unless the keyboard is somewhere else by then
/// (only a focus that fell to the page with the old elements is taken back).
pub(super) fn focus_task(id: Uuid) {
    #[cfg(feature = "hydrate")]
    leptos::prelude::request_animation_frame(move || {
        use leptos::wasm_bindgen::JsCast;
        let lost = document()
            .active_element()
            .is_none_or(|e| e.tag_name().eq_ignore_ascii_case("body"));
        if !lost {
            return;
        }
        let selector = format!("[aria-labelledby=\"task-title-{id}\"]");
        if let Some(check) = document()
            .query_selector(&selector)
            .ok()
            .flatten()
            .and_then(|e| e.dyn_into::<leptos::web_sys::HtmlElement>().ok())
        {
            let _ = check.focus();
        }
    });
    #[cfg(not(feature = "hydrate"))]
    let _ = id;
}

#[cfg(test)]
mod tests {
    use chrono::{Duration, Utc};

    use super::*;
    use crate::domain::{sample, TaskFilter};

    /// A list of `tasks` (newest first) under `filter`, `q` and a page `cursor`, `more` when
    /// another page follows.
    fn list(tasks: Vec<Task>, filter: TaskFilter, q: &str, paged: bool, more: bool) -> ListState {
        let view = TaskView {
            filter,
            q: q.to_owned(),
            ..TaskView::default()
        };
        list_in(view, tasks, paged, more)
    }

    /// A list of `tasks` (in `view`'s order) shown by `view`.
    fn list_in(view: TaskView, tasks: Vec<Task>, paged: bool, more: bool) -> ListState {
        let shared = Shared {
            notice: RwSignal::new(None),
            view: Memo::new(move |_| view.clone()),
            cursor: Memo::new(move |_| paged.then(|| "page-2".to_owned())),
            on_error: Callback::new(|_| {}),
        };
        let page = TaskPage {
            tasks,
            next: more.then(|| "next".to_owned()),
            ..TaskPage::default()
        };
        ListState::new(page, shared, None)
    }

    /// A task created `minutes` ago.
    fn task(title: &str, minutes: i64) -> Task {
        Task {
            created_at: Utc::now() - Duration::minutes(minutes),
            ..sample(title, None, false)
        }
    }

    fn titles(state: &ListState) -> Vec<String> {
        state
            .tasks
            .get_untracked()
            .into_iter()
            .map(|t| t.title)
            .collect()
    }

    /// Runs `test` inside a reactive owner, as a page's code runs.
    fn owned(test: impl FnOnce()) {
        Owner::new().with(test);
    }

    fn newer(task: &Task, change: impl FnOnce(&mut Task)) -> Task {
        let mut next = task.clone();
        next.version += 1;
        change(&mut next);
        next
    }

    #[test]
    fn a_change_replaces_an_older_copy_and_never_a_newer_or_equal_one() {
        owned(|| {
            let a = task("a", 1);
            let state = list(vec![a.clone()], TaskFilter::All, "", false, false);
            let renamed = newer(&a, |t| t.title = "a, renamed".into());
            state.merge(renamed.clone());
            assert_eq!(titles(&state), ["a, renamed"]);
            state.merge(a.clone());
            assert_eq!(titles(&state), ["a, renamed"], "an older copy is ignored");
            // A toggle on its way shows its version with `completed` flipped: the same version
            // read back meanwhile must not flip it back.
            let mut flipped = renamed.clone();
            flipped.completed = true;
            state.replace(flipped);
            state.merge(renamed.clone());
            assert!(state.tasks.get_untracked()[0].completed);
            // The toggle's answer, overtaken by a newer change, does not put its older copy back.
            let toggled = newer(&renamed, |t| t.completed = true);
            let later = newer(&toggled, |t| t.title = "later".into());
            state.merge(later);
            state.replace(toggled);
            assert_eq!(titles(&state), ["later"]);
        });
    }

    #[test]
    fn new_tasks_go_in_their_place_within_what_is_loaded() {
        owned(|| {
            let (old, older) = (task("old", 10), task("older", 20));
            let state = list(vec![old.clone(), older], TaskFilter::All, "", false, false);
            state.merge(task("newest", 0));
            state.merge(task("between", 15));
            state.merge(task("oldest", 30));
            assert_eq!(
                titles(&state),
                ["newest", "old", "between", "older", "oldest"]
            );

            // With more to load, a task older than what is loaded belongs to a later page; on a
            // later page, one newer than its first task belongs to an earlier one.
            let state = list(vec![old.clone()], TaskFilter::All, "", true, true);
            state.merge(task("newest", 0));
            state.merge(task("oldest", 30));
            assert_eq!(titles(&state), ["old"]);
        });
    }

    #[test]
    fn a_view_takes_in_only_what_it_shows_and_lets_go_of_the_rest() {
        owned(|| {
            let a = task("Buy milk", 1);
            let state = list(vec![a.clone()], TaskFilter::Active, "milk", false, false);
            state.merge(task("Walk the dog", 0));
            let mut done = task("Buy more milk", 0);
            done.completed = true;
            state.merge(done);
            assert_eq!(titles(&state), ["Buy milk"]);
            state.merge(newer(&a, |t| t.completed = true));
            assert!(
                titles(&state).is_empty(),
                "completed: out of the Active view"
            );
        });
    }

    #[test]
    fn a_change_to_the_task_being_edited_waits_for_its_form_to_close() {
        owned(|| {
            let a = task("a", 1);
            let state = list(vec![a.clone()], TaskFilter::All, "", false, false);
            state.edit(Some(a.id));
            let theirs = newer(&a, |t| t.title = "theirs".into());
            state.apply(TaskChange {
                id: a.id,
                task: Some(theirs),
            });
            assert_eq!(titles(&state), ["a"], "held while the form is open");
            assert_eq!(state.held.get_untracked().len(), 1);
            state.edit(None);
            assert_eq!(titles(&state), ["theirs"]);
            assert!(state.held.get_untracked().is_empty());
            state.apply(TaskChange {
                id: a.id,
                task: None,
            });
            assert!(titles(&state).is_empty(), "a deletion");
        });
    }

    #[test]
    fn a_change_that_moves_a_task_in_the_views_order_moves_it_in_the_list() {
        owned(|| {
            let today = chrono::NaiveDate::from_ymd_opt(2026, 12, 2).expect("a date");
            let due = |title: &str, days: i64| Task {
                due_date: Some(today + Duration::days(days)),
                ..task(title, 0)
            };
            let (a, b, c) = (due("a", 1), due("b", 2), due("c", 3));
            let view = TaskView {
                sort: Sort::Due,
                ..TaskView::default()
            };
            let state = list_in(
                view.clone(),
                vec![a.clone(), b.clone(), c.clone()],
                false,
                false,
            );
            state.merge(newer(&a, |t| t.due_date = Some(today + Duration::days(4))));
            assert_eq!(titles(&state), ["b", "c", "a"]);
            // Past the last shown task while another page follows, it is that page's: kept
            // here, "Load more" would skip it and put the tasks before it below it.
            let state = list_in(
                view.clone(),
                vec![a.clone(), b.clone(), c.clone()],
                false,
                true,
            );
            state.merge(newer(&a, |t| t.due_date = Some(today + Duration::days(4))));
            assert_eq!(titles(&state), ["b", "c"]);
            // Before the first task of a later page: an earlier page's.
            let state = list_in(view, vec![a, b, c.clone()], true, false);
            state.merge(newer(&c, |t| t.due_date = Some(today)));
            assert_eq!(titles(&state), ["a", "b"]);
        });
    }

    #[test]
    fn moving_up_or_down_steps_over_shown_tasks_only() {
        owned(|| {
            let mut done = task("done", 2);
            done.completed = true;
            let (a, b) = (task("a", 1), task("b", 3));
            let state = list(
                vec![a.clone(), done.clone(), b.clone()],
                TaskFilter::Active,
                "",
                false,
                false,
            );
            assert_eq!(state.neighbours(a.id), (None, Some(b.id)));
            assert_eq!(state.neighbours(b.id), (Some(a.id), None));
            let all = list(
                vec![a.clone(), done.clone(), b],
                TaskFilter::All,
                "",
                false,
                false,
            );
            assert_eq!(all.neighbours(a.id), (None, Some(done.id)));
        });
    }
}
