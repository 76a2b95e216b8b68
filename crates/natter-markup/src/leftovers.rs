//! Link reference definitions (`[name]: https://…`), which pulldown-cmark consumes without an
//! event. One that a shown link used is hidden, as in any Markdown; every other one (unused,
//! a duplicate, or behind a refused URL) would otherwise vanish, so a body of just
//! `[note]: remember` would be an empty message. Those are shown as typed.
//!
//! They are found as the source that no event covers (container markers aside), cut at
//! container edges so each piece is shown inside the quote or item it was written in.

use std::ops::Range;

use pulldown_cmark::{Event, Tag, TagEnd};

/// Uncovered source to show before the first block that starts at or after `start`.
pub(crate) struct Leftover {
    pub start: usize,
    /// The lines (container markers removed), grouped into paragraphs at blank lines.
    pub paragraphs: Vec<String>,
}

/// Whether pulldown-cmark may have consumed a definition at all (cheap; the common case).
pub(crate) fn possible(body: &str) -> bool {
    body.contains("]:")
}

fn is_container(event: &Event<'_>) -> bool {
    matches!(
        event,
        Event::Start(Tag::BlockQuote(_) | Tag::List(_) | Tag::Item)
            | Event::End(TagEnd::BlockQuote(_) | TagEnd::List(_) | TagEnd::Item)
    )
}

/// The definitions to show. `hidden` are the spans of definitions a shown link used.
pub(crate) fn leftovers(
    body: &str,
    events: &[(Event<'_>, Range<usize>)],
    hidden: &[Range<usize>],
) -> Vec<Leftover> {
    let mut covered: Vec<Range<usize>> = events
        .iter()
        .filter(|(event, _)| !is_container(event))
        .map(|(_, range)| range.clone())
        .collect();
    covered.sort_unstable_by_key(|r| r.start);
    let mut cuts: Vec<usize> = events
        .iter()
        .filter(|(event, _)| is_container(event))
        .flat_map(|(_, r)| [r.start, r.end])
        .chain(hidden.iter().flat_map(|r| [r.start, r.end]))
        .collect();
    cuts.sort_unstable();
    cuts.dedup();
    let mut hidden = hidden.to_vec();
    hidden.sort_unstable_by_key(|r| r.start);

    let mut out = Vec::new();
    let mut piece = |start: usize, end: usize| {
        // Pieces never straddle a hidden span: they are cut at its edges.
        let i = hidden.partition_point(|h| h.start <= start);
        if i > 0 && hidden.get(i - 1).is_some_and(|h| h.end >= end) {
            return;
        }
        if let Some(leftover) = body.get(start..end).and_then(|s| clean(start, s)) {
            out.push(leftover);
        }
    };
    // The gaps between the covered ranges (and after the last), each cut at the cuts.
    let mut gaps = Vec::new();
    let mut at = 0;
    for r in &covered {
        if r.start > at {
            gaps.push(at..r.start);
        }
        at = at.max(r.end);
    }
    if body.len() > at {
        gaps.push(at..body.len());
    }
    let mut cut = 0;
    for gap in gaps {
        let mut from = gap.start;
        while cuts.get(cut).is_some_and(|&c| c <= from) {
            cut += 1;
        }
        while let Some(&c) = cuts.get(cut).filter(|&&c| c < gap.end) {
            piece(from, c);
            from = c;
            cut += 1;
        }
        piece(from, gap.end);
    }
    out
}

/// A definition's text, without the container markers around it; None for anything else
/// uncovered (blank lines, markers, and the backslash of an escape in a tight list item,
/// which pulldown-cmark's ranges skip).
fn clean(start: usize, source: &str) -> Option<Leftover> {
    let mut paragraphs: Vec<String> = Vec::new();
    let mut open = false;
    for line in source.split('\n').map(strip_markers) {
        if line.is_empty() {
            open = false;
        } else if let (true, Some(last)) = (open, paragraphs.last_mut()) {
            last.push('\n');
            last.push_str(line);
        } else {
            paragraphs.push(line.to_owned());
            open = true;
        }
    }
    let first = paragraphs.first()?;
    first
        .starts_with('[')
        .then_some(Leftover { start, paragraphs })
}

fn strip_markers(mut line: &str) -> &str {
    loop {
        line = line.trim_start_matches([' ', '\t']);
        if let Some(rest) = line.strip_prefix('>').or_else(|| list_marker(line)) {
            line = rest;
        } else {
            return line.trim_end();
        }
    }
}

fn list_marker(line: &str) -> Option<&str> {
    let digits = line.trim_start_matches(|c: char| c.is_ascii_digit());
    let rest = match line.len() - digits.len() {
        0 => line.strip_prefix(['-', '+', '*'])?,
        1..=9 => digits.strip_prefix(['.', ')'])?,
        _ => return None,
    };
    (rest.is_empty() || rest.starts_with([' ', '\t'])).then_some(rest)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markers() {
        assert_eq!(strip_markers("> - [a]: b \r"), "[a]: b");
        assert_eq!(strip_markers("  12. [a]: b"), "[a]: b");
        assert_eq!(strip_markers("1)"), "");
        assert_eq!(strip_markers("-x"), "-x");
        assert_eq!(strip_markers("1234567890. x"), "1234567890. x");
        assert!(clean(0, "- \\").is_none());
        let l = clean(3, "> [a]: b\n>  'title'\n>\n> [c]: d").unwrap();
        assert_eq!(l.paragraphs, ["[a]: b\n'title'", "[c]: d"]);
    }
}
