//! Every schema change of both backends, in one list each, applied in order at start; a version records how far a
//! database is. SQLite keeps it in `PRAGMA user_version`, PostgreSQL in `schema_version`.
//!
//! PostgreSQL's first migration is the schema SQLite's first four leave (it started later), but for the counts SQLite's
//! third added (PostgreSQL's fifth); from then on, a change adds one file to each list
//! (`replicas::both_backends_migrate_to_the_same_tables` compares the two), except PostgreSQL's own `data_version`
//! (its seventh) and the sole-replica lease on it (its ninth), which only the replicas' read caches need, and its eighth
//! and tenth, storage settings (`fillfactor`) that SQLite has no counterpart of.

/// SQLite's migrations, oldest first.
pub(super) const SQLITE: &[&str] = &[
    include_str!("../../migrations/001_init.sql"),
    include_str!("../../migrations/002_unique_per_kind.sql"),
    include_str!("../../migrations/003_resource_counts.sql"),
    include_str!("../../migrations/004_ids_per_project.sql"),
    include_str!("../../migrations/005_shared_state.sql"),
    include_str!("../../migrations/006_job_claims.sql"),
    include_str!("../../migrations/007_submissions.sql"),
    include_str!("../../migrations/008_operations.sql"),
];

/// PostgreSQL's migrations, oldest first.
pub(super) const POSTGRES: &[&str] = &[
    include_str!("../../migrations/postgres/001_init.sql"),
    include_str!("../../migrations/postgres/002_shared_state.sql"),
    include_str!("../../migrations/postgres/003_job_claims.sql"),
    include_str!("../../migrations/postgres/004_submissions.sql"),
    include_str!("../../migrations/postgres/005_resource_counts.sql"),
    include_str!("../../migrations/postgres/006_operations.sql"),
    include_str!("../../migrations/postgres/007_data_version.sql"),
    include_str!("../../migrations/postgres/008_resource_fillfactor.sql"),
    include_str!("../../migrations/postgres/009_sole_replica.sql"),
    include_str!("../../migrations/postgres/010_job_fillfactor.sql"),
];

/// Applies SQLite's pending migrations in one transaction.
pub(super) fn migrate_sqlite(conn: &mut rusqlite::Connection) -> anyhow::Result<()> {
    let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
    let version: i64 = tx.query_row("PRAGMA user_version", [], |row| row.get(0))?;
    for (index, sql) in SQLITE.iter().enumerate().skip(version as usize) {
        tx.execute_batch(sql)?;
        tx.execute_batch(&format!("PRAGMA user_version = {}", index + 1))?;
    }
    tx.commit()?;
    Ok(())
}

/// Applies PostgreSQL's pending migrations inside `tx` (which holds the migration lock).
pub(super) async fn migrate_postgres(tx: &tokio_postgres::Transaction<'_>) -> anyhow::Result<()> {
    tx.batch_execute("CREATE TABLE IF NOT EXISTS schema_version (version BIGINT NOT NULL)").await?;
    let version: Option<i64> = tx.query_opt("SELECT version FROM schema_version", &[]).await?.map(|row| row.get(0));
    if version.is_none() {
        tx.execute("INSERT INTO schema_version (version) VALUES (0)", &[]).await?;
    }
    let version = version.unwrap_or(0);
    if version as usize > POSTGRES.len() {
        anyhow::bail!("the database's schema is version {version}, newer than this sdrs-server's {}", POSTGRES.len());
    }
    for (index, sql) in POSTGRES.iter().enumerate().skip(version as usize) {
        tx.batch_execute(sql).await?;
        tx.execute("UPDATE schema_version SET version = $1", &[&(index as i64 + 1)]).await?;
    }
    Ok(())
}
