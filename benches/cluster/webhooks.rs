//! The cluster benchmark's webhook row: deliveries/s with every node
//! running, of a backlog of one `paid` event per session made while the
//! merchant's receiver is down and replayed (as `kassa webhooks replay`
//! does) once it is up, timed until every event is delivered; with the
//! CPU, commits and WAL of the deliveries, the benchmark's own reads taken
//! out.

use std::time::Instant;

use crate::Options;
use crate::common::Server;
use crate::common::hooks::{create_and_pay, delivered_per_second, store, wait_delivered};
use crate::meter::{Cpu, Database, work_done};
use crate::nginx::Nginx;
use crate::nodes::{self, Node};
use crate::report::{Idle, Row};

/// Webhook deliveries/s with every node running: a backlog of one `paid`
/// event per session, made while the receiver is down, replayed once it is up.
#[allow(clippy::too_many_arguments)]
pub async fn deliveries(
    options: &Options,
    db_url: &str,
    pg: &mut Database,
    nodes: &[Node],
    nginx: &Nginx,
    (merchant, key): (i64, &str),
    hook_port: u16,
    idle: &Idle,
) -> Row {
    let leader = nodes::leader(nodes).await;
    // Paid at the leader: a sandbox payment through another node waits for
    // the leader's chain watcher to see it (README, "Who leads").
    let at = Instant::now();
    create_and_pay(&nginx.base, &leader.url(""), key, options.sessions, 64).await;
    println!(
        "\nwebhooks: {} sessions created through nginx and paid at the leader in {:.1} s, the receiver down",
        options.sessions,
        at.elapsed().as_secs_f64()
    );
    let store = store(db_url).await;
    let pids: Vec<u32> = nodes.iter().map(Node::pid).collect();
    let before = pg.settled(options.settle).await;
    let cpu0 = Cpu::now(&pids);
    let at = Instant::now();
    // Up only now: the nodes' retries deliver nothing before the window.
    let _receiver = Server::start(&["serve-receiver", &hook_port.to_string()]);
    let now = kassa::clock::Clock::now_ms(&kassa::clock::SystemClock);
    let events = store
        .replay_webhooks(merchant, 0, i64::MAX, now)
        .await
        .unwrap();
    let asked = wait_delivered(&store, events as usize).await;
    let work = at.elapsed();
    let cpu = Cpu::now(&pids).since(&cpu0);
    let connections = pg.connections().await;
    let after = pg.settled(options.settle).await;
    let mut db = work_done(&before, &after, work, &idle.per_second());
    // The benchmark's own: the replay (one write) and its polls (reads).
    db.commits -= 1.0 + asked as f64;
    db.writes -= 1.0;
    let delivered = store.count_webhooks("delivered").await.unwrap();
    let rate = delivered_per_second(&store).await;
    println!(
        "webhooks: receiver up, {events} events replayed, {delivered} delivered in {:.2} s ({:.0}/s wall, {rate:.0}/s from the first 200 to the last)",
        work.as_secs_f64(),
        delivered as f64 / work.as_secs_f64()
    );
    Row {
        what: "webhook deliveries (backlog)".to_string(),
        nodes: nodes.len(),
        rps: rate,
        latency: None,
        errors: events.saturating_sub(delivered),
        units: delivered as f64,
        work,
        cpu,
        db: Some(db),
        connections: Some(connections),
    }
}
