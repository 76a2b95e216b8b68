//! The supported constructs, each with its exact tree.

mod common;

use common::*;
use natter_markup::Block::{Code, List, Quote};
use natter_markup::Inline::{Emphasis, LineBreak, Strike, Strong};

#[test]
fn empty_and_blank_bodies() {
    assert_eq!(parse(""), []);
    assert_eq!(parse("  \n\n \t"), []);
}

#[test]
fn paragraphs() {
    assert_eq!(parse("hello"), [p(vec![t("hello")])]);
    assert_eq!(parse("a\n\nb"), [p(vec![t("a")]), p(vec![t("b")])]);
}

#[test]
fn emphasis_strong_strike() {
    assert_eq!(
        para("**hi** _there_"),
        [Strong(vec![t("hi")]), t(" "), Emphasis(vec![t("there")])]
    );
    assert_eq!(para("~~gone~~"), [Strike(vec![t("gone")])]);
    assert_eq!(
        para("***both***"),
        [Emphasis(vec![Strong(vec![t("both")])])]
    );
    assert_eq!(
        para("*a **b** c*"),
        [Emphasis(vec![t("a "), Strong(vec![t("b")]), t(" c")])]
    );
}

#[test]
fn code_spans() {
    assert_eq!(
        para("run `ls -l` now"),
        [t("run "), code("ls -l"), t(" now")]
    );
    assert_eq!(para("`*not em*`"), [code("*not em*")]);
}

#[test]
fn fenced_code_with_and_without_lang() {
    assert_eq!(
        parse("```rust\nfn main() {}\n```"),
        [Code {
            lang: Some("rust".into()),
            text: "fn main() {}".into()
        }]
    );
    assert_eq!(
        parse("~~~ python extra words\nx = 1\ny = 2\n~~~"),
        [Code {
            lang: Some("python".into()),
            text: "x = 1\ny = 2".into()
        }]
    );
    assert_eq!(
        parse("```\n<b>@ann</b> **x**\n```"),
        [Code {
            lang: None,
            text: "<b>@ann</b> **x**".into()
        }]
    );
}

#[test]
fn indented_code() {
    assert_eq!(
        parse("    let x = 1;\n    x"),
        [Code {
            lang: None,
            text: "let x = 1;\nx".into()
        }]
    );
}

#[test]
fn quotes() {
    assert_eq!(parse("> quote"), [Quote(vec![p(vec![t("quote")])])]);
    assert_eq!(
        parse("> outer\n>> inner"),
        [Quote(vec![
            p(vec![t("outer")]),
            Quote(vec![p(vec![t("inner")])])
        ])]
    );
}

#[test]
fn bullet_lists() {
    assert_eq!(
        parse("- a\n- b"),
        [List {
            start: None,
            items: vec![vec![p(vec![t("a")])], vec![p(vec![t("b")])]]
        }]
    );
    // Tight items with markup: still wrapped in one paragraph each.
    assert_eq!(
        parse("* *a* b"),
        [List {
            start: None,
            items: vec![vec![p(vec![Emphasis(vec![t("a")]), t(" b")])]]
        }]
    );
}

#[test]
fn ordered_lists() {
    assert_eq!(
        parse("1. a\n2. b"),
        [List {
            start: Some(1),
            items: vec![vec![p(vec![t("a")])], vec![p(vec![t("b")])]]
        }]
    );
    assert_eq!(
        parse("3. x"),
        [List {
            start: Some(3),
            items: vec![vec![p(vec![t("x")])]]
        }]
    );
}

#[test]
fn nested_lists() {
    assert_eq!(
        parse("- a\n  1. b\n  2. c\n- d"),
        [List {
            start: None,
            items: vec![
                vec![
                    p(vec![t("a")]),
                    List {
                        start: Some(1),
                        items: vec![vec![p(vec![t("b")])], vec![p(vec![t("c")])]]
                    }
                ],
                vec![p(vec![t("d")])]
            ]
        }]
    );
    // Loose items: their paragraphs, as they are.
    assert_eq!(
        parse("- a\n\n  b\n- c"),
        [List {
            start: None,
            items: vec![
                vec![p(vec![t("a")]), p(vec![t("b")])],
                vec![p(vec![t("c")])]
            ]
        }]
    );
}

#[test]
fn list_in_quote() {
    assert_eq!(
        parse("> - a"),
        [Quote(vec![List {
            start: None,
            items: vec![vec![p(vec![t("a")])]]
        }])]
    );
}

#[test]
fn links() {
    assert_eq!(
        para("[ok](https://a.example/x)"),
        [link("https://a.example/x", vec![t("ok")])]
    );
    assert_eq!(
        para("[*ok* `c`](http://a.example \"title\")"),
        [link(
            "http://a.example",
            vec![Emphasis(vec![t("ok")]), t(" "), code("c")]
        )]
    );
    assert_eq!(
        para("[m](mailto:a@b.c)"),
        [link("mailto:a@b.c", vec![t("m")])]
    );
    assert_eq!(
        para("[r][1]\n\n[1]: https://a.example/r"),
        [link("https://a.example/r", vec![t("r")])]
    );
    assert_eq!(
        para("<https://a.example/auto>"),
        [url("https://a.example/auto")]
    );
    assert_eq!(para("<a@b.c>"), [link("mailto:a@b.c", vec![t("a@b.c")])]);
    // An empty link text would be an invisible link.
    assert_eq!(para("[](https://a.example)"), [url("https://a.example")]);
}

#[test]
fn bare_urls() {
    assert_eq!(
        para("see https://example.com/a?b=c."),
        [t("see "), url("https://example.com/a?b=c"), t(".")]
    );
    // Text that pulldown-cmark splits at would-be delimiters is one URL.
    assert_eq!(
        para("https://x.example/a_b_c_d"),
        [url("https://x.example/a_b_c_d")]
    );
    assert_eq!(
        para("*at https://e.example*"),
        [Emphasis(vec![t("at "), url("https://e.example")])]
    );
    assert_eq!(para("mail me@example.com"), [t("mail me@example.com")]);
    assert_eq!(para("ftp://files.example/x"), [t("ftp://files.example/x")]);
    // Not inside code or link text.
    assert_eq!(para("`https://c.example`"), [code("https://c.example")]);
    assert_eq!(
        para("[https://shown.example](https://real.example)"),
        [link(
            "https://real.example",
            vec![t("https://shown.example")]
        )]
    );
}

#[test]
fn mentions_in_text() {
    assert_eq!(para("hi @ann."), [t("hi "), m("ann"), t(".")]);
    assert_eq!(para("a@b"), [t("a@b")]);
    assert_eq!(para("`@ann`"), [code("@ann")]);
    assert_eq!(para("@a"), [t("@a")]);
    assert_eq!(para("**@ann**"), [Strong(vec![m("ann")])]);
    assert_eq!(
        para("[@ann](https://a.example)"),
        [link("https://a.example", vec![t("@ann")])]
    );
    assert_eq!(
        para("https://a.example/@ann"),
        [url("https://a.example/@ann")]
    );
}

#[test]
fn newlines_are_line_breaks() {
    assert_eq!(para("a\nb"), [t("a"), LineBreak, t("b")]);
    assert_eq!(
        para("a  \nb\\\nc"),
        [t("a"), LineBreak, t("b"), LineBreak, t("c")]
    );
    assert_eq!(
        parse("- a\n  b"),
        [List {
            start: None,
            items: vec![vec![p(vec![t("a"), LineBreak, t("b")])]]
        }]
    );
}

#[test]
fn escapes_and_entities_are_decoded_text() {
    assert_eq!(para(r"\*x\*"), [t("*x*")]);
    assert_eq!(para("a &amp; b &lt;i&gt;"), [t("a & b <i>")]);
}
