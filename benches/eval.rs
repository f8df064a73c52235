//! Evaluation: on an already decoded case, end to end (JSON text → Decision JSON text),
//! and batch throughput through the library on 1 and 2 threads.

mod common;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use pol::cli::batch;
use std::hint::black_box;

fn evaluate(c: &mut Criterion) {
    let mut g = c.benchmark_group("evaluate");
    for (name, source) in common::shipped_policies() {
        let engine = pol::Engine::new(common::compile(&source, &name));
        let policy = engine.policy();
        let mut evaluator = engine.evaluator();
        let at = policy.parse_at(common::AT);
        for (case_name, json) in common::shipped_cases(&name) {
            let Ok(case) = pol::decode_case(policy, &json) else {
                continue;
            };
            g.bench_function(BenchmarkId::new(&name, &case_name), |b| {
                let mut out = Vec::with_capacity(16 * 1024);
                b.iter(|| {
                    out.clear();
                    evaluator.evaluate_into(black_box(&case), at, &mut out)
                })
            });
        }
    }
    g.finish();
}

fn end_to_end(c: &mut Criterion) {
    let name = "dm_verification";
    let Some((policy, at)) = common::shipped_policy(name) else {
        return;
    };
    let engine = pol::Engine::new(policy.clone());
    let mut evaluator = engine.evaluator();
    let mut g = c.benchmark_group("end_to_end");
    for (case_name, json) in common::shipped_cases(name) {
        // The three stages, then the whole path as `pol eval --batch` runs it.
        g.bench_function(BenchmarkId::new("decode", &case_name), |b| {
            b.iter(|| pol::decode_case(black_box(&policy), black_box(&json)))
        });
        let Ok(decision) = engine.evaluate_json(&json, at) else {
            continue;
        };
        g.bench_function(BenchmarkId::new("serialize_compact", &case_name), |b| {
            b.iter(|| serde_json::to_string(black_box(&decision)))
        });
        g.bench_function(BenchmarkId::new("serialize_pretty", &case_name), |b| {
            b.iter(|| black_box(&decision).to_json())
        });
        g.bench_function(BenchmarkId::new("json_to_json", &case_name), |b| {
            let mut out = Vec::with_capacity(16 * 1024);
            b.iter(|| {
                out.clear();
                batch::evaluate_line(&mut evaluator, at, black_box(json.as_bytes()), 1, &mut out)
            })
        });
    }
    g.finish();
}

/// The 60 complete cases: every fact given, so nothing is left to try. Each
/// iteration does all 60; criterion's time divided by 60 is the time per case.
fn complete(c: &mut Criterion) {
    let name = "dm_verification";
    let Some((policy, at)) = common::shipped_policy(name) else {
        return;
    };
    let cases = common::complete_cases();
    if cases.is_empty() {
        return;
    }
    let engine = pol::Engine::new(policy.clone());
    let mut evaluator = engine.evaluator();
    let mut g = c.benchmark_group("complete");
    g.throughput(Throughput::Elements(cases.len() as u64));
    g.bench_function("serde_floor", |b| {
        b.iter(|| {
            for text in &cases {
                let parsed: Result<common::typed::Case, _> = serde_json::from_str(black_box(text));
                black_box(parsed.is_ok());
            }
        })
    });
    g.bench_function("decode", |b| {
        b.iter(|| {
            for text in &cases {
                black_box(pol::decode_case(&policy, black_box(text)).is_ok());
            }
        })
    });
    g.bench_function("json_to_json", |b| {
        let mut out = Vec::with_capacity(16 * 1024);
        b.iter(|| {
            for text in &cases {
                out.clear();
                batch::evaluate_line(&mut evaluator, at, black_box(text.as_bytes()), 1, &mut out);
            }
        })
    });
    g.finish();
}

fn batch_throughput(c: &mut Criterion) {
    let name = "dm_verification";
    let Some((policy, at)) = common::shipped_policy(name) else {
        return;
    };
    let shipped: Vec<String> = common::shipped_cases(name)
        .into_iter()
        .map(|(_, json)| json)
        .collect();
    let complete = common::complete_cases();
    let engine = pol::Engine::new(policy);
    let lines = 20_000usize;
    let mut g = c.benchmark_group("batch");
    g.throughput(Throughput::Elements(lines as u64));
    g.sample_size(10);
    // The shipped (partial) cases, and the complete ones.
    for (label, cases) in [
        ("dm_verification_threads", &shipped),
        ("complete_threads", &complete),
    ] {
        if cases.is_empty() {
            continue;
        }
        let mut input = String::new();
        for i in 0..lines {
            if let Some(json) = cases.get(i % cases.len()) {
                input.push_str(json);
                input.push('\n');
            }
        }
        for threads in [1usize, 2] {
            let opts = batch::Options {
                threads,
                ..batch::Options::default()
            };
            g.bench_function(BenchmarkId::new(label, threads), |b| {
                b.iter(|| {
                    let mut sink = std::io::sink();
                    batch::run(&engine, at, input.as_bytes(), &mut sink, &opts, None)
                })
            });
        }
        if label == "complete_threads" {
            g.bench_function("complete_serde_floor", |b| {
                b.iter(|| {
                    for line in input.lines() {
                        let parsed: Result<common::typed::Case, _> = serde_json::from_str(line);
                        black_box(parsed.is_ok());
                    }
                })
            });
        }
    }
    g.finish();
}

criterion_group!(benches, evaluate, end_to_end, complete, batch_throughput);
criterion_main!(benches);
