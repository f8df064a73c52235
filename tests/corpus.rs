//! The Decision corpus: tens of thousands of cases on every shipped policy, each
//! held to the Decision it had when the corpus was recorded, byte for byte.
//!
//! The cases are generated here, deterministically: every example (whole and with
//! each given fact left out), every shipped case, cases near them (one or two facts
//! changed or left out), random complete and partial cases over the values the
//! examples use and a few more of each type, and broken cases (a wrong type, an
//! unknown key, an unknown enum value) whose error is held too. Each case is
//! evaluated at one of several times. What is stored in `tests/corpus/<policy>.txt`
//! is a 32-bit hash of each case's output (the Decision JSON, or the error), one
//! line per case, so a change to the engine that changes any Decision fails here
//! with the case, the time and the new output.
//!
//! A change that is meant to change Decisions (a policy edited, a field added to
//! the Decision) records the corpus again: `POL_BLESS_CORPUS=1 cargo test --test corpus`,
//! and the diff of `tests/corpus/` shows how many cases changed.

use pol::eval::FactValue;
use pol::types::Type;
use pol::Policy;
use serde_json::{json, Map, Value as J};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// A small deterministic random number generator (xorshift), so the corpus is the same everywhere.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

/// FNV-1a, folded to 32 bits: stable across Rust versions and machines.
fn hash(bytes: &[u8]) -> u32 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in bytes {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    (h ^ (h >> 32)) as u32
}

/// A few values of each type, beside the ones the policy's own examples use.
fn domain(p: &Policy, t: &Type) -> Vec<J> {
    match t {
        Type::Bool => vec![json!(true), json!(false)],
        Type::Int => vec![
            json!(0),
            json!(1),
            json!(2),
            json!(3),
            json!(5),
            json!(10),
            json!(-1),
            json!(1000),
        ],
        Type::Decimal => vec![json!("0"), json!("1.5"), json!("25000"), json!("-3.25")],
        Type::Text => vec![
            json!(""),
            json!("081200000001"),
            json!("0812000000010"),
            json!("Petugas Contoh"),
        ],
        Type::Enum(e, _) => p.enums[*e].variants.iter().map(|v| json!(v.name)).collect(),
        Type::Date => vec![
            json!("2025-04-30"),
            json!("2025-05-02"),
            json!("2024-12-31"),
            json!("2026-01-05"),
        ],
        Type::DateTime => vec![
            json!("2025-05-02T09:45:00+07:00"),
            json!("2025-05-01T19:00:30+07:00"),
            json!("2025-05-01T23:10:00+07:00"),
            json!("2025-05-02T07:29:00+07:00"),
            json!("2025-05-02T10:00:00"),
            json!("2025-04-28T08:00:00Z"),
        ],
        Type::Time => vec![
            json!("07:29"),
            json!("07:30"),
            json!("19:00"),
            json!("19:01"),
            json!("23:59"),
        ],
        Type::Duration => vec![json!("PT10M"), json!("PT2H"), json!("P3D"), json!("PT48H")],
        Type::List(elem) => {
            let d = domain(p, elem);
            vec![
                json!([]),
                json!([d[0].clone()]),
                J::Array(d.iter().take(2).cloned().collect()),
                J::Array(d.iter().rev().take(3).cloned().collect()),
            ]
        }
        Type::Error => vec![],
    }
}

/// A value of the wrong type for `t`.
fn wrong(t: &Type) -> J {
    match t {
        Type::Bool => json!("yes"),
        Type::Int => json!(1.5),
        Type::Text => json!(12),
        Type::Enum(..) => json!("no_such_value"),
        Type::List(_) => json!("not a list"),
        Type::Date | Type::DateTime | Type::Time | Type::Duration => json!("tomorrow"),
        _ => json!(true),
    }
}

fn shipped() -> Vec<(String, PathBuf)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("policies");
    let mut v: Vec<_> = std::fs::read_dir(&root)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "pol"))
        .map(|p| (p.file_stem().unwrap().to_str().unwrap().to_string(), p))
        .collect();
    v.sort();
    v
}

/// Every case of the corpus for one policy, as (case JSON text, evaluation time).
fn corpus(p: &Policy, stem: &str) -> Vec<(String, Option<i64>)> {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15 ^ hash(stem.as_bytes()) as u64);
    let mut times = vec![None, pol::testing::default_at(p)];
    for s in [
        "2025-05-02T10:00+07:00",
        "2025-05-03T22:00+07:00",
        "2025-05-05T07:59+07:00",
        "2031-01-01",
    ] {
        times.push(p.parse_at(s));
    }
    let mut out = Vec::new();

    // The examples and shipped cases, as JSON objects.
    let mut seeds: Vec<(Map<String, J>, Option<i64>)> = Vec::new();
    for ex in &p.examples {
        let case = pol::testing::example_case(p, ex);
        let mut m = Map::new();
        for (i, slot) in case.slots.iter().enumerate() {
            match slot {
                FactValue::Absent => {}
                FactValue::Null => {
                    m.insert(p.facts.as_slice()[i].name.clone(), J::Null);
                }
                FactValue::Known(v) => {
                    m.insert(
                        p.facts.as_slice()[i].name.clone(),
                        pol::eval::value_json(p, v),
                    );
                }
            }
        }
        seeds.push((m, ex.at.or(pol::testing::default_at(p))));
    }
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("policies/cases")
        .join(stem);
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .map(|d| d.map(|e| e.unwrap().path()).collect())
        .unwrap_or_default();
    files.sort();
    for f in files {
        let text = std::fs::read_to_string(&f).unwrap();
        let m: Map<String, J> = serde_json::from_str(&text).unwrap();
        // The shipped text itself, as an agent's tool sends it.
        for at in &times {
            out.push((text.clone(), *at));
        }
        seeds.push((m, times[2]));
    }

    // The values to draw from: each type's few, and every value the seeds use.
    let mut pool: Vec<Vec<J>> = p.facts.iter().map(|f| domain(p, &f.ty)).collect();
    for (m, _) in &seeds {
        for (i, f) in p.facts.iter().enumerate() {
            if let Some(v) = m.get(&f.name) {
                if !v.is_null() && !pool[i].contains(v) {
                    pool[i].push(v.clone());
                }
            }
        }
    }
    let text = |m: &Map<String, J>| J::Object(m.clone()).to_string();

    for (m, at) in &seeds {
        for t in times.iter().chain([at]) {
            out.push((text(m), *t));
        }
        // Each given fact left out in turn.
        for k in m.keys() {
            let mut partial = m.clone();
            partial.remove(k);
            out.push((text(&partial), *at));
        }
        // Near cases: one or two facts changed, answered `null` or left out.
        for _ in 0..40 {
            let mut near = m.clone();
            for _ in 0..1 + rng.below(2) {
                let i = rng.below(p.facts.len());
                let name = p.facts.as_slice()[i].name.clone();
                match rng.below(6) {
                    0 => {
                        near.remove(&name);
                    }
                    1 => {
                        near.insert(name, J::Null);
                    }
                    _ => {
                        let v = pool[i][rng.below(pool[i].len())].clone();
                        near.insert(name, v);
                    }
                }
            }
            out.push((text(&near), times[rng.below(times.len())]));
        }
    }

    // Random complete cases, then partial ones (1–3 facts left out).
    for missing in [0, 0, 1, 2, 3] {
        for _ in 0..1200 {
            let mut m = Map::new();
            for (i, f) in p.facts.iter().enumerate() {
                let v = if rng.below(25) == 0 {
                    J::Null
                } else {
                    pool[i][rng.below(pool[i].len())].clone()
                };
                m.insert(f.name.clone(), v);
            }
            for _ in 0..missing {
                let i = rng.below(p.facts.len());
                m.remove(&p.facts.as_slice()[i].name);
            }
            out.push((text(&m), times[rng.below(times.len())]));
        }
    }

    // Broken cases: a wrong type, an unknown key, not an object.
    for k in 0..150 {
        let (mut m, at) = seeds[k % seeds.len()].clone();
        let i = rng.below(p.facts.len());
        match k % 3 {
            0 => {
                m.insert(
                    p.facts.as_slice()[i].name.clone(),
                    wrong(&p.facts.as_slice()[i].ty),
                );
            }
            1 => {
                m.insert(format!("{}_x", p.facts.as_slice()[i].name), json!(1));
            }
            _ => {
                m.insert(
                    p.facts.as_slice()[i].name.clone(),
                    json!({"nested": [1, 2]}),
                );
            }
        }
        out.push((text(&m), at));
    }
    for bad in ["[]", "null", "{", "{\"a\":1,}", "\"text\"", ""] {
        out.push((bad.to_string(), None));
    }
    out
}

/// What the case gives: the Decision JSON, or the error with its code and path.
/// The Decision struct, serialized, must be the same text.
fn output(p: &mut pol::Evaluator, case: &str, at: Option<i64>) -> String {
    let mut buf = Vec::new();
    match p.evaluate_json_into(case, at, &mut buf) {
        Ok(()) => {
            let text = String::from_utf8(buf).unwrap();
            let decision = p.evaluate_json(case, at).unwrap();
            assert_eq!(
                serde_json::to_string(&decision).unwrap(),
                text,
                "the Decision struct and the Decision JSON differ on {case} at {at:?}"
            );
            text
        }
        Err(e) => {
            assert!(buf.is_empty(), "an error appended output: {case}");
            format!(
                "error {} at {}: {} (expected {}, found {})",
                e.code, e.path, e.message, e.expected, e.found
            )
        }
    }
}

#[test]
fn every_decision_of_the_corpus_is_what_it_was() {
    let bless = std::env::var_os("POL_BLESS_CORPUS").is_some();
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus");
    let mut total = 0;
    let mut failures = Vec::new();
    for (stem, path) in shipped() {
        let source = std::fs::read_to_string(&path).unwrap();
        // The name as the repository shows it: a Decision quotes it in `because`, and
        // the corpus must not depend on where the repository is checked out.
        let p = pol::compile(&source, &format!("policies/{stem}.pol"))
            .unwrap()
            .policy;
        let cases = corpus(&p, &stem);
        // One evaluator for every case of the policy: its reused buffers must not
        // carry anything from one case to the next.
        let engine = pol::Engine::new(p);
        let mut p = engine.evaluator();
        let mut hashes = String::new();
        for (case, at) in &cases {
            let _ = writeln!(hashes, "{:08x}", hash(output(&mut p, case, *at).as_bytes()));
        }
        total += cases.len();
        let file = dir.join(format!("{stem}.txt"));
        if bless {
            std::fs::create_dir_all(&dir).unwrap();
            std::fs::write(&file, &hashes).unwrap();
            continue;
        }
        let recorded = std::fs::read_to_string(&file).unwrap_or_else(|_| {
            panic!(
                "{} is missing: record it with POL_BLESS_CORPUS=1",
                file.display()
            )
        });
        assert_eq!(
            recorded.lines().count(),
            cases.len(),
            "{stem}: the corpus generator changed; record it again with POL_BLESS_CORPUS=1"
        );
        for (k, (line, (case, at))) in recorded.lines().zip(&cases).enumerate() {
            let now = output(&mut p, case, *at);
            if line != format!("{:08x}", hash(now.as_bytes())) {
                failures.push(format!(
                    "{stem} case {k} at {at:?}: {case}\n  now gives: {now}"
                ));
            }
        }
    }
    assert!(total > 20_000, "only {total} cases in the corpus");
    assert!(
        failures.is_empty(),
        "{} of {total} Decisions changed; the first ones:\n{}",
        failures.len(),
        failures
            .iter()
            .take(5)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
    );
}
