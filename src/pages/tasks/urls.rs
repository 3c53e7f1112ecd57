//! The URLs the page builds: its own views, and the way to sign-in and back.

use uuid::Uuid;

use crate::domain::{encode_query_value, TaskFilter};

/// `/tasks` with these settings; what tabs, links and redirects point at.
pub(super) fn tasks_url(
    filter: TaskFilter,
    q: &str,
    cursor: Option<&str>,
    edit: Option<Uuid>,
) -> String {
    let mut query = Vec::new();
    if filter != TaskFilter::All {
        query.push(format!("filter={}", filter.as_str()));
    }
    if !q.is_empty() {
        query.push(format!("q={}", encode_query_value(q)));
    }
    if let Some(cursor) = cursor {
        query.push(format!("cursor={}", encode_query_value(cursor)));
    }
    if let Some(id) = edit {
        query.push(format!("edit={id}"));
    }
    if query.is_empty() {
        "/tasks".to_owned()
    } else {
        format!("/tasks?{}", query.join("&"))
    }
}

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
    fn urls_carry_only_what_differs_from_the_default() {
        assert_eq!(tasks_url(TaskFilter::All, "", None, None), "/tasks");
        assert_eq!(
            tasks_url(TaskFilter::Active, "oat milk", Some("1_a_b"), None),
            "/tasks?filter=active&q=oat%20milk&cursor=1_a_b"
        );
    }

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
