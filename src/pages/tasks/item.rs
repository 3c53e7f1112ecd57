//! One task in the list: its toggle, text, edit link and delete button.

use chrono::{Datelike, NaiveDate, NaiveTime};
use leptos::ev::{DragEvent, KeyboardEvent, MouseEvent, SubmitEvent};
use leptos::prelude::*;
use leptos::server_fn::ServerFn;
use leptos::task::spawn_local;

use super::edit_form::EditTaskForm;
use super::state::{focus_task, ListState};
use crate::domain::Sort;
use crate::domain::Task;
use crate::error::AppError;
use crate::server_fns::organise::MoveTask;
use crate::server_fns::tasks::{delete_task, toggle_task, DeleteTask, ToggleTask};

#[component]
pub(super) fn TaskItem(task: Task, state: ListState) -> AnyView {
    let id = task.id;
    let title_id = format!("task-title-{id}");
    // Plain derived values, not memos: each is a comparison, and a memo per task (two per task,
    // fifty tasks a page) was a noticeable share of rendering the page on the server.
    let editing = move || state.editing.get() == Some(id);
    let busy = move || state.is_busy(id);

    let on_toggle = {
        let task = task.clone();
        move |ev: SubmitEvent| {
            ev.prevent_default();
            if state.is_busy(id) {
                return;
            }
            state.notice.set(None);
            // Optimistic: show the new state now, put the old one back if the server refuses.
            let mut flipped = task.clone();
            flipped.completed = !task.completed;
            let before = task.clone();
            state.replace(flipped);
            focus_task(id);
            state.set_busy(id, true);
            let version = Some(before.version);
            spawn_local(async move {
                match toggle_task(id.to_string(), version).await {
                    Ok(saved) => state.replace(saved),
                    Err(AppError::NotFound) => {
                        state.remove(id);
                        state.on_error.try_run(AppError::NotFound);
                    }
                    // Changed elsewhere first: show it as it is now, and say why.
                    Err(AppError::Stale(Some(current))) => {
                        state.replace(before.clone());
                        state.merge(*current);
                        state.on_error.try_run(AppError::Stale(None));
                    }
                    Err(err) => {
                        state.replace(before.clone());
                        state.on_error.try_run(err);
                    }
                }
                state.set_busy(id, false);
                // Each answer redraws the task; the keyboard stays on it.
                focus_task(id);
            });
        }
    };
    let version = task.version;
    let on_delete = move |ev: SubmitEvent| {
        ev.prevent_default();
        state.notice.set(None);
        state.set_busy(id, true);
        spawn_local(async move {
            match delete_task(id.to_string(), Some(version)).await {
                Ok(()) | Err(AppError::NotFound) => state.remove(id),
                Err(AppError::Stale(Some(current))) => {
                    state.merge(*current);
                    state.on_error.try_run(AppError::Stale(None));
                }
                Err(err) => {
                    state.on_error.try_run(err);
                }
            }
            state.set_busy(id, false);
        });
    };
    let on_edit = move |ev: MouseEvent| {
        ev.prevent_default();
        state.notice.set(None);
        state.edit(Some(id));
    };
    let edit_href = move || {
        state
            .view
            .with(|view| view.url(state.cursor.get().as_deref(), Some(id)))
    };
    let title_for_move = task.title.clone();
    // Manual order: Alt+↑/↓ from anywhere in the task, up and down buttons (plain forms without
    // JavaScript), and drag and drop.
    let manual = move || state.view.with(|view| view.sort() == Sort::Manual);
    let on_keydown = move |ev: KeyboardEvent| {
        let up = match ev.key().as_str() {
            "ArrowUp" => true,
            "ArrowDown" => false,
            _ => return,
        };
        if ev.alt_key() && manual() && !editing() {
            ev.prevent_default();
            state.move_by(id, up);
        }
    };
    let on_drag_start = move |ev: DragEvent| {
        if let Some(data) = ev.data_transfer() {
            // Firefox starts a drag only with some data set.
            let _ = data.set_data("text/plain", &id.to_string());
            let _ = data.set_data(super::sidebar::TASK_DRAG_TYPE, &id.to_string());
        }
        state.dragging.set(Some(id));
    };
    let on_drag_over = move |ev: DragEvent| {
        if state.dragging.get_untracked().is_some_and(|d| d != id) {
            ev.prevent_default();
        }
    };
    let on_drop = move |ev: DragEvent| {
        ev.prevent_default();
        if let Some(dragged) = state.dragging.get_untracked() {
            // Dropped on a task below it: it goes after that task; above it: before.
            let order = state.tasks.with_untracked(|tasks| {
                let at = |x| tasks.iter().position(|t: &Task| t.id == x);
                Some((at(dragged)?, at(id)?))
            });
            if let Some((from, to)) = order {
                state.place(dragged, id, to < from);
            }
        }
        state.dragging.set(None);
    };
    let on_drag_end = move |_: DragEvent| state.dragging.set(None);
    let move_form = move |up: bool| {
        let (above, below) = state.neighbours(id);
        let anchor = if up { above } else { below }?;
        let (name, label) = if up {
            ("before", "Move up")
        } else {
            ("after", "Move down")
        };
        let back = state.back();
        let title = title_for_move.clone();
        Some(view! {
            <form
                method="post"
                action=MoveTask::url()
                on:submit=move |ev: SubmitEvent| {
                    ev.prevent_default();
                    state.move_by(id, up);
                }
            >
                <input type="hidden" name="id" value=id.to_string()/>
                <input type="hidden" name=name value=anchor.to_string()/>
                <input type="hidden" name="back" value=back/>
                <button type="submit" class="quiet move" disabled=busy title=format!("{label} (Alt+{})", if up { "↑" } else { "↓" })>
                    <span aria-hidden="true">{if up { "↑" } else { "↓" }}</span>
                    <span class="visually-hidden">{format!("{label} “{title}”")}</span>
                </button>
            </form>
        })
    };
    let completed = task.completed;
    let title = task.title.clone();
    let title_for_labels = task.title.clone();
    let description = task.description.clone();
    // The project's name where the view is not that project's.
    let project = task
        .project_id
        .filter(|_| state.view.with_untracked(|v| v.project.is_none()))
        .and_then(|pid| {
            use_context::<super::state::Sidebar>()?
                .lists
                .with_untracked(|lists| lists.project(pid).map(|p| p.name.clone()))
        });
    let meta = meta(&task, project, state.today);
    view! {
        <li
            data-testid="task"
            class="task"
            class:completed=completed
            class:busy=busy
            class:dragging=move || state.dragging.get() == Some(id)
            // Not while its form is open: a drop would reload it over what is being typed
            // (and a draggable row keeps the mouse from selecting text in its fields).
            draggable=move || (manual() && !editing()).then_some("true")
            on:keydown=on_keydown
            on:dragstart=on_drag_start
            on:dragover=on_drag_over
            on:drop=on_drop
            on:dragend=on_drag_end
        >
            <Show
                when=editing
                fallback={
                    let title_id = title_id.clone();
                    let title = title.clone();
                    let title_for_labels = title_for_labels.clone();
                    let description = description.clone();
                    let meta = meta.clone();
                    let on_toggle = on_toggle.clone();
                    move || {
                        let title_id = title_id.clone();
                        view! {
                            <form method="post" action=ToggleTask::url() on:submit=on_toggle.clone() class="toggle">
                                <input type="hidden" name="id" value=id.to_string()/>
                                <input type="hidden" name="version" value=version.to_string()/>
                                <button
                                    type="submit"
                                    class="check"
                                    role="checkbox"
                                    aria-checked=if completed { "true" } else { "false" }
                                    aria-labelledby=title_id.clone()
                                ></button>
                            </form>
                            <div class="body">
                                <span class="title" id=title_id>{title.clone()}</span>
                                {description.clone().map(|text| view! { <p class="description">{text}</p> })}
                                {(!meta.is_empty()).then(|| {
                                    let parts = meta.clone();
                                    view! {
                                        <p class="meta">
                                            {parts
                                                .into_iter()
                                                .enumerate()
                                                .map(|(i, (text, title))| {
                                                    view! {
                                                        {(i > 0).then_some(" · ")}
                                                        <span title=title>{text}</span>
                                                    }
                                                })
                                                .collect_view()}
                                        </p>
                                    }
                                })}
                            </div>
                            <div class="actions">
                                {
                                    let move_form = move_form.clone();
                                    move || manual().then(|| view! { {move_form(true)} {move_form(false)} })
                                }
                                // On a phone the words give way to icons (style/main.css): one row
                                // per task, and the accessible names stay the same.
                                <a class="button quiet edit" href=edit_href on:click=on_edit>
                                    "Edit" <span class="visually-hidden">" “" {title_for_labels.clone()} "”"</span>
                                </a>
                                <form method="post" action=DeleteTask::url() on:submit=on_delete>
                                    <input type="hidden" name="id" value=id.to_string()/>
                                    <input type="hidden" name="version" value=version.to_string()/>
                                    <button type="submit" class="quiet danger delete" disabled=busy>
                                        "Delete" <span class="visually-hidden">" “" {title_for_labels.clone()} "”"</span>
                                    </button>
                                </form>
                            </div>
                        }
                    }
                }
            >
                <EditTaskForm task=task.clone() state/>
            </Show>
        </li>
    }
    .into_any()
}

/// A task's project (when given), priority, due date and labels, for one line under its title,
/// as "#Home · High priority · Due tomorrow, 09:00 · @bills @rent": each part's text, and the
/// absolute date as its tooltip for the due date. Empty when the task has none of them.
fn meta(task: &Task, project: Option<String>, today: NaiveDate) -> Vec<(String, Option<String>)> {
    let mut parts = Vec::new();
    if let Some(name) = project {
        parts.push((format!("#{name}"), None));
    }
    match task.priority {
        3 => parts.push(("High priority".to_owned(), None)),
        2 => parts.push(("Medium priority".to_owned(), None)),
        1 => parts.push(("Low priority".to_owned(), None)),
        _ => {}
    }
    if let Some(date) = task.due_date {
        let (shown, absolute) = due_text(date, task.due_time, today, task.completed);
        parts.push((shown, Some(absolute)));
    }
    if !task.labels.is_empty() {
        let labels: Vec<String> = task.labels.iter().map(|name| format!("@{name}")).collect();
        parts.push((labels.join(" "), None));
    }
    parts
}

/// A due date as the user reads it, relative to their `today` ("Due today", "Due tomorrow",
/// "Due Friday" within the week, "Overdue: Mon 30 Nov" for a task still to do), and in full.
fn due_text(
    date: NaiveDate,
    time: Option<NaiveTime>,
    today: NaiveDate,
    completed: bool,
) -> (String, String) {
    let mut absolute = date.format("%a %-d %b %Y").to_string();
    let short = if date.year() == today.year() {
        date.format("%a %-d %b").to_string()
    } else {
        absolute.clone()
    };
    let mut shown = match (date - today).num_days() {
        0 => "Due today".to_owned(),
        1 => "Due tomorrow".to_owned(),
        2..=6 => format!("Due {}", date.format("%A")),
        days if days < 0 && !completed => format!("Overdue: {short}"),
        _ => format!("Due {short}"),
    };
    if let Some(time) = time {
        let at = time.format(", %H:%M").to_string();
        shown.push_str(&at);
        absolute.push_str(&at);
    }
    (shown, absolute)
}

#[cfg(test)]
mod tests {
    use chrono::{NaiveDate, NaiveTime};

    use super::*;

    fn task() -> Task {
        crate::domain::sample("Pay rent", None, false)
    }

    fn date(y: i32, m: u32, d: u32) -> Option<NaiveDate> {
        NaiveDate::from_ymd_opt(y, m, d)
    }

    /// Wednesday 2 December 2026.
    fn today() -> NaiveDate {
        date(2026, 12, 2).expect("a date")
    }

    fn shown(task: &Task) -> Vec<String> {
        meta(task, None, today())
            .into_iter()
            .map(|(text, _)| text)
            .collect()
    }

    #[test]
    fn the_line_under_a_title_names_what_is_set() {
        assert!(meta(&task(), None, today()).is_empty());
        assert_eq!(
            meta(&task(), Some("Home".into()), today()),
            [("#Home".to_owned(), None)]
        );
        let full = Task {
            labels: vec!["bills".into(), "rent".into()],
            priority: 3,
            due_date: date(2026, 12, 3),
            due_time: NaiveTime::from_hms_opt(9, 0, 0),
            ..task()
        };
        assert_eq!(
            meta(&full, None, today()),
            [
                ("High priority".to_owned(), None),
                (
                    "Due tomorrow, 09:00".to_owned(),
                    Some("Thu 3 Dec 2026, 09:00".to_owned())
                ),
                ("@bills @rent".to_owned(), None),
            ]
        );
    }

    #[test]
    fn due_dates_read_relative_to_the_users_day() {
        let due = |y, m, d| {
            shown(&Task {
                due_date: date(y, m, d),
                ..task()
            })
        };
        assert_eq!(due(2026, 12, 2), ["Due today"]);
        assert_eq!(due(2026, 12, 3), ["Due tomorrow"]);
        assert_eq!(due(2026, 12, 4), ["Due Friday"]);
        assert_eq!(due(2026, 12, 8), ["Due Tuesday"]);
        assert_eq!(due(2026, 12, 9), ["Due Wed 9 Dec"]);
        assert_eq!(due(2027, 1, 1), ["Due Fri 1 Jan 2027"]);
        assert_eq!(due(2026, 11, 30), ["Overdue: Mon 30 Nov"]);
        assert_eq!(due(2025, 12, 31), ["Overdue: Wed 31 Dec 2025"]);
        let done = Task {
            due_date: date(2026, 11, 30),
            completed: true,
            ..task()
        };
        assert_eq!(shown(&done), ["Due Mon 30 Nov"], "done is not overdue");
    }
}
