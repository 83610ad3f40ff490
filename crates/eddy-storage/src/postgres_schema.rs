//! eddy's schema in PostgreSQL and its migrations: a version table, and each migration applied
//! once, in order, in one transaction under an advisory lock, so nodes starting together never
//! apply one twice.

use deadpool_postgres::Object;

use crate::StorageError;
use crate::postgres_engine::pg_error;

/// The migrations, oldest first; the schema's version is how many have been applied. A new
/// one is appended, never edited in place: databases out there ran the old text.
pub const MIGRATIONS: &[&str] = &[
    // 1: the key space, in the byte order eddy's key encoding keeps DynamoDB's order in.
    "CREATE TABLE eddy_kv (key bytea PRIMARY KEY, value bytea NOT NULL)",
];

/// The schema version this eddy writes.
pub const SCHEMA_VERSION: i32 = MIGRATIONS.len() as i32;

/// Taken by every node migrating the same database (any constant; this one spells "eddy").
const MIGRATION_LOCK: i64 = 0x6564_6479;

/// Brings the schema up to [`SCHEMA_VERSION`]; answers the version it found.
///
/// # Errors
///
/// A schema newer than this eddy's (an older eddy must not write to it), or a failed statement.
pub(crate) async fn migrate(client: &mut Object) -> Result<i32, StorageError> {
    let tx = client.transaction().await.map_err(|e| pg_error(&e))?;
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK])
        .await
        .map_err(|e| pg_error(&e))?;
    tx.batch_execute("CREATE TABLE IF NOT EXISTS eddy_schema_version (version integer NOT NULL)")
        .await
        .map_err(|e| pg_error(&e))?;
    let found: i32 = tx
        .query_opt("SELECT version FROM eddy_schema_version", &[])
        .await
        .map_err(|e| pg_error(&e))?
        .map_or(0, |row| row.get(0));
    if found > SCHEMA_VERSION {
        return Err(StorageError::Engine(format!(
            "the database holds eddy schema version {found}, newer than this eddy's \
             {SCHEMA_VERSION}: run a newer eddy"
        )));
    }
    for migration in &MIGRATIONS[found as usize..] {
        tx.batch_execute(migration)
            .await
            .map_err(|e| pg_error(&e))?;
    }
    if found == 0 {
        tx.execute(
            "INSERT INTO eddy_schema_version (version) VALUES ($1)",
            &[&SCHEMA_VERSION],
        )
        .await
        .map_err(|e| pg_error(&e))?;
    } else if found < SCHEMA_VERSION {
        tx.execute(
            "UPDATE eddy_schema_version SET version = $1",
            &[&SCHEMA_VERSION],
        )
        .await
        .map_err(|e| pg_error(&e))?;
    }
    tx.commit().await.map_err(|e| pg_error(&e))?;
    Ok(found)
}
