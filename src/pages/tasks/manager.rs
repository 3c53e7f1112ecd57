//! The task manager: reads the view from the URL, loads the page, and lays out its parts.

use leptos::prelude::*;
use leptos_router::hooks::{use_location, use_navigate, use_query_map};
use uuid::Uuid;

use super::add_form::AddTaskForm;
use super::list::TaskList;
use super::state::{ListState, Shared};
use super::toolbar::Toolbar;
use super::urls::{here, sign_in_url};
use super::view_controls::ViewControls;
use crate::components::FormError;
use crate::domain::TaskView;
use crate::error::AppError;
use crate::server_fns::tasks::{list_tasks, ClearCompleted, DeleteTask, ToggleTask};

#[component]
pub(super) fn TaskManager(view: Memo<TaskView>, signing_out: Signal<bool>) -> impl IntoView {
    let query = use_query_map();
    let location = use_location();
    let cursor = Memo::new(move |_| query.read().get("cursor").filter(|c| !c.is_empty()));
    // `?edit=<id>`: the no-JavaScript way into a task's edit form.
    let edit_param = move || {
        query
            .read_untracked()
            .get("edit")
            .and_then(|id| Uuid::parse_str(&id).ok())
    };

    let navigate = use_navigate();
    let notice = RwSignal::new(None::<String>);
    let on_error = Callback::new(move |err: AppError| {
        if err == AppError::Unauthorized {
            let next = here(
                &location.pathname.get_untracked(),
                &location.search.get_untracked(),
            );
            navigate(&sign_in_url(&next), Default::default());
        } else {
            notice.set(Some(err.to_string()));
        }
    });
    let shared = Shared {
        notice,
        view,
        cursor,
        on_error,
    };
    // The list currently shown, for the add form (outside the list's transition) to add to.
    let current = StoredValue::new(None::<ListState>);

    let page = Resource::new_blocking(
        move || (view.get(), cursor.get()),
        |(view, cursor)| list_tasks(Some(view.url(None, None)), cursor),
    );

    // Changes made elsewhere (another page, an API client) come into the list as they happen;
    // each list put in place is read up to date at once (an event that came while it loaded
    // went to the list before it).
    let loaded = Trigger::new();
    super::live::follow(
        current,
        loaded,
        signing_out,
        Callback::new(move |()| page.refetch()),
        on_error,
    );

    // Errors of plain form posts come back in the URL; these read them while rendering.
    let toggle_failed = ServerAction::<ToggleTask>::new();
    let delete_failed = ServerAction::<DeleteTask>::new();
    let clear_failed = ServerAction::<ClearCompleted>::new();
    let posted_error = move || {
        [
            toggle_failed.value().get().and_then(Result::err),
            delete_failed.value().get().and_then(Result::err),
            clear_failed.value().get().and_then(Result::err),
        ]
        .into_iter()
        .flatten()
        .next()
    };

    view! {
        <AddTaskForm shared current reload=Callback::new(move |()| page.refetch())/>
        <ViewControls shared/>
        <Transition fallback=|| view! { <p class="loading">"Loading your tasks…"</p> }>
            {move || Suspend::new(async move {
                match page.await {
                    // Everything that shows the page's data renders after it is loaded: a
                    // server-rendered page cannot change once it has been written out.
                    Ok(page) => {
                        let state = ListState::new(page, shared, edit_param());
                        current.set_value(Some(state));
                        loaded.notify();
                        view! {
                            <Toolbar state/>
                            <FormError message=Signal::derive(move || {
                                notice.get().or_else(|| posted_error().map(|e| e.to_string()))
                            })/>
                            <TaskList state/>
                        }
                        .into_any()
                    }
                    Err(err) => {
                        current.set_value(None);
                        let message = err.field("q").unwrap_or_else(|| err.to_string());
                        view! { <p class="form-error" role="alert">{message}</p> }.into_any()
                    }
                }
            })}
        </Transition>
    }
}
