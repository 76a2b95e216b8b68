//! Conformance of the native client against npm's reference `socket.io` 4.8.x server
//! (`tests/fixtures/reference-server.js`, run with node from end2end/node_modules).
//!
//! Every test starts its own server process on a free loopback port and bounds every wait.
//! Without node or the npm package the tests fail, saying what to install.

#[path = "reference/support.rs"]
mod support;

#[path = "reference/lifecycle.rs"]
mod lifecycle;
#[path = "reference/messaging.rs"]
mod messaging;
#[path = "reference/namespaces.rs"]
mod namespaces;
#[path = "reference/retries.rs"]
mod retries;
#[path = "reference/transports.rs"]
mod transports;
