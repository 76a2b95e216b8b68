//! The one task that owns the sans-IO [`Client`]: it performs transmits through an [`Io`],
//! feeds inputs and timeouts back, and hands events to the caller.

use crate::{Command, Event, Handle, Options};
use futures::{
    FutureExt, StreamExt,
    channel::{mpsc, oneshot},
    future,
};
use natter_protocol::{
    Millis,
    client::{AckError, AckToken, Client, EmitOptions},
    engine::{Input, Transmit},
};
use serde_json::Value;
use std::collections::HashMap;

/// The platform: performing network I/O, telling the time, sleeping.
pub trait Io {
    /// Wall-clock milliseconds: browsers throttle timers in background tabs, so deadlines are
    /// compared against a clock, never counted in timer ticks.
    fn now(&self) -> Millis;
    /// Start `transmit`; report its outcome(s) on `inputs`. Must not block.
    fn perform(&mut self, transmit: Transmit, inputs: &mpsc::UnboundedSender<Input>);
    fn sleep(&self, ms: u64) -> Sleep;
}

/// Native drivers run on multi-threaded executors, so their sleeps must be `Send`; browser
/// futures never are.
#[cfg(not(target_arch = "wasm32"))]
pub type Sleep = future::BoxFuture<'static, ()>;
#[cfg(target_arch = "wasm32")]
pub type Sleep = future::LocalBoxFuture<'static, ()>;

/// Channels for a new client; the caller spawns [`run`] on its executor.
#[allow(clippy::type_complexity)]
pub(crate) fn channels() -> (
    Handle,
    mpsc::UnboundedReceiver<Command>,
    mpsc::UnboundedSender<Event>,
    mpsc::UnboundedReceiver<Event>,
) {
    let (tx, rx) = mpsc::unbounded();
    let (etx, erx) = mpsc::unbounded();
    (Handle { tx }, rx, etx, erx)
}

/// Drive a client until [`Command::Close`] or until every [`Handle`] is dropped.
pub async fn run<I: Io>(
    mut io: I,
    options: Options,
    seed: u64,
    mut commands: mpsc::UnboundedReceiver<Command>,
    events: mpsc::UnboundedSender<Event>,
) {
    let (input_tx, mut inputs) = mpsc::unbounded::<Input>();
    let mut client = Client::new(options.config.clone(), seed);
    let mut acks: HashMap<AckToken, oneshot::Sender<Result<Vec<Value>, AckError>>> = HashMap::new();
    let mut next_token: AckToken = 0;
    for (nsp, auth) in &options.namespaces {
        client.connect_namespace(nsp, auth.clone(), io.now());
    }
    loop {
        while let Some(t) = client.poll_transmit() {
            io.perform(t, &input_tx);
        }
        while let Some(event) = client.poll_event() {
            match event {
                Event::Ack { token, result } => {
                    if let Some(tx) = acks.remove(&token) {
                        let _ = tx.send(result);
                    }
                }
                // A caller that stopped listening still may emit; keep running.
                other => {
                    let _ = events.unbounded_send(other);
                }
            }
        }
        let sleep = match client.poll_timeout() {
            Some(at) => io.sleep(at.saturating_sub(io.now())).fuse(),
            None => {
                let never: Sleep = Box::pin(future::pending());
                never.fuse()
            }
        };
        futures::pin_mut!(sleep);
        futures::select_biased! {
            input = inputs.next() => {
                if let Some(input) = input {
                    client.handle_input(input, io.now());
                }
            }
            command = commands.next() => {
                let now = io.now();
                match command {
                    None | Some(Command::Close) => {
                        client.close();
                        while let Some(t) = client.poll_transmit() {
                            io.perform(t, &input_tx);
                        }
                        return;
                    }
                    Some(Command::Emit { nsp, name, args, attachments, ack, volatile }) => {
                        let ack = ack.map(|(tx, timeout)| {
                            next_token += 1;
                            acks.insert(next_token, tx);
                            (next_token, timeout)
                        });
                        let opts = EmitOptions { ack, volatile };
                        client.emit_binary(&nsp, &name, args, attachments, opts, now);
                    }
                    Some(Command::Ack { nsp, id, args }) => client.ack(&nsp, id, args, now),
                    Some(Command::Connect { nsp, auth }) => client.connect_namespace(&nsp, auth, now),
                    Some(Command::Disconnect { nsp }) => client.disconnect_namespace(&nsp, now),
                }
            }
            () = sleep => client.handle_timeout(io.now()),
        }
    }
}
