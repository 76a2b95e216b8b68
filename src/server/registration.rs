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
    /// if one came. A good invite is used up by this call.
    pub async fn admit(
        &self,
        store: &dyn ChatStore,
        name: &UserName,
        invite: Option<&str>,
    ) -> Result<(), ErrorCode> {
        if self.registration == Registration::Open {
            return Ok(());
        }
        let first_admin = if self.admins.is_empty() {
            store.first_user().await?.is_none()
        } else {
            self.names_admin(&name.key)
        };
        if first_admin {
            return Ok(());
        }
        match (self.registration, invite.filter(|token| !token.is_empty())) {
            (Registration::Closed, _) => Err(ErrorCode::RegistrationClosed),
            (_, None) => Err(ErrorCode::InviteRequired),
            (_, Some(token)) => {
                let hash = auth::hash_token(token);
                match store.redeem_invite(&hash, auth::now_millis()).await? {
                    true => Ok(()),
                    false => Err(ErrorCode::InvalidInvite),
                }
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
