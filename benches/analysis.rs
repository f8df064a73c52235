//! Static analysis: every shipped policy, and a generated policy of 300 rules over 40 facts.

use criterion::{criterion_group, criterion_main, Criterion};
use std::fmt::Write;
use std::hint::black_box;

mod common;

/// 300 rules over 40 facts (20 yes/no, 10 enums of 4 values, 10 numbers),
/// 30 actions and 10 outcomes, with overrides as SOP exceptions.
fn policy_300_over_40() -> String {
    let mut s =
        String::from("policy generated_analysis {\n  title \"Generated for analysis\"\n}\n\n");
    s.push_str("enum Kind { a \"A\", b \"B\", c \"C\", d \"D\" }\n\ncase {\n");
    for i in 0..20 {
        let _ = writeln!(s, "  flag{i}: bool ask \"Flag {i}?\"");
    }
    for i in 0..10 {
        let _ = writeln!(s, "  kind{i}: Kind ask \"Kind {i}?\"");
    }
    for i in 0..10 {
        let _ = writeln!(s, "  count{i}: int ask \"Count {i}?\"");
    }
    s.push_str("}\n\n");
    for a in 0..30 {
        let _ = writeln!(s, "action act{a} \"Action {a}\"");
    }
    for o in 0..10 {
        let _ = writeln!(s, "outcome out{o}: Kind \"Outcome {o}\"");
    }
    for i in 0..300 {
        let kind = ["a", "b", "c", "d"][i % 4];
        let cond = format!(
            "flag{} and kind{} == {kind} and count{} > {}",
            i % 20,
            (i / 3) % 10,
            (i / 7) % 10,
            i % 5
        );
        let effect = match i % 3 {
            0 => format!("allow act{}", i % 30),
            1 => format!("require act{}", i % 30),
            _ => format!("set out{} = {kind}", i % 10),
        };
        let overrides = if i >= 30 && i % 10 == 0 {
            format!(" overrides r{}", i - 30)
        } else {
            String::new()
        };
        let _ = writeln!(
            s,
            "rule r{i}{overrides}\n  quote \"Aturan {i}\"\n  when {cond}\n  then {effect}\n"
        );
    }
    s.push_str("example \"one\" { given { flag0: true } expect { } }\n");
    s
}

fn bench(c: &mut Criterion) {
    let opts = pol::analysis::Options::default();
    let shipped: Vec<pol::Policy> = common::shipped_policies()
        .iter()
        .map(|(n, s)| common::compile(s, n))
        .collect();
    c.bench_function("analysis/all shipped policies", |b| {
        b.iter(|| {
            for p in &shipped {
                black_box(pol::analysis::analyse(p, &opts));
            }
        })
    });
    let big = common::compile(&policy_300_over_40(), "generated.pol");
    let mut g = c.benchmark_group("analysis");
    g.sample_size(10);
    g.bench_function("300 rules over 40 facts", |b| {
        b.iter(|| black_box(pol::analysis::analyse(&big, &opts)))
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
