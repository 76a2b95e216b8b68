//! Natter's message markup: a chat message body, written in a small safe subset of Markdown,
//! parsed into a small tree ([`Block`]s of [`Inline`]s) that the Leptos UI turns into DOM nodes.
//!
//! Supported: paragraphs, `*emphasis*`, `**strong**`, `~~strike~~`, `` `code` ``, fenced and
//! indented code blocks, links (inline, reference and `<https://…>` autolinks), bare
//! `https://…` URLs, `@name` mentions, `> quotes` and bullet and ordered lists (both nested).
//! A newline is a line break, because that is what chat users expect when they press
//! shift+enter, not CommonMark's "soft break is a space".
//!
//! Everything else (headings, images, thematic breaks, HTML, links to anything but http(s) or
//! mailto) is shown as the source text the sender typed. The reader sees what was written,
//! nothing is silently dropped, and a message never looks different from what its author meant
//! in a way that hides content (an image that is not loaded, a heading that shouts). The
//! same goes for link reference definitions (`[1]: https://…`): hidden when a shown link used
//! one, as in any Markdown, and shown as typed otherwise (see `leftovers.rs`).
//!
//! No HTML ever comes out of this crate, and we build pulldown-cmark without its HTML writer:
//! the UI creates elements and text nodes from the tree (never `inner_html`), so the only way
//! to get markup onto the page is through the variants below, and a [`Inline::Link`] only ever
//! carries an href that passed [`safe_href`]. Text is text, whatever characters it holds.
//!
//! Nesting is capped (8 levels of quotes/lists, 8 levels of emphasis-like inlines; deeper
//! content is flattened into its parent) because the UI renders the tree recursively: a body of
//! ten thousand `>` must not become ten thousand nested components, or a stack overflow.
//! The builder itself is iterative for the same reason.
//!
//! The crate is sans-IO and total: every function accepts any `&str` and none panics.
#![forbid(unsafe_code)]

mod build;
mod inline;
mod leftovers;
mod mentions;

pub use mentions::{mentions, mentions_in};

/// A block of a message. On the wire (feature `serde`) each variant is a short tag:
/// `{"p":[{"t":"hi"}]}`.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum Block {
    #[cfg_attr(feature = "serde", serde(rename = "p"))]
    Paragraph(Vec<Inline>),
    /// A fenced or indented code block; `lang` is the info string's first word, if any.
    #[cfg_attr(feature = "serde", serde(rename = "code"))]
    Code {
        #[cfg_attr(
            feature = "serde",
            serde(default, skip_serializing_if = "Option::is_none")
        )]
        lang: Option<String>,
        text: String,
    },
    #[cfg_attr(feature = "serde", serde(rename = "quote"))]
    Quote(Vec<Block>),
    /// `start` is Some(n) for an ordered list starting at n, None for a bullet list.
    #[cfg_attr(feature = "serde", serde(rename = "list"))]
    List {
        #[cfg_attr(
            feature = "serde",
            serde(default, skip_serializing_if = "Option::is_none")
        )]
        start: Option<u64>,
        items: Vec<Vec<Block>>,
    },
}

/// A piece of a paragraph.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum Inline {
    #[cfg_attr(feature = "serde", serde(rename = "t"))]
    Text(String),
    #[cfg_attr(feature = "serde", serde(rename = "c"))]
    Code(String),
    #[cfg_attr(feature = "serde", serde(rename = "em"))]
    Emphasis(Vec<Inline>),
    #[cfg_attr(feature = "serde", serde(rename = "strong"))]
    Strong(Vec<Inline>),
    #[cfg_attr(feature = "serde", serde(rename = "del"))]
    Strike(Vec<Inline>),
    /// Only ever a safe href (see `safe_href`).
    #[cfg_attr(feature = "serde", serde(rename = "a"))]
    Link { href: String, children: Vec<Inline> },
    /// `@name` (the name without the '@').
    #[cfg_attr(feature = "serde", serde(rename = "at"))]
    Mention(String),
    #[cfg_attr(feature = "serde", serde(rename = "br"))]
    LineBreak,
}

/// How deep quotes and lists may nest; deeper ones are flattened into their parent.
pub(crate) const MAX_BLOCK_DEPTH: usize = 8;
/// How deep emphasis, strong, strike and links may nest; deeper ones are flattened.
pub(crate) const MAX_INLINE_DEPTH: usize = 8;

/// Parses a message body. An empty (or blank) body gives no blocks.
pub fn parse(body: &str) -> Vec<Block> {
    build::parse(body)
}

/// What a body with no markup shows, without parsing: one paragraph of its text, a line
/// break for each newline. The browser builds this for the (most) bodies the server sent no
/// tree for; its own messages still on their way show as typed until the server has them.
pub fn plain(body: &str) -> Vec<Block> {
    let mut inlines = Vec::new();
    // A textarea posted without JavaScript ends its lines with CRLF; the parser reads either.
    for (i, line) in body.split('\n').enumerate() {
        let line = line.strip_suffix('\r').unwrap_or(line);
        if i > 0 {
            inlines.push(Inline::LineBreak);
        }
        if !line.is_empty() {
            inlines.push(Inline::Text(line.to_owned()));
        }
    }
    if inlines.is_empty() {
        Vec::new()
    } else {
        vec![Block::Paragraph(inlines)]
    }
}

/// The tree of a body, or `None` when it is [`plain`]: so a plain message (most of them)
/// costs the wire nothing beyond its body.
pub fn markup(body: &str) -> Option<Vec<Block>> {
    let blocks = parse(body);
    (blocks != plain(body)).then_some(blocks)
}

/// Some(href) if the URL is allowed in a link: http://, https:// or mailto: (scheme
/// case-insensitive), no ASCII control chars, no whitespace, has something after the scheme. Returns the URL as given (trimmed of nothing).
///
/// An allow-list, not a deny-list: `javascript:`, `data:`, `vbscript:`, relative URLs and
/// anything we have not thought of are refused. Whitespace and controls are refused because
/// browsers strip some of them while parsing a URL, which is how `java\tscript:` got past
/// older filters.
pub fn safe_href(url: &str) -> Option<&str> {
    let rest = ["http://", "https://", "mailto:"]
        .iter()
        .find_map(|scheme| {
            let head = url.get(..scheme.len())?;
            head.eq_ignore_ascii_case(scheme)
                .then(|| &url[scheme.len()..])
        })?;
    let clean = !url
        .chars()
        .any(|c| c.is_ascii_control() || c.is_whitespace());
    (clean && !rest.is_empty()).then_some(url)
}

/// The names a tree mentions (`Inline::Mention`), in order, as written. A mention inside a
/// link's text is part of the link, not a mention (as `parse` builds it).
pub fn mentioned(blocks: &[Block]) -> Vec<&str> {
    let mut out = Vec::new();
    mentioned_in_blocks(blocks, &mut out);
    out
}

fn mentioned_in_blocks<'a>(blocks: &'a [Block], out: &mut Vec<&'a str>) {
    for block in blocks {
        match block {
            Block::Paragraph(line) => mentioned_in_inlines(line, out),
            Block::Quote(inner) => mentioned_in_blocks(inner, out),
            Block::List { items, .. } => {
                for item in items {
                    mentioned_in_blocks(item, out);
                }
            }
            Block::Code { .. } => {}
        }
    }
}

fn mentioned_in_inlines<'a>(inlines: &'a [Inline], out: &mut Vec<&'a str>) {
    for inline in inlines {
        match inline {
            Inline::Mention(name) => out.push(name),
            Inline::Emphasis(inner) | Inline::Strong(inner) | Inline::Strike(inner) => {
                mentioned_in_inlines(inner, out)
            }
            Inline::Link { .. } | Inline::Text(_) | Inline::Code(_) | Inline::LineBreak => {}
        }
    }
}

/// Plain text of the blocks (for notifications/previews): text, code, link text, `@name`, with blocks separated by a newline.
pub fn plain_text(blocks: &[Block]) -> String {
    let mut out = String::new();
    blocks_text(blocks, &mut out);
    out
}

fn blocks_text(blocks: &[Block], out: &mut String) {
    for (i, block) in blocks.iter().enumerate() {
        if i > 0 {
            out.push('\n');
        }
        match block {
            Block::Paragraph(inlines) => inlines_text(inlines, out),
            Block::Code { text, .. } => out.push_str(text),
            Block::Quote(blocks) => blocks_text(blocks, out),
            Block::List { items, .. } => {
                for (j, item) in items.iter().enumerate() {
                    if j > 0 {
                        out.push('\n');
                    }
                    blocks_text(item, out);
                }
            }
        }
    }
}

fn inlines_text(inlines: &[Inline], out: &mut String) {
    for inline in inlines {
        match inline {
            Inline::Text(t) | Inline::Code(t) => out.push_str(t),
            Inline::Emphasis(c) | Inline::Strong(c) | Inline::Strike(c) => inlines_text(c, out),
            Inline::Link { children, .. } => inlines_text(children, out),
            Inline::Mention(name) => {
                out.push('@');
                out.push_str(name);
            }
            Inline::LineBreak => out.push('\n'),
        }
    }
}
