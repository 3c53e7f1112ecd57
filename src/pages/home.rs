use leptos::prelude::*;
use leptos_router::components::Redirect;

use crate::server_fns::auth::current_user;

/// `/`: signed-in users go to their tasks, everyone else to the sign-in page. Decided while
/// rendering on the server (the route is async), so it is a plain redirect without JavaScript.
#[component]
pub fn Home() -> impl IntoView {
    let user = Resource::new_blocking(|| (), |()| current_user());
    view! {
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                let path = match user.await {
                    Ok(Some(_)) => "/tasks",
                    _ => "/login",
                };
                view! { <Redirect path/> }
            })}
        </Suspense>
    }
}
