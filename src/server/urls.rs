//! The connection URLs of the services a node uses. Their `Debug` leaves out everything but
//! the scheme, because a URL usually carries a password and `Config` gets logged.

use std::{fmt, str::FromStr};

/// A Postgres connection URL.
#[derive(Clone, PartialEq, Eq)]
pub struct DatabaseUrl(String);

impl DatabaseUrl {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Only Postgres goes through a URL; SQLite is the default and lives in `--data-dir`, so a
/// `sqlite:` or mistyped URL fails at startup instead of silently using the wrong database.
impl FromStr for DatabaseUrl {
    type Err = String;

    fn from_str(url: &str) -> Result<Self, String> {
        let url = url.trim();
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Ok(DatabaseUrl(url.to_owned()))
        } else {
            Err("must start with postgres:// (SQLite needs no URL: see --data-dir)".into())
        }
    }
}

impl fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "DatabaseUrl({}://…)", scheme(&self.0))
    }
}

/// A Redis connection URL (`redis://`, or `rediss://` for TLS).
#[derive(Clone, PartialEq, Eq)]
pub struct RedisUrl(String);

impl RedisUrl {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl FromStr for RedisUrl {
    type Err = String;

    fn from_str(url: &str) -> Result<Self, String> {
        let url = url.trim();
        if url.starts_with("redis://") || url.starts_with("rediss://") {
            Ok(RedisUrl(url.to_owned()))
        } else {
            Err("must start with redis:// or rediss://".into())
        }
    }
}

impl fmt::Debug for RedisUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "RedisUrl({}://…)", scheme(&self.0))
    }
}

fn scheme(url: &str) -> &str {
    url.split_once("://").map_or("?", |(scheme, _)| scheme)
}
