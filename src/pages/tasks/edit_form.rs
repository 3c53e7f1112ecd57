//! The inline form that edits a task.

use leptos::ev::{KeyboardEvent, MouseEvent, SubmitEvent};
use leptos::prelude::*;
use leptos::server_fn::ServerFn;
use leptos::task::spawn_local;

use super::state::{ListState, Sidebar};
use crate::components::{FieldMessage, FormError};
use crate::domain::{KeptEdit, Priority, Task, TaskChange, TaskForm};
use crate::error::AppError;
use crate::server_fns::tasks::{update_task, UpdateTask};

/// Inline edit: Enter in the title saves, Escape cancels (as does "Cancel", a link back to the
/// list for the no-JavaScript page).
///
/// The save names the version the form was opened on. A change made elsewhere meanwhile is not
/// drawn into the open form (the page holds it back, and says so); the save then meets the newer
/// version and changes nothing: the form keeps what the user typed, says what the task now
/// reads, and a second save replaces that on purpose (Cancel keeps it). Without JavaScript the
/// page comes back with the task's latest version in the form, and the same message.
#[component]
pub(super) fn EditTaskForm(task: Task, state: ListState) -> AnyView {
    let id = task.id;
    let posted = ServerAction::<UpdateTask>::new();
    let error = RwSignal::new(None::<AppError>);
    // The version this form's save overwrites.
    let version = RwSignal::new(task.version);
    // What the task read when a save met a newer version.
    let conflict = RwSignal::new(None::<Task>);
    // What the page held back for this task while the form is open.
    let changed_elsewhere = move || {
        state.held.with(|held| {
            held.iter()
                .find(|change| change.id == id)
                .map(|change| change.task.is_some())
        })
    };
    let pending = RwSignal::new(false);
    let title_ref = NodeRef::<leptos::html::Input>::new();
    let description_ref = NodeRef::<leptos::html::Textarea>::new();
    let project_ref = NodeRef::<leptos::html::Select>::new();
    let labels_ref = NodeRef::<leptos::html::Input>::new();
    let priority_ref = NodeRef::<leptos::html::Select>::new();
    let date_ref = NodeRef::<leptos::html::Input>::new();
    let time_ref = NodeRef::<leptos::html::Input>::new();
    let sidebar = use_context::<Sidebar>();
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
        state.edit(None);
    };
    let on_submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        let input = |node: NodeRef<leptos::html::Input>| node.get_untracked().map(|i| i.value());
        let select = |node: NodeRef<leptos::html::Select>| node.get_untracked().map(|s| s.value());
        let (Some(title), Some(description)) = (
            input(title_ref),
            description_ref.get_untracked().map(|d| d.value()),
        ) else {
            return;
        };
        let (project, labels, priority, due_date, due_time) = (
            select(project_ref),
            input(labels_ref),
            select(priority_ref),
            input(date_ref),
            input(time_ref),
        );
        // The server's own rules, before anything is sent.
        let form = TaskForm {
            title: &title,
            description: Some(&description),
            project: project.as_deref(),
            labels: labels.as_deref(),
            priority: priority.as_deref(),
            due_date: due_date.as_deref(),
            due_time: due_time.as_deref(),
        };
        if let Err(errors) = form.parse() {
            error.set(Some(AppError::Validation(errors)));
            return;
        }
        error.set(None);
        pending.set(true);
        spawn_local(async move {
            let base = Some(version.get_untracked());
            let saved = update_task(
                id.to_string(),
                title,
                Some(description),
                project,
                labels,
                priority,
                due_date,
                due_time,
                Some(TaskForm::FIELDS.to_owned()),
                base,
                None,
            )
            .await;
            match saved {
                Ok(task) => {
                    state.edit(None);
                    let moved = state
                        .tasks
                        .try_with_untracked(|tasks| {
                            tasks
                                .iter()
                                .any(|t| t.id == task.id && t.project_id != task.project_id)
                        })
                        .unwrap_or(false);
                    state.merge(task);
                    if moved {
                        if let Some(sidebar) = sidebar {
                            sidebar.reload.try_run(());
                        }
                    }
                }
                Err(AppError::Validation(errors)) => error.set(Some(AppError::Validation(errors))),
                Err(AppError::Stale(Some(current))) => {
                    error.set(None);
                    version.set(current.version);
                    conflict.set(Some((*current).clone()));
                    // Shown in the list once the form closes.
                    state.apply(TaskChange {
                        id,
                        task: Some(*current),
                    });
                }
                Err(AppError::NotFound) => {
                    state.edit(None);
                    state.remove(id);
                    state.on_error.try_run(AppError::NotFound);
                }
                Err(err) => {
                    state.on_error.try_run(err);
                }
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
    // Above the fields: a save that met a newer version, a posted error that is not a field's
    // (the no-JavaScript page's), or a change held back while the form is open.
    let form_message = Signal::derive(move || {
        if let Some(current) = conflict.get() {
            let notes = current
                .description
                .as_deref()
                .map(|notes| format!(" with the notes “{notes}”"))
                .unwrap_or_default();
            return Some(format!(
                "This task was changed elsewhere while you edited it: it now reads “{}”{notes}. \
                 Save again to replace that with your version, or Cancel to keep it.",
                current.title
            ));
        }
        if let Some(message) = shown_error.get().and_then(|e| e.form_message()) {
            return Some(message);
        }
        match changed_elsewhere() {
            Some(true) => Some(
                "This task was changed elsewhere since you opened it. Saving will show you the \
                 change first."
                    .to_owned(),
            ),
            Some(false) => Some(
                "This task was deleted elsewhere since you opened it: saving cannot bring it back."
                    .to_owned(),
            ),
            None => None,
        }
    });
    let title_error = Signal::derive(move || shown_error.get().and_then(|e| e.field("title")));
    let description_error =
        Signal::derive(move || shown_error.get().and_then(|e| e.field("description")));
    let field_error = move |name: &'static str| {
        Signal::derive(move || shown_error.get().and_then(|e| e.field(name)))
    };
    let project_error = field_error("project");
    let labels_error = field_error("labels");
    let priority_error = field_error("priority");
    let date_error = field_error("due_date");
    let time_error = field_error("due_time");
    let project_id = task.project_id;
    // The user's projects; the task's own always among them (the sidebar's lists may not hold
    // it yet, or at all when they failed to load): an option missing would make the browser
    // send the first one, the Inbox, and a save would move the task.
    let projects = move || {
        let mut projects = sidebar
            .map(|s| {
                s.lists.with(|l| {
                    l.projects
                        .iter()
                        .map(|p| (p.id, p.name.clone()))
                        .collect::<Vec<_>>()
                })
            })
            .unwrap_or_default();
        if let Some(own) = project_id {
            if !projects.iter().any(|(id, _)| *id == own) {
                projects.insert(0, (own, "This task’s project".to_owned()));
            }
        }
        projects
    };
    // The fields as a refused post without JavaScript left them (kept for this one render),
    // else as the task is stored.
    let kept = state
        .kept
        .try_get_value()
        .flatten()
        .filter(|kept| kept.id == id);
    let typed = |value: fn(&KeptEdit) -> Option<&String>, stored: String| match &kept {
        Some(kept) => value(kept).cloned().unwrap_or_default(),
        None => stored,
    };
    let title = typed(|k| Some(&k.title), task.title.clone());
    let description = typed(
        |k| k.description.as_ref(),
        task.description.clone().unwrap_or_default(),
    );
    let chosen_project = match kept.as_ref().and_then(|k| k.project.as_deref()) {
        Some(raw) => uuid::Uuid::try_parse(raw.trim()).ok(),
        None => project_id,
    };
    let labels_text = typed(|k| k.labels.as_ref(), task.labels.join(", "));
    let priority = kept
        .as_ref()
        .and_then(|k| k.priority.as_deref()?.trim().parse::<i16>().ok())
        .unwrap_or(task.priority);
    let due_date = typed(
        |k| k.due_date.as_ref(),
        task.due_date.map(|d| d.to_string()).unwrap_or_default(),
    );
    let due_time = typed(
        |k| k.due_time.as_ref(),
        task.due_time
            .map(|t| t.format("%H:%M").to_string())
            .unwrap_or_default(),
    );
    let field = move |name: &str| format!("edit-{name}-{id}");
    let title_field = format!("edit-title-{id}");
    let description_field = format!("edit-description-{id}");
    let title_error_id = format!("edit-title-error-{id}");
    let description_error_id = format!("edit-description-error-{id}");
    // A field with an error is marked invalid and described by its message, so that a screen
    // reader reads the message with the field (not only once, as the alert comes).
    let invalid = |error: Signal<Option<String>>| move || error.get().is_some().then_some("true");
    let described = |error: Signal<Option<String>>, id: String| {
        move || error.get().is_some().then(|| id.clone())
    };
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
            <input type="hidden" name="version" value=move || version.get().to_string()/>
            <input type="hidden" name="back" value=state.back()/>
            <input type="hidden" name="fields" value=TaskForm::FIELDS/>
            <FormError message=form_message/>
            <div class="field">
                <label for=title_field.clone()>"Title"</label>
                <input
                    id=title_field
                    name="title"
                    type="text"
                    value=title
                    node_ref=title_ref
                    aria-invalid=invalid(title_error)
                    aria-describedby=described(title_error, title_error_id.clone())
                />
                <FieldMessage id=title_error_id message=title_error/>
            </div>
            <div class="field">
                <label for=description_field.clone()>"Notes"</label>
                <textarea
                    id=description_field
                    name="description"
                    rows="2"
                    node_ref=description_ref
                    aria-invalid=invalid(description_error)
                    aria-describedby=described(description_error, description_error_id.clone())
                >
                    {description}
                </textarea>
                <FieldMessage id=description_error_id message=description_error/>
            </div>
            <div class="field-row">
                <div class="field">
                    <label for=field("project")>"Project"</label>
                    <select
                        id=field("project")
                        name="project"
                        node_ref=project_ref
                        aria-invalid=invalid(project_error)
                        aria-describedby=described(project_error, field("project-error"))
                    >
                        <option value="" selected=chosen_project.is_none()>"Inbox"</option>
                        // Keyed by id: when the lists change (a project added in the sidebar or
                        // elsewhere), each option keeps its element, so the one the user chose
                        // stays chosen, with its own value.
                        <For each=projects key=|(pid, _)| *pid let((pid, name))>
                            <option value=pid.to_string() selected=chosen_project == Some(pid)>{name}</option>
                        </For>
                    </select>
                    <FieldMessage id=field("project-error") message=project_error/>
                </div>
                <div class="field">
                    <label for=field("priority")>"Priority"</label>
                    <select
                        id=field("priority")
                        name="priority"
                        node_ref=priority_ref
                        aria-invalid=invalid(priority_error)
                        aria-describedby=described(priority_error, field("priority-error"))
                    >
                        {(0..=Priority::MAX)
                            .rev()
                            .map(|p| view! {
                                <option value=p.to_string() selected=p == priority>{priority_name(p)}</option>
                            })
                            .collect_view()}
                    </select>
                    <FieldMessage id=field("priority-error") message=priority_error/>
                </div>
                <div class="field">
                    <label for=field("due-date")>"Due date"</label>
                    <input
                        id=field("due-date")
                        name="due_date"
                        type="date"
                        value=due_date
                        node_ref=date_ref
                        aria-invalid=invalid(date_error)
                        aria-describedby=described(date_error, field("due-date-error"))
                    />
                    <FieldMessage id=field("due-date-error") message=date_error/>
                </div>
                <div class="field">
                    <label for=field("due-time")>"Time"</label>
                    <input
                        id=field("due-time")
                        name="due_time"
                        type="time"
                        value=due_time
                        node_ref=time_ref
                        aria-invalid=invalid(time_error)
                        aria-describedby=described(time_error, field("due-time-error"))
                    />
                    <FieldMessage id=field("due-time-error") message=time_error/>
                </div>
            </div>
            <div class="field">
                <label for=field("labels")>"Labels " <span class="hint">"(comma-separated)"</span></label>
                <input
                    id=field("labels")
                    name="labels"
                    type="text"
                    value=labels_text
                    node_ref=labels_ref
                    autocomplete="off"
                    aria-invalid=invalid(labels_error)
                    aria-describedby=described(labels_error, field("labels-error"))
                />
                <FieldMessage id=field("labels-error") message=labels_error/>
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

/// A priority's name in the page's words.
pub(super) fn priority_name(priority: i16) -> &'static str {
    match priority {
        3 => "High",
        2 => "Medium",
        1 => "Low",
        _ => "None",
    }
}
