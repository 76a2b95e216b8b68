//! Conformance of our native Socket.IO client against Natter's own server (socketioxide behind
//! Natter's router and a SQLite store in a temp dir), in-process on loopback: the scenarios of
//! natter-client's reference suite that Natter supports, with Natter's event contract in place
//! of the reference server's echo events. Every client connects with a session (the CONNECT
//! `auth` payload), as Natter requires. Every wait is bounded.
#![cfg(feature = "ssr")]

#[path = "conformance_natter/client.rs"]
mod client;
#[path = "conformance_natter/server.rs"]
mod server;

#[path = "conformance_natter/binary.rs"]
mod binary;
#[path = "conformance_natter/js_client.rs"]
mod js_client;
#[path = "conformance_natter/lifecycle.rs"]
mod lifecycle;
#[path = "conformance_natter/messaging.rs"]
mod messaging;
#[path = "conformance_natter/namespaces.rs"]
mod namespaces;
#[path = "conformance_natter/retries.rs"]
mod retries;
#[path = "conformance_natter/sessions.rs"]
mod sessions;
#[path = "conformance_natter/transports.rs"]
mod transports;
