//! Shorthand for expected trees.
#![allow(dead_code)]

pub use natter_markup::{Block, Inline, parse};

pub fn t(s: &str) -> Inline {
    Inline::Text(s.into())
}

pub fn m(s: &str) -> Inline {
    Inline::Mention(s.into())
}

pub fn code(s: &str) -> Inline {
    Inline::Code(s.into())
}

pub fn link(href: &str, children: Vec<Inline>) -> Inline {
    Inline::Link {
        href: href.into(),
        children,
    }
}

/// A bare URL, linked to itself.
pub fn url(u: &str) -> Inline {
    link(u, vec![t(u)])
}

pub fn p(inlines: Vec<Inline>) -> Block {
    Block::Paragraph(inlines)
}

/// The tree of a body that is one paragraph.
pub fn para(body: &str) -> Vec<Inline> {
    match parse(body).as_slice() {
        [Block::Paragraph(inlines)] => inlines.clone(),
        other => panic!("{body:?} is not one paragraph: {other:?}"),
    }
}

/// A body shown exactly as typed, as one text node.
pub fn literal(body: &str) {
    assert_eq!(parse(body), [p(vec![t(body)])], "{body:?}");
}
