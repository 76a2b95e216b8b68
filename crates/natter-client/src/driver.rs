//! The one task that owns the sans-IO [`Client`]: it performs transmits through an [`Io`],
//! feeds inputs and timeouts back, and hands events to the caller.

use crate::{
    Command, Event, Options,
    handle::{AckReply, AckSender, DEFAULT_ACK_TIMEOUT_MS, ReplySender},
};
use futures::{FutureExt, StreamExt, channel::mpsc, future};
use natter_protocol::{
    Millis,
    client::{AckError, AckToken, Client, EmitOptions},
    engine::{Input, Transmit},
};
use std::collections::HashMap;

/// How long a closing client may take to flush what it queued (one polling POST round trip,
/// normally) before the task ends regardless.
const CLOSE_GRACE_MS: u64 = 2_000;

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
#[cfg(any(feature = "web", feature = "native"))]
#[allow(clippy::type_complexity)]
pub(crate) fn channels() -> (
    crate::Handle,
    mpsc::UnboundedReceiver<Command>,
    mpsc::UnboundedSender<Event>,
    mpsc::UnboundedReceiver<Event>,
) {
    let (tx, rx) = mpsc::unbounded();
    let (etx, erx) = mpsc::unbounded();
    (crate::Handle { tx }, rx, etx, erx)
}

/// Whoever awaits an ack: the plain form drops binary attachments.
enum Waiter {
    Args(AckSender),
    Reply(ReplySender),
}

impl Waiter {
    fn resolve(self, result: Result<AckReply, AckError>) {
        // A receiver that gave up waiting is no error.
        match self {
            Waiter::Args(tx) => drop(tx.send(result.map(|reply| reply.args))),
            Waiter::Reply(tx) => drop(tx.send(result)),
        }
    }
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
    let mut acks: HashMap<AckToken, Waiter> = HashMap::new();
    let mut next_token: AckToken = 0;
    // Set once closing: commands are no longer read, and the task ends at this time at the latest.
    let mut close_by: Option<Millis> = None;
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
                    if let Some(waiter) = acks.remove(&token) {
                        waiter.resolve(result.map(|args| AckReply {
                            args,
                            attachments: Vec::new(),
                        }));
                    }
                }
                Event::BinaryAck {
                    token,
                    args,
                    attachments,
                } => {
                    if let Some(waiter) = acks.remove(&token) {
                        waiter.resolve(Ok(AckReply { args, attachments }));
                    }
                }
                // A caller that stopped listening still may emit; keep running.
                other => {
                    let _ = events.unbounded_send(other);
                }
            }
        }
        if let Some(deadline) = close_by
            && (client.is_finished() || io.now() >= deadline)
        {
            return;
        }
        let wake = client.poll_timeout().into_iter().chain(close_by).min();
        let sleep = match wake {
            Some(at) => io.sleep(at.saturating_sub(io.now())).fuse(),
            None => {
                let never: Sleep = Box::pin(future::pending());
                never.fuse()
            }
        };
        futures::pin_mut!(sleep);
        // A closed command channel is always ready; once closing it must not be polled.
        let command = match close_by {
            None => commands.next().left_future(),
            Some(_) => future::pending().right_future(),
        };
        let mut command = command.fuse();
        futures::select_biased! {
            input = inputs.next() => {
                if let Some(input) = input {
                    client.handle_input(input, io.now());
                }
            }
            command = command => {
                let now = io.now();
                match command {
                    None | Some(Command::Close) => {
                        client.close();
                        close_by = Some(now + CLOSE_GRACE_MS);
                    }
                    Some(Command::Emit { nsp, name, args, attachments, ack, volatile }) => {
                        let ack = ack.map(|(tx, timeout)| {
                            next_token += 1;
                            acks.insert(next_token, Waiter::Args(tx));
                            (next_token, timeout)
                        });
                        let opts = EmitOptions { ack, volatile };
                        if !client.emit_binary(&nsp, &name, args, attachments, opts, now) {
                            refused(&mut acks, ack.map(|(token, _)| token));
                        }
                    }
                    Some(Command::EmitWith { nsp, name, args, attachments, ack, timeout_ms, reliable }) => {
                        let token = ack.map(|tx| {
                            next_token += 1;
                            acks.insert(next_token, Waiter::Reply(tx));
                            next_token
                        });
                        let sent = if reliable {
                            client.emit_reliable(&nsp, &name, args, attachments, token, timeout_ms, now)
                        } else {
                            let timeout = timeout_ms.or(options.config.ack_timeout_ms).unwrap_or(DEFAULT_ACK_TIMEOUT_MS);
                            let opts = EmitOptions { ack: token.map(|t| (t, timeout)), volatile: false };
                            client.emit_binary(&nsp, &name, args, attachments, opts, now)
                        };
                        if !sent {
                            refused(&mut acks, token);
                        }
                    }
                    Some(Command::Ack { nsp, id, args }) => client.ack(&nsp, id, args, now),
                    Some(Command::AckBinary { nsp, id, args, attachments }) => {
                        client.ack_binary(&nsp, id, args, attachments, now)
                    }
                    Some(Command::Connect { nsp, auth }) => client.connect_namespace(&nsp, auth, now),
                    Some(Command::Disconnect { nsp }) => client.disconnect_namespace(&nsp, now),
                }
            }
            () = sleep => client.handle_timeout(io.now()),
        }
    }
}

/// The client refused an emit (namespace never joined, volatile and not writable): its ack
/// would never come, so the caller hears now instead of waiting forever.
fn refused(acks: &mut HashMap<AckToken, Waiter>, token: Option<AckToken>) {
    if let Some(waiter) = token.and_then(|t| acks.remove(&t)) {
        waiter.resolve(Err(AckError::Disconnected));
    }
}
