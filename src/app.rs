//! The HTML shell and the root component, shared by server rendering and hydration.

use leptos::prelude::*;
use leptos_meta::{provide_meta_context, HashedStylesheet, MetaTags};
use leptos_router::components::{Route, Router, Routes};
use leptos_router::{SsrMode, StaticSegment};

use crate::pages::{Home, LoginPage, NotFound, RegisterPage, TasksPage};

/// The document around the app: rendered on the server only.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    // The shell only ever renders on the server; this is where a page learns its nonce.
    #[cfg(feature = "ssr")]
    crate::server::security::set_page_csp();
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1"/>
                <meta name="color-scheme" content="light dark"/>
                <meta
                    name="description"
                    content="Taskdeck: your tasks in the browser, and through a JSON API for the apps you use."
                />
                <link rel="icon" href="/favicon.svg" type="image/svg+xml"/>
                <HashedStylesheet options=options.clone() id="leptos"/>
                <AutoReload options=options.clone()/>
                // Hydration waits for the browser to be idle, its JS and WASM fetched at low
                // priority: the page's first paint no longer shares the network with 300 KB of
                // WASM (Lighthouse, mobile: LCP 2.4 s with, see the README for without). Every
                // control works as a plain form until then.
                <HydrationScripts options defer=true/>
                <MetaTags/>
            </head>
            <body>
                <App/>
            </body>
        </html>
    }
}

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    mark_hydrated();

    view! {
        <Router>
            <header class="site-header">
                <a class="brand" href="/">"Taskdeck"</a>
            </header>
            <main id="main" class="site-main">
                <Routes fallback=|| view! { <NotFound/> }>
                    <Route path=StaticSegment("") view=Home ssr=SsrMode::Async/>
                    <Route path=StaticSegment("login") view=LoginPage/>
                    <Route path=StaticSegment("register") view=RegisterPage/>
                    // Async: the whole page (and its redirect, when signed out) is decided
                    // before the first byte is sent.
                    <Route path=StaticSegment("tasks") view=TasksPage ssr=SsrMode::Async/>
                </Routes>
            </main>
        </Router>
    }
}

/// Sets `data-hydrated="true"` on `<html>` once the WASM has taken over the page. Effects never
/// run during server rendering, so the attribute's presence proves hydration finished; end-to-end
/// tests wait for it instead of sleeping.
fn mark_hydrated() {
    Effect::new(move |_| {
        if let Some(root) = document().document_element() {
            // Failing to set a data attribute is harmless: tests would then report the timeout.
            let _ = root.set_attribute("data-hydrated", "true");
        }
    });
}
