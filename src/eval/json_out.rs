//! [`Outputs`] → compact Decision JSON, written straight into a byte buffer: the
//! one writer of the Decision. The [`Decision`](super::decision::Decision) struct
//! is read back from this text (`engine.rs`), never built another way.
//!
//! Everything that comes from the policy alone (ids, texts, labels, each rule's
//! reason, enum values) is escaped once per policy into [`Fragments`], which the
//! [`Engine`](super::Engine) holds, and copied from there. Nothing here allocates
//! for a complete case (durations and times of day as values excepted).

use super::outputs::{ItemV, OutputRef, Outputs};
use super::render::json_value;
use super::status::{DeadlineStatus, FieldStatus, QuestionStatus, ScriptStatus, UndecidedReason};
use super::value3::Deps;
use crate::check::ids::*;
use crate::check::ir::{OpenTarget, Policy};
use crate::time::format_date;
use crate::value::Value;
use std::io::Write;

/// A policy's constant JSON pieces, escaped once.
#[derive(Debug, Clone, Default)]
pub(crate) struct Fragments {
    /// `{"schema_version":…,"policy":{…},"at":`
    head: String,
    /// `,"valid_from":…,"valid_until":…},"complete":`
    validity_tail: String,
    /// Per rule: `{"rule":…,"at":…,"quote":…}`.
    because: IdVec<RuleId, String>,
    /// Per question: `{"id":…,"text":…,"must_be_correct":…,"status":`.
    question: IdVec<QuestionId, String>,
    /// Per action: `{"id":…,"text":…,"verdict":`.
    action: IdVec<ActionId, String>,
    /// Per ticket field: `{"id":…,"label":…,"type":…,"status":`.
    field: IdVec<FieldId, String>,
    /// Per script: `{"id":…,"text":`.
    script: IdVec<ScriptId, String>,
    /// Per outcome: `"id":`.
    outcome_key: IdVec<OutcomeId, String>,
    /// Per outcome: `{"id":…,"label":…,"status":`.
    outcome: IdVec<OutcomeId, String>,
    /// Per deadline: `{"id":…,"label":…,"status":`.
    deadline: IdVec<DeadlineId, String>,
    /// Per dependency bit (a fact's, by its index): the fact's quoted name.
    fact: Vec<String>,
    /// Per fact: `{"fact":…,"label":…,"question":…,"type":…,"decides":[`.
    pending: IdVec<FactId, String>,
    /// Quoted output names for `decides`, per kind.
    action_ref: IdVec<ActionId, String>,
    question_ref: IdVec<QuestionId, String>,
    script_ref: IdVec<ScriptId, String>,
    field_ref: IdVec<FieldId, String>,
    /// `"ticket_fields.ID.value"`: what a fact decides of a field's value.
    field_value_ref: IdVec<FieldId, String>,
    outcome_ref: IdVec<OutcomeId, String>,
    deadline_ref: IdVec<DeadlineId, String>,
    open_ref: IdVec<RuleId, String>,
    /// Per enum, per variant: its quoted name, as a value of that enum is written.
    variant: IdVec<EnumId, IdVec<VariantId, String>>,
    /// Per assumption: `{"text":…,"at":…,"rules":[`.
    assumption: Vec<String>,
    /// Per rule: its quoted name, as an assumption lists it.
    rule_name: IdVec<RuleId, String>,
}

/// Quoted output names (`"actions.offer"`), as `pending.decides` lists them.
fn refs<I: Id>(
    policy: &Policy,
    ids: impl Iterator<Item = I>,
    make: fn(I) -> OutputRef,
) -> IdVec<I, String> {
    ids.map(|i| q(&make(i).name(policy))).collect()
}

/// `s` as a JSON string.
fn q(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_else(|_| "\"\"".into())
}

/// `{"id":…,"label":…,"status":`, the start of an outcome's or a deadline's entry.
fn id_label_status(id: &str, label: &str) -> String {
    format!("{{\"id\":{},\"label\":{},\"status\":", q(id), q(label))
}

fn q_opt(s: Option<&str>) -> String {
    s.map_or_else(|| "null".into(), q)
}

impl Fragments {
    pub fn new(policy: &Policy) -> Fragments {
        let m = &policy.meta;
        Fragments {
            head: format!(
                "{{\"schema_version\":{},\"policy\":{{\"id\":{},\"version\":{},\"title\":{},\"source\":{}}},\"at\":",
                q(crate::contract::SCHEMA_VERSION),
                q(&m.id),
                q_opt(m.version.as_deref()),
                q_opt(m.title.as_deref()),
                q_opt(m.source.as_deref()),
            ),
            validity_tail: format!(
                ",\"valid_from\":{},\"valid_until\":{}}},\"complete\":",
                q_opt(m.valid_from.map(format_date).as_deref()),
                q_opt(m.valid_until.map(format_date).as_deref()),
            ),
            because: policy
                .rules
                .iter()
                .map(|r| match &r.quote {
                    Some(quote) => format!(
                        "{{\"rule\":{},\"at\":{},\"quote\":{}}}",
                        q(&r.name),
                        q(&r.location),
                        q(quote)
                    ),
                    None => format!("{{\"rule\":{},\"at\":{}}}", q(&r.name), q(&r.location)),
                })
                .collect(),
            question: policy
                .questions
                .iter()
                .map(|x| {
                    format!(
                        "{{\"id\":{},\"text\":{}{},\"must_be_correct\":{},\"status\":",
                        q(&x.name),
                        q(&x.text),
                        own_words(x.own_words),
                        x.must_be_correct
                    )
                })
                .collect(),
            action: policy
                .actions
                .iter()
                .map(|x| {
                    format!(
                        "{{\"id\":{},\"text\":{},\"verdict\":",
                        q(&x.name),
                        q(&x.text)
                    )
                })
                .collect(),
            field: policy
                .fields
                .iter()
                .map(|x| {
                    format!(
                        "{{\"id\":{},\"label\":{},\"type\":{},\"status\":",
                        q(&x.name),
                        q(&x.label),
                        q(&x.ty.to_string())
                    )
                })
                .collect(),
            script: policy
                .scripts
                .iter()
                .map(|x| format!("{{\"id\":{},\"text\":", q(&x.name)))
                .collect(),
            outcome_key: policy
                .outcomes
                .iter()
                .map(|x| format!("{}:", q(&x.name)))
                .collect(),
            outcome: policy
                .outcomes
                .iter()
                .map(|x| id_label_status(&x.name, &x.label))
                .collect(),
            deadline: policy
                .deadlines
                .iter()
                .map(|x| id_label_status(&x.name, &x.label))
                .collect(),
            fact: policy.facts.iter().map(|f| q(&f.name)).collect(),
            pending: policy
                .facts
                .iter()
                .map(|f| {
                    format!(
                        "{{\"fact\":{},\"label\":{},\"question\":{}{},\"type\":{},\"decides\":[",
                        q(&f.name),
                        q_opt(f.label.as_deref()),
                        q_opt(f.ask.as_deref()),
                        own_words(f.ask.is_some() && f.ask_own_words),
                        q(&f.ty.to_string())
                    )
                })
                .collect(),
            action_ref: refs(policy, policy.actions.ids(), OutputRef::Action),
            question_ref: refs(policy, policy.questions.ids(), OutputRef::Question),
            script_ref: refs(policy, policy.scripts.ids(), OutputRef::Script),
            field_ref: refs(policy, policy.fields.ids(), OutputRef::Field),
            field_value_ref: refs(policy, policy.fields.ids(), OutputRef::FieldValue),
            outcome_ref: refs(policy, policy.outcomes.ids(), OutputRef::Outcome),
            deadline_ref: refs(policy, policy.deadlines.ids(), OutputRef::Deadline),
            open_ref: refs(policy, policy.rules.ids(), OutputRef::Open),
            variant: policy
                .enums
                .iter()
                .map(|e| e.variants.iter().map(|v| q(&v.name)).collect())
                .collect(),
            assumption: policy
                .assumptions
                .iter()
                .map(|a| {
                    format!(
                        "{{\"text\":{},\"at\":{},\"rules\":[",
                        q(&a.text),
                        q(&a.location)
                    )
                })
                .collect(),
            rule_name: policy.rules.iter().map(|r| q(&r.name)).collect(),
        }
    }

    fn output_ref(&self, r: OutputRef) -> &str {
        match r {
            OutputRef::Action(i) => &self.action_ref[i],
            OutputRef::Question(i) => &self.question_ref[i],
            OutputRef::Script(i) => &self.script_ref[i],
            OutputRef::Field(i) => &self.field_ref[i],
            OutputRef::FieldValue(i) => &self.field_value_ref[i],
            OutputRef::Outcome(i) => &self.outcome_ref[i],
            OutputRef::Deadline(i) => &self.deadline_ref[i],
            OutputRef::Open(i) => &self.open_ref[i],
        }
    }
}

/// Appends `at` as the Decision writes it: a quoted RFC 3339 time in the policy's
/// zone, or `null`. The [`Evaluator`](super::Evaluator) keeps the last one.
pub(crate) fn write_at(policy: &Policy, at: Option<i64>, out: &mut Vec<u8>) {
    match at {
        Some(t) => instant(policy, t, out),
        None => out.extend_from_slice(b"null"),
    }
}

/// A quoted RFC 3339 time in the policy's zone (nothing in it needs escaping).
fn instant(policy: &Policy, t: i64, out: &mut Vec<u8>) {
    out.push(b'"');
    let _ = crate::time::write_instant(&mut Bytes(out), t, policy.calendar.zone.offset_at(t));
    out.push(b'"');
}

/// `fmt::Write` into a byte buffer.
struct Bytes<'a>(&'a mut Vec<u8>);

impl std::fmt::Write for Bytes<'_> {
    fn write_str(&mut self, s: &str) -> std::fmt::Result {
        self.0.extend_from_slice(s.as_bytes());
        Ok(())
    }
}

struct W<'a> {
    policy: &'a Policy,
    f: &'a Fragments,
    /// The evaluation time, already written ([`write_at`]).
    at: &'a [u8],
    /// Per rule: whether it is behind an output of this case (working space).
    cited: &'a mut Vec<bool>,
    out: &'a mut Vec<u8>,
}

impl W<'_> {
    fn raw(&mut self, s: &str) {
        self.out.extend_from_slice(s.as_bytes());
    }

    /// A text with no character JSON escapes (statuses, reasons, codes).
    fn word(&mut self, s: &str) {
        self.out.push(b'"');
        self.out.extend_from_slice(s.as_bytes());
        self.out.push(b'"');
    }

    fn text(&mut self, s: &str) {
        if serde_json::to_writer(&mut *self.out, s).is_err() {
            self.raw("\"\"");
        }
    }

    fn number(&mut self, n: impl std::fmt::Display) {
        let _ = write!(self.out, "{n}");
    }

    fn bool(&mut self, b: bool) {
        self.raw(if b { "true" } else { "false" });
    }

    /// A value, as `serde_json` writes [`json_value`] of it.
    fn value(&mut self, v: &Value) {
        match v {
            Value::Bool(b) => self.bool(*b),
            Value::Int(i) => self.number(i),
            Value::Text(t) => self.text(t),
            Value::Enum(e, i) => {
                let f = self.f;
                self.raw(&f.variant[*e][*i]);
            }
            Value::Decimal(d) => {
                let _ = write!(self.out, "\"{}\"", d.normalize());
            }
            Value::Date(d) => {
                self.out.push(b'"');
                let _ = crate::time::write_date(&mut Bytes(self.out), *d);
                self.out.push(b'"');
            }
            Value::DateTime(t) => instant(self.policy, *t, self.out),
            Value::List(items) => self.list(items.iter(), |w, x| w.value(x)),
            other => {
                let j = json_value(self.policy, other);
                if serde_json::to_writer(&mut *self.out, &j).is_err() {
                    self.raw("null");
                }
            }
        }
    }

    fn list<T>(&mut self, items: impl IntoIterator<Item = T>, mut each: impl FnMut(&mut Self, T)) {
        self.out.push(b'[');
        for (n, x) in items.into_iter().enumerate() {
            if n > 0 {
                self.out.push(b',');
            }
            each(self, x);
        }
        self.out.push(b']');
    }

    fn because(&mut self, rules: &[RuleId]) {
        self.raw(",\"because\":");
        let f = self.f;
        self.list(rules, |w, r| w.raw(&f.because[*r]));
    }

    fn waiting_on(&mut self, deps: Option<&Deps>) {
        self.facts(",\"waiting_on\":", deps);
    }

    /// `key` (`,"…":`) and the facts of `deps`, when there are some.
    fn facts(&mut self, key: &str, deps: Option<&Deps>) {
        let Some(d) = deps else { return };
        let f = self.f;
        let time_bit = f.fact.len();
        // An empty list is left out, as `skip_serializing_if = "Vec::is_empty"` does.
        if !d.iter().any(|i| i <= time_bit) {
            return;
        }
        let names = d.iter().filter(|i| *i <= time_bit);
        self.raw(key);
        self.list(names, |w, i| match f.fact.get(i) {
            Some(name) => w.raw(name),
            None => w.raw("\"@at\""),
        });
    }

    /// The end of an output's entry: its reasons, why it is undecided (if it is),
    /// what it waits on, and the closing brace.
    fn close(&mut self, rules: &[RuleId], reason: Option<UndecidedReason>, deps: Option<&Deps>) {
        self.because(rules);
        self.reason(reason);
        self.waiting_on(deps);
        self.out.push(b'}');
    }

    fn reason(&mut self, r: Option<UndecidedReason>) {
        if let Some(r) = r {
            self.raw(",\"reason\":");
            self.word(r.as_str());
        }
    }

    /// The assumptions behind the rules of this Decision's `because` lists, in
    /// the order written, each with those of its rules.
    fn assumptions(&mut self, o: &Outputs) {
        let (policy, f) = (self.policy, self.f);
        self.raw(",\"assumptions\":[");
        if !policy.assumptions.is_empty() {
            let cited = &mut *self.cited;
            cited.clear();
            cited.resize(policy.rules.len(), false);
            let mut mark = |rules: &[RuleId]| {
                for r in rules {
                    if let Some(c) = cited.get_mut(r.index()) {
                        *c = true;
                    }
                }
            };
            o.questions.iter().for_each(|x| mark(&x.rules));
            o.actions.iter().for_each(|x| mark(&x.rules));
            o.fields.iter().for_each(|x| mark(&x.rules));
            o.scripts.iter().for_each(|x| mark(&x.rules));
            o.outcomes.iter().for_each(|x| mark(&x.rules));
            o.deadlines.iter().for_each(|x| mark(&x.rules));
            o.opens.iter().for_each(|x| mark(&[x.rule]));
            let mut first = true;
            for (a, head) in policy.assumptions.iter().zip(&f.assumption) {
                let mut listed = 0;
                for r in &a.rules {
                    if !self.cited.get(r.index()).copied().unwrap_or(false) {
                        continue;
                    }
                    if listed == 0 {
                        if !first {
                            self.out.push(b',');
                        }
                        first = false;
                        self.raw(head);
                    } else {
                        self.out.push(b',');
                    }
                    self.raw(&f.rule_name[*r]);
                    listed += 1;
                }
                if listed > 0 {
                    self.raw("]}");
                }
            }
        }
        self.out.push(b']');
    }

    fn instant(&mut self, t: Option<i64>) {
        match t {
            Some(t) => instant(self.policy, t, self.out),
            None => self.raw("null"),
        }
    }

    fn decision(&mut self, o: &Outputs) {
        let (policy, f) = (self.policy, self.f);
        self.raw(&f.head);
        self.out.extend_from_slice(self.at);
        self.raw(",\"validity\":{\"status\":");
        self.word(o.validity.as_str());
        self.raw(&f.validity_tail);
        self.bool(o.complete);

        self.raw(",\"questions\":");
        self.list(&o.questions, |w, x| {
            w.raw(&f.question[x.index]);
            w.word(QuestionStatus::from(x.status).as_str());
            w.close(&x.rules, None, x.deps.as_ref());
        });

        self.raw(",\"actions\":");
        self.list(o.actions.iter_enumerated(), |w, (i, a)| {
            w.raw(&f.action[i]);
            w.word(a.verdict.as_str());
            w.close(&a.rules, a.reason, a.deps.as_ref());
        });

        self.raw(",\"ticket_fields\":");
        self.list(&o.fields, |w, x| {
            w.raw(&f.field[x.index]);
            w.word(FieldStatus::from(x.status).as_str());
            if let Some(v) = &x.value {
                w.raw(",\"value\":");
                w.value(v);
            }
            w.because(&x.rules);
            w.waiting_on(x.deps.as_ref());
            if let Some(r) = x.value_reason {
                w.raw(",\"value_reason\":");
                w.word(r.as_str());
            }
            w.facts(",\"value_waiting_on\":", x.value_deps.as_ref());
            w.out.push(b'}');
        });

        self.raw(",\"scripts\":");
        self.list(&o.scripts, |w, x: &ItemV<ScriptId>| {
            let def = &policy.scripts[x.index];
            w.raw(&f.script[x.index]);
            w.text(&x.text);
            if def.own_words {
                w.raw(",\"own_words\":true");
            }
            w.raw(",\"status\":");
            w.word(ScriptStatus::from(x.status).as_str());
            if let Some(max) = def.max_chars {
                w.raw(",\"max_chars\":");
                w.number(max);
            }
            let length = x.text.chars().count();
            w.raw(",\"length\":");
            w.number(length);
            if let (Some(max), Some(note)) = (def.max_chars, &def.over_limit) {
                if length > max as usize {
                    w.raw(",\"over_limit\":");
                    w.text(note);
                }
            }
            if !x.missing.is_empty() {
                w.raw(",\"missing\":");
                w.list(&x.missing, |w, m| w.text(m));
            }
            w.close(&x.rules, None, x.deps.as_ref());
        });

        self.raw(",\"outcomes\":{");
        let mut first = true;
        for (i, x) in o.outcomes.iter_enumerated() {
            if let Some(v) = &x.value {
                if !first {
                    self.out.push(b',');
                }
                first = false;
                self.raw(&f.outcome_key[i]);
                self.value(v);
            }
        }
        self.raw("},\"outcome_details\":");
        self.list(o.outcomes.iter_enumerated(), |w, (i, x)| {
            w.raw(&f.outcome[i]);
            w.word(x.status.as_str());
            w.raw(",\"value\":");
            match &x.value {
                Some(v) => w.value(v),
                None => w.raw("null"),
            }
            w.close(&x.rules, x.reason, x.deps.as_ref());
        });

        self.raw(",\"deadlines\":");
        self.list(&o.deadlines, |w, x| {
            w.raw(&f.deadline[x.index]);
            w.word(DeadlineStatus::from(x.status).as_str());
            w.raw(",\"due\":");
            w.instant(x.due);
            w.raw(",\"overdue\":");
            match (x.due, o.at) {
                (Some(t), Some(now)) => w.bool(now > t),
                _ => w.raw("null"),
            }
            w.close(&x.rules, None, x.deps.as_ref());
        });

        self.raw(",\"open\":");
        self.list(&o.opens, |w, x| {
            w.raw("{\"target\":");
            match x.target {
                Some(OpenTarget::Action(a)) => w.raw(&f.action_ref[a]),
                Some(OpenTarget::Outcome(o)) => w.raw(&f.outcome_ref[o]),
                None => w.raw("null"),
            }
            w.raw(",\"reason\":");
            w.text(x.reason(policy));
            w.because(&[x.rule]);
            w.out.push(b'}');
        });

        self.assumptions(o);

        self.raw(",\"pending\":");
        self.list(&o.pending, |w, p| {
            w.raw(&f.pending[p.fact]);
            for (n, r) in p.decides.iter().enumerate() {
                if n > 0 {
                    w.out.push(b',');
                }
                w.raw(f.output_ref(*r));
            }
            w.raw("]}");
        });

        self.raw(",\"warnings\":");
        self.list(&o.warnings, |w, x| {
            w.raw("{\"code\":");
            w.word(x.code);
            w.raw(",\"message\":");
            w.text(&x.message);
            w.out.push(b'}');
        });
        self.out.push(b'}');
    }
}

/// Appends the compact Decision JSON of `o` to `out`; `at` is `o.at` written
/// by [`write_at`]; `cited` is working space, kept from case to case.
pub(crate) fn write(
    policy: &Policy,
    f: &Fragments,
    at: &[u8],
    o: &Outputs,
    cited: &mut Vec<bool>,
    out: &mut Vec<u8>,
) {
    W {
        policy,
        f,
        at,
        cited,
        out,
    }
    .decision(o);
}

/// `,"own_words":true` after a text that is the policy writer's wording; nothing
/// for the SOP's own words.
fn own_words(marked: bool) -> &'static str {
    if marked {
        ",\"own_words\":true"
    } else {
        ""
    }
}
