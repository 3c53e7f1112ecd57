use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::Redirect;
use leptos_router::hooks::use_location;

use crate::domain::encode_query_value;
use crate::domain::Task;
use crate::server_fns::auth::{current_user, Logout};
use crate::server_fns::tasks::list_tasks;

/// The signed-in user's page (the task manager itself comes with its own issue). Without a
/// valid session it redirects to the sign-in page while rendering on the server, so nothing of
/// it is ever shown to a signed-out visitor.
#[component]
pub fn TasksPage() -> impl IntoView {
    let user = Resource::new_blocking(|| (), |()| current_user());
    let logout = ServerAction::<Logout>::new();
    let location = use_location();
    let sign_in = move || {
        // `search` comes without its leading `?`.
        let search = location.search.get_untracked();
        let mut here = location.pathname.get_untracked();
        if !search.is_empty() {
            here.push('?');
            here.push_str(&search);
        }
        format!("/login?next={}", encode_query_value(&here))
    };
    view! {
        <Title text="Tasks · Taskdeck"/>
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                match user.await {
                    Ok(Some(user)) => view! {
                        <section class="signed-in">
                            <h1>"Your tasks"</h1>
                            <p data-testid="signed-in-as">"Signed in as " <strong>{user.email}</strong></p>
                            <ActionForm action=logout>
                                <button type="submit" disabled=move || logout.pending().get()>"Sign out"</button>
                            </ActionForm>
                            <TaskList/>
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

/// The user's tasks, newest first.
#[component]
fn TaskList() -> impl IntoView {
    let tasks = Resource::new_blocking(|| (), |()| list_tasks());
    view! {
        <Suspense fallback=|| view! { <p>"Loading your tasks…"</p> }>
            {move || Suspend::new(async move {
                match tasks.await {
                    Ok(tasks) if tasks.is_empty() => {
                        view! { <p class="empty" data-testid="empty">"No tasks yet."</p> }.into_any()
                    }
                    Ok(tasks) => view! {
                        <ul class="task-list" aria-label="Your tasks">
                            {tasks.into_iter().map(|task| view! { <TaskItem task/> }).collect_view()}
                        </ul>
                    }
                    .into_any(),
                    // Unauthorized shows as "Please sign in again."
                    Err(err) => view! { <p class="form-error" role="alert">{err.to_string()}</p> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn TaskItem(task: Task) -> impl IntoView {
    view! {
        <li data-testid="task" class:completed=task.completed>
            <span class="title">{task.title}</span>
            {task.description.map(|text| view! { <p class="description">{text}</p> })}
        </li>
    }
}
