//! The guards against a recorder of the test's own (set for this thread),
//! read back as Prometheus text.

use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusRecorder};

use super::*;

fn recorder() -> PrometheusRecorder {
    PrometheusBuilder::new().build_recorder()
}

/// The value of the series `name{actor="<kind>"}` in `text`.
fn value(text: &str, name: &str, kind: ActorKind) -> Option<f64> {
    let series = format!("{name}{{actor=\"{}\"}} ", kind.as_str());
    text.lines()
        .find_map(|l| l.strip_prefix(&series))
        .and_then(|v| v.trim().parse().ok())
}

#[test]
fn every_kind_has_a_distinct_snake_case_label() {
    let labels: std::collections::HashSet<_> = ActorKind::ALL.iter().map(|k| k.as_str()).collect();

    assert_eq!(labels.len(), ActorKind::ALL.len());
    assert!(
        labels
            .iter()
            .all(|l| l.chars().all(|c| c.is_ascii_lowercase() || c == '_'))
    );
}

#[test]
fn registering_makes_every_family_at_zero_for_every_kind_and_keeps_values() {
    let recorder = recorder();
    let text = metrics::with_local_recorder(&recorder, || {
        restarted(ActorKind::Session);
        register();
        register();
        recorder.handle().render()
    });

    for kind in ActorKind::ALL {
        for name in [LIVE, MAILBOX_DEPTH, SPAWNED, PASSIVATED, MESSAGES] {
            assert_eq!(value(&text, name, kind), Some(0.0), "{name} {kind:?}");
        }
    }
    assert_eq!(value(&text, RESTARTED, ActorKind::Session), Some(1.0));
    assert_eq!(value(&text, RESTARTED, ActorKind::Router), Some(0.0));
    assert!(text.contains(&format!("# HELP {LIVE} ")), "{text}");
}

#[test]
fn a_presence_counts_live_until_dropped_and_spawned_once() {
    let recorder = recorder();
    let (during, after) = metrics::with_local_recorder(&recorder, || {
        let presence = Presence::started(ActorKind::Router);
        let during = recorder.handle().render();
        drop(presence);
        (during, recorder.handle().render())
    });

    assert_eq!(value(&during, LIVE, ActorKind::Router), Some(1.0));
    assert_eq!(value(&after, LIVE, ActorKind::Router), Some(0.0));
    assert_eq!(value(&after, SPAWNED, ActorKind::Router), Some(1.0));
}

#[test]
fn queued_messages_count_in_the_depth_until_answered() {
    let recorder = recorder();
    let (two, none) = metrics::with_local_recorder(&recorder, || {
        let first = Queued::enter(ActorKind::Payout);
        let second = Queued::enter(ActorKind::Payout);
        let two = recorder.handle().render();
        drop((first, second));
        (two, recorder.handle().render())
    });

    assert_eq!(value(&two, MAILBOX_DEPTH, ActorKind::Payout), Some(2.0));
    assert_eq!(value(&none, MAILBOX_DEPTH, ActorKind::Payout), Some(0.0));
}

#[test]
fn a_handled_message_is_counted_and_timed_when_its_guard_ends() {
    let recorder = recorder();
    let (before, after) = metrics::with_local_recorder(&recorder, || {
        let handling = Handling::begin(ActorKind::ChainWatcher);
        let before = recorder.handle().render();
        drop(handling);
        (before, recorder.handle().render())
    });

    assert_eq!(value(&before, MESSAGES, ActorKind::ChainWatcher), None);
    assert_eq!(value(&after, MESSAGES, ActorKind::ChainWatcher), Some(1.0));
    let count = format!("{HANDLING_SECONDS}_count");
    assert_eq!(value(&after, &count, ActorKind::ChainWatcher), Some(1.0));
}

/// An actor that panics on demand, held as live by [`hold`].
struct Fragile;

impl Actor for Fragile {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Context<Self>) {
        hold(ActorKind::WebhookSender, ctx);
    }
}

#[derive(Message)]
#[rtype(result = "()")]
struct Break;

impl Handler<Break> for Fragile {
    type Result = ();

    fn handle(&mut self, _: Break, _: &mut Context<Self>) {
        panic!("broken on purpose");
    }
}

#[test]
fn a_held_actor_that_panics_stops_counting_as_live() {
    let recorder = recorder();
    let _local = metrics::set_default_local_recorder(&recorder);
    let handle = recorder.handle();

    let (running, dead) = actix_rt::System::new().block_on(async move {
        let addr = Fragile.start();
        actix_rt::task::yield_now().await;
        let running = handle.render();
        let _ = addr.send(Break).await;
        for _ in 0..100 {
            if !addr.connected() {
                break;
            }
            actix_rt::task::yield_now().await;
        }
        (running, handle.render())
    });

    assert_eq!(value(&running, LIVE, ActorKind::WebhookSender), Some(1.0));
    assert_eq!(value(&dead, LIVE, ActorKind::WebhookSender), Some(0.0));
}
