//! Live updates: the page keeps in step with the user's other pages and API clients.
//!
//! While the page is visible it holds an `EventSource` on the pages' event stream
//! ([`EVENTS_PATH`], through the session cookie: no token in a URL). Each event, and each
//! (re)connection, reads the task changes after the page's feed cursor
//! ([`changed_tasks`]) and merges them into the list ([`ListState::take_in`]): nothing is missed
//! while the stream was down, since the cursor only moves with what was read. One read runs at a
//! time; events arriving meanwhile make one more read after it.
//!
//! A hidden page (another tab in front, a minimised window) closes its stream and reconnects,
//! catching up, when it is shown again: a browser gives a site six HTTP/1.1 connections, and a
//! stream held by every open tab would leave none for the page in front. A stream the server
//! refused (too many open, a restart, a session that ended) is tried again after a growing pause;
//! a read that finds the session gone sends the user to sign in, as every other call does.

use leptos::prelude::*;

use super::state::ListState;
use crate::error::AppError;
#[cfg(feature = "hydrate")]
use crate::server_fns::{tasks::changed_tasks, EVENTS_PATH};

/// Follows the user's changes into whatever list `current` holds, for as long as the calling
/// component lives and until `stop` holds (signing out); `loaded` rings when a new list is put
/// there (it is read up to date at once).
/// `reload` loads the page afresh (a cursor older than the feed keeps, or one the session no
/// longer owns); `on_error` takes a lost session.
pub(super) fn follow(
    current: StoredValue<Option<ListState>>,
    loaded: Trigger,
    stop: Signal<bool>,
    reload: Callback<()>,
    on_error: Callback<AppError>,
) {
    #[cfg(feature = "hydrate")]
    browser::follow(current, loaded, stop, reload, on_error);
    #[cfg(not(feature = "hydrate"))]
    let _ = (current, loaded, stop, reload, on_error);
}

#[cfg(feature = "hydrate")]
mod browser {
    use std::cell::{Cell, RefCell};
    use std::rc::{Rc, Weak};
    use std::time::Duration;

    use leptos::prelude::*;
    use leptos::task::spawn_local;
    use send_wrapper::SendWrapper;
    use wasm_bindgen::closure::Closure;
    use wasm_bindgen::JsCast;
    use web_sys::{EventSource, VisibilityState};

    use super::*;

    /// The first pause before trying a refused stream again, doubled each time up to
    /// [`RETRY_MOST`].
    const RETRY_FIRST: Duration = Duration::from_secs(2);
    const RETRY_MOST: Duration = Duration::from_secs(60);

    type Listener = Closure<dyn FnMut(web_sys::Event)>;

    struct Live {
        current: StoredValue<Option<ListState>>,
        stop: Signal<bool>,
        reload: Callback<()>,
        on_error: Callback<AppError>,
        /// The sidebar, read again after changes (its counts, and projects or labels changed
        /// elsewhere: the feed's reads bring tasks only).
        sidebar: Option<super::super::state::Sidebar>,
        /// The open stream and the listeners it calls (dropped only after it is closed).
        source: RefCell<Option<(EventSource, Vec<Listener>)>>,
        /// A read is running; `again`: another was asked for meanwhile.
        reading: Cell<bool>,
        again: Cell<bool>,
        /// The pause before the next try of a refused stream.
        retry: Cell<Duration>,
        /// The page is gone: connect no more.
        ended: Cell<bool>,
    }

    pub(super) fn follow(
        current: StoredValue<Option<ListState>>,
        loaded: Trigger,
        stop: Signal<bool>,
        reload: Callback<()>,
        on_error: Callback<AppError>,
    ) {
        let live = Rc::new(Live {
            current,
            stop,
            reload,
            on_error,
            sidebar: use_context(),
            source: RefCell::new(None),
            reading: Cell::new(false),
            again: Cell::new(false),
            retry: Cell::new(RETRY_FIRST),
            ended: Cell::new(false),
        });
        Live::connect(&live);
        let weak = Rc::downgrade(&live);
        Effect::new(move |_| {
            loaded.track();
            if let Some(live) = weak.upgrade() {
                Live::read(&live);
            }
        });
        let weak = Rc::downgrade(&live);
        let on_visibility: Closure<dyn FnMut()> = Closure::new(move || {
            if let Some(live) = weak.upgrade() {
                if hidden() {
                    live.disconnect();
                } else {
                    Live::connect(&live);
                }
            }
        });
        let document = document();
        let _ = document.add_event_listener_with_callback(
            "visibilitychange",
            on_visibility.as_ref().unchecked_ref(),
        );
        let held = SendWrapper::new((live, on_visibility));
        on_cleanup(move || {
            // Run where it was made (the page's one thread); `take` would panic elsewhere.
            if !held.valid() {
                return;
            }
            let (live, on_visibility) = held.take();
            live.ended.set(true);
            live.disconnect();
            let _ = document.remove_event_listener_with_callback(
                "visibilitychange",
                on_visibility.as_ref().unchecked_ref(),
            );
        });
    }

    /// `<html data-live="open">` while the stream is open: what an end-to-end test waits for
    /// before it changes something elsewhere, as it waits for `data-hydrated`.
    fn mark_open(open: bool) {
        if let Some(root) = document().document_element() {
            let _ = if open {
                root.set_attribute("data-live", "open")
            } else {
                root.remove_attribute("data-live")
            };
        }
    }

    fn hidden() -> bool {
        document().visibility_state() == VisibilityState::Hidden
    }

    impl Live {
        /// The page is gone, or its user is signing out: nothing more is sent.
        fn over(&self) -> bool {
            self.ended.get() || self.stop.try_get_untracked().unwrap_or(true)
        }

        fn connect(this: &Rc<Self>) {
            if this.over() || this.source.borrow().is_some() || hidden() {
                return;
            }
            let Ok(source) = EventSource::new(EVENTS_PATH) else {
                return;
            };
            let listener = |act: fn(&Rc<Live>, &EventSource)| -> Listener {
                let weak: Weak<Live> = Rc::downgrade(this);
                let source = source.clone();
                Closure::new(move |_: web_sys::Event| {
                    if let Some(live) = weak.upgrade() {
                        act(&live, &source);
                    }
                })
            };
            let on_open = listener(|live, _| {
                live.retry.set(RETRY_FIRST);
                mark_open(true);
                Live::read(live);
            });
            let on_change = listener(|live, _| Live::read(live));
            let on_error = listener(|live, source| {
                if source.ready_state() != EventSource::OPEN {
                    mark_open(false);
                }
                // A dropped connection is retried by the browser itself (CONNECTING); a refusal
                // (not a stream: 401, 429, 503) closes it for good, so try again later here,
                // reading first what changed meanwhile (a read also finds a session that ended,
                // and sends the user to sign in). Not at once: a page being left closes its
                // stream this way too, and must not send anything more.
                if source.ready_state() == EventSource::CLOSED {
                    live.disconnect();
                    let pause = live.retry.get();
                    live.retry.set((pause * 2).min(RETRY_MOST));
                    let weak = Rc::downgrade(live);
                    set_timeout(
                        move || {
                            if let Some(live) = weak.upgrade() {
                                if !live.over() {
                                    Live::read(&live);
                                    Live::connect(&live);
                                }
                            }
                        },
                        pause,
                    );
                }
            });
            source.set_onopen(Some(on_open.as_ref().unchecked_ref()));
            source.set_onerror(Some(on_error.as_ref().unchecked_ref()));
            let _ = source
                .add_event_listener_with_callback("change", on_change.as_ref().unchecked_ref());
            *this.source.borrow_mut() = Some((source, vec![on_open, on_change, on_error]));
        }

        fn disconnect(&self) {
            mark_open(false);
            let open = self.source.borrow_mut().take();
            if let Some((source, listeners)) = open {
                source.close();
                source.set_onopen(None);
                source.set_onerror(None);
                drop(listeners);
            }
        }

        /// Reads the changes after the current list's cursor, until there are none, and merges
        /// them in. A read asked for while one runs is done after it.
        fn read(this: &Rc<Self>) {
            if this.reading.replace(true) {
                this.again.set(true);
                return;
            }
            let live = Rc::clone(this);
            spawn_local(async move {
                loop {
                    live.again.set(false);
                    if live.over() {
                        break;
                    }
                    let Some(Some(state)) = live.current.try_get_value() else {
                        break;
                    };
                    let Some(since) = state.feed.try_get_value() else {
                        break;
                    };
                    let read = changed_tasks(since).await;
                    if live.over() {
                        break;
                    }
                    match read {
                        // Older than the feed keeps: load the list afresh.
                        Ok(batch) if batch.reload => {
                            live.reload.try_run(());
                            break;
                        }
                        // Not the session's user's: someone else signed in since, in another
                        // tab. The whole page is theirs now, so load it again.
                        Err(AppError::Validation(_)) => {
                            let _ = window().location().reload();
                            break;
                        }
                        Ok(batch) => {
                            let more = batch.more;
                            let anything = batch.anything;
                            state.take_in(batch);
                            if anything {
                                if let Some(sidebar) = live.sidebar {
                                    sidebar.reload.try_run(());
                                }
                            }
                            if more {
                                live.again.set(true);
                            }
                        }
                        Err(AppError::Unauthorized) => {
                            live.on_error.try_run(AppError::Unauthorized);
                            break;
                        }
                        // Anything else (the network, a busy server): read again after a pause
                        // (or at the next event, whichever is first), from the same cursor.
                        Err(_) => {
                            let weak = Rc::downgrade(&live);
                            set_timeout(
                                move || {
                                    if let Some(live) = weak.upgrade() {
                                        Live::read(&live);
                                    }
                                },
                                RETRY_FIRST,
                            );
                            break;
                        }
                    }
                    if !live.again.get() {
                        break;
                    }
                }
                live.reading.set(false);
            });
        }
    }
}
