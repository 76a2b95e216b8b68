//! What must never become markup: unsafe links, HTML, and the constructs we do not support,
//! all shown as the sender typed them; and the depth caps.

mod common;

use common::*;
use natter_markup::Block::{List, Quote};
use natter_markup::Inline::{Emphasis, LineBreak, Strong};
use natter_markup::safe_href;

#[test]
fn unsafe_links_are_their_source() {
    literal("[x](javascript:alert(1))");
    literal("[x](JAVASCRIPT:alert(1))");
    literal("[x](data:text/html,<script>alert(1)</script>)");
    literal("[x](vbscript:msgbox)");
    literal("[x](/relative/path)");
    literal("[x](//evil.example)");
    literal("[x](java\tscript:alert(1))");
    literal("[x](<https://a.example/with space>)");
    literal("<javascript:alert(1)>");
    // Entity-encoded controls in the destination are decoded, then refused.
    literal("[x](https://a.example/&#10;b)");
    // By reference: the link and its definition, both as typed.
    assert_eq!(
        parse("[x][r]\n\n[r]: javascript:alert(1)"),
        [p(vec![t("[x][r]")]), p(vec![t("[r]: javascript:alert(1)")])]
    );
}

#[test]
fn reference_definitions() {
    // Used by a shown link: hidden, as in any Markdown.
    assert_eq!(
        parse("[r][1] and [1]\n\n[1]: https://a.example \"t\""),
        [p(vec![
            link("https://a.example", vec![t("r")]),
            t(" and "),
            link("https://a.example", vec![t("1")])
        ])]
    );
    // Anything else would vanish: shown as typed.
    literal("[note]: remember");
    assert_eq!(
        parse("[a]\n\n[a]: https://one.example\n[a]: https://two.example\n[b]: x"),
        [
            p(vec![link("https://one.example", vec![t("a")])]),
            p(vec![t("[a]: https://two.example"), LineBreak, t("[b]: x")])
        ]
    );
    assert_eq!(
        parse("> [a]: b\n>\n> [c]: d\n\nafter"),
        [
            Quote(vec![p(vec![t("[a]: b")]), p(vec![t("[c]: d")])]),
            p(vec![t("after")])
        ]
    );
    assert_eq!(
        parse("- [a]: b\n- c"),
        [List {
            start: None,
            items: vec![vec![p(vec![t("[a]: b")])], vec![p(vec![t("c")])]]
        }]
    );
    // The link is not shown as one (it is in a heading), so neither is its definition hidden.
    assert_eq!(
        parse("# [x][1]\n\n[1]: https://a.example"),
        [p(vec![t("# [x][1]")]), p(vec![t("[1]: https://a.example")])]
    );
    // A tight item's escapes leave uncovered backslashes: not definitions, nothing extra.
    assert_eq!(
        parse("- \\*x \\[y]: z\n\n[q]: r"),
        [
            List {
                start: None,
                items: vec![vec![p(vec![t("*x [y]: z")])]]
            },
            p(vec![t("[q]: r")])
        ]
    );
}

#[test]
fn unsafe_link_in_context() {
    assert_eq!(
        para("see **[x](javascript:alert(1))** @ann"),
        [
            t("see "),
            Strong(vec![t("[x](javascript:alert(1))")]),
            t(" "),
            m("ann")
        ]
    );
}

#[test]
fn html_is_text() {
    literal("<script>alert(1)</script>");
    literal("<img src=x onerror=alert(1)>");
    assert_eq!(
        para("a <b onclick=\"x()\">b</b> c"),
        [t("a <b onclick=\"x()\">b</b> c")]
    );
    assert_eq!(
        parse("<div>\n<script>alert(1)</script>\n</div>"),
        [p(vec![
            t("<div>"),
            LineBreak,
            t("<script>alert(1)</script>"),
            LineBreak,
            t("</div>")
        ])]
    );
    assert_eq!(parse("<!-- hidden? -->"), [p(vec![t("<!-- hidden? -->")])]);
}

#[test]
fn unsupported_blocks_are_their_source() {
    literal("# heading");
    literal("### **still** not bold");
    literal("---");
    literal("***");
    assert_eq!(
        parse("# title\nbody"),
        [p(vec![t("# title")]), p(vec![t("body")])]
    );
    // A setext heading: both lines, as typed.
    assert_eq!(parse("big\n==="), [p(vec![t("big"), LineBreak, t("===")])]);
    assert_eq!(
        parse("- # in a list"),
        [List {
            start: None,
            items: vec![vec![p(vec![t("# in a list")])]]
        }]
    );
}

#[test]
fn images_are_their_source() {
    literal("![i](https://x/y.png)");
    literal("![i](javascript:alert(1))");
    assert_eq!(
        para("look ![a *b*](https://x/y.png \"t\") here"),
        [t("look ![a *b*](https://x/y.png \"t\") here")]
    );
    assert_eq!(
        para("[![i](https://x/y.png)](https://a.example)"),
        [link("https://a.example", vec![t("![i](https://x/y.png)")])]
    );
}

#[test]
fn extensions_not_enabled_are_text() {
    assert_eq!(
        parse("| a | b |\n|---|---|"),
        [p(vec![t("| a | b |"), LineBreak, t("|---|---|")])]
    );
    assert_eq!(
        parse("- [ ] task"),
        [List {
            start: None,
            items: vec![vec![p(vec![t("[ ] task")])]]
        }]
    );
    assert_eq!(para("$x$ ^s^"), [t("$x$ ^s^")]);
}

#[test]
fn safe_href_rules() {
    for ok in [
        "http://a.example",
        "https://a.example/p?q=1#f",
        "HTTPS://A.EXAMPLE",
        "hTtP://x",
        "mailto:a@b.c",
        "MAILTO:a@b.c",
        "https://a.example/é",
    ] {
        assert_eq!(safe_href(ok), Some(ok), "{ok:?}");
    }
    for bad in [
        "",
        "http://",
        "https://",
        "mailto:",
        "javascript:alert(1)",
        "JavaScript:alert(1)",
        "data:text/html,x",
        "vbscript:x",
        "ftp://a.example",
        "/relative",
        "//a.example",
        " https://a.example",
        "https://a.example ",
        "https://a\u{0}b",
        "https://a\tb",
        "https://a\u{7f}b",
        "https://a\u{a0}b",
        "https://a\u{2028}b",
        "http:/a.example",
        "é",
    ] {
        assert_eq!(safe_href(bad), None, "{bad:?}");
    }
}

fn quotes(n: usize) -> usize {
    let mut depth = 0;
    let mut blocks = parse(&format!("{} deep", ">".repeat(n)));
    while let [Quote(inner)] = blocks.as_slice() {
        depth += 1;
        blocks = inner.clone();
    }
    assert_eq!(blocks, [p(vec![t("deep")])], "{n} quotes: the text is kept");
    depth
}

#[test]
fn block_depth_is_capped() {
    assert_eq!(quotes(3), 3);
    assert_eq!(quotes(8), 8);
    assert_eq!(quotes(9), 8);
    assert_eq!(quotes(10_000), 8);

    // Twelve nested lists: eight of them, the rest's items become paragraphs of the eighth.
    let body: String = (0..12)
        .map(|i| format!("{}- {i}\n", "  ".repeat(i)))
        .collect();
    let mut blocks = parse(&body);
    let mut lists = 0;
    // Each list's one item: its number, then (but in the last list) the next list.
    while let [List { items, .. }] = blocks.as_slice() {
        lists += 1;
        blocks = items[0][1..].to_vec();
    }
    assert_eq!(lists, 8);
    let texts: Vec<_> = (8..12).map(|i| p(vec![t(&i.to_string())])).collect();
    assert_eq!(blocks, texts);
}

#[test]
fn inline_depth_is_capped() {
    // `*a **b *c …* b** a*`, twelve levels: eight kept, the rest flattened.
    let mut body = String::from("x");
    for i in 0..12 {
        let d = if i % 2 == 0 { "*" } else { "**" };
        body = format!("{d}{i} {body} {i}{d}");
    }
    let inlines = para(&body);
    let mut depth = 0;
    let mut level = inlines.as_slice();
    let mut innermost = level;
    while let Some(Emphasis(c) | Strong(c)) =
        level.iter().find(|i| matches!(i, Emphasis(_) | Strong(_)))
    {
        depth += 1;
        innermost = c;
        level = c;
    }
    assert_eq!(depth, 8);
    assert_eq!(innermost, [t("4 3 2 1 0 x 0 1 2 3 4")]);
    // No bare URL links past the cap either (a link is a level).
    let deep = format!("{}https://a.example{}", "*a ".repeat(20), " a*".repeat(20));
    assert!(!format!("{:?}", parse(&deep)).contains("Link"));
}

#[test]
fn pathological_inputs_finish() {
    for body in [
        ">".repeat(50_000),
        "- ".repeat(20_000),
        "*".repeat(50_000),
        "[".repeat(50_000),
        "[a](".repeat(10_000),
        "<".repeat(50_000),
        "`".repeat(50_000),
        "@".repeat(50_000),
        "https://".repeat(10_000),
        "*a ".repeat(20_000) + &" a*".repeat(20_000),
        "> - ".repeat(10_000),
    ] {
        let _ = parse(&body);
        let _ = natter_markup::mentions(&body);
    }
}
