//! What the add and edit forms share: reading a task form's inputs and checking them in the
//! browser with the server's own rules before anything is sent.

use leptos::html::{Input, Textarea};
use leptos::prelude::*;

use crate::domain::NewTask;
use crate::error::AppError;

/// A task form's two inputs, once they are in the page.
pub(super) struct TaskForm {
    pub title: leptos::web_sys::HtmlInputElement,
    pub description: leptos::web_sys::HtmlTextAreaElement,
}

impl TaskForm {
    pub fn read(title: NodeRef<Input>, description: NodeRef<Textarea>) -> Option<Self> {
        Some(Self {
            title: title.get_untracked()?,
            description: description.get_untracked()?,
        })
    }

    /// The title and notes as typed, when [`NewTask::parse`] (what the server function runs)
    /// accepts them, the title as `read_title` makes it of the line (the add form's quick add
    /// takes fields out of it); `error` shows its field errors otherwise, and is cleared when
    /// they pass.
    pub fn checked(
        &self,
        error: RwSignal<Option<AppError>>,
        read_title: impl Fn(&str) -> String,
    ) -> Option<(String, String)> {
        let (title, description) = (self.title.value(), self.description.value());
        match NewTask::parse(&read_title(&title), Some(&description), false) {
            Ok(_) => {
                error.set(None);
                Some((title, description))
            }
            Err(errors) => {
                error.set(Some(AppError::Validation(errors)));
                None
            }
        }
    }
}
