//! Per-user rates (`governor`): messages, and what becomes of a socket that ignores its
//! refusals. Typing has a limiter of its own (`live.rs`).

use std::{
    collections::HashMap,
    num::NonZeroU32,
    sync::{Arc, Mutex, PoisonError, Weak},
    time::{Duration, Instant},
};

use governor::{
    DefaultKeyedRateLimiter, Quota,
    clock::{Clock, DefaultClock},
};
use natter_contract::{AckError, ErrorCode};

/// One token bucket per user, shared by every tab and the plain form.
pub type Limiter = DefaultKeyedRateLimiter<i64>;

/// How often the buckets that are full again are dropped, so a limiter holds only the users
/// who sent lately.
const FORGET_IDLE_SENDERS: Duration = Duration::from_secs(60);

/// Refusals a user may draw before a socket that goes on sending is disconnected: 50 at once,
/// then ten times the message rate. A client that waits the retry-after it is told (ours
/// does) draws at most one per wait, so each of its tabs at most the message rate even while
/// it sends a backlog; a flood draws thousands a second (25,000/s from one socket in `make bench`'s flood),
/// each still costing the server a parse, a task and an ack, and the other users' latency
/// with them on a small machine.
const FLOOD_BURST: u32 = 50;
const FLOOD_REFILLS_PER_MESSAGE: u32 = 10;

/// How long the session of a flooding socket may not connect again. A flooder that comes
/// straight back (`make bench`'s came back 700 times a second) then costs a handshake and a
/// hash lookup per try, not a session query, a SYNC and a flood of refusals each time.
const FLOOD_COOL_OFF: Duration = Duration::from_secs(10);

/// `rate` messages per second per user with bursts of `burst`; `None` for a rate of 0.
pub fn message_quota(rate: u32, burst: u32) -> Option<Quota> {
    let rate = NonZeroU32::new(rate)?;
    Some(Quota::per_second(rate).allow_burst(NonZeroU32::new(burst).unwrap_or(rate)))
}

/// Takes a token from `user`'s bucket, or says `rate_limited` and when one will be there.
pub fn within_rate(limiter: &Limiter, user: i64) -> Result<(), AckError> {
    limiter.check_key(&user).map_err(|not_until| {
        let wait = not_until.wait_time_from(DefaultClock::default().now());
        // Rounded up: a client that waits exactly this long finds a token.
        let ms = u64::try_from(wait.as_micros().div_ceil(1000)).unwrap_or(u64::MAX);
        AckError::retry_after(ErrorCode::RateLimited, ms.max(1))
    })
}

/// The message rate, and the rate of refusals past which a sender counts as flooding.
pub struct MessageRate {
    messages: Limiter,
    refusals: Limiter,
    /// Sessions (token hashes) cooling off after a flood, until when.
    cooling: Mutex<HashMap<String, Instant>>,
}

/// A message over the rate: the ack to send, and whether its socket should be disconnected.
#[derive(Debug, Clone)]
pub struct Refusal {
    pub error: AckError,
    pub flooding: bool,
}

impl MessageRate {
    /// The limiter for `quota`, with a task that keeps it small; `None` for no limit.
    ///
    /// # Panics
    /// Outside a Tokio runtime.
    pub fn start(quota: Option<Quota>) -> Option<Arc<MessageRate>> {
        let quota = quota?;
        let refill = quota.replenish_interval() / FLOOD_REFILLS_PER_MESSAGE;
        let flood = Quota::with_period(refill)?.allow_burst(NonZeroU32::new(FLOOD_BURST)?);
        let rate = Arc::new(MessageRate {
            messages: Limiter::keyed(quota),
            refusals: Limiter::keyed(flood),
            cooling: Mutex::default(),
        });
        tokio::spawn(forget_idle_senders(Arc::downgrade(&rate)));
        Some(rate)
    }

    /// Takes a token of `user`'s rate, or refuses the message. A refusal over a socket
    /// (`session`: its token hash) counts towards a flood, which sends the session to cool
    /// off; a form post (`None`) is one request per message and never counts.
    pub fn admit(&self, user: i64, session: Option<&str>) -> Result<(), Refusal> {
        within_rate(&self.messages, user).map_err(|error| {
            let flooding = session.is_some_and(|_| self.refusals.check_key(&user).is_err());
            if let Some(session) = session.filter(|_| flooding) {
                self.cooling()
                    .insert(session.to_owned(), Instant::now() + FLOOD_COOL_OFF);
            }
            Refusal { error, flooding }
        })
    }

    /// Whether `session` flooded in the last [`FLOOD_COOL_OFF`].
    pub fn cooling_off(&self, session: &str) -> bool {
        let mut cooling = self.cooling();
        match cooling.get(session) {
            Some(until) if *until > Instant::now() => true,
            Some(_) => {
                cooling.remove(session);
                false
            }
            None => false,
        }
    }

    fn cooling(&self) -> std::sync::MutexGuard<'_, HashMap<String, Instant>> {
        // A panic while holding it left a map of deadlines, still good to use.
        self.cooling.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

async fn forget_idle_senders(rate: Weak<MessageRate>) {
    let mut ticks = tokio::time::interval(FORGET_IDLE_SENDERS);
    loop {
        ticks.tick().await;
        let Some(rate) = rate.upgrade() else {
            return;
        };
        for limiter in [&rate.messages, &rate.refusals] {
            limiter.retain_recent();
            limiter.shrink_to_fit();
        }
        let now = Instant::now();
        rate.cooling().retain(|_, until| *until > now);
    }
}
