//! pest pairs → AST for declarations. One `lower_*`-style method per grammar rule.

use super::ast::*;
use super::error::SyntaxError;
use super::grammar::Rule;
use super::MAX_EXPR_DEPTH;
use crate::span::Span;
use pest::iterators::{Pair, Pairs};

pub(super) type P<'i> = Pair<'i, Rule>;
pub(super) type R<T> = Result<T, SyntaxError>;

pub(super) struct Lowerer<'s> {
    #[allow(dead_code, reason = "kept for messages that quote the source")]
    pub source: &'s str,
    pub errors: Vec<SyntaxError>,
}

/// The span of a pair without the blanks and comments pest lets it end with,
/// so that underlines stop at the last character written.
pub(super) fn span(p: &P) -> Span {
    let s = p.as_span();
    Span::new(s.start(), s.start() + significant_len(s.as_str()))
}

fn significant_len(text: &str) -> usize {
    // Names, numbers and short texts: ending in a character that is not a blank
    // and holding no `#`, they end where they end (one short loop, no search calls).
    let bytes = text.as_bytes();
    if bytes.len() <= 64
        && bytes
            .last()
            .is_some_and(|b| b.is_ascii() && !b.is_ascii_whitespace())
        && !bytes.contains(&b'#')
    {
        return bytes.len();
    }
    let mut end = text.trim_end().len();
    loop {
        let body = text.get(..end).unwrap_or("");
        let line_start = body.rfind('\n').map_or(0, |i| i + 1);
        // Most pairs end on a line without `#`: two byte searches settle them,
        // without reading the line character by character (lowering asks this of
        // every node, and a node's last line is often the whole of a long condition).
        let last_line = body.get(line_start..).unwrap_or("");
        if !last_line.as_bytes().contains(&b'#') {
            return end.max(usize::from(!text.is_empty()));
        }
        let mut in_string = false;
        let mut escaped = false;
        let mut comment = None;
        for (i, c) in body.get(line_start..).unwrap_or("").char_indices() {
            match c {
                _ if escaped => escaped = false,
                '\\' if in_string => escaped = true,
                '"' => in_string = !in_string,
                '#' if !in_string => {
                    comment = Some(line_start + i);
                    break;
                }
                _ => {}
            }
        }
        match comment {
            Some(c) if c > 0 => end = text.get(..c).unwrap_or("").trim_end().len(),
            _ => return end.max(usize::from(!text.is_empty())),
        }
    }
}

/// The next child, or an internal error naming what was missing.
pub(super) fn next<'i>(it: &mut Pairs<'i, Rule>, at: Span, what: &'static str) -> R<P<'i>> {
    it.next().ok_or(SyntaxError::Internal { span: at, what })
}

impl<'s> Lowerer<'s> {
    pub fn new(source: &'s str) -> Self {
        Lowerer {
            source,
            errors: Vec::new(),
        }
    }

    pub fn file(&mut self, p: P) -> R<File> {
        let at = span(&p);
        let mut header = None;
        let mut items = Vec::new();
        for c in p.into_inner() {
            match c.as_rule() {
                Rule::header => header = Some(self.header(c)?),
                Rule::EOI => {}
                _ => items.push(self.item(c)?),
            }
        }
        let header = header.ok_or(SyntaxError::Internal {
            span: at,
            what: "the policy header",
        })?;
        Ok(File { header, items })
    }

    pub fn ident(&mut self, p: P) -> Ident {
        Ident {
            name: p.as_str().to_string(),
            span: span(&p),
        }
    }

    pub fn text(&mut self, p: P) -> Text {
        let sp = span(&p);
        let mut value = String::new();
        for s in p.into_inner() {
            // string → string_body
            for body in s.into_inner() {
                unescape(body.as_str(), &mut value);
            }
        }
        Text { value, span: sp }
    }

    fn idents(&mut self, p: P) -> Vec<Ident> {
        p.into_inner()
            .filter(|c| c.as_rule() == Rule::ident)
            .map(|c| self.ident(c))
            .collect()
    }

    fn header(&mut self, p: P) -> R<Header> {
        let sp = span(&p);
        let mut it = p.into_inner();
        next(&mut it, sp, "`policy`")?;
        let id = self.ident(next(&mut it, sp, "the policy name")?);
        let mut fields = Vec::new();
        for f in it {
            if f.as_rule() != Rule::header_field {
                continue;
            }
            let fsp = span(&f);
            let inner = next(&mut f.into_inner(), fsp, "a header line")?;
            let field = match inner.as_rule() {
                Rule::meta_field => {
                    let mut it = inner.into_inner();
                    let key = next(&mut it, fsp, "a header key")?;
                    let key_span = span(&key);
                    let word = next(&mut key.into_inner(), fsp, "a header key")?;
                    let key = match word.as_rule() {
                        Rule::kw_title => MetaKey::Title,
                        Rule::kw_source => MetaKey::Source,
                        Rule::kw_owner => MetaKey::Owner,
                        _ => MetaKey::Version,
                    };
                    let value = self.text(next(&mut it, fsp, "a header value")?);
                    HeaderField::Meta {
                        key,
                        key_span,
                        value,
                    }
                }
                Rule::source_file_field => {
                    let mut it = inner.into_inner();
                    let source = next(&mut it, fsp, "`source`")?;
                    let file = next(&mut it, fsp, "`file`")?;
                    let key_span = Span {
                        start: span(&source).start,
                        end: span(&file).end,
                    };
                    let path = self.text(next(&mut it, fsp, "the path of the SOP text")?);
                    HeaderField::SourceFile { key_span, path }
                }
                Rule::language_field => {
                    let mut it = inner.into_inner();
                    next(&mut it, fsp, "`language`")?;
                    HeaderField::Language(self.ident(next(&mut it, fsp, "a language code")?))
                }
                Rule::valid_field => HeaderField::Valid(self.validity(inner)?),
                _ => {
                    let mut it = inner.into_inner();
                    next(&mut it, fsp, "`status`")?;
                    let status = self.ident(next(&mut it, fsp, "a status")?);
                    let reason = it.next().map(|t| self.text(t));
                    HeaderField::Status { status, reason }
                }
            };
            fields.push(field);
        }
        Ok(Header {
            id,
            span: sp,
            fields,
        })
    }

    fn validity(&mut self, p: P) -> R<Validity> {
        let mut v = Validity {
            span: span(&p),
            ..Validity::default()
        };
        for c in p.into_inner() {
            let csp = span(&c);
            match c.as_rule() {
                Rule::valid_from | Rule::valid_until => {
                    let is_from = c.as_rule() == Rule::valid_from;
                    let mut it = c.into_inner();
                    next(&mut it, csp, "`from` or `until`")?;
                    let d = next(&mut it, csp, "a date")?;
                    let dsp = span(&d);
                    let days = self.date(&d);
                    if is_from {
                        v.from = Some((days, dsp));
                    } else {
                        v.until = Some((days, dsp));
                    }
                }
                _ => {}
            }
        }
        Ok(v)
    }

    pub fn date(&mut self, p: &P) -> i32 {
        match crate::time::parse_date(p.as_str()) {
            Some(d) => d,
            None => {
                self.errors.push(SyntaxError::InvalidDate {
                    span: span(p),
                    text: p.as_str().to_string(),
                });
                0
            }
        }
    }

    pub fn time(&mut self, p: &P) -> (u32, bool) {
        let text = p.as_str();
        match crate::time::parse_time(text) {
            Some(t) => (t, text.matches(':').count() == 2),
            None => {
                self.errors.push(SyntaxError::InvalidTime {
                    span: span(p),
                    text: text.to_string(),
                });
                (0, false)
            }
        }
    }

    pub fn datetime(&mut self, p: &P) -> DateTimeLit {
        match crate::time::parse_datetime(p.as_str()) {
            Some((local_seconds, offset_seconds)) => DateTimeLit {
                local_seconds,
                offset_seconds,
            },
            None => {
                self.errors.push(SyntaxError::InvalidDateTime {
                    span: span(p),
                    text: p.as_str().to_string(),
                });
                DateTimeLit {
                    local_seconds: 0,
                    offset_seconds: None,
                }
            }
        }
    }

    pub fn int(&mut self, p: &P) -> i64 {
        match p.as_str().parse::<i64>() {
            Ok(n) => n,
            Err(_) => {
                self.errors
                    .push(SyntaxError::NumberTooLarge { span: span(p) });
                0
            }
        }
    }

    fn item(&mut self, p: P) -> R<Item> {
        let sp = span(&p);
        Ok(match p.as_rule() {
            Rule::enum_decl => Item::Enum(self.enum_decl(p)?),
            Rule::case_decl => Item::Case(self.case_decl(p)?),
            Rule::let_decl => Item::Let(self.let_decl(p)?),
            Rule::question_decl => Item::Question(self.question_decl(p)?),
            Rule::action_decl => Item::Action(self.action_decl(p)?),
            Rule::field_decl => Item::Field(self.field_decl(p)?),
            Rule::script_decl => Item::Script(self.script_decl(p)?),
            Rule::outcome_decl => Item::Outcome(self.outcome_decl(p)?),
            Rule::deadline_decl => Item::Deadline(self.deadline_decl(p)?),
            Rule::calendar_decl => Item::Calendar(self.calendar_decl(p)?),
            Rule::rule_decl => Item::Rule(self.rule_decl(p)?),
            Rule::table_decl => Item::Table(self.table_decl(p)?),
            Rule::example_decl => Item::Example(self.example_decl(p)?),
            _ => {
                return Err(SyntaxError::Internal {
                    span: sp,
                    what: "a declaration",
                })
            }
        })
    }

    fn enum_decl(&mut self, p: P) -> R<EnumDecl> {
        let sp = span(&p);
        let mut name = None;
        let mut variants = Vec::new();
        for c in p.into_inner() {
            match c.as_rule() {
                Rule::ident => name = Some(self.ident(c)),
                Rule::enum_variant => {
                    let vsp = span(&c);
                    let mut it = c.into_inner();
                    let vname = self.ident(next(&mut it, vsp, "a value name")?);
                    let label = it.next().map(|t| self.text(t));
                    variants.push(EnumVariant { name: vname, label });
                }
                _ => {}
            }
        }
        let name = name.ok_or(SyntaxError::Internal {
            span: sp,
            what: "the enum name",
        })?;
        Ok(EnumDecl {
            name,
            variants,
            span: sp,
        })
    }

    fn case_decl(&mut self, p: P) -> R<CaseDecl> {
        let sp = span(&p);
        let mut facts = Vec::new();
        for c in p.into_inner() {
            if c.as_rule() != Rule::fact_decl {
                continue;
            }
            let fsp = span(&c);
            let mut name = None;
            let mut ty = None;
            let mut label = None;
            let mut ask = None;
            let mut ask_own_words = None;
            let mut sensitive = Vec::new();
            let mut assumes = Vec::new();
            for a in c.into_inner() {
                match a.as_rule() {
                    Rule::ident => name = Some(self.ident(a)),
                    Rule::type_ref => ty = Some(self.type_ref(a)?),
                    Rule::text => label = Some(self.text(a)),
                    Rule::fact_ask => {
                        let asp = span(&a);
                        let mut it = a.into_inner();
                        next(&mut it, asp, "`ask`")?;
                        ask = Some(self.text(next(&mut it, asp, "the question")?));
                        ask_own_words = it.next().map(|o| span(&o));
                    }
                    Rule::fact_sensitive => sensitive.push(span(&a)),
                    Rule::assume_clause => assumes.extend(self.assume(a)),
                    _ => {}
                }
            }
            let name = name.ok_or(SyntaxError::Internal {
                span: fsp,
                what: "the fact name",
            })?;
            let ty = ty.ok_or(SyntaxError::Internal {
                span: fsp,
                what: "the fact type",
            })?;
            facts.push(FactDecl {
                name,
                ty,
                label,
                ask,
                ask_own_words,
                sensitive,
                assumes,
                span: fsp,
            });
        }
        Ok(CaseDecl { facts, span: sp })
    }

    pub fn type_ref(&mut self, p: P) -> R<TypeRef> {
        let sp = span(&p);
        let inner = next(&mut p.into_inner(), sp, "a type")?;
        Ok(match inner.as_rule() {
            Rule::list_type => {
                let mut it = inner.into_inner();
                let kw = next(&mut it, sp, "`list` or `set`")?;
                let is_set = kw.as_rule() == Rule::kw_set;
                next(&mut it, sp, "`of`")?;
                let element = self.ident(next(&mut it, sp, "the element type")?);
                TypeRef::List {
                    element,
                    is_set,
                    span: sp,
                }
            }
            _ => TypeRef::Named(self.ident(inner)),
        })
    }

    fn let_decl(&mut self, p: P) -> R<LetDecl> {
        let sp = span(&p);
        let mut name = None;
        let mut label = None;
        let mut value = None;
        let mut assumes = Vec::new();
        for c in p.into_inner() {
            match c.as_rule() {
                Rule::ident => name = Some(self.ident(c)),
                Rule::text => label = Some(self.text(c)),
                Rule::expr => value = Some(self.expr(c)?),
                Rule::assume_clause => assumes.extend(self.assume(c)),
                _ => {}
            }
        }
        Ok(LetDecl {
            name: name.ok_or(SyntaxError::Internal {
                span: sp,
                what: "the name after `let`",
            })?,
            label,
            value: value.ok_or(SyntaxError::Internal {
                span: sp,
                what: "the value of `let`",
            })?,
            assumes,
            span: sp,
        })
    }

    fn question_decl(&mut self, p: P) -> R<QuestionDecl> {
        let sp = span(&p);
        let (mut name, mut text, mut must) = (None, None, false);
        let mut own_words = None;
        for c in p.into_inner() {
            match c.as_rule() {
                Rule::own_words => own_words = Some(span(&c)),
                Rule::ident => name = Some(self.ident(c)),
                Rule::text => text = Some(self.text(c)),
                Rule::must_be_correct => must = true,
                _ => {}
            }
        }
        Ok(QuestionDecl {
            name: name.ok_or(SyntaxError::Internal {
                span: sp,
                what: "the question name",
            })?,
            text: text.ok_or(SyntaxError::Internal {
                span: sp,
                what: "the question text",
            })?,
            must_be_correct: must,
            own_words,
            span: sp,
        })
    }

    pub fn verdict(&mut self, p: &P) -> Verdict {
        let rule = p.clone().into_inner().next().map(|c| c.as_rule());
        match rule {
            Some(Rule::kw_required) => Verdict::Required,
            Some(Rule::kw_forbidden) => Verdict::Forbidden,
            _ => Verdict::Allowed,
        }
    }

    fn action_decl(&mut self, p: P) -> R<ActionDecl> {
        let sp = span(&p);
        let (mut name, mut text, mut default) = (None, None, None);
        let mut must_decide = None;
        for c in p.into_inner() {
            match c.as_rule() {
                Rule::ident => name = Some(self.ident(c)),
                Rule::text => text = Some(self.text(c)),
                Rule::must_decide => must_decide = Some(span(&c)),
                Rule::action_default => {
                    let dsp = span(&c);
                    if let Some(v) = c.into_inner().find(|x| x.as_rule() == Rule::verdict) {
                        default = Some((self.verdict(&v), dsp));
                    }
                }
                _ => {}
            }
        }
        Ok(ActionDecl {
            name: name.ok_or(SyntaxError::Internal {
                span: sp,
                what: "the action name",
            })?,
            text: text.ok_or(SyntaxError::Internal {
                span: sp,
                what: "the action text",
            })?,
            default,
            must_decide,
            span: sp,
        })
    }

    fn field_decl(&mut self, p: P) -> R<FieldDecl> {
        let sp = span(&p);
        let (mut name, mut ty, mut label) = (None, None, None);
        for c in p.into_inner() {
            match c.as_rule() {
                Rule::ident => name = Some(self.ident(c)),
                Rule::type_ref => ty = Some(self.type_ref(c)?),
                Rule::text => label = Some(self.text(c)),
                _ => {}
            }
        }
        Ok(FieldDecl {
            name: name.ok_or(SyntaxError::Internal {
                span: sp,
                what: "the field name",
            })?,
            ty: ty.ok_or(SyntaxError::Internal {
                span: sp,
                what: "the field type",
            })?,
            label: label.ok_or(SyntaxError::Internal {
                span: sp,
                what: "the field label",
            })?,
            span: sp,
        })
    }

    fn script_decl(&mut self, p: P) -> R<ScriptDecl> {
        let sp = span(&p);
        let (mut name, mut text, mut max, mut over) = (None, None, None, None);
        let mut own_words = None;
        for c in p.into_inner() {
            match c.as_rule() {
                Rule::own_words => own_words = Some(span(&c)),
                Rule::ident => name = Some(self.ident(c)),
                Rule::text => text = Some(self.text(c)),
                Rule::script_limit => {
                    let lsp = span(&c);
                    for x in c.into_inner() {
                        match x.as_rule() {
                            Rule::int_lit => {
                                let v = self.int(&x);
                                max = Some((u32::try_from(v).unwrap_or(u32::MAX), lsp));
                            }
                            Rule::over_limit => {
                                over = x
                                    .into_inner()
                                    .find(|t| t.as_rule() == Rule::text)
                                    .map(|t| self.text(t));
                            }
                            _ => {}
                        }
                    }
                }
                _ => {}
            }
        }
        Ok(ScriptDecl {
            name: name.ok_or(SyntaxError::Internal {
                span: sp,
                what: "the script name",
            })?,
            text: text.ok_or(SyntaxError::Internal {
                span: sp,
                what: "the script text",
            })?,
            max_chars: max,
            over_limit: over,
            own_words,
            span: sp,
        })
    }

    fn outcome_decl(&mut self, p: P) -> R<OutcomeDecl> {
        let sp = span(&p);
        let (mut name, mut ty, mut label, mut default) = (None, None, None, None);
        let mut must_decide = None;
        for c in p.into_inner() {
            match c.as_rule() {
                Rule::ident => name = Some(self.ident(c)),
                Rule::type_ref => ty = Some(self.type_ref(c)?),
                Rule::text => label = Some(self.text(c)),
                Rule::must_decide => must_decide = Some(span(&c)),
                Rule::outcome_default => {
                    if let Some(e) = c.into_inner().find(|x| x.as_rule() == Rule::expr) {
                        default = Some(self.expr(e)?);
                    }
                }
                _ => {}
            }
        }
        Ok(OutcomeDecl {
            name: name.ok_or(SyntaxError::Internal {
                span: sp,
                what: "the outcome name",
            })?,
            ty: ty.ok_or(SyntaxError::Internal {
                span: sp,
                what: "the outcome type",
            })?,
            label: label.ok_or(SyntaxError::Internal {
                span: sp,
                what: "the outcome label",
            })?,
            default,
            must_decide,
            span: sp,
        })
    }

    fn deadline_decl(&mut self, p: P) -> R<DeadlineDecl> {
        let sp = span(&p);
        let (mut name, mut label) = (None, None);
        for c in p.into_inner() {
            match c.as_rule() {
                Rule::ident => name = Some(self.ident(c)),
                Rule::text => label = Some(self.text(c)),
                _ => {}
            }
        }
        Ok(DeadlineDecl {
            name: name.ok_or(SyntaxError::Internal {
                span: sp,
                what: "the deadline name",
            })?,
            label: label.ok_or(SyntaxError::Internal {
                span: sp,
                what: "the deadline label",
            })?,
            span: sp,
        })
    }

    fn calendar_decl(&mut self, p: P) -> R<CalendarDecl> {
        let sp = span(&p);
        let mut cal = CalendarDecl {
            zone: None,
            open: Vec::new(),
            closed: Vec::new(),
            assumes: Vec::new(),
            span: sp,
        };
        for c in p.into_inner() {
            let csp = span(&c);
            match c.as_rule() {
                Rule::calendar_zone => {
                    if let Some(t) = c.into_inner().find(|x| x.as_rule() == Rule::text) {
                        cal.zone = Some(self.text(t));
                    }
                }
                Rule::calendar_open => {
                    let mut days = None;
                    let mut times = Vec::new();
                    for x in c.into_inner() {
                        match x.as_rule() {
                            Rule::weekday_span => {
                                let ids = self.idents(x);
                                days = Some(ids);
                            }
                            Rule::time_lit => {
                                let xsp = span(&x);
                                times.push((self.time(&x).0, xsp));
                            }
                            _ => {}
                        }
                    }
                    let mut days = days.unwrap_or_default().into_iter();
                    let first_day = days.next().ok_or(SyntaxError::Internal {
                        span: csp,
                        what: "a weekday",
                    })?;
                    let last_day = days.next();
                    let mut times = times.into_iter();
                    let from = times.next().ok_or(SyntaxError::Internal {
                        span: csp,
                        what: "an opening time",
                    })?;
                    let until = times.next().ok_or(SyntaxError::Internal {
                        span: csp,
                        what: "a closing time",
                    })?;
                    cal.open.push(OpeningHours {
                        first_day,
                        last_day,
                        from,
                        until,
                        span: csp,
                    });
                }
                Rule::assume_clause => cal.assumes.extend(self.assume(c)),
                Rule::calendar_closed => {
                    for d in c.into_inner().filter(|x| x.as_rule() == Rule::date_lit) {
                        let dsp = span(&d);
                        let days = self.date(&d);
                        cal.closed.push((days, dsp));
                    }
                }
                _ => {}
            }
        }
        Ok(cal)
    }

    fn rule_decl(&mut self, p: P) -> R<RuleDecl> {
        let sp = span(&p);
        let mut rule = RuleDecl {
            name: Ident {
                name: String::new(),
                span: sp,
            },
            overrides: Vec::new(),
            quote: None,
            assumes: Vec::new(),
            valid: None,
            when: None,
            effects: Vec::new(),
            span: sp,
        };
        for c in p.into_inner() {
            match c.as_rule() {
                Rule::ident => rule.name = self.ident(c),
                Rule::overrides => rule.overrides = self.idents(c),
                Rule::quote_clause => rule.quote = join_quotes(rule.quote.take(), self.quote(c)),
                Rule::assume_clause => rule.assumes.extend(self.assume(c)),
                Rule::valid_field => rule.valid = Some(self.validity(c)?),
                Rule::when_clause => rule.when = self.when(c)?,
                Rule::then_clause => {
                    for e in c.into_inner() {
                        if e.as_rule() != Rule::kw_then {
                            rule.effects.push(self.effect(e)?);
                        }
                    }
                }
                _ => {}
            }
        }
        Ok(rule)
    }

    /// `assume "…"`: its text and the span of the whole line.
    fn assume(&mut self, p: P) -> Option<Assume> {
        let sp = span(&p);
        p.into_inner()
            .find(|x| x.as_rule() == Rule::text)
            .map(|t| Assume {
                text: self.text(t),
                span: sp,
            })
    }

    fn quote(&mut self, p: P) -> Option<Text> {
        p.into_inner()
            .find(|x| x.as_rule() == Rule::text)
            .map(|t| self.text(t))
    }

    fn when(&mut self, p: P) -> R<Option<Expr>> {
        match p.into_inner().find(|x| x.as_rule() == Rule::expr) {
            Some(e) => Ok(Some(self.expr(e)?)),
            None => Ok(None),
        }
    }

    fn effect(&mut self, p: P) -> R<Effect> {
        let sp = span(&p);
        let rule = p.as_rule();
        let mut it = p.into_inner();
        next(&mut it, sp, "the effect keyword")?;
        let kind = match rule {
            Rule::ask_eff => EffectKind::Ask(self.idents(next(&mut it, sp, "names")?)),
            Rule::require_eff => EffectKind::Require(self.idents(next(&mut it, sp, "names")?)),
            Rule::allow_eff => EffectKind::Allow(self.idents(next(&mut it, sp, "names")?)),
            Rule::forbid_eff => EffectKind::Forbid(self.idents(next(&mut it, sp, "names")?)),
            Rule::say_eff => EffectKind::Say(self.idents(next(&mut it, sp, "names")?)),
            Rule::set_eff => {
                let target = self.ident(next(&mut it, sp, "the outcome name")?);
                next(&mut it, sp, "`=`")?;
                let value = self.expr(next(&mut it, sp, "the value")?)?;
                EffectKind::Set(target, value)
            }
            Rule::due_eff => {
                let deadline = self.ident(next(&mut it, sp, "the deadline name")?);
                let how = next(&mut it, sp, "`within` or `by`")?;
                let hsp = span(&how);
                let is_within = how.as_rule() == Rule::due_within;
                let mut h = how.into_inner().filter(|x| x.as_rule() == Rule::sum);
                if is_within {
                    let duration = self.sum(next_of(&mut h, hsp, "the duration")?)?;
                    let after = self.sum(next_of(&mut h, hsp, "the start time")?)?;
                    EffectKind::DueWithin {
                        deadline,
                        duration,
                        after,
                    }
                } else {
                    let at = self.sum(next_of(&mut h, hsp, "the due time")?)?;
                    EffectKind::DueBy { deadline, at }
                }
            }
            Rule::open_eff => {
                let mut target = None;
                let mut reason = None;
                for x in it {
                    match x.as_rule() {
                        Rule::ident => target = Some(self.ident(x)),
                        Rule::text => reason = Some(self.text(x)),
                        _ => {}
                    }
                }
                EffectKind::Open {
                    target,
                    reason: reason.ok_or(SyntaxError::Internal {
                        span: sp,
                        what: "the open point's text",
                    })?,
                }
            }
            _ => {
                return Err(SyntaxError::Internal {
                    span: sp,
                    what: "an effect",
                })
            }
        };
        Ok(Effect { kind, span: sp })
    }

    fn table_decl(&mut self, p: P) -> R<TableDecl> {
        let sp = span(&p);
        let mut t = TableDecl {
            name: Ident {
                name: String::new(),
                span: sp,
            },
            overrides: Vec::new(),
            quote: None,
            assumes: Vec::new(),
            hit: None,
            complete: false,
            when: None,
            valid: None,
            inputs: Vec::new(),
            outputs: Vec::new(),
            rows: Vec::new(),
            span: sp,
        };
        for c in p.into_inner() {
            let csp = span(&c);
            match c.as_rule() {
                Rule::ident => t.name = self.ident(c),
                Rule::overrides => t.overrides = self.idents(c),
                Rule::quote_clause => t.quote = join_quotes(t.quote.take(), self.quote(c)),
                Rule::assume_clause => t.assumes.extend(self.assume(c)),
                Rule::hit_clause => {
                    let parts: Vec<P> = c.into_inner().collect();
                    t.complete = parts.iter().any(|x| x.as_rule() == Rule::kw_complete);
                    t.hit = parts
                        .into_iter()
                        .find(|x| x.as_rule() == Rule::ident)
                        .map(|i| self.ident(i))
                }
                Rule::when_clause => t.when = self.when(c)?,
                Rule::valid_field => t.valid = Some(self.validity(c)?),
                Rule::table_header => {
                    let mut outputs = false;
                    for x in c.into_inner() {
                        match x.as_rule() {
                            Rule::arrow => outputs = true,
                            Rule::header_cell => {
                                let id = next(&mut x.into_inner(), csp, "a column name")?;
                                let id = self.ident(id);
                                if outputs {
                                    t.outputs.push(id);
                                } else {
                                    t.inputs.push(id);
                                }
                            }
                            _ => {}
                        }
                    }
                }
                Rule::table_row => {
                    let row = self.table_row(c)?;
                    row_within_limit(t.when.as_ref(), &row)?;
                    t.rows.push(row);
                }
                _ => {}
            }
        }
        Ok(t)
    }

    fn table_row(&mut self, p: P) -> R<TableRow> {
        let sp = span(&p);
        let mut row = TableRow {
            inputs: Vec::new(),
            outputs: Vec::new(),
            span: sp,
        };
        for c in p.into_inner() {
            let csp = span(&c);
            match c.as_rule() {
                Rule::in_cell => {
                    let mut tests = Vec::new();
                    for t in c.into_inner() {
                        if t.as_rule() != Rule::cell_test {
                            continue;
                        }
                        let tsp = span(&t);
                        let mut negated = false;
                        let mut kind = None;
                        for x in t.into_inner() {
                            match x.as_rule() {
                                Rule::kw_not => negated = true,
                                Rule::cell_cmp => {
                                    let xsp = span(&x);
                                    let mut it = x.into_inner();
                                    let op = next(&mut it, xsp, "a comparison")?;
                                    let op = self.cmp_op(&op);
                                    let v = self.sum(next(&mut it, xsp, "a value")?)?;
                                    kind = Some(CellTestKind::Compare(op, v));
                                }
                                Rule::cell_range => {
                                    let xsp = span(&x);
                                    let mut it =
                                        x.into_inner().filter(|y| y.as_rule() == Rule::sum);
                                    let lo =
                                        self.sum(next_of(&mut it, xsp, "the start of the range")?)?;
                                    let hi =
                                        self.sum(next_of(&mut it, xsp, "the end of the range")?)?;
                                    kind = Some(CellTestKind::Range(lo, hi));
                                }
                                Rule::sum => kind = Some(CellTestKind::Equals(self.sum(x)?)),
                                _ => {}
                            }
                        }
                        let kind = kind.ok_or(SyntaxError::Internal {
                            span: tsp,
                            what: "a cell",
                        })?;
                        tests.push(CellTest {
                            negated,
                            kind,
                            span: tsp,
                        });
                    }
                    row.inputs.push(InCell { tests, span: csp });
                }
                Rule::out_cell => {
                    let inner = next(&mut c.into_inner(), csp, "a result cell")?;
                    let cell = match inner.as_rule() {
                        Rule::any_cell => OutCell::Nothing(csp),
                        Rule::verdict => OutCell::Verdict(self.verdict(&inner), csp),
                        Rule::kw_ask => OutCell::Ask(csp),
                        Rule::kw_say => OutCell::Say(csp),
                        _ => OutCell::Value(self.sum(inner)?),
                    };
                    row.outputs.push(cell);
                }
                _ => {}
            }
        }
        Ok(row)
    }

    fn example_decl(&mut self, p: P) -> R<ExampleDecl> {
        let sp = span(&p);
        let mut ex = ExampleDecl {
            name: Text {
                value: String::new(),
                span: sp,
            },
            at: None,
            given: Vec::new(),
            expect: Vec::new(),
            span: sp,
        };
        for c in p.into_inner() {
            let csp = span(&c);
            match c.as_rule() {
                Rule::text => ex.name = self.text(c),
                Rule::example_at => {
                    let v = next_of(
                        &mut c.into_inner().filter(|x| x.as_rule() != Rule::kw_at),
                        csp,
                        "a time",
                    )?;
                    let vsp = span(&v);
                    let t = if v.as_rule() == Rule::date_lit {
                        ExampleTime::Date(self.date(&v))
                    } else {
                        ExampleTime::DateTime(self.datetime(&v))
                    };
                    ex.at = Some((t, vsp));
                }
                Rule::given_block => {
                    for g in c.into_inner().filter(|x| x.as_rule() == Rule::given_item) {
                        let gsp = span(&g);
                        let mut it = g.into_inner();
                        let fact = self.ident(next(&mut it, gsp, "a fact name")?);
                        next(&mut it, gsp, "`:`")?;
                        let v = next(&mut it, gsp, "a value")?;
                        let vsp = span(&v);
                        let inner = next(&mut v.into_inner(), vsp, "a value")?;
                        let value = if inner.as_rule() == Rule::kw_unanswered {
                            None
                        } else {
                            Some(self.sum(inner)?)
                        };
                        ex.given.push(GivenItem {
                            fact,
                            value,
                            span: gsp,
                        });
                    }
                }
                Rule::expect_block => {
                    for e in c.into_inner() {
                        if matches!(
                            e.as_rule(),
                            Rule::kw_expect
                                | Rule::lbrace
                                | Rule::rbrace
                                | Rule::comma
                                | Rule::semicolon
                        ) {
                            continue;
                        }
                        ex.expect.push(self.expectation(e)?);
                    }
                }
                _ => {}
            }
        }
        Ok(ex)
    }

    fn expectation(&mut self, p: P) -> R<Expectation> {
        let sp = span(&p);
        let rule = p.as_rule();
        let children: Vec<P> = p.into_inner().collect();
        let has = |r: Rule| children.iter().any(|c| c.as_rule() == r);
        let names = |me: &mut Self| -> Vec<Ident> {
            children
                .iter()
                .filter(|c| c.as_rule() == Rule::name_list)
                .flat_map(|c| c.clone().into_inner())
                .filter(|c| c.as_rule() == Rule::ident)
                .map(|c| me.ident(c))
                .collect()
        };
        let kind = match rule {
            Rule::exp_complete => ExpectKind::Complete(!has(Rule::kw_not)),
            Rule::exp_open => ExpectKind::Open(names(self), !has(Rule::kw_not)),
            Rule::exp_pending => ExpectKind::Pending(names(self)),
            Rule::exp_not => {
                let ids = names(self);
                if has(Rule::kw_ask) {
                    ExpectKind::Ask(ids, false)
                } else if has(Rule::kw_say) {
                    ExpectKind::Say(ids, false)
                } else {
                    ExpectKind::Require(ids, false)
                }
            }
            Rule::exp_ask => ExpectKind::Ask(names(self), true),
            Rule::exp_say => ExpectKind::Say(names(self), true),
            Rule::exp_require => ExpectKind::Require(names(self), true),
            Rule::exp_due => {
                let mut id = None;
                let mut when = None;
                for c in children {
                    match c.as_rule() {
                        Rule::ident => id = Some(self.ident(c)),
                        Rule::datetime_lit => {
                            let csp = span(&c);
                            when = Some((self.datetime(&c), csp));
                        }
                        _ => {}
                    }
                }
                let id = id.ok_or(SyntaxError::Internal {
                    span: sp,
                    what: "the deadline name",
                })?;
                let (dt, dsp) = when.ok_or(SyntaxError::Internal {
                    span: sp,
                    what: "the due time",
                })?;
                ExpectKind::Due(id, dt, dsp)
            }
            Rule::exp_value => {
                let mut id = None;
                let mut value = None;
                for c in children {
                    match c.as_rule() {
                        Rule::ident => id = Some(self.ident(c)),
                        Rule::sum => value = Some(self.sum(c)?),
                        _ => {}
                    }
                }
                ExpectKind::Value(
                    id.ok_or(SyntaxError::Internal {
                        span: sp,
                        what: "the outcome name",
                    })?,
                    value,
                )
            }
            Rule::exp_verdict => {
                let mut id = None;
                let mut verdict = None;
                for c in children {
                    match c.as_rule() {
                        Rule::ident => id = Some(self.ident(c)),
                        Rule::verdict => verdict = Some(self.verdict(&c)),
                        _ => {}
                    }
                }
                ExpectKind::Verdict(
                    id.ok_or(SyntaxError::Internal {
                        span: sp,
                        what: "the action name",
                    })?,
                    verdict,
                )
            }
            _ => {
                return Err(SyntaxError::Internal {
                    span: sp,
                    what: "an expectation",
                })
            }
        };
        Ok(Expectation { kind, span: sp })
    }
}

pub(super) fn next_of<'i>(
    it: &mut impl Iterator<Item = P<'i>>,
    at: Span,
    what: &'static str,
) -> R<P<'i>> {
    it.next().ok_or(SyntaxError::Internal { span: at, what })
}

/// Several `quote` lines on one rule are kept together, in order.
fn join_quotes(a: Option<Text>, b: Option<Text>) -> Option<Text> {
    match (a, b) {
        (Some(a), Some(b)) => Some(Text {
            value: format!("{} … {}", a.value, b.value),
            span: a.span.join(b.span),
        }),
        (a, b) => a.or(b),
    }
}

fn unescape(raw: &str, out: &mut String) {
    let mut chars = raw.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('n') => out.push('\n'),
            Some('t') => out.push('\t'),
            Some('{') => out.push('\u{E000}'),
            Some('}') => out.push('\u{E001}'),
            Some(other) => out.push(other),
            None => {}
        }
    }
}

/// A table row becomes one condition: the table's `when`, then `and` for each
/// input cell, each cell an `or` of its tests (a comparison, maybe negated).
/// Refuses a row whose condition would be deeper than [`MAX_EXPR_DEPTH`].
fn row_within_limit(when: Option<&Expr>, row: &TableRow) -> R<()> {
    let deepest_cell = row
        .inputs
        .iter()
        .map(|cell| {
            let value = cell
                .tests
                .iter()
                .map(|t| match &t.kind {
                    CellTestKind::Equals(v) | CellTestKind::Compare(_, v) => v.depth(),
                    CellTestKind::Range(lo, hi) => lo.depth().max(hi.depth()),
                })
                .max()
                .unwrap_or(0);
            cell.tests.len() + 2 + value
        })
        .max()
        .unwrap_or(0);
    let depth = when.map_or(0, Expr::depth) + row.inputs.len() + deepest_cell;
    if depth <= MAX_EXPR_DEPTH {
        return Ok(());
    }
    Err(SyntaxError::TooLong {
        span: row.span,
        start: None,
        depth,
        limit: MAX_EXPR_DEPTH,
    })
}

#[cfg(test)]
mod tests {
    use super::significant_len;

    #[test]
    fn blanks_and_comments_at_the_end_are_not_significant() {
        assert_eq!(significant_len(""), 0);
        assert_eq!(significant_len("abc"), 3);
        assert_eq!(significant_len("é"), 2);
        assert_eq!(significant_len("abc  \n"), 3);
        assert_eq!(significant_len("a # note"), 1);
        assert_eq!(significant_len("a \"#x\""), 6);
        assert_eq!(significant_len("x\n  # c\n"), 1);
        assert_eq!(significant_len("x # a\n  # b"), 1);
        assert_eq!(significant_len("# only"), 6);
        let long = format!("{} # c", "a".repeat(80));
        assert_eq!(significant_len(&long), 80);
    }
}
