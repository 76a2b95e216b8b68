//! Properties over arbitrary bodies: no panics, only safe links, bounded depth, no empty text.

use natter_markup::{Block, Inline, mentions, parse, plain_text, safe_href};
use proptest::prelude::*;

/// Levels of quotes/lists around a block (a top-level paragraph is 1).
fn block_depth(blocks: &[Block]) -> usize {
    blocks
        .iter()
        .map(|b| match b {
            Block::Paragraph(_) | Block::Code { .. } => 1,
            Block::Quote(inner) => 1 + block_depth(inner),
            Block::List { items, .. } => {
                1 + items.iter().map(|i| block_depth(i)).max().unwrap_or(0)
            }
        })
        .max()
        .unwrap_or(0)
}

/// Levels of inline containers (a bare text is 1).
fn inline_depth(inlines: &[Inline]) -> usize {
    inlines
        .iter()
        .map(|i| match i {
            Inline::Emphasis(c) | Inline::Strong(c) | Inline::Strike(c) => 1 + inline_depth(c),
            Inline::Link { children, .. } => 1 + inline_depth(children),
            _ => 1,
        })
        .max()
        .unwrap_or(0)
}

fn check_inlines(inlines: &[Inline], in_link: bool) -> Result<(), TestCaseError> {
    prop_assert!(inline_depth(inlines) <= 10);
    for (i, inline) in inlines.iter().enumerate() {
        match inline {
            Inline::Text(t) => {
                prop_assert!(!t.is_empty(), "empty text");
                let next_is_text = matches!(inlines.get(i + 1), Some(Inline::Text(_)));
                prop_assert!(!next_is_text, "adjacent texts not merged: {inlines:?}");
            }
            Inline::Link { href, children } => {
                prop_assert!(!in_link, "link in a link");
                prop_assert_eq!(safe_href(href), Some(href.as_str()));
                let lower = href.to_ascii_lowercase();
                prop_assert!(
                    ["http://", "https://", "mailto:"]
                        .iter()
                        .any(|s| lower.starts_with(s)),
                    "{href:?}"
                );
                prop_assert!(!children.is_empty());
                check_inlines(children, true)?;
            }
            Inline::Mention(name) => {
                prop_assert!(!in_link, "mention in a link");
                prop_assert!((2..=24).contains(&name.chars().count()), "{name:?}");
            }
            Inline::Emphasis(c) | Inline::Strong(c) | Inline::Strike(c) => {
                check_inlines(c, in_link)?
            }
            Inline::Code(_) | Inline::LineBreak => {}
        }
    }
    Ok(())
}

fn check_blocks(blocks: &[Block]) -> Result<(), TestCaseError> {
    for block in blocks {
        match block {
            Block::Paragraph(inlines) => {
                prop_assert!(!inlines.is_empty(), "empty paragraph");
                check_inlines(inlines, false)?;
            }
            Block::Code { lang, .. } => {
                prop_assert!(
                    lang.as_ref()
                        .is_none_or(|l| !l.is_empty() && !l.contains(char::is_whitespace))
                );
            }
            Block::Quote(inner) => check_blocks(inner)?,
            Block::List { items, .. } => {
                for item in items {
                    check_blocks(item)?;
                }
            }
        }
    }
    Ok(())
}

fn check(body: &str) -> Result<(), TestCaseError> {
    let blocks = parse(body);
    prop_assert!(
        block_depth(&blocks) <= 10,
        "block depth {}",
        block_depth(&blocks)
    );
    check_blocks(&blocks)?;
    let names = mentions(body);
    prop_assert!(names.len() <= 20);
    let _ = plain_text(&blocks);
    Ok(())
}

/// Bodies from pieces that mean something to Markdown (and to us).
fn markdownish() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        Just("*"),
        Just("_"),
        Just("**"),
        Just("~~"),
        Just("`"),
        Just("```"),
        Just("["),
        Just("]"),
        Just("("),
        Just(")"),
        Just("<"),
        Just(">"),
        Just("!"),
        Just("#"),
        Just("-"),
        Just("1."),
        Just(" "),
        Just("  "),
        Just("\n"),
        Just("\n\n"),
        Just("\\"),
        Just("&amp;"),
        Just("&#0;"),
        Just(":"),
        Just("]:"),
        Just("javascript:"),
        Just("JavaScript:"),
        Just("https://"),
        Just("mailto:"),
        Just("a.example"),
        Just("@ann"),
        Just("@"),
        Just("."),
        Just("a"),
        Just("b"),
        Just("x"),
        Just("é"),
        Just("\t"),
        Just("<script>"),
        Just("\r\n"),
        Just("    "),
    ];
    prop::collection::vec(piece, 0..60).prop_map(|pieces| pieces.concat())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1000))]

    #[test]
    fn arbitrary_strings(body in any::<String>()) {
        check(&body)?;
    }

    #[test]
    fn markdownish_strings(body in markdownish()) {
        check(&body)?;
        // Nothing shown twice (e.g. a reference definition both hidden and shown, or shown
        // inside and after its quote): the plain text has no more of a char than the body.
        let plain = plain_text(&parse(&body));
        for c in ['a', 'b', 'x', '[', '@'] {
            let count = |s: &str| s.chars().filter(|&d| d == c).count();
            prop_assert!(count(&plain) <= count(&body), "{c:?} in {plain:?}");
        }
    }

    #[test]
    fn deep_nesting(depth in 0usize..40, kind in 0usize..4) {
        let body = match kind {
            0 => format!("{} x", ">".repeat(depth)),
            1 => (0..depth).map(|i| format!("{}- x\n", "  ".repeat(i))).collect(),
            2 => format!("{}x{}", "*a _b ".repeat(depth), " b_ a*".repeat(depth)),
            _ => format!("{}x{}", "~~**".repeat(depth), "**~~".repeat(depth)),
        };
        check(&body)?;
    }

    #[test]
    fn safe_href_is_an_allow_list(url in any::<String>()) {
        if let Some(href) = safe_href(&url) {
            prop_assert_eq!(href, url.as_str());
            let lower = url.to_ascii_lowercase();
            prop_assert!(lower.starts_with("http://") || lower.starts_with("https://") || lower.starts_with("mailto:"));
            prop_assert!(!url.chars().any(|c| c.is_control() && c.is_ascii() || c.is_whitespace()));
        }
    }
}
