//! PostgreSQL as a storage engine: the key space is one table of `bytea` keys, which PostgreSQL
//! orders byte by byte, as eddy's order-preserving key encoding needs, so a range read is an
//! index scan of the primary key.
//!
//! - A snapshot is a REPEATABLE READ, READ ONLY transaction on a pooled connection of its own,
//!   opened and pinned (its first statement takes PostgreSQL's snapshot) before `snapshot()`
//!   returns, and rolled back when the snapshot is dropped. Range reads page through it by key.
//! - A batch is one statement, so one transaction and one round trip: a delete of its deletes
//!   and an upsert of its puts, over arrays. It commits with `synchronous_commit = off`, visible
//!   at once; `wait_durable` then commits a transaction of its own synchronously, which flushes
//!   the journal through every earlier commit, after the caller has released its lock.
//! - The trait is synchronous and is called from any thread, tokio's workers included, where
//!   blocking on another runtime would panic. So the engine runs the PostgreSQL client on a small
//!   runtime of its own and the caller waits on a channel for the answer.

use std::ops::Bound;
use std::str::FromStr;
use std::sync::Arc;
use std::sync::mpsc;

use deadpool_postgres::{Manager, ManagerConfig, Object, Pool, RecyclingMethod};
use tokio_postgres::types::ToSql;

use crate::locks::{Held, HeldLock};
use crate::postgres_schema;
use crate::storage::{RangeIter, check_lock_id, normalize_range};
use crate::{Direction, Snapshot, Storage, StorageError, Ticket, WriteBatch};

/// A stored key and its value.
type Pair = (Vec<u8>, Vec<u8>);

/// Pairs a range read fetches per round trip.
const PAGE: i64 = 256;

/// Connections the pool opens unless told otherwise.
pub const DEFAULT_POOL_SIZE: usize = 16;

/// A storage engine in a PostgreSQL database, shared by every eddy process pointed at it:
/// its locks ([`Storage::lock`]) are PostgreSQL's advisory locks.
///
/// Share it as `Arc<dyn Storage>`.
pub struct PostgresStorage {
    inner: Arc<Inner>,
}

/// The high 16 bits of the advisory locks [`Storage::lock`] takes ("ed"), keeping them apart
/// from any other advisory lock of the database: ids are below 2^48.
const LOCK_SPACE: i64 = 0x6564 << 48;

/// How long a lock is waited for before the request fails: a holder that stopped answering
/// without its connection closing must not hold every writer of a table forever.
const LOCK_WAIT: &str = "30s";

/// How long a snapshot or a lock waits for a connection of its pool before it opens one of
/// its own.
const POOL_WAIT: std::time::Duration = std::time::Duration::from_millis(20);

/// What the storage and its snapshots share: the client's runtime, the pool, and what a
/// connection of a snapshot's own is opened with.
struct Inner {
    runtime: Option<tokio::runtime::Runtime>,
    /// Connections for commits and point reads.
    pool: Pool,
    /// Connections for snapshots, which hold theirs as long as they live: apart, so that
    /// snapshots kept open never starve commits.
    snapshots: Pool,
    /// Connections holding a lock of [`Storage::lock`] (advisory locks belong to a session):
    /// apart, so that writers holding locks always find a connection to commit on.
    locks: Pool,
    config: tokio_postgres::Config,
    /// What a lock's connection of its own is opened with (the locks pool's settings).
    lock_config: tokio_postgres::Config,
    tls: tokio_postgres_rustls::MakeRustlsConnect,
}

impl Drop for Inner {
    fn drop(&mut self) {
        // The last owner may be a task of another runtime, where a blocking shutdown panics.
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }
}

impl Inner {
    fn handle(&self) -> &tokio::runtime::Handle {
        // Set from construction until drop.
        match &self.runtime {
            Some(runtime) => runtime.handle(),
            None => unreachable!("the runtime lives as long as the engine"),
        }
    }

    /// Runs `work` on the engine's runtime and waits for its answer, from any thread.
    fn run<T, F>(&self, work: F) -> Result<T, StorageError>
    where
        T: Send + 'static,
        F: Future<Output = Result<T, StorageError>> + Send + 'static,
    {
        let (tx, rx) = mpsc::sync_channel(1);
        self.handle().spawn(async move {
            let _ = tx.send(work.await);
        });
        rx.recv()
            .map_err(|_| StorageError::Engine("the PostgreSQL client stopped".to_owned()))?
    }
}

impl PostgresStorage {
    /// Connects to the database `url` names (`postgres://user:password@host:port/db`, with
    /// `sslmode=require` for TLS), with at most `pool_size` connections, and creates or
    /// migrates eddy's schema there.
    ///
    /// # Errors
    ///
    /// A malformed URL, a database that cannot be reached, or a schema newer than this eddy.
    pub fn connect(url: &str, pool_size: usize) -> Result<Self, StorageError> {
        let mut config = tokio_postgres::Config::from_str(url)
            .map_err(|e| StorageError::Engine(format!("bad PostgreSQL URL: {e}")))?;
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(std::time::Duration::from_secs(10));
        }
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("eddy-postgres")
            .enable_all()
            .build()?;
        let tls = tls()?;
        let pool_of = |config: &tokio_postgres::Config, size: usize| {
            let manager = Manager::from_config(
                config.clone(),
                tls.clone(),
                ManagerConfig {
                    recycling_method: RecyclingMethod::Fast,
                },
            );
            // An unreachable or stalled database fails requests with an error instead of
            // holding them forever.
            Pool::builder(manager)
                .max_size(size.max(1))
                .wait_timeout(Some(std::time::Duration::from_secs(30)))
                .create_timeout(Some(std::time::Duration::from_secs(10)))
                .recycle_timeout(Some(std::time::Duration::from_secs(10)))
                .runtime(deadpool_postgres::Runtime::Tokio1)
                .build()
                .map_err(|e| StorageError::Engine(format!("PostgreSQL pool: {e}")))
        };
        // Commits on the main pool return once visible, not once flushed: the caller waits for
        // durability after releasing its table's lock (`wait_durable`), so writes queued behind
        // the lock share PostgreSQL's journal flushes instead of each waiting for its own.
        let mut async_commits = config.clone();
        async_commits.options(format!(
            "{} -c synchronous_commit=off",
            config.get_options().unwrap_or_default()
        ));
        let pool = pool_of(&async_commits, pool_size)?;
        let snapshots = pool_of(&config, pool_size)?;
        let mut lock_waits = config.clone();
        lock_waits.options(format!(
            "{} -c lock_timeout={LOCK_WAIT}",
            config.get_options().unwrap_or_default()
        ));
        let locks = pool_of(&lock_waits, pool_size)?;
        let inner = Arc::new(Inner {
            runtime: Some(runtime),
            pool,
            snapshots,
            locks,
            config,
            lock_config: lock_waits,
            tls,
        });
        let pool = inner.pool.clone();
        inner.run(async move {
            let mut client = connection(&pool).await?;
            postgres_schema::migrate(&mut client).await
        })?;
        Ok(Self { inner })
    }
}

impl PostgresStorage {
    /// Creates the database `name` on the server `admin_url` connects to, and answers the URL
    /// of it: a fresh database per test, or per eddy deployment.
    ///
    /// # Errors
    ///
    /// The server refused, or cannot be reached.
    pub fn create_database(admin_url: &str, name: &str) -> Result<String, StorageError> {
        if name.is_empty() || !name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
            return Err(StorageError::Engine(format!(
                "`{name}`: a database name here is letters, digits and underscores"
            )));
        }
        let config = tokio_postgres::Config::from_str(admin_url)
            .map_err(|e| StorageError::Engine(format!("bad PostgreSQL URL: {e}")))?;
        let statement = format!("CREATE DATABASE {name}");
        // A thread of its own, so the caller may be on any runtime.
        std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()?;
            runtime.block_on(async move {
                let (client, connection) =
                    config.connect(tls()?).await.map_err(|e| pg_error(&e))?;
                tokio::spawn(connection);
                client
                    .batch_execute(&statement)
                    .await
                    .map_err(|e| pg_error(&e))
            })
        })
        .join()
        .map_err(|_| StorageError::Engine("creating the database panicked".to_owned()))??;
        let (base, query) = match admin_url.split_once('?') {
            Some((base, query)) => (base, Some(query)),
            None => (admin_url, None),
        };
        let authority_end = base.find("://").map_or(0, |at| at + 3);
        let server = match base[authority_end..].find('/') {
            Some(slash) => &base[..authority_end + slash],
            None => base,
        };
        Ok(match query {
            Some(query) => format!("{server}/{name}?{query}"),
            None => format!("{server}/{name}"),
        })
    }
}

/// TLS as the URL's `sslmode` asks (`prefer` by default: TLS when the server offers it),
/// checked against the system's trusted roots.
fn tls() -> Result<tokio_postgres_rustls::MakeRustlsConnect, StorageError> {
    let mut roots = rustls::RootCertStore::empty();
    for cert in rustls_native_certs::load_native_certs().certs {
        // A certificate the store cannot parse only narrows what is trusted.
        let _ = roots.add(cert);
    }
    let config = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .map_err(|e| StorageError::Engine(format!("TLS: {e}")))?
    .with_root_certificates(roots)
    .with_no_client_auth();
    Ok(tokio_postgres_rustls::MakeRustlsConnect::new(config))
}

/// A pooled connection.
async fn connection(pool: &Pool) -> Result<Object, StorageError> {
    pool.get()
        .await
        .map_err(|e| StorageError::Engine(format!("PostgreSQL connection: {e}")))
}

/// The value of `key`, as the connection's transaction (or the latest commit) sees it.
async fn value_of(
    client: &tokio_postgres::Client,
    key: &[u8],
) -> Result<Option<Vec<u8>>, StorageError> {
    let row = client
        .query_opt("SELECT value FROM eddy_kv WHERE key = $1", &[&key])
        .await
        .map_err(|e| pg_error(&e))?;
    Ok(row.map(|r| r.get::<_, Vec<u8>>(0)))
}

/// A PostgreSQL error as the storage layer reports it: the server's own message when it sent
/// one.
pub(crate) fn pg_error(e: &tokio_postgres::Error) -> StorageError {
    match e.as_db_error() {
        Some(db) => {
            StorageError::Engine(format!("PostgreSQL {}: {}", db.code().code(), db.message()))
        }
        None => StorageError::Engine(format!("PostgreSQL: {e}")),
    }
}

impl Storage for PostgresStorage {
    fn snapshot(&self) -> Box<dyn Snapshot> {
        let pool = self.inner.snapshots.clone();
        let config = self.inner.config.clone();
        let tls = self.inner.tls.clone();
        let opened = self.inner.run(async move {
            let client = Session::open(&pool, &config, tls).await?;
            // The SELECT takes the transaction's snapshot now, not at the first read.
            client
                .client()
                .batch_execute("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY; SELECT 1")
                .await
                .map_err(|e| pg_error(&e))?;
            Ok(Arc::new(client))
        });
        Box::new(PgSnapshot {
            inner: Arc::clone(&self.inner),
            client: opened,
        })
    }

    fn apply(&self, batch: WriteBatch) -> Result<Ticket, StorageError> {
        let ops = batch.into_final_ops()?;
        if ops.is_empty() {
            return Ok(Ticket::default());
        }
        let mut put_keys = Vec::new();
        let mut put_values = Vec::new();
        let mut deletes = Vec::new();
        for (key, value) in ops {
            match value {
                Some(value) => {
                    put_keys.push(key);
                    put_values.push(value);
                }
                None => deletes.push(key),
            }
        }
        let pool = self.inner.pool.clone();
        self.inner.run(async move {
            let client = connection(&pool).await?;
            // One statement is one transaction, and one round trip. Puts and deletes name
            // different keys (one final operation per key), so their order does not matter.
            client
                .execute(
                    "WITH deleted AS (DELETE FROM eddy_kv WHERE key = ANY($3::bytea[])) \
                     INSERT INTO eddy_kv (key, value) SELECT * FROM unnest($1::bytea[], $2::bytea[]) \
                     ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value",
                    &[&put_keys, &put_values, &deletes],
                )
                .await
                .map_err(|e| pg_error(&e))
        })?;
        Ok(Ticket(1))
    }

    fn wait_durable(&self, ticket: Ticket) -> Result<(), StorageError> {
        if ticket == Ticket::default() {
            return Ok(());
        }
        let pool = self.inner.pool.clone();
        self.inner.run(async move {
            let client = connection(&pool).await?;
            // A synchronous commit flushes the journal up to its own record, and so every
            // commit before it; concurrent waits share flushes (PostgreSQL's group commit).
            client
                .batch_execute(
                    "BEGIN; SET LOCAL synchronous_commit = on; SELECT txid_current(); COMMIT",
                )
                .await
                .map_err(|e| pg_error(&e))
        })
    }

    fn remote(&self) -> bool {
        true
    }

    fn waits_for_sync(&self) -> bool {
        // Every commit is a round trip to the database and its journal sync.
        true
    }

    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>, StorageError> {
        let pool = self.inner.pool.clone();
        let key = key.to_vec();
        self.inner.run(async move {
            let client = connection(&pool).await?;
            value_of(&client, &key).await
        })
    }

    fn shared(&self) -> bool {
        true
    }

    fn lock(
        &self,
        id: u64,
        keys: &[&[u8]],
    ) -> Result<(HeldLock, Vec<Option<Vec<u8>>>), StorageError> {
        let lock = lock_key(id)?;
        let keys: Vec<Vec<u8>> = keys.iter().map(|k| k.to_vec()).collect();
        let pool = self.inner.locks.clone();
        let (config, tls) = (self.inner.lock_config.clone(), self.inner.tls.clone());
        let (session, values) = self.inner.run(async move {
            // A transaction locks each of its tables at once, so the pool may be short of
            // connections: past a short wait the lock gets a connection of its own.
            let session = Session::open(&pool, &config, tls).await?;
            match lock_and_read(&session, lock, &keys).await {
                Ok(values) => Ok((session, values)),
                Err(e) => {
                    // Whether the lock was taken is unknown, and a session that may hold it
                    // must never serve another lock or go back to the pool.
                    session.discard();
                    Err(e)
                }
            }
        })?;
        let held = AdvisoryLock {
            inner: Arc::clone(&self.inner),
            session: Some(session),
            lock,
        };
        Ok((Box::new(held), values))
    }

    fn try_lock(&self, id: u64) -> Result<Option<HeldLock>, StorageError> {
        let lock = lock_key(id)?;
        let (config, tls) = (self.inner.config.clone(), self.inner.tls.clone());
        // A connection of its own, outside the pools: such a lock is held for long (a
        // leader's), and must not take a connection from the writers.
        let session = self.inner.run(async move {
            let (client, connection) = config.connect(tls).await.map_err(|e| pg_error(&e))?;
            tokio::spawn(connection);
            let taken: bool = client
                .query_one("SELECT pg_try_advisory_lock($1)", &[&lock])
                .await
                .map_err(|e| pg_error(&e))?
                .get(0);
            Ok(taken.then_some(client))
        })?;
        Ok(session.map(|client| Box::new(SessionLock { client }) as HeldLock))
    }
}

/// The advisory lock of a [`Storage::lock`] id.
fn lock_key(id: u64) -> Result<i64, StorageError> {
    let id = check_lock_id(id)?;
    // At most 2^48 - 1, so it fits beside the space's bits.
    Ok(LOCK_SPACE | id as i64)
}

/// Takes the advisory lock `lock` and reads `keys` once it is held, in one round trip.
async fn lock_and_read(
    session: &Session,
    lock: i64,
    keys: &[Vec<u8>],
) -> Result<Vec<Option<Vec<u8>>>, StorageError> {
    let take = session.prepare("SELECT pg_advisory_lock($1)").await?;
    let read = session
        .prepare("SELECT key, value FROM eddy_kv WHERE key = ANY($1::bytea[])")
        .await?;
    let client = session.client();
    // Sent together. PostgreSQL runs a session's statements in order, and the read's
    // snapshot is taken when it starts, so once the lock is held: it sees every commit of the
    // previous holder.
    let (lock_params, read_params): ([&(dyn ToSql + Sync); 1], [&(dyn ToSql + Sync); 1]) =
        ([&lock], [&keys]);
    let (taken, rows) = tokio::join!(
        client.query_one(&take, &lock_params),
        client.query(&read, &read_params)
    );
    taken.map_err(|e| pg_error(&e))?;
    let mut found: std::collections::HashMap<Vec<u8>, Vec<u8>> = rows
        .map_err(|e| pg_error(&e))?
        .into_iter()
        .map(|row| (row.get(0), row.get(1)))
        .collect();
    Ok(keys.iter().map(|key| found.remove(key)).collect())
}

/// A lock of [`Storage::lock`], held by a connection's session.
struct AdvisoryLock {
    inner: Arc<Inner>,
    session: Option<Session>,
    lock: i64,
}

impl std::fmt::Debug for AdvisoryLock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "advisory lock {:#x}", self.lock)
    }
}

impl Held for AdvisoryLock {
    fn is_held(&self) -> bool {
        self.session
            .as_ref()
            .is_some_and(|s| !s.client().is_closed())
    }
}

impl Drop for AdvisoryLock {
    fn drop(&mut self) {
        // A connection of the lock's own releases it by closing.
        let Some(Session::Pooled(client)) = self.session.take() else {
            return;
        };
        let lock = self.lock;
        // Released behind the caller: this process's next writer of the table waits for the
        // unlock in PostgreSQL, like any other process's would.
        self.inner.handle().spawn(async move {
            let released = client
                .query_one("SELECT pg_advisory_unlock($1)", &[&lock])
                .await
                .is_ok_and(|row| row.get::<_, bool>(0));
            if !released {
                // Closing the session releases whatever it holds; a connection still holding
                // a lock must never go back to the pool.
                let _ = Object::take(client);
            }
        });
    }
}

/// A lock of [`Storage::try_lock`], held by a connection of its own until it closes.
#[derive(Debug)]
struct SessionLock {
    client: tokio_postgres::Client,
}

impl Held for SessionLock {
    fn is_held(&self) -> bool {
        !self.client.is_closed()
    }
}

/// The connection a snapshot's transaction or a lock holds as long as it lives.
enum Session {
    /// A connection of a pool, back in it once done with.
    Pooled(Object),
    /// A connection opened for this use alone, closed with it.
    Own(tokio_postgres::Client),
}

impl Session {
    /// A connection of `pool`, or, if none comes free within [`POOL_WAIT`], a new one opened
    /// with `config`. Under load a pooled connection comes free within a read's time, and
    /// waiting for it costs less than connecting, which starts a PostgreSQL backend (with a
    /// connection per read past the pool, Query's p99.9 reached seconds). But a session is
    /// held as long as its snapshot or lock lives, and one thread may keep any number of
    /// them, so past the wait the caller connects rather than wait on itself.
    async fn open(
        pool: &Pool,
        config: &tokio_postgres::Config,
        tls: tokio_postgres_rustls::MakeRustlsConnect,
    ) -> Result<Self, StorageError> {
        // The pool's own create and recycle timeouts still hold.
        let briefly = deadpool_postgres::Timeouts {
            wait: Some(POOL_WAIT),
            ..pool.timeouts()
        };
        if let Ok(pooled) = pool.timeout_get(&briefly).await {
            return Ok(Self::Pooled(pooled));
        }
        let (client, connection) = config.connect(tls).await.map_err(|e| pg_error(&e))?;
        tokio::spawn(connection);
        Ok(Self::Own(client))
    }

    fn client(&self) -> &tokio_postgres::Client {
        match self {
            Self::Pooled(object) => object,
            Self::Own(client) => client,
        }
    }

    /// `sql` prepared: once per pooled connection, every time on one of its own.
    async fn prepare(&self, sql: &str) -> Result<tokio_postgres::Statement, StorageError> {
        match self {
            Self::Pooled(object) => object.prepare_cached(sql).await,
            Self::Own(client) => client.prepare(sql).await,
        }
        .map_err(|e| pg_error(&e))
    }

    /// Closes the connection rather than return it to its pool.
    fn discard(self) {
        if let Self::Pooled(object) = self {
            drop(Object::take(object));
        }
    }
}

/// A REPEATABLE READ transaction on a connection of its own; rolled back when dropped.
struct PgSnapshot {
    inner: Arc<Inner>,
    /// The connection, or why it could not be opened (every read then reports it).
    client: Result<Arc<Session>, StorageError>,
}

impl PgSnapshot {
    fn client(&self) -> Result<Arc<Session>, StorageError> {
        match &self.client {
            Ok(client) => Ok(Arc::clone(client)),
            Err(e) => Err(StorageError::Engine(format!("snapshot unavailable: {e}"))),
        }
    }

    /// One page of the range, in its direction.
    fn page(
        &self,
        start: Bound<Vec<u8>>,
        end: Bound<Vec<u8>>,
        direction: Direction,
    ) -> Result<Vec<Pair>, StorageError> {
        let client = self.client()?;
        self.inner.run(async move {
            let mut sql = String::from("SELECT key, value FROM eddy_kv WHERE TRUE");
            let mut params: Vec<Vec<u8>> = Vec::new();
            for (bound, below, at_or_below) in [(&start, ">", ">="), (&end, "<", "<=")] {
                let (op, key) = match bound {
                    Bound::Included(k) => (at_or_below, k),
                    Bound::Excluded(k) => (below, k),
                    Bound::Unbounded => continue,
                };
                params.push(key.clone());
                sql.push_str(&format!(" AND key {op} ${}", params.len()));
            }
            sql.push_str(match direction {
                Direction::Forward => " ORDER BY key ASC",
                Direction::Reverse => " ORDER BY key DESC",
            });
            sql.push_str(&format!(" LIMIT {PAGE}"));
            let refs: Vec<&(dyn ToSql + Sync)> =
                params.iter().map(|p| p as &(dyn ToSql + Sync)).collect();
            let rows = client
                .client()
                .query(&sql, &refs)
                .await
                .map_err(|e| pg_error(&e))?;
            Ok(rows
                .into_iter()
                .map(|r| (r.get::<_, Vec<u8>>(0), r.get::<_, Vec<u8>>(1)))
                .collect())
        })
    }
}

impl Drop for PgSnapshot {
    fn drop(&mut self) {
        if let Ok(client) = &self.client {
            let client = Arc::clone(client);
            // Back to the pool only once the transaction is over.
            self.inner.handle().spawn(async move {
                let rolled_back = client.client().batch_execute("ROLLBACK").await.is_ok();
                if let Ok(Session::Pooled(object)) = Arc::try_unwrap(client)
                    && !rolled_back
                {
                    // A connection that cannot roll back is not reused.
                    let _ = Object::take(object);
                }
            });
        }
    }
}

impl Snapshot for PgSnapshot {
    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>, StorageError> {
        let client = self.client()?;
        let key = key.to_vec();
        self.inner
            .run(async move { value_of(client.client(), &key).await })
    }

    fn range<'a>(
        &'a self,
        start: Bound<&[u8]>,
        end: Bound<&[u8]>,
        direction: Direction,
    ) -> RangeIter<'a> {
        let Some((start, end)) = normalize_range(start, end) else {
            return Box::new(std::iter::empty());
        };
        let mut start = start.map(<[u8]>::to_vec);
        let mut end = end.map(<[u8]>::to_vec);
        let mut buffered = std::collections::VecDeque::new();
        let mut exhausted = false;
        Box::new(std::iter::from_fn(move || {
            if buffered.is_empty() && !exhausted {
                match self.page(start.clone(), end.clone(), direction) {
                    Ok(page) => {
                        exhausted = (page.len() as i64) < PAGE;
                        if let Some((last, _)) = page.last() {
                            // The next page continues after the last key read.
                            match direction {
                                Direction::Forward => start = Bound::Excluded(last.clone()),
                                Direction::Reverse => end = Bound::Excluded(last.clone()),
                            }
                        }
                        buffered.extend(page);
                    }
                    Err(e) => {
                        exhausted = true;
                        return Some(Err(e));
                    }
                }
            }
            buffered.pop_front().map(Ok)
        }))
    }
}
