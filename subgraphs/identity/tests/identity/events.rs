use std::sync::Arc;
use std::time::Duration;

use kit::events::{EventBus, EventEnvelope, InProcessBus, handler_fn};
use parking_lot::Mutex;
use serde_json::json;

use crate::on_both_backends;
use crate::support::{Backend, PASSWORD, start, token_from_mail};

on_both_backends!(changes_emit_events_through_the_outbox);

async fn changes_emit_events_through_the_outbox(backend: Backend) {
    let mut server = start(backend, |c| {
        c.lockout.max_account_failures = 2;
        c.lockout.lockout_seconds = 60;
    })
    .await;
    let bus = Arc::new(InProcessBus::default());
    let seen: Arc<Mutex<Vec<EventEnvelope>>> = Arc::default();
    let sink = seen.clone();
    let subscription = bus
        .subscribe(
            "test",
            "t1",
            handler_fn(move |event| {
                let sink = sink.clone();
                async move {
                    sink.lock().push(event);
                    Ok(())
                }
            }),
        )
        .await
        .expect("subscribe");
    server.app.relay_events(bus.clone() as Arc<dyn EventBus>);

    let user = server.register("uma@example.org", "uma").await;
    let user_id = user["id"].as_str().expect("id").to_owned();
    let token = token_from_mail(&server.latest_mail("uma@example.org").await);
    server
        .ok(
            "mutation($t: String!) { verifyEmail(token: $t) { id } }",
            json!({ "t": token }),
            None,
        )
        .await;
    let (access, _) = server.login_ok("uma@example.org", PASSWORD).await;
    server
        .ok(
            "mutation { updateProfile(input: { firstName: \"Uma\" }) { id } }",
            json!({}),
            Some(&access),
        )
        .await;
    server.login("uma@example.org", "wrong password!").await;
    server.login("uma@example.org", "wrong password!").await;

    let expected = [
        "platform.user.created",
        "platform.user.email_verified",
        "platform.user.logged_in",
        "platform.user.updated",
        "platform.user.login_failed",
        "platform.user.login_failed",
        "platform.user.locked_out",
    ];
    let mut types = Vec::new();
    for _ in 0..100 {
        types = seen
            .lock()
            .iter()
            .map(|e| e.event_type.clone())
            .collect::<Vec<_>>();
        if types.len() >= expected.len() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(types, expected);
    let events = seen.lock().clone();
    assert!(events.iter().all(|e| e.subject.id == user_id));
    assert_eq!(events[0].data["email"], "uma@example.org");
    assert_eq!(events[2].actor.id.as_deref(), Some(user_id.as_str()));
    assert_eq!(events[2].actor.ip.as_deref(), Some("127.0.0.1"));
    assert_eq!(events[3].data["fields"], json!(["firstName"]));
    assert_eq!(events[4].data["reason"], "wrong_password");

    server.app.stop_relay().await;
    subscription.stop().await;
}
