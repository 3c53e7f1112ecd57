use leptos::prelude::*;
use leptos_meta::Title;

/// The landing page.
#[component]
pub fn Home() -> impl IntoView {
    view! {
        <Title text="Taskdeck"/>
        <section class="hero" data-testid="landing">
            <h1>"Taskdeck"</h1>
            <p class="lede">
                "Tasks for you and your team: in the browser, and behind a JSON API your other apps can trust."
            </p>
        </section>
        <ul class="features" aria-label="What Taskdeck offers">
            <li>
                <h2>"Fast everywhere"</h2>
                <p>"Pages arrive rendered from the server and come alive in the browser, and every form still works with JavaScript off."</p>
            </li>
            <li>
                <h2>"One account, two doors"</h2>
                <p>"The same tasks from the web app or from the API at "<code>"/api"</code>", with a bearer token."</p>
            </li>
            <li>
                <h2>"Yours alone"</h2>
                <p>"Every task belongs to one user, and every query says so."</p>
            </li>
        </ul>
    }
}
