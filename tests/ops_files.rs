//! The operators' files in `ops/`: the Prometheus alert rules pass promtool
//! (syntax and their unit tests) and the Grafana dashboard is JSON; both
//! name only metrics a running gateway serves on `/metrics`. The lines the
//! README shows of the nginx example and the systemd unit are the files'.
//!
//! promtool is an outside program (Debian's `prometheus` package; `.ci/run`
//! unpacks it): it is found at `KASSA_TEST_PROMTOOL` (default
//! `/tmp/prom/usr/bin/promtool`); when missing the test prints `skipped: …`,
//! or fails under `KASSA_TEST_REQUIRE_ALL=1`.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde_json::Value;

use crate::helpers::skip;
use crate::metrics_server::{Scrape, Server, metric_names_in};

fn ops(file: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("ops").join(file)
}

fn promtool() -> Option<PathBuf> {
    let path = std::env::var_os("KASSA_TEST_PROMTOOL")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/tmp/prom/usr/bin/promtool"));
    if path.is_file() {
        Some(path)
    } else {
        skip(&format!(
            "promtool not found at {} (set KASSA_TEST_PROMTOOL; .ci/run unpacks Debian's prometheus package)",
            path.display()
        ));
        None
    }
}

async fn run_promtool(promtool: &Path, args: &[&str]) -> std::process::Output {
    let (promtool, args, dir) = (
        promtool.to_path_buf(),
        args.iter().map(|a| a.to_string()).collect::<Vec<_>>(),
        ops("prometheus"),
    );
    actix_web::rt::task::spawn_blocking(move || {
        std::process::Command::new(promtool)
            .args(args)
            .current_dir(dir)
            .output()
            .unwrap()
    })
    .await
    .unwrap()
}

/// Names in `used` that the scrape does not serve.
fn missing(used: &BTreeSet<String>, scrape: &Scrape) -> Vec<String> {
    used.iter().filter(|n| !scrape.names(n)).cloned().collect()
}

#[actix_web::test]
async fn the_alert_rules_pass_promtool_and_name_only_metrics_a_fresh_server_serves() {
    let Some(promtool) = promtool() else {
        return;
    };
    let rules = std::fs::read_to_string(ops("prometheus/alerts.yml")).unwrap();
    let server = Server::start().await;

    let checked = run_promtool(&promtool, &["check", "rules", "alerts.yml"]).await;
    let tested = run_promtool(&promtool, &["test", "rules", "alerts_test.yml"]).await;
    let scrape = server.scrape().await;

    for (what, out) in [("check rules", &checked), ("test rules", &tested)] {
        assert!(
            out.status.success(),
            "promtool {what}:\n{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let used = metric_names_in(&rules);
    for family in [
        "kassa_chain_lag_blocks",
        "kassa_chain_finalized_block",
        "kassa_webhook_oldest_pending_age_seconds",
        "kassa_payouts",
        "kassa_actor_restarted_total",
    ] {
        assert!(used.contains(family), "no rule watches {family}");
    }
    assert_eq!(
        missing(&used, &scrape),
        Vec::<String>::new(),
        "{}",
        scrape.text
    );
}

#[actix_web::test]
async fn the_grafana_dashboard_is_json_naming_only_metrics_a_server_serves() {
    let text = std::fs::read_to_string(ops("grafana/kassa.json")).unwrap();
    let dashboard: Value = serde_json::from_str(&text).expect("the dashboard is JSON");
    let server = Server::start().await;
    // Traffic that makes the histograms the dashboard reads.
    let id = server.new_session("DASH-1").await;
    assert_eq!(server.pay(id, "paid").await.status, 200);

    let scrape = server
        .scrape_until(Duration::from_secs(10), |s| {
            s.names("kassa_actor_handling_seconds")
                && s.names("kassa_http_request_duration_seconds")
        })
        .await;

    let panels = dashboard["panels"].as_array().expect("panels");
    let exprs: Vec<&str> = panels
        .iter()
        .flat_map(|p| p["targets"].as_array().into_iter().flatten())
        .filter_map(|t| t["expr"].as_str())
        .collect();
    assert!(exprs.len() >= 20, "{} queries", exprs.len());
    let used: BTreeSet<String> = exprs.iter().flat_map(|e| metric_names_in(e)).collect();
    for family in [
        "kassa_actor_live",
        "kassa_actor_messages_total",
        "kassa_actor_handling_seconds_bucket",
        "kassa_chain_lag_blocks",
        "kassa_webhook_queue_depth",
        "kassa_payouts",
        "kassa_sessions",
        "kassa_http_requests_total",
    ] {
        assert!(used.contains(family), "no panel shows {family}");
    }
    let named_anywhere = metric_names_in(&text);
    assert!(named_anywhere.is_superset(&used));
    assert_eq!(
        missing(&named_anywhere, &scrape),
        Vec::<String>::new(),
        "{}",
        scrape.text
    );
    let ids: BTreeSet<i64> = panels.iter().filter_map(|p| p["id"].as_i64()).collect();
    assert_eq!(ids.len(), panels.len(), "panel ids are unique");
}

#[actix_web::test]
async fn every_dashboard_query_is_promql_that_promtool_accepts() {
    let Some(promtool) = promtool() else {
        return;
    };
    let dashboard: Value =
        serde_json::from_str(&std::fs::read_to_string(ops("grafana/kassa.json")).unwrap()).unwrap();
    let exprs: Vec<String> = dashboard["panels"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|p| p["targets"].as_array().into_iter().flatten())
        .filter_map(|t| t["expr"].as_str())
        // Grafana fills the instance variable in; any regex will do here.
        .map(|e| e.replace("$instance", ".*"))
        .collect();
    let dir = tempfile::tempdir().unwrap();
    // Each query as a recording rule: `promtool check rules` parses them all.
    let rules: Vec<Value> = exprs
        .iter()
        .enumerate()
        .map(|(n, expr)| serde_json::json!({ "record": format!("dashboard:query_{n}"), "expr": expr }))
        .collect();
    let file = dir.path().join("dashboard_rules.json");
    let groups = serde_json::json!({ "groups": [{ "name": "dashboard", "rules": rules }] });
    std::fs::write(&file, groups.to_string()).unwrap();

    let out = run_promtool(&promtool, &["check", "rules", file.to_str().unwrap()]).await;

    assert!(
        out.status.success(),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(
        said.contains(&format!("{} rules found", exprs.len())),
        "{said}"
    );
}

/// A config line as it matters: without its `#` comment and with single
/// spaces.
fn config_line(line: &str) -> String {
    let line = line.split(" #").next().unwrap_or_default();
    let line = if line.trim_start().starts_with('#') {
        ""
    } else {
        line
    };
    line.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[test]
fn every_line_the_readme_shows_of_the_nginx_example_and_the_systemd_unit_is_in_the_file() {
    let readme =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md")).unwrap();
    let section = readme
        .split("## Running several nodes")
        .nth(1)
        .and_then(|s| s.split("\n## ").next())
        .expect("the README has a Running several nodes section");
    for (fence, file) in [
        ("```nginx\n", "nginx/kassa.conf"),
        ("```ini\n", "systemd/kassa.service"),
    ] {
        let shown = section
            .split(fence)
            .nth(1)
            .and_then(|s| s.split("```").next())
            .unwrap_or_else(|| panic!("the section shows {file}"));
        let text = std::fs::read_to_string(ops(file)).unwrap();
        let lines: BTreeSet<String> = text.lines().map(config_line).collect();
        for line in shown.lines().map(config_line).filter(|l| !l.is_empty()) {
            assert!(
                lines.contains(&line),
                "the README shows `{line}`, which ops/{file} does not have"
            );
        }
    }
}
