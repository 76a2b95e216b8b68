//! Who may claim a new name: `--registration open|invite|closed`, invite links made by an
//! administrator (`--admin`, or the first account), and signing in, never limited by it.

use natter::server::{
    Config,
    registration::{Registration, RegistrationFlags},
};

use crate::{api::call, support::*};

fn mode(registration: Registration, admins: &[&str]) -> Config {
    Config {
        registration: RegistrationFlags {
            registration,
            admins: admins.iter().map(|a| a.to_string()).collect(),
        },
        ..test_config()
    }
}

/// An invite link made by the administrator with `session`: its token.
async fn invite(server: &Server, session: &str, form: &[(&str, &str)]) -> String {
    let made = call(server, "create_invite", Some(session), form).await;
    let path = made.json()["path"].as_str().unwrap().to_owned();
    let token = path.strip_prefix("/?invite=").expect("an invite path");
    token.to_owned()
}

#[tokio::test]
async fn invite_mode_admits_new_names_only_through_an_administrators_link() {
    let server = start_empty(mode(Registration::Invite, &[])).await;
    // The first account is the administrator, and needs no invite.
    let ann = call(
        &server,
        "join",
        None,
        &[("name", "ann"), ("password", "correct horse")],
    )
    .await;
    assert_eq!(ann.json()["can_invite"], true);
    let ann_token = ann.token();

    let bob = call(&server, "join", None, &[("name", "bob")]).await;
    assert_eq!(bob.status, 403);
    bob.refused("invite_required");
    let forged = call(
        &server,
        "join",
        None,
        &[("name", "bob"), ("invite", "made-up")],
    )
    .await;
    forged.refused("invalid_invite");

    let form = [("single_use", "true"), ("hours", "1")];
    let token = invite(&server, &ann_token, &form).await;
    let bob = call(
        &server,
        "join",
        None,
        &[("name", "bob"), ("invite", &token)],
    )
    .await;
    assert_eq!(bob.json()["can_invite"], false, "bob is no administrator");
    let carol = call(
        &server,
        "join",
        None,
        &[("name", "carol"), ("invite", &token)],
    )
    .await;
    carol.refused("invalid_invite");

    // Only an administrator makes links; signed out, nobody.
    let by_bob = call(&server, "create_invite", Some(&bob.token()), &form).await;
    by_bob.refused("forbidden");
    call(&server, "create_invite", None, &form)
        .await
        .refused("unauthorized");

    // A link for any number of people, until it expires.
    let many = [("single_use", "false"), ("hours", "2")];
    let token = invite(&server, &ann_token, &many).await;
    for name in ["carol", "dave"] {
        call(&server, "join", None, &[("name", name), ("invite", &token)])
            .await
            .json();
    }
    // Signing in needs no invite.
    let again = call(
        &server,
        "join",
        None,
        &[("name", "ann"), ("password", "correct horse")],
    )
    .await;
    assert_eq!(again.json()["user"]["name"], "ann");
}

#[tokio::test]
async fn closed_mode_admits_the_named_administrator_and_then_nobody_new() {
    let server = start_empty(mode(Registration::Closed, &["Ann"])).await;
    // Not the administrator: refused even as the first.
    let bob = call(&server, "join", None, &[("name", "bob")]).await;
    assert_eq!(bob.status, 403);
    bob.refused("registration_closed");
    let ann = call(
        &server,
        "join",
        None,
        &[("name", "ann"), ("password", "correct horse")],
    )
    .await;
    ann.json();
    // Closed is closed: no invite helps, and there is nothing to offer.
    assert_eq!(ann.json()["can_invite"], false);
    let form = [("single_use", "true"), ("hours", "1")];
    let token = invite(&server, &ann.token(), &form).await;
    let carol = call(
        &server,
        "join",
        None,
        &[("name", "carol"), ("invite", &token)],
    )
    .await;
    carol.refused("registration_closed");
    let again = call(
        &server,
        "join",
        None,
        &[("name", "ann"), ("password", "correct horse")],
    )
    .await;
    again.json();
}

#[tokio::test]
async fn open_mode_admits_anyone_and_offers_no_invites() {
    let server = start_empty(mode(Registration::Open, &[])).await;
    for name in ["ann", "bob"] {
        let joined = call(&server, "join", None, &[("name", name)]).await;
        assert_eq!(joined.json()["can_invite"], false);
    }
}
