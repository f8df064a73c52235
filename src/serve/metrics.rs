//! Counters and a latency histogram, written in the Prometheus text format.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

/// Upper bounds of the latency buckets, in seconds.
const BUCKETS: [f64; 12] = [
    0.000_05, 0.000_1, 0.000_25, 0.000_5, 0.001, 0.002_5, 0.005, 0.01, 0.025, 0.1, 0.5, 2.5,
];

#[derive(Default)]
struct Histogram {
    counts: [u64; BUCKETS.len()],
    count: u64,
    sum: f64,
}

/// Request counters of one policy id (or `-`), by route and status code.
type RequestCounts = BTreeMap<(&'static str, u16), u64>;

#[derive(Default)]
pub struct Metrics {
    /// By policy id first, so that counting a request allocates only the first time.
    requests: Mutex<BTreeMap<String, RequestCounts>>,
    latency: Mutex<BTreeMap<&'static str, Histogram>>,
    evaluations: Mutex<BTreeMap<String, (u64, u64)>>,
    reloads: Mutex<BTreeMap<(String, &'static str), u64>>,
    pub decision_log_dropped: AtomicU64,
    pub in_flight: AtomicU64,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl Metrics {
    /// One answered request.
    pub fn request(&self, route: &'static str, policy: &str, status: u16, seconds: f64) {
        {
            let mut requests = lock(&self.requests);
            let counts = match requests.get_mut(policy) {
                Some(c) => c,
                None => requests.entry(policy.to_string()).or_default(),
            };
            *counts.entry((route, status)).or_default() += 1;
        }
        let mut lat = lock(&self.latency);
        let h = lat.entry(route).or_default();
        h.count += 1;
        h.sum += seconds;
        for (i, b) in BUCKETS.iter().enumerate() {
            if seconds <= *b {
                if let Some(c) = h.counts.get_mut(i) {
                    *c += 1;
                }
            }
        }
    }

    /// Cases evaluated for a policy, and how many of them were refused as bad input.
    pub fn evaluations(&self, policy: &str, ok: u64, failed: u64) {
        let mut e = lock(&self.evaluations);
        let slot = match e.get_mut(policy) {
            Some(slot) => slot,
            None => e.entry(policy.to_string()).or_default(),
        };
        slot.0 += ok;
        slot.1 += failed;
    }

    /// A reload of a policy file: `ok`, `failed` or `removed`.
    pub fn reload(&self, policy: &str, result: &'static str) {
        *lock(&self.reloads)
            .entry((policy.to_string(), result))
            .or_default() += 1;
    }

    /// The Prometheus text exposition; `loaded` is the number of policies served.
    pub fn render(&self, loaded: usize, failed: usize) -> String {
        let mut out = String::new();
        let _ = writeln!(
            out,
            "# HELP pol_requests_total HTTP requests answered, by route, policy and status."
        );
        let _ = writeln!(out, "# TYPE pol_requests_total counter");
        for (policy, counts) in lock(&self.requests).iter() {
            let policy = escape(policy);
            for ((route, status), n) in counts {
                let _ = writeln!(
                    out,
                    "pol_requests_total{{route=\"{route}\",policy=\"{policy}\",status=\"{status}\"}} {n}",
                );
            }
        }
        let _ = writeln!(
            out,
            "# HELP pol_request_duration_seconds Time to answer a request, by route."
        );
        let _ = writeln!(out, "# TYPE pol_request_duration_seconds histogram");
        for (route, h) in lock(&self.latency).iter() {
            for (b, c) in BUCKETS.iter().zip(h.counts.iter()) {
                let _ = writeln!(
                    out,
                    "pol_request_duration_seconds_bucket{{route=\"{route}\",le=\"{b}\"}} {c}"
                );
            }
            let _ = writeln!(
                out,
                "pol_request_duration_seconds_bucket{{route=\"{route}\",le=\"+Inf\"}} {}",
                h.count
            );
            let _ = writeln!(
                out,
                "pol_request_duration_seconds_sum{{route=\"{route}\"}} {}",
                h.sum
            );
            let _ = writeln!(
                out,
                "pol_request_duration_seconds_count{{route=\"{route}\"}} {}",
                h.count
            );
        }
        let _ = writeln!(
            out,
            "# HELP pol_evaluations_total Cases evaluated, by policy."
        );
        let _ = writeln!(out, "# TYPE pol_evaluations_total counter");
        let _ = writeln!(
            out,
            "# HELP pol_evaluation_errors_total Cases refused as bad input, by policy."
        );
        let _ = writeln!(out, "# TYPE pol_evaluation_errors_total counter");
        for (policy, (ok, failed)) in lock(&self.evaluations).iter() {
            let p = escape(policy);
            let _ = writeln!(out, "pol_evaluations_total{{policy=\"{p}\"}} {ok}");
            let _ = writeln!(
                out,
                "pol_evaluation_errors_total{{policy=\"{p}\"}} {failed}"
            );
        }
        let _ = writeln!(
            out,
            "# HELP pol_reloads_total Policy file loads after start, by policy and result."
        );
        let _ = writeln!(out, "# TYPE pol_reloads_total counter");
        for ((policy, result), n) in lock(&self.reloads).iter() {
            let _ = writeln!(
                out,
                "pol_reloads_total{{policy=\"{}\",result=\"{result}\"}} {n}",
                escape(policy)
            );
        }
        let _ = writeln!(
            out,
            "# HELP pol_policies Policy files, by load status of their last load."
        );
        let _ = writeln!(out, "# TYPE pol_policies gauge");
        let _ = writeln!(out, "pol_policies{{status=\"loaded\"}} {loaded}");
        let _ = writeln!(out, "pol_policies{{status=\"failed\"}} {failed}");
        let _ = writeln!(
            out,
            "# HELP pol_requests_in_flight Requests being answered."
        );
        let _ = writeln!(out, "# TYPE pol_requests_in_flight gauge");
        let _ = writeln!(
            out,
            "pol_requests_in_flight {}",
            self.in_flight.load(Ordering::Relaxed)
        );
        let _ = writeln!(out, "# HELP pol_decision_log_dropped_total Decision log lines dropped because the writer fell behind.");
        let _ = writeln!(out, "# TYPE pol_decision_log_dropped_total counter");
        let _ = writeln!(
            out,
            "pol_decision_log_dropped_total {}",
            self.decision_log_dropped.load(Ordering::Relaxed)
        );
        out
    }
}

fn escape(label: &str) -> String {
    label
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_and_buckets_are_cumulative() {
        let m = Metrics::default();
        m.request("evaluate", "p", 200, 0.000_2);
        m.request("evaluate", "p", 200, 0.003);
        m.request("evaluate", "p", 400, 0.000_02);
        let text = m.render(1, 0);
        assert!(
            text.contains("pol_requests_total{route=\"evaluate\",policy=\"p\",status=\"200\"} 2")
        );
        assert!(
            text.contains("pol_requests_total{route=\"evaluate\",policy=\"p\",status=\"400\"} 1")
        );
        assert!(text
            .contains("pol_request_duration_seconds_bucket{route=\"evaluate\",le=\"0.00005\"} 1"));
        assert!(text
            .contains("pol_request_duration_seconds_bucket{route=\"evaluate\",le=\"0.00025\"} 2"));
        assert!(
            text.contains("pol_request_duration_seconds_bucket{route=\"evaluate\",le=\"0.005\"} 3")
        );
        assert!(text.contains("pol_request_duration_seconds_count{route=\"evaluate\"} 3"));
    }
}
