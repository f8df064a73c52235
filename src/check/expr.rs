//! Typing and resolving expressions.

use super::error::CheckError;
use super::ids::{EnumId, VariantId};
use super::ir::{CExpr, RangeKind, Slot, Working};
use super::{Checker, ValueDecl};
use crate::diagnostic::did_you_mean;
use crate::syntax::ast::{ArithOp, CmpOp, DurationUnit, Expr, ExprKind, Ident, InTarget};
use crate::types::Type;
use crate::value::Value;
use std::sync::Arc;

impl Checker<'_> {
    /// Checks a condition: the expression must be yes/no.
    pub(super) fn condition(&mut self, e: &Expr) -> CExpr {
        let (c, t) = self.expr(e, Some(&Type::Bool));
        if !Type::Bool.accepts(&t) {
            self.err(CheckError::NotACondition {
                span: e.span,
                found: t,
            });
        }
        c
    }

    pub(super) fn expr(&mut self, e: &Expr, expected: Option<&Type>) -> (CExpr, Type) {
        match &e.kind {
            ExprKind::Bool(b) => (CExpr::Const(Value::Bool(*b)), Type::Bool),
            ExprKind::Int(i) => (CExpr::Const(Value::Int(*i)), Type::Int),
            ExprKind::Decimal(d) => (CExpr::Const(Value::Decimal(*d)), Type::Decimal),
            ExprKind::Text(t) => (CExpr::Const(Value::Text(Arc::from(t.as_str()))), Type::Text),
            ExprKind::Date(d) => (CExpr::Const(Value::Date(*d)), Type::Date),
            ExprKind::DateTime(lit) => (
                CExpr::Const(Value::DateTime(self.instant(*lit))),
                Type::DateTime,
            ),
            ExprKind::Time(t, _) => (CExpr::Const(Value::Time(*t)), Type::Time),
            ExprKind::Duration {
                amount,
                unit,
                working,
            } => {
                if *working {
                    self.err(CheckError::WorkingOutsideDue { span: e.span });
                }
                (
                    CExpr::Const(Value::Duration(amount.saturating_mul(unit.seconds()))),
                    Type::Duration,
                )
            }
            ExprKind::Now => {
                self.uses_now = true;
                (CExpr::Now, Type::DateTime)
            }
            ExprKind::Today => {
                self.uses_now = true;
                (CExpr::Today, Type::Date)
            }
            ExprKind::Name(id) => self.name(id, expected),
            ExprKind::Qualified(en, var) => self.qualified(en, var),
            ExprKind::Call(f, args) => self.call(e, f, args),
            ExprKind::List(items) => {
                let elem_expected = match expected {
                    Some(Type::List(t)) => Some((**t).clone()),
                    _ => None,
                };
                let (items, elem) = self.items(items, elem_expected);
                if items.iter().all(|i| matches!(i, CExpr::Const(_))) {
                    let vals: Vec<Value> = items
                        .iter()
                        .filter_map(|i| match i {
                            CExpr::Const(v) => Some(v.clone()),
                            _ => None,
                        })
                        .collect();
                    return (
                        CExpr::Const(Value::List(Arc::from(vals))),
                        Type::List(Box::new(elem)),
                    );
                }
                (CExpr::List(items), Type::List(Box::new(elem)))
            }
            ExprKind::Neg(inner) => {
                let (c, t) = self.expr(inner, expected);
                if !(t.is_number() || t == Type::Duration || t.is_error()) {
                    self.err(CheckError::ArithMismatch {
                        span: e.span,
                        op: "-",
                        left: t.clone(),
                        right: t.clone(),
                    });
                    return (c, Type::Error);
                }
                (CExpr::Neg(Box::new(c)), t)
            }
            ExprKind::Not(inner) => {
                let c = self.condition(inner);
                (CExpr::Not(Box::new(c)), Type::Bool)
            }
            ExprKind::And(a, b) | ExprKind::Or(a, b) => {
                let ca = self.condition(a);
                let cb = self.condition(b);
                let c = if matches!(e.kind, ExprKind::And(..)) {
                    CExpr::And(Box::new(ca), Box::new(cb))
                } else {
                    CExpr::Or(Box::new(ca), Box::new(cb))
                };
                (c, Type::Bool)
            }
            ExprKind::Cmp(op, a, b) => self.compare(e, *op, a, b),
            ExprKind::Arith(op, a, b) => self.arith(e, *op, a, b),
            ExprKind::In {
                value,
                negated,
                target,
            } => self.membership(e, value, *negated, target),
            ExprKind::Is { value, answered } => match &value.kind {
                ExprKind::Name(id) => match self.values.get(&id.name).copied() {
                    Some(ValueDecl::Fact(i, _)) => {
                        self.used_facts.insert(i);
                        (CExpr::IsAnswered(i, *answered), Type::Bool)
                    }
                    Some(ValueDecl::Let(..)) => {
                        self.err(CheckError::IsOnNonFact { span: value.span });
                        (CExpr::Const(Value::Bool(false)), Type::Bool)
                    }
                    None => {
                        self.name(id, None);
                        (CExpr::Const(Value::Bool(false)), Type::Bool)
                    }
                },
                _ => {
                    self.err(CheckError::IsOnNonFact { span: value.span });
                    (CExpr::Const(Value::Bool(false)), Type::Bool)
                }
            },
        }
    }

    fn items(&mut self, items: &[Expr], mut elem: Option<Type>) -> (Vec<CExpr>, Type) {
        let mut out = Vec::new();
        let mut reported = false;
        for it in items {
            let (c, t) = self.expr(it, elem.as_ref());
            match &elem {
                None if !t.is_error() => elem = Some(t),
                Some(et) => {
                    if et.unify(&t).is_none() {
                        if !reported {
                            self.err(CheckError::InMismatch {
                                span: it.span,
                                value: et.clone(),
                                collection: Type::List(Box::new(t)),
                            });
                        }
                        reported = true;
                    } else if *et == Type::Int && t == Type::Decimal {
                        elem = Some(Type::Decimal);
                    }
                }
                None => {}
            }
            out.push(c);
        }
        (out, elem.unwrap_or(Type::Error))
    }

    /// A bare name: a fact, a derived fact, or a value of the expected enum.
    pub(super) fn name(&mut self, id: &Ident, expected: Option<&Type>) -> (CExpr, Type) {
        if let Some(decl) = self.values.get(&id.name).copied() {
            return match decl {
                ValueDecl::Fact(i, _) => {
                    self.used_facts.insert(i);
                    let t = self.facts[i].ty.clone();
                    (CExpr::Slot(Slot::Fact(i)), t)
                }
                ValueDecl::Let(ast_index, _) => {
                    self.used_lets.insert(ast_index);
                    match self.let_final.get(&ast_index).cloned() {
                        Some((i, t)) => (CExpr::Slot(Slot::Let(i)), t),
                        None => (CExpr::Const(Value::Bool(false)), Type::Error),
                    }
                }
            };
        }
        if let Some(Type::Enum(ei, en)) = expected.or(self.enum_hint.as_ref()) {
            let (ei, en) = (*ei, en.clone());
            if let Some(vi) = self.variant_index(ei, &id.name) {
                return (CExpr::Const(Value::Enum(ei, vi)), Type::Enum(ei, en));
            }
            let variants = self.variant_names(ei);
            let suggestion = did_you_mean(&id.name, variants.iter().map(String::as_str));
            self.err(CheckError::UnknownVariant {
                span: id.span,
                enum_name: en,
                variant: id.name.clone(),
                suggestion,
                variants,
            });
            return (CExpr::Const(Value::Bool(false)), Type::Error);
        }
        // A value of exactly one enum.
        let owners: Vec<(EnumId, VariantId)> = self
            .enums
            .iter_enumerated()
            .filter_map(|(ei, _)| self.variant_index(ei, &id.name).map(|vi| (ei, vi)))
            .collect();
        if let [(ei, vi)] = owners.as_slice() {
            let name = self.enums[*ei].name.clone();
            return (CExpr::Const(Value::Enum(*ei, *vi)), Type::Enum(*ei, name));
        }
        if let Some((kind, decl)) = self.output_kind(&id.name) {
            self.err(CheckError::NotAValue {
                span: id.span,
                name: id.name.clone(),
                kind,
                decl,
            });
            return (CExpr::Const(Value::Bool(false)), Type::Error);
        }
        let candidates: Vec<String> = self.values.keys().cloned().collect();
        let suggestion = did_you_mean(&id.name, candidates.iter().map(String::as_str));
        self.err(CheckError::UnknownName {
            span: id.span,
            name: id.name.clone(),
            suggestion,
        });
        (CExpr::Const(Value::Bool(false)), Type::Error)
    }

    fn qualified(&mut self, en: &Ident, var: &Ident) -> (CExpr, Type) {
        let Some(ei) = self.enum_index.get(&en.name).copied() else {
            let names: Vec<String> = self.enums.iter().map(|e| e.name.clone()).collect();
            let suggestion = did_you_mean(&en.name, names.iter().map(String::as_str));
            self.err(CheckError::UnknownType {
                span: en.span,
                name: en.name.clone(),
                suggestion,
            });
            return (CExpr::Const(Value::Bool(false)), Type::Error);
        };
        if let Some(vi) = self.variant_index(ei, &var.name) {
            return (
                CExpr::Const(Value::Enum(ei, vi)),
                Type::Enum(ei, en.name.clone()),
            );
        }
        let variants = self.variant_names(ei);
        let suggestion = did_you_mean(&var.name, variants.iter().map(String::as_str));
        self.err(CheckError::UnknownVariant {
            span: var.span,
            enum_name: en.name.clone(),
            variant: var.name.clone(),
            suggestion,
            variants,
        });
        (CExpr::Const(Value::Bool(false)), Type::Error)
    }

    fn compare(&mut self, e: &Expr, op: CmpOp, a: &Expr, b: &Expr) -> (CExpr, Type) {
        // Type the side that is not a bare enum value first, so that `payer == recipient` works too.
        let a_is_bare = self.is_unresolved_name(a);
        let (ca, ta, cb, tb) = if a_is_bare {
            let (cb, tb) = self.expr(b, None);
            let (ca, ta) = self.expr(a, Some(&tb));
            (ca, ta, cb, tb)
        } else {
            let (ca, ta) = self.expr(a, None);
            let (cb, tb) = self.expr(b, Some(&ta));
            (ca, ta, cb, tb)
        };
        match ta.unify(&tb) {
            None => self.err(CheckError::CompareMismatch {
                span: e.span,
                op: op.symbol(),
                left: ta,
                right: tb,
            }),
            Some(t) => {
                if !matches!(op, CmpOp::Eq | CmpOp::Ne) && !t.is_ordered() {
                    self.err(CheckError::NotOrdered {
                        span: e.span,
                        ty: t,
                    });
                }
            }
        }
        (CExpr::Cmp(op, Box::new(ca), Box::new(cb)), Type::Bool)
    }

    /// A bare name that is not a fact but is a value of some enum: it takes its type from the other side.
    fn is_unresolved_name(&self, e: &Expr) -> bool {
        match &e.kind {
            ExprKind::Name(id) => {
                !self.values.contains_key(&id.name) && self.variant_enum.contains_key(&id.name)
            }
            _ => false,
        }
    }

    /// A working duration as the engine counts it: seconds of opening hours for
    /// `working hours` (minutes, seconds), whole days for `working days`, five
    /// days a week for `working weeks`. The calendar must have opening hours.
    pub(super) fn working_amount(
        &mut self,
        span: crate::span::Span,
        amount: i64,
        unit: DurationUnit,
    ) -> (i64, Working) {
        if self.calendar.open.iter().all(Option::is_none) {
            self.err(CheckError::WorkingWithoutCalendar { span });
        }
        match unit {
            DurationUnit::Day => (amount, Working::Days),
            DurationUnit::Week => (amount.saturating_mul(5), Working::Days),
            _ => (amount.saturating_mul(unit.seconds()), Working::Hours),
        }
    }

    /// `date-time + N working days` (or hours, either order): a date and time
    /// counted in the calendar. `None` when neither side is a working duration.
    fn working_sum(&mut self, op: ArithOp, a: &Expr, b: &Expr) -> Option<(CExpr, Type)> {
        let working = |x: &Expr| matches!(x.kind, ExprKind::Duration { working: true, .. });
        let (at, dur) = match op {
            ArithOp::Add if working(b) && !working(a) => (a, b),
            ArithOp::Add if working(a) && !working(b) => (b, a),
            _ => return None,
        };
        let ExprKind::Duration { amount, unit, .. } = &dur.kind else {
            return None;
        };
        let (c, t) = self.expr(at, Some(&Type::DateTime));
        if !(Type::DateTime.accepts(&t) || t.is_error()) {
            self.err(CheckError::WorkingOutsideDue { span: dur.span });
            return Some((CExpr::Const(Value::Bool(false)), Type::Error));
        }
        let (amount, working) = self.working_amount(dur.span, *amount, *unit);
        Some((
            CExpr::AddWorking {
                at: Box::new(c),
                amount,
                working,
            },
            Type::DateTime,
        ))
    }

    fn arith(&mut self, e: &Expr, op: ArithOp, a: &Expr, b: &Expr) -> (CExpr, Type) {
        if let Some(sum) = self.working_sum(op, a, b) {
            return sum;
        }
        let (ca, ta) = self.expr(a, None);
        let (cb, tb) = self.expr(b, None);
        use ArithOp::*;
        use Type::*;
        let t = match (op, &ta, &tb) {
            (_, Error, _) | (_, _, Error) => Some(Error),
            (Add | Sub | Mul, Int, Int) => Some(Int),
            (Div, Int, Int) => Some(Decimal),
            (_, Int | Decimal, Int | Decimal) => Some(Decimal),
            (Add | Sub, Duration, Duration) => Some(Duration),
            (Mul, Duration, Int | Decimal)
            | (Mul, Int | Decimal, Duration)
            | (Div, Duration, Int | Decimal) => Some(Duration),
            (Div, Duration, Duration) => Some(Decimal),
            (Add, Date, Duration) | (Add, Duration, Date) | (Sub, Date, Duration) => Some(Date),
            (Sub, Date, Date) => Some(Duration),
            (Add, DateTime, Duration) | (Add, Duration, DateTime) | (Sub, DateTime, Duration) => {
                Some(DateTime)
            }
            (Sub, DateTime, DateTime) => Some(Duration),
            (Add, Time, Duration) | (Sub, Time, Duration) => Some(Time),
            (Sub, Time, Time) => Some(Duration),
            (Add, Text, Text) => Some(Text),
            _ => None,
        };
        match t {
            Some(t) => (CExpr::Arith(op, Box::new(ca), Box::new(cb)), t),
            None => {
                self.err(CheckError::ArithMismatch {
                    span: e.span,
                    op: op.symbol(),
                    left: ta,
                    right: tb,
                });
                (CExpr::Const(Value::Bool(false)), Type::Error)
            }
        }
    }

    fn membership(
        &mut self,
        e: &Expr,
        value: &Expr,
        negated: bool,
        target: &InTarget,
    ) -> (CExpr, Type) {
        match target {
            InTarget::Range(lo, hi) => {
                let (cv, tv) = self.expr(value, None);
                let (clo, tlo) = self.expr(lo, Some(&tv));
                let (chi, thi) = self.expr(hi, Some(&tv));
                let bounds = tlo.unify(&thi).unwrap_or(Type::Error);
                if tv.unify(&bounds).is_none() || tlo.unify(&thi).is_none() {
                    self.err(CheckError::RangeMismatch {
                        span: e.span,
                        value: tv.clone(),
                        bounds: bounds.clone(),
                    });
                } else if !tv.is_ordered() {
                    self.err(CheckError::NotOrdered {
                        span: e.span,
                        ty: tv.clone(),
                    });
                }
                let (kind, hi_slack) = match (&tv, &hi.kind) {
                    (Type::Time, ExprKind::Time(_, false)) => (RangeKind::TimeOfDay, 59),
                    (Type::Time, _) => (RangeKind::TimeOfDay, 0),
                    _ => (RangeKind::Plain, 0),
                };
                (
                    CExpr::InRange {
                        value: Box::new(cv),
                        lo: Box::new(clo),
                        hi: Box::new(chi),
                        kind,
                        hi_slack,
                        negated,
                    },
                    Type::Bool,
                )
            }
            InTarget::Collection(coll) => {
                let value_is_bare = self.is_unresolved_name(value);
                if let ExprKind::List(items) = &coll.kind {
                    // `x in [a, b]`: the items take the value's type (enum values resolve against it).
                    let (cv, tv) = if value_is_bare && !items.is_empty() {
                        let (_, t0) = self.expr_quiet_type(&items[..1]);
                        self.expr(value, t0.as_ref())
                    } else {
                        self.expr(value, None)
                    };
                    let (citems, telem) = self.items(
                        items,
                        if tv.is_error() {
                            None
                        } else {
                            Some(tv.clone())
                        },
                    );
                    if tv.unify(&telem).is_none() {
                        self.err(CheckError::InMismatch {
                            span: e.span,
                            value: tv,
                            collection: Type::List(Box::new(telem)),
                        });
                    }
                    return (
                        CExpr::In {
                            value: Box::new(cv),
                            items: citems,
                            negated,
                        },
                        Type::Bool,
                    );
                }
                let (cc, tc) = self.expr(coll, None);
                let elem = match &tc {
                    Type::List(t) => (**t).clone(),
                    Type::Error => Type::Error,
                    other => {
                        let (_, tv) = self.expr(value, None);
                        self.err(CheckError::InMismatch {
                            span: e.span,
                            value: tv,
                            collection: other.clone(),
                        });
                        return (CExpr::Const(Value::Bool(false)), Type::Bool);
                    }
                };
                let (cv, tv) = self.expr(value, Some(&elem));
                if tv.unify(&elem).is_none() {
                    self.err(CheckError::InMismatch {
                        span: e.span,
                        value: tv,
                        collection: tc,
                    });
                }
                (
                    CExpr::InCollection {
                        value: Box::new(cv),
                        collection: Box::new(cc),
                        negated,
                    },
                    Type::Bool,
                )
            }
        }
    }

    /// The type of the first item if it resolves without an expected type (no errors reported).
    fn expr_quiet_type(&mut self, items: &[Expr]) -> (Option<CExpr>, Option<Type>) {
        let Some(first) = items.first() else {
            return (None, None);
        };
        if self.is_unresolved_name(first) {
            // An enum value: find its enum.
            if let ExprKind::Name(id) = &first.kind {
                if let Some(&ei) = self.variant_enum.get(&id.name) {
                    return (None, Some(Type::Enum(ei, self.enums[ei].name.clone())));
                }
            }
            return (None, None);
        }
        let saved = self.errors.len();
        let (c, t) = self.expr(first, None);
        self.errors.truncate(saved);
        (Some(c), Some(t))
    }

    fn call(&mut self, e: &Expr, f: &Ident, args: &[Expr]) -> (CExpr, Type) {
        let Some(def) = crate::builtins::by_name(&f.name) else {
            let suggestion = did_you_mean(&f.name, crate::builtins::TABLE.iter().map(|d| d.name));
            self.err(CheckError::UnknownFunction {
                span: f.span,
                name: f.name.clone(),
                suggestion,
            });
            for a in args {
                self.expr(a, None);
            }
            return (CExpr::Const(Value::Bool(false)), Type::Error);
        };
        let mut exprs = Vec::with_capacity(args.len());
        let mut types = Vec::with_capacity(args.len());
        for a in args {
            let (c, t) = self.expr(a, None);
            exprs.push(c);
            types.push(t);
        }
        if exprs.len() != def.arity {
            self.err(CheckError::Arity {
                span: e.span,
                func: f.name.clone(),
                expected: if def.arity == 1 {
                    "one value"
                } else {
                    "two values"
                },
                found: exprs.len(),
            });
            return (CExpr::Const(Value::Bool(false)), Type::Error);
        }
        let mut check = crate::builtins::Args::new(&types);
        let result = (def.typing)(&mut check);
        for (i, expected) in check.problems {
            self.err(CheckError::ArgType {
                span: args.get(i).map_or(e.span, |a| a.span),
                func: f.name.clone(),
                expected,
                found: types.get(i).cloned().unwrap_or(Type::Error),
            });
        }
        (CExpr::Call(def.builtin, exprs), result)
    }
}
