//! The form that adds a task.

use leptos::ev::SubmitEvent;
use leptos::prelude::*;
use leptos::server_fn::ServerFn;
use leptos::task::spawn_local;

use super::form::TaskForm;
use super::state::{ListState, Shared};
use crate::components::FieldMessage;
use crate::domain::quick_add::{self, ChipKind};
use crate::domain::ProjectFilter;
use crate::error::AppError;
use crate::server_fns::tasks::{create_task, project_names, CreateTask};

/// The add form: title and optional description. Checked in the browser with the same domain
/// types as on the server before anything is sent.
#[component]
pub(super) fn AddTaskForm(
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
    // Quick add's chips: what the line will set, read while typing by the parser the server uses
    // (with the browser's date; the server reads the line again in the account's time zone).
    let line = RwSignal::new(String::new());
    let projects = RwSignal::new(None::<Vec<String>>);
    let asked_for_projects = StoredValue::new(false);
    let chips = Memo::new(move |_| {
        let line = line.get();
        if line.trim().is_empty() {
            return Vec::new();
        }
        let names = projects.get().unwrap_or_default();
        let names: Vec<&str> = names.iter().map(String::as_str).collect();
        quick_add::parse(&line, today(), &names).chips
    });
    let on_input = move |ev: leptos::ev::Event| {
        let value = event_target_value(&ev);
        if value.contains('#') && !asked_for_projects.get_value() {
            asked_for_projects.set_value(true);
            spawn_local(async move {
                // Without them a `#` shows no chip; the server still reads it on saving.
                if let Ok(names) = project_names().await {
                    projects.set(Some(names));
                }
            });
        }
        line.set(value);
    };

    // On a project's page, a new task goes into that project.
    let project_of_view = move || match shared.view.with(|v| v.project) {
        Some(ProjectFilter::Project(id)) => Some(id.to_string()),
        _ => None,
    };
    let on_submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        let Some(form) = TaskForm::read(title_ref, description_ref) else {
            return;
        };
        posted.value().set(None);
        // The title the server will keep: the line less the fields quick add takes from it.
        let read_title = |line: &str| {
            let names = projects.get_untracked().unwrap_or_default();
            let names: Vec<&str> = names.iter().map(String::as_str).collect();
            quick_add::parse(line, today(), &names).title
        };
        let Some((title, description)) = form.checked(error, read_title) else {
            let _ = form.title.focus();
            return;
        };
        pending.set(true);
        let TaskForm {
            title: title_input,
            description: description_input,
        } = form;
        // Cleared at once, so the next task can be typed while this one is saved; put back if
        // the server refuses it (unless something new was typed meanwhile).
        title_input.set_value("");
        description_input.set_value("");
        line.set(String::new());
        // Which list, and how many reads of changes it had taken in, when this was sent.
        let sent_to = current
            .get_value()
            .and_then(|state| Some((state.tasks, state.reads.try_get_value()?)));
        spawn_local(async move {
            let result =
                create_task(title.clone(), Some(description.clone()), project_of_view()).await;
            if result.is_err() && title_input.value().is_empty() {
                title_input.set_value(&title);
                description_input.set_value(&description);
                line.set(title.clone());
            }
            match result {
                // The page may be gone by now (a navigation while the create was on its way).
                Ok(task) => match current.try_get_value().flatten() {
                    Some(state) => {
                        // Counted here only when no read of changes (whose counts would hold it)
                        // has come in since it was sent; merged, not inserted: a read may have
                        // brought it in already.
                        let known = state
                            .tasks
                            .try_with_untracked(|tasks| tasks.iter().any(|t| t.id == task.id))
                            .unwrap_or(true);
                        let unread = sent_to.is_some_and(|(list, reads)| {
                            list == state.tasks && state.reads.try_get_value() == Some(reads)
                        });
                        if unread && !known {
                            state.active.try_update(|n| *n += 1);
                        }
                        state.merge(task);
                    }
                    // Added before the list arrived (right after a client-side navigation): a
                    // load already in flight may not hold it, so load again.
                    None => {
                        reload.try_run(());
                    }
                },
                Err(AppError::Validation(errors)) => error.set(Some(AppError::Validation(errors))),
                Err(err) => {
                    shared.on_error.try_run(err);
                }
            }
            pending.set(false);
        });
    };

    let title_error = Signal::derive(move || shown_error.get().and_then(|e| e.field("title")));
    let description_error =
        Signal::derive(move || shown_error.get().and_then(|e| e.field("description")));
    view! {
        <form class="add-task" method="post" action=CreateTask::url() on:submit=on_submit>
            {move || project_of_view().map(|id| view! { <input type="hidden" name="project" value=id/> })}
            <div class="field">
                <label for="new-title">"New task"</label>
                <input
                    id="new-title"
                    name="title"
                    type="text"
                    placeholder="What needs doing?"
                    autocomplete="off"
                    node_ref=title_ref
                    on:input=on_input
                    aria-invalid=move || title_error.get().is_some().then_some("true")
                    aria-describedby=move || title_error.get().is_some().then_some("new-title-error")
                />
                {move || {
                    let chips = chips.get();
                    (!chips.is_empty())
                        .then(|| {
                            view! {
                                <ul class="chips" aria-label="Recognised in the title">
                                    {chips
                                        .into_iter()
                                        .map(|chip| {
                                            view! {
                                                <li class="chip">
                                                    <span class="visually-hidden">
                                                        {chip_kind(chip.kind)} ": "
                                                    </span>
                                                    {chip.text}
                                                </li>
                                            }
                                        })
                                        .collect_view()}
                                </ul>
                            }
                        })
                }}
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

/// What a chip stands for, for screen readers.
fn chip_kind(kind: ChipKind) -> &'static str {
    match kind {
        ChipKind::Project => "Project",
        ChipKind::Label => "Label",
        ChipKind::Priority => "Priority",
        ChipKind::Date => "Due date",
        ChipKind::Time => "Due time",
    }
}

/// The date where the user is: the browser's, in the page; the server's (UTC) while rendering,
/// when the line is still empty and nothing is read with it.
fn today() -> chrono::NaiveDate {
    #[cfg(feature = "hydrate")]
    {
        let now = leptos::web_sys::js_sys::Date::new_0();
        let year = i32::try_from(now.get_full_year()).unwrap_or(1970);
        chrono::NaiveDate::from_ymd_opt(year, now.get_month() + 1, now.get_date())
            .unwrap_or_default()
    }
    #[cfg(not(feature = "hydrate"))]
    {
        chrono::Utc::now().date_naive()
    }
}

#[cfg(test)]
mod tests {
    use crate::domain::FieldError;
    use crate::domain::NewTask;

    #[test]
    fn field_errors_come_from_the_domain_types() {
        let errors = NewTask::parse(" ", None, false).unwrap_err();
        assert_eq!(errors, vec![FieldError::new("title", "must not be empty")]);
    }
}
