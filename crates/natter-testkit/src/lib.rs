//! What the two Socket.IO conformance suites share: natter-client's (`tests/reference.rs`,
//! against npm's reference server) and Natter's (`tests/conformance_natter.rs`, against
//! Natter's own server).
//!
//! - [`events`]: a client whose events are awaited with bounded time;
//! - [`proxy`]: a loopback TCP relay that can go silent on demand;
//! - [`node`]: Node.js and the npm packages in `end2end/node_modules`, or a loud failure.

pub mod events;
pub mod node;
pub mod proxy;
