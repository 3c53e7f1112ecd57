//! The list's toolbar: the active count and "Clear completed".

use leptos::ev::SubmitEvent;
use leptos::prelude::*;
use leptos::server_fn::ServerFn;
use leptos::task::spawn_local;

use super::state::ListState;
use crate::server_fns::tasks::{clear_completed, ClearCompleted};

/// The active count and "Clear completed".
#[component]
pub(super) fn Toolbar(state: ListState) -> AnyView {
    let clearing = RwSignal::new(false);
    let on_clear = move |ev: SubmitEvent| {
        ev.prevent_default();
        clearing.set(true);
        state.notice.set(None);
        spawn_local(async move {
            match clear_completed().await {
                Ok(_) => {
                    state.tasks.update(|tasks| tasks.retain(|t| !t.completed));
                    state.completed.set(0);
                }
                Err(err) => {
                    state.on_error.try_run(err);
                }
            }
            clearing.set(false);
        });
    };
    let active_label = move || match state.active.get() {
        1 => "1 task left".to_owned(),
        n => format!("{n} tasks left"),
    };
    view! {
        <div class="toolbar">
            <p class="count" data-testid="active-count" aria-live="polite">{active_label}</p>
            <Show when=move || { state.completed.get() > 0 }>
                <form method="post" action=ClearCompleted::url() on:submit=on_clear>
                    <button type="submit" class="quiet" disabled=move || clearing.get()>
                        {move || {
                            if clearing.get() {
                                "Clearing…".to_owned()
                            } else {
                                format!("Clear completed ({})", state.completed.get())
                            }
                        }}
                    </button>
                </form>
            </Show>
        </div>
    }
    .into_any()
}
