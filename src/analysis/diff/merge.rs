//! One policy holding two versions side by side, so that one search can look
//! for a case on which they answer differently.
//!
//! The old version is copied as it is (its ids unchanged); the new version's
//! enums, facts, derived facts, outputs and rules are appended after it, every
//! id remapped. Facts of the same name and type are one fact, so a case is read
//! the same way by both versions; enums of the same name are one enum whose
//! values are the union of both (values by name). A fact whose type changed is
//! two facts, one per version. The merged policy has no validity window of its
//! own: each rule carries its version's window, intersected with its own.

use crate::check::ids::*;
use crate::check::ir::*;
use crate::types::Type;
use crate::value::Value;

/// How the new version's ids map into the merged policy.
pub(crate) struct Merged {
    pub policy: Policy,
    /// The new version's fact → the merged fact.
    pub new_fact: IdVec<FactId, FactId>,
    /// The new version's rules are `new_rules_from..` in the merged policy.
    pub new_rules_from: usize,
    /// Facts of the same name whose type differs: (old, new) in the merged policy.
    pub retyped: Vec<(FactId, FactId)>,
    /// Enums of both versions whose values differ: (merged enum, values only in
    /// old, values only in new).
    pub enum_changes: Vec<(EnumId, Vec<String>, Vec<String>)>,
    /// Per rule of the new version: an old rule that is effective on exactly the
    /// same cases (same condition, validity and overriding conditions), so that
    /// unchanged rules compare equal without a search.
    pub twin: Vec<Option<RuleId>>,
}

struct Map {
    enums: IdVec<EnumId, EnumId>,
    variants: IdVec<EnumId, IdVec<VariantId, VariantId>>,
    facts: IdVec<FactId, FactId>,
    lets: IdVec<LetId, LetId>,
    questions: usize,
    actions: usize,
    fields: usize,
    scripts: usize,
    outcomes: usize,
    deadlines: usize,
    rules: usize,
}

pub(crate) fn merge(old: &Policy, new: &Policy) -> Merged {
    let mut p = old.clone();
    p.examples.clear();
    p.assumptions.clear();
    p.meta.valid_from = None;
    p.meta.valid_until = None;
    for r in p.rules.iter_mut() {
        narrow(r, &old.meta);
    }

    // Enums: by name, values by name; a value only in the new one is added.
    let mut enums = IdVec::with_capacity(new.enums.len());
    let mut variants = IdVec::with_capacity(new.enums.len());
    let mut enum_changes = Vec::new();
    for e in new.enums.iter() {
        let target = match old.enums.iter_enumerated().find(|(_, o)| o.name == e.name) {
            Some((oi, _)) => oi,
            None => p.enums.push(EnumDef {
                name: e.name.clone(),
                variants: IdVec::new(),
            }),
        };
        let mut vmap = IdVec::with_capacity(e.variants.len());
        for v in e.variants.iter() {
            let merged = &mut p.enums[target];
            let vi = match merged.variant(&v.name) {
                Some(vi) => vi,
                None => merged.variants.push(v.clone()),
            };
            vmap.push(vi);
        }
        if let Some(o) = old.enums.iter().find(|o| o.name == e.name) {
            let gone: Vec<String> = o
                .variants
                .iter()
                .filter(|v| e.variant(&v.name).is_none())
                .map(|v| v.name.clone())
                .collect();
            let added: Vec<String> = e
                .variants
                .iter()
                .filter(|v| o.variant(&v.name).is_none())
                .map(|v| v.name.clone())
                .collect();
            if !gone.is_empty() || !added.is_empty() {
                enum_changes.push((target, gone, added));
            }
        }
        enums.push(target);
        variants.push(vmap);
    }
    let mut m = Map {
        enums,
        variants,
        facts: IdVec::new(),
        lets: IdVec::new(),
        questions: old.questions.len(),
        actions: old.actions.len(),
        fields: old.fields.len(),
        scripts: old.scripts.len(),
        outcomes: old.outcomes.len(),
        deadlines: old.deadlines.len(),
        rules: old.rules.len(),
    };

    let mut retyped = Vec::new();
    for f in new.facts.iter() {
        let ty = m.ty(&f.ty, &p);
        let same = old.facts.iter_enumerated().find(|(_, o)| o.name == f.name);
        let target = match same {
            Some((oi, o)) if o.ty == ty && o.is_set == f.is_set => oi,
            Some((oi, _)) => {
                let ni = p.facts.push(FactDef { ty, ..f.clone() });
                retyped.push((oi, ni));
                ni
            }
            None => p.facts.push(FactDef { ty, ..f.clone() }),
        };
        m.facts.push(target);
    }

    // A derived fact computed the same way in both versions is one derived fact.
    let old_lets: Vec<String> = old.lets.iter().map(|l| format!("{:?}", l.expr)).collect();
    for l in new.lets.iter() {
        let expr = m.expr(&l.expr);
        let ty = m.ty(&l.ty, &p);
        let key = format!("{expr:?}");
        let same = old
            .lets
            .iter_enumerated()
            .zip(&old_lets)
            .find(|((_, o), k)| **k == key && o.ty == ty)
            .map(|((i, _), _)| i);
        let target = match same {
            Some(i) => i,
            None => p.lets.push(LetDef {
                name: l.name.clone(),
                ty,
                label: l.label.clone(),
                expr,
            }),
        };
        m.lets.push(target);
    }
    for q in new.questions.iter() {
        p.questions.push(q.clone());
    }
    for a in new.actions.iter() {
        p.actions.push(a.clone());
    }
    for f in new.fields.iter() {
        let ty = m.ty(&f.ty, &p);
        p.fields.push(FieldDef { ty, ..f.clone() });
    }
    for s in new.scripts.iter() {
        let parts = s
            .parts
            .iter()
            .map(|x| match x {
                ScriptPart::Text(t) => ScriptPart::Text(t.clone()),
                ScriptPart::Slot(sl) => ScriptPart::Slot(m.slot(*sl)),
            })
            .collect();
        p.scripts.push(ScriptDef { parts, ..s.clone() });
    }
    for o in new.outcomes.iter() {
        let ty = m.ty(&o.ty, &p);
        let default = o.default.as_ref().map(|v| m.value(v));
        p.outcomes.push(OutcomeDef {
            ty,
            default,
            ..o.clone()
        });
    }
    for d in new.deadlines.iter() {
        p.deadlines.push(d.clone());
    }
    for r in new.rules.iter() {
        let mut r2 = RuleDef {
            name: r.name.clone(),
            quote: r.quote.clone(),
            location: r.location.clone(),
            span: r.span,
            cond: r.cond.as_ref().map(|c| m.expr(c)),
            overridden_by: r.overridden_by.iter().map(|o| m.rule(*o)).collect(),
            effects: r.effects.iter().map(|e| m.effect(e)).collect(),
            valid_from: r.valid_from,
            valid_until: r.valid_until,
        };
        narrow(&mut r2, &new.meta);
        p.rules.push(r2);
    }
    let twin = twins(&p, old.rules.len());
    Merged {
        twin,
        policy: p,
        new_fact: m.facts,
        new_rules_from: old.rules.len(),
        retyped,
        enum_changes,
    }
}

/// What decides whether a rule fires: its condition and validity dates.
fn fire_key(r: &RuleDef) -> String {
    format!("{:?} {:?} {:?}", r.cond, r.valid_from, r.valid_until)
}

/// For each rule of the new version (from `split`), an old rule effective on
/// the same cases, if there is one.
fn twins(p: &Policy, split: usize) -> Vec<Option<RuleId>> {
    let keys: Vec<String> = p.rules.iter().map(fire_key).collect();
    let over = |r: &RuleDef| -> std::collections::BTreeSet<&str> {
        r.overridden_by
            .iter()
            .filter_map(|o| keys.get(o.index()).map(String::as_str))
            .collect()
    };
    let mut first: std::collections::HashMap<(&str, std::collections::BTreeSet<&str>), RuleId> =
        std::collections::HashMap::new();
    for (i, r) in p.rules.iter_enumerated().take(split) {
        if let Some(k) = keys.get(i.index()) {
            first.entry((k.as_str(), over(r))).or_insert(i);
        }
    }
    p.rules
        .iter_enumerated()
        .skip(split)
        .map(|(i, r)| {
            let k = keys.get(i.index())?;
            first.get(&(k.as_str(), over(r))).copied()
        })
        .collect()
}

/// A rule fires only inside its policy's validity window too.
fn narrow(r: &mut RuleDef, meta: &Meta) {
    r.valid_from = match (r.valid_from, meta.valid_from) {
        (Some(a), Some(b)) => Some(a.max(b)),
        (a, b) => a.or(b),
    };
    r.valid_until = match (r.valid_until, meta.valid_until) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    };
}

impl Map {
    fn ty(&self, t: &Type, p: &Policy) -> Type {
        match t {
            Type::Enum(e, _) => {
                let me = self.enums[*e];
                Type::Enum(me, p.enums[me].name.clone())
            }
            Type::List(inner) => Type::List(Box::new(self.ty(inner, p))),
            other => other.clone(),
        }
    }

    fn value(&self, v: &Value) -> Value {
        match v {
            Value::Enum(e, x) => Value::Enum(self.enums[*e], self.variants[*e][*x]),
            Value::List(items) => Value::List(items.iter().map(|i| self.value(i)).collect()),
            other => other.clone(),
        }
    }

    fn slot(&self, s: Slot) -> Slot {
        match s {
            Slot::Fact(f) => Slot::Fact(self.facts[f]),
            Slot::Let(l) => Slot::Let(self.lets[l]),
        }
    }

    fn rule(&self, r: RuleId) -> RuleId {
        RuleId::new(r.index() + self.rules)
    }

    fn b(&self, e: &CExpr) -> Box<CExpr> {
        Box::new(self.expr(e))
    }

    fn expr(&self, e: &CExpr) -> CExpr {
        match e {
            CExpr::Const(v) => CExpr::Const(self.value(v)),
            CExpr::Slot(s) => CExpr::Slot(self.slot(*s)),
            CExpr::Now => CExpr::Now,
            CExpr::Today => CExpr::Today,
            CExpr::Not(a) => CExpr::Not(self.b(a)),
            CExpr::Neg(a) => CExpr::Neg(self.b(a)),
            CExpr::And(a, b) => CExpr::And(self.b(a), self.b(b)),
            CExpr::Or(a, b) => CExpr::Or(self.b(a), self.b(b)),
            CExpr::Cmp(op, a, b) => CExpr::Cmp(*op, self.b(a), self.b(b)),
            CExpr::Arith(op, a, b) => CExpr::Arith(*op, self.b(a), self.b(b)),
            CExpr::AddWorking {
                at,
                amount,
                working,
            } => CExpr::AddWorking {
                at: self.b(at),
                amount: *amount,
                working: *working,
            },
            CExpr::In {
                value,
                items,
                negated,
            } => CExpr::In {
                value: self.b(value),
                items: items.iter().map(|i| self.expr(i)).collect(),
                negated: *negated,
            },
            CExpr::InCollection {
                value,
                collection,
                negated,
            } => CExpr::InCollection {
                value: self.b(value),
                collection: self.b(collection),
                negated: *negated,
            },
            CExpr::InRange {
                value,
                lo,
                hi,
                kind,
                hi_slack,
                negated,
            } => CExpr::InRange {
                value: self.b(value),
                lo: self.b(lo),
                hi: self.b(hi),
                kind: *kind,
                hi_slack: *hi_slack,
                negated: *negated,
            },
            CExpr::IsAnswered(f, yes) => CExpr::IsAnswered(self.facts[*f], *yes),
            CExpr::Call(b, args) => CExpr::Call(*b, args.iter().map(|a| self.expr(a)).collect()),
            CExpr::List(items) => CExpr::List(items.iter().map(|i| self.expr(i)).collect()),
        }
    }

    fn effect(&self, e: &CEffect) -> CEffect {
        match e {
            CEffect::Ask(q) => CEffect::Ask(QuestionId::new(q.index() + self.questions)),
            CEffect::Require(a) => CEffect::Require(ActionId::new(a.index() + self.actions)),
            CEffect::Allow(a) => CEffect::Allow(ActionId::new(a.index() + self.actions)),
            CEffect::Forbid(a) => CEffect::Forbid(ActionId::new(a.index() + self.actions)),
            CEffect::RequireField(f) => {
                CEffect::RequireField(FieldId::new(f.index() + self.fields))
            }
            CEffect::Say(s) => CEffect::Say(ScriptId::new(s.index() + self.scripts)),
            CEffect::SetOutcome(o, x) => {
                CEffect::SetOutcome(OutcomeId::new(o.index() + self.outcomes), self.expr(x))
            }
            CEffect::SetField(f, x) => {
                CEffect::SetField(FieldId::new(f.index() + self.fields), self.expr(x))
            }
            CEffect::DueWithin {
                deadline,
                duration,
                working,
                after,
            } => CEffect::DueWithin {
                deadline: DeadlineId::new(deadline.index() + self.deadlines),
                duration: self.expr(duration),
                working: *working,
                after: self.expr(after),
            },
            CEffect::DueBy { deadline, at } => CEffect::DueBy {
                deadline: DeadlineId::new(deadline.index() + self.deadlines),
                at: self.expr(at),
            },
            CEffect::Open { target, reason } => CEffect::Open {
                target: target.map(|t| match t {
                    OpenTarget::Action(a) => {
                        OpenTarget::Action(ActionId::new(a.index() + self.actions))
                    }
                    OpenTarget::Outcome(o) => {
                        OpenTarget::Outcome(OutcomeId::new(o.index() + self.outcomes))
                    }
                }),
                reason: reason.clone(),
            },
        }
    }
}
