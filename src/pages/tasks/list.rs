//! The list of tasks with its empty states and "Load more"; Today and Upcoming in groups by date.

use chrono::NaiveDate;
use leptos::ev::MouseEvent;
use leptos::prelude::*;
use leptos::task::spawn_local;

use super::item::TaskItem;
use super::state::ListState;
use crate::domain::{Task, TaskFilter, TaskView, ViewKind};
use crate::server_fns::tasks::list_tasks;

/// Whether the page shows a task it holds: a toggle shows at once (before the server answers),
/// so a task done leaves the views of what is still to do.
fn listed(view: &TaskView, task: &Task) -> bool {
    match view.kind {
        ViewKind::List => view.filter.shows(task),
        ViewKind::Today | ViewKind::Upcoming => !task.completed,
    }
}

/// The heading of a task's group: Today's "Overdue" and "Today", Upcoming's dates.
fn group_of(kind: ViewKind, task: &Task, today: NaiveDate) -> Option<(NaiveDate, String)> {
    let date = task.due_date?;
    match kind {
        ViewKind::List => None,
        ViewKind::Today if date < today => Some((today.pred_opt()?, "Overdue".to_owned())),
        ViewKind::Today => Some((today, "Today".to_owned())),
        ViewKind::Upcoming => {
            let name = match (date - today).num_days() {
                1 => date.format("Tomorrow · %a %-d %b").to_string(),
                2..=6 => date.format("%A · %-d %b").to_string(),
                _ => date.format("%a %-d %b %Y").to_string(),
            };
            Some((date, name))
        }
    }
}

/// The tasks of the current view with an empty state per view and "Load more". Today and
/// Upcoming show their tasks under a heading per group.
#[component]
pub(super) fn TaskList(state: ListState) -> AnyView {
    let loading_more = RwSignal::new(false);
    let today = state.today;
    let visible = move || {
        let view = state.view.get();
        state
            .tasks
            .get()
            .into_iter()
            .filter(|task| listed(&view, task))
            .collect::<Vec<_>>()
    };
    // Whether the view shows anything, without copying the list as `visible` does.
    let any_visible = move || {
        let view = state.view.get();
        state
            .tasks
            .with(|tasks| tasks.iter().any(|task| listed(&view, task)))
    };
    let empty_message = move || {
        let view = state.view.get();
        if !view.q.is_empty() {
            return format!("No tasks match “{}”.", view.q);
        }
        match (view.kind, view.filter, view.is_filtered()) {
            (ViewKind::Today, ..) => "Nothing due today. Enjoy the day.".to_owned(),
            (ViewKind::Upcoming, ..) => "Nothing due in the days ahead.".to_owned(),
            (_, _, true) if view.filter == TaskFilter::All || view.project.is_some() => {
                "No tasks here yet.".to_owned()
            }
            (_, TaskFilter::All, _) => "No tasks yet. Add your first one above.".to_owned(),
            (_, TaskFilter::Active, _) => "Nothing left to do.".to_owned(),
            (_, TaskFilter::Completed, _) => "No completed tasks yet.".to_owned(),
        }
    };
    let load_more = move |ev: MouseEvent| {
        ev.prevent_default();
        let Some(cursor) = state.next.get_untracked() else {
            return;
        };
        loading_more.set(true);
        let view = state.view.get_untracked();
        spawn_local(async move {
            match list_tasks(Some(view.url(None, None)), Some(cursor)).await {
                Ok(page) => {
                    state.tasks.update(|tasks| {
                        for task in page.tasks {
                            if !tasks.iter().any(|t| t.id == task.id) {
                                tasks.push(task);
                            }
                        }
                    });
                    state.next.set(page.next);
                    state.active.set(page.active);
                    state.completed.set(page.completed);
                }
                Err(err) => {
                    state.on_error.try_run(err);
                }
            }
            loading_more.set(false);
        });
    };
    // The groups in order, each with its tasks (the list is in due order already).
    let groups = move || {
        let view = state.view.get();
        let mut groups: Vec<(NaiveDate, String)> = Vec::new();
        state.tasks.with(|tasks| {
            for task in tasks.iter().filter(|t| listed(&view, t)) {
                if let Some(group) = group_of(view.kind, task, today) {
                    // Each date once (keys and heading ids are unique), in list order.
                    if !groups.iter().any(|(date, _)| *date == group.0) {
                        groups.push(group);
                    }
                }
            }
        });
        groups
    };
    let grouped = move || state.view.with(|v| v.kind != ViewKind::List);
    view! {
        <Show
            when=any_visible
            fallback=move || view! { <p class="empty" data-testid="empty">{empty_message}</p> }
        >
            <Show
                when=grouped
                fallback=move || view! {
                    <ul class="task-list" aria-label="Tasks">
                        <For
                            each=visible
                            // Every write moves a task's version; `completed` flips alone while a
                            // toggle is on its way (shown at once, its version still the old one).
                            key=|task| (task.id, task.version, task.completed)
                            children=move |task| view! { <TaskItem task state/> }
                        />
                    </ul>
                }
            >
                <For
                    each=groups
                    key=|group| group.clone()
                    children=move |(date, name)| {
                        let heading = format!("group-{date}");
                        let in_group = move || {
                            let view = state.view.get();
                            state
                                .tasks
                                .get()
                                .into_iter()
                                .filter(|t| {
                                    listed(&view, t)
                                        && group_of(view.kind, t, today).is_some_and(|(d, _)| d == date)
                                })
                                .collect::<Vec<_>>()
                        };
                        view! {
                            <section class="group" aria-labelledby=heading.clone()>
                                <h2 id=heading.clone() class:overdue=name == "Overdue">{name.clone()}</h2>
                                <ul class="task-list">
                                    <For
                                        each=in_group
                                        key=|task| (task.id, task.version, task.completed)
                                        children=move |task| view! { <TaskItem task state/> }
                                    />
                                </ul>
                            </section>
                        }
                    }
                />
            </Show>
        </Show>
        <div class="pager">
            {move || state.cursor.get().map(|_| view! {
                <a href=state.view.with(|v| v.url(None, None))>"Back to the start"</a>
            })}
            {move || state.next.get().map(|next| view! {
                <a
                    class="button"
                    href=state.view.with(|v| v.url(Some(&next), None))
                    on:click=load_more
                    aria-disabled=move || loading_more.get().then_some("true")
                >
                    {move || if loading_more.get() { "Loading…" } else { "Load more" }}
                </a>
            })}
        </div>
    }
    .into_any()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::sample;

    #[test]
    fn today_splits_overdue_from_today_and_upcoming_groups_by_date() {
        let today = NaiveDate::from_ymd_opt(2026, 12, 2).expect("a date");
        let due = |days: i64| Task {
            due_date: Some(today + chrono::Duration::days(days)),
            ..sample("t", None, false)
        };
        let name = |kind, days| group_of(kind, &due(days), today).map(|(_, name)| name);
        assert_eq!(name(ViewKind::Today, -3).as_deref(), Some("Overdue"));
        assert_eq!(name(ViewKind::Today, -1), name(ViewKind::Today, -3));
        assert_eq!(name(ViewKind::Today, 0).as_deref(), Some("Today"));
        assert_eq!(
            name(ViewKind::Upcoming, 1).as_deref(),
            Some("Tomorrow · Thu 3 Dec")
        );
        assert_eq!(
            name(ViewKind::Upcoming, 3).as_deref(),
            Some("Saturday · 5 Dec")
        );
        assert_eq!(
            name(ViewKind::Upcoming, 30).as_deref(),
            Some("Fri 1 Jan 2027")
        );
        assert_eq!(name(ViewKind::List, 1), None);
    }
}
