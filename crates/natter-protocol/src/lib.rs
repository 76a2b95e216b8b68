//! Sans-IO core of Natter's Socket.IO client.
//!
//! Nothing here performs I/O, spawns tasks or reads a clock: callers feed in what the network
//! said and the current time (milliseconds from any fixed origin), and take out what to send
//! and when to wake up next. The same core therefore runs in the browser (wasm32) and natively.
#![forbid(unsafe_code)]

pub mod backoff;
pub mod client;
pub mod eio;
pub mod engine;
pub mod error;
pub mod payload;
pub mod sio;

pub use error::DecodeError;

/// Milliseconds since an arbitrary origin chosen by the driver.
pub type Millis = u64;
