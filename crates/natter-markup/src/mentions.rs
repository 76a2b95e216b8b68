//! Who a message mentions, read off the parsed tree so that notifications agree exactly with
//! what the UI highlights (a name in a code span or a link is not highlighted, so not notified).

use crate::{Block, mentioned, parse};

/// At most this many names per message: a body listing a hundred `@name`s is spam, not a
/// hundred notifications.
const MAX_MENTIONS: usize = 20;

/// Names mentioned in the body as `@name`, outside code spans/blocks and link texts/URLs, in order of first appearance, deduplicated exactly (the caller does case folding), at most 20.
pub fn mentions(body: &str) -> Vec<String> {
    // Fast path: most messages mention nobody.
    if !body.contains('@') {
        return Vec::new();
    }
    mentions_in(&parse(body))
}

/// [`mentions`] of a tree already parsed: [`mentioned`], deduplicated exactly, at most 20.
pub fn mentions_in(blocks: &[Block]) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    for name in mentioned(blocks) {
        if names.len() == MAX_MENTIONS {
            break;
        }
        if !names.iter().any(|known| known == name) {
            names.push(name.to_owned());
        }
    }
    names
}
