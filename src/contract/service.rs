//! The JSON of `pol serve` besides the Decision: the policy listing, health,
//! and the errors of requests that cannot be evaluated.

use super::DiagnosticEntry;
use serde::Serialize;
use utoipa::ToSchema;

/// Why a request was refused (not a bad case record: those are [`super::EvalError`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ServiceErrorCode {
    /// The body or a parameter is not what the route takes.
    BadRequest,
    /// The `at` parameter is not a date and time.
    BadAt,
    /// No such route.
    NotFound,
    /// No policy with this id is served.
    PolicyNotFound,
    /// The policy's file has errors and no earlier version checked.
    PolicyUnavailable,
    /// The body is over the size limit.
    PayloadTooLarge,
    /// A line of a batch is over the line limit.
    LineTooLong,
    /// The request took longer than the time limit.
    Timeout,
    /// The server is starting, shutting down, or serves no policy.
    NotReady,
}

/// `{"error": {"code": …, "message": …}}`: a request that could not be evaluated.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct ServiceError {
    pub error: ServiceErrorBody,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct ServiceErrorBody {
    pub code: ServiceErrorCode,
    pub message: String,
}

/// A line of `evaluate:batch` output refused before its case was read (too long,
/// or the batch stopped there).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct BatchLineError {
    /// The 1-based number of the input line.
    #[schema(minimum = 1)]
    pub line: u64,
    pub error: ServiceErrorBody,
}

/// Whether the last load of a policy file checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum LoadStatus {
    /// The file checked; it is the version served.
    Loaded,
    /// The file has errors (see `diagnostics`); `serving` is the last version that checked, if any.
    Failed,
}

/// `GET /v1/policies`.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PolicyList {
    pub policies: Vec<PolicyInfo>,
}

/// One policy file of the served folder: `GET /v1/policies/{id}`.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PolicyInfo {
    /// The file name without `.pol`: the id in the URLs.
    pub id: String,
    pub file: String,
    pub load_status: LoadStatus,
    /// `sha256:` and the hex digest of the file as last read; empty when it could not be read.
    pub file_hash: String,
    /// The version answering requests; `null` when the file never checked.
    #[schema(required = true)]
    pub serving: Option<ServingVersion>,
    /// The diagnostics of the last load (warnings of a loaded file, errors of a failed one).
    pub diagnostics: Vec<DiagnosticEntry>,
}

/// The version of a policy that answers requests.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ServingVersion {
    /// The id in the policy's header.
    pub policy_id: String,
    #[schema(required = true)]
    pub version: Option<String>,
    #[schema(required = true)]
    pub title: Option<String>,
    #[schema(required = true, format = Date)]
    pub valid_from: Option<String>,
    #[schema(required = true, format = Date)]
    pub valid_until: Option<String>,
    /// `sha256:` and the hex digest of the file this version was compiled from.
    pub content_hash: String,
    /// When this version was loaded (UTC).
    #[schema(format = DateTime)]
    pub loaded_at: String,
}

/// `GET /healthz`: the process answers.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Health {
    /// Always `ok`.
    pub status: String,
}

/// `GET /readyz` when ready.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Ready {
    /// Always `ready`.
    pub status: String,
    /// Policies with a version that answers.
    pub policies: usize,
}

/// A 400 answer: a case record the policy refuses, or a request that is malformed
/// in another way (a bad `at`, a body with `case` and other keys).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
#[serde(untagged)]
pub enum BadRequest {
    Case(super::EvalError),
    Request(ServiceError),
}

/// One line of `evaluate:batch` output, in input order: a Decision, a refused case
/// record, or a line refused before its case was read.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
#[serde(untagged)]
pub enum BatchLine {
    Decision(Box<crate::Decision>),
    Case(super::BatchError),
    Refused(BatchLineError),
}
