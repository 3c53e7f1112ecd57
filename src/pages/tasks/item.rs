//! One task in the list: its toggle, text, edit link and delete button.

use leptos::ev::{MouseEvent, SubmitEvent};
use leptos::prelude::*;
use leptos::server_fn::ServerFn;
use leptos::task::spawn_local;

use super::edit_form::EditTaskForm;
use super::state::ListState;
use super::urls::tasks_url;
use crate::domain::Task;
use crate::error::AppError;
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
            state.set_busy(id, true);
            spawn_local(async move {
                match toggle_task(id.to_string()).await {
                    Ok(saved) => state.replace(saved),
                    Err(AppError::NotFound) => {
                        state.remove(id);
                        state.on_error.run(AppError::NotFound);
                    }
                    Err(err) => {
                        state.replace(before.clone());
                        state.on_error.run(err);
                    }
                }
                state.set_busy(id, false);
            });
        }
    };
    let on_delete = move |ev: SubmitEvent| {
        ev.prevent_default();
        state.notice.set(None);
        state.set_busy(id, true);
        spawn_local(async move {
            match delete_task(id.to_string()).await {
                Ok(()) | Err(AppError::NotFound) => state.remove(id),
                Err(err) => state.on_error.run(err),
            }
            state.set_busy(id, false);
        });
    };
    let on_edit = move |ev: MouseEvent| {
        ev.prevent_default();
        state.notice.set(None);
        state.editing.set(Some(id));
    };
    let edit_href = move || {
        tasks_url(
            state.filter.get(),
            &state.q.get(),
            state.cursor.get().as_deref(),
            Some(id),
        )
    };
    let completed = task.completed;
    let title = task.title.clone();
    let title_for_labels = task.title.clone();
    let description = task.description.clone();
    view! {
        <li data-testid="task" class="task" class:completed=completed class:busy=busy>
            <Show
                when=editing
                fallback={
                    let title_id = title_id.clone();
                    let title = title.clone();
                    let title_for_labels = title_for_labels.clone();
                    let description = description.clone();
                    let on_toggle = on_toggle.clone();
                    move || {
                        let title_id = title_id.clone();
                        view! {
                            <form method="post" action=ToggleTask::url() on:submit=on_toggle.clone() class="toggle">
                                <input type="hidden" name="id" value=id.to_string()/>
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
                            </div>
                            <div class="actions">
                                // On a phone the words give way to icons (style/main.css): one row
                                // per task, and the accessible names stay the same.
                                <a class="button quiet edit" href=edit_href on:click=on_edit>
                                    "Edit" <span class="visually-hidden">" “" {title_for_labels.clone()} "”"</span>
                                </a>
                                <form method="post" action=DeleteTask::url() on:submit=on_delete>
                                    <input type="hidden" name="id" value=id.to_string()/>
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
