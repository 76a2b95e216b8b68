//! A fresh database per test: a SQLite file in a temp dir, or a Postgres schema of its own.

use std::{path::PathBuf, sync::Arc, time::Duration};

use natter::server::store::{
    ChatStore, Draft, Inserted, OpenError, PgStore, SharedStore, SqliteStore, StoreError,
    WRITE_TIMEOUT,
};
use natter_contract::{MessageKind, User};
use sqlx::{
    ConnectOptions, Connection, Executor, PgConnection, SqliteConnection,
    postgres::PgConnectOptions, sqlite::SqliteConnectOptions,
};
use tempfile::TempDir;

/// Where the Postgres tests look, first match wins; `NATTER_TEST_DATABASE_URL` overrides.
/// The machine's server trusts local users, and which role exists varies (`postgres`, `root`).
const POSTGRES_URLS: [&str; 2] = [
    "postgres://postgres@127.0.0.1:5432/test",
    "postgres://root@127.0.0.1:5432/test",
];

pub struct TestDb {
    pub store: SharedStore,
    backend: Backend,
    /// SQLite's busy_timeout or Postgres' lock_timeout: how long a write waits for a lock.
    lock_wait: Duration,
}

enum Backend {
    Sqlite {
        _dir: TempDir,
        path: PathBuf,
    },
    Postgres {
        options: Box<PgConnectOptions>,
        schema: String,
    },
}

impl TestDb {
    pub async fn sqlite() -> TestDb {
        TestDb::sqlite_with_lock_wait(WRITE_TIMEOUT).await
    }

    pub async fn sqlite_with_lock_wait(lock_wait: Duration) -> TestDb {
        let dir = tempfile::tempdir().unwrap();
        // A directory that does not exist yet, as on a first start.
        let path = dir.path().join("data").join("natter.db");
        let backend = Backend::Sqlite { _dir: dir, path };
        let store = backend.open(lock_wait).await;
        TestDb {
            store,
            backend,
            lock_wait,
        }
    }

    pub async fn postgres() -> TestDb {
        TestDb::postgres_with_lock_wait(WRITE_TIMEOUT).await
    }

    pub async fn postgres_with_lock_wait(lock_wait: Duration) -> TestDb {
        let admin = postgres_admin().await;
        let schema = format!("natter_test_{}", uuid::Uuid::new_v4().simple());
        let mut conn = admin.connect().await.unwrap();
        conn.execute(&*format!("CREATE SCHEMA {schema}"))
            .await
            .unwrap();
        conn.close().await.ok();
        let options = admin.options([("search_path", schema.as_str())]);
        let backend = Backend::Postgres {
            options: Box::new(options),
            schema,
        };
        let store = backend.open(lock_wait).await;
        TestDb {
            store,
            backend,
            lock_wait,
        }
    }

    /// Closes the store and opens the same database again, as a server restart does.
    pub async fn reopen(&mut self) {
        self.store.close().await;
        self.store = self.backend.open(self.lock_wait).await;
    }

    /// Closes the store and tries to open the database again, returning why it would not.
    pub async fn try_reopen(&mut self) -> Result<(), OpenError> {
        self.store.close().await;
        self.store = self.backend.try_open_store(self.lock_wait).await?;
        Ok(())
    }

    /// Runs `sql` on a connection of its own, as an operator or another program would.
    pub async fn execute(&self, sql: &str) {
        match self.raw().await {
            Raw::Sqlite(mut conn) => conn.execute(sql).await.map(drop),
            Raw::Postgres(mut conn) => conn.execute(sql).await.map(drop),
        }
        .unwrap();
    }

    /// A connection of its own, beside the store's pool.
    async fn raw(&self) -> Raw {
        match &self.backend {
            Backend::Sqlite { path, .. } => {
                let options = SqliteConnectOptions::new().filename(path);
                Raw::Sqlite(options.connect().await.unwrap())
            }
            Backend::Postgres { options, .. } => Raw::Postgres(options.connect().await.unwrap()),
        }
    }

    pub async fn count_messages(&self) -> i64 {
        let query = "SELECT COUNT(*) FROM messages";
        match self.raw().await {
            Raw::Sqlite(mut conn) => sqlx::query_scalar(query).fetch_one(&mut conn).await,
            Raw::Postgres(mut conn) => sqlx::query_scalar(query).fetch_one(&mut conn).await,
        }
        .unwrap()
    }

    /// Rooms come from migrations or an operator; the store has no API to make one.
    pub async fn create_room(&self, room: &str) {
        let query = "INSERT INTO rooms (id) VALUES ($1)";
        match self.raw().await {
            Raw::Sqlite(mut conn) => sqlx::query(query)
                .bind(room)
                .execute(&mut conn)
                .await
                .map(drop),
            Raw::Postgres(mut conn) => sqlx::query(query)
                .bind(room)
                .execute(&mut conn)
                .await
                .map(drop),
        }
        .unwrap();
    }

    /// Another client holding the write lock until [`WriteLock::release`].
    pub async fn lock_writes(&self) -> WriteLock {
        let mut raw = self.raw().await;
        match &mut raw {
            Raw::Sqlite(conn) => conn.execute("BEGIN EXCLUSIVE").await.map(drop),
            Raw::Postgres(conn) => conn
                .execute("BEGIN; LOCK TABLE rooms IN ACCESS EXCLUSIVE MODE")
                .await
                .map(drop),
        }
        .unwrap();
        WriteLock(raw)
    }
}

/// The author of the suite's messages: the first user of every test database.
pub fn ann() -> &'static User {
    static ANN: std::sync::LazyLock<User> = std::sync::LazyLock::new(|| User {
        id: 2,
        name: "ann".into(),
    });
    &ANN
}

/// `ChatStore::insert` as [`ann`].
#[async_trait::async_trait]
pub trait InsertAs {
    async fn insert_as(
        &self,
        room: &str,
        client_id: &str,
        body: &str,
    ) -> Result<Inserted, StoreError>;
}

#[async_trait::async_trait]
impl<S: ChatStore + ?Sized> InsertAs for S {
    async fn insert_as(
        &self,
        room: &str,
        client_id: &str,
        body: &str,
    ) -> Result<Inserted, StoreError> {
        let draft = Draft {
            room,
            author: ann(),
            client_id,
            body,
            kind: MessageKind::Message,
            target: None,
        };
        self.insert(&draft).await
    }
}

impl Backend {
    async fn open(&self, lock_wait: Duration) -> SharedStore {
        let store = self.open_store(lock_wait).await;
        // After the migration's `anonymous` (id 1); a reopened database has her already.
        let name = natter_contract::user_name("ann").unwrap();
        match store.create_user(&name, None).await {
            Ok(user) => assert_eq!(&user, ann()),
            Err(StoreError::NameTaken) => {}
            Err(error) => panic!("cannot create ann: {error}"),
        }
        store
    }

    async fn open_store(&self, lock_wait: Duration) -> SharedStore {
        self.try_open_store(lock_wait).await.unwrap()
    }

    async fn try_open_store(&self, lock_wait: Duration) -> Result<SharedStore, OpenError> {
        Ok(match self {
            Backend::Sqlite { path, .. } => {
                Arc::new(SqliteStore::open_with_busy_timeout(path, lock_wait).await?)
            }
            Backend::Postgres { options, .. } => {
                let millis = lock_wait.as_millis().to_string();
                let options = (**options).clone();
                let options = options.options([("lock_timeout", millis.as_str())]);
                Arc::new(PgStore::connect_with(options).await?)
            }
        })
    }
}

impl Drop for TestDb {
    /// Drops the test's schema even when the test panicked. Drop cannot await, and the test's
    /// runtime may be single-threaded, so this runs on a thread with a runtime of its own.
    fn drop(&mut self) {
        let Backend::Postgres { schema, .. } = &self.backend else {
            return;
        };
        let schema = schema.clone();
        // The pool stays open (it belongs to the test's runtime); idle connections hold no
        // locks that would block the DROP.
        let dropped = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            runtime.block_on(async move {
                let mut conn = postgres_admin().await.connect().await?;
                conn.execute(&*format!("DROP SCHEMA IF EXISTS {schema} CASCADE"))
                    .await
                    .map(drop)
            })
        })
        .join();
        if !matches!(dropped, Ok(Ok(()))) {
            eprintln!("could not drop test schema: {dropped:?}");
        }
    }
}

enum Raw {
    Sqlite(SqliteConnection),
    Postgres(PgConnection),
}

pub struct WriteLock(Raw);

impl WriteLock {
    pub async fn release(self) {
        match self.0 {
            Raw::Sqlite(mut conn) => conn.execute("ROLLBACK").await.map(drop),
            Raw::Postgres(mut conn) => conn.execute("ROLLBACK").await.map(drop),
        }
        .unwrap();
    }
}

/// Options for the first Postgres that answers. Never skips: a missing Postgres fails the
/// test, loudly, so a green run always means both backends were tested.
async fn postgres_admin() -> PgConnectOptions {
    let urls: Vec<String> = match std::env::var("NATTER_TEST_DATABASE_URL") {
        Ok(url) => vec![url],
        Err(_) => POSTGRES_URLS.map(str::to_owned).to_vec(),
    };
    let mut errors = Vec::new();
    for url in &urls {
        let options: PgConnectOptions = url.parse().unwrap();
        match options.connect().await {
            Ok(conn) => {
                conn.close().await.ok();
                return options;
            }
            Err(error) => errors.push(format!("  {url}: {error}")),
        }
    }
    panic!(
        "\n\n*** POSTGRES IS NOT REACHABLE: the Postgres store tests cannot run. ***\n{}\n\
         Start it (`.ci/run` does) or point NATTER_TEST_DATABASE_URL at one.\n\n",
        errors.join("\n")
    );
}
