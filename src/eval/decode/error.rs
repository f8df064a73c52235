//! [`CaseError`] and the wording of every way a case record can be wrong.

use std::fmt;

/// A case record that does not fit the policy's case schema.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseError {
    /// Stable code, e.g. `E0601`.
    pub code: &'static str,
    /// JSON path of the offending value, e.g. `$.confirm_count`.
    pub path: String,
    pub expected: String,
    pub found: String,
    pub message: String,
}

impl fmt::Display for CaseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} at {}: {}", self.code, self.path, self.message)
    }
}

impl std::error::Error for CaseError {}

/// The errors made inside the pass are boxed: every fact's result is moved through
/// serde's calls, and a bare `CaseError` would make each of those moves large.
impl CaseError {
    fn new(
        code: &'static str,
        path: String,
        expected: impl Into<String>,
        found: impl Into<String>,
        message: impl Into<String>,
    ) -> CaseError {
        CaseError {
            code,
            path,
            expected: expected.into(),
            found: found.into(),
            message: message.into(),
        }
    }

    /// E0601: the text is not JSON, as serde_json words it (with line and column).
    pub(super) fn not_json(e: &serde_json::Error) -> CaseError {
        CaseError::new(
            "E0601",
            format!("line {}, column {}", e.line(), e.column()),
            "a JSON object",
            "text that is not valid JSON",
            format!("the case is not valid JSON: {e}"),
        )
    }

    /// E0602: the record is JSON, but not an object.
    pub(super) fn not_object(found: &Found) -> Box<CaseError> {
        let found = found.to_string();
        let message = format!("a case must be a JSON object of facts, not {found}");
        Box::new(CaseError::new(
            "E0602",
            "$".into(),
            "a JSON object of facts",
            found,
            message,
        ))
    }

    /// E0603: a key that is not a fact of the policy.
    pub(super) fn unknown_fact(
        key: &str,
        policy: &str,
        suggestion: Option<String>,
    ) -> Box<CaseError> {
        let message = match suggestion {
            Some(s) => format!("`{key}` is not a fact of policy `{policy}`; did you mean `{s}`?"),
            None => format!("`{key}` is not a fact of policy `{policy}`"),
        };
        Box::new(CaseError::new(
            "E0603",
            format!("$.{key}"),
            "a fact of the policy",
            format!("`{key}`"),
            message,
        ))
    }

    /// E0604: a value of the wrong JSON kind.
    pub(super) fn wrong(expected: &str, found: &Found) -> Box<CaseError> {
        let found = found.to_string();
        let message = format!("expected {expected}, found {found}");
        Box::new(CaseError::new(
            "E0604",
            String::new(),
            expected,
            found,
            message,
        ))
    }

    /// E0604: `null` inside a list.
    pub(super) fn null_in_list(element: String) -> Box<CaseError> {
        Box::new(CaseError::new(
            "E0604",
            String::new(),
            element,
            "null",
            "a list cannot hold null",
        ))
    }

    /// E0605 (and the like): a text that does not read as the type's value.
    pub(super) fn bad_text(code: &'static str, expected: &str, text: &str) -> Box<CaseError> {
        let found = format!("{text:?}");
        let message = format!("expected {expected}, found {found}");
        Box::new(CaseError::new(
            code,
            String::new(),
            expected,
            found,
            message,
        ))
    }

    /// E0606: a text that is not a value of the enum.
    pub(super) fn not_a_variant(
        text: &str,
        enum_name: &str,
        names: &[&str],
        hint: Option<String>,
    ) -> Box<CaseError> {
        let hint = hint
            .map(|c| format!("; did you mean `{c}`?"))
            .unwrap_or_default();
        Box::new(CaseError::new(
            "E0606",
            String::new(),
            format!("one of {}", names.join(", ")),
            format!("{text:?}"),
            format!("{text:?} is not a value of `{enum_name}`{hint}"),
        ))
    }

    /// E0607: a value given twice in a set.
    pub(super) fn twice_in_set(found: &Found) -> Box<CaseError> {
        let found = found.to_string();
        let message = format!("{found} appears twice in a set");
        Box::new(CaseError::new(
            "E0607",
            String::new(),
            "each value once",
            found,
            message,
        ))
    }

    /// The error as found inside the value at `[index]`: its path gains that step.
    pub(super) fn in_item(mut self: Box<Self>, index: usize) -> Box<CaseError> {
        self.path.insert_str(0, &format!("[{index}]"));
        self
    }

    /// The error as found in the value of fact `name`: its path starts at `$.name`.
    pub(super) fn in_fact(mut self: Box<Self>, name: &str) -> Box<CaseError> {
        self.path.insert_str(0, &format!("$.{name}"));
        self
    }
}

/// One JSON value as the decoder met it: scalars as they came, lists and objects
/// by kind only (they are not kept).
#[derive(Clone, Copy)]
pub(super) enum Found<'s> {
    Null,
    Bool(bool),
    Int(i64),
    UInt(u64),
    Float(f64),
    Text(&'s str),
    List,
    Object,
}

impl fmt::Display for Found<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Found::Null => f.write_str("null"),
            Found::Bool(b) => write!(f, "`{b}`"),
            // Numbers as serde_json writes them (`1.5`, `1e300`).
            Found::Int(i) => write!(f, "the number {}", serde_json::Number::from(*i)),
            Found::UInt(u) => write!(f, "the number {}", serde_json::Number::from(*u)),
            Found::Float(x) => match serde_json::Number::from_f64(*x) {
                Some(n) => write!(f, "the number {n}"),
                None => write!(f, "the number {x}"),
            },
            Found::Text(s) => write!(f, "the text {s:?}"),
            Found::List => f.write_str("a list"),
            Found::Object => f.write_str("an object"),
        }
    }
}
