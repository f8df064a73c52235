//! Load = parse + check: each shipped policy, all of them, and generated 10- and 1,000-rule policies.

mod common;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use std::hint::black_box;

fn load(c: &mut Criterion) {
    let shipped = common::shipped_policies();
    let mut g = c.benchmark_group("load");
    for (name, source) in &shipped {
        common::compile(source, name);
        g.bench_with_input(BenchmarkId::new("shipped", name), source, |b, src| {
            b.iter(|| pol::compile(black_box(src), name))
        });
    }
    g.bench_function("all_shipped", |b| {
        b.iter(|| {
            for (name, source) in &shipped {
                let _ = black_box(pol::compile(black_box(source), name));
            }
        })
    });
    for rules in [10, 1000] {
        let source = common::generated_policy(rules);
        common::compile(&source, "generated");
        g.bench_with_input(
            BenchmarkId::new("generated_rules", rules),
            &source,
            |b, src| b.iter(|| pol::compile(black_box(src), "generated")),
        );
    }
    g.finish();
}

criterion_group!(benches, load);
criterion_main!(benches);
