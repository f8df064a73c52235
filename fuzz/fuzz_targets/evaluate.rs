//! Any bytes as case records for a shipped policy (`policies/dm_verification.pol`):
//! the whole input as one case, as Decision JSON and as the `Decision` read back
//! from it, and the input's lines through the `--batch` runner. Nothing may panic;
//! the `Decision` serializes to the JSON it was read from; the batch answers every input
//! line with exactly one output line, the same line a single evaluation writes.
#![no_main]

use libfuzzer_sys::fuzz_target;
use pol::cli::batch;
use pol::Engine;
use std::sync::OnceLock;

const SOURCE: &str = include_str!("../../policies/dm_verification.pol");

struct Fixture {
    engine: Engine,
    /// Evaluation times to pick from: none, the policy's default, inside and
    /// outside its validity, and near the ends of the calendar.
    ats: Vec<Option<i64>>,
}

fn fixture() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(|| {
        let policy = match pol::compile(SOURCE, "policies/dm_verification.pol") {
            Ok(c) => c.policy,
            Err(diags) => panic!("the shipped policy does not compile: {diags:?}"),
        };
        let mut ats = vec![None, pol::testing::default_at(&policy)];
        for t in [
            "2025-05-02T10:00+07:00",
            "2025-05-03T22:00+07:00",
            "2025-05-04T03:30",
            "2031-01-01",
            "0001-01-01T00:00Z",
            "9999-12-31T23:59:59-12:00",
        ] {
            ats.push(policy.parse_at(t));
        }
        Fixture {
            engine: Engine::new(policy),
            ats,
        }
    })
}

/// The lines the batch reads: split at `\n`, one `\r` before it dropped, a last
/// line without `\n` counted when it is not empty.
fn batch_lines(data: &[u8]) -> Vec<&[u8]> {
    let mut lines: Vec<&[u8]> = data.split(|&b| b == b'\n').collect();
    if lines.last().is_some_and(|l| l.is_empty()) {
        lines.pop();
    }
    lines
        .into_iter()
        .map(|l| l.strip_suffix(b"\r").unwrap_or(l))
        .collect()
}

fuzz_target!(|data: &[u8]| {
    let fx = fixture();
    let engine = &fx.engine;
    // The time is picked by the input, so that the fuzzer can steer it too.
    let pick = data
        .iter()
        .fold(0usize, |h, &b| h.wrapping_mul(31).wrapping_add(b.into()));
    let at = fx.ats[pick % fx.ats.len()];

    // The whole input as one case, through both writers.
    if let Ok(text) = std::str::from_utf8(data) {
        let decision = engine.evaluate_json(text, at);
        let mut direct = Vec::new();
        let written = engine.evaluate_json_into(text, at, &mut direct);
        match (&decision, &written) {
            (Ok(decision), Ok(())) => {
                let serde_text = match serde_json::to_string(decision) {
                    Ok(t) => t,
                    Err(e) => panic!("the Decision does not serialize: {e}"),
                };
                let direct_text = match String::from_utf8(direct) {
                    Ok(t) => t,
                    Err(e) => panic!("the direct writer wrote bytes that are not UTF-8: {e}"),
                };
                let a: serde_json::Value = match serde_json::from_str(&serde_text) {
                    Ok(v) => v,
                    Err(e) => panic!("serde wrote invalid JSON: {e}\n{serde_text}"),
                };
                let b: serde_json::Value = match serde_json::from_str(&direct_text) {
                    Ok(v) => v,
                    Err(e) => panic!("the direct writer wrote invalid JSON: {e}\n{direct_text}"),
                };
                assert_eq!(a, b, "the two writers disagree on the Decision");
                assert_eq!(
                    direct_text, serde_text,
                    "the two writers are not byte-identical"
                );
            }
            (Err(e1), Err(e2)) => {
                assert_eq!(e1.code, e2.code);
                assert_eq!(e1.path, e2.path);
                assert!(direct.is_empty(), "the direct writer appended on an error");
            }
            _ => panic!(
                "one writer accepted the case and the other did not: {:?} / {:?}",
                decision.as_ref().err(),
                written.as_ref().err()
            ),
        }
    }

    // The input's lines as a batch: one output line per input line, in order.
    let lines = batch_lines(data);
    let opts = batch::Options {
        // Inline, and with worker threads and small chunks for some inputs.
        threads: if pick % 4 == 3 { 2 } else { 1 },
        chunk_lines: 1 + pick % 3,
        chunk_bytes: 64 + pick % 512,
    };
    let mut out = Vec::new();
    let summary = match batch::run(engine, at, data, &mut out, &opts, None) {
        Ok(s) => s,
        Err(e) => panic!("the batch failed on in-memory input: {e}"),
    };
    assert_eq!(summary.lines, lines.len() as u64, "lines counted");
    let out_lines: Vec<&[u8]> = out.split(|&b| b == b'\n').collect();
    // The output ends with a newline, so the split gives one empty tail.
    assert_eq!(out_lines.last().map(|l| l.len()), Some(0));
    assert_eq!(
        out_lines.len() - 1,
        lines.len(),
        "one output line per input line"
    );
    let mut failed = 0;
    let mut evaluator = engine.evaluator();
    for (n, (line, got)) in lines.iter().zip(&out_lines).enumerate() {
        let mut one = Vec::new();
        if !batch::evaluate_line(&mut evaluator, at, line, n as u64 + 1, &mut one) {
            failed += 1;
        }
        assert_eq!(one.pop(), Some(b'\n'));
        assert_eq!(
            &one[..],
            *got,
            "batch line {} differs from a single evaluation",
            n + 1
        );
        assert!(
            serde_json::from_slice::<serde_json::Value>(got).is_ok(),
            "batch line {} is not JSON",
            n + 1
        );
    }
    assert_eq!(summary.failed, failed, "failed lines counted");
});
