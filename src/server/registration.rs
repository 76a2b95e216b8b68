//! Who may claim a new name: anyone (`--registration open`, the default), only someone with
//! an invite link an administrator made (`invite`), or nobody (`closed`: existing users sign
//! in with their password; their sessions go on). Signing in is never limited by the mode.
//!
//! Administrators are the users named by `--admin`, or without it the first account made;
//! in `invite` and `closed` mode they may claim their names without an invite, so a new
//! server is not locked before its first administrator exists.

use natter_contract::{ErrorCode, Invite, User, UserName};

use super::{
    auth::{self, Token},
    store::ChatStore,
};

/// The longest an invite may last: 90 days.
pub const MAX_INVITE_HOURS: u32 = 24 * 90;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum Registration {
    #[default]
    Open,
    Invite,
    Closed,
}

/// The flags, part of [`super::Config`].
#[derive(Debug, Clone, PartialEq, Eq, Default, clap::Args)]
pub struct RegistrationFlags {
    /// Who may claim a new name: `open` (anyone), `invite` (with an administrator's invite
    /// link), `closed` (nobody; existing users sign in).
    #[arg(
        long,
        value_name = "MODE",
        env = "NATTER_REGISTRATION",
        default_value = "open"
    )]
    pub registration: Registration,

    /// A user who is an administrator (may make invite links), by name; repeat the flag or
    /// comma-separate. Without it, the first account made is.
    #[arg(
        long = "admin",
        value_name = "NAME",
        env = "NATTER_ADMINS",
        value_delimiter = ','
    )]
    pub admins: Vec<String>,
}

impl RegistrationFlags {
    /// Whether the name with `key` is one `--admin` names.
    fn names_admin(&self, key: &str) -> bool {
        self.admins
            .iter()
            .filter_map(|name| natter_contract::user_name(name.trim()).ok())
            .any(|admin| admin.key == key)
    }

    /// Whether `user` may make invites.
    pub async fn is_admin(&self, store: &dyn ChatStore, user: &User) -> Result<bool, ErrorCode> {
        if !self.admins.is_empty() {
            let key = natter_contract::user_name(&user.name).map(|name| name.key);
            return Ok(key.is_ok_and(|key| self.names_admin(&key)));
        }
        Ok(store.first_user().await? == Some(user.id))
    }

    /// Whether `name`, which nobody has yet, may be claimed, with `invite` (a link's token)
    /// if one came. A good invite is used up by this call: its hash comes back, for
    /// [`RegistrationFlags::give_back`] if the account is not made after all.
    pub async fn admit(
        &self,
        store: &dyn ChatStore,
        name: &UserName,
        invite: Option<&str>,
    ) -> Result<Option<String>, ErrorCode> {
        if self.registration == Registration::Open {
            return Ok(None);
        }
        let first_admin = if self.admins.is_empty() {
            store.first_user().await?.is_none()
        } else {
            self.names_admin(&name.key)
        };
        if first_admin {
            return Ok(None);
        }
        match (self.registration, invite.filter(|token| !token.is_empty())) {
            (Registration::Closed, _) => Err(ErrorCode::RegistrationClosed),
            (_, None) => Err(ErrorCode::InviteRequired),
            (_, Some(token)) => {
                let hash = auth::hash_token(token);
                match store.redeem_invite(&hash, auth::now_millis()).await? {
                    true => Ok(Some(hash)),
                    false => Err(ErrorCode::InvalidInvite),
                }
            }
        }
    }

    /// Returns the use of the invite (by hash) that [`RegistrationFlags::admit`] took for an
    /// account that was then not made.
    pub async fn give_back(&self, store: &dyn ChatStore, hash: &str) {
        if let Err(error) = store.return_invite(hash).await {
            tracing::warn!(%error, "could not give an invite its use back");
        }
    }

    /// Says loudly at start-up what anyone reaching the server could claim without an invite:
    /// an `--admin` name nobody holds yet, or, without `--admin`, the first account.
    pub async fn warn_unclaimed(&self, store: &dyn ChatStore) {
        if self.registration == Registration::Open {
            return;
        }
        if self.admins.is_empty() {
            if let Ok(None) = store.first_user().await {
                tracing::warn!(
                    "registration is {:?} and nobody has joined yet: the first name claimed \
                     becomes the administrator, without an invite. Claim it now, or name one \
                     with --admin",
                    self.registration
                );
            }
            return;
        }
        for admin in &self.admins {
            let Ok(name) = natter_contract::user_name(admin.trim()) else {
                tracing::warn!(
                    admin,
                    "--admin is not a valid name; it can never be claimed"
                );
                continue;
            };
            if let Ok(None) = store.find_user(&name.key).await {
                tracing::warn!(
                    admin = %name.display,
                    "administrator name not claimed yet: anyone reaching the server can claim \
                     it without an invite until its owner does"
                );
            }
        }
    }

    /// Whether the page should offer `user` to make invites: an administrator, and new names
    /// need them.
    pub async fn can_invite(&self, store: &dyn ChatStore, user: &User) -> Result<bool, ErrorCode> {
        if self.registration != Registration::Invite {
            return Ok(false);
        }
        self.is_admin(store, user).await
    }

    /// A new invite link by `user`, who must be an administrator: `forbidden` otherwise.
    pub async fn invite(
        &self,
        store: &dyn ChatStore,
        user: &User,
        single_use: bool,
        hours: u32,
    ) -> Result<Invite, ErrorCode> {
        if !self.is_admin(store, user).await? {
            return Err(ErrorCode::Forbidden);
        }
        let hours = i64::from(hours.clamp(1, MAX_INVITE_HOURS));
        let expires_at = auth::now_millis() + hours * 3_600_000;
        let token = Token::generate();
        store
            .create_invite(&token.hash, user.id, expires_at, single_use)
            .await?;
        Ok(Invite {
            path: format!("/?invite={}", token.secret),
            expires_at,
            single_use,
        })
    }
}
