//! pest pairs → AST for expressions.

use super::ast::*;
use super::error::SyntaxError;
use super::grammar::Rule;
use super::lower::{next, span, Lowerer, P, R};
use super::MAX_EXPR_DEPTH;
use crate::span::Span;
use pest::iterators::Pairs;

impl Lowerer<'_> {
    /// Lowers a whole expression (a condition, a `let`, a value) and refuses
    /// one deeper than [`MAX_EXPR_DEPTH`]: later stages walk it recursively.
    pub fn expr(&mut self, p: P) -> R<Expr> {
        let e = self.expr_node(p)?;
        within_limit(e)
    }

    /// Like [`Self::expr`], for a value (`sum` in the grammar).
    pub fn sum(&mut self, p: P) -> R<Expr> {
        let e = self.sum_node(p)?;
        within_limit(e)
    }

    fn expr_node(&mut self, p: P) -> R<Expr> {
        match p.as_rule() {
            Rule::expr => {
                let sp = span(&p);
                let inner = next(&mut p.into_inner(), sp, "a condition")?;
                self.expr_node(inner)
            }
            Rule::or_expr | Rule::and_expr => {
                let is_or = p.as_rule() == Rule::or_expr;
                let mut it = p.into_inner();
                let first = it.next();
                let mut acc = match first {
                    Some(f) => self.expr_node(f)?,
                    None => {
                        return Err(SyntaxError::Internal {
                            span: Default::default(),
                            what: "a condition",
                        })
                    }
                };
                let (mut depth, first) = (acc.depth(), acc.span);
                while let Some(op) = it.next() {
                    let osp = span(&op);
                    if op.as_str() == "||" || op.as_str() == "&&" {
                        let instead = if is_or { "or" } else { "and" };
                        self.errors.push(SyntaxError::ForeignOperator {
                            span: osp,
                            found: op.as_str().into(),
                            instead,
                        });
                    }
                    let rhs = self.expr_node(next(&mut it, osp, "the right-hand side")?)?;
                    depth = chain_depth(depth, &rhs, first, osp, &it)?;
                    let sp = acc.span.join(rhs.span);
                    let kind = if is_or {
                        ExprKind::Or(Box::new(acc), Box::new(rhs))
                    } else {
                        ExprKind::And(Box::new(acc), Box::new(rhs))
                    };
                    acc = Expr { kind, span: sp };
                }
                Ok(acc)
            }
            Rule::not_expr => {
                let sp = span(&p);
                let mut it = p.into_inner();
                let first = next(&mut it, sp, "a condition")?;
                if first.as_rule() == Rule::not_op {
                    if first.as_str() == "!" {
                        self.errors.push(SyntaxError::ForeignOperator {
                            span: span(&first),
                            found: "!".into(),
                            instead: "not",
                        });
                    }
                    let inner = self.expr_node(next(&mut it, sp, "the negated condition")?)?;
                    Ok(Expr {
                        kind: ExprKind::Not(Box::new(inner)),
                        span: sp,
                    })
                } else {
                    self.expr_node(first)
                }
            }
            Rule::cmp_expr => self.cmp_expr(p),
            Rule::sum | Rule::product | Rule::unary => self.sum_node(p),
            _ => self.primary(p),
        }
    }

    pub fn cmp_op(&mut self, p: &P) -> CmpOp {
        match p.as_str() {
            "==" => CmpOp::Eq,
            "!=" => CmpOp::Ne,
            "<>" => {
                self.errors.push(SyntaxError::ForeignOperator {
                    span: span(p),
                    found: "<>".into(),
                    instead: "!=",
                });
                CmpOp::Ne
            }
            "<" => CmpOp::Lt,
            "<=" => CmpOp::Le,
            ">" => CmpOp::Gt,
            ">=" => CmpOp::Ge,
            _ => {
                self.errors
                    .push(SyntaxError::SingleEquals { span: span(p) });
                CmpOp::Eq
            }
        }
    }

    fn cmp_expr(&mut self, p: P) -> R<Expr> {
        let sp = span(&p);
        let mut it = p.into_inner();
        let lhs = self.sum_node(next(&mut it, sp, "a value")?)?;
        let Some(op) = it.next() else { return Ok(lhs) };
        match op.as_rule() {
            Rule::cmp_op => {
                let op = self.cmp_op(&op);
                let rhs = self.sum_node(next(&mut it, sp, "the right-hand side")?)?;
                Ok(Expr {
                    kind: ExprKind::Cmp(op, Box::new(lhs), Box::new(rhs)),
                    span: sp,
                })
            }
            Rule::in_test => {
                let isp = span(&op);
                let mut negated = false;
                let mut bounds = Vec::with_capacity(2);
                for c in op.into_inner() {
                    match c.as_rule() {
                        Rule::kw_not => negated = true,
                        Rule::sum => bounds.push(self.sum_node(c)?),
                        _ => {}
                    }
                }
                let mut bounds = bounds.into_iter();
                let target = match (bounds.next(), bounds.next()) {
                    (Some(lo), Some(hi)) => Some(InTarget::Range(lo, hi)),
                    (Some(c), None) => Some(InTarget::Collection(c)),
                    _ => None,
                };
                let target = target.ok_or(SyntaxError::Internal {
                    span: isp,
                    what: "what follows `in`",
                })?;
                Ok(Expr {
                    kind: ExprKind::In {
                        value: Box::new(lhs),
                        negated,
                        target: Box::new(target),
                    },
                    span: sp,
                })
            }
            Rule::is_test => {
                let answered = op.into_inner().any(|c| c.as_rule() == Rule::kw_answered);
                Ok(Expr {
                    kind: ExprKind::Is {
                        value: Box::new(lhs),
                        answered,
                    },
                    span: sp,
                })
            }
            _ => Err(SyntaxError::Internal {
                span: sp,
                what: "a comparison",
            }),
        }
    }

    fn sum_node(&mut self, p: P) -> R<Expr> {
        let sp = span(&p);
        match p.as_rule() {
            Rule::sum | Rule::product => {
                let mut it = p.into_inner();
                let mut acc = self.sum_node(next(&mut it, sp, "a value")?)?;
                let (mut depth, first) = (acc.depth(), acc.span);
                while let Some(op) = it.next() {
                    let osp = span(&op);
                    let op = match op.as_str() {
                        "+" => ArithOp::Add,
                        "-" => ArithOp::Sub,
                        "*" => ArithOp::Mul,
                        _ => ArithOp::Div,
                    };
                    let rhs = self.sum_node(next(&mut it, sp, "the right-hand side")?)?;
                    depth = chain_depth(depth, &rhs, first, osp, &it)?;
                    let jsp = acc.span.join(rhs.span);
                    acc = Expr {
                        kind: ExprKind::Arith(op, Box::new(acc), Box::new(rhs)),
                        span: jsp,
                    };
                }
                Ok(acc)
            }
            Rule::unary => {
                let mut it = p.into_inner();
                let first = next(&mut it, sp, "a value")?;
                if first.as_rule() == Rule::neg {
                    let inner = self.sum_node(next(&mut it, sp, "a value")?)?;
                    Ok(Expr {
                        kind: ExprKind::Neg(Box::new(inner)),
                        span: sp,
                    })
                } else {
                    self.primary(first)
                }
            }
            _ => self.primary(p),
        }
    }

    fn primary(&mut self, p: P) -> R<Expr> {
        let sp = span(&p);
        let kind = match p.as_rule() {
            Rule::kw_true => ExprKind::Bool(true),
            Rule::kw_false => ExprKind::Bool(false),
            Rule::kw_now => ExprKind::Now,
            Rule::kw_today => ExprKind::Today,
            Rule::int_lit => ExprKind::Int(self.int(&p)),
            Rule::decimal_lit => match p.as_str().parse::<rust_decimal::Decimal>() {
                Ok(d) => ExprKind::Decimal(d),
                Err(_) => {
                    self.errors.push(SyntaxError::NumberTooLarge { span: sp });
                    ExprKind::Int(0)
                }
            },
            Rule::text => ExprKind::Text(self.text(p).value),
            Rule::date_lit => ExprKind::Date(self.date(&p)),
            Rule::datetime_lit => ExprKind::DateTime(self.datetime(&p)),
            Rule::time_lit => {
                let (t, secs) = self.time(&p);
                ExprKind::Time(t, secs)
            }
            Rule::duration_lit => {
                let mut amount = 0;
                let mut unit = DurationUnit::Minute;
                let mut working = false;
                for c in p.into_inner() {
                    match c.as_rule() {
                        Rule::int_lit => amount = self.int(&c),
                        Rule::kw_working => working = true,
                        Rule::duration_unit => {
                            let w = c.as_str();
                            unit = if w.starts_with("second") {
                                DurationUnit::Second
                            } else if w.starts_with("minute") {
                                DurationUnit::Minute
                            } else if w.starts_with("hour") {
                                DurationUnit::Hour
                            } else if w.starts_with("day") {
                                DurationUnit::Day
                            } else {
                                DurationUnit::Week
                            };
                        }
                        _ => {}
                    }
                }
                if amount.checked_mul(unit.seconds()).is_none() {
                    self.errors.push(SyntaxError::NumberTooLarge { span: sp });
                    amount = 0;
                }
                ExprKind::Duration {
                    amount,
                    unit,
                    working,
                }
            }
            Rule::reference => {
                let mut it = p.into_inner();
                let first = self.ident(next(&mut it, sp, "a name")?);
                match it.next() {
                    None => ExprKind::Name(first),
                    Some(c) if c.as_rule() == Rule::ident => {
                        ExprKind::Qualified(first, self.ident(c))
                    }
                    Some(c) => {
                        let mut args = Vec::new();
                        for a in c.into_inner() {
                            if a.as_rule() == Rule::expr {
                                args.push(self.expr_node(a)?);
                            }
                        }
                        ExprKind::Call(first, args)
                    }
                }
            }
            Rule::list_lit => {
                let mut items = Vec::new();
                for c in p.into_inner() {
                    if c.as_rule() == Rule::sum {
                        items.push(self.sum_node(c)?);
                    }
                }
                ExprKind::List(items)
            }
            Rule::paren => {
                let e = super::lower::next_of(
                    &mut p.into_inner().filter(|c| c.as_rule() == Rule::expr),
                    sp,
                    "a condition",
                )?;
                let mut inner = self.expr_node(e)?;
                inner.span = sp;
                return Ok(inner);
            }
            _ => {
                return Err(SyntaxError::Internal {
                    span: sp,
                    what: "a value",
                })
            }
        };
        Ok(Expr { kind, span: sp })
    }
}

/// The depth of a left-leaning chain after one more operand: stops lowering
/// as soon as it passes [`MAX_EXPR_DEPTH`], before the tree grows further,
/// and reports how deep the whole chain would be.
fn chain_depth(
    depth: usize,
    rhs: &Expr,
    first: Span,
    op: Span,
    rest: &Pairs<'_, Rule>,
) -> R<usize> {
    let depth = depth.max(rhs.depth()) + 1;
    if depth <= MAX_EXPR_DEPTH {
        return Ok(depth);
    }
    // The operators still to come each add one level.
    let remaining = rest.clone().count() / 2;
    Err(SyntaxError::TooLong {
        span: op,
        start: Some(first),
        depth: depth + remaining,
        limit: MAX_EXPR_DEPTH,
    })
}

fn within_limit(e: Expr) -> R<Expr> {
    let depth = e.depth();
    if depth <= MAX_EXPR_DEPTH {
        return Ok(e);
    }
    Err(SyntaxError::TooLong {
        span: e.span,
        start: None,
        depth,
        limit: MAX_EXPR_DEPTH,
    })
}
