//! The connection URLs of the services a node uses. Their `Debug` leaves out everything but
//! the scheme, because a URL usually carries a password and `Config` gets logged.

use std::{fmt, str::FromStr};

/// A URL type that accepts only the given schemes, and whose `Debug` shows only the scheme.
macro_rules! service_url {
    ($(#[$doc:meta])* $name:ident, [$($scheme:literal),+], $refusal:literal) => {
        $(#[$doc])*
        #[derive(Clone, PartialEq, Eq)]
        pub struct $name(String);

        impl $name {
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl FromStr for $name {
            type Err = String;

            fn from_str(url: &str) -> Result<Self, String> {
                let url = url.trim();
                if [$(concat!($scheme, "://")),+].iter().any(|s| url.starts_with(s)) {
                    Ok($name(url.to_owned()))
                } else {
                    Err($refusal.into())
                }
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, concat!(stringify!($name), "({}://…)"), scheme(&self.0))
            }
        }
    };
}

service_url!(
    /// A Postgres connection URL. Only Postgres goes through a URL; SQLite is the default and
    /// lives in `--data-dir`, so a `sqlite:` or mistyped URL fails at start-up instead of
    /// silently using the wrong database.
    DatabaseUrl,
    ["postgres", "postgresql"],
    "must start with postgres:// (SQLite needs no URL: see --data-dir)"
);

service_url!(
    /// A Redis connection URL (`redis://`, or `rediss://` for TLS).
    RedisUrl,
    ["redis", "rediss"],
    "must start with redis:// or rediss://"
);

fn scheme(url: &str) -> &str {
    url.split_once("://").map_or("?", |(scheme, _)| scheme)
}
