//! Hot reload: file-change events (and a periodic rescan, for file systems that
//! do not report changes) wake one task, which rescans the folder off the request
//! path and swaps the new registry in at once.

use super::registry;
use super::State;
use crate::contract::LoadStatus;
use notify::Watcher;
use std::sync::Arc;
use std::time::Duration;

/// Changes often come in bursts (an editor writes, renames, touches): wait this long
/// after the first event before rescanning.
const SETTLE: Duration = Duration::from_millis(50);

/// Starts watching; the watcher stops when the returned value is dropped.
pub fn start(state: Arc<State>) -> Option<notify::RecommendedWatcher> {
    let wake = Arc::new(tokio::sync::Notify::new());
    let signal = wake.clone();
    let watcher = notify::recommended_watcher(move |event: notify::Result<notify::Event>| {
        if event.is_ok() {
            signal.notify_one();
        }
    });
    let watcher = match watcher {
        Ok(mut w) => match w.watch(&state.config.policies, notify::RecursiveMode::Recursive) {
            Ok(()) => Some(w),
            Err(e) => {
                tracing::warn!(error = %e, "cannot watch the policy folder; relying on the periodic rescan");
                None
            }
        },
        Err(e) => {
            tracing::warn!(error = %e, "cannot watch the policy folder; relying on the periodic rescan");
            None
        }
    };
    tokio::spawn(run(state, wake));
    watcher
}

async fn run(state: Arc<State>, wake: Arc<tokio::sync::Notify>) {
    let poll = state.config.poll;
    loop {
        match poll {
            Some(p) => {
                let _ = tokio::time::timeout(p, wake.notified()).await;
            }
            None => wake.notified().await,
        }
        tokio::time::sleep(SETTLE).await;
        let s = state.clone();
        let scanned = tokio::task::spawn_blocking(move || {
            let old = s.registry.load_full();
            let (next, report) = registry::scan(&s.config.policies, &old, s.config.cache.as_ref());
            if report.removed.is_empty() {
                return (next, report);
            }
            // Editors and deployments often replace a file by deleting and re-creating
            // it: a policy is removed only when its file stays away for a moment.
            std::thread::sleep(SETTLE);
            registry::scan(&s.config.policies, &old, s.config.cache.as_ref())
        })
        .await;
        let Ok((next, report)) = scanned else {
            tracing::error!("the policy rescan failed; keeping the policies served");
            continue;
        };
        if report.is_empty() {
            continue;
        }
        for id in &report.loaded {
            state.metrics.reload(id, "ok");
            tracing::info!(policy = %id, "policy reloaded");
        }
        for id in &report.failed {
            state.metrics.reload(id, "failed");
            let serving = next
                .entries
                .get(id)
                .and_then(|e| e.serving.as_ref().map(|v| v.content_hash.clone()));
            let errors: Vec<String> = next
                .entries
                .get(id)
                .map(|e| {
                    e.diagnostics
                        .iter()
                        .filter(|d| d.severity == crate::Severity::Error)
                        .map(|d| {
                            format!(
                                "{}:{}:{}: {} {}",
                                d.file, d.line, d.column, d.code, d.message
                            )
                        })
                        .collect()
                })
                .unwrap_or_default();
            tracing::warn!(
                policy = %id,
                serving = serving.as_deref().unwrap_or("nothing"),
                errors = ?errors,
                "policy file has errors; the last version that checked keeps answering"
            );
        }
        for id in &report.removed {
            state.metrics.reload(id, "removed");
            tracing::info!(policy = %id, "policy file removed; no longer served");
        }
        debug_assert!(next
            .entries
            .values()
            .all(|e| e.status == LoadStatus::Failed || e.serving.is_some()));
        state.registry.store(Arc::new(next));
    }
}
