//! Who a message mentions, read off the parsed tree so that notifications agree exactly with
//! what the UI highlights (a name in a code span or a link is not highlighted, so not notified).

use crate::{Block, Inline, parse};

/// At most this many names per message: a body listing a hundred `@name`s is spam, not a
/// hundred notifications.
const MAX_MENTIONS: usize = 20;

/// Names mentioned in the body as `@name`, outside code spans/blocks and link texts/URLs, in order of first appearance, deduplicated exactly (the caller does case folding), at most 20.
pub fn mentions(body: &str) -> Vec<String> {
    let mut names = Vec::new();
    // Fast path: most messages mention nobody.
    if body.contains('@') {
        blocks(&parse(body), &mut names);
    }
    names
}

fn blocks(blocks_: &[Block], names: &mut Vec<String>) {
    for block in blocks_ {
        match block {
            Block::Paragraph(i) => inlines(i, names),
            Block::Code { .. } => {}
            Block::Quote(b) => blocks(b, names),
            Block::List { items, .. } => items.iter().for_each(|b| blocks(b, names)),
        }
    }
}

fn inlines(inlines_: &[Inline], names: &mut Vec<String>) {
    for inline in inlines_ {
        match inline {
            Inline::Mention(name) => {
                if names.len() < MAX_MENTIONS && !names.contains(name) {
                    names.push(name.clone());
                }
            }
            Inline::Emphasis(c) | Inline::Strong(c) | Inline::Strike(c) => inlines(c, names),
            // The parser makes no mentions inside links; nothing to look for there.
            Inline::Link { .. } | Inline::Text(_) | Inline::Code(_) | Inline::LineBreak => {}
        }
    }
}
