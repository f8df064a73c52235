//! `POST /v1/policies/{id}/evaluate:batch`: NDJSON in, NDJSON out, streaming.
//!
//! Lines are evaluated as they arrive and answered in order, one output line per
//! input line (a Decision, or `{"line": N, "error": {…}}` as `pol eval --batch`
//! writes). A line over the line limit is answered with an error record and skipped;
//! a batch over the size limit ends with an error record for the line it stopped in.

use super::decision_log::Record;
use super::registry::Version;
use super::State;
use crate::contract::{BatchLineError, ServiceErrorBody, ServiceErrorCode};
use axum::body::Bytes;
use futures_util::{Stream, StreamExt};
use std::sync::Arc;
use tokio::sync::mpsc::Sender;

/// Output is handed to the connection in pieces of about this size.
const FLUSH_AT: usize = 64 * 1024;

fn error_line(out: &mut Vec<u8>, line: u64, code: ServiceErrorCode, message: &str) {
    let record = BatchLineError {
        line,
        error: ServiceErrorBody {
            code,
            message: message.to_string(),
        },
    };
    if serde_json::to_writer(&mut *out, &record).is_ok() {
        out.push(b'\n');
    }
}

struct Lines<'a> {
    state: &'a State,
    version: &'a Version,
    /// Evaluates every line of the batch, reusing its buffers.
    evaluator: crate::eval::Evaluator<'a>,
    id: &'a str,
    at: i64,
    decision_id: &'a str,
    max_line: usize,
    out: Vec<u8>,
    number: u64,
    ok: u64,
    failed: u64,
}

impl Lines<'_> {
    fn evaluate(&mut self, line: &[u8]) {
        self.number += 1;
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if line.len() > self.max_line {
            self.failed += 1;
            let message = format!("the line is over {} bytes", self.max_line);
            error_line(
                &mut self.out,
                self.number,
                ServiceErrorCode::LineTooLong,
                &message,
            );
            return;
        }
        let start = self.out.len();
        let policy = self.version.engine.policy();
        if crate::cli::batch::evaluate_line(
            &mut self.evaluator,
            Some(self.at),
            line,
            self.number,
            &mut self.out,
        ) {
            self.ok += 1;
            if let Some(log) = &self.state.log {
                let facts = serde_json::from_slice(line).unwrap_or(serde_json::Value::Null);
                let decision = self.out.get(start..self.out.len() - 1).unwrap_or(&[]);
                log.write(
                    Record {
                        decision_id: &format!("{}.{}", self.decision_id, self.number),
                        time: &crate::time::format_instant(now_secs(), 0),
                        policy: self.id,
                        content_hash: &self.version.content_hash,
                        facts: &policy.mask_case(&facts),
                        decision,
                    }
                    .to_line(),
                );
            }
        } else {
            self.failed += 1;
        }
    }
}

fn now_secs() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// Reads the request body, evaluates each line and sends the answers to `tx`.
pub async fn stream<S, E>(
    state: Arc<State>,
    version: Arc<Version>,
    id: String,
    at: i64,
    decision_id: String,
    mut input: S,
    tx: Sender<Result<Bytes, std::io::Error>>,
) where
    S: Stream<Item = Result<Bytes, E>> + Unpin,
    E: std::fmt::Display,
{
    let max_line = state.config.max_line_bytes;
    let max_total = state.config.max_batch_bytes;
    let mut lines = Lines {
        state: &state,
        version: &version,
        evaluator: version.engine.evaluator(),
        id: &id,
        at,
        decision_id: &decision_id,
        max_line,
        out: Vec::with_capacity(FLUSH_AT * 2),
        number: 0,
        ok: 0,
        failed: 0,
    };
    let mut pending: Vec<u8> = Vec::new();
    // True while skipping the rest of a line that went over the limit.
    let mut skipping = false;
    let mut total: u64 = 0;
    let mut stopped = false;
    while let Some(chunk) = input.next().await {
        let chunk = match chunk {
            Ok(c) => c,
            Err(e) => {
                error_line(
                    &mut lines.out,
                    lines.number + 1,
                    ServiceErrorCode::BadRequest,
                    &format!("the request body broke off: {e}"),
                );
                stopped = true;
                break;
            }
        };
        total += chunk.len() as u64;
        if total > max_total {
            error_line(
                &mut lines.out,
                lines.number + 1,
                ServiceErrorCode::PayloadTooLarge,
                &format!(
                    "the batch is over {max_total} bytes; the lines after this one were not read"
                ),
            );
            stopped = true;
            break;
        }
        let mut rest: &[u8] = &chunk;
        while let Some(nl) = rest.iter().position(|&b| b == b'\n') {
            let (head, tail) = rest.split_at(nl);
            rest = tail.get(1..).unwrap_or(&[]);
            if skipping {
                skipping = false;
                continue;
            }
            if pending.is_empty() {
                lines.evaluate(head);
            } else {
                pending.extend_from_slice(head);
                let line = std::mem::take(&mut pending);
                lines.evaluate(&line);
            }
        }
        if !skipping {
            pending.extend_from_slice(rest);
            if pending.len() > max_line {
                lines.number += 1;
                lines.failed += 1;
                let n = lines.number;
                error_line(
                    &mut lines.out,
                    n,
                    ServiceErrorCode::LineTooLong,
                    &format!("the line is over {max_line} bytes"),
                );
                pending.clear();
                skipping = true;
            }
        }
        if lines.out.len() >= FLUSH_AT {
            let piece = std::mem::replace(&mut lines.out, Vec::with_capacity(FLUSH_AT * 2));
            if tx.send(Ok(Bytes::from(piece))).await.is_err() {
                return; // the client went away
            }
        }
    }
    if !stopped && !skipping && !pending.is_empty() {
        let line = std::mem::take(&mut pending);
        lines.evaluate(&line);
    }
    state.metrics.evaluations(&id, lines.ok, lines.failed);
    if !lines.out.is_empty() {
        let _ = tx.send(Ok(Bytes::from(lines.out))).await;
    }
}
