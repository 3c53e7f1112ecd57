//! The sidebar (a menu on phones): All tasks, Inbox, Today, Upcoming, each project with its
//! count of open tasks, and the labels; projects and labels are created, renamed and deleted
//! here. Every control is a plain form or link; with JavaScript they act in place.

use leptos::prelude::*;

use super::state::Sidebar;
use crate::components::FieldMessage;
use crate::domain::{ListEntry, ProjectFilter, TaskView, ViewKind};
use crate::error::AppError;
use crate::server_fns::organise::{
    move_task, CreateLabel, CreateProject, DeleteLabel, DeleteProject, RenameLabel, RenameProject,
};

/// The drag data type of a task being dragged (`pages::tasks::item`).
pub(super) const TASK_DRAG_TYPE: &str = "application/x-taskdeck-task";

/// Which kind of list an entry is.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Project,
    Label,
}

impl Kind {
    fn word(self) -> &'static str {
        match self {
            Self::Project => "project",
            Self::Label => "label",
        }
    }

    fn view(self, entry: &ListEntry) -> TaskView {
        match self {
            Self::Project => TaskView {
                project: Some(ProjectFilter::Project(entry.id)),
                ..TaskView::default()
            },
            Self::Label => TaskView {
                label: Some(entry.name.clone()),
                ..TaskView::default()
            },
        }
    }
}

#[component]
pub(super) fn SideNav(sidebar: Sidebar, view: Memo<TaskView>) -> impl IntoView {
    let link = move |label: &'static str, target: TaskView| {
        let href = target.url(None, None);
        let current = move || {
            view.with(|v| v.kind == target.kind && v.project == target.project && v.label.is_none())
                .then_some("page")
        };
        view! { <li><a href=href aria-current=current>{label}</a></li> }
    };
    let inbox = TaskView {
        project: Some(ProjectFilter::Inbox),
        ..TaskView::default()
    };
    let kind = |kind| TaskView {
        kind,
        ..TaskView::default()
    };
    view! {
        // Closed as rendered: a menu on phones; beside the list on wider screens, whose CSS
        // shows its content anyway (style/main.css).
        <details class="sidebar">
            <summary>"Lists"</summary>
            <nav aria-label="Lists">
                <ul class="views">
                    {link("All tasks", TaskView::default())}
                    {link("Inbox", inbox)}
                    {link("Today", kind(ViewKind::Today))}
                    {link("Upcoming", kind(ViewKind::Upcoming))}
                </ul>
                <Section sidebar view kind=Kind::Project/>
                <Section sidebar view kind=Kind::Label/>
            </nav>
        </details>
    }
}

/// The projects or the labels: links, their management, and the form that adds one.
#[component]
fn Section(sidebar: Sidebar, view: Memo<TaskView>, kind: Kind) -> impl IntoView {
    let create_project = ServerAction::<CreateProject>::new();
    let create_label = ServerAction::<CreateLabel>::new();
    let (heading, new_label, input_id) = match kind {
        Kind::Project => ("Projects", "New project", "new-project"),
        Kind::Label => ("Labels", "New label", "new-label"),
    };
    let heading_id = format!("{input_id}-heading");
    let entries = move || {
        sidebar.lists.with(|lists| match kind {
            Kind::Project => lists.projects.clone(),
            Kind::Label => lists.labels.clone(),
        })
    };
    let created = move || match kind {
        Kind::Project => create_project.version().get(),
        Kind::Label => create_label.version().get(),
    };
    let error = move || match kind {
        Kind::Project => create_project.value().get().and_then(Result::err),
        Kind::Label => create_label.value().get().and_then(Result::err),
    };
    let input_ref = NodeRef::<leptos::html::Input>::new();
    Effect::new(move |before: Option<usize>| {
        let now = created();
        if before.is_some_and(|b| b != now) && error().is_none() {
            sidebar.reload.run(());
            // Ready for the next name.
            if let Some(input) = input_ref.get_untracked() {
                input.set_value("");
            }
        }
        now
    });
    let name_error =
        Signal::derive(move || error().map(|e| e.field("name").unwrap_or_else(|| e.to_string())));
    let error_id = format!("{input_id}-error");
    let form_fields = {
        let error_id = error_id.clone();
        move || {
            view! {
                <label for=input_id class="visually-hidden">{new_label}</label>
                <input
                    id=input_id
                    node_ref=input_ref
                    name="name"
                    type="text"
                    placeholder=format!("{new_label}…")
                    autocomplete="off"
                    required
                    aria-invalid=move || name_error.get().is_some().then_some("true")
                    aria-describedby=move || name_error.get().is_some().then(|| error_id.clone())
                />
                <button type="submit" class="quiet">"Add"<span class="visually-hidden">{format!(" {}", kind.word())}</span></button>
            }
        }
    };
    view! {
        <h2 id=heading_id.clone()>{heading}</h2>
        <ul class="lists" aria-labelledby=heading_id>
            <For
                each=entries
                // Not by its counts: they change with any task, and an entry drawn again would
                // close its open menu and lose a half-typed name. They are read live instead.
                key=|entry| (entry.id, entry.version)
                children=move |entry| view! { <Entry sidebar view kind entry/> }
            />
        </ul>
        {match kind {
            Kind::Project => view! {
                <ActionForm action=create_project attr:class="add-list">{form_fields()}</ActionForm>
            }
            .into_any(),
            Kind::Label => view! {
                <ActionForm action=create_label attr:class="add-list">{form_fields()}</ActionForm>
            }
            .into_any(),
        }}
        <FieldMessage id=error_id message=name_error/>
    }
}

/// One project or label: its link (a drop target for tasks, for projects), and a disclosure
/// for renaming and deleting it. What the disclosure holds is built when it opens (with
/// JavaScript), or on the page `?manage=<id>` (without): a sidebar of many entries is mostly
/// links, and every page renders it.
#[component]
fn Entry(sidebar: Sidebar, view: Memo<TaskView>, kind: Kind, entry: ListEntry) -> impl IntoView {
    let target = kind.view(&entry);
    let href = target.url(None, None);
    let current = {
        let target = target.clone();
        move || {
            view.with(|v| {
                v.kind == ViewKind::List && v.project == target.project && v.label == target.label
            })
            .then_some("page")
        }
    };
    let id = entry.id;
    // `?manage=<id>`: the no-JavaScript way into the disclosure (as `?edit=` for a task).
    let query = leptos_router::hooks::use_query_map();
    let asked = query.with_untracked(|q| q.get_str("manage") == Some(id.to_string().as_str()));
    let opened = RwSignal::new(asked);
    let manage_href = move || {
        let location = leptos_router::hooks::use_location();
        let search = location.search.get_untracked();
        let kept: Vec<&str> = search
            .trim_start_matches('?')
            .split('&')
            .filter(|p| !p.is_empty() && !p.starts_with("manage="))
            .collect();
        let mut query = kept.join("&");
        if !query.is_empty() {
            query.push('&');
        }
        format!("{}?{query}manage={id}", location.pathname.get_untracked())
    };
    let manage_href = manage_href();
    let on_toggle = move |ev: leptos::ev::Event| {
        use leptos::wasm_bindgen::JsCast;
        if let Some(details) = ev
            .target()
            .and_then(|t| t.dyn_into::<leptos::web_sys::HtmlDetailsElement>().ok())
        {
            if details.open() {
                opened.set(true);
            }
        }
    };
    // Its counts as the sidebar's lists now have them.
    let counts = Signal::derive(move || {
        sidebar.lists.with(|lists| {
            let list = match kind {
                Kind::Project => &lists.projects,
                Kind::Label => &lists.labels,
            };
            list.iter()
                .find(|e| e.id == id)
                .map_or((0, 0), |e| (e.open, e.tasks))
        })
    });
    // Drop a dragged task on a project to move it there.
    let drop_target = kind == Kind::Project;
    let drop_error = RwSignal::new(None::<String>);
    let on_drag_over = move |ev: leptos::ev::DragEvent| {
        if drop_target {
            ev.prevent_default();
        }
    };
    let on_drop = move |ev: leptos::ev::DragEvent| {
        if !drop_target {
            return;
        }
        ev.prevent_default();
        let dragged = ev
            .data_transfer()
            // Only a task of this page's list (its own type), not any text dropped here.
            .and_then(|data| data.get_data(TASK_DRAG_TYPE).ok())
            .filter(|raw| !raw.is_empty());
        if let Some(task) = dragged {
            drop_error.set(None);
            leptos::task::spawn_local(async move {
                let moved = move_task(task, Some(id.to_string()), None, None, None).await;
                match moved {
                    Ok(_) => {
                        sidebar.reload.try_run(());
                    }
                    Err(err) => {
                        drop_error.try_set(Some(err.to_string()));
                    }
                }
            });
        }
    };
    let count = (kind == Kind::Project).then(|| {
        let open = move || counts.get().0;
        view! {
            <span class="count" title=move || format!("{} open", open())>
                {open}<span class="visually-hidden">" open"</span>
            </span>
        }
    });
    let word = kind.word();
    let name = entry.name.clone();
    let error_id = format!("drop-error-{id}");
    let is_current = Signal::derive({
        let current = current.clone();
        move || current().is_some()
    });
    view! {
        <li class="list-entry">
            <a href=href aria-current=current on:dragover=on_drag_over on:drop=on_drop>
                <span class="name">{if kind == Kind::Label { format!("@{}", entry.name) } else { entry.name.clone() }}</span>
                {count}
            </a>
            <details class="manage" open=asked on:toggle=on_toggle>
                <summary>
                    <span aria-hidden="true">"⋯"</span>
                    <span class="visually-hidden">{format!("Edit {word} “{}”", entry.name)}</span>
                </summary>
                <div class="manage-body">
                    {move || {
                        if opened.get() {
                            view! { <Manage sidebar view kind id name=name.clone() current=is_current counts/> }.into_any()
                        } else {
                            view! { <a href=manage_href.clone()>"Rename or delete…"</a> }.into_any()
                        }
                    }}
                </div>
            </details>
            <FieldMessage id=error_id message=Signal::derive(move || drop_error.get())/>
        </li>
    }
}

/// A project's or label's rename and delete forms (delete asks first, and says what goes with
/// it).
#[component]
fn Manage(
    sidebar: Sidebar,
    /// The page's view, where a form without JavaScript returns to.
    view: Memo<TaskView>,
    kind: Kind,
    id: uuid::Uuid,
    name: String,
    /// Whether the page shows this project's or label's tasks (it must go elsewhere when it is
    /// deleted, or a label renamed).
    current: Signal<bool>,
    /// Its open and total tasks (for a label: the tasks that carry it).
    counts: Signal<(i64, i64)>,
) -> impl IntoView {
    let rename_project = ServerAction::<RenameProject>::new();
    let rename_label = ServerAction::<RenameLabel>::new();
    let delete_project = ServerAction::<DeleteProject>::new();
    let delete_label = ServerAction::<DeleteLabel>::new();
    let done = move || {
        rename_project.version().get()
            + rename_label.version().get()
            + delete_project.version().get()
            + delete_label.version().get()
    };
    let error = move || {
        [
            rename_project.value().get().and_then(Result::err),
            rename_label.value().get().and_then(Result::err),
            delete_project.value().get().and_then(Result::err),
            delete_label.value().get().and_then(Result::err),
        ]
        .into_iter()
        .flatten()
        .next()
    };
    // After a change here: the lists again, and the page's own list (a rename or delete changes
    // what the tasks show; the page's live updates bring task changes, but a page filtered by
    // what was renamed or deleted must go elsewhere).
    let navigate = leptos_router::hooks::use_navigate();
    let was_current = move || current.get_untracked();
    // Without JavaScript, a delete or a label's rename returns to the page's view, as the script
    // keeps it; to all tasks when that view was of what changed.
    let back = move || {
        if current.get() {
            "/tasks".to_owned()
        } else {
            view.with(|v| v.url(None, None))
        }
    };
    Effect::new(move |before: Option<usize>| {
        let now = done();
        if before.is_some_and(|b| b != now) {
            sidebar.reload.run(());
            let deleted = delete_project.version().get_untracked()
                + delete_label.version().get_untracked()
                > 0;
            let renamed_label = rename_label.version().get_untracked() > 0;
            if error().is_none() && (deleted || renamed_label) && was_current() {
                navigate("/tasks", Default::default());
            }
        }
        now
    });
    let message = Signal::derive(move || {
        error().map(|e: AppError| e.field("name").unwrap_or_else(|| e.to_string()))
    });
    let word = kind.word();
    let field_id = format!("rename-{id}");
    let error_id = format!("entry-error-{id}");
    let entry_name = name.clone();
    let delete_text = move || match kind {
        Kind::Project => match counts.get().1 {
            0 => format!("Delete the project “{}”? It has no tasks.", entry_name),
            1 => format!("Delete the project “{}” and its 1 task?", entry_name),
            n => format!("Delete the project “{}” and its {n} tasks?", entry_name),
        },
        Kind::Label => match counts.get().1 {
            0 => format!("Delete the label “{}”? No task carries it.", entry_name),
            1 => format!(
                "Delete the label “{}”? 1 task carries it and keeps the rest of its labels.",
                entry_name
            ),
            n => format!(
                "Delete the label “{}”? {n} tasks carry it and keep the rest of their labels.",
                entry_name
            ),
        },
    };
    let delete_button = move || match (kind, counts.get().1) {
        (Kind::Project, 0) => "Delete project".to_owned(),
        (Kind::Project, 1) => "Delete project and 1 task".to_owned(),
        (Kind::Project, n) => format!("Delete project and {n} tasks"),
        (Kind::Label, _) => "Delete label".to_owned(),
    };
    let (rename_form, delete_form) = match kind {
        Kind::Project => (
            view! {
                <ActionForm action=rename_project attr:class="rename">
                    <input type="hidden" name="id" value=id.to_string()/>
                    <label for=field_id.clone()>"Name"</label>
                    <input id=field_id.clone() name="name" type="text" value=name.clone() required/>
                    <button type="submit">"Rename"</button>
                </ActionForm>
            }
            .into_any(),
            view! {
                <ActionForm action=delete_project>
                    <input type="hidden" name="id" value=id.to_string()/>
                    <input type="hidden" name="back" value=back/>
                    <button type="submit" class="danger">{delete_button}</button>
                </ActionForm>
            }
            .into_any(),
        ),
        Kind::Label => (
            view! {
                <ActionForm action=rename_label attr:class="rename">
                    <input type="hidden" name="id" value=id.to_string()/>
                    <input type="hidden" name="back" value=back/>
                    <label for=field_id.clone()>"Name"</label>
                    <input id=field_id.clone() name="name" type="text" value=name.clone() required/>
                    <button type="submit">"Rename"</button>
                </ActionForm>
            }
            .into_any(),
            view! {
                <ActionForm action=delete_label>
                    <input type="hidden" name="id" value=id.to_string()/>
                    <input type="hidden" name="back" value=back/>
                    <button type="submit" class="danger">{delete_button}</button>
                </ActionForm>
            }
            .into_any(),
        ),
    };
    view! {
        {rename_form}
        <details class="confirm">
            <summary>{format!("Delete {word}…")}</summary>
            <p>{delete_text}</p>
            {delete_form}
        </details>
        <FieldMessage id=error_id message=message/>
    }
}
