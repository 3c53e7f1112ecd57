//! `/tasks`: the task manager. Rendered on the server for the URL's filter and search, then
//! hydrated. Every control is a real form or link, so the page works without JavaScript (each
//! action posts and lands back on the same view); with JavaScript the same forms are handled in
//! place: nothing reloads, and toggles show at once and roll back if the server refuses.

mod add_form;
mod edit_form;
mod form;
mod item;
mod list;
mod live;
mod manager;
mod sidebar;
mod state;
mod toolbar;
mod urls;
mod view_controls;

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::Redirect;
use leptos_router::hooks::use_location;

use crate::domain::{ProjectFilter, TaskView, ViewKind};
use crate::server_fns::auth::{current_user, Logout};
use crate::server_fns::organise::sidebar_lists;
use manager::TaskManager;
use sidebar::SideNav;
use state::Sidebar;
use urls::{here, sign_in_url};

/// The signed-in user's page. Without a valid session it redirects to the sign-in page while
/// rendering on the server, so nothing of it is ever shown to a signed-out visitor.
#[component]
pub fn TasksPage() -> impl IntoView {
    let user = Resource::new_blocking(|| (), |()| current_user());
    let first_lists = Resource::new_blocking(|| (), |()| sidebar_lists());
    let logout = ServerAction::<Logout>::new();
    // From the click on "Sign out" on, the page follows no more changes (a read then would only
    // meet the ended session).
    let signing_out =
        Signal::derive(move || logout.pending().get() || logout.value().with(Option::is_some));
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
                let (user, first_lists) = (user.await, first_lists.await);
                match user {
                    Ok(Some(user)) => {
                        let sidebar = sidebar_state(first_lists.unwrap_or_default());
                        provide_context(sidebar);
                        let view = current_view();
                        view! {
                        <section class="tasks-page">
                            <div class="account">
                                <p data-testid="signed-in-as">"Signed in as " <strong>{user.email}</strong></p>
                                <a href="/settings">"Settings"</a>
                                <ActionForm action=logout>
                                    <button type="submit" class="quiet" disabled=move || logout.pending().get()>
                                        {move || if logout.pending().get() { "Signing out…" } else { "Sign out" }}
                                    </button>
                                </ActionForm>
                            </div>
                            <div class="workspace">
                                <SideNav sidebar view/>
                                <div class="content">
                                    <h1>{move || heading(&view.read(), &sidebar.lists.read())}</h1>
                                    <TaskManager view signing_out/>
                                </div>
                            </div>
                        </section>
                    }
                    .into_any()},
                    Ok(None) => view! { <Redirect path=sign_in()/> }.into_any(),
                    Err(err) => view! { <p class="form-error" role="alert">{err.to_string()}</p> }.into_any(),
                }
            })}
        </Suspense>
    }
}

/// The sidebar's lists as the page was rendered, read again whenever something changes them.
fn sidebar_state(first: crate::domain::Lists) -> Sidebar {
    let lists = RwSignal::new(first);
    let reload = Callback::new(move |()| {
        leptos::task::spawn_local(async move {
            if let Ok(fresh) = sidebar_lists().await {
                lists.try_set(fresh);
            }
        });
    });
    Sidebar { lists, reload }
}

/// The view the URL names.
fn current_view() -> Memo<TaskView> {
    let query = leptos_router::hooks::use_query_map();
    let location = use_location();
    Memo::new(move |_| {
        let kind = ViewKind::from_path(&location.pathname.read());
        let query = query.read();
        let pairs = TaskView::PARAMETERS
            .into_iter()
            .filter_map(|name| Some((name, query.get_str(name)?)));
        TaskView::parse(kind, pairs)
    })
}

/// The page's heading: the view's name.
fn heading(view: &TaskView, lists: &crate::domain::Lists) -> String {
    match (view.kind, view.project, &view.label) {
        (ViewKind::Today, ..) => "Today".to_owned(),
        (ViewKind::Upcoming, ..) => "Upcoming".to_owned(),
        (_, Some(ProjectFilter::Inbox), _) => "Inbox".to_owned(),
        (_, Some(ProjectFilter::Project(id)), _) => lists
            .project(id)
            .map_or_else(|| "Project".to_owned(), |p| p.name.clone()),
        (_, None, Some(label)) => format!("@{label}"),
        _ => "Your tasks".to_owned(),
    }
}
