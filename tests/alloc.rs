//! Allocations per case in the batch path: a counting global allocator (counting
//! only on the thread that asks) over the 60 complete `dm_verification` cases
//! (`benches/data/dm_verification_complete.jsonl`).
//!
//! After a warm-up, a reused [`Evaluator`](pol::Evaluator) (what each batch worker
//! and `pol serve`'s batch route keep) turns a complete case, JSON text, into its
//! Decision JSON with no allocation of its own: the exact counts that remain, and
//! where they are made, are [`EVALUATE_PER_CASE`] and [`DECODE_ALL`].

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

/// Allocations that remain, none of them in the engine's own work:
///
/// - evaluating: 6 per case, all made by the `digits` builtin (`builtins.rs`), which
///   `dm_verification` calls for two derived facts on every case; each makes a new
///   text (a `String` collected, grown, then turned into the `Arc<str>` of a
///   `Value::Text`). Firing the rest, deciding the outputs and writing the JSON
///   allocate nothing.
/// - decoding the 60 case records: 330 (`decode_case` makes a new `Case` with its
///   slot vector for every record, and an `Arc<str>` for each text fact).
///
/// When builtins write into reused storage and the decoder fills a reused `Case`,
/// both go to 0 and so does every line of the batch.
const EVALUATE_PER_CASE: u64 = 6;
const DECODE_ALL: u64 = 330;

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
fn evaluating_a_complete_case_allocates_only_in_builtins() {
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
fn a_batch_line_allocates_nothing_beyond_decoding_and_evaluating() {
    let (engine, at, cases) = setup();
    let decode = allocations(|| {
        for c in &cases {
            assert!(pol::decode_case(engine.policy(), c).is_ok());
        }
    });
    assert_eq!(decode, DECODE_ALL, "decoding the 60 cases");
    let mut evaluator = engine.evaluator();
    let mut out = Vec::new();
    for _ in 0..2 {
        batch_round(&mut evaluator, at, &cases, &mut out);
    }
    for round in 0..5 {
        let n = allocations(|| batch_round(&mut evaluator, at, &cases, &mut out));
        assert_eq!(
            n,
            DECODE_ALL + EVALUATE_PER_CASE * cases.len() as u64,
            "round {round}: {n} allocations for 60 lines"
        );
    }
}
