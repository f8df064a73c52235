//! Case JSON → fact slots, in one serde pass that also words every error.
//!
//! The text is read once, straight into the policy's fact slots (a `DeserializeSeed`
//! per level: the record, a fact's value, a list item): keys are matched to facts
//! without copying them, texts are read where they lie, and only `text` facts and
//! lists allocate. A value that does not fit is worded as a [`CaseError`] (code, JSON
//! path, expected, found) where it is met; a text that is not JSON is worded by
//! serde_json (with line and column). [`decode_value`] and [`decode_fact`] run the same
//! seeds over an already parsed `serde_json::Value`.

mod error;
mod object;
mod skip;
mod value;

pub use error::CaseError;

use super::{Case, FactValue};
use crate::check::ids::IdVec;
use crate::check::ir::{FactDef, Policy};
use object::CaseSeed;
use serde::de::DeserializeSeed;
use serde_json::Value as J;
use value::FactSeed;

/// Decodes a case record (JSON text) into the policy's fact slots.
pub fn decode_case(policy: &Policy, text: &str) -> Result<Case, CaseError> {
    let mut slots = IdVec::with_capacity(policy.facts.len());
    slots.resize_with(policy.facts.len(), || FactValue::Absent);
    read_text(policy, text, slots.as_mut_slice())?;
    Ok(Case { slots })
}

/// Decodes a case record into `case`, reusing its slots (for a caller that decodes
/// many records). On error the slots hold part of the record.
pub fn decode_case_into(policy: &Policy, text: &str, case: &mut Case) -> Result<(), CaseError> {
    case.slots.clear();
    case.slots
        .resize_with(policy.facts.len(), || FactValue::Absent);
    read_text(policy, text, case.slots.as_mut_slice())
}

/// Reads the record into `slots`, all absent to begin with.
fn read_text(policy: &Policy, text: &str, slots: &mut [FactValue]) -> Result<(), CaseError> {
    let mut de = serde_json::Deserializer::from_str(text);
    let seed = CaseSeed { policy, slots };
    match seed
        .deserialize(&mut de)
        .and_then(|read| de.end().map(|()| read))
    {
        Ok(read) => read.map_err(|e| *e),
        Err(e) => Err(CaseError::not_json(&e)),
    }
}

/// Decodes an already parsed JSON value, the same way as [`decode_case`].
pub fn decode_value(policy: &Policy, json: &J) -> Result<Case, CaseError> {
    let mut case = Case::empty(policy);
    let seed = CaseSeed {
        policy,
        slots: case.slots.as_mut_slice(),
    };
    match seed.deserialize(json) {
        Ok(read) => read.map(|()| case).map_err(|e| *e),
        Err(e) => Err(CaseError::not_json(&e)),
    }
}

/// Decodes the value of `fact`, one of `policy`'s facts, as a case record gives it
/// (`pol ask` checks each typed answer with it). Errors have the path `$.fact`.
pub fn decode_fact(policy: &Policy, fact: &FactDef, json: &J) -> Result<FactValue, CaseError> {
    let mut slot = FactValue::Absent;
    match (FactSeed {
        policy,
        fact,
        slot: &mut slot,
    })
    .deserialize(json)
    {
        Ok(Ok(())) => Ok(slot),
        Ok(Err(e)) => Err(*e),
        Err(e) => Err(CaseError::not_json(&e)),
    }
}

#[cfg(test)]
mod tests;
