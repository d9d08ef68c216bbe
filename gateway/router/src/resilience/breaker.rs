//! A circuit breaker for one subgraph: closed until `failure_threshold` consecutive
//! failures, then open (calls fail fast) for `cooldown`, then half-open: one probe goes
//! through and its outcome closes or reopens the breaker.
use std::sync::Mutex;
use std::time::{Duration, Instant};

use super::BreakerConfig;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Closed {
        failures: u32,
    },
    Open {
        until: Instant,
    },
    /// A probe is in flight since `since`; a probe lost (cancelled) for a whole cooldown
    /// lets the next call probe instead.
    HalfOpen {
        since: Instant,
    },
}

/// The breaker's state as metrics and tests see it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BreakerState {
    Closed,
    Open,
    HalfOpen,
}

#[derive(Debug)]
pub struct Breaker {
    state: Mutex<State>,
    threshold: u32,
    cooldown: Duration,
}

impl Breaker {
    pub fn new(config: &BreakerConfig) -> Self {
        Self {
            state: Mutex::new(State::Closed { failures: 0 }),
            threshold: config.failure_threshold.max(1),
            cooldown: Duration::from_millis(config.cooldown_ms),
        }
    }

    pub fn state(&self) -> BreakerState {
        match *self.lock() {
            State::Closed { .. } => BreakerState::Closed,
            State::Open { .. } => BreakerState::Open,
            State::HalfOpen { .. } => BreakerState::HalfOpen,
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Whether a call may go out now.
    pub fn admit(&self) -> bool {
        let mut state = self.lock();
        let now = Instant::now();
        match *state {
            State::Closed { .. } => true,
            State::Open { until } if now >= until => {
                *state = State::HalfOpen { since: now };
                true
            }
            State::Open { .. } => false,
            State::HalfOpen { since } if now.duration_since(since) >= self.cooldown => {
                *state = State::HalfOpen { since: now };
                true
            }
            State::HalfOpen { .. } => false,
        }
    }

    pub fn record(&self, success: bool) {
        let mut state = self.lock();
        *state = match (*state, success) {
            (_, true) => State::Closed { failures: 0 },
            (State::Closed { failures }, false) if failures + 1 < self.threshold => State::Closed {
                failures: failures + 1,
            },
            (State::Open { until }, false) => State::Open { until },
            (_, false) => State::Open {
                until: Instant::now() + self.cooldown,
            },
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn opens_after_threshold_then_probes_after_cooldown() {
        let breaker = Breaker::new(&BreakerConfig {
            enabled: true,
            failure_threshold: 2,
            cooldown_ms: 30,
        });
        assert!(breaker.admit());
        breaker.record(false);
        assert_eq!(breaker.state(), BreakerState::Closed);
        breaker.record(false);
        assert_eq!(breaker.state(), BreakerState::Open);
        assert!(!breaker.admit());
        std::thread::sleep(Duration::from_millis(40));
        assert!(breaker.admit(), "probe after the cooldown");
        assert_eq!(breaker.state(), BreakerState::HalfOpen);
        assert!(!breaker.admit(), "one probe at a time");
        breaker.record(false);
        assert_eq!(breaker.state(), BreakerState::Open);
        std::thread::sleep(Duration::from_millis(40));
        assert!(breaker.admit());
        breaker.record(true);
        assert_eq!(breaker.state(), BreakerState::Closed);
    }
}
