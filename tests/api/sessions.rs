//! The PostgreSQL session store: what tower-sessions relies on.

use sqlx::PgPool;
use taskdeck::db::sessions::{delete_expired, PgSessionStore};
use time::{Duration, OffsetDateTime};
use tower_sessions::session::{Id, Record};
use tower_sessions::SessionStore;

use crate::helpers::row_count;

fn record(expires_in: Duration) -> Record {
    Record {
        id: Id::default(),
        data: [(
            "jwt".to_owned(),
            serde_json::json!("header.payload.signature"),
        )]
        .into_iter()
        .collect(),
        expiry_date: OffsetDateTime::now_utc() + expires_in,
    }
}

#[sqlx::test]
async fn sessions_round_trip_and_survive_a_new_store(pool: PgPool) {
    let store = PgSessionStore::new(pool.clone());
    let mut saved = record(Duration::days(7));
    store.create(&mut saved).await.unwrap();
    // Another store on the same database (another process, or after a restart) sees it.
    let other = PgSessionStore::new(pool);
    let loaded = other.load(&saved.id).await.unwrap().expect("session found");
    assert_eq!(loaded.data, saved.data);
    // Stored to the microsecond, as PostgreSQL keeps timestamps.
    let drift = (loaded.expiry_date - saved.expiry_date).abs();
    assert!(drift < Duration::milliseconds(1), "{drift}");

    let mut changed = loaded.clone();
    changed
        .data
        .insert("jwt".to_owned(), serde_json::json!("refreshed"));
    changed.expiry_date += Duration::hours(1);
    store.save(&changed).await.unwrap();
    let reloaded = other.load(&saved.id).await.unwrap().expect("session found");
    assert_eq!(reloaded.data["jwt"], "refreshed");
}

#[sqlx::test]
async fn deleted_and_expired_sessions_are_gone(pool: PgPool) {
    let store = PgSessionStore::new(pool.clone());
    let mut live = record(Duration::days(7));
    let mut expired = record(Duration::seconds(-1));
    store.create(&mut live).await.unwrap();
    store.create(&mut expired).await.unwrap();
    assert!(store.load(&expired.id).await.unwrap().is_none());
    assert_eq!(delete_expired(&pool).await.unwrap(), 1);

    store.delete(&live.id).await.unwrap();
    assert!(store.load(&live.id).await.unwrap().is_none());
    assert_eq!(row_count(&pool, "sessions").await, 0);
}

#[sqlx::test]
async fn create_never_overwrites_an_existing_session(pool: PgPool) {
    let store = PgSessionStore::new(pool);
    let mut first = record(Duration::days(7));
    store.create(&mut first).await.unwrap();
    // A second session that happens to draw the same id gets another one.
    let mut second = record(Duration::days(7));
    second.id = first.id;
    second
        .data
        .insert("jwt".to_owned(), serde_json::json!("someone else"));
    store.create(&mut second).await.unwrap();
    assert_ne!(second.id, first.id);
    let kept = store.load(&first.id).await.unwrap().expect("first session");
    assert_eq!(kept.data, first.data);
}

/// A request that renews a session after it was deleted (a sign-out racing another tab's
/// request) does not bring it back: `save` only updates a live row (issue 12, point 7).
#[sqlx::test]
async fn a_deleted_session_stays_deleted_when_a_request_in_flight_saves_it(pool: PgPool) {
    let store = PgSessionStore::new(pool.clone());
    let mut session = record(Duration::days(7));
    store.create(&mut session).await.unwrap();
    let in_flight = store.load(&session.id).await.unwrap().expect("live");
    store.delete(&session.id).await.unwrap();
    let mut renewed = in_flight;
    renewed.expiry_date = OffsetDateTime::now_utc() + Duration::days(14);
    store.save(&renewed).await.unwrap();
    assert!(store.load(&session.id).await.unwrap().is_none());
    assert_eq!(row_count(&pool, "sessions").await, 0);
    // An expired one is not revived either.
    let mut expired = record(Duration::seconds(-1));
    store.create(&mut expired).await.unwrap();
    let mut revived = expired.clone();
    revived.expiry_date = OffsetDateTime::now_utc() + Duration::days(7);
    store.save(&revived).await.unwrap();
    assert!(store.load(&expired.id).await.unwrap().is_none());
}
