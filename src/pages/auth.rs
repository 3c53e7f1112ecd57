//! Sign-in and registration pages. Both are plain forms posting to server functions, so they
//! work without JavaScript (errors come back in the URL and render on the server); with
//! JavaScript the same forms submit without a reload.

use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use crate::components::{Field, FormError};
use crate::domain::encode_query_value;
use crate::error::AppError;
use crate::server_fns::auth::{Login, Register};

/// `path?next=…`, keeping where the user was going when they switch between the two pages.
fn with_next(path: &str, next: &str) -> String {
    if next.is_empty() {
        path.to_owned()
    } else {
        format!("{path}?next={}", encode_query_value(next))
    }
}

fn next_param() -> Signal<String> {
    let query = use_query_map();
    Signal::derive(move || query.read().get("next").unwrap_or_default())
}

/// What both forms ask for: the form-level error, where to go next, email and password with
/// their inline errors.
#[component]
fn CredentialFields(
    #[prop(into)] error: Signal<Option<AppError>>,
    #[prop(into)] next: Signal<String>,
    password_label: &'static str,
    password_autocomplete: &'static str,
) -> impl IntoView {
    view! {
        <FormError message=Signal::derive(move || error.get().and_then(|e| e.form_message()))/>
        <input type="hidden" name="next" value=next/>
        <Field
            label="Email"
            name="email"
            kind="email"
            autocomplete="email"
            error=Signal::derive(move || error.get().and_then(|e| e.field("email")))
        />
        <Field
            label=password_label
            name="password"
            kind="password"
            autocomplete=password_autocomplete
            error=Signal::derive(move || error.get().and_then(|e| e.field("password")))
        />
    }
}

#[component]
pub fn LoginPage() -> impl IntoView {
    let action = ServerAction::<Login>::new();
    let next = next_param();
    let error = Signal::derive(move || action.value().get().and_then(Result::err));
    view! {
        <Title text="Sign in · Taskdeck"/>
        <section class="auth-card">
            <h1>"Sign in"</h1>
            <ActionForm action=action>
                <CredentialFields
                    error=error
                    next=next
                    password_label="Password"
                    password_autocomplete="current-password"
                />
                <button type="submit" class="primary" disabled=move || action.pending().get()>
                    {move || if action.pending().get() { "Signing in…" } else { "Sign in" }}
                </button>
            </ActionForm>
            <p class="switch">
                "New to Taskdeck? "
                <a href=move || with_next("/register", &next.get())>"Create an account"</a>
            </p>
        </section>
    }
}

#[component]
pub fn RegisterPage() -> impl IntoView {
    let action = ServerAction::<Register>::new();
    let next = next_param();
    let error = Signal::derive(move || action.value().get().and_then(Result::err));
    let taken = Signal::derive(move || matches!(error.get(), Some(AppError::EmailTaken)));
    // The browser's time zone, sent with the form once the page has its script: due dates and
    // Today are then the user's own from the start (UTC without JavaScript; Settings changes it).
    let zone_ref = NodeRef::<leptos::html::Input>::new();
    Effect::new(move |_| {
        #[cfg(feature = "hydrate")]
        if let Some(input) = zone_ref.get() {
            let options =
                js_sys::Intl::DateTimeFormat::new(&js_sys::Array::new(), &js_sys::Object::new())
                    .resolved_options();
            if let Some(zone) = js_sys::Reflect::get(&options, &"timeZone".into())
                .ok()
                .and_then(|zone| zone.as_string())
            {
                input.set_value(&zone);
            }
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = zone_ref;
    });
    view! {
        <Title text="Create an account · Taskdeck"/>
        <section class="auth-card">
            <h1>"Create an account"</h1>
            <ActionForm action=action>
                <input type="hidden" name="timezone" node_ref=zone_ref/>
                <CredentialFields
                    error=error
                    next=next
                    password_label="Password (8 to 128 characters)"
                    password_autocomplete="new-password"
                />
                <button type="submit" class="primary" disabled=move || action.pending().get()>
                    {move || if action.pending().get() { "Creating your account…" } else { "Create account" }}
                </button>
            </ActionForm>
            <p class="switch">
                {move || if taken.get() { "That's you? " } else { "Already have an account? " }}
                <a href=move || with_next("/login", &next.get())>"Sign in"</a>
            </p>
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_is_carried_encoded() {
        assert_eq!(with_next("/login", ""), "/login");
        assert_eq!(
            with_next("/login", "/tasks?filter=active&q=a b"),
            "/login?next=/tasks%3Ffilter%3Dactive%26q%3Da%20b"
        );
    }
}
