//! Labels: a user's names for tagging tasks. Tasks are linked to them by id (`task_labels`: the
//! label filters, and what a rename or delete walks) and carry their names (`tasks.label_names`,
//! what every read of a task returns), so a rename rewrites the names on the tasks that carry it.

use sqlx::{PgConnection, PgExecutor, PgPool};
use uuid::Uuid;

use super::{matches, IfMatch, WriteError};
use crate::domain::{Label, LabelName, Labels, Limits};

/// Every label of the user, by name (case-insensitive).
pub async fn list(db: impl PgExecutor<'_>, user_id: Uuid) -> Result<Vec<Label>, sqlx::Error> {
    sqlx::query_as!(
        Label,
        "SELECT id, name, created_at, updated_at, version FROM labels WHERE user_id = $1 \
         ORDER BY lower(name), name",
        user_id
    )
    .fetch_all(db)
    .await
}

pub async fn get(
    db: impl PgExecutor<'_>,
    user_id: Uuid,
    id: Uuid,
) -> Result<Option<Label>, sqlx::Error> {
    sqlx::query_as!(
        Label,
        "SELECT id, name, created_at, updated_at, version FROM labels WHERE user_id = $1 AND id = $2",
        user_id,
        id
    )
    .fetch_optional(db)
    .await
}

/// Takes the user's lock for creating projects and labels, so that two concurrent creates
/// cannot both pass the limit's count. `FOR NO KEY UPDATE` does not block the foreign-key checks
/// of task writes (they take `FOR KEY SHARE`). Returns whether the user exists.
pub(super) async fn lock_user_for_creation(
    conn: &mut PgConnection,
    user_id: Uuid,
) -> Result<bool, sqlx::Error> {
    let found = sqlx::query_scalar!(
        r#"SELECT 1 AS "one!" FROM users WHERE id = $1 FOR NO KEY UPDATE"#,
        user_id
    )
    .fetch_optional(conn)
    .await?;
    Ok(found.is_some())
}

/// Creates a label, within the user's limit.
pub async fn create(
    pool: &PgPool,
    user_id: Uuid,
    name: &LabelName,
    limits: &Limits,
) -> Result<Label, WriteError> {
    let mut tx = crate::db::begin(pool).await?;
    if !lock_user_for_creation(&mut tx, user_id).await? {
        return Err(WriteError::UserGone);
    }
    let count = count(&mut *tx, user_id).await?;
    if count >= limits.labels {
        return Err(label_limit(limits));
    }
    let label = sqlx::query_as!(
        Label,
        "INSERT INTO labels (user_id, id, name) VALUES ($1, $2, $3) \
         RETURNING id, name, created_at, updated_at, version",
        user_id,
        Uuid::now_v7(),
        name.as_ref()
    )
    .fetch_one(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(label)
}

fn label_limit(limits: &Limits) -> WriteError {
    WriteError::Limit {
        what: "labels",
        limit: limits.labels,
    }
}

async fn count(db: impl PgExecutor<'_>, user_id: Uuid) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar!(
        r#"SELECT count(*) AS "count!" FROM labels WHERE user_id = $1"#,
        user_id
    )
    .fetch_one(db)
    .await
}

/// Renames a label; every task carrying it shows the new name, and its `updated_at` moves, in
/// the same transaction.
///
/// The label is locked first, in a statement of its own, so that the tasks' update (a later
/// statement, hence a later snapshot) sees every task given the label until then: a write that
/// gives a task labels locks them first (`ensure`), and waits for this transaction to end.
pub async fn rename(
    pool: &PgPool,
    user_id: Uuid,
    id: Uuid,
    name: &LabelName,
    if_match: IfMatch<'_>,
) -> Result<Option<Label>, WriteError> {
    let mut tx = crate::db::begin(pool).await?;
    let Some((old, _)) = lock(&mut tx, user_id, id)
        .await?
        .filter(|(_, version)| matches(if_match, *version))
    else {
        return Ok(None);
    };
    let renamed = sqlx::query_as!(
        Label,
        r#"WITH renamed AS (
               UPDATE labels SET name = $3, updated_at = now(), version = version + 1
               WHERE user_id = $1 AND id = $2
               RETURNING id, name, created_at, updated_at, version
           ), locked AS (
               -- In id order, as moves lock tasks, so that the two cannot deadlock.
               SELECT id FROM tasks
               WHERE user_id = $1
                 AND id IN (SELECT task_id FROM task_labels WHERE user_id = $1 AND label_id = $2)
               ORDER BY id FOR UPDATE
           ), touched AS (
               UPDATE tasks SET updated_at = now(), version = version + 1,
                   label_names = ARRAY(SELECT n FROM unnest(array_replace(label_names, $4, $3)) n
                                       ORDER BY lower(n), n)
               WHERE user_id = $1 AND EXISTS (SELECT 1 FROM renamed)
                 AND id IN (SELECT id FROM locked)
           )
           SELECT id AS "id!", name AS "name!", created_at AS "created_at!",
                  updated_at AS "updated_at!", version AS "version!"
           FROM renamed"#,
        user_id,
        id,
        name.as_ref(),
        old,
    )
    .fetch_optional(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(renamed)
}

/// Deletes a label: it leaves every task carrying it (their `updated_at` moves), in one
/// transaction, the label locked first as in [`rename`]. Whether it existed.
pub async fn delete(
    pool: &PgPool,
    user_id: Uuid,
    id: Uuid,
    if_match: IfMatch<'_>,
) -> Result<bool, WriteError> {
    let mut tx = crate::db::begin(pool).await?;
    let Some((name, _)) = lock(&mut tx, user_id, id)
        .await?
        .filter(|(_, version)| matches(if_match, *version))
    else {
        return Ok(false);
    };
    sqlx::query!(
        r#"WITH locked AS (
               -- In id order, as moves lock tasks, so that the two cannot deadlock.
               SELECT id FROM tasks
               WHERE user_id = $1
                 AND id IN (SELECT task_id FROM task_labels WHERE user_id = $1 AND label_id = $2)
               ORDER BY id FOR UPDATE
           ), touched AS (
               UPDATE tasks SET updated_at = now(), version = version + 1,
                                label_names = array_remove(label_names, $3)
               WHERE user_id = $1 AND id IN (SELECT id FROM locked)
           )
           DELETE FROM labels WHERE user_id = $1 AND id = $2"#,
        user_id,
        id,
        name,
    )
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(true)
}

/// Locks a label against renames, deletes and new tasks carrying it until the transaction ends;
/// its name and version, or `None` when the user has no such label.
async fn lock(
    tx: &mut PgConnection,
    user_id: Uuid,
    id: Uuid,
) -> Result<Option<(String, i64)>, sqlx::Error> {
    let row = sqlx::query!(
        "SELECT name, version FROM labels WHERE user_id = $1 AND id = $2 FOR UPDATE",
        user_id,
        id
    )
    .fetch_optional(tx)
    .await?;
    Ok(row.map(|row| (row.name, row.version)))
}

/// The ids of the user's labels with these names (case-insensitively, as the database's unique
/// index folds case), creating those the user has not got, within the limit. Runs inside the
/// caller's transaction. Each id once, whatever names fold together.
pub(super) async fn ensure(
    tx: &mut PgConnection,
    user_id: Uuid,
    labels: &Labels,
    limits: &Limits,
) -> Result<Vec<Uuid>, WriteError> {
    let names = labels.names();
    if names.is_empty() {
        return Ok(Vec::new());
    }
    let mut found = lookup(&mut *tx, user_id, &names).await?;
    // The labels that exist are locked before the user's row (taken below to create the others):
    // a rename or delete holds its label and then waits for tasks, and a task delete holds its
    // task and then waits for the user's row (`task_count`), so taking the user's row first and
    // a label after could close a cycle.
    let existing: Vec<Uuid> = found.iter().filter_map(|(_, id)| *id).collect();
    share_lock(&mut *tx, user_id, &existing).await?;
    if found.iter().any(|(_, id)| id.is_none()) {
        if !lock_user_for_creation(&mut *tx, user_id).await? {
            return Err(WriteError::UserGone);
        }
        // Under the lock: another write may have created some of them since the first look.
        found = lookup(&mut *tx, user_id, &names).await?;
        let missing: Vec<String> = found
            .iter()
            .filter(|(_, id)| id.is_none())
            .map(|(name, _)| name.clone())
            .collect();
        if count(&mut *tx, user_id).await? + missing.len() as i64 > limits.labels {
            return Err(label_limit(limits));
        }
        let ids: Vec<Uuid> = missing.iter().map(|_| Uuid::now_v7()).collect();
        // Names that fold together in the database are one label: the first one is kept.
        sqlx::query!(
            "INSERT INTO labels (user_id, id, name) SELECT $1, * FROM unnest($2::uuid[], $3::text[]) \
             ON CONFLICT (user_id, lower(name)) DO NOTHING",
            user_id,
            &ids,
            &missing
        )
        .execute(&mut *tx)
        .await?;
        found = lookup(&mut *tx, user_id, &names).await?;
    }
    let mut ids = Vec::with_capacity(found.len());
    for (_, id) in found {
        // A label deleted between the insert and this look (by another request).
        let id = id.ok_or(WriteError::Changed("a label was deleted meanwhile"))?;
        if !ids.contains(&id) {
            ids.push(id);
        }
    }
    // Until the transaction ends, none of them is renamed or deleted: the task's `label_names`,
    // written by the caller's next statement, are their names at commit. (Those locked above
    // already are; this adds the ones created meanwhile.)
    share_lock(&mut *tx, user_id, &ids).await?;
    Ok(ids)
}

/// Share-locks the user's labels `ids` (in id order, so that two writes sharing labels cannot
/// deadlock), before any task's lock (see `rename`); `Changed` when one is gone.
async fn share_lock(tx: &mut PgConnection, user_id: Uuid, ids: &[Uuid]) -> Result<(), WriteError> {
    if ids.is_empty() {
        return Ok(());
    }
    let locked = sqlx::query_scalar!(
        r#"SELECT count(*) AS "count!" FROM (
               SELECT 1 FROM labels WHERE user_id = $1 AND id = ANY($2) ORDER BY id FOR SHARE
           ) l"#,
        user_id,
        ids
    )
    .fetch_one(tx)
    .await?;
    if locked != ids.len() as i64 {
        return Err(WriteError::Changed("a label was deleted meanwhile"));
    }
    Ok(())
}

/// Each name with the id of the user's label of that name, if there is one.
async fn lookup(
    db: impl PgExecutor<'_>,
    user_id: Uuid,
    names: &[String],
) -> Result<Vec<(String, Option<Uuid>)>, sqlx::Error> {
    let rows = sqlx::query!(
        r#"SELECT n.name AS "name!", l.id AS "id?"
           FROM unnest($2::text[]) WITH ORDINALITY AS n (name, ord)
           LEFT JOIN labels l ON l.user_id = $1 AND lower(l.name) = lower(n.name)
           ORDER BY n.ord"#,
        user_id,
        names
    )
    .fetch_all(db)
    .await?;
    Ok(rows.into_iter().map(|row| (row.name, row.id)).collect())
}
