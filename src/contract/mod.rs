//! The JSON contract of pol: what every JSON output carries, its version, and
//! the JSON Schemas made from the Rust types that write it (docs/decision.md).
//!
//! - [`Decision`](crate::Decision): `pol eval`, one per line of `pol eval --batch`;
//! - [`BatchError`]: a batch line whose case record is bad;
//! - [`EvalError`]: `pol eval --format json` on a bad case record;
//! - [`DiagnosticsReport`]: `pol check --format json`;
//! - [`ServiceError`], [`BatchLineError`], [`PolicyList`] and the health objects: `pol serve`.

mod diagnostics;
mod errors;
mod schemas;
mod service;

pub use diagnostics::{DiagnosticEntry, DiagnosticsReport, LabelEntry, Summary};
pub use errors::{BatchError, CaseErrorBody, EvalError, EvalErrorBody};
pub use schemas::{decision_schema, diagnostics_schema, openapi_components};
pub use service::{
    BadRequest, BatchLine, BatchLineError, Health, LoadStatus, PolicyInfo, PolicyList, Ready,
    ServiceError, ServiceErrorBody, ServiceErrorCode, ServingVersion,
};

use serde::{Serialize, Serializer};
use utoipa::openapi::schema::{ObjectBuilder, Schema, Type};
use utoipa::openapi::RefOr;

/// The version of every JSON object pol writes, `MAJOR.MINOR`. A minor version
/// only adds; anything else is a new major version (docs/decision.md).
pub const SCHEMA_VERSION: &str = "1.1";

/// The `schema_version` field: always [`SCHEMA_VERSION`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SchemaVersion;

impl Serialize for SchemaVersion {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(SCHEMA_VERSION)
    }
}

impl<'de> serde::Deserialize<'de> for SchemaVersion {
    /// Reads back what [`Serialize`] writes: [`SCHEMA_VERSION`] and nothing else.
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = std::borrow::Cow::<str>::deserialize(d)?;
        if text == SCHEMA_VERSION {
            Ok(SchemaVersion)
        } else {
            Err(serde::de::Error::invalid_value(
                serde::de::Unexpected::Str(&text),
                &SCHEMA_VERSION,
            ))
        }
    }
}

impl utoipa::PartialSchema for SchemaVersion {
    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new()
            .schema_type(Type::String)
            .enum_values(Some([SCHEMA_VERSION]))
            .description(Some(
                "The version of the contract, MAJOR.MINOR: a minor version only adds.",
            ))
            .into()
    }
}

impl utoipa::ToSchema for SchemaVersion {}
