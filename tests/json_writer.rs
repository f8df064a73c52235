//! The direct JSON writer (`Policy::evaluate_json_into`, used by `pol eval --batch`)
//! writes byte for byte what serde writes for the `Decision`, on every shipped policy,
//! every example (whole and with each given fact left out), every shipped case, and
//! at several evaluation times (none, inside and outside the validity).

use pol::eval::FactValue;
use pol::{compile, Case, Policy};
use std::path::Path;

fn writer_matches_serde(policy: &Policy, case: &Case, at: Option<i64>, what: &str) {
    let decision = pol::evaluate(policy, case, at);
    let expected = serde_json::to_string(&decision).unwrap();
    let mut written = Vec::new();
    pol::eval::evaluate_to_json(policy, case, at, &mut written);
    let written = String::from_utf8(written).unwrap();
    assert_eq!(written, expected, "{what} at {at:?}");
    // And it is valid JSON with the Decision's keys.
    let v: serde_json::Value = serde_json::from_str(&written).unwrap();
    assert!(v.get("pending").is_some(), "{what}");
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
fn direct_json_equals_the_serialized_decision_on_every_shipped_policy() {
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
        let policy = compile(&source, &path.display().to_string())
            .unwrap()
            .policy;
        let stem = path.file_stem().unwrap().to_str().unwrap().to_string();
        let ats = times(&policy);
        for ex in &policy.examples {
            let case = pol::testing::example_case(&policy, ex);
            for at in ats.iter().chain([&ex.at]) {
                writer_matches_serde(&policy, &case, *at, &ex.name);
                checked += 1;
            }
            // Partial cases: each given fact left out in turn.
            for (i, slot) in case.slots.iter().enumerate() {
                if matches!(slot, FactValue::Absent) {
                    continue;
                }
                let mut partial = case.clone();
                partial.slots[i] = FactValue::Absent;
                writer_matches_serde(
                    &policy,
                    &partial,
                    ex.at,
                    &format!("{} without {i}", ex.name),
                );
                checked += 1;
            }
        }
        let dir = root.join("policies/cases").join(&stem);
        for file in std::fs::read_dir(&dir).unwrap() {
            let file = file.unwrap().path();
            let text = std::fs::read_to_string(&file).unwrap();
            let case = pol::decode_case(&policy, &text).unwrap();
            for at in &ats {
                writer_matches_serde(&policy, &case, *at, &file.display().to_string());
                let mut out = Vec::new();
                policy.evaluate_json_into(&text, *at, &mut out).unwrap();
                let d = policy.evaluate_json(&text, *at).unwrap();
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
    let policy = compile(&source, "dm_verification.pol").unwrap().policy;
    let mut out = b"kept".to_vec();
    let err = policy
        .evaluate_json_into("{\"no_such_fact\": 1}", None, &mut out)
        .unwrap_err();
    assert_eq!(err.code, "E0603");
    assert_eq!(out, b"kept");
}

/// A compiled policy is shared by the batch workers: it must be `Send + Sync`, and
/// its lazily made JSON pieces must come out the same from any thread.
#[test]
fn a_compiled_policy_is_shared_across_threads() {
    fn shareable<T: Send + Sync>(_: &T) {}
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let source = std::fs::read_to_string(root.join("policies/dm_verification.pol")).unwrap();
    let policy = compile(&source, "dm_verification.pol").unwrap().policy;
    shareable(&policy);
    let case = std::fs::read_to_string(
        root.join("policies/cases/dm_verification/penerima_lain_di_cp_verified.json"),
    )
    .unwrap();
    let at = policy.parse_at("2025-05-02T10:00+07:00");
    let outputs: Vec<Vec<u8>> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..4)
            .map(|_| {
                s.spawn(|| {
                    let mut out = Vec::new();
                    policy.evaluate_json_into(&case, at, &mut out).unwrap();
                    out
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let expected = serde_json::to_vec(&policy.evaluate_json(&case, at).unwrap()).unwrap();
    assert!(outputs.iter().all(|o| *o == expected));
}
