//! The view's controls: the state tabs, and one form of filters (label, priority, due), sort and
//! search, all in the URL.

use leptos::ev::SubmitEvent;
use leptos::prelude::*;
use leptos_router::hooks::use_navigate;

use super::edit_form::priority_name;
use super::state::{Shared, Sidebar};
use crate::domain::{DueFilter, Priority, Sort, TaskFilter, TaskView, ViewKind};

/// Tabs, filters and search. Outside the list's transition, so that loading another view never
/// replaces what the user is typing. Without JavaScript the filters are a plain GET form (its
/// "Apply" button); with it, each choice applies at once.
#[component]
pub(super) fn ViewControls(shared: Shared) -> AnyView {
    let view = shared.view;
    let sidebar = use_context::<Sidebar>();
    let navigate = use_navigate();
    let form_ref = NodeRef::<leptos::html::Form>::new();
    let search_ref = NodeRef::<leptos::html::Input>::new();
    let label_ref = NodeRef::<leptos::html::Select>::new();
    let priority_ref = NodeRef::<leptos::html::Select>::new();
    let due_ref = NodeRef::<leptos::html::Select>::new();
    let sort_ref = NodeRef::<leptos::html::Select>::new();
    // The view the form's controls now describe, navigated to as the GET form would.
    let apply = move || {
        let select = |node: NodeRef<leptos::html::Select>| {
            node.get_untracked().map(|s| s.value()).unwrap_or_default()
        };
        let q = search_ref
            .get_untracked()
            .map(|input| input.value())
            .unwrap_or_default();
        let current = view.get_untracked();
        let (label, priority, due, sort) = (
            select(label_ref),
            select(priority_ref),
            select(due_ref),
            select(sort_ref),
        );
        let project = current.project.map(|p| p.encode());
        let pairs = [
            ("project", project.as_deref().unwrap_or_default()),
            ("label", label.as_str()),
            ("priority", priority.as_str()),
            ("due", due.as_str()),
            ("filter", current.filter.as_str()),
            ("q", q.as_str()),
            ("sort", sort.as_str()),
        ];
        let next = TaskView::parse(
            current.kind,
            pairs.into_iter().filter(|(_, v)| !v.is_empty()),
        );
        navigate(&next.url(None, None), Default::default());
    };
    let on_submit = {
        let apply = apply.clone();
        move |ev: SubmitEvent| {
            ev.prevent_default();
            apply();
        }
    };
    let on_change = move |_| apply();
    let labels = move || {
        sidebar
            .map(|s| {
                s.lists
                    .with(|l| l.labels.iter().map(|l| l.name.clone()).collect::<Vec<_>>())
            })
            .unwrap_or_default()
    };
    let is_list = move || view.with(|v| v.kind == ViewKind::List);
    let tab_view = move |tab: TaskFilter| {
        view.with(|v| TaskView {
            filter: tab,
            ..v.clone()
        })
        .url(None, None)
    };
    let sorts = move || {
        let has_project = view.with(|v| v.project.is_some());
        [Sort::Created, Sort::Due, Sort::Priority, Sort::Manual]
            .into_iter()
            .filter(move |s| *s != Sort::Manual || has_project)
    };
    let sort_name = |sort: Sort| match sort {
        Sort::Created => "Newest first",
        Sort::Due => "Due date",
        Sort::Priority => "Priority",
        Sort::Manual => "Manual order",
    };
    let due_name = |due: DueFilter| match due {
        DueFilter::None => "No due date",
        DueFilter::Any => "Has a due date",
        DueFilter::Overdue => "Overdue",
        DueFilter::Today => "Due today",
        DueFilter::Upcoming => "Due later",
    };
    // Built apart and erased (`into_any`): as one view the type grew past the compiler's
    // recursion limit in the release build.
    let tabs = view! {
            <Show when=is_list>
                <nav class="filters" aria-label="Show tasks">
                    {TaskFilter::ALL
                        .into_iter()
                        .map(|tab| {
                            view! {
                                <a
                                    href=move || tab_view(tab)
                                    aria-current=move || (view.with(|v| v.filter) == tab).then_some("page")
                                >
                                    {tab.label()}
                                </a>
                            }
                        })
                        .collect_view()}
                </nav>
            </Show>
    }
    .into_any();
    let fields = view! {
                <div class="filter-fields">
                    <label>
                        <span>"Label"</span>
                        <select name="label" node_ref=label_ref on:change=on_change.clone()>
                            <option value="">"Any"</option>
                            {move || {
                                let chosen = view.with(|v| v.label.clone());
                                labels()
                                    .into_iter()
                                    .map(|name| {
                                        let selected = chosen.as_deref().is_some_and(|c| c.eq_ignore_ascii_case(&name));
                                        view! { <option value=name.clone() selected=selected>{format!("@{name}")}</option> }
                                    })
                                    .collect_view()
                            }}
                        </select>
                    </label>
                    <label>
                        <span>"Priority"</span>
                        <select name="priority" node_ref=priority_ref on:change=on_change.clone()>
                            <option value="">"Any"</option>
                            {(0..=Priority::MAX)
                                .rev()
                                .map(|p| view! {
                                    <option value=p.to_string() selected=move || view.with(|v| v.priority == Some(p))>
                                        {priority_name(p)}
                                    </option>
                                })
                                .collect_view()}
                        </select>
                    </label>
                    <Show when=is_list>
                        <label>
                            <span>"Due"</span>
                            <select name="due" node_ref=due_ref on:change=on_change.clone()>
                                <option value="">"Any time"</option>
                                {[DueFilter::Overdue, DueFilter::Today, DueFilter::Upcoming, DueFilter::Any, DueFilter::None]
                                    .into_iter()
                                    .map(|due| view! {
                                        <option value=due.as_str() selected=move || view.with(|v| v.due == Some(due))>
                                            {due_name(due)}
                                        </option>
                                    })
                                    .collect_view()}
                            </select>
                        </label>
                        <label>
                            <span>"Sort"</span>
                            <select name="sort" node_ref=sort_ref on:change=on_change.clone()>
                                {move || sorts()
                                    .map(|sort| view! {
                                        <option value=sort.as_str() selected=move || view.with(|v| v.sort() == sort)>
                                            {sort_name(sort)}
                                        </option>
                                    })
                                    .collect_view()}
                            </select>
                        </label>
                    </Show>
                </div>
    }
    .into_any();
    view! {
        <div class="toolbar view-controls">
            {tabs}
            <form
                method="get"
                action=move || view.with(|v| v.kind.path())
                class="search"
                role="search"
                node_ref=form_ref
                on:submit=on_submit
            >
                {move || view.with(|v| {
                    let project = v.project.map(|p| p.encode());
                    let filter = (v.filter != TaskFilter::All).then(|| v.filter.as_str());
                    view! {
                        {project.map(|p| view! { <input type="hidden" name="project" value=p/> })}
                        {filter.map(|f| view! { <input type="hidden" name="filter" value=f/> })}
                    }
                })}
                {fields}
                <label for="search" class="visually-hidden">"Search tasks"</label>
                <input
                    id="search"
                    name="q"
                    type="search"
                    placeholder="Search"
                    node_ref=search_ref
                    prop:value=move || view.with(|v| v.q.clone())
                    value=move || view.with(|v| v.q.clone())
                />
                <button type="submit">"Apply"</button>
            </form>
        </div>
    }
    .into_any()
}
