//! From pulldown-cmark's events to the tree.
//!
//! An explicit stack of open frames, not recursion, so no input can overflow our stack; the
//! depth caps bound the tree (and so the UI's recursion), not this loop. Frames opened past a
//! cap are `Flat`: their children go to the nearest real frame below them.

use std::mem;
use std::ops::Range;

use pulldown_cmark::{CodeBlockKind, Event, LinkType, Options, Parser, Tag, TagEnd};

use crate::inline::push_text;
use crate::leftovers::{self, Leftover};

mod stack;
use crate::{Block, Inline, safe_href};

pub(crate) fn parse(body: &str) -> Vec<Block> {
    let mut parser = Parser::new_ext(body, Options::ENABLE_STRIKETHROUGH).into_offset_iter();
    let events: Vec<_> = parser.by_ref().collect();
    let (blocks, used) = Builder::new(body, Vec::new()).run(&events);
    if !leftovers::possible(body) {
        return blocks;
    }
    // Which definitions the shown links used is only known once built; so a body with a
    // definition to show is built twice (rare: it takes a `[name]: …` line).
    let defs = parser.reference_definitions();
    let hidden: Vec<_> = used
        .iter()
        .filter_map(|id| defs.get(id))
        .map(|def| def.span.clone())
        .collect();
    let shown = leftovers::leftovers(body, &events, &hidden);
    if shown.is_empty() {
        return blocks;
    }
    Builder::new(body, shown).run(&events).0
}

enum Container {
    Root,
    Quote,
    Item,
}

enum Span {
    /// `implicit`: opened by us for a tight list item's bare inlines (or anything else that
    /// puts inlines straight into a block container), closed by the next block event.
    Paragraph {
        implicit: bool,
    },
    Emphasis,
    Strong,
    Strike,
    Link {
        href: String,
    },
}

enum Frame {
    Blocks {
        kind: Container,
        blocks: Vec<Block>,
    },
    List {
        start: Option<u64>,
        items: Vec<Vec<Block>>,
    },
    Inlines {
        kind: Span,
        inlines: Vec<Inline>,
    },
    Code {
        lang: Option<String>,
        text: String,
    },
    /// An HTML block, collected to be shown as its text.
    Html(String),
    /// Opened past a depth cap (or an item of such a list); `link` if it was a link.
    Flat {
        link: bool,
    },
}

impl Frame {
    /// Whether children land here (rather than passing through, or being collected as text).
    fn accepts(&self) -> bool {
        matches!(
            self,
            Frame::Blocks { .. } | Frame::List { .. } | Frame::Inlines { .. }
        )
    }
}

struct Builder<'a> {
    body: &'a str,
    /// Never empty: the root is at the bottom and is never popped.
    stack: Vec<Frame>,
    /// Indices into `stack` of the frames that `accepts`, so finding where a child goes does
    /// not walk past any number of `Flat` frames.
    acceptors: Vec<usize>,
    /// Consecutive text events, joined before splitting (pulldown-cmark splits text at
    /// would-be delimiters, and a URL like `https://x/a_b_` must be seen whole).
    pending: String,
    /// Real (not flattened) quotes and lists open.
    block_depth: usize,
    /// Real emphasis, strong, strike and links open.
    inline_depth: usize,
    /// Links open, flattened or not: no URLs or mentions inside them.
    link_depth: usize,
    /// Nesting of an unsupported element whose events we are skipping (it was shown as source).
    skip: usize,
    /// Where inlines go if the stack were ever in a shape that has no place for them.
    scratch: Vec<Inline>,
    /// Reference definitions to show, in source order, and how many have been.
    leftovers: Vec<Leftover>,
    shown: usize,
    /// The labels of the reference links shown as links (their definitions stay hidden).
    used: Vec<String>,
}

impl<'a> Builder<'a> {
    fn new(body: &'a str, leftovers: Vec<Leftover>) -> Self {
        let root = Frame::Blocks {
            kind: Container::Root,
            blocks: Vec::new(),
        };
        Builder {
            body,
            stack: vec![root],
            acceptors: vec![0],
            pending: String::new(),
            block_depth: 0,
            inline_depth: 0,
            link_depth: 0,
            skip: 0,
            scratch: Vec::new(),
            leftovers,
            shown: 0,
            used: Vec::new(),
        }
    }

    fn run(mut self, events: &[(Event<'_>, Range<usize>)]) -> (Vec<Block>, Vec<String>) {
        for (event, range) in events {
            self.event(event, range.clone());
        }
        let used = mem::take(&mut self.used);
        (self.finish(), used)
    }

    fn source(&self, range: Range<usize>) -> &'a str {
        self.body.get(range).unwrap_or_default()
    }

    fn event(&mut self, event: &Event<'_>, range: Range<usize>) {
        if self.skip > 0 {
            match event {
                Event::Start(_) => self.skip += 1,
                Event::End(_) => self.skip -= 1,
                _ => {}
            }
            return;
        }
        match (event, self.stack.last_mut()) {
            (Event::Text(t), Some(Frame::Code { text, .. })) => return text.push_str(t),
            (Event::Text(t) | Event::Html(t), Some(Frame::Html(html))) => return html.push_str(t),
            (Event::Text(t), _) if self.link_depth == 0 => return self.pending.push_str(t),
            _ => {}
        }
        self.flush();
        match event {
            Event::Start(tag) => {
                if is_block(tag) {
                    self.show_leftovers(range.start);
                }
                self.start(tag, range);
            }
            Event::End(tag) => {
                if matches!(tag, TagEnd::BlockQuote(_) | TagEnd::List(_) | TagEnd::Item) {
                    self.show_leftovers(range.end);
                }
                self.end();
            }
            // Link text: neither URLs nor mentions.
            Event::Text(text) => push_text(self.inline_target(), text),
            Event::Code(code) => self.inline_target().push(Inline::Code(code.to_string())),
            Event::SoftBreak | Event::HardBreak => self.inline_target().push(Inline::LineBreak),
            Event::Html(html) | Event::InlineHtml(html) => self.literal_inline(html),
            Event::Rule => {
                self.show_leftovers(range.start);
                self.literal_block(self.source(range));
            }
            // Not enabled (math, footnotes, task lists), but if they came: as typed.
            _ => self.literal_inline(self.source(range)),
        }
    }

    fn start(&mut self, tag: &Tag<'_>, range: Range<usize>) {
        match tag {
            Tag::Emphasis => _ = self.open_span(Span::Emphasis),
            Tag::Strong => _ = self.open_span(Span::Strong),
            Tag::Strikethrough => _ = self.open_span(Span::Strike),
            Tag::Link {
                link_type,
                dest_url,
                id,
                ..
            } => {
                let href = match link_type {
                    LinkType::Email => format!("mailto:{dest_url}"),
                    _ => dest_url.to_string(),
                };
                if safe_href(&href).is_some() {
                    let shown = self.open_span(Span::Link { href });
                    let by_reference = matches!(
                        link_type,
                        LinkType::Reference | LinkType::Collapsed | LinkType::Shortcut
                    );
                    if shown && by_reference {
                        self.used.push(id.to_string());
                    }
                } else {
                    self.literal_inline(self.source(range));
                    self.skip = 1;
                }
            }
            Tag::Image { .. } | Tag::Superscript | Tag::Subscript => {
                self.literal_inline(self.source(range));
                self.skip = 1;
            }
            Tag::Paragraph => {
                self.close_implicit();
                self.push(Frame::Inlines {
                    kind: Span::Paragraph { implicit: false },
                    inlines: Vec::new(),
                });
            }
            Tag::BlockQuote(_) => {
                self.close_implicit();
                self.open_block(Frame::Blocks {
                    kind: Container::Quote,
                    blocks: Vec::new(),
                });
            }
            Tag::List(start) => {
                self.close_implicit();
                self.open_block(Frame::List {
                    start: *start,
                    items: Vec::new(),
                });
            }
            Tag::Item => {
                self.close_implicit();
                if matches!(self.stack.last(), Some(Frame::List { .. })) {
                    self.push(Frame::Blocks {
                        kind: Container::Item,
                        blocks: Vec::new(),
                    });
                } else {
                    self.push(Frame::Flat { link: false });
                }
            }
            Tag::CodeBlock(kind) => {
                self.close_implicit();
                let lang = match kind {
                    CodeBlockKind::Fenced(info) => info.split_whitespace().next().map(Into::into),
                    CodeBlockKind::Indented => None,
                };
                self.push(Frame::Code {
                    lang,
                    text: String::new(),
                });
            }
            Tag::HtmlBlock => {
                self.close_implicit();
                self.push(Frame::Html(String::new()));
            }
            // Headings, and the extensions we do not enable (tables, footnotes, …).
            _ => {
                self.literal_block(self.source(range));
                self.skip = 1;
            }
        }
    }

    fn end(&mut self) {
        self.close_implicit();
        let Some(frame) = self.pop() else {
            return;
        };
        match frame {
            Frame::Blocks {
                kind: Container::Quote,
                blocks,
            } => {
                self.block_depth = self.block_depth.saturating_sub(1);
                self.push_block(Block::Quote(blocks));
            }
            Frame::Blocks {
                kind: Container::Item | Container::Root,
                blocks,
            } => match self.stack.last_mut() {
                Some(Frame::List { items, .. }) => items.push(blocks),
                _ => blocks.into_iter().for_each(|b| self.push_block(b)),
            },
            Frame::List { start, items } => {
                self.block_depth = self.block_depth.saturating_sub(1);
                self.push_block(Block::List { start, items });
            }
            Frame::Inlines { kind, inlines } => self.close_span(kind, inlines),
            Frame::Code { lang, mut text } => {
                if text.ends_with('\n') {
                    text.pop();
                    if text.ends_with('\r') {
                        text.pop();
                    }
                }
                self.push_block(Block::Code { lang, text });
            }
            Frame::Html(html) => self.literal_block(&html),
            Frame::Flat { link } => {
                if link {
                    self.link_depth = self.link_depth.saturating_sub(1);
                }
            }
        }
    }

    fn finish(mut self) -> Vec<Block> {
        self.flush();
        self.show_leftovers(usize::MAX);
        while self.stack.len() > 1 {
            self.end();
        }
        match self.stack.pop() {
            Some(Frame::Blocks { blocks, .. }) => blocks,
            _ => Vec::new(),
        }
    }
}

/// Whether a tag starts a block (a point where a reference definition can have been).
fn is_block(tag: &Tag<'_>) -> bool {
    !matches!(
        tag,
        Tag::Emphasis
            | Tag::Strong
            | Tag::Strikethrough
            | Tag::Superscript
            | Tag::Subscript
            | Tag::Link { .. }
            | Tag::Image { .. }
    )
}
