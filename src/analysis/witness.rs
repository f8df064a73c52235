//! Counterexamples: a case record and an evaluation time that `pol eval` reproduces.

use super::search::Point;
use crate::check::ir::Policy;
use crate::diagnostic::Counterexample;
use crate::eval::decision::Decision;
use crate::eval::{Engine, FactValue};

/// A case record (JSON object, facts in declaration order) and an evaluation time.
#[derive(Debug, Clone, PartialEq)]
pub struct Witness {
    pub case: serde_json::Value,
    /// Seconds since the epoch; `None` when the case does not depend on the time.
    pub at: Option<i64>,
}

impl Witness {
    pub fn from_point(policy: &Policy, p: &Point) -> Witness {
        let mut map = serde_json::Map::new();
        for (f, v) in policy.facts.iter().zip(&p.slots) {
            match v {
                FactValue::Absent => {}
                FactValue::Null => {
                    map.insert(f.name.clone(), serde_json::Value::Null);
                }
                FactValue::Known(v) => {
                    map.insert(f.name.clone(), crate::eval::value_json(policy, v));
                }
            }
        }
        Witness {
            case: serde_json::Value::Object(map),
            at: p.at,
        }
    }

    /// The case record as one line of JSON.
    pub fn case_json(&self) -> String {
        serde_json::to_string(&self.case).unwrap_or_default()
    }

    /// The evaluation time as `pol eval --at` reads it.
    pub fn at_text(&self, policy: &Policy) -> Option<String> {
        self.at
            .map(|t| crate::time::format_instant(t, policy.calendar.zone.offset_at(t)))
    }

    /// Evaluates the counterexample the way `pol eval` does.
    pub fn evaluate(&self, engine: &Engine) -> Option<Decision> {
        engine.evaluate_json(&self.case_json(), self.at).ok()
    }

    /// The counterexample of a diagnostic: the case, the time, and the command
    /// that reproduces it.
    pub fn counterexample(&self, policy: &Policy) -> Counterexample {
        let json = self.case_json();
        let at = self.at_text(policy);
        let at_arg = at
            .as_ref()
            .map(|a| format!(" --at {a}"))
            .unwrap_or_default();
        Counterexample {
            case: match &self.case {
                serde_json::Value::Object(m) => m.clone(),
                _ => serde_json::Map::new(),
            },
            at,
            reproduce: format!(
                "echo '{}' | pol eval {} --case -{at_arg}",
                json.replace('\'', "'\\''"),
                shell_word(&policy.meta.file)
            ),
        }
    }
}

fn shell_word(s: &str) -> String {
    if !s.is_empty()
        && s.chars()
            .all(|c| c.is_alphanumeric() || "/._-+:@".contains(c))
    {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', "'\\''"))
    }
}

/// Whether a Decision cites the rule anywhere.
pub fn cites(d: &Decision, rule: &str) -> bool {
    let hit = |b: &[crate::eval::decision::Because]| b.iter().any(|x| x.rule == rule);
    d.questions.iter().any(|x| hit(&x.because))
        || d.actions.iter().any(|x| hit(&x.because))
        || d.ticket_fields.iter().any(|x| hit(&x.because))
        || d.scripts.iter().any(|x| hit(&x.because))
        || d.outcome_details.iter().any(|x| hit(&x.because))
        || d.deadlines.iter().any(|x| hit(&x.because))
        || d.open.iter().any(|x| hit(&x.because))
}
