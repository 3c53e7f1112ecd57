//! The inline error under a form field.

use leptos::oco::Oco;
use leptos::prelude::*;

/// An inline error under a field, announced when it appears. The one place that writes the
/// field-error markup, which the fields' `aria-describedby` points at by `id`.
#[component]
pub fn FieldMessage(
    #[prop(into)] id: Oco<'static, str>,
    #[prop(into)] message: Signal<Option<String>>,
) -> impl IntoView {
    move || {
        message.get().map(
            |message| view! { <p class="field-error" id=id.clone() role="alert">{message}</p> },
        )
    }
}
