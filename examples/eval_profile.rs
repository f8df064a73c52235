//! A small driver for profilers (callgrind, perf): end-to-end evaluation of the shipped
//! `dm_verification` cases, JSON text in, compact Decision JSON out, N rounds.
//! With a second argument, the cases are the lines of that file instead (e.g.
//! `benches/data/dm_verification_complete.jsonl`, 60 complete cases).
//!
//! ```sh
//! cargo build --release --example eval_profile
//! valgrind --tool=callgrind --callgrind-out-file=/tmp/cg.out target/release/examples/eval_profile 300
//! callgrind_annotate --inclusive=yes /tmp/cg.out | head -60
//! ```

use std::path::Path;

fn main() {
    let rounds: usize = std::env::args()
        .nth(1)
        .and_then(|n| n.parse().ok())
        .unwrap_or(1000);
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let source = std::fs::read_to_string(root.join("policies/dm_verification.pol"))
        .unwrap_or_else(|e| panic!("cannot read the policy: {e}"));
    let policy = match pol::compile(&source, "policies/dm_verification.pol") {
        Ok(c) => c.policy,
        Err(d) => panic!("the policy has errors: {d:?}"),
    };
    let mut cases = Vec::new();
    if let Some(file) = std::env::args().nth(2) {
        let text =
            std::fs::read_to_string(&file).unwrap_or_else(|e| panic!("cannot read {file}: {e}"));
        cases.extend(
            text.lines()
                .filter(|l| !l.trim().is_empty())
                .map(String::from),
        );
    }
    let dir = root.join("policies/cases/dm_verification");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()))
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    files.sort();
    if !cases.is_empty() {
        files.clear();
    }
    for f in files {
        let text = std::fs::read_to_string(&f).unwrap_or_default();
        if let Ok(v) = serde_json::from_str::<serde_json::Value>(&text) {
            cases.push(v.to_string());
        }
    }
    let at = policy.parse_at("2025-05-02T10:00+07:00");
    let engine = pol::Engine::new(policy);
    let mut evaluator = engine.evaluator();
    let mut out = Vec::with_capacity(1 << 16);
    let (mut bytes, mut failed) = (0usize, 0usize);
    for _ in 0..rounds {
        for c in &cases {
            out.clear();
            if !pol::cli::batch::evaluate_line(&mut evaluator, at, c.as_bytes(), 1, &mut out) {
                failed += 1;
            }
            bytes += out.len();
        }
    }
    println!(
        "{} evaluations, {} bytes of Decision JSON, {failed} failed",
        rounds * cases.len(),
        bytes
    );
}
