//! Rules: conditions, effects and `overrides`.

use super::error::CheckError;
use super::ids::{ActionId, IdVec, RuleId, TableId};
use super::ir::*;
use super::{Checker, OutputDecl};
use crate::diagnostic::did_you_mean;
use crate::span::Span;
use crate::syntax::ast::{self, EffectKind, ExprKind, Ident, Item};
use crate::types::Type;
use std::collections::HashMap;

impl Checker<'_> {
    /// The rules, table rows included, and the tables.
    pub(super) fn rules(
        &mut self,
        file: &ast::File,
    ) -> (IdVec<RuleId, RuleDef>, IdVec<TableId, TableDef>) {
        // Pass 1: names → rule indices (a table owns one rule per row).
        let mut names: HashMap<String, (Vec<RuleId>, Span)> = HashMap::new();
        let mut next = 0;
        for item in &file.items {
            let (id, count) = match item {
                Item::Rule(r) => (&r.name, 1),
                Item::Table(t) => (&t.name, t.rows.len()),
                _ => continue,
            };
            let indices: Vec<RuleId> = (next..next + count).map(RuleId::new).collect();
            next += count;
            if let Some((_, first)) = names.get(&id.name) {
                self.err(CheckError::Duplicate {
                    span: id.span,
                    first: *first,
                    name: id.name.clone(),
                    kind: "rule",
                });
                continue;
            }
            names.insert(id.name.clone(), (indices, id.span));
        }

        // Pass 2: bodies.
        let mut rules: IdVec<RuleId, RuleDef> = IdVec::new();
        let mut tables: IdVec<TableId, TableDef> = IdVec::new();
        let mut overrides: Vec<(Vec<RuleId>, &Vec<Ident>)> = Vec::new();
        let mut first_hit: Vec<Vec<RuleId>> = Vec::new();
        for item in &file.items {
            match item {
                Item::Rule(r) => {
                    let rule = self.rule(r);
                    let index = rules.push(rule);
                    overrides.push((vec![index], &r.overrides));
                }
                Item::Table(t) => {
                    let (rows, mut table) = self.table(t);
                    let first = table.first;
                    let indices: Vec<RuleId> = rows.into_iter().map(|r| rules.push(r)).collect();
                    table.rows.clone_from(&indices);
                    tables.push(table);
                    // Keep indices aligned with pass 1 even if a table produced fewer rows.
                    for _ in indices.len()..t.rows.len() {
                        rules.push(placeholder_rule(t.span));
                    }
                    if first {
                        first_hit.push(indices.clone());
                    }
                    overrides.push((indices, &t.overrides));
                }
                _ => {}
            }
        }

        // Pass 3: overrides.
        let mut edges: Vec<(RuleId, RuleId, Span)> = Vec::new();
        for (winners, targets) in overrides {
            for target in targets {
                let Some((losers, _)) = names.get(&target.name) else {
                    let candidates: Vec<&str> = names.keys().map(String::as_str).collect();
                    let suggestion = did_you_mean(&target.name, candidates);
                    self.err(CheckError::UnknownRule {
                        span: target.span,
                        name: target.name.clone(),
                        suggestion,
                    });
                    continue;
                };
                for w in &winners {
                    for l in losers {
                        edges.push((*w, *l, target.span));
                    }
                }
            }
        }
        for rows in first_hit {
            for (i, later) in rows.iter().enumerate() {
                for earlier in rows.iter().take(i) {
                    if let Some(r) = rules.get_mut(*later) {
                        r.overridden_by.push(*earlier);
                    }
                }
            }
        }
        for (w, l, span) in &edges {
            if w == l {
                let name = rules.get(*w).map(|r| r.name.clone()).unwrap_or_default();
                self.err(CheckError::OverrideCycle {
                    span: *span,
                    cycle: vec![name.clone(), name],
                });
                continue;
            }
            if let Some(r) = rules.get_mut(*l) {
                if !r.overridden_by.contains(w) {
                    r.overridden_by.push(*w);
                }
            }
        }
        self.override_cycles(&rules, &edges);
        (rules, tables)
    }

    fn override_cycles(
        &mut self,
        rules: &IdVec<RuleId, RuleDef>,
        edges: &[(RuleId, RuleId, Span)],
    ) {
        // winner → losers; a cycle means a rule (indirectly) overrides itself.
        let mut adj: HashMap<RuleId, Vec<(RuleId, Span)>> = HashMap::new();
        for (w, l, s) in edges {
            if w != l {
                adj.entry(*w).or_default().push((*l, *s));
            }
        }
        let mut state = IdVec::from_elem(0u8, rules.len());
        for start in rules.ids() {
            let mut path = Vec::new();
            if let Some((span, cycle)) = dfs_cycle(start, &adj, &mut state, &mut path) {
                let names = cycle
                    .iter()
                    .filter_map(|i| rules.get(*i).map(|r| r.name.clone()))
                    .collect();
                self.err(CheckError::OverrideCycle { span, cycle: names });
                return;
            }
        }
    }

    fn rule(&mut self, r: &ast::RuleDecl) -> RuleDef {
        let cond = r.when.as_ref().map(|w| self.condition(w));
        let effects = self.effects(&r.effects);
        if let Some(v) = &r.valid {
            self.validity_order(v);
        }
        RuleDef {
            name: r.name.name.clone(),
            quote: r.quote.as_ref().map(|q| q.value.clone()),
            location: self.location(r.name.span),
            span: r.name.span,
            cond,
            overridden_by: Vec::new(),
            effects,
            valid_from: r.valid.as_ref().and_then(|v| v.from.map(|d| d.0)),
            valid_until: r.valid.as_ref().and_then(|v| v.until.map(|d| d.0)),
        }
    }

    /// Resolves an output name for an effect; reports unknown names and wrong kinds.
    pub(super) fn output(
        &mut self,
        id: &Ident,
        effect: &'static str,
        expected: &'static str,
        ok: impl Fn(OutputDecl) -> bool,
    ) -> Option<OutputDecl> {
        let is_due = effect == "due";
        let key = if is_due {
            super::deadline_key(&id.name)
        } else {
            id.name.clone()
        };
        match self.outputs.get(&key).copied() {
            Some((d, decl)) => {
                if ok(d) {
                    self.used_outputs.insert(key);
                    Some(d)
                } else {
                    self.err(CheckError::WrongOutputKind {
                        span: id.span,
                        name: id.name.clone(),
                        effect,
                        found: d.kind(),
                        expected,
                        decl,
                    });
                    None
                }
            }
            None => {
                let candidates = super::visible_names(self.outputs.keys().cloned(), is_due);
                let suggestion = did_you_mean(&id.name, candidates.iter().map(String::as_str));
                self.err(CheckError::UnknownOutput {
                    span: id.span,
                    name: id.name.clone(),
                    effect,
                    suggestion,
                });
                None
            }
        }
    }

    fn effects(&mut self, effects: &[ast::Effect]) -> Vec<CEffect> {
        let mut out = Vec::new();
        let mut required: HashMap<ActionId, Span> = HashMap::new();
        let mut forbidden: HashMap<ActionId, Span> = HashMap::new();
        let mut set: HashMap<String, Span> = HashMap::new();
        for e in effects {
            match &e.kind {
                EffectKind::Ask(ids) => {
                    for id in ids {
                        if let Some(OutputDecl::Question(q)) =
                            self.output(id, "ask", "a question", |d| {
                                matches!(d, OutputDecl::Question(_))
                            })
                        {
                            out.push(CEffect::Ask(q));
                        }
                    }
                }
                EffectKind::Require(ids) => {
                    for id in ids {
                        match self.output(id, "require", "an action or a ticket field", |d| {
                            matches!(d, OutputDecl::Action(_) | OutputDecl::Field(_))
                        }) {
                            Some(OutputDecl::Action(a)) => {
                                if let Some(f) = forbidden.get(&a) {
                                    self.err(CheckError::RequireAndForbid {
                                        span: *f,
                                        other: id.span,
                                        action: id.name.clone(),
                                    });
                                }
                                required.insert(a, id.span);
                                out.push(CEffect::Require(a));
                            }
                            Some(OutputDecl::Field(f)) => out.push(CEffect::RequireField(f)),
                            _ => {}
                        }
                    }
                }
                EffectKind::Allow(ids) | EffectKind::Forbid(ids) => {
                    let forbid = matches!(e.kind, EffectKind::Forbid(_));
                    let word = if forbid { "forbid" } else { "allow" };
                    for id in ids {
                        if let Some(OutputDecl::Action(a)) =
                            self.output(id, word, "an action", |d| {
                                matches!(d, OutputDecl::Action(_))
                            })
                        {
                            if forbid {
                                if let Some(r) = required.get(&a) {
                                    self.err(CheckError::RequireAndForbid {
                                        span: id.span,
                                        other: *r,
                                        action: id.name.clone(),
                                    });
                                }
                                forbidden.insert(a, id.span);
                                out.push(CEffect::Forbid(a));
                            } else {
                                out.push(CEffect::Allow(a));
                            }
                        }
                    }
                }
                EffectKind::Say(ids) => {
                    for id in ids {
                        if let Some(OutputDecl::Script(s)) =
                            self.output(id, "say", "a script", |d| {
                                matches!(d, OutputDecl::Script(_))
                            })
                        {
                            out.push(CEffect::Say(s));
                        }
                    }
                }
                EffectKind::Set(id, value) => {
                    if let Some(first) = set.get(&id.name) {
                        self.err(CheckError::SetTwice {
                            span: id.span,
                            other: *first,
                            target: id.name.clone(),
                        });
                    }
                    set.insert(id.name.clone(), id.span);
                    let target = self.output(id, "set", "an outcome or a ticket field", |d| {
                        matches!(d, OutputDecl::Outcome(_) | OutputDecl::Field(_))
                    });
                    let ty = match target {
                        Some(OutputDecl::Outcome(o)) => Some(self.outcomes[o].ty.clone()),
                        Some(OutputDecl::Field(f)) => Some(self.fields[f].ty.clone()),
                        _ => None,
                    };
                    let (c, t) = self.expr(value, ty.as_ref());
                    if let Some(ty) = &ty {
                        if !ty.accepts(&t) {
                            self.err(CheckError::SetMismatch {
                                span: value.span,
                                target: id.name.clone(),
                                expected: ty.clone(),
                                found: t,
                            });
                        }
                    }
                    match target {
                        Some(OutputDecl::Outcome(o)) => out.push(CEffect::SetOutcome(o, c)),
                        Some(OutputDecl::Field(f)) => out.push(CEffect::SetField(f, c)),
                        _ => {}
                    }
                }
                EffectKind::DueWithin {
                    deadline,
                    duration,
                    after,
                } => {
                    let d = self.output(deadline, "due", "a deadline", |d| {
                        matches!(d, OutputDecl::Deadline(_))
                    });
                    let (dur, working) = match &duration.kind {
                        ExprKind::Duration {
                            amount,
                            unit,
                            working: true,
                        } => {
                            let (n, working) = self.working_amount(duration.span, *amount, *unit);
                            (CExpr::Const(crate::value::Value::Duration(n)), working)
                        }
                        _ => {
                            let (c, t) = self.expr(duration, None);
                            if !Type::Duration.accepts(&t) {
                                self.err(CheckError::DueType {
                                    span: duration.span,
                                    expected: "a duration",
                                    found: t,
                                });
                            }
                            (c, Working::No)
                        }
                    };
                    let (after_c, at) = self.expr(after, None);
                    if !Type::DateTime.accepts(&at) {
                        self.err(CheckError::DueType {
                            span: after.span,
                            expected: "a date and time",
                            found: at,
                        });
                    }
                    if let Some(OutputDecl::Deadline(d)) = d {
                        out.push(CEffect::DueWithin {
                            deadline: d,
                            duration: dur,
                            working,
                            after: after_c,
                        });
                    }
                }
                EffectKind::DueBy { deadline, at } => {
                    let d = self.output(deadline, "due", "a deadline", |d| {
                        matches!(d, OutputDecl::Deadline(_))
                    });
                    let (c, t) = self.expr(at, None);
                    if !Type::DateTime.accepts(&t) {
                        self.err(CheckError::DueType {
                            span: at.span,
                            expected: "a date and time",
                            found: t,
                        });
                    }
                    if let Some(OutputDecl::Deadline(d)) = d {
                        out.push(CEffect::DueBy { deadline: d, at: c });
                    }
                }
                EffectKind::Open { target, reason } => {
                    let t = match target {
                        None => None,
                        Some(id) => match self.outputs.get(&id.name).copied() {
                            Some((OutputDecl::Action(a), _)) => {
                                self.used_outputs.insert(id.name.clone());
                                Some(OpenTarget::Action(a))
                            }
                            Some((OutputDecl::Outcome(o), _)) => {
                                self.used_outputs.insert(id.name.clone());
                                Some(OpenTarget::Outcome(o))
                            }
                            Some((d, _)) => {
                                self.err(CheckError::OpenBadTarget {
                                    span: id.span,
                                    name: id.name.clone(),
                                    kind: d.kind(),
                                });
                                None
                            }
                            None => {
                                self.output(id, "open", "an action or an outcome", |_| false);
                                None
                            }
                        },
                    };
                    out.push(CEffect::Open {
                        target: t,
                        reason: reason.value.clone(),
                    });
                }
            }
        }
        out
    }
}

pub(super) fn placeholder_rule(span: Span) -> RuleDef {
    RuleDef {
        name: String::new(),
        quote: None,
        location: String::new(),
        span,
        cond: Some(CExpr::Const(crate::value::Value::Bool(false))),
        overridden_by: Vec::new(),
        effects: Vec::new(),
        valid_from: None,
        valid_until: None,
    }
}

fn dfs_cycle(
    node: RuleId,
    adj: &HashMap<RuleId, Vec<(RuleId, Span)>>,
    state: &mut IdVec<RuleId, u8>,
    path: &mut Vec<RuleId>,
) -> Option<(Span, Vec<RuleId>)> {
    match state.get(node) {
        Some(2) | None => return None,
        Some(1) => {
            let pos = path.iter().position(|p| *p == node).unwrap_or(0);
            let mut cycle = path.get(pos..).unwrap_or(&[]).to_vec();
            cycle.push(node);
            return Some((Span::default(), cycle));
        }
        _ => {}
    }
    if let Some(s) = state.get_mut(node) {
        *s = 1;
    }
    path.push(node);
    for (next, span) in adj.get(&node).cloned().unwrap_or_default() {
        if let Some((s, c)) = dfs_cycle(next, adj, state, path) {
            return Some((if s == Span::default() { span } else { s }, c));
        }
    }
    path.pop();
    if let Some(s) = state.get_mut(node) {
        *s = 2;
    }
    None
}
