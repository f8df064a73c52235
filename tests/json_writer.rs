//! The Decision JSON, the engine's one writer, on every shipped policy, every example
//! (whole and with each given fact left out), every shipped case, and at several
//! evaluation times (none, inside and outside the validity):
//!
//! - the [`Decision`](pol::Decision) read back from it serializes to the same bytes,
//!   so the struct the library, `pol test` and `pol ask` use says exactly what the
//!   JSON says;
//! - an [`Evaluator`](pol::Evaluator) reused from case to case (its buffers, the
//!   cached evaluation time) writes what a fresh one writes.

use pol::eval::FactValue;
use pol::{compile, Case, Decision, Engine, Evaluator, Policy};
use std::path::Path;

/// Writes the Decision with the reused evaluator and with a fresh one, and reads it back.
fn check(engine: &Engine, reused: &mut Evaluator, case: &Case, at: Option<i64>, what: &str) {
    let mut written = Vec::new();
    reused.evaluate_into(case, at, &mut written);
    let mut fresh = Vec::new();
    engine.evaluator().evaluate_into(case, at, &mut fresh);
    assert_eq!(
        String::from_utf8_lossy(&written),
        String::from_utf8_lossy(&fresh),
        "{what} at {at:?}: a reused evaluator writes another Decision"
    );
    let decision: Decision = serde_json::from_slice(&written)
        .unwrap_or_else(|e| panic!("{what} at {at:?}: the Decision does not read back: {e}"));
    assert_eq!(
        String::from_utf8(serde_json::to_vec(&decision).unwrap()).unwrap(),
        String::from_utf8(written).unwrap(),
        "{what} at {at:?}: the Decision read back writes other bytes"
    );
    assert_eq!(reused.evaluate(case, at), decision, "{what} at {at:?}");
}

fn times(policy: &Policy) -> Vec<Option<i64>> {
    let mut t = vec![None, pol::testing::default_at(policy)];
    for s in [
        "2025-05-02T10:00+07:00",
        "2025-05-03T22:00+07:00",
        "2031-01-01",
    ] {
        t.push(policy.parse_at(s));
    }
    t
}

#[test]
fn every_decision_reads_back_to_the_same_bytes_on_every_shipped_policy() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut checked = 0;
    let mut policies: Vec<_> = std::fs::read_dir(root.join("policies"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "pol"))
        .collect();
    policies.sort();
    assert_eq!(policies.len(), 5);
    for path in policies {
        let source = std::fs::read_to_string(&path).unwrap();
        let engine = Engine::new(
            compile(&source, &path.display().to_string())
                .unwrap()
                .policy,
        );
        let policy = engine.policy();
        let mut reused = engine.evaluator();
        let stem = path.file_stem().unwrap().to_str().unwrap().to_string();
        let ats = times(policy);
        for ex in &policy.examples {
            let case = pol::testing::example_case(policy, ex);
            for at in ats.iter().chain([&ex.at]) {
                check(&engine, &mut reused, &case, *at, &ex.name);
                checked += 1;
            }
            // Partial cases: each given fact left out in turn.
            for (i, slot) in case.slots.iter_enumerated() {
                if matches!(slot, FactValue::Absent) {
                    continue;
                }
                let mut partial = case.clone();
                partial.slots[i] = FactValue::Absent;
                let what = format!("{} without {}", ex.name, i.index());
                check(&engine, &mut reused, &partial, ex.at, &what);
                checked += 1;
            }
        }
        let dir = root.join("policies/cases").join(&stem);
        for file in std::fs::read_dir(&dir).unwrap() {
            let file = file.unwrap().path();
            let text = std::fs::read_to_string(&file).unwrap();
            let case = pol::decode_case(policy, &text).unwrap();
            for at in &ats {
                check(
                    &engine,
                    &mut reused,
                    &case,
                    *at,
                    &file.display().to_string(),
                );
                let mut out = Vec::new();
                reused.evaluate_json_into(&text, *at, &mut out).unwrap();
                let d = engine.evaluate_json(&text, *at).unwrap();
                assert_eq!(out, serde_json::to_vec(&d).unwrap());
                checked += 1;
            }
        }
    }
    assert!(checked > 700, "only {checked} Decisions compared");
}

#[test]
fn a_bad_case_appends_nothing() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let source = std::fs::read_to_string(root.join("policies/dm_verification.pol")).unwrap();
    let engine = Engine::new(compile(&source, "dm_verification.pol").unwrap().policy);
    let mut out = b"kept".to_vec();
    let err = engine
        .evaluator()
        .evaluate_json_into("{\"no_such_fact\": 1}", None, &mut out)
        .unwrap_err();
    assert_eq!(err.code, "E0603");
    assert_eq!(out, b"kept");
}

/// An engine is shared by the batch workers, each with its own evaluator: it must be
/// `Send + Sync`, and every thread must write the same Decision.
#[test]
fn an_engine_is_shared_across_threads() {
    fn shareable<T: Send + Sync>(_: &T) {}
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let source = std::fs::read_to_string(root.join("policies/dm_verification.pol")).unwrap();
    let engine = Engine::new(compile(&source, "dm_verification.pol").unwrap().policy);
    shareable(&engine);
    let case = std::fs::read_to_string(
        root.join("policies/cases/dm_verification/penerima_lain_di_cp_verified.json"),
    )
    .unwrap();
    let at = engine.policy().parse_at("2025-05-02T10:00+07:00");
    let outputs: Vec<Vec<u8>> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..4)
            .map(|_| {
                s.spawn(|| {
                    let mut evaluator = engine.evaluator();
                    let mut out = Vec::new();
                    evaluator.evaluate_json_into(&case, at, &mut out).unwrap();
                    out
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let expected = serde_json::to_vec(&engine.evaluate_json(&case, at).unwrap()).unwrap();
    assert!(outputs.iter().all(|o| *o == expected));
}
