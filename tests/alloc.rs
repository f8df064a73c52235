//! Allocations per case in the batch path: a counting global allocator (counting
//! only on the thread that asks) over the 60 complete `dm_verification` cases
//! (`benches/data/dm_verification_complete.jsonl`).
//!
//! After a warm-up, a reused [`Evaluator`](pol::Evaluator) (what each batch worker
//! and `pol serve`'s batch route keep) turns a complete case, JSON text, into its
//! Decision JSON allocating only the `Arc` of each text or list value the record
//! gives ([`shared_values`]); evaluating a decoded case allocates nothing.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::path::Path;

struct Counting;

thread_local! {
    static COUNTING: Cell<bool> = const { Cell::new(false) };
    static COUNT: Cell<u64> = const { Cell::new(0) };
}

fn note() {
    // `try_with`: the allocator runs while thread-locals are torn down too.
    let _ = COUNTING.try_with(|on| {
        if on.get() {
            let _ = COUNT.try_with(|n| n.set(n.get() + 1));
        }
    });
}

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        note();
        unsafe { System.alloc(layout) }
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        note();
        unsafe { System.alloc_zeroed(layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        note();
        unsafe { System.realloc(ptr, layout, new_size) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// Allocations (and reallocations) made by `f` on this thread.
fn allocations(f: impl FnOnce()) -> u64 {
    COUNT.with(|n| n.set(0));
    COUNTING.with(|on| on.set(true));
    f();
    COUNTING.with(|on| on.set(false));
    COUNT.with(|n| n.get())
}

/// What remains: decoding gives each text fact (and each list fact) its own
/// `Arc` (a `Value::Text` is shared by everything that reads it later), one
/// allocation per such fact in the record. Everything else — the slots, firing,
/// deciding, writing the JSON — reuses the evaluator's buffers.
const EVALUATE_PER_CASE: u64 = 0;

/// The allocations decoding `case` makes: one per text or list fact given a value.
fn shared_values(policy: &pol::Policy, case: &str) -> u64 {
    let record: serde_json::Map<String, serde_json::Value> = serde_json::from_str(case).unwrap();
    policy
        .facts
        .iter()
        .filter(|f| matches!(f.ty, pol::types::Type::Text | pol::types::Type::List(_)))
        .filter(|f| record.get(&f.name).is_some_and(|v| !v.is_null()))
        .count() as u64
}

fn setup() -> (pol::Engine, Option<i64>, Vec<String>) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let source = std::fs::read_to_string(root.join("policies/dm_verification.pol")).unwrap();
    let engine = pol::Engine::new(
        pol::compile(&source, "policies/dm_verification.pol")
            .unwrap()
            .policy,
    );
    let at = engine.policy().parse_at("2025-05-02T10:00+07:00");
    let text =
        std::fs::read_to_string(root.join("benches/data/dm_verification_complete.jsonl")).unwrap();
    let cases: Vec<String> = text
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(String::from)
        .collect();
    assert_eq!(cases.len(), 60);
    (engine, at, cases)
}

/// One `--batch` line per case, as each batch worker runs them.
fn batch_round(
    evaluator: &mut pol::Evaluator,
    at: Option<i64>,
    cases: &[String],
    out: &mut Vec<u8>,
) {
    for (n, case) in cases.iter().enumerate() {
        out.clear();
        assert!(
            pol::cli::batch::evaluate_line(evaluator, at, case.as_bytes(), n as u64, out),
            "case {n} is refused"
        );
    }
}

#[test]
fn evaluating_a_decoded_case_allocates_nothing() {
    let (engine, at, cases) = setup();
    let decoded: Vec<pol::Case> = cases
        .iter()
        .map(|c| pol::decode_case(engine.policy(), c).unwrap())
        .collect();
    let mut evaluator = engine.evaluator();
    let mut out = Vec::new();
    // Warm-up: the buffers grow to what the cases need.
    for _ in 0..2 {
        for case in &decoded {
            out.clear();
            evaluator.evaluate_into(case, at, &mut out);
        }
    }
    let rounds = 5;
    let n = allocations(|| {
        for _ in 0..rounds {
            for case in &decoded {
                out.clear();
                evaluator.evaluate_into(case, at, &mut out);
            }
        }
    });
    let evaluations = rounds * decoded.len() as u64;
    assert_eq!(
        n,
        EVALUATE_PER_CASE * evaluations,
        "{n} allocations in {evaluations} evaluations"
    );
    let d: pol::Decision = serde_json::from_slice(&out).unwrap();
    assert!(d.complete);
}

#[test]
fn a_batch_line_allocates_nothing_beyond_its_text_values() {
    let (engine, at, cases) = setup();
    let expected: u64 = cases
        .iter()
        .map(|c| shared_values(engine.policy(), c))
        .sum();
    // A fresh `Case` per record costs its slot vector too; a reused one does not.
    let mut case = pol::Case::default();
    pol::eval::decode_case_into(engine.policy(), &cases[0], &mut case).unwrap();
    let decode = allocations(|| {
        for c in &cases {
            assert!(pol::eval::decode_case_into(engine.policy(), c, &mut case).is_ok());
        }
    });
    assert_eq!(decode, expected, "decoding the 60 cases into a reused Case");
    let mut evaluator = engine.evaluator();
    let mut out = Vec::new();
    for _ in 0..2 {
        batch_round(&mut evaluator, at, &cases, &mut out);
    }
    for round in 0..5 {
        let n = allocations(|| batch_round(&mut evaluator, at, &cases, &mut out));
        assert_eq!(
            n,
            expected + EVALUATE_PER_CASE * cases.len() as u64,
            "round {round}: {n} allocations for 60 lines"
        );
    }
}
