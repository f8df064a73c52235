//! The evaluation engine: a checked [`Policy`] with what evaluating it needs,
//! made once, and per-worker [`Evaluator`]s that reuse their working space.
//!
//! ```text
//! case JSON ─► decode ─► fire (derived facts, rule conditions) ─► finish (overrides,
//!   Outputs) ─► refine (partial cases) ─► json_out::write ─► Decision JSON
//!                                                   └─► read back ─► Decision
//! ```
//!
//! There is one path: the [`Decision`] struct is the written JSON read back.

use super::decision::{Decision, PolicyRef, Validity, WarningOut};
use super::json_out::{self, Fragments};
use super::outputs::{Outputs, Scratch, Warning};
use super::tries::Tries;
use super::value3::V;
use super::{decode_case_into, finish, fire_into, refine, Case, CaseError, Env, Fired};
use crate::check::ids::{FactId, IdVec, LetId, RuleId};
use crate::check::ir::Policy;

/// A checked policy, ready to evaluate cases: built once, shared by every worker.
#[derive(Debug, Clone)]
pub struct Engine {
    policy: Policy,
    /// The constant pieces of the Decision JSON, escaped once.
    fragments: Fragments,
    /// [`Policy::answer_reads`], for the refinement.
    answer_read: IdVec<FactId, bool>,
    /// The answers the refinement tries, made on the first partial case that
    /// has something to settle (a complete case never needs them).
    tries: std::sync::OnceLock<Tries>,
}

impl Engine {
    pub fn new(policy: Policy) -> Engine {
        Engine {
            fragments: Fragments::new(&policy),
            answer_read: policy.answer_reads(),
            tries: std::sync::OnceLock::new(),
            policy,
        }
    }

    pub fn policy(&self) -> &Policy {
        &self.policy
    }

    fn tries(&self) -> &Tries {
        self.tries.get_or_init(|| Tries::new(&self.policy))
    }

    /// An evaluator for one worker (thread): it keeps its buffers from case to case.
    pub fn evaluator(&self) -> Evaluator<'_> {
        Evaluator {
            engine: self,
            work: Work::default(),
            at: None,
            at_json: Vec::new(),
            json: Vec::new(),
            case: Case::default(),
        }
    }

    /// Decodes a case record (JSON text) and evaluates it at `at` (seconds since
    /// the epoch). For many cases, keep an [`Evaluator`].
    pub fn evaluate_json(&self, case_json: &str, at: Option<i64>) -> Result<Decision, CaseError> {
        self.evaluator().evaluate_json(case_json, at)
    }

    /// Decodes a case record and appends its Decision, as compact JSON, to `out`.
    /// On error nothing is appended. For many cases, keep an [`Evaluator`].
    pub fn evaluate_json_into(
        &self,
        case_json: &str,
        at: Option<i64>,
        out: &mut Vec<u8>,
    ) -> Result<(), CaseError> {
        self.evaluator().evaluate_json_into(case_json, at, out)
    }

    /// Evaluates a decoded case at `at`.
    pub fn evaluate(&self, case: &Case, at: Option<i64>) -> Decision {
        self.evaluator().evaluate(case, at)
    }
}

/// The working space of one evaluation, kept for the next: the derived facts'
/// values, whether each rule fires and is effective, the outputs, the warnings.
#[derive(Debug, Default)]
struct Work {
    lets: IdVec<LetId, V>,
    fires: IdVec<RuleId, V>,
    effective: IdVec<RuleId, V>,
    warnings: Vec<Warning>,
    scratch: Scratch,
    outputs: Outputs,
    /// Per rule: whether it is behind an output (for the assumptions list).
    cited: Vec<bool>,
}

/// Evaluates cases with one [`Engine`], reusing its buffers: after the first few
/// cases, evaluating a complete case allocates nothing but what decoding it does.
/// One per worker thread.
#[derive(Debug)]
pub struct Evaluator<'e> {
    engine: &'e Engine,
    work: Work,
    /// The last evaluation time and its JSON text: most runs use one time for
    /// every case, and writing it is a fair part of writing a Decision.
    at: Option<i64>,
    at_json: Vec<u8>,
    /// The Decision JSON read back by [`Evaluator::evaluate`].
    json: Vec<u8>,
    /// The case record being evaluated, its slots reused from one record to the next.
    case: Case,
}

impl Evaluator<'_> {
    pub fn engine(&self) -> &Engine {
        self.engine
    }

    /// Decodes a case record and appends its Decision, as compact JSON, to `out`.
    /// On error nothing is appended.
    pub fn evaluate_json_into(
        &mut self,
        case_json: &str,
        at: Option<i64>,
        out: &mut Vec<u8>,
    ) -> Result<(), CaseError> {
        let mut case = std::mem::take(&mut self.case);
        let read = decode_case_into(&self.engine.policy, case_json, &mut case);
        if read.is_ok() {
            self.evaluate_into(&case, at, out);
        }
        self.case = case;
        read
    }

    /// Decodes a case record and evaluates it.
    pub fn evaluate_json(
        &mut self,
        case_json: &str,
        at: Option<i64>,
    ) -> Result<Decision, CaseError> {
        let mut case = std::mem::take(&mut self.case);
        let read = decode_case_into(&self.engine.policy, case_json, &mut case);
        let decision = read.map(|()| self.evaluate(&case, at));
        self.case = case;
        decision
    }

    /// Evaluates a decoded case and appends its Decision, as compact JSON, to `out`.
    ///
    /// A `Case` made by hand or decoded for another policy may not have one slot per
    /// fact of this one: it is evaluated as if the facts it lacks were not given
    /// (they come out pending), never read out of range.
    pub fn evaluate_into(&mut self, case: &Case, at: Option<i64>, out: &mut Vec<u8>) {
        let engine = self.engine;
        let policy = &engine.policy;
        if !case.fits(policy) {
            let fitted = case.fitted(policy);
            return self.evaluate_into(&fitted, at, out);
        }
        let w = &mut self.work;
        let mut env = Env {
            policy,
            case: &case.slots,
            at,
            lets: std::mem::take(&mut w.lets),
            warnings: std::mem::take(&mut w.warnings),
        };
        env.lets.clear();
        env.warnings.clear();
        let fired = fire_into(&mut env, None, std::mem::take(&mut w.fires));
        finish(
            &mut env,
            &fired,
            None,
            &mut w.effective,
            &mut w.scratch,
            &mut w.outputs,
        );
        let fired = Fired {
            lets: std::mem::take(&mut env.lets),
            ..fired
        };
        refine::refine(
            policy,
            &engine.answer_read,
            || engine.tries(),
            case,
            at,
            &fired,
            &mut w.outputs,
        );
        w.lets = fired.lets;
        w.fires = fired.fires;
        w.warnings = env.warnings;
        if self.at != at || self.at_json.is_empty() {
            self.at = at;
            self.at_json.clear();
            json_out::write_at(policy, at, &mut self.at_json);
        }
        json_out::write(
            policy,
            &engine.fragments,
            &self.at_json,
            &w.outputs,
            &mut w.cited,
            out,
        );
    }

    /// Evaluates a decoded case: the Decision JSON, read back.
    pub fn evaluate(&mut self, case: &Case, at: Option<i64>) -> Decision {
        let mut json = std::mem::take(&mut self.json);
        json.clear();
        self.evaluate_into(case, at, &mut json);
        let decision = serde_json::from_slice(&json)
            .unwrap_or_else(|e| unreadable(&self.engine.policy, &self.work.outputs, &e));
        self.json = json;
        decision
    }
}

/// The Decision when the written JSON does not read back, which tests rule out
/// (tests/json_writer.rs reads back every Decision of the corpus): the policy, the
/// validity and a W0102 warning that says what went wrong, and nothing decided.
fn unreadable(policy: &Policy, o: &Outputs, e: &serde_json::Error) -> Decision {
    let m = &policy.meta;
    Decision {
        schema_version: crate::contract::SchemaVersion,
        policy: PolicyRef {
            id: m.id.clone(),
            version: m.version.clone(),
            title: m.title.clone(),
            source: m.source.clone(),
        },
        at: o
            .at
            .map(|t| crate::time::format_instant(t, policy.calendar.zone.offset_at(t))),
        validity: Validity {
            status: o.validity,
            valid_from: m.valid_from.map(crate::time::format_date),
            valid_until: m.valid_until.map(crate::time::format_date),
        },
        complete: false,
        questions: Vec::new(),
        actions: Vec::new(),
        ticket_fields: Vec::new(),
        scripts: Vec::new(),
        outcomes: serde_json::Map::new(),
        outcome_details: Vec::new(),
        deadlines: Vec::new(),
        open: Vec::new(),
        assumptions: Vec::new(),
        pending: Vec::new(),
        warnings: vec![WarningOut {
            code: "W0102".into(),
            message: format!("internal error: the Decision written does not read back ({e})"),
        }],
    }
}
