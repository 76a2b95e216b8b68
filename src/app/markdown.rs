//! A message body as nodes: `natter-markup`'s tree (parsed by the server, which sends it with
//! the message: the parser stays out of the page's wasm), each part a Leptos element or a text
//! node. Leptos escapes text, and nothing here uses `inner_html`, so whatever a body holds
//! (raw HTML, a script, a `javascript:` link) reaches the page as the characters typed.

use leptos::prelude::*;
use natter_markup::{Block, Inline};

/// Links open in a new tab, and tell the target nothing: not the page (`noopener`), not the
/// address (`noreferrer`), and that the link is a user's, not ours (`nofollow ugc`).
const LINK_REL: &str = "noopener noreferrer nofollow ugc";

/// `me`: the reader's name, whose mentions are highlighted.
#[component]
pub fn Body(blocks: Vec<Block>, me: String) -> impl IntoView {
    view! { <div class="body">{blocks_view(blocks, &me)}</div> }
}

// The tree is recursive, so its views are type-erased (`AnyView`); natter-markup bounds the
// depth, so the recursion is too. Every element with only children is one type
// (`html::custom(tag)`): each erased type costs the page its own code; a typed element per
// tag cost 2.4 KB more brotli wasm (BENCHMARKS.md). `<br>` stays typed: a custom element
// would be written `<br></br>`, which HTML parses as two.
fn container(tag: &'static str, children: Vec<AnyView>) -> AnyView {
    leptos::html::custom(tag).child(children).into_any()
}

fn blocks_view(blocks: Vec<Block>, me: &str) -> Vec<AnyView> {
    blocks.into_iter().map(|b| block_view(b, me)).collect()
}

fn block_view(block: Block, me: &str) -> AnyView {
    match block {
        Block::Paragraph(inlines) => container("p", inlines_view(inlines, me)),
        Block::Code { lang, text } => {
            let code = view! { <code data-lang=lang>{text}</code> };
            container("pre", vec![code.into_any()])
        }
        Block::Quote(blocks) => container("blockquote", blocks_view(blocks, me)),
        Block::List { start, items } => {
            let items = items
                .into_iter()
                .map(|item| container("li", blocks_view(item, me)))
                .collect();
            match start {
                Some(start) => view! { <ol start=start>{items}</ol> }.into_any(),
                None => container("ul", items),
            }
        }
    }
}

fn inlines_view(inlines: Vec<Inline>, me: &str) -> Vec<AnyView> {
    inlines.into_iter().map(|i| inline_view(i, me)).collect()
}

fn inline_view(inline: Inline, me: &str) -> AnyView {
    match inline {
        Inline::Text(text) => text.into_any(),
        Inline::Code(code) => container("code", vec![code.into_any()]),
        Inline::Emphasis(inner) => container("em", inlines_view(inner, me)),
        Inline::Strong(inner) => container("strong", inlines_view(inner, me)),
        Inline::Strike(inner) => container("del", inlines_view(inner, me)),
        // The server only sends http(s) and mailto links; checked again all the same, so a
        // bad tree can at worst show text.
        Inline::Link { href, children } if natter_markup::safe_href(&href).is_some() => view! {
            <a href=href target="_blank" rel=LINK_REL>{inlines_view(children, me)}</a>
        }
        .into_any(),
        Inline::Link { children, .. } => inlines_view(children, me).into_any(),
        Inline::Mention(name) => {
            // ASCII case folding: `to_lowercase` costs the page 5 KB of wasm (BENCHMARKS.md);
            // names differing only in non-ASCII case are the same person's rarely enough.
            let mine = name.eq_ignore_ascii_case(me);
            let class = if mine { "mention me" } else { "mention" };
            view! { <span class=class>"@"{name}</span> }.into_any()
        }
        Inline::LineBreak => view! { <br/> }.into_any(),
    }
}
