//! The HTML shell and the root component, shared by server rendering and hydration.

use leptos::prelude::*;
use leptos_meta::provide_meta_context;
use leptos_router::components::{Route, Router, Routes};
use leptos_router::{SsrMode, StaticSegment};

use crate::pages::{Home, LoginPage, NotFound, RegisterPage, SettingsPage, TasksPage};

/// The document around the app: rendered on the server only.
#[cfg(feature = "ssr")]
pub fn shell(options: LeptosOptions) -> impl IntoView {
    use leptos_meta::MetaTags;

    // This is where a page learns its nonce.
    crate::server::security::set_page_csp();
    let bundle = crate::server::assets::Bundle::get(&options);
    let pkg = options.site_pkg_dir.clone();
    // Leptos's hydration bootstrap (its `HydrationScripts` with `defer`), without the preload
    // hints that component always adds: they start the 300 KB WASM download with the page, so
    // the first paint shared the network with it (Lighthouse, mobile: LCP 2.4 s, FCP 0.8 s).
    // Now the bundle is fetched when the browser is idle after the first paint; every control
    // works as a plain form until hydration.
    let hydrate = format!(
        "((js, wasm) => {{ const go = () => import(js).then(m => m.default({{module_or_path: wasm}}).then(() => m.hydrate())); \
         if ('requestIdleCallback' in window) {{ requestIdleCallback(go, {{timeout: 2000}}); }} else {{ go(); }} }})\
         ('/{pkg}/{js}.js', '/{pkg}/{wasm}.wasm');",
        js = bundle.js,
        wasm = bundle.wasm,
    );
    let nonce = leptos::nonce::use_nonce();
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
                <link rel="stylesheet" id="leptos" href=format!("/{pkg}/{}", bundle.css)/>
                <AutoReload options/>
                <script type="module" nonce=nonce>{hydrate}</script>
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
                    <Route path=StaticSegment("today") view=TasksPage ssr=SsrMode::Async/>
                    <Route path=StaticSegment("upcoming") view=TasksPage ssr=SsrMode::Async/>
                    <Route path=StaticSegment("settings") view=SettingsPage ssr=SsrMode::Async/>
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
