use leptos::prelude::*;

use super::FieldMessage;

/// A labelled input with its inline error, announced to screen readers when it appears.
#[component]
pub fn Field(
    label: &'static str,
    name: &'static str,
    kind: &'static str,
    autocomplete: &'static str,
    #[prop(into)] error: Signal<Option<String>>,
) -> impl IntoView {
    let input_id = format!("field-{name}");
    let error_id = format!("{name}-error");
    let described_by = error_id.clone();
    view! {
        <div class="field">
            <label for=input_id.clone()>{label}</label>
            <input
                id=input_id
                name=name
                type=kind
                autocomplete=autocomplete
                required=true
                aria-invalid=move || error.get().is_some().then_some("true")
                aria-describedby=move || error.get().is_some().then(|| described_by.clone())
            />
            <FieldMessage id=error_id message=error/>
        </div>
    }
}
