use leptos::prelude::*;

/// A form-level error (wrong password, too many attempts...), announced when it appears.
#[component]
pub fn FormError(#[prop(into)] message: Signal<Option<String>>) -> impl IntoView {
    move || {
        message.get().map(|message| {
            view! {
                <p class="form-error" role="alert" data-testid="form-error">
                    {message}
                </p>
            }
        })
    }
}
