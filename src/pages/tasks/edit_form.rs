//! The inline form that edits a task.

use leptos::ev::{KeyboardEvent, MouseEvent, SubmitEvent};
use leptos::prelude::*;
use leptos::server_fn::ServerFn;
use leptos::task::spawn_local;

use super::form::TaskForm;
use super::state::ListState;
use crate::components::{FieldMessage, FormError};
use crate::domain::{Task, TaskChange};
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
        let Some((title, description)) = TaskForm::read(title_ref, description_ref)
            .and_then(|form| form.checked(error, str::to_owned))
        else {
            return;
        };
        pending.set(true);
        spawn_local(async move {
            let base = Some(version.get_untracked());
            match update_task(id.to_string(), title, Some(description), base, None).await {
                Ok(task) => {
                    state.edit(None);
                    state.merge(task);
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
            <input type="hidden" name="version" value=move || version.get().to_string()/>
            <input type="hidden" name="back" value=state.back()/>
            <FormError message=form_message/>
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
                <FieldMessage id=title_error_id message=title_error/>
            </div>
            <div class="field">
                <label for=description_field.clone()>"Notes"</label>
                <textarea id=description_field name="description" rows="2" node_ref=description_ref>
                    {task.description.clone().unwrap_or_default()}
                </textarea>
                <FieldMessage id=description_error_id message=description_error/>
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
