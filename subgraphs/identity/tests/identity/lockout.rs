use std::time::Duration;

use crate::on_both_backends;
use crate::support::{Backend, PASSWORD, error_of, start};

on_both_backends!(
    lockout_and_expiry,
    unknown_accounts_lock_the_same_way,
    backoff_between_failures
);

async fn lockout_and_expiry(backend: Backend) {
    let server = start(backend, |c| {
        c.lockout.max_account_failures = 3;
        c.lockout.lockout_seconds = 2;
    })
    .await;
    server.register("fay@example.org", "fay").await;

    for _ in 0..3 {
        let body = server.login("fay@example.org", "wrong password!").await;
        assert_eq!(error_of(&body).0, "UNAUTHENTICATED");
    }
    // Locked: even the right password is refused, with a retry hint.
    let locked = server.login("fay@example.org", PASSWORD).await;
    assert_eq!(error_of(&locked).0, "RATE_LIMITED", "{locked:#}");
    let retry = locked["errors"][0]["extensions"]["retryAfterMs"]
        .as_i64()
        .expect("retryAfterMs");
    assert!(retry > 0 && retry <= 2_000, "{retry}");

    // Another account from the same address is not affected by the account lock.
    server.register("gil@example.org", "gil").await;
    server.login_ok("gil@example.org", PASSWORD).await;

    // After the lockout the right password works and resets the count.
    tokio::time::sleep(Duration::from_millis(2_100)).await;
    server.login_ok("fay@example.org", PASSWORD).await;
    let body = server.login("fay@example.org", "wrong password!").await;
    assert_eq!(error_of(&body).0, "UNAUTHENTICATED");
}

async fn unknown_accounts_lock_the_same_way(backend: Backend) {
    let server = start(backend, |c| {
        c.lockout.max_account_failures = 2;
        c.lockout.lockout_seconds = 30;
    })
    .await;
    server.register("hal@example.org", "hal").await;
    // The answers for a known and an unknown email are identical at every step.
    for _ in 0..2 {
        let known = server.login("hal@example.org", "wrong password!").await;
        let unknown = server.login("ghost@example.org", "wrong password!").await;
        assert_eq!(
            known["errors"][0]["message"],
            unknown["errors"][0]["message"]
        );
        assert_eq!(error_of(&known), error_of(&unknown));
    }
    let known = server.login("hal@example.org", "wrong password!").await;
    let unknown = server.login("ghost@example.org", "wrong password!").await;
    assert_eq!(error_of(&known).0, "RATE_LIMITED");
    assert_eq!(error_of(&unknown).0, "RATE_LIMITED");
}

async fn backoff_between_failures(backend: Backend) {
    let server = start(backend, |c| {
        c.lockout.max_account_failures = 10;
        c.lockout.backoff_base_ms = 400;
        c.lockout.backoff_max_ms = 10_000;
    })
    .await;
    server.register("ivy@example.org", "ivy").await;
    let first = server.login("ivy@example.org", "wrong password!").await;
    assert_eq!(error_of(&first).0, "UNAUTHENTICATED");
    // Straight after a failure: throttled, not even checked.
    let soon = server.login("ivy@example.org", PASSWORD).await;
    assert_eq!(error_of(&soon).0, "RATE_LIMITED");
    tokio::time::sleep(Duration::from_millis(450)).await;
    server.login_ok("ivy@example.org", PASSWORD).await;
}
