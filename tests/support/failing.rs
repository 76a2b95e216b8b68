//! A store that refuses writes on demand, to see what clients get when the database does.

use std::sync::{
    Arc,
    atomic::{AtomicBool, Ordering},
};

use async_trait::async_trait;
use natter::server::store::{ChatStore, Inserted, SharedStore, StoreError};
use natter_contract::Page;

pub struct FailingStore {
    inner: SharedStore,
    failing: AtomicBool,
}

impl FailingStore {
    pub fn new(inner: SharedStore) -> Arc<FailingStore> {
        Arc::new(FailingStore {
            inner,
            failing: AtomicBool::new(false),
        })
    }

    /// While set, every insert fails as a locked or full database would.
    pub fn fail_writes(&self, failing: bool) {
        self.failing.store(failing, Ordering::SeqCst);
    }
}

#[async_trait]
impl ChatStore for FailingStore {
    async fn insert(
        &self,
        room: &str,
        client_id: &str,
        body: &str,
    ) -> Result<Inserted, StoreError> {
        if self.failing.load(Ordering::SeqCst) {
            let busy = std::io::Error::other("database is locked (test)");
            return Err(StoreError::not_stored(sqlx::Error::Io(busy)));
        }
        self.inner.insert(room, client_id, body).await
    }

    async fn after(&self, room: &str, after_seq: u64, limit: u32) -> Result<Page, StoreError> {
        self.inner.after(room, after_seq, limit).await
    }

    async fn before(&self, room: &str, before_seq: u64, limit: u32) -> Result<Page, StoreError> {
        self.inner.before(room, before_seq, limit).await
    }

    async fn latest(&self, room: &str, limit: u32) -> Result<Page, StoreError> {
        self.inner.latest(room, limit).await
    }

    async fn latest_seq(&self, room: &str) -> Result<u64, StoreError> {
        self.inner.latest_seq(room).await
    }

    async fn close(&self) {
        self.inner.close().await;
    }
}
