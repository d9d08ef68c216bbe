//! Brute-force protection for `login`: a pure decision over recent failures, so the policy is
//! tested without a database. The store supplies the failures; the login flow applies the verdict.

use crate::config::LockoutPolicy;

/// Recent failed attempts for one key (an account or a client IP).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FailureStats {
    /// Failures newer than both the window start and the last success.
    pub failures: u32,
    /// Unix ms of the newest of those failures.
    pub last_failure_at: Option<i64>,
}

/// Whether an attempt may proceed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Allow,
    /// Too soon after the last failure; retry after the given unix ms.
    Backoff {
        until: i64,
    },
    /// Locked until the given unix ms.
    Locked {
        until: i64,
    },
}

impl Verdict {
    pub fn retry_at(self) -> Option<i64> {
        match self {
            Verdict::Allow => None,
            Verdict::Backoff { until } | Verdict::Locked { until } => Some(until),
        }
    }
}

/// The verdict for one key with `max_failures` before a lockout, at `now` (unix ms).
pub fn evaluate(
    policy: &LockoutPolicy,
    stats: FailureStats,
    max_failures: u32,
    now: i64,
) -> Verdict {
    let Some(last) = stats.last_failure_at else {
        return Verdict::Allow;
    };
    if stats.failures >= max_failures {
        let until = last.saturating_add(ms(policy.lockout_seconds.saturating_mul(1000)));
        if now < until {
            return Verdict::Locked { until };
        }
        // The lockout has expired: the next attempt is allowed without backoff.
        return Verdict::Allow;
    }
    let delay = backoff_ms(policy, stats.failures);
    let until = last.saturating_add(ms(delay));
    if delay > 0 && now < until {
        Verdict::Backoff { until }
    } else {
        Verdict::Allow
    }
}

/// `base * 2^(failures-1)`, capped at `backoff_max_ms`; zero before the first failure.
pub fn backoff_ms(policy: &LockoutPolicy, failures: u32) -> u64 {
    if failures == 0 || policy.backoff_base_ms == 0 {
        return 0;
    }
    let shift = (failures - 1).min(32);
    policy
        .backoff_base_ms
        .saturating_mul(1u64 << shift)
        .min(policy.backoff_max_ms)
}

/// Whether one more failure (giving `failures_after`) reaches the lockout threshold exactly:
/// the moment a `locked_out` event is recorded.
pub fn locks_now(failures_after: u32, max_failures: u32) -> bool {
    failures_after == max_failures
}

fn ms(value: u64) -> i64 {
    i64::try_from(value).unwrap_or(i64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy() -> LockoutPolicy {
        LockoutPolicy {
            window_seconds: 900,
            max_account_failures: 3,
            max_ip_failures: 10,
            lockout_seconds: 60,
            backoff_base_ms: 100,
            backoff_max_ms: 250,
        }
    }

    fn stats(failures: u32, last: i64) -> FailureStats {
        FailureStats {
            failures,
            last_failure_at: Some(last),
        }
    }

    #[test]
    fn no_failures_allow() {
        assert_eq!(
            evaluate(&policy(), FailureStats::default(), 3, 0),
            Verdict::Allow
        );
    }

    #[test]
    fn backoff_grows_and_is_capped() {
        let p = policy();
        assert_eq!(backoff_ms(&p, 1), 100);
        assert_eq!(backoff_ms(&p, 2), 200);
        assert_eq!(backoff_ms(&p, 3), 250);
        assert_eq!(backoff_ms(&p, 40), 250);
        assert_eq!(
            evaluate(&p, stats(2, 1_000), 3, 1_100),
            Verdict::Backoff { until: 1_200 }
        );
        assert_eq!(evaluate(&p, stats(2, 1_000), 3, 1_200), Verdict::Allow);
    }

    #[test]
    fn lockout_at_threshold_then_expires() {
        let p = policy();
        assert_eq!(
            evaluate(&p, stats(3, 1_000), 3, 30_000),
            Verdict::Locked { until: 61_000 }
        );
        assert_eq!(evaluate(&p, stats(3, 1_000), 3, 61_000), Verdict::Allow);
        assert!(locks_now(3, 3));
        assert!(!locks_now(4, 3));
    }

    #[test]
    fn zero_base_disables_backoff() {
        let p = LockoutPolicy {
            backoff_base_ms: 0,
            ..policy()
        };
        assert_eq!(evaluate(&p, stats(2, 1_000), 3, 1_000), Verdict::Allow);
    }
}
