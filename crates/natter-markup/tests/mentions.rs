//! `mentions` and `plain_text`.

mod common;

use common::parse;
use natter_markup::{mentions, plain_text};

#[test]
fn in_order_of_first_appearance_deduplicated() {
    assert_eq!(
        mentions("@bob hi @ann, and @bob again; @Ann"),
        ["bob", "ann", "Ann"]
    );
    assert_eq!(mentions("hi @ann."), ["ann"]);
    assert_eq!(mentions(""), Vec::<String>::new());
    assert_eq!(mentions("no one here"), Vec::<String>::new());
}

#[test]
fn everywhere_text_is() {
    assert_eq!(
        mentions("> @qq\n\n- @l1\n  1. **@l2**\n\n*~~@deep~~*"),
        ["qq", "l1", "l2", "deep"]
    );
}

#[test]
fn not_in_code_links_or_addresses() {
    let body = "`@code` and\n```\n@block\n```\n[@text](https://a.example/@url) \
                https://b.example/@bare <https://c.example/@auto> me@example.com a@b @a @@xy";
    assert_eq!(mentions(body), ["xy"]);
    // A heading is shown as typed, so it mentions no one (nothing highlighted, no ping).
    assert_eq!(mentions("# @ann"), Vec::<String>::new());
    assert_eq!(mentions("    @indented"), Vec::<String>::new());
}

#[test]
fn at_most_twenty() {
    let body: String = (0..30).map(|i| format!("@user{i} @user{i} ")).collect();
    let expected: Vec<String> = (0..20).map(|i| format!("user{i}")).collect();
    assert_eq!(mentions(&body), expected);
}

#[test]
fn plain_text_of_everything() {
    let body = "**Hi** @ann, see [the *docs*](https://a.example) or https://b.example\n\
                `code` ![img](https://x/y.png)\n\n\
                > quoted\n\n\
                - one\n- two\n\n\
                ```rust\nfn x() {}\n```";
    assert_eq!(
        plain_text(&parse(body)),
        "Hi @ann, see the docs or https://b.example\ncode ![img](https://x/y.png)\n\
         quoted\none\ntwo\nfn x() {}"
    );
    assert_eq!(plain_text(&[]), "");
}

#[test]
fn a_body_without_markup_needs_no_tree_and_plain_shows_it_the_same() {
    use natter_markup::{markup, parse, plain};
    for body in ["hello", "two\nlines", "a\n\nb?", "", "x @", "3 < 4 > 2"] {
        match markup(body) {
            None => assert_eq!(parse(body), plain(body), "{body:?}"),
            Some(tree) => assert_eq!(tree, parse(body), "{body:?}"),
        }
    }
    assert_eq!(markup("hello"), None);
    assert_eq!(markup("two\nlines"), None);
    assert_eq!(markup("two\r\nlines"), None, "CRLF, from a form post");
    assert!(markup("**hi**").is_some());
    assert!(markup("hi @ann").is_some());
    assert!(markup("see https://example.com").is_some());
}

#[cfg(feature = "serde")]
#[test]
fn the_tree_on_the_wire_is_short_tags() {
    let tree = natter_markup::parse("**a** [b](https://x.example)\n`c`");
    let json = serde_json::to_string(&tree).unwrap();
    assert_eq!(
        json,
        r#"[{"p":[{"strong":[{"t":"a"}]},{"t":" "},{"a":{"href":"https://x.example","children":[{"t":"b"}]}},"br",{"c":"c"}]}]"#
    );
    let back: Vec<natter_markup::Block> = serde_json::from_str(&json).unwrap();
    assert_eq!(back, tree);
}

#[test]
fn a_tree_names_whom_it_mentions_wherever_they_are() {
    let tree = natter_markup::parse("@ann and **@bob**\n> @cy\n- [@dee](https://x.example) `@eve`");
    assert_eq!(natter_markup::mentioned(&tree), ["ann", "bob", "cy"]);
}
