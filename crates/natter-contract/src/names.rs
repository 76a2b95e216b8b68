//! The rules for user names, room names, topics and passwords, shared so the browser client
//! refuses early with the same words the server would use.
//!
//! Lengths are counted in `char`s (Unicode scalar values), like [`crate::MAX_MESSAGE_CHARS`]:
//! what a person would call characters, not UTF-8 bytes.

use unicode_normalization::UnicodeNormalization;

use crate::ErrorCode;

pub const NAME_MIN_CHARS: usize = 2;
pub const NAME_MAX_CHARS: usize = 24;
pub const ROOM_NAME_MAX_CHARS: usize = 32;
pub const TOPIC_MAX_CHARS: usize = 200;
pub const PASSWORD_MIN_CHARS: usize = 8;
pub const PASSWORD_MAX_CHARS: usize = 128;

/// Prefix of direct-message room keys. The '.' in it never occurs in a public room name
/// ([`new_room_name`]), so a DM key cannot collide with a room someone created.
const DM_PREFIX: &str = "dm.";

/// A valid user name in the three forms the server needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserName {
    /// NFC-normalised, as shown.
    pub display: String,
    /// Unique key, case-insensitive: the NFC form lowercased (`str::to_lowercase`).
    pub key: String,
    /// Confusable skeleton (UTS #39, via `unicode_security::skeleton`) of the lowercased NFC
    /// name, itself lowercased, so "Аdmin" (Cyrillic А), "admin" and "ADMIN" share a skeleton.
    /// The store keeps it unique: that, not a ban on mixed scripts, is what stops lookalikes.
    pub skeleton: String,
}

/// Checks a user name: 2–24 characters (counted after NFC) of letters, digits and `_ . -`.
///
/// Nothing is trimmed: a name with whitespace anywhere is refused rather than silently changed,
/// so the name a person typed is the name they get. Zero-width and format characters and bidi
/// controls are not alphanumeric, so the character rule refuses them too.
pub fn user_name(raw: &str) -> Result<UserName, ErrorCode> {
    // NFC first: "e\u{301}" (two chars, as some keyboards and macOS file names produce) and
    // "é" (one char) are the same name and must get the same key and the same length.
    let display: String = raw.nfc().collect();
    let chars = display.chars().count();
    if !(NAME_MIN_CHARS..=NAME_MAX_CHARS).contains(&chars) {
        return Err(ErrorCode::InvalidName);
    }
    // `is_alphanumeric` is `is_alphabetic || is_numeric`, so beyond letters and decimal digits
    // it admits a few other numerals (², ½, Ⅻ); they are visible and the skeleton still
    // catches the lookalikes among them.
    if !display
        .chars()
        .all(|c| (c.is_alphanumeric() && !is_invisible(c)) || matches!(c, '_' | '.' | '-'))
    {
        return Err(ErrorCode::InvalidName);
    }
    // A name is also a URL segment (`/dm/<name>`): "." or ".." alone must not be one, so a
    // name needs at least one letter or digit.
    if !display.chars().any(char::is_alphanumeric) {
        return Err(ErrorCode::InvalidName);
    }
    let key = display.to_lowercase();
    // Lowercase before the skeleton so case-insensitively equal names (which share a key) also
    // share a skeleton; lowercase after it because some prototypes are capitals.
    let skeleton = skeleton_of(&key);
    // Names that would pass for the system, or for the author of messages from before names:
    // refused by skeleton, so their lookalikes are too.
    if RESERVED
        .iter()
        .any(|reserved| skeleton_of(reserved) == skeleton)
    {
        return Err(ErrorCode::NameTaken);
    }
    Ok(UserName {
        display,
        key,
        skeleton,
    })
}

/// What the browser checks as a name is typed, for instant feedback: the same rule as
/// [`user_name`] where it can be told without the Unicode normalisation and confusable
/// tables (80.5 KB more brotli wasm, measured: past the page's 300 KB budget). It refuses
/// only what the server would refuse too: too short, spaces, ASCII punctuation other than
/// `_ . -`, control characters, and, for ASCII names (which NFC leaves alone), too long or
/// without a letter or digit. Lookalikes, taken names and the rest are the server's to say.
pub fn user_name_precheck(raw: &str) -> Result<(), ErrorCode> {
    let refused = raw.chars().count() < NAME_MIN_CHARS
        || raw.chars().any(|c| {
            c.is_whitespace()
                || c.is_control()
                || (c.is_ascii() && !c.is_ascii_alphanumeric() && !matches!(c, '_' | '.' | '-'))
        })
        || (raw.is_ascii()
            && (raw.len() > NAME_MAX_CHARS || !raw.bytes().any(|b| b.is_ascii_alphanumeric())));
    if refused {
        Err(ErrorCode::InvalidName)
    } else {
        Ok(())
    }
}

/// Never a user's name (see [`user_name`]); `anonymous` owns the messages of before names.
const RESERVED: [&str; 3] = ["anonymous", "natter", "system"];

fn skeleton_of(key: &str) -> String {
    unicode_security::skeleton(key)
        .collect::<String>()
        .to_lowercase()
}

/// A few letters are default-ignorable, i.e. drawn as nothing: the Hangul fillers (U+115F,
/// U+1160, U+3164, U+FFA0) are `Lo`, hence alphabetic. A name made of them would be blank, so
/// they are refused like the zero-width space. UTS #39 drops exactly these code points from a
/// skeleton, which makes an empty skeleton the test.
fn is_invisible(c: char) -> bool {
    let mut buf = [0; 4];
    unicode_security::skeleton(c.encode_utf8(&mut buf))
        .next()
        .is_none()
}

/// Checks the name of a new public room: 1–32 characters of `a-z`, `0-9` and `-`, nothing
/// else (no capitals, so two rooms never differ only by case).
pub fn new_room_name(raw: &str) -> Result<(), ErrorCode> {
    // Bytes are chars here: every allowed character is ASCII.
    let ok = (1..=ROOM_NAME_MAX_CHARS).contains(&raw.len())
        && raw
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    if ok {
        Ok(())
    } else {
        Err(ErrorCode::InvalidRoomName)
    }
}

/// Checks a room topic and returns it trimmed; the empty topic (none) is allowed.
pub fn topic(raw: &str) -> Result<String, ErrorCode> {
    let topic = raw.trim();
    if topic.chars().count() > TOPIC_MAX_CHARS {
        Err(ErrorCode::TopicTooLong)
    } else if topic.chars().any(char::is_control) {
        // A topic is one line under the room name: a newline, tab, escape or NUL inside it is
        // never meant, and NUL would also be refused by Postgres TEXT.
        Err(ErrorCode::InvalidPayload)
    } else {
        Ok(topic.to_owned())
    }
}

/// Checks a password: 8–128 characters, any characters at all. Not trimmed: a space is as
/// good a character as any other in a password.
pub fn password(raw: &str) -> Result<(), ErrorCode> {
    if (PASSWORD_MIN_CHARS..=PASSWORD_MAX_CHARS).contains(&raw.chars().count()) {
        Ok(())
    } else {
        Err(ErrorCode::InvalidPassword)
    }
}

/// The room key of the direct-message conversation between users `a` and `b`:
/// `"dm.<lo>.<hi>"`, lower id first, so both sides name the same room. A DM with oneself
/// ("notes to self") is `"dm.<a>.<a>"`.
///
/// Store ids are positive; for a negative id the key is still unique, but [`dm_members`]
/// refuses its sign.
pub fn dm_room(a: i64, b: i64) -> String {
    let (lo, hi) = if a <= b { (a, b) } else { (b, a) };
    format!("{DM_PREFIX}{lo}.{hi}")
}

/// The two user ids `(lo, hi)` of a DM room key made by [`dm_room`]; `None` for anything else.
///
/// Only the canonical form is accepted (lower id first, no sign, no leading zeros), so each
/// conversation has exactly one key and a client cannot reach it under an alias.
pub fn dm_members(room: &str) -> Option<(i64, i64)> {
    let (lo, hi) = room.strip_prefix(DM_PREFIX)?.split_once('.')?;
    let (lo, hi) = (dm_id(lo)?, dm_id(hi)?);
    (lo <= hi).then_some((lo, hi))
}

fn dm_id(digits: &str) -> Option<i64> {
    // `i64::from_str` alone would also take "+7" and "007".
    let canonical = !digits.is_empty()
        && digits.bytes().all(|b| b.is_ascii_digit())
        && (digits == "0" || !digits.starts_with('0'));
    if canonical {
        // Still fails, rightly, beyond i64::MAX.
        digits.parse().ok()
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn name(raw: &str) -> UserName {
        match user_name(raw) {
            Ok(name) => name,
            Err(e) => panic!("{raw:?} refused: {e:?}"),
        }
    }

    #[test]
    fn lookalikes_share_a_skeleton() {
        let cyrillic = name("\u{410}dmin"); // Cyrillic capital А
        let latin = name("Admin");
        assert_ne!(cyrillic.key, latin.key);
        assert_eq!(cyrillic.skeleton, latin.skeleton);
        assert_eq!(name("ADMIN").skeleton, latin.skeleton);
        // UTS #39 maps "m" to "rn" (and so does a small font).
        assert_eq!(name("arn").skeleton, name("am").skeleton);
        assert_eq!(name("adm1n").skeleton, name("admln").skeleton);
        // "0" maps to "O": the lowercasing after the skeleton is what makes it match "o".
        assert_eq!(name("b0b").skeleton, name("bob").skeleton);
        assert_ne!(name("admin").skeleton, name("admins").skeleton);
    }

    #[test]
    fn keys_ignore_case() {
        let upper = name("ADMIN");
        assert_eq!(upper.display, "ADMIN");
        assert_eq!(upper.key, "admin");
        assert_eq!(upper.key, name("admin").key);
        assert_eq!(name("Éric").key, name("éric").key);
    }

    #[test]
    fn decomposed_input_is_normalised() {
        let nfd = name("e\u{301}ric");
        let nfc = name("\u{e9}ric");
        assert_eq!(nfd, nfc);
        assert_eq!(nfd.display, "\u{e9}ric");
        // Counted after NFC: 24 precomposed characters typed as 48 is still 24.
        assert!(user_name(&"e\u{301}".repeat(NAME_MAX_CHARS)).is_ok());
    }

    #[test]
    fn lengths() {
        assert_eq!(user_name(""), Err(ErrorCode::InvalidName));
        assert_eq!(user_name("a"), Err(ErrorCode::InvalidName));
        assert!(user_name("ab").is_ok());
        assert!(user_name(&"é".repeat(NAME_MAX_CHARS)).is_ok());
        assert_eq!(
            user_name(&"a".repeat(NAME_MAX_CHARS + 1)),
            Err(ErrorCode::InvalidName)
        );
    }

    #[test]
    fn allowed_characters() {
        for ok in [
            "bob_42",
            "j.doe",
            "mary-jane",
            "007",
            "Zoë",
            "Ιωάννα",
            "李小龍",
            "Ёжик",
        ] {
            assert!(user_name(ok).is_ok(), "{ok:?}");
        }
    }

    #[test]
    fn refused_characters() {
        for bad in [
            "bob smith",
            " bob",
            "bob ",
            "bob\t",
            "bob\n",
            "bob\u{a0}x", // no-break space
            "bob😀",
            "<script>",
            "a@b",
            "bob\u{202e}nimda", // right-to-left override
            "ad\u{200b}min",    // zero-width space
            "ad\u{200d}min",    // zero-width joiner
            "ad\u{ad}min",      // soft hyphen
            "\u{feff}admin",    // byte-order mark
            "a\u{3164}",        // Hangul filler: a letter, but blank
            "\u{3164}\u{3164}",
            "ad\u{ffa0}min",
            "a\0b",
        ] {
            assert_eq!(user_name(bad), Err(ErrorCode::InvalidName), "{bad:?}");
        }
    }

    #[test]
    fn room_names() {
        for ok in [
            "a",
            "general",
            "rust-lang",
            "2024",
            &"x".repeat(ROOM_NAME_MAX_CHARS),
        ] {
            assert_eq!(new_room_name(ok), Ok(()), "{ok:?}");
        }
        for bad in [
            "",
            "General",
            "dm.1.2",
            "a_b",
            "a b",
            "café",
            "../etc",
            &"x".repeat(ROOM_NAME_MAX_CHARS + 1),
        ] {
            assert_eq!(
                new_room_name(bad),
                Err(ErrorCode::InvalidRoomName),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn topics() {
        assert_eq!(topic("  Rust talk \n").as_deref(), Ok("Rust talk"));
        assert_eq!(topic("").as_deref(), Ok(""));
        assert_eq!(topic("   ").as_deref(), Ok(""));
        let longest = "é".repeat(TOPIC_MAX_CHARS);
        assert_eq!(topic(&format!(" {longest} ")), Ok(longest.clone()));
        assert_eq!(topic(&format!("{longest}x")), Err(ErrorCode::TopicTooLong));
        assert_eq!(topic("two\nlines"), Err(ErrorCode::InvalidPayload));
        assert_eq!(topic("a\0b"), Err(ErrorCode::InvalidPayload));
        assert_eq!(topic("bell\u{7}"), Err(ErrorCode::InvalidPayload));
        assert_eq!(topic("tab\there"), Err(ErrorCode::InvalidPayload));
    }

    #[test]
    fn passwords() {
        assert_eq!(password("1234567"), Err(ErrorCode::InvalidPassword));
        assert_eq!(password("12345678"), Ok(()));
        assert_eq!(password("        "), Ok(()));
        assert_eq!(password("ünïcödé"), Err(ErrorCode::InvalidPassword)); // 7 chars, 11 bytes
        assert_eq!(password(&"é".repeat(PASSWORD_MAX_CHARS)), Ok(()));
        assert_eq!(
            password(&"a".repeat(PASSWORD_MAX_CHARS + 1)),
            Err(ErrorCode::InvalidPassword)
        );
    }

    #[test]
    fn dm_keys() {
        assert_eq!(dm_room(7, 3), "dm.3.7");
        assert_eq!(dm_room(3, 7), "dm.3.7");
        assert_eq!(dm_room(5, 5), "dm.5.5");
        assert_eq!(dm_members("dm.3.7"), Some((3, 7)));
        assert_eq!(dm_members("dm.5.5"), Some((5, 5)));
        assert_eq!(dm_members("dm.0.10"), Some((0, 10)));
        let max = dm_room(i64::MAX, 1);
        assert_eq!(dm_members(&max), Some((1, i64::MAX)));
        for bad in [
            "dm.7.3",
            "dm.03.7",
            "dm.3.07",
            "dm.-1.2",
            "dm.+1.2",
            "dm.1",
            "dm.1.",
            "dm..1",
            "dm.1.2.3",
            "dm.1.2 ",
            "dm.1.9223372036854775808",
            "DM.1.2",
            "general",
            "",
        ] {
            assert_eq!(dm_members(bad), None, "{bad:?}");
        }
    }

    proptest! {
        #[test]
        fn user_name_never_panics_and_is_idempotent(raw in any::<String>()) {
            if let Ok(name) = user_name(&raw) {
                prop_assert_eq!(user_name(&name.display), Ok(name));
            }
        }

        // Arbitrary strings are almost never valid names; these mostly are, so the idempotence
        // check above actually runs: letters with combining marks (NFC composes some of them),
        // capitals, Cyrillic, Greek, digits and the punctuation.
        #[test]
        fn near_valid_names_are_idempotent(
            raw in "[a-zA-Z0-9_.\\-\u{c0}-\u{ff}\u{300}-\u{36f}\u{391}-\u{3c9}\u{400}-\u{44f}]{0,30}"
        ) {
            if let Ok(name) = user_name(&raw) {
                prop_assert_eq!(name.key.clone(), name.display.to_lowercase());
                prop_assert_eq!(user_name(&name.display), Ok(name));
            }
        }

        #[test]
        fn the_precheck_never_refuses_a_name_the_server_takes(
            // Combining marks (U+0300…) and Hangul jamo compose under NFC: a name can be
            // longer as typed than as stored.
            raw in "[a-zA-Z0-9_.\\- \u{c0}-\u{ff}\u{300}-\u{36f}\u{391}-\u{3c9}\u{400}-\u{44f}\u{1100}-\u{1112}\u{1161}-\u{1175}]{0,40}"
        ) {
            if user_name(&raw).is_ok() {
                prop_assert_eq!(user_name_precheck(&raw), Ok(()));
            }
        }

        #[test]
        fn the_precheck_agrees_on_ascii_names(raw in "[ -~]{0,30}") {
            let server = user_name(&raw).map(drop);
            // Reserved names pass the shape and are refused by the server alone.
            if server != Err(ErrorCode::NameTaken) {
                prop_assert_eq!(user_name_precheck(&raw), server);
            }
        }

        #[test]
        fn dm_keys_round_trip(a in 0..=i64::MAX, b in 0..=i64::MAX) {
            let room = dm_room(a, b);
            prop_assert_eq!(dm_members(&room), Some((a.min(b), a.max(b))));
            prop_assert_eq!(room, dm_room(b, a));
        }
    }
}

#[cfg(test)]
mod reserved_tests {
    use crate::{ErrorCode, user_name};

    #[test]
    fn reserved_names_and_their_lookalikes_are_taken() {
        assert_eq!(user_name("anonymous"), Err(ErrorCode::NameTaken));
        assert_eq!(user_name("Anonymous"), Err(ErrorCode::NameTaken));
        // Cyrillic о and а
        assert_eq!(user_name("аnоnymous"), Err(ErrorCode::NameTaken));
        assert_eq!(user_name(".."), Err(ErrorCode::InvalidName));
        assert_eq!(user_name("-_"), Err(ErrorCode::InvalidName));
        assert!(user_name("a.").is_ok());
    }
}
