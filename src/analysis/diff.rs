//! What changes in behaviour between two versions of a policy: every output
//! whose answer differs on some case, with a case that shows it.
//!
//! ```text
//! old, new ─► one merged policy (facts shared by name and type, both versions'
//!             rules side by side) ─► per output: "old answer ≠ new answer" as a
//!             question ─► search (the analysis' own) ─► counterexample, evaluated
//!             with both versions' engines: reported only when they really differ
//! ```
//!
//! An output is "the same" only when the search over the candidate values
//! proved that no case tells the versions apart (candidates exact, work limit not
//! reached); otherwise it is listed as not proved the same, never silently.

mod formula;
mod merge;
mod outputs;

use super::domain;
use super::search::{Found, Point, Search};
use crate::check::ids::FactId;
use crate::check::ir::Policy;
use crate::eval::{Engine, FactValue};
use crate::types::Type;
use crate::value::Value;
use outputs::Kind;
use serde::Serialize;
use std::collections::BTreeSet;

/// How much work the comparison may do.
#[derive(Debug, Clone)]
pub struct Options {
    /// Most search steps for one output.
    pub max_nodes: usize,
}

impl Default for Options {
    fn default() -> Options {
        Options { max_nodes: 200_000 }
    }
}

/// Everything that differs between two versions.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Report {
    /// `same` (proved), `different` (at least one difference shown), or
    /// `not_proved` (no difference found, but not every output was proved the same).
    pub status: Status,
    /// Facts added, removed, retyped; enum values added or removed; calendar changes.
    pub schema_changes: Vec<SchemaChange>,
    /// The outputs whose answer differs on some case, in the Decision's order.
    pub differences: Vec<Difference>,
    /// The outputs the comparison could not prove the same, with why.
    pub not_proved: Vec<NotProved>,
    /// How many outputs were compared.
    pub outputs_compared: usize,
}

#[derive(Debug, Clone, Copy, Serialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Same,
    Different,
    NotProved,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct SchemaChange {
    /// `fact_added`, `fact_removed`, `fact_retyped`, `enum_values_changed`, `calendar_changed`.
    pub kind: &'static str,
    pub name: String,
    /// What the old version has (a type, the values only it has), if anything.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub old: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub new: Option<String>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Difference {
    /// The output as the Decision names it: `actions.offer`, `ticket_fields.x.value`.
    pub output: String,
    /// What the old version answers on the counterexample.
    pub old: String,
    /// What the new version answers on it.
    pub new: String,
    pub counterexample: Counterexample,
}

/// A case on which the versions answer differently.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Counterexample {
    /// The case record: only the facts that matter. A fact only one version
    /// has is read by that version only.
    pub case: serde_json::Map<String, serde_json::Value>,
    /// The evaluation time (`--at`), when the answer depends on it.
    pub at: Option<String>,
    /// The case as each version reads it, when a fact's type changed and the
    /// versions get different values for it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub old_case: Option<serde_json::Map<String, serde_json::Value>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub new_case: Option<serde_json::Map<String, serde_json::Value>>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct NotProved {
    pub output: String,
    pub why: String,
}

/// Compares two checked versions of a policy.
pub fn diff(old: &Policy, new: &Policy, opts: &Options) -> Report {
    let m = merge::merge(old, new);
    let p = &m.policy;
    let mut dom = domain::domains(p);
    let mut schema_changes = schema_changes(old, new, &m);
    if calendar_changed(old, new) {
        schema_changes.push(SchemaChange {
            kind: "calendar_changed",
            name: "calendar".into(),
            old: None,
            new: None,
        });
    }
    restrict_enums(p, &m, &mut dom);
    let from = [
        old.questions.len(),
        old.actions.len(),
        old.fields.len(),
        old.scripts.len(),
        old.outcomes.len(),
        old.deadlines.len(),
    ];
    let table = outputs::gather(p, m.new_rules_from, &m.twin, &from);
    let engines = [Engine::new(old.clone()), Engine::new(new.clone())];
    let mut search = Search::new(p, &dom, opts.max_nodes);
    let mut differences = Vec::new();
    let mut not_proved = Vec::new();
    let calendar = calendar_changed(old, new);
    for ((kind, name), [o, n]) in &table {
        let path = kind.path(name);
        let (a, b) = (outputs::answer(*kind, o), outputs::answer(*kind, n));
        // The same answer written the same way (unchanged rules stand for
        // themselves): the same on every case, no search needed.
        if format!("{a:?}") == format!("{b:?}") && !o.inexact && !n.inexact && !calendar {
            continue;
        }
        let f = outputs::differs(&a, &b);
        let q = formula::to_q(&f);
        let mut vars = BTreeSet::new();
        formula::vars(p, &f, &mut vars);
        let found = search.find(&q, &vars);
        let why = match found {
            Found::Witness(point) => {
                let point = search.prettify(&q, minimal(p, &q, point));
                match confirm(&m, old, new, &engines, *kind, name, &point) {
                    Some(d) => {
                        differences.push(Difference {
                            output: path,
                            ..d
                        });
                        continue;
                    }
                    None => "a case seemed to tell the versions apart, but evaluating it gave the same answer in both".to_string(),
                }
            }
            Found::GaveUp => "the comparison reached its work limit".into(),
            Found::Nothing { exact } => {
                let inexact = o.inexact || n.inexact;
                if exact && !inexact && !(calendar && depends_on_time(&vars, p)) {
                    continue;
                }
                if inexact {
                    "a deadline counts working time from a duration that is not a constant".into()
                } else if !exact {
                    format!(
                        "the candidate values of {} are not exact",
                        inexact_names(p, &dom, &vars)
                    )
                } else {
                    "the calendar changed and the answer depends on dates or times".into()
                }
            }
        };
        not_proved.push(NotProved { output: path, why });
    }
    let status = if !differences.is_empty() || !schema_changes.is_empty() {
        Status::Different
    } else if !not_proved.is_empty() {
        Status::NotProved
    } else {
        Status::Same
    };
    Report {
        status,
        schema_changes,
        differences,
        not_proved,
        outputs_compared: table.len(),
    }
}

/// The witness with every fact left out that the difference does not need
/// (it still holds whatever those facts are: three-valued logic is monotone).
fn minimal(p: &Policy, q: &super::search::Q, mut point: Point) -> Point {
    for f in p.facts.ids() {
        if matches!(point.slots[f], FactValue::Absent) {
            continue;
        }
        let kept = std::mem::replace(&mut point.slots[f], FactValue::Absent);
        if super::search::Node::new(p, &point).eval(q) != super::search::Tri::T {
            point.slots[f] = kept;
        }
    }
    if point.at.is_some() {
        let at = point.at.take();
        if super::search::Node::new(p, &point).eval(q) != super::search::Tri::T {
            point.at = at;
        }
    }
    point
}

/// Evaluates the case with both versions; `Some` when the output's answers differ.
fn confirm(
    m: &merge::Merged,
    old: &Policy,
    new: &Policy,
    engines: &[Engine; 2],
    kind: Kind,
    name: &str,
    point: &Point,
) -> Option<Difference> {
    let p = &m.policy;
    let record = |facts: &mut dyn Iterator<Item = (String, FactId)>| {
        let mut map = serde_json::Map::new();
        for (fname, mf) in facts {
            match &point.slots[mf] {
                FactValue::Absent => {}
                FactValue::Null => {
                    map.insert(fname, serde_json::Value::Null);
                }
                FactValue::Known(v) => {
                    map.insert(fname, crate::eval::value_json(p, v));
                }
            }
        }
        map
    };
    let old_case = record(
        &mut old
            .facts
            .iter_enumerated()
            .map(|(i, f)| (f.name.clone(), i)),
    );
    let new_case = record(
        &mut new
            .facts
            .iter_enumerated()
            .map(|(i, f)| (f.name.clone(), m.new_fact[i])),
    );
    let answers: Vec<String> = [&old_case, &new_case]
        .iter()
        .zip(engines)
        .map(|(case, e)| {
            let json = serde_json::Value::Object((*case).clone()).to_string();
            e.evaluate_json(&json, point.at)
                .map(|d| outputs::read(&d, kind, name))
                .ok()
        })
        .collect::<Option<Vec<String>>>()?;
    let [a, b] = <[String; 2]>::try_from(answers).ok()?;
    if a == b {
        return None;
    }
    let mut case = old_case.clone();
    let mut split = false;
    for (k, v) in &new_case {
        match case.get(k) {
            Some(w) if w != v => split = true,
            Some(_) => {}
            None => {
                case.insert(k.clone(), v.clone());
            }
        }
    }
    let at = point
        .at
        .map(|t| crate::time::format_instant(t, p.calendar.zone.offset_at(t)));
    Some(Difference {
        output: String::new(),
        old: a,
        new: b,
        counterexample: Counterexample {
            case: if split { new_case.clone() } else { case },
            at,
            old_case: split.then_some(old_case),
            new_case: split.then_some(new_case),
        },
    })
}

fn schema_changes(old: &Policy, new: &Policy, m: &merge::Merged) -> Vec<SchemaChange> {
    let mut out = Vec::new();
    for f in old.facts.iter() {
        if !new.facts.iter().any(|g| g.name == f.name) {
            out.push(SchemaChange {
                kind: "fact_removed",
                name: f.name.clone(),
                old: Some(type_name(&f.ty, f.is_set)),
                new: None,
            });
        }
    }
    for f in new.facts.iter() {
        if !old.facts.iter().any(|g| g.name == f.name) {
            out.push(SchemaChange {
                kind: "fact_added",
                name: f.name.clone(),
                old: None,
                new: Some(type_name(&f.ty, f.is_set)),
            });
        }
    }
    for (o, n) in &m.retyped {
        let (a, b) = (&m.policy.facts[*o], &m.policy.facts[*n]);
        out.push(SchemaChange {
            kind: "fact_retyped",
            name: a.name.clone(),
            old: Some(type_name(&a.ty, a.is_set)),
            new: Some(type_name(&b.ty, b.is_set)),
        });
    }
    for (e, gone, added) in &m.enum_changes {
        let used = m
            .policy
            .facts
            .iter()
            .any(|f| matches!(&f.ty, Type::Enum(x, _) if x == e));
        if !used {
            continue;
        }
        out.push(SchemaChange {
            kind: "enum_values_changed",
            name: m.policy.enums[*e].name.clone(),
            old: (!gone.is_empty()).then(|| gone.join(", ")),
            new: (!added.is_empty()).then(|| added.join(", ")),
        });
    }
    out
}

fn type_name(ty: &Type, is_set: bool) -> String {
    let t = ty.to_string();
    if is_set {
        format!("set of {t}")
    } else {
        t
    }
}

fn calendar_changed(old: &Policy, new: &Policy) -> bool {
    let (a, b) = (&old.calendar, &new.calendar);
    a.zone.name != b.zone.name || a.open != b.open || a.closed != b.closed
}

fn depends_on_time(vars: &BTreeSet<usize>, p: &Policy) -> bool {
    vars.iter().any(|v| {
        matches!(
            domain::var_type(p, *v),
            Type::Date | Type::DateTime | Type::Time
        )
    })
}

/// The facts among `vars` whose candidate values are not exact, by name.
fn inexact_names(p: &Policy, dom: &domain::Domains, vars: &BTreeSet<usize>) -> String {
    let names: Vec<String> = vars
        .iter()
        .filter(|v| !dom.exact.get(**v).copied().unwrap_or(false))
        .map(|v| match domain::var_fact(p, *v) {
            Some(f) => format!("`{}`", p.facts[f].name),
            None => "the evaluation time".into(),
        })
        .collect();
    if names.is_empty() {
        "some facts".into()
    } else {
        names.join(", ")
    }
}

/// A value of an enum whose values changed is tried only when both versions
/// have it: a case with any other value is refused by one of them.
fn restrict_enums(p: &Policy, m: &merge::Merged, dom: &mut domain::Domains) {
    if m.enum_changes.is_empty() {
        return;
    }
    fn ok(p: &Policy, m: &merge::Merged, v: &Value) -> bool {
        match v {
            Value::Enum(e, x) => {
                let n = &p.enums[*e].variants[*x].name;
                !m.enum_changes
                    .iter()
                    .any(|(ce, gone, added)| ce == e && (gone.contains(n) || added.contains(n)))
            }
            Value::List(items) => items.iter().all(|i| ok(p, m, i)),
            _ => true,
        }
    }
    for c in dom.cands.iter_mut() {
        c.retain(|x| match x {
            FactValue::Known(v) => ok(p, m, v),
            _ => true,
        });
    }
}
