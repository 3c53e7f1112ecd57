//! `/settings`: personal access tokens (create, with the secret shown once; revoke), the
//! password, the time zone, signing out everywhere, deleting the account. Every form is a real
//! form posting to a server function, so the page works without JavaScript; with it, the same
//! forms submit in place.

use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::Redirect;
use leptos_router::hooks::use_query_map;

use crate::components::{Field, FieldMessage, FormError};
use crate::domain::{AccessToken, NewAccessToken, Scope, Settings};
use crate::error::AppError;
use crate::server_fns::settings::{
    load_settings, ChangePassword, CreateToken, DeleteAccount, RevokeToken, SetTimezone,
    SignOutEverywhere,
};

#[component]
pub fn SettingsPage() -> impl IntoView {
    let create = ServerAction::<CreateToken>::new();
    let revoke = ServerAction::<RevokeToken>::new();
    let timezone = ServerAction::<SetTimezone>::new();
    // The page's data again after a token was created or revoked in place.
    let data = Resource::new_blocking(
        move || {
            (
                create.version().get(),
                revoke.version().get(),
                timezone.version().get(),
            )
        },
        |_| load_settings(),
    );
    view! {
        <Title text="Settings · Taskdeck"/>
        <Suspense fallback=|| ()>
            {Suspend::new(async move {
                match data.await {
                    Ok(settings) => view! {
                        <SettingsSections settings create revoke timezone/>
                    }
                    .into_any(),
                    Err(AppError::Unauthorized) => {
                        view! { <Redirect path="/login?next=/settings"/> }.into_any()
                    }
                    Err(err) => {
                        view! { <p class="form-error" role="alert">{err.to_string()}</p> }
                            .into_any()
                    }
                }
            })}
        </Suspense>
    }
}

#[component]
fn SettingsSections(
    settings: Settings,
    create: ServerAction<CreateToken>,
    revoke: ServerAction<RevokeToken>,
    timezone: ServerAction<SetTimezone>,
) -> impl IntoView {
    let query = use_query_map();
    let done = move || query.read().get("done");
    // Each section's view type erased (`into_any`): nested, their types outgrow the compiler's
    // recursion limit in the release build.
    let tokens = view! {
        <TokensSection tokens=settings.tokens new_token=settings.new_token create revoke/>
    }
    .into_any();
    let password = settings.has_password.then(|| {
        view! { <PasswordSection done=Signal::derive(move || done() == Some("password".into()))/> }
            .into_any()
    });
    let zone = view! {
        <TimezoneSection
            current=settings.timezone
            action=timezone
            done=Signal::derive(move || done() == Some("timezone".into()))
        />
    }
    .into_any();
    let sign_out = view! { <SignOutSection/> }.into_any();
    let delete = settings
        .has_password
        .then(|| view! { <DeleteSection/> }.into_any());
    view! {
        <section class="settings-page">
            <p><a href="/tasks">"← Your tasks"</a></p>
            <h1>"Settings"</h1>
            <p data-testid="signed-in-as">"Signed in as " <strong>{settings.email.clone()}</strong></p>
            {tokens}
            {password}
            {zone}
            {sign_out}
            {delete}
        </section>
    }
}

fn scopes_text(scopes: &[Scope]) -> String {
    scopes
        .iter()
        .map(|scope| match scope {
            Scope::TasksRead => "read",
            Scope::TasksWrite => "write",
        })
        .collect::<Vec<_>>()
        .join(" and ")
}

fn day(at: &chrono::DateTime<chrono::Utc>) -> String {
    at.format("%Y-%m-%d").to_string()
}

#[component]
fn TokensSection(
    tokens: Vec<AccessToken>,
    new_token: Option<String>,
    create: ServerAction<CreateToken>,
    revoke: ServerAction<RevokeToken>,
) -> impl IntoView {
    let error = Signal::derive(move || create.value().get().and_then(Result::err));
    let revoke_error = Signal::derive(move || revoke.value().get().and_then(Result::err));
    // The secret of the token just made: from the action (JavaScript), or from the page's data
    // (a form posted without it).
    let created = Signal::derive(move || {
        create
            .value()
            .get()
            .and_then(Result::ok)
            .map(|created| created.token)
            .or_else(|| new_token.clone())
    });
    let field =
        move |name: &'static str| Signal::derive(move || error.get().and_then(|e| e.field(name)));
    // The list as the server rendered it, then kept in place: a token created or revoked from
    // the page's script joins or leaves it (a plain form post reloads the page instead).
    let tokens = RwSignal::new(tokens);
    Effect::new(move |_| {
        if let Some(Ok(created)) = create.value().get() {
            tokens.update(|tokens| {
                if !tokens.iter().any(|t| t.id == created.access_token.id) {
                    tokens.insert(0, created.access_token);
                }
            });
        }
    });
    Effect::new(move |_| {
        if let Some(Ok(revoked)) = revoke.value().get() {
            tokens.update(|tokens| tokens.retain(|t| t.id != revoked));
        }
    });
    view! {
        <section id="tokens" aria-labelledby="tokens-heading">
            <h2 id="tokens-heading">"Personal access tokens"</h2>
            <p>
                "For scripts and other apps: use one as " <code>"Authorization: Bearer tdp_…"</code>
                " with the API. It can read or change your tasks, projects and labels, never your account."
            </p>
            {move || created.get().map(|secret| view! { <NewToken secret/> })}
            <ActionForm action=create>
                <FormError message=Signal::derive(move || error.get().and_then(|e| e.form_message()))/>
                <Field label="Name" name="name" kind="text" autocomplete="off" error=field("name")/>
                <fieldset aria-describedby="scopes-error">
                    <legend>"It may"</legend>
                    <label><input type="checkbox" name="read" value="on" checked=true/>" read tasks, projects and labels"</label>
                    <label><input type="checkbox" name="write" value="on"/>" change them"</label>
                    <FieldMessage id="scopes-error" message=field("scopes")/>
                </fieldset>
                <div class="field">
                    <label for="field-expires_on">"Works until the end of (optional)"</label>
                    <input
                        id="field-expires_on"
                        name="expires_on"
                        type="date"
                        aria-invalid=move || field("expires_on").get().is_some().then_some("true")
                        aria-describedby="expires_on-error"
                    />
                    <FieldMessage id="expires_on-error" message=field("expires_on")/>
                </div>
                <button type="submit" class="primary" disabled=move || create.pending().get()>
                    "Create token"
                </button>
            </ActionForm>
            <FormError message=Signal::derive(move || revoke_error.get().map(|e| e.to_string()))/>
            <Show
                when=move || !tokens.read().is_empty()
                fallback=|| view! { <p class="empty">"You have no personal access tokens."</p> }
            >
                <ul class="token-list" aria-label="Your personal access tokens">
                    <For each=move || tokens.get() key=|token| token.id let:token>
                        <TokenItem token revoke/>
                    </For>
                </ul>
            </Show>
            <p class="hint">{format!("At most {} tokens.", NewAccessToken::MAX_PER_USER)}</p>
        </section>
    }
}

/// The secret of a token just created: shown once, with a copy button once the page runs.
#[component]
fn NewToken(secret: String) -> impl IntoView {
    let copied = RwSignal::new(false);
    let text = secret.clone();
    let copy = move |_| {
        copied.set(copy_to_clipboard(&text));
    };
    view! {
        <div class="new-token" role="status">
            <label for="new-token">"Your new token. Copy it now: it will not be shown again."</label>
            <input id="new-token" readonly=true value=secret.clone() data-testid="new-token"/>
            <button type="button" class="quiet" on:click=copy>
                {move || if copied.get() { "Copied" } else { "Copy" }}
            </button>
        </div>
    }
}

/// Puts `text` on the clipboard (the browser's asynchronous Clipboard API, reached through
/// `js_sys` since leptos's web-sys build does not include it). Whether the call was made.
fn copy_to_clipboard(text: &str) -> bool {
    #[cfg(feature = "hydrate")]
    {
        use leptos::wasm_bindgen::JsCast;
        use leptos::web_sys::js_sys::{Function, Reflect};
        let call = || -> Option<()> {
            let navigator = Reflect::get(&window(), &"navigator".into()).ok()?;
            let clipboard = Reflect::get(&navigator, &"clipboard".into()).ok()?;
            let write: Function = Reflect::get(&clipboard, &"writeText".into())
                .ok()?
                .dyn_into()
                .ok()?;
            write.call1(&clipboard, &text.into()).ok().map(drop)
        };
        call().is_some()
    }
    #[cfg(not(feature = "hydrate"))]
    {
        let _ = text;
        false
    }
}

#[component]
fn TokenItem(token: AccessToken, revoke: ServerAction<RevokeToken>) -> impl IntoView {
    let details = format!(
        "May {}. Created {}. {}. {}.",
        scopes_text(&token.scopes),
        day(&token.created_at),
        token.expires_at.as_ref().map_or_else(
            || "Does not expire".to_owned(),
            |at| format!("Expires {}", day(at))
        ),
        token.last_used_at.as_ref().map_or_else(
            || "Never used".to_owned(),
            |at| format!("Last used {}", at.format("%Y-%m-%d %H:%M UTC"))
        ),
    );
    let label = format!("Revoke {}", token.name);
    view! {
        <li class="token">
            <div>
                <strong>{token.name.clone()}</strong>
                <p class="meta">{details}</p>
            </div>
            <ActionForm action=revoke>
                <input type="hidden" name="id" value=token.id.to_string()/>
                <button type="submit" class="danger" aria-label=label>"Revoke"</button>
            </ActionForm>
        </li>
    }
}

#[component]
fn PasswordSection(#[prop(into)] done: Signal<bool>) -> impl IntoView {
    let action = ServerAction::<ChangePassword>::new();
    let error = Signal::derive(move || action.value().get().and_then(Result::err));
    let changed = move || done.get() || matches!(action.value().get(), Some(Ok(())));
    let field =
        move |name: &'static str| Signal::derive(move || error.get().and_then(|e| e.field(name)));
    view! {
        <section id="password" aria-labelledby="password-heading">
            <h2 id="password-heading">"Password"</h2>
            {move || changed().then(|| view! {
                <p class="notice" role="status">"Your password was changed. You were signed out everywhere else."</p>
            })}
            <ActionForm action=action>
                <FormError message=Signal::derive(move || error.get().and_then(|e| e.form_message()))/>
                <Field
                    label="Current password"
                    name="current_password"
                    kind="password"
                    autocomplete="current-password"
                    error=field("current_password")
                />
                <Field
                    label="New password (8 to 128 characters)"
                    name="new_password"
                    kind="password"
                    autocomplete="new-password"
                    error=field("new_password")
                />
                <button type="submit" class="primary" disabled=move || action.pending().get()>
                    "Change password"
                </button>
            </ActionForm>
        </section>
    }
}

#[component]
fn TimezoneSection(
    current: String,
    action: ServerAction<SetTimezone>,
    #[prop(into)] done: Signal<bool>,
) -> impl IntoView {
    let error = Signal::derive(move || action.value().get().and_then(Result::err));
    let field_error = Signal::derive(move || error.get().and_then(|e| e.field("timezone")));
    let saved = move || done.get() || matches!(action.value().get(), Some(Ok(_)));
    view! {
        <section id="timezone" aria-labelledby="timezone-heading">
            <h2 id="timezone-heading">"Time zone"</h2>
            <p>"Your day for due dates: what counts as today, overdue and upcoming."</p>
            {move || saved().then(|| view! { <p class="notice" role="status">"Time zone saved."</p> })}
            <ActionForm action=action>
                <FormError message=Signal::derive(move || error.get().and_then(|e| e.form_message()))/>
                <div class="field">
                    <label for="field-timezone">"Time zone (such as Europe/Berlin)"</label>
                    <input
                        id="field-timezone"
                        name="timezone"
                        type="text"
                        value=current
                        required=true
                        autocomplete="off"
                        aria-invalid=move || field_error.get().is_some().then_some("true")
                        aria-describedby="timezone-error"
                    />
                    <FieldMessage id="timezone-error" message=field_error/>
                </div>
                <button type="submit" class="primary" disabled=move || action.pending().get()>
                    "Save time zone"
                </button>
            </ActionForm>
        </section>
    }
}

#[component]
fn SignOutSection() -> impl IntoView {
    let action = ServerAction::<SignOutEverywhere>::new();
    let error = Signal::derive(move || action.value().get().and_then(Result::err));
    view! {
        <section id="sign-out" aria-labelledby="sign-out-heading">
            <h2 id="sign-out-heading">"Sign out everywhere"</h2>
            <p>"Ends every browser session and every app signed in with your password, this one too. Personal access tokens keep working."</p>
            <ActionForm action=action>
                <FormError message=Signal::derive(move || error.get().map(|e| e.to_string()))/>
                <button type="submit" disabled=move || action.pending().get()>"Sign out everywhere"</button>
            </ActionForm>
        </section>
    }
}

#[component]
fn DeleteSection() -> impl IntoView {
    let action = ServerAction::<DeleteAccount>::new();
    let error = Signal::derive(move || action.value().get().and_then(Result::err));
    view! {
        <section id="delete" aria-labelledby="delete-heading">
            <h2 id="delete-heading">"Delete account"</h2>
            <p>"Deletes your account with all its tasks, projects, labels and tokens, at once and for good."</p>
            <ActionForm action=action>
                <FormError message=Signal::derive(move || error.get().and_then(|e| e.form_message()))/>
                <Field
                    label="Your password, to confirm"
                    name="password"
                    kind="password"
                    autocomplete="current-password"
                    error=Signal::derive(move || error.get().and_then(|e| e.field("password")))
                />
                <button type="submit" class="danger" disabled=move || action.pending().get()>
                    "Delete my account"
                </button>
            </ActionForm>
        </section>
    }
}
