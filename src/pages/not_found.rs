use leptos::prelude::*;
use leptos_meta::Title;

/// Rendered for any path no route claims; the server answers it with status 404.
#[component]
pub fn NotFound() -> impl IntoView {
    view! {
        <Title text="Page not found · Taskdeck"/>
        <section class="hero">
            <h1>"Page not found"</h1>
            <p class="lede">"There is nothing at this address. "<a href="/">"Go to the start page"</a>"."</p>
        </section>
    }
}
