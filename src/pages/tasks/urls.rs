//! The way to sign-in and back (the page's own views are `TaskView::url`).

use crate::domain::encode_query_value;

/// The current page as a sign-in `next`, without a failed form's error parameters.
pub(super) fn here(pathname: &str, search: &str) -> String {
    let kept: Vec<&str> = search
        .split('&')
        .filter(|pair| {
            !pair.is_empty()
                && !["__path=", "__err=", "__errts=", "__errsig="]
                    .iter()
                    .any(|name| pair.starts_with(name))
        })
        .collect();
    if kept.is_empty() {
        pathname.to_owned()
    } else {
        format!("{pathname}?{}", kept.join("&"))
    }
}

pub(super) fn sign_in_url(next: &str) -> String {
    format!("/login?next={}", encode_query_value(next))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sign_in_returns_without_a_failed_posts_error() {
        assert_eq!(
            here(
                "/tasks",
                "filter=active&__path=%2Frpc&__err=abc&__errts=1&__errsig=x"
            ),
            "/tasks?filter=active"
        );
        assert_eq!(here("/tasks", ""), "/tasks");
    }
}
