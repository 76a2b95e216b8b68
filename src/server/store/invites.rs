//! Invite links in the store: made by an administrator, used up by new accounts.

use async_trait::async_trait;

use super::StoreError;

#[async_trait]
pub trait Invites: Send + Sync + 'static {
    /// An invite whose token hashes to `token_hash`, good until `expires_at` for one new
    /// account (`single_use`) or any number.
    async fn create_invite(
        &self,
        token_hash: &str,
        created_by: i64,
        expires_at: i64,
        single_use: bool,
    ) -> Result<(), StoreError>;

    /// Takes one use of the invite if it is good at `now`, in one statement, so two people
    /// racing for a single-use link cannot both have it: whether it was good.
    async fn redeem_invite(&self, token_hash: &str, now: i64) -> Result<bool, StoreError>;

    /// Gives back the use [`Invites::redeem_invite`] took, when the account it was for could
    /// not be made after all (a name taken in a race, a store failure).
    async fn return_invite(&self, token_hash: &str) -> Result<(), StoreError>;

    /// The first account made, if any (the migrations' `anonymous` is none).
    async fn first_user(&self) -> Result<Option<i64>, StoreError>;
}

/// Implements [`Invites`] for a store with a `pool` field, like `sql_directory`.
macro_rules! sql_invites {
    ($store:ty) => {
        #[async_trait::async_trait]
        impl $crate::server::store::Invites for $store {
            async fn create_invite(
                &self,
                token_hash: &str,
                created_by: i64,
                expires_at: i64,
                single_use: bool,
            ) -> Result<(), $crate::server::store::StoreError> {
                sqlx::query(
                    "INSERT INTO invites (token_hash, created_by, expires_at, uses_left) \
                     VALUES ($1, $2, $3, $4)",
                )
                .bind(token_hash)
                .bind(created_by)
                .bind(expires_at)
                .bind(single_use.then_some(1_i64))
                .execute(&self.pool)
                .await
                .map(drop)
                .map_err($crate::server::store::StoreError::not_stored)
            }

            async fn redeem_invite(
                &self,
                token_hash: &str,
                now: i64,
            ) -> Result<bool, $crate::server::store::StoreError> {
                let taken = sqlx::query(
                    "UPDATE invites SET uses_left = uses_left - 1 \
                     WHERE token_hash = $1 AND expires_at > $2 \
                     AND (uses_left IS NULL OR uses_left > 0)",
                )
                .bind(token_hash)
                .bind(now)
                .execute(&self.pool)
                .await
                .map_err($crate::server::store::StoreError::not_stored)?;
                Ok(taken.rows_affected() == 1)
            }

            async fn return_invite(
                &self,
                token_hash: &str,
            ) -> Result<(), $crate::server::store::StoreError> {
                sqlx::query(
                    "UPDATE invites SET uses_left = uses_left + 1 \
                     WHERE token_hash = $1 AND uses_left IS NOT NULL",
                )
                .bind(token_hash)
                .execute(&self.pool)
                .await
                .map(drop)
                .map_err($crate::server::store::StoreError::not_stored)
            }

            async fn first_user(&self) -> Result<Option<i64>, $crate::server::store::StoreError> {
                sqlx::query_scalar::<_, Option<i64>>(
                    "SELECT MIN(id) FROM users WHERE name_key <> 'anonymous'",
                )
                .fetch_one(&self.pool)
                .await
                .map_err($crate::server::store::StoreError::read)
            }
        }
    };
}

pub(in crate::server::store) use sql_invites;
