//! AST → checked [`Policy`]: names resolved to slots, types checked, every
//! problem reported (not just the first).

mod assume;
mod error;
mod examples;
mod expr;
pub mod ids;
pub mod ir;
mod lints;
mod rules;
mod tables;

pub use error::CheckError;

use crate::diagnostic::did_you_mean;
use crate::span::{LineIndex, Span};
use crate::syntax::ast::{self, DateTimeLit, HeaderField, Item, MetaKey, TypeRef};
use crate::time::Zone;
use crate::types::Type;
use ids::*;
use ir::*;
use std::collections::{BTreeSet, HashMap};

#[derive(Debug, Clone, Copy)]
pub(crate) enum ValueDecl {
    Fact(FactId, Span),
    /// Index of the `let` in declaration order (its [`LetId`] is known once checked).
    Let(usize, Span),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum OutputDecl {
    Question(QuestionId),
    Action(ActionId),
    Field(FieldId),
    Script(ScriptId),
    Outcome(OutcomeId),
    Deadline(DeadlineId),
}

impl OutputDecl {
    pub fn kind(self) -> &'static str {
        match self {
            OutputDecl::Question(_) => "a question",
            OutputDecl::Action(_) => "an action",
            OutputDecl::Field(_) => "a ticket field",
            OutputDecl::Script(_) => "a script",
            OutputDecl::Outcome(_) => "an outcome",
            OutputDecl::Deadline(_) => "a deadline",
        }
    }
}

pub(crate) struct Checker<'a> {
    pub source: &'a str,
    pub lines: LineIndex,
    pub file: String,
    pub errors: Vec<CheckError>,
    pub values: HashMap<String, ValueDecl>,
    pub outputs: HashMap<String, (OutputDecl, Span)>,
    pub enums: IdVec<EnumId, EnumDef>,
    pub enum_spans: HashMap<String, Span>,
    /// Enum name → its index in `enums`: type names are looked up, not searched for.
    pub enum_index: HashMap<String, EnumId>,
    /// Enum value name → the first enum (in declaration order) that has it.
    pub variant_enum: HashMap<String, EnumId>,
    pub facts: IdVec<FactId, FactDef>,
    pub lets: IdVec<LetId, LetDef>,
    /// `let` declaration index → (evaluation slot, type), once checked.
    pub let_final: HashMap<usize, (LetId, Type)>,
    pub questions: IdVec<QuestionId, QuestionDef>,
    pub actions: IdVec<ActionId, ActionDef>,
    pub fields: IdVec<FieldId, FieldDef>,
    pub scripts: IdVec<ScriptId, ScriptDef>,
    pub outcomes: IdVec<OutcomeId, OutcomeDef>,
    pub deadlines: IdVec<DeadlineId, DeadlineDef>,
    pub calendar: Calendar,
    pub used_facts: BTreeSet<FactId>,
    pub used_lets: BTreeSet<usize>,
    pub used_outputs: BTreeSet<String>,
    pub uses_now: bool,
    pub enum_hint: Option<Type>,
}

/// Checks a parsed policy. Returns the policy when there are no errors, and
/// every diagnostic found (errors and warnings) either way.
pub fn check(file: &ast::File, file_name: &str, source: &str) -> (Option<Policy>, Vec<CheckError>) {
    check_at(file, file_name, source, None)
}

/// Like [`check`], with the date used for the "expired" warning (days since 1970-01-01).
pub fn check_at(
    file: &ast::File,
    file_name: &str,
    source: &str,
    today: Option<i32>,
) -> (Option<Policy>, Vec<CheckError>) {
    let mut c = Checker {
        source,
        lines: LineIndex::new(source),
        file: file_name.to_string(),
        errors: Vec::new(),
        values: HashMap::new(),
        outputs: HashMap::new(),
        enums: IdVec::new(),
        enum_spans: HashMap::new(),
        enum_index: HashMap::new(),
        variant_enum: HashMap::new(),
        facts: IdVec::new(),
        lets: IdVec::new(),
        let_final: HashMap::new(),
        questions: IdVec::new(),
        actions: IdVec::new(),
        fields: IdVec::new(),
        scripts: IdVec::new(),
        outcomes: IdVec::new(),
        deadlines: IdVec::new(),
        calendar: Calendar::default(),
        used_facts: BTreeSet::new(),
        used_lets: BTreeSet::new(),
        used_outputs: BTreeSet::new(),
        uses_now: false,
        enum_hint: None,
    };
    let meta = c.header(&file.header);
    c.calendar(file);
    c.enums_decl(file);
    c.facts_decl(file);
    c.outputs_decl(file);
    c.lets_decl(file);
    c.scripts_body(file);
    let (rules, tables) = c.rules(file);
    let assumptions = c.assumptions(file, &rules);
    let examples = c.examples(file, &rules);
    let had_errors = c.errors.iter().any(|e| e.to_diagnostic().is_error());
    c.lints(file, &meta, &rules, today);
    // After an error, "never used" and "always false" mostly echo it: leave them out.
    if had_errors {
        c.errors.retain(|e| {
            !matches!(
                e,
                CheckError::Unused { .. } | CheckError::ConstantCondition { .. }
            )
        });
    }
    let has_errors = c.errors.iter().any(|e| e.to_diagnostic().is_error());
    let errors = std::mem::take(&mut c.errors);
    if has_errors {
        return (None, errors);
    }
    let policy = Policy {
        meta,
        enums: c.enums,
        facts: c.facts,
        lets: c.lets,
        questions: c.questions,
        actions: c.actions,
        fields: c.fields,
        scripts: c.scripts,
        outcomes: c.outcomes,
        deadlines: c.deadlines,
        calendar: c.calendar,
        rules,
        tables,
        examples,
        assumptions,
    };
    (Some(policy), errors)
}

impl<'a> Checker<'a> {
    pub fn err(&mut self, e: CheckError) {
        self.errors.push(e);
    }

    pub fn location(&self, span: Span) -> String {
        let (l, c) = self.lines.line_col(self.source, span.start);
        format!("{}:{l}:{c}", self.file)
    }

    pub fn line(&self, span: Span) -> usize {
        self.lines.line_col(self.source, span.start).0
    }

    pub fn variant_index(&self, e: EnumId, name: &str) -> Option<VariantId> {
        self.enums[e].variant(name)
    }

    pub fn variant_names(&self, e: EnumId) -> Vec<String> {
        self.enums[e]
            .variants
            .iter()
            .map(|v| v.name.clone())
            .collect()
    }

    pub fn output_kind(&self, name: &str) -> Option<(&'static str, Span)> {
        self.outputs.get(name).map(|(d, s)| (d.kind(), *s))
    }

    /// The instant of a date-time literal; without an offset it is read in the calendar's zone.
    pub fn instant(&self, lit: DateTimeLit) -> i64 {
        match lit.offset_seconds {
            Some(off) => lit.local_seconds - i64::from(off),
            None => self.calendar.zone.instant_of_local(lit.local_seconds),
        }
    }

    fn header(&mut self, h: &ast::Header) -> Meta {
        let mut meta = Meta {
            id: h.id.name.clone(),
            file: self.file.clone(),
            ..Meta::default()
        };
        let mut seen: HashMap<&'static str, Span> = HashMap::new();
        let mut once = |me: &mut Self, key: &'static str, span: Span| {
            if let Some(first) = seen.get(key) {
                me.err(CheckError::DuplicateHeaderField {
                    span,
                    first: *first,
                    field: key.to_string(),
                });
            } else {
                seen.insert(key, span);
            }
        };
        for f in &h.fields {
            match f {
                HeaderField::Meta {
                    key,
                    key_span,
                    value,
                } => {
                    once(self, key.word(), *key_span);
                    let v = Some(value.value.clone());
                    match key {
                        MetaKey::Title => meta.title = v,
                        MetaKey::Source => meta.source = v,
                        MetaKey::Owner => meta.owner = v,
                        MetaKey::Version => meta.version = v,
                    }
                }
                // Read by `pol check`'s quote check (`crate::quotes`), not by the checker:
                // the compiled policy does not depend on another file.
                HeaderField::SourceFile { key_span, .. } => once(self, "source file", *key_span),
                HeaderField::Language(id) => {
                    once(self, "language", id.span);
                    meta.language = Some(id.name.clone());
                }
                HeaderField::Valid(v) => {
                    once(self, "valid", v.span);
                    meta.valid_from = v.from.map(|d| d.0);
                    meta.valid_until = v.until.map(|d| d.0);
                    self.validity_order(v);
                }
                HeaderField::Status { status, .. } => {
                    once(self, "status", status.span);
                    if !matches!(status.name.as_str(), "active" | "draft" | "archived") {
                        self.err(CheckError::UnknownStatus {
                            span: status.span,
                            found: status.name.clone(),
                        });
                    }
                    meta.status = Some(status.name.clone());
                }
            }
        }
        if meta.title.is_none() {
            self.err(CheckError::MissingTitle { span: h.id.span });
        }
        meta
    }

    pub fn validity_order(&mut self, v: &ast::Validity) {
        if let (Some((f, _)), Some((u, _))) = (v.from, v.until) {
            if u < f {
                self.err(CheckError::ValidityOrder { span: v.span });
            }
        }
    }

    fn calendar(&mut self, file: &ast::File) {
        let mut first: Option<Span> = None;
        for item in &file.items {
            let Item::Calendar(cal) = item else { continue };
            if let Some(f) = first {
                self.err(CheckError::DuplicateBlock {
                    span: cal.span,
                    first: f,
                    block: "calendar",
                });
                continue;
            }
            first = Some(cal.span);
            self.calendar.declared = true;
            if let Some(z) = &cal.zone {
                match Zone::parse(&z.value) {
                    Some(zone) => self.calendar.zone = zone,
                    None => self.err(CheckError::UnknownZone {
                        span: z.span,
                        found: z.value.clone(),
                    }),
                }
            }
            for o in &cal.open {
                let first_day = self.weekday(&o.first_day);
                let last_day = o
                    .last_day
                    .as_ref()
                    .map(|d| self.weekday(d))
                    .unwrap_or(first_day);
                if o.until.0 <= o.from.0 {
                    self.err(CheckError::BadOpeningHours { span: o.span });
                    continue;
                }
                if let (Some(a), Some(b)) = (first_day, last_day) {
                    let mut d = a;
                    loop {
                        if let Some(slot) = self.calendar.open.get_mut(d) {
                            *slot = Some((o.from.0, o.until.0));
                        }
                        if d == b {
                            break;
                        }
                        d = (d + 1) % 7;
                    }
                }
            }
            self.calendar.closed = cal.closed.iter().map(|d| d.0).collect();
            self.calendar.closed.sort_unstable();
        }
    }

    fn weekday(&mut self, id: &ast::Ident) -> Option<usize> {
        const DAYS: [&str; 7] = [
            "monday",
            "tuesday",
            "wednesday",
            "thursday",
            "friday",
            "saturday",
            "sunday",
        ];
        let lower = id.name.to_lowercase();
        match DAYS.iter().position(|d| *d == lower) {
            Some(i) => Some(i),
            None => {
                let suggestion = did_you_mean(&lower, DAYS.iter().copied());
                self.err(CheckError::UnknownWeekday {
                    span: id.span,
                    found: id.name.clone(),
                    suggestion,
                });
                None
            }
        }
    }

    fn enums_decl(&mut self, file: &ast::File) {
        for item in &file.items {
            let Item::Enum(e) = item else { continue };
            if let Some(first) = self.enum_spans.get(&e.name.name) {
                self.err(CheckError::Duplicate {
                    span: e.name.span,
                    first: *first,
                    name: e.name.name.clone(),
                    kind: "enum",
                });
                continue;
            }
            self.enum_spans.insert(e.name.name.clone(), e.name.span);
            let mut variants: IdVec<VariantId, VariantDef> = IdVec::new();
            let mut spans: HashMap<&str, Span> = HashMap::new();
            for v in &e.variants {
                if let Some(first) = spans.get(v.name.name.as_str()) {
                    self.err(CheckError::Duplicate {
                        span: v.name.span,
                        first: *first,
                        name: v.name.name.clone(),
                        kind: "enum value",
                    });
                    continue;
                }
                spans.insert(&v.name.name, v.name.span);
                self.mixed_script(&v.name);
                variants.push(VariantDef {
                    name: v.name.name.clone(),
                    label: v.label.as_ref().map(|l| l.value.clone()),
                });
            }
            let index = self.enums.next_id();
            self.enum_index.insert(e.name.name.clone(), index);
            for v in &variants {
                self.variant_enum.entry(v.name.clone()).or_insert(index);
            }
            self.enums.push(EnumDef {
                name: e.name.name.clone(),
                variants,
            });
        }
    }

    pub fn mixed_script(&mut self, id: &ast::Ident) {
        let latin = id.name.chars().any(|c| c.is_ascii_alphabetic());
        let cyrillic = id
            .name
            .chars()
            .any(|c| ('\u{0400}'..='\u{04FF}').contains(&c));
        if latin && cyrillic {
            self.err(CheckError::MixedScript {
                span: id.span,
                name: id.name.clone(),
            });
        }
    }

    pub fn resolve_type(&mut self, t: &TypeRef) -> Type {
        match t {
            TypeRef::Named(id) => self.named_type(id),
            TypeRef::List { element, .. } => Type::List(Box::new(self.named_type(element))),
        }
    }

    fn named_type(&mut self, id: &ast::Ident) -> Type {
        if let Some(t) = Type::from_name(&id.name) {
            return t;
        }
        if let Some(&i) = self.enum_index.get(&id.name) {
            return Type::Enum(i, id.name.clone());
        }
        let mut candidates: Vec<String> =
            Type::BUILTIN_NAMES.iter().map(|s| s.to_string()).collect();
        candidates.extend(self.enums.iter().map(|e| e.name.clone()));
        // Words from other languages' type names.
        let synonym = match id.name.to_lowercase().as_str() {
            "number" | "integer" | "whole" | "count" => Some("int"),
            "money" | "float" | "double" | "amount" => Some("decimal"),
            "string" | "str" => Some("text"),
            "boolean" | "yesno" => Some("bool"),
            "timestamp" => Some("datetime"),
            _ => None,
        };
        let suggestion = synonym
            .map(String::from)
            .or_else(|| did_you_mean(&id.name, candidates.iter().map(String::as_str)));
        self.err(CheckError::UnknownType {
            span: id.span,
            name: id.name.clone(),
            suggestion,
        });
        Type::Error
    }

    fn facts_decl(&mut self, file: &ast::File) {
        let mut first_case: Option<Span> = None;
        for item in &file.items {
            let Item::Case(case) = item else { continue };
            if let Some(f) = first_case {
                self.err(CheckError::DuplicateBlock {
                    span: case.span,
                    first: f,
                    block: "case",
                });
            }
            first_case.get_or_insert(case.span);
            for f in &case.facts {
                if let Some(ValueDecl::Fact(_, s) | ValueDecl::Let(_, s)) =
                    self.values.get(&f.name.name)
                {
                    self.err(CheckError::Duplicate {
                        span: f.name.span,
                        first: *s,
                        name: f.name.name.clone(),
                        kind: "fact",
                    });
                    continue;
                }
                self.mixed_script(&f.name);
                if let [first, again, ..] = f.sensitive.as_slice() {
                    self.err(CheckError::SensitiveTwice {
                        span: *again,
                        first: *first,
                        fact: f.name.name.clone(),
                    });
                }
                let ty = self.resolve_type(&f.ty);
                let is_set = matches!(f.ty, TypeRef::List { is_set: true, .. });
                let index = self.facts.next_id();
                self.values
                    .insert(f.name.name.clone(), ValueDecl::Fact(index, f.name.span));
                self.facts.push(FactDef {
                    name: f.name.name.clone(),
                    ty,
                    is_set,
                    label: f.label.as_ref().map(|t| t.value.clone()),
                    ask: f.ask.as_ref().map(|t| t.value.clone()),
                    ask_own_words: f.ask_own_words.is_some(),
                    sensitive: !f.sensitive.is_empty(),
                    span: f.name.span,
                });
            }
        }
    }

    fn declare_output(&mut self, id: &ast::Ident, decl: OutputDecl) -> bool {
        // Deadlines have names of their own: `deadline callback` may sit beside `action callback`.
        let key = if matches!(decl, OutputDecl::Deadline(_)) {
            deadline_key(&id.name)
        } else {
            id.name.clone()
        };
        if let Some((d, first)) = self.outputs.get(&key) {
            let kind = d.kind().trim_start_matches("an ").trim_start_matches("a ");
            self.err(CheckError::Duplicate {
                span: id.span,
                first: *first,
                name: id.name.clone(),
                kind,
            });
            return false;
        }
        self.mixed_script(id);
        self.outputs.insert(key, (decl, id.span));
        true
    }

    fn outputs_decl(&mut self, file: &ast::File) {
        for item in &file.items {
            match item {
                Item::Question(q) => {
                    if self.declare_output(&q.name, OutputDecl::Question(self.questions.next_id()))
                    {
                        self.questions.push(QuestionDef {
                            name: q.name.name.clone(),
                            text: q.text.value.clone(),
                            own_words: q.own_words.is_some(),
                            must_be_correct: q.must_be_correct,
                        });
                    }
                }
                Item::Action(a) => {
                    if self.declare_output(&a.name, OutputDecl::Action(self.actions.next_id())) {
                        self.actions.push(ActionDef {
                            name: a.name.name.clone(),
                            text: a.text.value.clone(),
                            default: a.default.map(|d| d.0),
                            must_decide: a.must_decide,
                        });
                    }
                }
                Item::Field(f) => {
                    let ty = self.resolve_type(&f.ty);
                    if self.declare_output(&f.name, OutputDecl::Field(self.fields.next_id())) {
                        self.fields.push(FieldDef {
                            name: f.name.name.clone(),
                            ty,
                            label: f.label.value.clone(),
                        });
                    }
                }
                Item::Script(s) => {
                    if self.declare_output(&s.name, OutputDecl::Script(self.scripts.next_id())) {
                        self.scripts.push(ScriptDef {
                            name: s.name.name.clone(),
                            parts: Vec::new(),
                            max_chars: s.max_chars.map(|m| m.0),
                            over_limit: s.over_limit.as_ref().map(|t| t.value.clone()),
                            own_words: s.own_words.is_some(),
                        });
                    }
                }
                Item::Outcome(o) => {
                    let ty = self.resolve_type(&o.ty);
                    let default = o.default.as_ref().and_then(|d| {
                        let (c, t) = self.expr(d, Some(&ty));
                        if !ty.accepts(&t) {
                            self.err(CheckError::SetMismatch {
                                span: d.span,
                                target: o.name.name.clone(),
                                expected: ty.clone(),
                                found: t,
                            });
                            return None;
                        }
                        match c {
                            CExpr::Const(v) => Some(v),
                            _ => {
                                self.err(CheckError::ConflictingDefault { span: d.span });
                                None
                            }
                        }
                    });
                    if self.declare_output(&o.name, OutputDecl::Outcome(self.outcomes.next_id())) {
                        self.outcomes.push(OutcomeDef {
                            name: o.name.name.clone(),
                            ty,
                            label: o.label.value.clone(),
                            default,
                            must_decide: o.must_decide,
                        });
                    }
                }
                Item::Deadline(d) => {
                    if self.declare_output(&d.name, OutputDecl::Deadline(self.deadlines.next_id()))
                    {
                        self.deadlines.push(DeadlineDef {
                            name: d.name.name.clone(),
                            label: d.label.value.clone(),
                        });
                    }
                }
                _ => {}
            }
        }
    }

    /// Derived facts, checked in dependency order; circles are reported.
    fn lets_decl(&mut self, file: &ast::File) {
        let decls: Vec<&ast::LetDecl> = file
            .items
            .iter()
            .filter_map(|i| match i {
                Item::Let(l) => Some(l),
                _ => None,
            })
            .collect();
        let mut registered: Vec<Option<usize>> = Vec::new();
        for (i, l) in decls.iter().enumerate() {
            if let Some(ValueDecl::Fact(_, s) | ValueDecl::Let(_, s)) =
                self.values.get(&l.name.name)
            {
                self.err(CheckError::Duplicate {
                    span: l.name.span,
                    first: *s,
                    name: l.name.name.clone(),
                    kind: "fact",
                });
                registered.push(None);
                continue;
            }
            self.mixed_script(&l.name);
            self.values
                .insert(l.name.name.clone(), ValueDecl::Let(i, l.name.span));
            registered.push(Some(i));
        }
        // Dependencies between lets.
        let deps: Vec<Vec<usize>> = decls
            .iter()
            .map(|l| {
                let mut names = Vec::new();
                collect_names(&l.value, &mut names);
                names
                    .iter()
                    .filter_map(|n| match self.values.get(n) {
                        Some(ValueDecl::Let(j, _)) => Some(*j),
                        _ => None,
                    })
                    .collect()
            })
            .collect();
        // Depth-first order; 0 = new, 1 = in progress, 2 = done.
        let mut state = vec![0u8; decls.len()];
        let mut order = Vec::new();
        for start in 0..decls.len() {
            if registered.get(start).copied().flatten().is_none() {
                continue;
            }
            let mut path: Vec<usize> = Vec::new();
            self.visit_let(start, &deps, &decls, &mut state, &mut order, &mut path);
        }
        for i in order {
            let Some(l) = decls.get(i) else {
                continue;
            };
            let (expr, ty) = self.expr(&l.value, None);
            let slot = self.lets.push(LetDef {
                name: l.name.name.clone(),
                ty: ty.clone(),
                label: l.label.as_ref().map(|t| t.value.clone()),
                expr,
            });
            self.let_final.insert(i, (slot, ty));
        }
    }

    fn visit_let(
        &mut self,
        i: usize,
        deps: &[Vec<usize>],
        decls: &[&ast::LetDecl],
        state: &mut [u8],
        order: &mut Vec<usize>,
        path: &mut Vec<usize>,
    ) {
        match state.get(i) {
            Some(2) | None => return,
            Some(1) => {
                let pos = path.iter().position(|p| *p == i).unwrap_or(0);
                let mut cycle: Vec<String> = path
                    .get(pos..)
                    .unwrap_or(&[])
                    .iter()
                    .filter_map(|j| decls.get(*j).map(|d| d.name.name.clone()))
                    .collect();
                if let Some(d) = decls.get(i) {
                    cycle.push(d.name.name.clone());
                    self.err(CheckError::CyclicLet {
                        span: d.name.span,
                        cycle,
                    });
                }
                return;
            }
            _ => {}
        }
        if let Some(s) = state.get_mut(i) {
            *s = 1;
        }
        path.push(i);
        for d in deps.get(i).cloned().unwrap_or_default() {
            self.visit_let(d, deps, decls, state, order, path);
        }
        path.pop();
        if let Some(s) = state.get_mut(i) {
            *s = 2;
        }
        // A let in a circle is not evaluated; it only appears once checked.
        if !self.errors.iter().any(|e| matches!(e, CheckError::CyclicLet { cycle, .. } if decls.get(i).is_some_and(|d| cycle.contains(&d.name.name)))) {
            order.push(i);
        }
    }

    /// Script texts: placeholders resolved, length limits checked.
    fn scripts_body(&mut self, file: &ast::File) {
        for item in &file.items {
            let Item::Script(s) = item else { continue };
            let Some((OutputDecl::Script(index), _)) = self.outputs.get(&s.name.name).copied()
            else {
                continue;
            };
            let parts = self.script_parts(&s.text);
            let fixed: usize = parts
                .iter()
                .map(|p| match p {
                    ScriptPart::Text(t) => t.chars().count(),
                    ScriptPart::Slot(_) => 0,
                })
                .sum();
            if let (Some((max, _)), Some(note)) = (s.max_chars, &s.over_limit) {
                // The SOP's own text breaks its own limit: kept, flagged in the
                // Decision; the mark is wrong when no filled-in text can break it.
                // `worst_length` is never below the fixed length.
                if let Some(worst) = self.worst_length(&parts).filter(|w| *w <= max as usize) {
                    self.err(CheckError::OverLimitFits {
                        span: note.span,
                        max,
                        worst,
                    });
                }
            } else if let Some((max, _)) = s.max_chars {
                let has_slots = parts.iter().any(|p| matches!(p, ScriptPart::Slot(_)));
                if fixed > max as usize {
                    self.err(CheckError::ScriptTooLong {
                        span: s.text.span,
                        length: fixed,
                        max,
                    });
                } else if has_slots {
                    if let Some(worst) = self.worst_length(&parts) {
                        if worst > max as usize {
                            self.err(CheckError::ScriptMayExceed {
                                span: s.text.span,
                                max,
                                worst,
                            });
                        }
                    }
                }
            }
            self.scripts[index].parts = parts;
        }
    }

    fn script_parts(&mut self, text: &ast::Text) -> Vec<ScriptPart> {
        let mut parts = Vec::new();
        let mut rest = text.value.as_str();
        let mut buf = String::new();
        while let Some(open) = rest.find('{') {
            buf.push_str(rest.get(..open).unwrap_or(""));
            let after = rest.get(open + 1..).unwrap_or("");
            let Some(close) = after.find('}') else {
                self.err(CheckError::UnclosedPlaceholder { span: text.span });
                buf.push_str(rest.get(open..).unwrap_or(""));
                rest = "";
                break;
            };
            let name = after.get(..close).unwrap_or("").trim();
            if !buf.is_empty() {
                parts.push(ScriptPart::Text(unescape_braces(&std::mem::take(&mut buf))));
            }
            match self.values.get(name).copied() {
                Some(ValueDecl::Fact(i, _)) => {
                    self.used_facts.insert(i);
                    parts.push(ScriptPart::Slot(Slot::Fact(i)));
                }
                Some(ValueDecl::Let(i, _)) => {
                    self.used_lets.insert(i);
                    if let Some((slot, _)) = self.let_final.get(&i) {
                        parts.push(ScriptPart::Slot(Slot::Let(*slot)));
                    }
                }
                None => {
                    let candidates: Vec<String> = self.values.keys().cloned().collect();
                    let suggestion = did_you_mean(name, candidates.iter().map(String::as_str));
                    self.err(CheckError::UnknownPlaceholder {
                        span: text.span,
                        name: name.to_string(),
                        suggestion,
                    });
                }
            }
            rest = after.get(close + 1..).unwrap_or("");
        }
        buf.push_str(rest);
        if !buf.is_empty() {
            parts.push(ScriptPart::Text(unescape_braces(&buf)));
        }
        parts
    }

    /// The longest a script can get, when every placeholder has a bounded length.
    fn worst_length(&self, parts: &[ScriptPart]) -> Option<usize> {
        let mut total = 0;
        for p in parts {
            total += match p {
                ScriptPart::Text(t) => t.chars().count(),
                ScriptPart::Slot(slot) => {
                    let ty = match slot {
                        Slot::Fact(i) => &self.facts[*i].ty,
                        Slot::Let(i) => &self.lets[*i].ty,
                    };
                    match ty {
                        Type::Bool => 5,
                        Type::Date => 10,
                        Type::Time => 8,
                        Type::DateTime => 25,
                        Type::Enum(ei, _) => self.enums[*ei]
                            .variants
                            .iter()
                            .map(|v| v.label.as_ref().unwrap_or(&v.name).chars().count())
                            .max()
                            .unwrap_or(0),
                        _ => return None,
                    }
                }
            };
        }
        Some(total)
    }
}

/// The key a deadline is stored under in the output names.
pub(crate) fn deadline_key(name: &str) -> String {
    format!("\u{0}due:{name}")
}

/// Output names as the policy owner wrote them (for "did you mean").
pub(crate) fn visible_names(keys: impl Iterator<Item = String>, deadlines: bool) -> Vec<String> {
    keys.filter_map(|k| match k.strip_prefix("\u{0}due:") {
        Some(d) if deadlines => Some(d.to_string()),
        Some(_) => None,
        None if deadlines => None,
        None => Some(k),
    })
    .collect()
}

fn unescape_braces(s: &str) -> String {
    s.replace('\u{E000}', "{").replace('\u{E001}', "}")
}

/// Every bare name an expression mentions.
pub(crate) fn collect_names(e: &ast::Expr, out: &mut Vec<String>) {
    use ast::ExprKind::*;
    match &e.kind {
        Name(id) => out.push(id.name.clone()),
        Call(_, args) | List(args) => args.iter().for_each(|a| collect_names(a, out)),
        Neg(a) | Not(a) => collect_names(a, out),
        And(a, b) | Or(a, b) | Cmp(_, a, b) | Arith(_, a, b) => {
            collect_names(a, out);
            collect_names(b, out);
        }
        In { value, target, .. } => {
            collect_names(value, out);
            match target.as_ref() {
                ast::InTarget::Range(a, b) => {
                    collect_names(a, out);
                    collect_names(b, out);
                }
                ast::InTarget::Collection(c) => collect_names(c, out),
            }
        }
        Is { value, .. } => collect_names(value, out),
        _ => {}
    }
}
