//! A store that refuses writes on demand, to see what clients get when the database does.

use std::sync::{
    Arc,
    atomic::{AtomicBool, Ordering},
};

use async_trait::async_trait;
use natter::server::store::{
    Account, BackendError, ChatStore, Directory, Draft, Inserted, Invites, SharedStore, StoreError,
};
use natter_contract::{Joined, Page, RoomInfo, User, UserName};

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
    async fn insert(&self, draft: &Draft<'_>) -> Result<Inserted, StoreError> {
        if self.failing.load(Ordering::SeqCst) {
            let busy = BackendError::new("database is locked (test)");
            return Err(StoreError::not_stored(busy));
        }
        self.inner.insert(draft).await
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

    /// Unreachable while writes fail, as a database that is down would be.
    async fn ping(&self) -> Result<(), StoreError> {
        if self.failing.load(Ordering::SeqCst) {
            return Err(StoreError::read(BackendError::new(
                "database is down (test)",
            )));
        }
        self.inner.ping().await
    }

    async fn close(&self) {
        self.inner.close().await;
    }
}

/// People and rooms pass straight through: only message writes fail.
#[async_trait]
impl Directory for FailingStore {
    async fn create_user(&self, name: &UserName, hash: Option<&str>) -> Result<User, StoreError> {
        self.inner.create_user(name, hash).await
    }
    async fn find_user(&self, key: &str) -> Result<Option<Account>, StoreError> {
        self.inner.find_user(key).await
    }
    async fn create_session(&self, hash: &str, user: i64, until: i64) -> Result<(), StoreError> {
        self.inner.create_session(hash, user, until).await
    }
    async fn touch_session(
        &self,
        hash: &str,
        now: i64,
        until: i64,
    ) -> Result<Option<Account>, StoreError> {
        self.inner.touch_session(hash, now, until).await
    }
    async fn find_session(
        &self,
        hash: &str,
        now: i64,
    ) -> Result<Option<(Account, i64)>, StoreError> {
        self.inner.find_session(hash, now).await
    }
    async fn delete_session(&self, hash: &str) -> Result<(), StoreError> {
        self.inner.delete_session(hash).await
    }
    async fn expire_sessions(&self, now: i64) -> Result<Vec<String>, StoreError> {
        self.inner.expire_sessions(now).await
    }
    async fn public_rooms(&self) -> Result<Vec<RoomInfo>, StoreError> {
        self.inner.public_rooms().await
    }
    async fn create_room(&self, room: &str, topic: &str, creator: i64) -> Result<(), StoreError> {
        self.inner.create_room(room, topic, creator).await
    }
    async fn join_room(&self, room: &str, user: i64) -> Result<(), StoreError> {
        self.inner.join_room(room, user).await
    }
    async fn leave_room(&self, room: &str, user: i64) -> Result<bool, StoreError> {
        self.inner.leave_room(room, user).await
    }
    async fn ensure_dm(&self, room: &str, a: i64, b: i64) -> Result<(), StoreError> {
        self.inner.ensure_dm(room, a, b).await
    }
    async fn is_member(&self, room: &str, user: i64) -> Result<bool, StoreError> {
        self.inner.is_member(room, user).await
    }
    async fn members(&self, room: &str, limit: u32) -> Result<Vec<User>, StoreError> {
        self.inner.members(room, limit).await
    }
    async fn members_named(&self, room: &str, keys: &[String]) -> Result<Vec<String>, StoreError> {
        self.inner.members_named(room, keys).await
    }
    async fn member_of(&self, user: i64, rooms: &[&str]) -> Result<Vec<String>, StoreError> {
        self.inner.member_of(user, rooms).await
    }
    async fn latest_seqs(&self, rooms: &[&str]) -> Result<Vec<(String, u64)>, StoreError> {
        self.inner.latest_seqs(rooms).await
    }
    async fn joined(&self, user: i64, room: Option<&str>) -> Result<Vec<Joined>, StoreError> {
        self.inner.joined(user, room).await
    }
    async fn mark_read(&self, room: &str, user: i64, seq: u64) -> Result<Option<u64>, StoreError> {
        self.inner.mark_read(room, user, seq).await
    }
}

#[async_trait]
impl Invites for FailingStore {
    async fn create_invite(
        &self,
        hash: &str,
        by: i64,
        until: i64,
        single: bool,
    ) -> Result<(), StoreError> {
        self.inner.create_invite(hash, by, until, single).await
    }
    async fn redeem_invite(&self, hash: &str, now: i64) -> Result<bool, StoreError> {
        self.inner.redeem_invite(hash, now).await
    }
    async fn return_invite(&self, hash: &str) -> Result<(), StoreError> {
        self.inner.return_invite(hash).await
    }
    async fn first_user(&self) -> Result<Option<i64>, StoreError> {
        self.inner.first_user().await
    }
}
