//! Every metric family Kassa emits, with its help text, registered at zero
//! once at startup so that a fresh `/metrics` already lists each counter and
//! gauge (a series that first appears on its first event hides a rate from
//! Prometheus and an alert from its absence).
//!
//! Families whose labels are only known at run time (HTTP routes and
//! statuses, gas accounts, routing providers, countries and methods) are
//! described here and appear with their first event. Histograms appear with their
//! first observation. This module only registers; the figures are set
//! where the events happen.

use crate::actors::supervision;

mod catalog;

use catalog::families;

/// How a family's series are made at zero.
pub(crate) enum Series {
    /// One series without labels.
    Plain,
    /// One series per value of one label.
    Each(&'static str, Vec<&'static str>),
    /// Labels known only at run time: described, made by the first event.
    Later,
}

pub(crate) enum Kind {
    Counter,
    Gauge,
    Histogram,
}

pub(crate) struct Family {
    name: &'static str,
    kind: Kind,
    help: &'static str,
    series: Series,
}

/// Describes every family and makes each counter and gauge series at zero
/// (the actor families for every kind among them). Calling it again
/// changes no value.
pub fn register() {
    supervision::register();
    for family in families() {
        describe(&family);
        match (&family.kind, family.series) {
            (_, Series::Later) | (Kind::Histogram, _) => {}
            (Kind::Counter, Series::Plain) => metrics::counter!(family.name).increment(0),
            (Kind::Gauge, Series::Plain) => metrics::gauge!(family.name).increment(0.0),
            (Kind::Counter, Series::Each(label, values)) => {
                for value in values {
                    metrics::counter!(family.name, label => value).increment(0);
                }
            }
            (Kind::Gauge, Series::Each(label, values)) => {
                for value in values {
                    metrics::gauge!(family.name, label => value).increment(0.0);
                }
            }
        }
    }
}

fn describe(family: &Family) {
    let (name, help) = (family.name, family.help);
    match family.kind {
        Kind::Counter => metrics::describe_counter!(name, help),
        Kind::Gauge => metrics::describe_gauge!(name, help),
        Kind::Histogram => metrics::describe_histogram!(name, help),
    }
}

/// The names of every family (the actor families included), for checks
/// that a dashboard or an alert names only what exists.
pub fn names() -> Vec<&'static str> {
    let mut names: Vec<_> = families().into_iter().map(|f| f.name).collect();
    names.extend([
        supervision::LIVE,
        supervision::SPAWNED,
        supervision::RESTARTED,
        supervision::PASSIVATED,
        supervision::MESSAGES,
        supervision::MAILBOX_DEPTH,
        supervision::HANDLING_SECONDS,
    ]);
    names
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_family_is_named_once_with_the_kassa_prefix() {
        let names = names();
        let unique: std::collections::HashSet<_> = names.iter().collect();

        assert_eq!(unique.len(), names.len(), "a family is listed twice");
        assert!(names.iter().all(|n| n.starts_with("kassa_")));
    }

    #[test]
    fn every_family_the_code_emits_by_name_is_listed() {
        let listed: std::collections::HashSet<_> = names().into_iter().collect();
        let mut emitted = Vec::new();
        collect_emitted(
            &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src"),
            &mut emitted,
        );

        assert!(emitted.len() > 30, "found only {emitted:?}");
        let unlisted: Vec<_> = emitted
            .iter()
            .filter(|n| !listed.contains(n.as_str()))
            .collect();
        assert!(unlisted.is_empty(), "emitted but not listed: {unlisted:?}");
    }

    /// Names given as string literals to `counter!`, `gauge!`, `histogram!`.
    fn collect_emitted(dir: &std::path::Path, out: &mut Vec<String>) {
        for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() {
                collect_emitted(&path, out);
                continue;
            }
            let text = std::fs::read_to_string(&path).unwrap_or_default();
            for macro_call in ["counter!(", "gauge!(", "histogram!("] {
                for (at, _) in text.match_indices(macro_call) {
                    let rest = text[at + macro_call.len()..].trim_start();
                    if let Some(literal) = rest.strip_prefix("\"kassa_") {
                        let end = literal.find('"').unwrap_or(0);
                        out.push(format!("kassa_{}", &literal[..end]));
                    }
                }
            }
        }
    }

    #[test]
    fn counters_end_in_total_and_nothing_else_does() {
        for family in families() {
            let total = family.name.ends_with("_total");
            assert_eq!(
                matches!(family.kind, Kind::Counter),
                total,
                "{}",
                family.name
            );
        }
    }
}
