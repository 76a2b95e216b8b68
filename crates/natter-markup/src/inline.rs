//! Splitting plain text (outside code and links) into text, bare-URL links and mentions.

use linkify::{LinkFinder, LinkKind};

use crate::{Inline, safe_href};

/// Shortest and longest mentionable name, in chars (the contract's user-name rule).
const NAME_MIN: usize = 2;
const NAME_MAX: usize = 24;

/// Appends `text` to `out`, merging it into a trailing `Text` (so adjacent text is one node)
/// and never adding an empty one.
pub(crate) fn push_text(out: &mut Vec<Inline>, text: &str) {
    if text.is_empty() {
        return;
    }
    if let Some(Inline::Text(last)) = out.last_mut() {
        last.push_str(text);
    } else {
        out.push(Inline::Text(text.to_owned()));
    }
}

/// Appends `text` to `out` with its bare URLs as links (if `link_urls`) and its `@name`s as
/// mentions. URLs go first, so an `@` inside a URL is never a mention.
pub(crate) fn split_text(text: &str, out: &mut Vec<Inline>, link_urls: bool) {
    if !link_urls {
        split_mentions(text, 0, text.len(), out);
        return;
    }
    let mut finder = LinkFinder::new();
    finder.kinds(&[LinkKind::Url]).url_must_have_scheme(true);
    let mut at = 0;
    for link in finder.links(text) {
        split_mentions(text, at, link.start(), out);
        let url = link.as_str();
        match safe_href(url) {
            Some(href) => out.push(Inline::Link {
                href: href.to_owned(),
                children: vec![Inline::Text(url.to_owned())],
            }),
            // A URL we will not link (`javascript://…`) is still a URL: no mentions inside.
            None => push_text(out, url),
        }
        at = link.end();
    }
    split_mentions(text, at, text.len(), out);
}

fn is_name_char(c: char) -> bool {
    c.is_alphanumeric() || matches!(c, '_' | '.' | '-')
}

/// Appends `full[start..end]` with its mentions split out. The char before `start` counts
/// for "not preceded by a name char", so `…/x@ann` right after a URL is no mention.
fn split_mentions(full: &str, start: usize, end: usize, out: &mut Vec<Inline>) {
    let Some(segment) = full.get(start..end) else {
        return;
    };
    let mut prev = full.get(..start).and_then(|s| s.chars().next_back());
    let mut plain_from = 0;
    let mut chars = segment.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        if c == '@' && !prev.is_some_and(is_name_char) {
            let name_start = i + 1;
            let mut name_end = name_start;
            let mut run = 0usize;
            while let Some(&(j, n)) = chars.peek() {
                if !is_name_char(n) {
                    break;
                }
                chars.next();
                run += 1;
                name_end = j + n.len_utf8();
                prev = Some(n);
            }
            // `@` followed by a non-name char: `prev` must be the `@` itself.
            if run == 0 {
                prev = Some(c);
                continue;
            }
            let Some(name) = segment
                .get(name_start..name_end)
                .map(|s| s.trim_end_matches(['.', '-']))
            else {
                continue;
            };
            let len = name.chars().count();
            if run <= NAME_MAX && len >= NAME_MIN {
                push_text(out, segment.get(plain_from..i).unwrap_or_default());
                out.push(Inline::Mention(name.to_owned()));
                // The stripped `.`/`-` stay text.
                plain_from = name_start + name.len();
            }
            continue;
        }
        prev = Some(c);
    }
    push_text(out, segment.get(plain_from..).unwrap_or_default());
}

#[cfg(test)]
mod tests {
    use super::*;

    fn split(s: &str) -> Vec<Inline> {
        let mut out = Vec::new();
        split_text(s, &mut out, true);
        out
    }

    fn t(s: &str) -> Inline {
        Inline::Text(s.into())
    }

    fn m(s: &str) -> Inline {
        Inline::Mention(s.into())
    }

    #[test]
    fn mention_rules() {
        assert_eq!(split("hi @ann."), [t("hi "), m("ann"), t(".")]);
        assert_eq!(split("@ann"), [m("ann")]);
        assert_eq!(split("a@bob"), [t("a@bob")]);
        assert_eq!(split("@a"), [t("@a")]);
        assert_eq!(split("@a."), [t("@a.")]);
        assert_eq!(split("@an--."), [m("an"), t("--.")]);
        assert_eq!(split("@a_b"), [m("a_b")]);
        assert_eq!(split("@@ann"), [t("@"), m("ann")]);
        assert_eq!(split("(@ann)"), [t("("), m("ann"), t(")")]);
        assert_eq!(split("@ann,@bob"), [m("ann"), t(","), m("bob")]);
        assert_eq!(split("@élodie!"), [m("élodie"), t("!")]);
        assert_eq!(split("@"), [t("@")]);
        assert_eq!(split("x @ y"), [t("x @ y")]);
    }

    #[test]
    fn mention_length_limits() {
        let max = "n".repeat(NAME_MAX);
        assert_eq!(split(&format!("@{max}")), [m(&max)]);
        let long = format!("@{}", "n".repeat(NAME_MAX + 1));
        assert_eq!(split(&long), [t(&long)]);
        // The 24 counts chars, not bytes.
        let wide = "é".repeat(NAME_MAX);
        assert_eq!(split(&format!("@{wide}")), [m(&wide)]);
    }

    #[test]
    fn urls_then_mentions() {
        let link = |u: &str| Inline::Link {
            href: u.into(),
            children: vec![t(u)],
        };
        assert_eq!(
            split("see https://example.com/a?b=c."),
            [t("see "), link("https://example.com/a?b=c"), t(".")]
        );
        assert_eq!(
            split("https://x.example/@ann @bob"),
            [link("https://x.example/@ann"), t(" "), m("bob")]
        );
        assert_eq!(split("mail me@example.com"), [t("mail me@example.com")]);
        assert_eq!(split("javascript://x/@ann"), [t("javascript://x/@ann")]);
        assert_eq!(split("HTTPS://A.EXAMPLE"), [link("HTTPS://A.EXAMPLE")]);
    }

    #[test]
    fn no_links_when_told() {
        let mut out = Vec::new();
        split_text("https://a.example @ann", &mut out, false);
        assert_eq!(out, [t("https://a.example "), m("ann")]);
    }
}
