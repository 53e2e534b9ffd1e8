//! Exponential backoff with full jitter between failed sync attempts.
//!
//! The n-th retry waits a uniformly random time in `[0, min(max, base · 2ⁿ)]`: kiosks that lost
//! the network together do not come back together (AWS's "full jitter").

use std::time::Duration;

/// The backoff state of one sync loop.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Backoff {
    base: Duration,
    max: Duration,
    failures: u32,
}

impl Backoff {
    /// A backoff starting at `base` and never waiting more than `max`.
    pub fn new(base: Duration, max: Duration) -> Backoff {
        Backoff {
            base,
            max,
            failures: 0,
        }
    }

    /// Records a failure; the wait before the next attempt, `unit` being a random number in
    /// `[0, 1)` (passed in so that the rule stays testable).
    pub fn after_failure(&mut self, unit: f64) -> Duration {
        let ceiling = self
            .base
            .saturating_mul(2u32.saturating_pow(self.failures.min(30)))
            .min(self.max);
        self.failures = self.failures.saturating_add(1);
        ceiling.mul_f64(unit.clamp(0.0, 1.0))
    }

    /// Records a success: the next failure starts again from `base`.
    pub fn reset(&mut self) {
        self.failures = 0;
    }

    /// Failures in a row.
    pub fn failures(&self) -> u32 {
        self.failures
    }
}

/// A random number in `[0, 1)` from the system's generator (0.5 if it is unavailable).
pub(crate) fn random_unit() -> f64 {
    let mut bytes = [0u8; 8];
    match getrandom::fill(&mut bytes) {
        Ok(()) => (u64::from_le_bytes(bytes) >> 11) as f64 / (1u64 << 53) as f64,
        Err(_) => 0.5,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waits_grow_twofold_up_to_the_cap_and_stay_within_the_jitter_range() {
        let mut backoff = Backoff::new(Duration::from_secs(2), Duration::from_secs(60));
        let ceilings: Vec<Duration> = (0..8).map(|_| backoff.after_failure(1.0)).collect();
        let secs: Vec<u64> = ceilings.iter().map(Duration::as_secs).collect();
        assert_eq!(secs, [2, 4, 8, 16, 32, 60, 60, 60]);
        assert_eq!(backoff.after_failure(0.0), Duration::ZERO);
        assert_eq!(backoff.after_failure(0.25), Duration::from_secs(15));
        assert_eq!(backoff.failures(), 10);
        backoff.reset();
        assert_eq!(backoff.after_failure(1.0), Duration::from_secs(2));
    }

    #[test]
    fn a_long_outage_does_not_overflow() {
        let mut backoff = Backoff::new(Duration::from_secs(2), Duration::from_secs(300));
        for _ in 0..10_000 {
            assert!(backoff.after_failure(0.999) <= Duration::from_secs(300));
        }
    }

    #[test]
    fn random_units_are_in_range() {
        for _ in 0..1000 {
            let unit = random_unit();
            assert!((0.0..1.0).contains(&unit), "{unit}");
        }
    }
}
