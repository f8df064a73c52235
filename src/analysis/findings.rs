//! The questions the analysis asks about a policy, and the diagnostics it reports.

use super::domain::{vars_of, Domains};
use super::search::{Found, Point, Search, Sparse, Q};
use super::witness::{cites, Witness};
use super::{codes, Finding, Options, Stats};
use crate::check::ids::*;
use crate::check::ir::*;
use crate::diagnostic::Diagnostic;
use crate::eval::decision::{Decision, OutcomeStatus, UndecidedReason};
use crate::span::Span;
use std::collections::BTreeSet;

mod tables;

/// An output that rules set to a value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Valued {
    Outcome(OutcomeId),
    Field(FieldId),
}

pub(super) struct Analyser<'a> {
    policy: &'a Policy,
    /// Confirms witnesses the way `pol eval` would; made on the first one.
    engine: Option<crate::eval::Engine>,
    opts: &'a Options,
    search: Search<'a>,
    pub stats: Stats,
    rule_vars: IdVec<RuleId, BTreeSet<usize>>,
    /// The table each rule is a row of, if it is one.
    table_of: IdVec<RuleId, Option<TableId>>,
    /// Whether each rule can fire at all (filled in by the dead-rule check).
    /// Kept sparse (only the facts set): one per rule, so a dense point each
    /// would take rules × facts memory.
    fires_at_all: IdVec<RuleId, Option<Sparse>>,
    effective_at_all: IdVec<RuleId, Option<Sparse>>,
    pub findings: Vec<Finding>,
    /// The check under way (where, and what), named if the work limit stops it.
    about: (Span, String),
    /// Checks the work limit stopped, in order, each once.
    pub not_checked: Vec<(Span, String)>,
    /// Checks that found no case but cannot prove that none exists, each
    /// once, with the facts (analysis indices) whose values were approximated.
    pub not_exact: Vec<(Span, String, BTreeSet<usize>)>,
    /// Cases found that the evaluator did not confirm.
    pub unconfirmed_checks: Vec<(Span, String)>,
}

impl<'a> Analyser<'a> {
    pub fn new(policy: &'a Policy, dom: &'a Domains, opts: &'a Options) -> Analyser<'a> {
        let at = policy.facts.len();
        let policy_window = policy.meta.valid_from.is_some() || policy.meta.valid_until.is_some();
        let rule_vars = policy
            .rules
            .iter()
            .map(|r| {
                let mut v = BTreeSet::new();
                if let Some(c) = &r.cond {
                    vars_of(policy, c, &mut v);
                }
                if policy_window || r.valid_from.is_some() || r.valid_until.is_some() {
                    v.insert(at);
                }
                v
            })
            .collect();
        let mut table_of = IdVec::from_elem(None, policy.rules.len());
        for (ti, t) in policy.tables.iter_enumerated() {
            for r in &t.rows {
                table_of[*r] = Some(ti);
            }
        }
        Analyser {
            policy,
            engine: None,
            opts,
            table_of,
            search: {
                let mut s = Search::new(policy, dom, opts.max_nodes);
                s.deadline = opts.max_time.map(|t| std::time::Instant::now() + t);
                s
            },
            stats: Stats::default(),
            rule_vars,
            fires_at_all: IdVec::from_elem(None, policy.rules.len()),
            effective_at_all: IdVec::from_elem(None, policy.rules.len()),
            findings: Vec::new(),
            about: (Span::default(), String::new()),
            not_checked: Vec::new(),
            not_exact: Vec::new(),
            unconfirmed_checks: Vec::new(),
        }
    }

    /// Names the check the next questions belong to.
    fn about(&mut self, span: Span, what: String) {
        self.about = (span, what);
    }

    /// Records that the current check was not (fully) done.
    fn not_done(&mut self) {
        if !self.not_checked.iter().any(|(_, w)| *w == self.about.1) {
            self.not_checked.push(self.about.clone());
        }
    }

    /// `false` once the work limit of the whole policy is reached: the current
    /// check is then recorded as not done, and counted as skipped.
    fn go_on(&mut self) -> bool {
        if self.budget_left() {
            return true;
        }
        self.stats.skipped += 1;
        self.not_done();
        false
    }

    fn rule(&self, r: RuleId) -> &'a RuleDef {
        &self.policy.rules[r]
    }

    fn name(&self, r: RuleId) -> String {
        self.rule(r).name.clone()
    }

    fn span(&self, r: RuleId) -> Span {
        self.rule(r).span
    }

    /// The name `overrides` accepts for a rule: a table row is overridden through its table.
    fn override_name(&self, r: RuleId) -> String {
        match self.table_of[r] {
            Some(t) => self.policy.tables[t].name.clone(),
            None => self.name(r),
        }
    }

    fn vars_fires(&self, r: RuleId) -> BTreeSet<usize> {
        self.rule_vars[r].clone()
    }

    fn vars_eff(&self, r: RuleId) -> BTreeSet<usize> {
        let mut v = self.vars_fires(r);
        for o in &self.rule(r).overridden_by {
            v.extend(self.vars_fires(*o));
        }
        v
    }

    fn budget_left(&self) -> bool {
        self.search.total_nodes < self.opts.max_total && !self.search.timed_out
    }

    /// Whether the analysis stopped at its wall-clock limit.
    pub fn timed_out(&self) -> bool {
        self.search.timed_out
    }

    /// Runs one question, counting it.
    fn ask(&mut self, q: &Q, vars: &BTreeSet<usize>) -> Found {
        if !self.budget_left() {
            self.stats.skipped += 1;
            self.not_done();
            return Found::GaveUp;
        }
        self.stats.questions += 1;
        let f = self.search.find(q, vars);
        match &f {
            Found::GaveUp => {
                self.stats.skipped += 1;
                self.not_done();
            }
            Found::Nothing { exact: false } => {
                self.stats.inexact += 1;
                let vars: BTreeSet<usize> = self.search.inexact_branched().into_iter().collect();
                match self
                    .not_exact
                    .iter_mut()
                    .find(|(_, w, _)| *w == self.about.1)
                {
                    Some((_, _, v)) => v.extend(vars),
                    None => self
                        .not_exact
                        .push((self.about.0, self.about.1.clone(), vars)),
                }
            }
            _ => {}
        }
        self.stats.nodes = self.search.total_nodes;
        f
    }

    /// Two rows of one table: overlaps are reported as such (A0007), not as conflicts.
    fn same_table(&self, a: RuleId, b: RuleId) -> bool {
        self.table_of[a].is_some() && self.table_of[a] == self.table_of[b]
    }

    fn overrides(&self, winner: RuleId, loser: RuleId) -> bool {
        self.rule(loser).overridden_by.contains(&winner)
    }

    fn push(&mut self, d: Diagnostic, w: Option<Witness>) {
        let mut d = d;
        d.counterexample = w.as_ref().map(|w| w.counterexample(self.policy));
        self.findings.push(Finding {
            diagnostic: d,
            witness: w,
        });
    }

    /// The evaluator counterexamples are confirmed with, made on first use.
    fn engine(&mut self) -> &crate::eval::Engine {
        let policy = self.policy;
        self.engine
            .get_or_insert_with(|| crate::eval::Engine::new(policy.clone()))
    }

    /// A witness that the evaluator confirms; `None` (and counted) otherwise.
    fn confirmed(&mut self, p: &Point, check: impl Fn(&Decision) -> bool) -> Option<Witness> {
        let w = Witness::from_point(self.policy, p);
        match w.evaluate(self.engine()) {
            Some(d) if check(&d) => Some(w),
            _ => {
                self.stats.unconfirmed += 1;
                if !self
                    .unconfirmed_checks
                    .iter()
                    .any(|(_, w)| *w == self.about.1)
                {
                    self.unconfirmed_checks.push(self.about.clone());
                }
                None
            }
        }
    }

    // ------------------------------------------------------------ conflicts

    pub fn action_conflicts(&mut self) {
        let policy = self.policy;
        for (ai, action) in policy.actions.iter_enumerated() {
            let (mut req, mut forbid, mut open) = (Vec::new(), Vec::new(), Vec::new());
            for (ri, r) in policy.rules.iter_enumerated() {
                for e in &r.effects {
                    match e {
                        CEffect::Require(a) if *a == ai => req.push(ri),
                        CEffect::Forbid(a) if *a == ai => forbid.push(ri),
                        CEffect::Open {
                            target: Some(OpenTarget::Action(a)),
                            ..
                        } if *a == ai => open.push(ri),
                        _ => {}
                    }
                }
            }
            let mut found: Vec<(RuleId, RuleId, Witness)> = Vec::new();
            if let Some(r) = req.first() {
                let about = format!(
                    "whether `{}` can be required and forbidden at once",
                    action.name
                );
                self.about(self.span(*r), about);
            }
            'pairs: for &r1 in &req {
                for &r2 in &forbid {
                    if !self.go_on() {
                        break 'pairs;
                    }
                    if r1 == r2
                        || self.same_table(r1, r2)
                        || self.overrides(r1, r2)
                        || self.overrides(r2, r1)
                    {
                        continue;
                    }
                    let mut items = vec![Q::Eff(r1), Q::Eff(r2)];
                    let mut vars = self.vars_eff(r1);
                    vars.extend(self.vars_eff(r2));
                    for o in &open {
                        items.push(Q::not(Q::Eff(*o)));
                        vars.extend(self.vars_eff(*o));
                    }
                    let q = Q::And(items);
                    let Found::Witness(p) = self.ask(&q, &vars) else {
                        continue;
                    };
                    let p = self.search.prettify(&q, p);
                    let name = action.name.clone();
                    if let Some(w) = self.confirmed(&p, |d| {
                        d.actions
                            .iter()
                            .any(|a| a.id == name && a.reason == Some(UndecidedReason::Conflict))
                    }) {
                        found.push((r1, r2, w));
                    }
                }
            }
            let mut found = found.into_iter();
            let Some((r1, r2, w)) = found.next() else {
                continue;
            };
            let (first, second) = (r1.min(r2), r1.max(r2));
            let verb = |r: RuleId| if r == r1 { "requires" } else { "forbids" };
            let mut d = Diagnostic::error(
                codes::CONFLICT,
                format!(
                    "`{}` can be required and forbidden at once: rules `{}` and `{}` both apply and no `overrides` says which wins",
                    action.name,
                    self.name(first),
                    self.name(second)
                ),
            )
            .primary(self.span(second), format!("{} `{}`", verb(second), action.name))
            .secondary(self.span(first), format!("{} `{}`", verb(first), action.name))
            .help(format!(
                "say which rule wins: `rule {} overrides {}` (or the reverse), or make the two conditions exclude each other",
                self.name(second),
                self.override_name(first)
            ));
            let others: Vec<String> = found
                .map(|(a, b, _)| format!("`{}` and `{}`", self.name(a), self.name(b)))
                .collect();
            if !others.is_empty() {
                d = d.note(format!(
                    "`{}` can also be required and forbidden at once by {}",
                    action.name,
                    others.join(", ")
                ));
            }
            self.push(d, Some(w));
        }
    }

    pub fn value_conflicts(&mut self) {
        let policy = self.policy;
        // Per output: the rules that set it (with the value), and those that leave it open.
        type Setters<'e> = Vec<(RuleId, &'e CExpr)>;
        let mut targets: Vec<(Valued, Setters<'a>, Vec<RuleId>)> = Vec::new();
        for o in policy.outcomes.ids() {
            targets.push((Valued::Outcome(o), Vec::new(), Vec::new()));
        }
        for f in policy.fields.ids() {
            targets.push((Valued::Field(f), Vec::new(), Vec::new()));
        }
        for (ri, r) in policy.rules.iter_enumerated() {
            for e in &r.effects {
                let (key, v) = match e {
                    CEffect::SetOutcome(o, v) => (Valued::Outcome(*o), Some(v)),
                    CEffect::SetField(f, v) => (Valued::Field(*f), Some(v)),
                    CEffect::Open {
                        target: Some(OpenTarget::Outcome(o)),
                        ..
                    } => (Valued::Outcome(*o), None),
                    _ => continue,
                };
                if let Some(t) = targets.iter_mut().find(|t| t.0 == key) {
                    match v {
                        Some(v) => t.1.push((ri, v)),
                        None => t.2.push(ri),
                    }
                }
            }
        }
        for (target, sets, open) in targets {
            let (kind, name) = match target {
                Valued::Outcome(o) => ("outcome", policy.outcomes[o].name.clone()),
                Valued::Field(f) => ("ticket field", policy.fields[f].name.clone()),
            };
            let mut found: Vec<(RuleId, RuleId, Witness)> = Vec::new();
            if let Some((r, _)) = sets.first() {
                self.about(
                    self.span(*r),
                    format!("whether {kind} `{name}` can get two values at once"),
                );
            }
            'pairs: for (i, (r1, v1)) in sets.iter().enumerate() {
                for (r2, v2) in sets.iter().skip(i + 1) {
                    if !self.go_on() {
                        break 'pairs;
                    }
                    if r1 == r2
                        || self.same_table(*r1, *r2)
                        || self.overrides(*r1, *r2)
                        || self.overrides(*r2, *r1)
                    {
                        continue;
                    }
                    if let (CExpr::Const(a), CExpr::Const(b)) = (v1, v2) {
                        if a.equals(b) {
                            continue;
                        }
                    }
                    let differ = CExpr::Cmp(
                        crate::syntax::ast::CmpOp::Ne,
                        Box::new((*v1).clone()),
                        Box::new((*v2).clone()),
                    );
                    let mut vars = self.vars_eff(*r1);
                    vars.extend(self.vars_eff(*r2));
                    vars_of(policy, &differ, &mut vars);
                    let mut items = vec![Q::Eff(*r1), Q::Eff(*r2), Q::Expr(differ)];
                    for o in &open {
                        items.push(Q::not(Q::Eff(*o)));
                        vars.extend(self.vars_eff(*o));
                    }
                    let q = Q::And(items);
                    let Found::Witness(p) = self.ask(&q, &vars) else {
                        continue;
                    };
                    let p = self.search.prettify(&q, p);
                    let (n1, n2) = (self.name(*r1), self.name(*r2));
                    if let Some(w) = self.confirmed(&p, |d| match target {
                        Valued::Outcome(_) => d
                            .outcome_details
                            .iter()
                            .any(|o| o.id == name && o.reason == Some(UndecidedReason::Conflict)),
                        Valued::Field(_) => d.ticket_fields.iter().any(|f| {
                            f.id == name
                                && f.value.is_none()
                                && f.because.iter().any(|b| b.rule == n1)
                                && f.because.iter().any(|b| b.rule == n2)
                        }),
                    }) {
                        found.push((*r1, *r2, w));
                    }
                }
            }
            let mut found = found.into_iter();
            let Some((r1, r2, w)) = found.next() else {
                continue;
            };
            let (n1, n2) = (self.name(r1), self.name(r2));
            let mut d = Diagnostic::error(
                codes::VALUE_CONFLICT,
                format!(
                    "{kind} `{name}` can get two different values at once: rules `{n1}` and `{n2}` both apply and no `overrides` says which wins"
                ),
            )
            .primary(self.span(r2), format!("sets `{name}`"))
            .secondary(self.span(r1), format!("sets `{name}` to another value"))
            .help(format!(
                "say which rule wins: `rule {n2} overrides {}` (or the reverse), or make the two conditions exclude each other",
                self.override_name(r1)
            ));
            let others: Vec<String> = found
                .map(|(a, b, _)| format!("`{}` and `{}`", self.name(a), self.name(b)))
                .collect();
            if !others.is_empty() {
                d = d.note(format!(
                    "`{name}` can also get two values at once from {}",
                    others.join(", ")
                ));
            }
            self.push(d, Some(w));
        }
    }

    // ------------------------------------------------------------ gaps

    pub fn gaps(&mut self, must_decide: &[(MustDecide, Span)]) {
        let policy = self.policy;
        for (target, span) in must_decide {
            let (kind, name, has_default) = match target {
                MustDecide::Action(a) => {
                    let x = &policy.actions[*a];
                    ("action", x.name.clone(), x.default.is_some())
                }
                MustDecide::Outcome(o) => {
                    let x = &policy.outcomes[*o];
                    ("outcome", x.name.clone(), x.default.is_some())
                }
            };
            if has_default {
                continue;
            }
            let rules: Vec<RuleId> = policy
                .rules
                .iter_enumerated()
                .filter(|(_, r)| {
                    r.effects.iter().any(|e| match (e, target) {
                        (
                            CEffect::Require(a) | CEffect::Allow(a) | CEffect::Forbid(a),
                            MustDecide::Action(t),
                        ) => a == t,
                        (
                            CEffect::Open {
                                target: Some(OpenTarget::Action(a)),
                                ..
                            },
                            MustDecide::Action(t),
                        ) => a == t,
                        (CEffect::SetOutcome(o, _), MustDecide::Outcome(t)) => o == t,
                        (
                            CEffect::Open {
                                target: Some(OpenTarget::Outcome(o)),
                                ..
                            },
                            MustDecide::Outcome(t),
                        ) => o == t,
                        _ => false,
                    })
                })
                .map(|(i, _)| i)
                .collect();
            let mut items = vec![Q::Window];
            let mut vars = BTreeSet::new();
            if policy.meta.valid_from.is_some() || policy.meta.valid_until.is_some() {
                vars.insert(policy.facts.len());
            }
            for r in &rules {
                items.push(Q::not(Q::Eff(*r)));
                vars.extend(self.vars_eff(*r));
            }
            let q = Q::And(items);
            self.about(*span, format!("whether {kind} `{name}` is always decided"));
            let Found::Witness(p) = self.ask(&q, &vars) else {
                continue;
            };
            let p = self.search.prettify(&q, p);
            let is_action = matches!(target, MustDecide::Action(_));
            let Some(w) = self.confirmed(&p, |d| {
                if is_action {
                    d.actions
                        .iter()
                        .any(|a| a.id == name && a.reason == Some(UndecidedReason::NoRule))
                } else {
                    d.outcome_details
                        .iter()
                        .any(|o| o.id == name && o.status == OutcomeStatus::Unset)
                }
            }) else {
                continue;
            };
            let mut d = Diagnostic::error(
                codes::GAP,
                format!("{kind} `{name}` must be decided, but no rule decides it for some cases"),
            )
            .primary(*span, "declared `must decide`".to_string());
            for r in rules.iter().take(3) {
                d = d.secondary(self.span(*r), "does not decide it in the counterexample");
            }
            let help = if is_action {
                format!("add a rule for these cases (`require`, `allow`, `forbid` or `open {name} \"why\"`), or give the action a `default`")
            } else {
                format!("add a rule for these cases (`set {name} = …` or `open {name} \"why\"`), or give the outcome a `default`")
            };
            self.push(d.help(help), Some(w));
        }
    }

    // ------------------------------------------------------------ dead and shadowed rules

    pub fn dead_rules(&mut self) {
        let policy = self.policy;
        for (ri, r) in policy.rules.iter_enumerated() {
            if r.name.is_empty() || matches!(r.cond, Some(CExpr::Const(_))) {
                continue;
            }
            self.about(r.span, format!("whether rule `{}` can apply", r.name));
            if !self.go_on() {
                break;
            }
            let vars = self.vars_fires(ri);
            match self.ask(&Q::Fires(ri), &vars) {
                Found::Witness(p) => {
                    let p = self.search.prettify(&Q::Fires(ri), p);
                    self.fires_at_all[ri] = Some(Sparse::of(&p));
                }
                Found::Nothing { exact: true } => {
                    let dated = r.valid_from.is_some() || r.valid_until.is_some();
                    // Would the condition alone hold, outside the dates?
                    let cond_alone = match (&r.cond, dated) {
                        (Some(c), true) => {
                            let mut v = BTreeSet::new();
                            vars_of(policy, c, &mut v);
                            matches!(self.ask(&Q::Expr(c.clone()), &v), Found::Witness(_))
                        }
                        _ => false,
                    };
                    let msg = if cond_alone {
                        format!("rule `{}` never applies: its condition cannot hold while the rule and the policy are valid", r.name)
                    } else {
                        format!(
                            "rule `{}` never applies: no case satisfies its condition",
                            r.name
                        )
                    };
                    let d = Diagnostic::warning(codes::DEAD, msg)
                        .primary(r.span, "no case makes this rule apply")
                        .note("checked over every combination of the values its condition can tell apart")
                        .help("compare the condition with the SOP: a part of it contradicts another part, or the validity dates exclude it");
                    self.push(d, None);
                }
                _ => {}
            }
        }
    }

    pub fn shadowed_rules(&mut self) {
        let policy = self.policy;
        for (ri, r) in policy.rules.iter_enumerated() {
            if r.overridden_by.is_empty() {
                continue;
            }
            let Some(fires) = self.fires_at_all[ri].as_ref().map(|s| s.point(policy)) else {
                continue;
            };
            self.about(
                r.span,
                format!("whether rule `{}` is always overridden", r.name),
            );
            if !self.go_on() {
                break;
            }
            let vars = self.vars_eff(ri);
            match self.ask(&Q::Eff(ri), &vars) {
                Found::Witness(p) => {
                    let p = self.search.prettify(&Q::Eff(ri), p);
                    self.effective_at_all[ri] = Some(Sparse::of(&p));
                }
                Found::Nothing { exact: true } => {
                    let name = r.name.clone();
                    let w = self.confirmed(&fires, |d| !cites(d, &name));
                    let mut d = Diagnostic::warning(
                        codes::SHADOWED,
                        format!(
                            "rule `{}` never has an effect: whenever it applies, a rule that overrides it applies too",
                            r.name
                        ),
                    )
                    .primary(r.span, "always overridden");
                    for o in &r.overridden_by {
                        d = d.secondary(self.span(*o), format!("overrides `{}`", r.name));
                    }
                    let d = d.help("remove the rule, or narrow the rules that override it if the SOP means it to apply somewhere");
                    self.push(d, w);
                }
                _ => {}
            }
        }
    }

    // ------------------------------------------------------------ redundant rules

    pub fn redundant_rules(&mut self) {
        let policy = self.policy;
        let keys: IdVec<RuleId, BTreeSet<String>> = policy
            .rules
            .iter()
            .map(|r| r.effects.iter().map(|e| format!("{e:?}")).collect())
            .collect();
        // The rules that give each effect, in order.
        let mut by_effect: std::collections::BTreeMap<&String, Vec<RuleId>> = Default::default();
        for (r, k) in keys.iter_enumerated() {
            for e in k {
                by_effect.entry(e).or_default().push(r);
            }
        }
        let overrides_something: BTreeSet<RuleId> = policy
            .rules
            .iter()
            .flat_map(|r| r.overridden_by.iter().copied())
            .collect();
        let mut reported: BTreeSet<RuleId> = BTreeSet::new();
        for (r1, rule1) in policy.rules.iter_enumerated() {
            if rule1.name.is_empty() || overrides_something.contains(&r1) {
                continue;
            }
            let k1 = &keys[r1];
            if k1.is_empty() {
                continue;
            }
            // Only rules that can have an effect at all.
            let witness = if rule1.overridden_by.is_empty() {
                self.fires_at_all[r1].as_ref()
            } else {
                self.effective_at_all[r1].as_ref()
            };
            let Some(example) = witness.map(|s| s.point(policy)) else {
                continue;
            };
            self.about(
                rule1.span,
                format!("whether rule `{}` is redundant", rule1.name),
            );
            if !self.go_on() {
                break;
            }
            // Only rules that give the rarest effect of `r1` can give all of them.
            let rarest = k1
                .iter()
                .filter_map(|k| by_effect.get(k))
                .min_by_key(|rs| rs.len())
                .cloned()
                .unwrap_or_default();
            for r2 in rarest {
                let rule2 = &policy.rules[r2];
                if r2 == r1 || rule2.name.is_empty() || reported.contains(&r2) {
                    continue;
                }
                let k2 = &keys[r2];
                if !k1.is_subset(k2) {
                    continue;
                }
                if !self.go_on() {
                    break;
                }
                // Two rules with the same effects: report only the later one.
                if k1 == k2 && r1 < r2 {
                    let mut vars = self.vars_eff(r1);
                    vars.extend(self.vars_eff(r2));
                    let q = Q::And(vec![Q::Eff(r2), Q::not(Q::Eff(r1))]);
                    if matches!(self.ask(&q, &vars), Found::Nothing { exact: true }) {
                        continue;
                    }
                }
                let mut vars = self.vars_eff(r1);
                vars.extend(self.vars_eff(r2));
                let q = Q::And(vec![Q::Eff(r1), Q::not(Q::Eff(r2))]);
                if !matches!(self.ask(&q, &vars), Found::Nothing { exact: true }) {
                    continue;
                }
                // The counterexample shows both rules applying.
                let both = Q::And(vec![Q::Eff(r1), Q::Eff(r2)]);
                let shown = match self.ask(&both, &vars) {
                    Found::Witness(p) => self.search.prettify(&both, p),
                    _ => example.clone(),
                };
                let (n1, n2) = (rule1.name.clone(), rule2.name.clone());
                let w = self.confirmed(&shown, |d| cites(d, &n1) && cites(d, &n2));
                let d = Diagnostic::warning(
                    codes::REDUNDANT,
                    format!(
                        "rule `{}` is redundant: whenever it applies, `{}` applies too and has the same effects",
                        rule1.name, rule2.name
                    ),
                )
                .primary(rule1.span, "adds nothing")
                .secondary(rule2.span, format!("already gives every effect of `{}`", rule1.name))
                .help("remove the redundant rule, or keep one rule and quote both SOP sentences in it");
                self.push(d, w);
                reported.insert(r1);
                break;
            }
        }
    }

    // ------------------------------------------------------------ examples

    pub fn coverage(&mut self) {
        let cov = super::coverage::coverage(self.policy);
        let dead: BTreeSet<Span> = self
            .findings
            .iter()
            .filter(|f| f.diagnostic.code == codes::DEAD)
            .filter_map(|f| f.diagnostic.primary_span())
            .collect();
        for rc in cov.rules.iter().filter(|r| r.examples.is_empty()) {
            if dead.contains(&self.span(rc.rule)) {
                continue;
            }
            let d = Diagnostic::error(
                codes::UNCOVERED,
                format!("rule `{}` is not exercised by any example", rc.name),
            )
            .primary(self.span(rc.rule), "no example makes this rule apply")
            .help("add an `example` whose case makes this rule apply, with the expectations the SOP gives for it");
            let w = self.fires_at_all[rc.rule]
                .as_ref()
                .map(|p| Witness::from_point(self.policy, &p.point(self.policy)));
            let d = match &w {
                Some(w) => d.note(format!(
                    "for instance, the rule applies to the case {}{}",
                    w.case_json(),
                    w.at_text(self.policy)
                        .map(|a| format!(" at {a}"))
                        .unwrap_or_default()
                )),
                None => d,
            };
            self.findings.push(Finding {
                diagnostic: d,
                witness: w,
            });
        }
    }
}

/// An output declared `must decide`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MustDecide {
    Action(ActionId),
    Outcome(OutcomeId),
}
