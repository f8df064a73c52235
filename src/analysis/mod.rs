//! Soundness analysis of a checked policy, over every possible case:
//! conflicts between rules, gaps in outputs that must always be decided, rules
//! that never apply or never matter, redundant rules, overlapping table rows
//! and cases no table row covers, and rules no example exercises.
//!
//! ```text
//! Policy ─► domain (finite candidate values per fact) ─► search (complete, pruned
//!        by three-valued evaluation) ─► findings (diagnostics A0001…) + counterexamples
//! ```
//!
//! Every finding that claims a case exists comes with that case as a JSON
//! record and an evaluation time, checked with the evaluator before it is
//! reported: `pol eval` reproduces it. Findings that claim that no case exists
//! (a rule that never applies, one always overridden, a redundant one) are
//! only reported when the candidate values are exact for every fact the
//! search had to look at, and the search finished within its work limit.

mod atoms;
pub mod coverage;
pub mod diff;
pub(crate) mod domain;
mod findings;
pub mod sarif;
mod search;
mod table_index;
mod witness;

pub use findings::MustDecide;
pub use witness::Witness;

use crate::check::ir::Policy;
use crate::diagnostic::Diagnostic;
use crate::span::Span;
use crate::Compiled;

/// The codes of the analysis diagnostics.
pub mod codes {
    /// An action can be required and forbidden at once.
    pub const CONFLICT: &str = "A0001";
    /// An outcome or ticket field can get two different values at once.
    pub const VALUE_CONFLICT: &str = "A0002";
    /// An action or outcome declared `must decide` is left undecided by every rule for some case.
    pub const GAP: &str = "A0003";
    /// A rule no case makes apply.
    pub const DEAD: &str = "A0004";
    /// A rule that is overridden whenever it applies.
    pub const SHADOWED: &str = "A0005";
    /// A rule whose effects another rule always gives too.
    pub const REDUNDANT: &str = "A0006";
    /// Two rows of a `hit unique` table apply to one case.
    pub const TABLE_OVERLAP: &str = "A0007";
    /// A rule no example exercises (`pol check --require-coverage`).
    pub const UNCOVERED: &str = "A0008";
    /// A table declared `complete` that no row covers for some case.
    pub const TABLE_INCOMPLETE: &str = "A0009";
    /// A table that no row covers for some case (a warning).
    pub const TABLE_GAP: &str = "A0010";
    /// Checks the work limit stopped: no finding either way for them.
    pub const NOT_CHECKED: &str = "W0011";
    /// Checks that found no problem without proving that there is none.
    pub const NOT_PROVED: &str = "A0011";

    /// Every code with its title.
    pub const ALL: [(&str, &str); 12] = [
        (CONFLICT, "an action can be required and forbidden at once"),
        (
            VALUE_CONFLICT,
            "an outcome or ticket field can get two different values",
        ),
        (GAP, "an output that must be decided is left undecided"),
        (DEAD, "a rule never applies"),
        (SHADOWED, "a rule is always overridden"),
        (REDUNDANT, "a rule is redundant"),
        (TABLE_OVERLAP, "rows of a `hit unique` table overlap"),
        (UNCOVERED, "a rule no example exercises"),
        (
            TABLE_INCOMPLETE,
            "a table declared `complete` has no row for some cases",
        ),
        (TABLE_GAP, "no row of a table applies to some cases"),
        (
            NOT_CHECKED,
            "the analysis stopped at its work or time limit",
        ),
        (
            NOT_PROVED,
            "a check found no problem but could not prove it",
        ),
    ];
}

/// What the analysis looks for, and how much work it may do.
#[derive(Debug, Clone)]
pub struct Options {
    /// Most search steps for one question; past it the question is skipped.
    pub max_nodes: usize,
    /// Most search steps for one policy; past it the remaining questions are skipped.
    pub max_total: usize,
    /// Most wall-clock time for one policy; past it the remaining questions are skipped.
    pub max_time: Option<std::time::Duration>,
    /// Report rules no example exercises, as errors (A0008).
    pub require_coverage: bool,
    /// Actions and outcomes (by name) that must always be decided, besides
    /// those the policy declares `must decide`.
    pub must_decide: Vec<String>,
    /// Which kinds of finding to look for (all by default).
    pub conflicts: bool,
    pub dead: bool,
    pub redundant: bool,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            max_nodes: 200_000,
            max_total: 1_000_000,
            max_time: Some(std::time::Duration::from_secs(60)),
            require_coverage: false,
            must_decide: Vec::new(),
            conflicts: true,
            dead: true,
            redundant: true,
        }
    }
}

/// One finding: the diagnostic, and the counterexample it describes, if any.
#[derive(Debug, Clone)]
pub struct Finding {
    pub diagnostic: Diagnostic,
    pub witness: Option<Witness>,
}

/// How much work the analysis did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Stats {
    /// Questions asked.
    pub questions: usize,
    /// Questions given up at the work limit (no finding either way); once the
    /// limit of the whole policy is reached, each check left counts once.
    pub skipped: usize,
    /// Questions with no witness whose candidates were not exact (no finding).
    pub inexact: usize,
    /// Witnesses the evaluator did not confirm (dropped; should stay 0).
    pub unconfirmed: usize,
    /// Search steps in total.
    pub nodes: usize,
    /// Facts (or the evaluation time) whose candidate values are not exact, with why.
    pub inexact_facts: Vec<(String, &'static str)>,
}

/// Analyses a checked policy; the findings are sorted by position.
pub fn analyse(policy: &Policy, opts: &Options) -> Vec<Finding> {
    analyse_with_stats(policy, opts).0
}

/// Like [`analyse`], with the work done.
pub fn analyse_with_stats(policy: &Policy, opts: &Options) -> (Vec<Finding>, Stats) {
    let dom = domain::domains(policy);
    let mut a = findings::Analyser::new(policy, &dom, opts);
    if opts.conflicts {
        a.action_conflicts();
        a.value_conflicts();
    }
    a.tables();
    let must: Vec<(MustDecide, Span)> = must_decide(policy, opts);
    if !must.is_empty() {
        a.gaps(&must);
    }
    if opts.dead || opts.redundant || opts.require_coverage {
        a.dead_rules();
    }
    if opts.dead || opts.redundant {
        a.shadowed_rules();
    }
    if opts.redundant {
        a.redundant_rules();
    }
    if opts.require_coverage {
        a.coverage();
    }
    let mut stats = a.stats.clone();
    let mut findings = std::mem::take(&mut a.findings);
    if let Some(d) = not_checked(
        &a.not_checked,
        a.timed_out().then_some(opts.max_time).flatten(),
    ) {
        findings.push(Finding {
            diagnostic: d,
            witness: None,
        });
    }
    if let Some(d) = not_proved(policy, &dom, &a.not_exact, &a.unconfirmed_checks) {
        findings.push(Finding {
            diagnostic: d,
            witness: None,
        });
    }
    if !opts.dead {
        findings.retain(|f| !matches!(f.diagnostic.code, codes::DEAD | codes::SHADOWED));
    }
    findings.sort_by_key(|f| {
        (
            f.diagnostic.primary_span().map(|s| s.start).unwrap_or(0),
            f.diagnostic.severity,
            f.diagnostic.code,
        )
    });
    stats.inexact_facts = dom
        .exact
        .iter()
        .enumerate()
        .filter(|(_, e)| !**e)
        .map(|(v, _)| {
            let name = match domain::var_fact(policy, v) {
                Some(f) => policy.facts[f].name.clone(),
                None => "@at".into(),
            };
            let why = dom.why.get(v).copied().flatten().unwrap_or("");
            (name, why)
        })
        .collect();
    (findings, stats)
}

/// Most checks named one by one in the work-limit warning.
const NAMED_NOT_CHECKED: usize = 5;

/// The warning that the work limit stopped some checks, naming them.
fn not_checked(left: &[(Span, String)], time: Option<std::time::Duration>) -> Option<Diagnostic> {
    let ((span, first), rest) = left.split_first()?;
    let limit = match time {
        Some(t) => format!("time limit ({} s)", t.as_secs()),
        None => "work limit".to_string(),
    };
    let mut d = Diagnostic::warning(
        codes::NOT_CHECKED,
        format!(
            "the analysis reached its {limit}: {} check{} {} not done",
            left.len(),
            if left.len() == 1 { "" } else { "s" },
            if left.len() == 1 { "was" } else { "were" },
        ),
    )
    .primary(*span, format!("not checked: {first}"));
    for (span, what) in rest.iter().take(NAMED_NOT_CHECKED - 1) {
        d = d.secondary(*span, format!("not checked: {what}"));
    }
    if left.len() > NAMED_NOT_CHECKED {
        d = d.note(format!(
            "and {} more checks were not done",
            left.len() - NAMED_NOT_CHECKED
        ));
    }
    Some(d.note("the problems reported are real, but for these checks no report does not mean no problem").help(
        "split the policy, or its largest tables and longest lists of rules, into smaller ones, and check each",
    ))
}

/// The warning that some checks found no problem without proving that there
/// is none: which checks, and which facts were approximated and why.
fn not_proved(
    policy: &Policy,
    dom: &domain::Domains,
    inexact: &[(Span, String, std::collections::BTreeSet<usize>)],
    unconfirmed: &[(Span, String)],
) -> Option<Diagnostic> {
    let mut checks: Vec<(Span, &str)> = inexact.iter().map(|(s, w, _)| (*s, w.as_str())).collect();
    for (s, w) in unconfirmed {
        if !checks.iter().any(|(_, x)| *x == w.as_str()) {
            checks.push((*s, w.as_str()));
        }
    }
    let ((span, first), rest) = checks.split_first()?;
    let count = checks.len();
    let mut d = Diagnostic::warning(
        codes::NOT_PROVED,
        format!(
            "the analysis could not decide {count} check{} exactly: it found no problem there, but that is not a proof",
            if count == 1 { "" } else { "s" }
        ),
    )
    .primary(*span, format!("not proved: {first}"));
    for (span, what) in rest.iter().take(NAMED_NOT_CHECKED - 1) {
        d = d.secondary(*span, format!("not proved: {what}"));
    }
    if count > NAMED_NOT_CHECKED {
        d = d.note(format!(
            "and {} more checks were not proved",
            count - NAMED_NOT_CHECKED
        ));
    }
    let mut vars = std::collections::BTreeSet::new();
    for (_, _, v) in inexact {
        vars.extend(v.iter().copied());
    }
    for v in vars {
        let name = match domain::var_fact(policy, v) {
            Some(f) => format!("fact `{}`", policy.facts[f].name),
            None => "the evaluation time (`now`, `today`)".to_string(),
        };
        let why = dom
            .why
            .get(v)
            .copied()
            .flatten()
            .unwrap_or("its values were approximated");
        d = d.note(format!("{name}: {why}"));
    }
    if !unconfirmed.is_empty() {
        d = d.note(
            "a case the analysis built was not confirmed by the evaluator (please report this)",
        );
    }
    Some(d.help("compare dates, times and numbers with constants or with each other up to a fixed offset (`now > assigned_at + 24 hours`), which the analysis decides exactly; otherwise cover these cases with examples. `pol check --strict` treats this warning as an error"))
}

/// The outputs that must always be decided: declared in the policy or named in the options.
fn must_decide(policy: &Policy, opts: &Options) -> Vec<(MustDecide, Span)> {
    let mut out = Vec::new();
    for (i, a) in policy.actions.iter_enumerated() {
        if let Some(span) = a.must_decide {
            out.push((MustDecide::Action(i), span));
        }
    }
    for (i, o) in policy.outcomes.iter_enumerated() {
        if let Some(span) = o.must_decide {
            out.push((MustDecide::Outcome(i), span));
        }
    }
    for name in &opts.must_decide {
        let target = if let Some((i, _)) = policy
            .actions
            .iter_enumerated()
            .find(|(_, a)| a.name == *name)
        {
            MustDecide::Action(i)
        } else if let Some((i, _)) = policy
            .outcomes
            .iter_enumerated()
            .find(|(_, o)| o.name == *name)
        {
            MustDecide::Outcome(i)
        } else {
            continue;
        };
        if !out.iter().any(|(t, _)| *t == target) {
            out.push((target, Span::default()));
        }
    }
    out
}

/// `pol check --strict`: a check the analysis could not finish (W0011) or
/// prove (A0011) is an error, so CI stops where a proof is missing.
pub fn strict(diagnostics: &mut [Diagnostic]) {
    for d in diagnostics {
        if matches!(d.code, codes::NOT_CHECKED | codes::NOT_PROVED) {
            d.severity = crate::diagnostic::Severity::Error;
            d.notes
                .push("an error because of `pol check --strict`".into());
        }
    }
}

/// A policy file checked and analysed.
#[derive(Debug, Clone)]
pub struct Checked {
    /// The policy, when it has no checker errors (analysis errors do not remove it).
    pub compiled: Option<Compiled>,
    /// Every diagnostic, checker and analysis, sorted by position.
    pub diagnostics: Vec<Diagnostic>,
    pub stats: Stats,
}

impl Checked {
    pub fn errors(&self) -> usize {
        self.diagnostics.iter().filter(|d| d.is_error()).count()
    }

    pub fn warnings(&self) -> usize {
        self.diagnostics.len() - self.errors()
    }
}

/// Parses, checks and analyses one policy file, as `pol check` does.
pub fn check_source(source: &str, file_name: &str, today: Option<i32>, opts: &Options) -> Checked {
    match crate::syntax::parse(source) {
        Ok(file) => check_parsed(&file, source, file_name, today, opts),
        Err(errors) => Checked {
            compiled: None,
            diagnostics: errors.iter().map(|e| e.to_diagnostic()).collect(),
            stats: Stats::default(),
        },
    }
}

/// Like [`check_source`], for a policy already parsed from `source` (`pol check`
/// also reads the parsed file's quotes).
pub fn check_parsed(
    file: &crate::syntax::ast::File,
    source: &str,
    file_name: &str,
    today: Option<i32>,
    opts: &Options,
) -> Checked {
    match crate::compile_parsed(file, source, file_name, today) {
        Ok(compiled) => check_compiled(compiled, opts),
        Err(diagnostics) => Checked {
            compiled: None,
            diagnostics,
            stats: Stats::default(),
        },
    }
}

/// The analysis of a policy that passed the checker: what [`check_source`] gives for
/// its source (the checker's warnings and the findings, sorted by position).
pub fn check_compiled(compiled: Compiled, opts: &Options) -> Checked {
    let (findings, stats) = analyse_with_stats(&compiled.policy, opts);
    let mut diagnostics = compiled.warnings.clone();
    diagnostics.extend(findings.into_iter().map(|f| f.diagnostic));
    diagnostics.sort_by_key(|d| (d.primary_span().map(|s| s.start).unwrap_or(0), d.severity));
    Checked {
        compiled: Some(compiled),
        diagnostics,
        stats,
    }
}

/// The candidate values of every fact and of the evaluation time, for debugging.
#[doc(hidden)]
pub fn explain_domains(policy: &Policy) -> String {
    let dom = domain::domains(policy);
    let mut out = String::new();
    for (v, c) in dom.cands.iter().enumerate() {
        let name = match domain::var_fact(policy, v) {
            Some(f) => policy.facts[f].name.clone(),
            None => "@at".into(),
        };
        let shown: Vec<String> = c
            .iter()
            .map(|x| match x {
                crate::eval::FactValue::Known(v) => crate::eval::value_json(policy, v).to_string(),
                crate::eval::FactValue::Null => "null".into(),
                crate::eval::FactValue::Absent => "-".into(),
            })
            .collect();
        out.push_str(&format!(
            "{name}{}: {}\n",
            if dom.exact.get(v).copied().unwrap_or(false) {
                ""
            } else {
                " (inexact)"
            },
            shown.join(" ")
        ));
    }
    out
}
