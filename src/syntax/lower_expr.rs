//! pest pairs → AST for expressions.

use super::ast::*;
use super::error::SyntaxError;
use super::grammar::Rule;
use super::lower::{next, span, Lowerer, P, R};

impl Lowerer<'_> {
    pub fn expr(&mut self, p: P) -> R<Expr> {
        match p.as_rule() {
            Rule::expr => {
                let sp = span(&p);
                let inner = next(&mut p.into_inner(), sp, "a condition")?;
                self.expr(inner)
            }
            Rule::or_expr | Rule::and_expr => {
                let is_or = p.as_rule() == Rule::or_expr;
                let mut it = p.into_inner();
                let first = it.next();
                let mut acc = match first {
                    Some(f) => self.expr(f)?,
                    None => {
                        return Err(SyntaxError::Internal {
                            span: Default::default(),
                            what: "a condition",
                        })
                    }
                };
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
                    let rhs = self.expr(next(&mut it, osp, "the right-hand side")?)?;
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
                    let inner = self.expr(next(&mut it, sp, "the negated condition")?)?;
                    Ok(Expr {
                        kind: ExprKind::Not(Box::new(inner)),
                        span: sp,
                    })
                } else {
                    self.expr(first)
                }
            }
            Rule::cmp_expr => self.cmp_expr(p),
            Rule::sum | Rule::product | Rule::unary => self.sum(p),
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
        let lhs = self.sum(next(&mut it, sp, "a value")?)?;
        let Some(op) = it.next() else { return Ok(lhs) };
        match op.as_rule() {
            Rule::cmp_op => {
                let op = self.cmp_op(&op);
                let rhs = self.sum(next(&mut it, sp, "the right-hand side")?)?;
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
                        Rule::sum => bounds.push(self.sum(c)?),
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

    pub fn sum(&mut self, p: P) -> R<Expr> {
        let sp = span(&p);
        match p.as_rule() {
            Rule::sum | Rule::product => {
                let mut it = p.into_inner();
                let mut acc = self.sum(next(&mut it, sp, "a value")?)?;
                while let Some(op) = it.next() {
                    let op = match op.as_str() {
                        "+" => ArithOp::Add,
                        "-" => ArithOp::Sub,
                        "*" => ArithOp::Mul,
                        _ => ArithOp::Div,
                    };
                    let rhs = self.sum(next(&mut it, sp, "the right-hand side")?)?;
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
                    let inner = self.sum(next(&mut it, sp, "a value")?)?;
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
                                args.push(self.expr(a)?);
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
                        items.push(self.sum(c)?);
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
                let mut inner = self.expr(e)?;
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
