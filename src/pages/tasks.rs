//! `/tasks`: the task manager. Rendered on the server for the URL's filter and search, then
//! hydrated. Every control is a real form or link, so the page works without JavaScript (each
//! action posts and lands back on the same view); with JavaScript the same forms are handled in
//! place: nothing reloads, and toggles show at once and roll back if the server refuses.

use leptos::ev::{KeyboardEvent, MouseEvent, SubmitEvent};
use leptos::prelude::*;
use leptos::server_fn::ServerFn;
use leptos::task::spawn_local;
use leptos_meta::Title;
use leptos_router::components::Redirect;
use leptos_router::hooks::{use_location, use_navigate, use_query_map};
use uuid::Uuid;

use crate::components::FormError;
use crate::domain::{
    encode_query_value, matches_search, NewTask, Task, TaskFilter, TaskInput, TaskPage,
};
use crate::error::AppError;
use crate::server_fns::auth::{current_user, Logout};
use crate::server_fns::tasks::{
    clear_completed, create_task, delete_task, list_tasks, toggle_task, update_task,
    ClearCompleted, CreateTask, DeleteTask, ToggleTask, UpdateTask,
};

/// `/tasks` with these settings; what tabs, links and redirects point at.
fn tasks_url(filter: TaskFilter, q: &str, cursor: Option<&str>, edit: Option<Uuid>) -> String {
    let mut query = Vec::new();
    if filter != TaskFilter::All {
        query.push(format!("filter={}", filter.as_str()));
    }
    if !q.is_empty() {
        query.push(format!("q={}", encode_query_value(q)));
    }
    if let Some(cursor) = cursor {
        query.push(format!("cursor={}", encode_query_value(cursor)));
    }
    if let Some(id) = edit {
        query.push(format!("edit={id}"));
    }
    if query.is_empty() {
        "/tasks".to_owned()
    } else {
        format!("/tasks?{}", query.join("&"))
    }
}

/// The current page as a sign-in `next`, without a failed form's error parameters.
fn here(pathname: &str, search: &str) -> String {
    let kept: Vec<&str> = search
        .split('&')
        .filter(|pair| {
            !pair.is_empty() && !pair.starts_with("__path=") && !pair.starts_with("__err=")
        })
        .collect();
    if kept.is_empty() {
        pathname.to_owned()
    } else {
        format!("{pathname}?{}", kept.join("&"))
    }
}

fn sign_in_url(next: &str) -> String {
    format!("/login?next={}", encode_query_value(next))
}

/// The signed-in user's page. Without a valid session it redirects to the sign-in page while
/// rendering on the server, so nothing of it is ever shown to a signed-out visitor.
#[component]
pub fn TasksPage() -> impl IntoView {
    let user = Resource::new_blocking(|| (), |()| current_user());
    let logout = ServerAction::<Logout>::new();
    let location = use_location();
    let sign_in = move || {
        sign_in_url(&here(
            &location.pathname.get_untracked(),
            &location.search.get_untracked(),
        ))
    };
    view! {
        <Title text="Tasks · Taskdeck"/>
        // The page's content as one `Suspend`, not a closure making one: the server renders a
        // closure child of `Suspense` twice, and each run built the whole task manager again,
        // with its own load of the list (two more statements and twice the rendering per page).
        // The signed-in user does not change while the page is open, so nothing here needs to
        // re-run.
        <Suspense fallback=|| ()>
            {Suspend::new(async move {
                match user.await {
                    Ok(Some(user)) => view! {
                        <section class="tasks-page">
                            <div class="account">
                                <p data-testid="signed-in-as">"Signed in as " <strong>{user.email}</strong></p>
                                <ActionForm action=logout>
                                    <button type="submit" class="quiet" disabled=move || logout.pending().get()>
                                        {move || if logout.pending().get() { "Signing out…" } else { "Sign out" }}
                                    </button>
                                </ActionForm>
                            </div>
                            <h1>"Your tasks"</h1>
                            <TaskManager/>
                        </section>
                    }
                    .into_any(),
                    Ok(None) => view! { <Redirect path=sign_in()/> }.into_any(),
                    Err(err) => view! { <p class="form-error" role="alert">{err.to_string()}</p> }.into_any(),
                }
            })}
        </Suspense>
    }
}

/// The list's state in the browser: the page from the server, then changed in place.
#[derive(Clone, Copy)]
struct ListState {
    tasks: RwSignal<Vec<Task>>,
    next: RwSignal<Option<String>>,
    active: RwSignal<i64>,
    completed: RwSignal<i64>,
    /// Tasks with a request in flight (their buttons show it).
    busy: RwSignal<Vec<Uuid>>,
    /// The task being edited in place.
    editing: RwSignal<Option<Uuid>>,
    /// A message about the last failed action, announced.
    notice: RwSignal<Option<String>>,
    filter: Memo<TaskFilter>,
    q: Memo<String>,
    cursor: Memo<Option<String>>,
    /// What to do with an error: a lost session goes to sign-in, the rest is announced.
    on_error: Callback<AppError>,
}

/// What outlives one loaded page: the URL's settings and where errors go.
#[derive(Clone, Copy)]
struct Shared {
    notice: RwSignal<Option<String>>,
    filter: Memo<TaskFilter>,
    q: Memo<String>,
    cursor: Memo<Option<String>>,
    on_error: Callback<AppError>,
}

impl ListState {
    /// Fresh signals for each loaded page, owned by the view that shows it: a new page never
    /// writes into signals that the previous page's (disposed) view still listens to.
    fn new(page: TaskPage, shared: Shared, editing: Option<Uuid>) -> Self {
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
        }
    }

    fn set_busy(&self, id: Uuid, busy: bool) {
        self.busy.update(|ids| {
            ids.retain(|other| *other != id);
            if busy {
                ids.push(id);
            }
        });
    }

    fn is_busy(&self, id: Uuid) -> bool {
        self.busy.with(|ids| ids.contains(&id))
    }

    /// Where a plain form post of this view returns (without the edit mode).
    fn back(&self) -> String {
        tasks_url(
            self.filter.get_untracked(),
            &self.q.get_untracked(),
            self.cursor.get_untracked().as_deref(),
            None,
        )
    }

    /// Replaces a task in the list with the server's version, adjusting the counts.
    fn replace(&self, task: Task) {
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

    fn remove(&self, id: Uuid) {
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

#[component]
fn TaskManager() -> impl IntoView {
    let query = use_query_map();
    let filter = Memo::new(move |_| TaskFilter::parse(query.read().get("filter").as_deref()));
    let q = Memo::new(move |_| query.read().get("q").unwrap_or_default().trim().to_owned());
    let cursor = Memo::new(move |_| query.read().get("cursor").filter(|c| !c.is_empty()));
    // `?edit=<id>`: the no-JavaScript way into a task's edit form.
    let edit_param = move || {
        query
            .read_untracked()
            .get("edit")
            .and_then(|id| Uuid::parse_str(&id).ok())
    };

    let navigate = use_navigate();
    let location = use_location();
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
        filter,
        q,
        cursor,
        on_error,
    };
    // The list currently shown, for the add form (outside the list's transition) to add to.
    let current = StoredValue::new(None::<ListState>);

    let page = Resource::new_blocking(
        move || (filter.get(), q.get(), cursor.get()),
        |(filter, q, cursor)| {
            list_tasks(
                Some(filter.as_str().to_owned()),
                (!q.is_empty()).then_some(q),
                cursor,
            )
        },
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
                        let message = err.field("q").unwrap_or_else(|| err.to_string());
                        view! { <p class="form-error" role="alert">{message}</p> }.into_any()
                    }
                }
            })}
        </Transition>
    }
}

/// The add form: title and optional description. Checked in the browser with the same domain
/// types as on the server before anything is sent.
#[component]
fn AddTaskForm(
    shared: Shared,
    current: StoredValue<Option<ListState>>,
    reload: Callback<()>,
) -> AnyView {
    let posted = ServerAction::<CreateTask>::new();
    let error = RwSignal::new(None::<AppError>);
    let pending = RwSignal::new(false);
    let title_ref = NodeRef::<leptos::html::Input>::new();
    let description_ref = NodeRef::<leptos::html::Textarea>::new();
    let shown_error = Signal::derive(move || {
        error
            .get()
            .or_else(|| posted.value().get().and_then(Result::err))
    });

    let on_submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        let (Some(title_input), Some(description_input)) =
            (title_ref.get_untracked(), description_ref.get_untracked())
        else {
            return;
        };
        let title = title_input.value();
        let description = description_input.value();
        posted.value().set(None);
        let input = TaskInput {
            title: title.clone(),
            description: Some(description.clone()),
            completed: false,
        };
        if let Err(errors) = NewTask::try_from(input) {
            error.set(Some(AppError::Validation(errors)));
            let _ = title_input.focus();
            return;
        }
        error.set(None);
        pending.set(true);
        // Cleared at once, so the next task can be typed while this one is saved; put back if
        // the server refuses it (unless something new was typed meanwhile).
        title_input.set_value("");
        description_input.set_value("");
        spawn_local(async move {
            let result = create_task(title.clone(), Some(description.clone())).await;
            if result.is_err() && title_input.value().is_empty() {
                title_input.set_value(&title);
                description_input.set_value(&description);
            }
            match result {
                Ok(task) => match current.get_value() {
                    Some(state) => {
                        state.active.update(|n| *n += 1);
                        let q = state.q.get_untracked();
                        if state.filter.get_untracked().shows(&task) && matches_search(&task, &q) {
                            state.tasks.update(|tasks| tasks.insert(0, task));
                        }
                    }
                    // Added before the list arrived (right after a client-side navigation): a
                    // load already in flight may not hold it, so load again.
                    None => reload.run(()),
                },
                Err(AppError::Validation(errors)) => error.set(Some(AppError::Validation(errors))),
                Err(err) => shared.on_error.run(err),
            }
            pending.set(false);
        });
    };

    let title_error = Signal::derive(move || shown_error.get().and_then(|e| e.field("title")));
    let description_error =
        Signal::derive(move || shown_error.get().and_then(|e| e.field("description")));
    view! {
        <form class="add-task" method="post" action=CreateTask::url() on:submit=on_submit>
            <div class="field">
                <label for="new-title">"New task"</label>
                <input
                    id="new-title"
                    name="title"
                    type="text"
                    placeholder="What needs doing?"
                    autocomplete="off"
                    node_ref=title_ref
                    aria-invalid=move || title_error.get().is_some().then_some("true")
                    aria-describedby=move || title_error.get().is_some().then_some("new-title-error")
                />
                <FieldMessage id="new-title-error" message=title_error/>
            </div>
            <div class="field">
                <label for="new-description">"Notes " <span class="optional">"(optional)"</span></label>
                <textarea
                    id="new-description"
                    name="description"
                    rows="2"
                    node_ref=description_ref
                    aria-invalid=move || description_error.get().is_some().then_some("true")
                    aria-describedby=move || description_error.get().is_some().then_some("new-description-error")
                ></textarea>
                <FieldMessage id="new-description-error" message=description_error/>
            </div>
            <button type="submit" class="primary" disabled=move || pending.get()>
                {move || if pending.get() { "Adding…" } else { "Add task" }}
            </button>
        </form>
    }
    .into_any()
}

/// An inline error under a field, announced when it appears.
#[component]
fn FieldMessage(id: &'static str, #[prop(into)] message: Signal<Option<String>>) -> impl IntoView {
    move || {
        message
            .get()
            .map(|message| view! { <p class="field-error" id=id role="alert">{message}</p> })
    }
}

/// Filter tabs and search. Outside the list's transition, so that loading another view never
/// replaces what the user is typing.
#[component]
fn ViewControls(shared: Shared) -> AnyView {
    // With JavaScript, a search is a client-side navigation to the same URL the form would load.
    let navigate = use_navigate();
    let search_ref = NodeRef::<leptos::html::Input>::new();
    let on_search = move |ev: SubmitEvent| {
        ev.prevent_default();
        let q = search_ref
            .get_untracked()
            .map(|input| input.value())
            .unwrap_or_default();
        navigate(
            &tasks_url(shared.filter.get_untracked(), q.trim(), None, None),
            Default::default(),
        );
    };
    view! {
        <div class="toolbar">
            <nav class="filters" aria-label="Show tasks">
                {TaskFilter::ALL
                    .into_iter()
                    .map(|tab| {
                        view! {
                            <a
                                href=move || tasks_url(tab, &shared.q.get(), None, None)
                                aria-current=move || (shared.filter.get() == tab).then_some("page")
                            >
                                {tab.label()}
                            </a>
                        }
                    })
                    .collect_view()}
            </nav>
            <form method="get" action="/tasks" class="search" role="search" on:submit=on_search>
                {move || {
                    let filter = shared.filter.get();
                    (filter != TaskFilter::All)
                        .then(|| view! { <input type="hidden" name="filter" value=filter.as_str()/> })
                }}
                <label for="search" class="visually-hidden">"Search tasks"</label>
                <input
                    id="search"
                    name="q"
                    type="search"
                    placeholder="Search"
                    node_ref=search_ref
                    prop:value=move || shared.q.get()
                    value=move || shared.q.get()
                />
                <button type="submit">"Search"</button>
            </form>
        </div>
    }
    .into_any()
}

/// The active count and "Clear completed".
#[component]
fn Toolbar(state: ListState) -> AnyView {
    let clearing = RwSignal::new(false);
    let on_clear = move |ev: SubmitEvent| {
        ev.prevent_default();
        clearing.set(true);
        state.notice.set(None);
        spawn_local(async move {
            match clear_completed().await {
                Ok(_) => {
                    state.tasks.update(|tasks| tasks.retain(|t| !t.completed));
                    state.completed.set(0);
                }
                Err(err) => state.on_error.run(err),
            }
            clearing.set(false);
        });
    };
    let active_label = move || match state.active.get() {
        1 => "1 task left".to_owned(),
        n => format!("{n} tasks left"),
    };
    view! {
        <div class="toolbar">
            <p class="count" data-testid="active-count" aria-live="polite">{active_label}</p>
            <Show when=move || { state.completed.get() > 0 }>
                <form method="post" action=ClearCompleted::url() on:submit=on_clear>
                    <button type="submit" class="quiet" disabled=move || clearing.get()>
                        {move || {
                            if clearing.get() {
                                "Clearing…".to_owned()
                            } else {
                                format!("Clear completed ({})", state.completed.get())
                            }
                        }}
                    </button>
                </form>
            </Show>
        </div>
    }
    .into_any()
}

/// The tasks of the current view, newest first, with an empty state per filter and "Load more".
#[component]
fn TaskList(state: ListState) -> AnyView {
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
                    key=|task| (task.id, task.completed, task.title.clone(), task.description.clone())
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

#[component]
fn TaskItem(task: Task, state: ListState) -> AnyView {
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
                                <a class="button quiet" href=edit_href on:click=on_edit>
                                    "Edit" <span class="visually-hidden">" “" {title_for_labels.clone()} "”"</span>
                                </a>
                                <form method="post" action=DeleteTask::url() on:submit=on_delete>
                                    <input type="hidden" name="id" value=id.to_string()/>
                                    <button type="submit" class="quiet danger" disabled=busy>
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

/// Inline edit: Enter in the title saves, Escape cancels (as does "Cancel", a link back to the
/// list for the no-JavaScript page).
#[component]
fn EditTaskForm(task: Task, state: ListState) -> AnyView {
    let id = task.id;
    let posted = ServerAction::<UpdateTask>::new();
    let error = RwSignal::new(None::<AppError>);
    let pending = RwSignal::new(false);
    let title_ref = NodeRef::<leptos::html::Input>::new();
    let description_ref = NodeRef::<leptos::html::Textarea>::new();
    let shown_error = Signal::derive(move || {
        error.get().or_else(|| {
            posted
                .value()
                .get()
                .and_then(Result::err)
                .filter(|_| state.editing.get_untracked() == Some(id))
        })
    });
    // Focus the title when the form opens, so the keyboard can go straight on.
    Effect::new(move |_| {
        if let Some(input) = title_ref.get() {
            let _ = input.focus();
        }
    });

    let cancel = move || {
        error.set(None);
        posted.value().set(None);
        state.editing.set(None);
    };
    let on_submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        let (Some(title_input), Some(description_input)) =
            (title_ref.get_untracked(), description_ref.get_untracked())
        else {
            return;
        };
        let title = title_input.value();
        let description = description_input.value();
        let input = TaskInput {
            title: title.clone(),
            description: Some(description.clone()),
            completed: false,
        };
        if let Err(errors) = NewTask::try_from(input) {
            error.set(Some(AppError::Validation(errors)));
            return;
        }
        error.set(None);
        pending.set(true);
        spawn_local(async move {
            match update_task(id.to_string(), title, Some(description), None).await {
                Ok(task) => {
                    state.editing.set(None);
                    state.replace(task);
                }
                Err(AppError::Validation(errors)) => error.set(Some(AppError::Validation(errors))),
                Err(AppError::NotFound) => {
                    state.editing.set(None);
                    state.remove(id);
                    state.on_error.run(AppError::NotFound);
                }
                Err(err) => state.on_error.run(err),
            }
            pending.set(false);
        });
    };
    let on_keydown = move |ev: KeyboardEvent| {
        if ev.key() == "Escape" {
            ev.prevent_default();
            cancel();
        }
    };
    let title_error = Signal::derive(move || shown_error.get().and_then(|e| e.field("title")));
    let description_error =
        Signal::derive(move || shown_error.get().and_then(|e| e.field("description")));
    let title_field = format!("edit-title-{id}");
    let description_field = format!("edit-description-{id}");
    let title_error_id = format!("edit-title-error-{id}");
    let description_error_id = format!("edit-description-error-{id}");
    view! {
        <form
            class="edit-task"
            method="post"
            action=UpdateTask::url()
            on:submit=on_submit
            on:keydown=on_keydown
            aria-label="Edit task"
        >
            <input type="hidden" name="id" value=id.to_string()/>
            <input type="hidden" name="back" value=state.back()/>
            <div class="field">
                <label for=title_field.clone()>"Title"</label>
                <input
                    id=title_field
                    name="title"
                    type="text"
                    value=task.title.clone()
                    node_ref=title_ref
                    aria-invalid=move || title_error.get().is_some().then_some("true")
                    aria-describedby={
                        let id = title_error_id.clone();
                        move || title_error.get().is_some().then(|| id.clone())
                    }
                />
                {
                    let id = title_error_id.clone();
                    move || title_error.get().map(|m| view! { <p class="field-error" id=id.clone() role="alert">{m}</p> })
                }
            </div>
            <div class="field">
                <label for=description_field.clone()>"Notes"</label>
                <textarea id=description_field name="description" rows="2" node_ref=description_ref>
                    {task.description.clone().unwrap_or_default()}
                </textarea>
                {
                    let id = description_error_id.clone();
                    move || description_error.get().map(|m| view! { <p class="field-error" id=id.clone() role="alert">{m}</p> })
                }
            </div>
            <div class="actions">
                <button type="submit" class="primary" disabled=move || pending.get()>
                    {move || if pending.get() { "Saving…" } else { "Save" }}
                </button>
                <a
                    class="button quiet"
                    href=state.back()
                    on:click=move |ev: MouseEvent| {
                        ev.prevent_default();
                        cancel();
                    }
                >
                    "Cancel"
                </a>
            </div>
        </form>
    }
    .into_any()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::FieldError;

    #[test]
    fn urls_carry_only_what_differs_from_the_default() {
        assert_eq!(tasks_url(TaskFilter::All, "", None, None), "/tasks");
        assert_eq!(
            tasks_url(TaskFilter::Active, "oat milk", Some("1_a_b"), None),
            "/tasks?filter=active&q=oat%20milk&cursor=1_a_b"
        );
    }

    #[test]
    fn sign_in_returns_without_a_failed_posts_error() {
        assert_eq!(
            here("/tasks", "filter=active&__path=%2Frpc&__err=abc"),
            "/tasks?filter=active"
        );
        assert_eq!(here("/tasks", ""), "/tasks");
    }

    #[test]
    fn field_errors_come_from_the_domain_types() {
        let errors = NewTask::try_from(TaskInput {
            title: " ".into(),
            description: None,
            completed: false,
        })
        .unwrap_err();
        assert_eq!(errors, vec![FieldError::new("title", "must not be empty")]);
    }
}
