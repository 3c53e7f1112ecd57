//! Types shared by the server and the browser: wire formats and validated values.
//! Nothing here may depend on sqlx, axum or tokio, because it also compiles to WASM.

mod account;
pub mod changes;
mod cursor;
mod email;
pub mod input;
mod listing;
#[cfg(feature = "ssr")]
pub mod order;
pub mod organise;
mod password;
mod problem;
pub mod quick_add;
mod task;
mod task_form;
mod task_list;
pub mod timestamp;
mod tokens;

pub use account::{
    AuthResponse, Credentials, CredentialsInput, RegisterInput, TimeZoneInput, User,
};
pub use email::{Email, EmailError};
pub use listing::{
    Cursor, DueFilter, ListQuery, ParamError, ProjectFilter, Sort, SortKey, DEFAULT_LIMIT,
    MAX_LIMIT, MAX_SEARCH_CHARS,
};
pub use organise::{
    due_rank, parse_due_date, parse_due_time, DueError, Label, LabelInput, LabelName, Labels,
    LabelsError, Limits, Move, MoveInput, NameError, Place, Priority, PriorityError, Project,
    ProjectInput, ProjectName, NO_DUE_RANK,
};
pub use password::{Password, PasswordError};
pub use problem::{FieldError, Problem};
/// One test task, for unit tests across the crate.
#[cfg(test)]
pub(crate) use task::sample;
pub use task::{
    Description, DescriptionError, NewTask, Task, TaskInput, TaskPatch, TaskPatchInput, Title,
    TitleError,
};
pub use task_form::{KeptEdit, TaskForm};
pub use task_list::{
    matches_search, ListEntry, Lists, TaskChange, TaskChanges, TaskFilter, TaskPage, TaskView,
    ViewKind,
};

/// A resource with a version (API-sync.md): 1 at creation, +1 on every change.
pub trait Versioned {
    fn version(&self) -> i64;
}

impl Versioned for Task {
    fn version(&self) -> i64 {
        self.version
    }
}

impl Versioned for Project {
    fn version(&self) -> i64 {
        self.version
    }
}

impl Versioned for Label {
    fn version(&self) -> i64 {
        self.version
    }
}
pub use tokens::{
    AccessToken, AccessTokenInput, CreatedAccessToken, DeleteAccountInput, NewAccessToken,
    PasswordChange, PasswordChangeInput, RefreshInput, Scope, Settings,
};

use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};

/// What a query-string value keeps as it is: RFC 3986's unreserved characters, and `/` (so that a
/// `next=/tasks` stays readable). Everything else is percent-encoded.
const QUERY_VALUE: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~')
    .remove(b'/');

/// Percent-encodes a value for a URL's query string (not `form_urlencoded`: that would turn `/`
/// into `%2F` and spaces into `+`, changing every link the pages already hand out).
pub fn encode_query_value(value: &str) -> String {
    utf8_percent_encode(value, QUERY_VALUE).to_string()
}

/// `name=value&...`, each value encoded with [`encode_query_value`] (names are plain ASCII).
pub fn query_string<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> String {
    let mut query = String::new();
    for (name, value) in pairs {
        if !query.is_empty() {
            query.push('&');
        }
        query.push_str(name);
        query.push('=');
        query.push_str(&encode_query_value(value));
    }
    query
}
