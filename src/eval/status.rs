//! The closed sets of the Decision: verdicts, statuses and reasons.
//!
//! Each is written in JSON as its snake_case name (`as_str`, the same text serde
//! gives). Adding a value to any of them is a breaking change of the contract
//! (docs/decision.md): a new major `schema_version`.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Defines a closed set: the enum, its JSON spelling and `Display` (which pads).
macro_rules! closed_set {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident = $text:literal,)+ }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, ToSchema)]
        #[serde(rename_all = "snake_case")]
        pub enum $name {
            $($(#[$vmeta])* $variant,)+
        }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant,)+];

            /// The value as the JSON writes it.
            pub const fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text,)+
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.pad(self.as_str())
            }
        }
    };
}

closed_set! {
    /// An action's verdict.
    Verdict {
        /// The agent must do it.
        Required = "required",
        /// The agent may do it.
        Allowed = "allowed",
        /// The agent must not do it.
        Forbidden = "forbidden",
        /// Not decided for this case; `reason` says why.
        Undecided = "undecided",
    }
}

closed_set! {
    /// Why an action or an outcome is undecided.
    UndecidedReason {
        /// It waits on facts that can still be asked (`waiting_on`).
        Pending = "pending",
        /// It waits on facts the case answered with `null` (the customer did not know).
        Unanswered = "unanswered",
        /// The SOP leaves it open for this case (see `open`).
        Open = "open",
        /// Rules disagree and none overrides the other (warning W0103).
        Conflict = "conflict",
        /// No rule decides it and it has no default.
        NoRule = "no_rule",
        /// Evaluating a condition failed for this case.
        Error = "error",
    }
}

closed_set! {
    /// Whether a question is to be asked.
    QuestionStatus {
        /// Ask it.
        Ask = "ask",
        /// It may have to be asked, depending on pending facts.
        Undecided = "undecided",
    }
}

closed_set! {
    /// Whether a ticket field is to be filled in.
    FieldStatus {
        /// Fill it in (with `value` when the policy prescribes one).
        Required = "required",
        /// It may be required, depending on pending facts.
        Undecided = "undecided",
    }
}

closed_set! {
    /// Whether a script is to be said.
    ScriptStatus {
        /// Say it.
        Say = "say",
        /// It may have to be said, depending on pending facts.
        Undecided = "undecided",
    }
}

closed_set! {
    /// How an outcome got its value.
    OutcomeStatus {
        /// A rule set it.
        Set = "set",
        /// No rule set it; it has its declared default.
        Default = "default",
        /// No rule set it and it has no default: no value.
        Unset = "unset",
        /// Not decided for this case; `reason` says why.
        Undecided = "undecided",
    }
}

closed_set! {
    /// Whether a deadline's due time is known.
    DeadlineStatus {
        /// It applies and `due` is its due time.
        Set = "set",
        /// It may apply, or its due time depends on pending facts.
        Undecided = "undecided",
    }
}

closed_set! {
    /// Whether the policy is in force at the evaluation time.
    ValidityStatus {
        /// In force (or it has no validity dates).
        Valid = "valid",
        /// Past its `valid_until` date: no rule applies.
        Expired = "expired",
        /// Before its `valid_from` date: no rule applies.
        NotYetValid = "not_yet_valid",
        /// It has validity dates but no evaluation time was given.
        Unknown = "unknown",
    }
}

/// Whether a question, ticket field, script or deadline is present for the case,
/// or may be: the form they share before each gets its own closed set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Presence {
    Present,
    Undecided,
}

macro_rules! from_presence {
    ($($name:ident => $present:ident,)+) => {
        $(impl From<Presence> for $name {
            fn from(p: Presence) -> $name {
                match p {
                    Presence::Present => $name::$present,
                    Presence::Undecided => $name::Undecided,
                }
            }
        })+
    };
}

from_presence! {
    QuestionStatus => Ask,
    FieldStatus => Required,
    ScriptStatus => Say,
    DeadlineStatus => Set,
}

/// A policy is in force unless the evaluation time says otherwise.
impl Default for ValidityStatus {
    fn default() -> ValidityStatus {
        ValidityStatus::Valid
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn same<T: Serialize + Copy>(all: &[T], text: fn(T) -> &'static str) {
        for v in all {
            let json = serde_json::to_string(v).unwrap_or_default();
            assert_eq!(json, format!("\"{}\"", text(*v)));
        }
    }

    #[test]
    fn as_str_is_the_serde_spelling() {
        same(Verdict::ALL, Verdict::as_str);
        same(UndecidedReason::ALL, UndecidedReason::as_str);
        same(QuestionStatus::ALL, QuestionStatus::as_str);
        same(FieldStatus::ALL, FieldStatus::as_str);
        same(ScriptStatus::ALL, ScriptStatus::as_str);
        same(OutcomeStatus::ALL, OutcomeStatus::as_str);
        same(DeadlineStatus::ALL, DeadlineStatus::as_str);
        same(ValidityStatus::ALL, ValidityStatus::as_str);
    }

    #[test]
    fn display_pads() {
        assert_eq!(format!("[{:<10}]", Verdict::Required), "[required  ]");
    }
}
