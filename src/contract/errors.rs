//! The error objects: a bad case record, alone (`pol eval`) or on a batch line.

use crate::eval::CaseError;
use serde::Serialize;
use utoipa::ToSchema;

/// Why a case record was refused.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct CaseErrorBody {
    /// A stable code, e.g. `E0601` (docs/diagnostics.md).
    #[schema(pattern = "^E[0-9]{4}$")]
    pub code: String,
    /// Where in the case record, e.g. `$.confirm_count`.
    pub path: String,
    /// What the policy expects there.
    pub expected: String,
    /// What the case has there.
    pub found: String,
    pub message: String,
}

impl From<&CaseError> for CaseErrorBody {
    fn from(e: &CaseError) -> CaseErrorBody {
        CaseErrorBody {
            code: e.code.to_string(),
            path: e.path.clone(),
            expected: e.expected.clone(),
            found: e.found.clone(),
            message: e.message.clone(),
        }
    }
}

/// A line of `pol eval --batch` whose case record was refused.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct BatchError {
    /// The 1-based number of the input line.
    #[schema(minimum = 1)]
    pub line: u64,
    pub error: CaseErrorBody,
}

/// What `pol eval --format json` prints when the case record is refused (exit 2).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct EvalError {
    pub error: EvalErrorBody,
}

/// [`CaseErrorBody`] with the case file it is about.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct EvalErrorBody {
    #[schema(pattern = "^E[0-9]{4}$")]
    pub code: String,
    /// The case file as given, `<stdin>` for standard input.
    pub file: String,
    pub path: String,
    pub expected: String,
    pub found: String,
    pub message: String,
}

impl EvalError {
    pub fn new(e: &CaseError, file: &str) -> EvalError {
        EvalError {
            error: EvalErrorBody {
                code: e.code.to_string(),
                file: file.to_string(),
                path: e.path.clone(),
                expected: e.expected.clone(),
                found: e.found.clone(),
                message: e.message.clone(),
            },
        }
    }
}
