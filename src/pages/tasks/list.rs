//! The list of tasks with its empty states and "Load more".

use leptos::ev::MouseEvent;
use leptos::prelude::*;
use leptos::task::spawn_local;

use super::item::TaskItem;
use super::state::ListState;
use super::urls::tasks_url;
use crate::domain::TaskFilter;
use crate::server_fns::tasks::list_tasks;

/// The tasks of the current view, newest first, with an empty state per filter and "Load more".
#[component]
pub(super) fn TaskList(state: ListState) -> AnyView {
    let loading_more = RwSignal::new(false);
    let visible = move || {
        let filter = state.filter.get();
        state
            .tasks
            .get()
            .into_iter()
            .filter(|task| filter.shows(task))
            .collect::<Vec<_>>()
    };
    // Whether the view shows anything, without copying the list as `visible` does.
    let any_visible = move || {
        let filter = state.filter.get();
        state
            .tasks
            .with(|tasks| tasks.iter().any(|task| filter.shows(task)))
    };
    let empty_message = move || {
        let q = state.q.get();
        if !q.is_empty() {
            return format!("No tasks match “{q}”.");
        }
        match state.filter.get() {
            TaskFilter::All => "No tasks yet. Add your first one above.".to_owned(),
            TaskFilter::Active => "Nothing left to do.".to_owned(),
            TaskFilter::Completed => "No completed tasks yet.".to_owned(),
        }
    };
    let load_more = move |ev: MouseEvent| {
        ev.prevent_default();
        let Some(cursor) = state.next.get_untracked() else {
            return;
        };
        loading_more.set(true);
        let filter = state.filter.get_untracked();
        let q = state.q.get_untracked();
        spawn_local(async move {
            let result = list_tasks(
                Some(filter.as_str().to_owned()),
                (!q.is_empty()).then_some(q),
                Some(cursor),
            )
            .await;
            match result {
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
                Err(err) => state.on_error.run(err),
            }
            loading_more.set(false);
        });
    };
    view! {
        <Show
            when=any_visible
            fallback=move || view! { <p class="empty" data-testid="empty">{empty_message}</p> }
        >
            <ul class="task-list" aria-label="Tasks">
                <For
                    each=visible
                    // Every write moves a task's version; `completed` flips alone while a toggle is
                    // on its way (shown at once, its version still the old one).
                    key=|task| (task.id, task.version, task.completed)
                    children=move |task| view! { <TaskItem task state/> }
                />
            </ul>
        </Show>
        <div class="pager">
            {move || state.cursor.get().map(|_| view! {
                <a href=tasks_url(state.filter.get(), &state.q.get(), None, None)>"Back to the newest"</a>
            })}
            {move || state.next.get().map(|next| view! {
                <a
                    class="button"
                    href=tasks_url(state.filter.get(), &state.q.get(), Some(&next), None)
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
