//! The filter tabs and the search form.

use leptos::ev::SubmitEvent;
use leptos::prelude::*;
use leptos_router::hooks::use_navigate;

use super::state::Shared;
use super::urls::tasks_url;
use crate::domain::TaskFilter;

/// Filter tabs and search. Outside the list's transition, so that loading another view never
/// replaces what the user is typing.
#[component]
pub(super) fn ViewControls(shared: Shared) -> AnyView {
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
