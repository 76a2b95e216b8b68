//! The builder's stack: opening and closing frames, and where children go.

use std::mem;

use super::{Builder, Frame, Span};
use crate::inline::{push_text, split_text};
use crate::{Block, Inline, MAX_BLOCK_DEPTH, MAX_INLINE_DEPTH};

impl Builder<'_> {
    pub(super) fn push(&mut self, frame: Frame) {
        if frame.accepts() {
            self.acceptors.push(self.stack.len());
        }
        self.stack.push(frame);
    }

    /// Pops the top frame, never the root.
    pub(super) fn pop(&mut self) -> Option<Frame> {
        if self.stack.len() <= 1 {
            return None;
        }
        let frame = self.stack.pop()?;
        if self.acceptors.last() == Some(&self.stack.len()) {
            self.acceptors.pop();
        }
        Some(frame)
    }

    pub(super) fn open_block(&mut self, frame: Frame) {
        if self.block_depth < MAX_BLOCK_DEPTH {
            self.block_depth += 1;
            self.push(frame);
        } else {
            self.push(Frame::Flat { link: false });
        }
    }

    /// Opens an inline span; false if it was flattened (past the cap).
    pub(super) fn open_span(&mut self, kind: Span) -> bool {
        // Make sure there is a paragraph to hold it (a tight list item has none).
        self.inline_target();
        let link = matches!(kind, Span::Link { .. });
        if link {
            self.link_depth += 1;
        }
        if self.inline_depth < MAX_INLINE_DEPTH {
            self.inline_depth += 1;
            self.push(Frame::Inlines {
                kind,
                inlines: Vec::new(),
            });
            true
        } else {
            self.push(Frame::Flat { link });
            false
        }
    }

    pub(super) fn close_span(&mut self, kind: Span, inlines: Vec<Inline>) {
        let inline = match kind {
            Span::Paragraph { .. } => {
                if !inlines.is_empty() {
                    self.push_block(Block::Paragraph(inlines));
                }
                return;
            }
            Span::Emphasis => Inline::Emphasis(inlines),
            Span::Strong => Inline::Strong(inlines),
            Span::Strike => Inline::Strike(inlines),
            Span::Link { href } => {
                self.link_depth = self.link_depth.saturating_sub(1);
                // `[](https://…)` would be an invisible link: show where it goes.
                let children = if inlines.is_empty() {
                    vec![Inline::Text(href.clone())]
                } else {
                    inlines
                };
                Inline::Link { href, children }
            }
        };
        self.inline_depth = self.inline_depth.saturating_sub(1);
        let empty = matches!(&inline, Inline::Emphasis(c) | Inline::Strong(c) | Inline::Strike(c) if c.is_empty());
        if !empty {
            self.inline_target().push(inline);
        }
    }

    /// Closes the paragraphs we opened ourselves, before a block starts or a container ends.
    pub(super) fn close_implicit(&mut self) {
        while let Some(Frame::Inlines {
            kind: Span::Paragraph { implicit: true },
            ..
        }) = self.stack.last()
        {
            if let Some(Frame::Inlines { kind, inlines }) = self.pop() {
                self.close_span(kind, inlines);
            }
        }
    }

    /// Where the next inline goes: the innermost real inline frame, or a new implicit
    /// paragraph if the innermost real frame holds blocks.
    pub(super) fn inline_target(&mut self) -> &mut Vec<Inline> {
        let top = self.acceptors.last().copied().unwrap_or_default();
        if !matches!(self.stack.get(top), Some(Frame::Inlines { .. })) {
            self.push(Frame::Inlines {
                kind: Span::Paragraph { implicit: true },
                inlines: Vec::new(),
            });
        }
        let top = self.acceptors.last().copied().unwrap_or_default();
        match self.stack.get_mut(top) {
            Some(Frame::Inlines { inlines, .. }) => inlines,
            _ => &mut self.scratch,
        }
    }

    /// Adds a finished block to the innermost real block container.
    pub(super) fn push_block(&mut self, block: Block) {
        let holder = self
            .acceptors
            .iter()
            .rev()
            .find_map(|&i| match self.stack.get(i) {
                Some(Frame::Blocks { .. } | Frame::List { .. }) => Some(i),
                _ => None,
            });
        match holder.and_then(|i| self.stack.get_mut(i)) {
            Some(Frame::Blocks { blocks, .. }) => blocks.push(block),
            Some(Frame::List { items, .. }) => match items.last_mut() {
                Some(item) => item.push(block),
                None => items.push(vec![block]),
            },
            _ => {}
        }
    }

    pub(super) fn flush(&mut self) {
        if self.pending.is_empty() {
            return;
        }
        let text = mem::take(&mut self.pending);
        // A bare URL becomes a link, one level deeper: not past the cap.
        let link_urls = self.inline_depth < MAX_INLINE_DEPTH;
        split_text(&text, self.inline_target(), link_urls);
        // Keep the allocation for the next run of text.
        self.pending = text;
        self.pending.clear();
    }

    /// Shows the reference definitions written before `offset`, each as a paragraph.
    pub(super) fn show_leftovers(&mut self, offset: usize) {
        while let Some(leftover) = self.leftovers.get_mut(self.shown) {
            if leftover.start >= offset {
                break;
            }
            self.shown += 1;
            for paragraph in mem::take(&mut leftover.paragraphs) {
                self.literal_block(&paragraph);
            }
        }
    }

    /// Shows source text as typed, inline; its newlines as line breaks.
    pub(super) fn literal_inline(&mut self, source: &str) {
        let target = self.inline_target();
        for (i, line) in source.split('\n').enumerate() {
            if i > 0 {
                target.push(Inline::LineBreak);
            }
            push_text(target, line.strip_suffix('\r').unwrap_or(line));
        }
    }

    /// Shows a block's source text as typed, as a paragraph of its own.
    pub(super) fn literal_block(&mut self, source: &str) {
        self.close_implicit();
        let source = source.trim_end_matches(['\n', '\r']);
        if source.is_empty() {
            return;
        }
        self.literal_inline(source);
        self.close_implicit();
    }
}
