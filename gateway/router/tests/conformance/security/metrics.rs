//! The edge's metrics through the `metrics` facade, read back with a small in-test recorder
//! (the router depends on no exporter). Counters are shared by every test of the binary, so
//! assertions compare before and after.
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

use metrics::{Counter, Gauge, Histogram, Key, KeyName, Metadata, Recorder, SharedString, Unit};
use router::GatewayConfig;
use router::rate_limit::{RateKey, RateRule};
use serde_json::json;

use super::support::{post_with, shop_supergraph, start};

#[derive(Default)]
pub(super) struct Counters(Mutex<HashMap<String, Arc<AtomicU64>>>);

/// `name{label=value,...}` with labels in emission order.
fn render(key: &Key) -> String {
    let labels: Vec<String> = key
        .labels()
        .map(|l| format!("{}={}", l.key(), l.value()))
        .collect();
    format!("{}{{{}}}", key.name(), labels.join(","))
}

impl Recorder for &'static Counters {
    fn describe_counter(&self, _: KeyName, _: Option<Unit>, _: SharedString) {}
    fn describe_gauge(&self, _: KeyName, _: Option<Unit>, _: SharedString) {}
    fn describe_histogram(&self, _: KeyName, _: Option<Unit>, _: SharedString) {}
    fn register_counter(&self, key: &Key, _: &Metadata<'_>) -> Counter {
        let mut counters = self.0.lock().expect("counters");
        Counter::from_arc(counters.entry(render(key)).or_default().clone())
    }
    fn register_gauge(&self, _: &Key, _: &Metadata<'_>) -> Gauge {
        Gauge::noop()
    }
    fn register_histogram(&self, _: &Key, _: &Metadata<'_>) -> Histogram {
        Histogram::noop()
    }
}

pub(super) fn counters() -> &'static Counters {
    static COUNTERS: OnceLock<&'static Counters> = OnceLock::new();
    COUNTERS.get_or_init(|| {
        let counters: &'static Counters = Box::leak(Box::default());
        metrics::set_global_recorder(counters).expect("the only recorder of this binary");
        counters
    })
}

pub(super) fn read(name: &str) -> u64 {
    counters()
        .0
        .lock()
        .expect("counters")
        .get(name)
        .map_or(0, |c| c.load(Ordering::SeqCst))
}

#[tokio::test]
async fn rate_limits_and_errors_are_counted_under_the_dashboard_names() {
    counters();
    let limited = "gateway_rate_limited_total{scope=ip}";
    let errors = "gateway_errors_total{code=RATE_LIMITED}";
    let ok = "gateway_requests_total{outcome=ok}";
    let (limited_before, errors_before, ok_before) = (read(limited), read(errors), read(ok));
    let mut config = GatewayConfig::default();
    config.rate_limit.rules = vec![RateRule {
        key: RateKey::Ip,
        limit: 1,
        window_ms: 60_000,
    }];
    let running = start(config, &shop_supergraph()).await;
    let body = json!({"query": "{ me { name } }"});
    assert_eq!(post_with(&running, body.clone(), &[]).await.0, 200);
    assert_eq!(post_with(&running, body.clone(), &[]).await.0, 429);
    assert_eq!(post_with(&running, body, &[]).await.0, 429);
    assert!(read(limited) >= limited_before + 2, "{limited}");
    assert!(read(errors) >= errors_before + 2, "{errors}");
    assert!(read(ok) > ok_before, "{ok}");
}
