//! Example coverage: which rules and table rows no `example` makes apply.

use super::search::{Node, Point, Tri};
use crate::check::ids::RuleId;
use crate::check::ir::Policy;
use crate::testing::{default_at, example_case};

/// One rule (or table row) and the examples in which it applies.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleCoverage {
    pub rule: RuleId,
    pub name: String,
    /// `file:line:col` of the rule.
    pub location: String,
    /// Indices into `Policy::examples`.
    pub examples: Vec<usize>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Coverage {
    pub rules: Vec<RuleCoverage>,
}

impl Coverage {
    pub fn exercised(&self) -> usize {
        self.rules.iter().filter(|r| !r.examples.is_empty()).count()
    }

    pub fn uncovered(&self) -> impl Iterator<Item = &RuleCoverage> {
        self.rules.iter().filter(|r| r.examples.is_empty())
    }

    /// The report `pol test --coverage` prints for one policy.
    pub fn report(&self, file: &str) -> String {
        let total = self.rules.len();
        let done = self.exercised();
        let pct = if total == 0 {
            100.0
        } else {
            done as f64 * 100.0 / total as f64
        };
        let mut out = format!(
            "coverage {file}: {done} of {total} rules and table rows exercised by examples ({pct:.0}%)\n"
        );
        for r in self.uncovered() {
            out.push_str(&format!("  not exercised: {} ({})\n", r.name, r.location));
        }
        out
    }
}

/// A rule is exercised when it applies (its condition is true and it is valid) in some example.
pub fn coverage(policy: &Policy) -> Coverage {
    let mut rules: Vec<RuleCoverage> = policy
        .rules
        .iter_enumerated()
        .filter(|(_, r)| !r.name.is_empty())
        .map(|(i, r)| RuleCoverage {
            rule: i,
            name: r.name.clone(),
            location: r.location.clone(),
            examples: Vec::new(),
        })
        .collect();
    for (ei, ex) in policy.examples.iter().enumerate() {
        let point = Point {
            slots: example_case(policy, ex).slots,
            at: ex.at.or_else(|| default_at(policy)),
        };
        let mut node = Node::new(policy, &point);
        for rc in rules.iter_mut() {
            if node.fires(rc.rule) == Tri::T {
                rc.examples.push(ei);
            }
        }
    }
    Coverage { rules }
}
