//! The guards against a recorder of the test's own (set for this thread),
//! read back as Prometheus text, and the process-wide figures beside it.
//! The figures are shared by every test of the binary: each test that reads
//! them uses a kind no other test touches, and compares before with after.

use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusRecorder};

use super::*;

fn recorder() -> PrometheusRecorder {
    PrometheusBuilder::new()
        .set_buckets_for_metric(
            metrics_exporter_prometheus::Matcher::Full(HANDLING_SECONDS.into()),
            &HANDLING_BUCKETS,
        )
        .unwrap()
        .build_recorder()
}

/// This process's figures of `kind` now.
fn figures_of(kind: ActorKind) -> KindFigures {
    figures().into_iter().find(|f| f.kind == kind).unwrap()
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

#[test]
fn figures_list_every_kind_once_in_order() {
    let kinds: Vec<ActorKind> = figures().iter().map(|f| f.kind).collect();

    assert_eq!(kinds, ActorKind::ALL);
}

#[test]
fn a_kind_serializes_as_its_label() {
    for kind in ActorKind::ALL {
        assert_eq!(serde_json::to_value(kind).unwrap(), kind.as_str());
    }
}

#[test]
fn the_figures_move_with_the_metrics_for_every_guard() {
    let kind = ActorKind::Creator;
    let recorder = recorder();
    let before = figures_of(kind);
    let (during, text_during, after, text_after) = metrics::with_local_recorder(&recorder, || {
        let presence = Presence::started(kind);
        let queued = Queued::enter(kind);
        posted(kind);
        let handling = Handling::begin(kind);
        drop(handling);
        let during = figures_of(kind);
        let text_during = recorder.handle().render();
        taken(kind);
        drop((queued, presence));
        passivated(kind);
        restarted(kind);
        (
            during,
            text_during,
            figures_of(kind),
            recorder.handle().render(),
        )
    });

    assert_eq!(during.live - before.live, 1);
    assert_eq!(during.mailbox_depth - before.mailbox_depth, 2);
    assert_eq!(after.live, before.live);
    assert_eq!(after.mailbox_depth, before.mailbox_depth);
    assert_eq!(after.spawned - before.spawned, 1);
    assert_eq!(after.messages - before.messages, 1);
    assert_eq!(after.handling.count - before.handling.count, 1);
    assert_eq!(after.passivated - before.passivated, 1);
    assert_eq!(after.restarted - before.restarted, 1);
    // The recorder is this test's own: its values are the changes above.
    assert_eq!(value(&text_during, LIVE, kind), Some(1.0));
    assert_eq!(value(&text_during, MAILBOX_DEPTH, kind), Some(2.0));
    for (name, figure) in [
        (SPAWNED, after.spawned - before.spawned),
        (MESSAGES, after.messages - before.messages),
        (PASSIVATED, after.passivated - before.passivated),
        (RESTARTED, after.restarted - before.restarted),
    ] {
        assert_eq!(
            value(&text_after, name, kind),
            Some(figure as f64),
            "{name}"
        );
    }
}

#[test]
fn owner_counted_figures_are_set_in_both_places() {
    let kind = ActorKind::Session;
    let recorder = recorder();
    let (figures, text) = metrics::with_local_recorder(&recorder, || {
        set_live(kind, 12);
        set_mailbox_depth(kind, 3);
        (figures_of(kind), recorder.handle().render())
    });

    assert_eq!((figures.live, figures.mailbox_depth), (12, 3));
    assert_eq!(value(&text, LIVE, kind), Some(12.0));
    assert_eq!(value(&text, MAILBOX_DEPTH, kind), Some(3.0));
}

#[test]
fn handled_messages_fall_in_the_buckets_the_metric_uses() {
    let kind = ActorKind::Registry;
    let recorder = recorder();
    let before = figures_of(kind);
    let text = metrics::with_local_recorder(&recorder, || {
        for took in [
            Duration::from_micros(200),
            Duration::from_millis(3),
            Duration::from_secs(10),
        ] {
            note(kind, Change::Handled(took));
        }
        recorder.handle().render()
    });
    let after = figures_of(kind);

    assert_eq!(after.handling.count - before.handling.count, 3);
    let added = after.handling.sum_seconds - before.handling.sum_seconds;
    assert!((added - 10.0032).abs() < 1e-9, "{added}");
    for (bucket, was) in after.handling.buckets.iter().zip(&before.handling.buckets) {
        let series = format!(
            "{HANDLING_SECONDS}_bucket{{actor=\"{}\",le=\"{}\"}} ",
            kind.as_str(),
            bucket.le
        );
        let scraped = text
            .lines()
            .find_map(|l| l.strip_prefix(&series))
            .and_then(|v| v.trim().parse::<u64>().ok());
        assert_eq!(scraped, Some(bucket.count - was.count), "{series}");
    }
    let le = |bound: f64| {
        let i = HANDLING_BUCKETS.iter().position(|b| *b == bound).unwrap();
        after.handling.buckets[i].count - before.handling.buckets[i].count
    };
    assert_eq!((le(0.0005), le(0.0025), le(0.005), le(5.0)), (1, 1, 2, 2));
}

fn latency(counts: &[u64], count: u64) -> Latency {
    Latency {
        buckets: HANDLING_BUCKETS
            .iter()
            .zip(
                counts
                    .iter()
                    .chain(std::iter::repeat(counts.last().unwrap())),
            )
            .map(|(le, count)| Bucket {
                le: *le,
                count: *count,
            })
            .collect(),
        count,
        sum_seconds: 0.5,
    }
}

#[test]
fn a_share_of_messages_is_within_the_first_bound_that_holds_it() {
    // 0.0005: 50, 0.001: 90, 0.0025 and up: 99; one slower than 5 s.
    let handled = latency(&[50, 90, 99], 100);

    assert_eq!(handled.within(0.5), Some(0.0005));
    assert_eq!(handled.within(0.9), Some(0.001));
    assert_eq!(handled.within(0.99), Some(0.0025));
    assert_eq!(handled.within(1.0), None);
    assert_eq!(handled.mean_seconds(), Some(0.005));
}

#[test]
fn no_message_has_no_latency() {
    let idle = latency(&[0], 0);

    assert_eq!(idle.within(0.5), None);
    assert_eq!(idle.mean_seconds(), None);
}
