//! The decision log: one JSON line per decision, written by a thread of its own so
//! that a slow disk never holds up a request. When the writer falls behind by more
//! than [`QUEUE`] lines, further lines are dropped and counted
//! (`pol_decision_log_dropped_total`), never queued without bound.

use std::fs::OpenOptions;
use std::io::{BufWriter, Write};
use std::path::Path;
use std::sync::mpsc::{sync_channel, Receiver, SyncSender, TrySendError};
use std::sync::Arc;

use super::metrics::Metrics;

/// Lines that may wait for the writer.
const QUEUE: usize = 65_536;

pub struct DecisionLog {
    tx: SyncSender<Vec<u8>>,
    metrics: Arc<Metrics>,
}

impl DecisionLog {
    /// Opens `path` for appending and starts the writer thread.
    pub fn open(path: &Path, metrics: Arc<Metrics>) -> std::io::Result<DecisionLog> {
        let file = OpenOptions::new().create(true).append(true).open(path)?;
        let (tx, rx) = sync_channel::<Vec<u8>>(QUEUE);
        std::thread::Builder::new()
            .name("pol-decision-log".into())
            .spawn(move || write_lines(rx, BufWriter::new(file)))?;
        Ok(DecisionLog { tx, metrics })
    }

    /// Queues one line (without its newline).
    pub fn write(&self, line: Vec<u8>) {
        match self.tx.try_send(line) {
            Ok(()) => {}
            Err(TrySendError::Full(_)) | Err(TrySendError::Disconnected(_)) => {
                self.metrics
                    .decision_log_dropped
                    .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            }
        }
    }
}

fn write_lines(rx: Receiver<Vec<u8>>, mut out: BufWriter<std::fs::File>) {
    while let Ok(line) = rx.recv() {
        let mut ok = out.write_all(&line).and_then(|_| out.write_all(b"\n"));
        // Flush when the queue is empty, so a quiet server's log is complete on disk.
        while let Ok(more) = rx.try_recv() {
            ok = ok
                .and_then(|_| out.write_all(&more))
                .and_then(|_| out.write_all(b"\n"));
        }
        if let Err(e) = ok.and_then(|_| out.flush()) {
            tracing::error!(error = %e, "cannot write the decision log");
        }
    }
    let _ = out.flush();
}

/// What one log line records besides the Decision.
pub struct Record<'a> {
    pub decision_id: &'a str,
    /// When the decision was made (RFC 3339, UTC).
    pub time: &'a str,
    pub policy: &'a str,
    pub content_hash: &'a str,
    /// The facts the case gave, sensitive ones masked.
    pub facts: &'a serde_json::Value,
    /// The Decision JSON, as sent.
    pub decision: &'a [u8],
}

impl Record<'_> {
    /// The line: `{"decision_id":…,"time":…,"policy":…,"content_hash":…,"facts":…,"decision":…}`.
    pub fn to_line(&self) -> Vec<u8> {
        let head = serde_json::json!({
            "decision_id": self.decision_id,
            "time": self.time,
            "policy": self.policy,
            "content_hash": self.content_hash,
            "facts": self.facts,
        });
        let mut line = serde_json::to_vec(&head).unwrap_or_else(|_| b"{}".to_vec());
        // Splice the Decision in as it was sent, without parsing it again.
        line.pop();
        line.extend_from_slice(b",\"decision\":");
        line.extend_from_slice(self.decision);
        line.push(b'}');
        line
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_record_is_one_json_object_with_the_decision_inside() {
        let facts = serde_json::json!({"a": 1});
        let r = Record {
            decision_id: "d-1",
            time: "2025-01-01T00:00:00Z",
            policy: "p",
            content_hash: "sha256:00",
            facts: &facts,
            decision: br#"{"complete":true}"#,
        };
        let v: serde_json::Value = serde_json::from_slice(&r.to_line()).unwrap();
        assert_eq!(v["decision"]["complete"], true);
        assert_eq!(v["facts"]["a"], 1);
        assert_eq!(v["decision_id"], "d-1");
    }
}
