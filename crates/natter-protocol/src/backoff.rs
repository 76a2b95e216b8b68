//! Reconnection delays, exactly as socket.io-client's `backo2`: `min · 2^attempt`, spread by
//! ±`jitter`, capped at `max`.
//!
//! Written out rather than taken from a backoff crate because the spread must match the
//! reference client (symmetric jitter, cap applied after it) and, being sans-IO, the random
//! number has to come from the caller so that tests are deterministic.

/// socket.io-client's defaults: 1 s doubling up to 5 s, randomization 0.5.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Backoff {
    pub min_ms: u64,
    pub max_ms: u64,
    pub jitter: f64,
    /// Attempts since the last success; resets on a successful reconnect.
    pub attempts: u32,
}

impl Default for Backoff {
    fn default() -> Self {
        Backoff {
            min_ms: 1000,
            max_ms: 5000,
            jitter: 0.5,
            attempts: 0,
        }
    }
}

impl Backoff {
    /// The next delay in ms; `random` is uniform in `[0, 1)`.
    pub fn next_delay(&mut self, random: f64) -> u64 {
        let base = (self.min_ms as f64) * 2f64.powi(self.attempts.min(62) as i32);
        self.attempts = self.attempts.saturating_add(1);
        let ms = if self.jitter > 0.0 {
            let deviation = (random * self.jitter * base).floor();
            // backo2 picks the sign from the same random draw: `floor(rand * 10) & 1`.
            if ((random * 10.0).floor() as u64) & 1 == 0 {
                base - deviation
            } else {
                base + deviation
            }
        } else {
            base
        };
        ms.min(self.max_ms as f64).max(0.0) as u64
    }

    pub fn reset(&mut self) {
        self.attempts = 0;
    }
}

/// A small deterministic PRNG (xorshift64*) so the sans-IO client can draw jitter without a
/// clock or an OS source; the driver seeds it once.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed | 1)
    }

    /// Uniform in `[0, 1)`.
    pub fn next_f64(&mut self) -> f64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        let x = self.0.wrapping_mul(0x2545_F491_4F6C_DD1D);
        (x >> 11) as f64 / (1u64 << 53) as f64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn doubles_and_caps_without_jitter() {
        let mut b = Backoff {
            jitter: 0.0,
            ..Backoff::default()
        };
        let delays: Vec<u64> = (0..6).map(|_| b.next_delay(0.3)).collect();
        assert_eq!(delays, [1000, 2000, 4000, 5000, 5000, 5000]);
        b.reset();
        assert_eq!(b.next_delay(0.3), 1000);
    }

    #[test]
    fn jitter_matches_backo2() {
        // rand 0.3: floor(3) is odd → base + floor(0.3·0.5·1000) = 1150.
        assert_eq!(Backoff::default().next_delay(0.3), 1150);
        // rand 0.25: floor(2.5) = 2 is even → 1000 − 125.
        assert_eq!(Backoff::default().next_delay(0.25), 875);
    }

    #[test]
    fn jittered_delays_stay_in_bounds() {
        let mut rng = Rng::new(42);
        for _ in 0..1000 {
            let mut b = Backoff::default();
            for attempt in 0..10 {
                let d = b.next_delay(rng.next_f64());
                let base = 1000u64 << attempt.min(3);
                assert!(d <= 5000 && d >= base / 2, "attempt {attempt}: {d}");
            }
        }
    }

    #[test]
    fn rng_is_uniformish() {
        let mut rng = Rng::new(7);
        let xs: Vec<f64> = (0..10_000).map(|_| rng.next_f64()).collect();
        assert!(xs.iter().all(|x| (0.0..1.0).contains(x)));
        let mean = xs.iter().sum::<f64>() / xs.len() as f64;
        assert!((mean - 0.5).abs() < 0.02, "{mean}");
    }
}
