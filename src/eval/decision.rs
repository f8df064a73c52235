//! The Decision: what the agent must do now, with the reasons from the SOP.

use serde::Serialize;

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Decision {
    pub policy: PolicyRef,
    /// The evaluation time, as given (`--at`); `null` when none was given.
    pub at: Option<String>,
    pub validity: Validity,
    /// True when no question is pending: nothing more can be learned from the customer.
    pub complete: bool,
    pub questions: Vec<QuestionOut>,
    pub actions: Vec<ActionOut>,
    pub ticket_fields: Vec<FieldOut>,
    pub scripts: Vec<ScriptOut>,
    /// Decided outcome values, by id.
    pub outcomes: serde_json::Map<String, serde_json::Value>,
    /// Every outcome with its status and reasons.
    pub outcome_details: Vec<OutcomeOut>,
    pub deadlines: Vec<DeadlineOut>,
    /// Points the SOP itself leaves unanswered, for this case.
    pub open: Vec<OpenOut>,
    /// Facts still to ask, the one that settles most first.
    pub pending: Vec<PendingOut>,
    pub warnings: Vec<WarningOut>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct PolicyRef {
    pub id: String,
    pub version: Option<String>,
    pub title: Option<String>,
    pub source: Option<String>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Validity {
    /// `valid`, `expired`, `not_yet_valid`, or `unknown` (no evaluation time given).
    pub status: &'static str,
    pub valid_from: Option<String>,
    pub valid_until: Option<String>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Because {
    pub rule: String,
    pub at: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub quote: Option<String>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct QuestionOut {
    pub id: String,
    pub text: String,
    pub must_be_correct: bool,
    /// `ask`, or `undecided` while it depends on pending facts.
    pub status: &'static str,
    pub because: Vec<Because>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub waiting_on: Vec<String>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ActionOut {
    pub id: String,
    pub text: String,
    /// `required`, `allowed`, `forbidden` or `undecided`.
    pub verdict: &'static str,
    pub because: Vec<Because>,
    /// Why an undecided verdict is undecided: `pending`, `unanswered`, `open`, `conflict`, `no_rule`, `error`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<&'static str>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub waiting_on: Vec<String>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct FieldOut {
    pub id: String,
    pub label: String,
    #[serde(rename = "type")]
    pub ty: String,
    /// `required`, or `undecided` while it depends on pending facts.
    pub status: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value: Option<serde_json::Value>,
    pub because: Vec<Because>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub waiting_on: Vec<String>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ScriptOut {
    pub id: String,
    /// The text with every known placeholder filled in.
    pub text: String,
    /// `say`, or `undecided` while it depends on pending facts.
    pub status: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_chars: Option<u32>,
    pub length: usize,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub missing: Vec<String>,
    pub because: Vec<Because>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub waiting_on: Vec<String>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct OutcomeOut {
    pub id: String,
    pub label: String,
    /// `set`, `default`, `unset`, `undecided`.
    pub status: &'static str,
    pub value: Option<serde_json::Value>,
    pub because: Vec<Because>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<&'static str>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub waiting_on: Vec<String>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct DeadlineOut {
    pub id: String,
    pub label: String,
    /// `set` or `undecided`.
    pub status: &'static str,
    pub due: Option<String>,
    /// Whether the evaluation time is past the due time.
    pub overdue: Option<bool>,
    pub because: Vec<Because>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub waiting_on: Vec<String>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct OpenOut {
    pub target: Option<String>,
    pub reason: String,
    pub because: Vec<Because>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct PendingOut {
    pub fact: String,
    pub label: Option<String>,
    pub question: Option<String>,
    #[serde(rename = "type")]
    pub ty: String,
    /// The outputs its answer would help decide, e.g. `actions.offer`.
    pub decides: Vec<String>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct WarningOut {
    pub code: &'static str,
    pub message: String,
}

impl Decision {
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"))
    }
}
