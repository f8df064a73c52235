//! The Decision: what the agent must do now, with the reasons from the SOP.
//!
//! The engine writes a Decision as JSON (`json_out.rs`, the one writer); this
//! struct is that JSON read back (`Deserialize`), for the library, `pol test` and
//! `pol ask`. Serializing it gives the same bytes again (tests/json_writer.rs).

use crate::contract::SchemaVersion;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

pub use super::status::{
    DeadlineStatus, FieldStatus, OutcomeStatus, QuestionStatus, ScriptStatus, UndecidedReason,
    ValidityStatus, Verdict,
};

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, ToSchema)]
/// What the agent must do now on one case, with the reasons from the SOP.
pub struct Decision {
    /// The version of this contract, `MAJOR.MINOR` (docs/decision.md).
    pub schema_version: SchemaVersion,
    pub policy: PolicyRef,
    /// The evaluation time (RFC 3339, in the policy's zone); `null` when none was given.
    #[schema(required = true, format = DateTime)]
    pub at: Option<String>,
    pub validity: Validity,
    /// True when no question is pending: nothing more can be learned from the customer.
    pub complete: bool,
    pub questions: Vec<QuestionOut>,
    pub actions: Vec<ActionOut>,
    pub ticket_fields: Vec<FieldOut>,
    pub scripts: Vec<ScriptOut>,
    /// Decided outcome values, by id.
    #[schema(value_type = Object)]
    pub outcomes: serde_json::Map<String, serde_json::Value>,
    /// Every outcome with its status and reasons.
    pub outcome_details: Vec<OutcomeOut>,
    pub deadlines: Vec<DeadlineOut>,
    /// Points the SOP itself leaves unanswered, for this case.
    pub open: Vec<OpenOut>,
    /// What the policy writer assumed that the SOP does not say, behind the rules
    /// of this Decision's `because` lists (in the order written; empty when none).
    /// Added in 1.1: always written, optional in the schema (a minor version adds
    /// optional fields only), read as empty when absent.
    #[serde(default)]
    pub assumptions: Vec<AssumptionOut>,
    /// Facts still to ask, the one that settles most first.
    pub pending: Vec<PendingOut>,
    pub warnings: Vec<WarningOut>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, ToSchema)]
/// The policy that decided.
pub struct PolicyRef {
    pub id: String,
    #[schema(required = true)]
    pub version: Option<String>,
    #[schema(required = true)]
    pub title: Option<String>,
    /// The SOP document the policy was written from.
    #[schema(required = true)]
    pub source: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, ToSchema)]
pub struct Validity {
    /// `valid`, `expired`, `not_yet_valid`, or `unknown` (no evaluation time given).
    pub status: ValidityStatus,
    /// The first day the policy is in force (`YYYY-MM-DD`).
    #[schema(required = true, format = Date)]
    pub valid_from: Option<String>,
    /// The last day the policy is in force (`YYYY-MM-DD`).
    #[schema(required = true, format = Date)]
    pub valid_until: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, ToSchema)]
/// A rule behind an output: its name, where it is, and the SOP text it encodes.
pub struct Because {
    pub rule: String,
    /// Where the rule is written, `file:line`.
    pub at: String,
    /// The words of the SOP the rule encodes, when the policy quotes them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub quote: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, ToSchema)]
pub struct QuestionOut {
    pub id: String,
    pub text: String,
    /// Present (`true`) when the text is the policy writer's wording, not the SOP's.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub own_words: bool,
    pub must_be_correct: bool,
    /// `ask`, or `undecided` while it depends on pending facts.
    pub status: QuestionStatus,
    pub because: Vec<Because>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub waiting_on: Vec<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, ToSchema)]
pub struct ActionOut {
    pub id: String,
    pub text: String,
    /// `required`, `allowed`, `forbidden` or `undecided`.
    pub verdict: Verdict,
    pub because: Vec<Because>,
    /// Why an undecided verdict is undecided: `pending`, `unanswered`, `open`, `conflict`, `no_rule`, `error`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub reason: Option<UndecidedReason>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub waiting_on: Vec<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, ToSchema)]
pub struct FieldOut {
    pub id: String,
    pub label: String,
    #[serde(rename = "type")]
    pub ty: String,
    /// Whether the field must be filled in: `required`, or `undecided` while
    /// that depends on pending facts (its value is a separate answer).
    pub status: FieldStatus,
    /// The value the policy prescribes, when it does and the value is decided.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Value)]
    pub value: Option<serde_json::Value>,
    /// The rules behind the field: those that make it mandatory, and those that
    /// could still prescribe its value.
    pub because: Vec<Because>,
    /// The facts whether the field is mandatory waits on (only while `undecided`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub waiting_on: Vec<String>,
    /// Why the prescribed value is undecided (`pending`, `unanswered`, `conflict`,
    /// `error`); absent when the value is decided or no rule prescribes one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub value_reason: Option<UndecidedReason>,
    /// The facts the prescribed value waits on.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub value_waiting_on: Vec<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, ToSchema)]
pub struct ScriptOut {
    pub id: String,
    /// The text with every known placeholder filled in.
    pub text: String,
    /// Present (`true`) when the text is the policy writer's wording, not the SOP's.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub own_words: bool,
    /// `say`, or `undecided` while it depends on pending facts.
    pub status: ScriptStatus,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub max_chars: Option<u32>,
    pub length: usize,
    /// Present when the text is longer than `max_chars` and the policy says why
    /// (`over limit "…"`: the SOP's own text breaks its own limit).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub over_limit: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub missing: Vec<String>,
    pub because: Vec<Because>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub waiting_on: Vec<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, ToSchema)]
pub struct OutcomeOut {
    pub id: String,
    pub label: String,
    /// `set`, `default`, `unset`, `undecided`.
    pub status: OutcomeStatus,
    /// The value; `null` when unset or undecided.
    #[schema(value_type = Value, required = true)]
    pub value: Option<serde_json::Value>,
    pub because: Vec<Because>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub reason: Option<UndecidedReason>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub waiting_on: Vec<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, ToSchema)]
pub struct DeadlineOut {
    pub id: String,
    pub label: String,
    /// `set` or `undecided`.
    pub status: DeadlineStatus,
    /// The due time (RFC 3339, in the policy's zone); `null` while undecided.
    #[schema(required = true, format = DateTime)]
    pub due: Option<String>,
    /// Whether the evaluation time is past the due time; `null` without both.
    #[schema(required = true)]
    pub overdue: Option<bool>,
    pub because: Vec<Because>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub waiting_on: Vec<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, ToSchema)]
pub struct OpenOut {
    /// The output left open (`actions.x`, `outcomes.y`), or `null` for the case as a whole.
    #[schema(required = true)]
    pub target: Option<String>,
    pub reason: String,
    pub because: Vec<Because>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, ToSchema)]
/// Something the policy writer assumed that the SOP does not say (`assume "…"`).
pub struct AssumptionOut {
    /// The assumption, in the policy's words.
    pub text: String,
    /// Where it is written, `file:line:col`.
    pub at: String,
    /// The rules of this Decision it concerns, in declaration order.
    pub rules: Vec<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, ToSchema)]
pub struct PendingOut {
    pub fact: String,
    #[schema(required = true)]
    pub label: Option<String>,
    /// How to ask for it, when the policy says.
    #[schema(required = true)]
    pub question: Option<String>,
    /// Present (`true`) when `question` is the policy writer's wording, not the SOP's.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub own_words: bool,
    #[serde(rename = "type")]
    pub ty: String,
    /// The outputs its answer would help decide, e.g. `actions.offer`.
    pub decides: Vec<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, ToSchema)]
pub struct WarningOut {
    /// A warning code such as `W0103`; new codes may appear in a minor version.
    #[schema(value_type = String, pattern = "^W[0-9]{4}$")]
    pub code: String,
    pub message: String,
}

impl Decision {
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"))
    }
}
