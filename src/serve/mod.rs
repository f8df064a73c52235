//! `pol serve`: every policy of a folder over HTTP.
//!
//! ```text
//! folder ─► registry::scan (compile + check, off the request path) ─► ArcSwap<Registry>
//!   ▲  notify events and a periodic rescan                                  │ load()
//!   └─ reload task                              request ─► routes ─► Arc<Version> ─► Decision JSON
//! ```
//!
//! A request takes the version it starts with (an `Arc`), so a reload never changes
//! the answer to a request in flight. The service keeps no state between requests:
//! more capacity is more replicas behind any load balancer.

mod batch;
pub mod decision_log;
pub mod metrics;
pub mod openapi;
pub mod registry;
mod reload;
mod routes;

use arc_swap::ArcSwap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use decision_log::DecisionLog;
use metrics::Metrics;
use registry::Registry;

/// How the server runs. Every field has a command-line flag and an environment variable.
#[derive(Debug, Clone)]
pub struct Config {
    pub addr: SocketAddr,
    pub policies: PathBuf,
    /// Largest request body for `evaluate`, in bytes.
    pub max_body_bytes: usize,
    /// Largest request body for `evaluate:batch`, in bytes.
    pub max_batch_bytes: u64,
    /// Largest line of a batch, in bytes.
    pub max_line_bytes: usize,
    /// Time allowed to read a request and start the answer.
    pub timeout: Duration,
    /// Rescan the folder this often, besides file-change events (`None`: events only).
    pub poll: Option<Duration>,
    pub decision_log: Option<PathBuf>,
    /// Where checked policies are kept between runs (`None`: every load checks afresh).
    pub cache: Option<crate::cache::Cache>,
}

/// What every request handler shares.
pub struct State {
    pub config: Config,
    pub registry: ArcSwap<Registry>,
    pub metrics: Arc<Metrics>,
    pub log: Option<DecisionLog>,
    /// False before the first load and once shutdown began.
    pub ready: AtomicBool,
    decisions: AtomicU64,
    started: u64,
}

impl State {
    /// A new decision id: unique within this process, and across restarts in practice.
    pub fn decision_id(&self) -> String {
        let n = self.decisions.fetch_add(1, Ordering::Relaxed);
        format!("{:x}-{n:x}", self.started)
    }
}

fn now_nanos() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(0)
}

/// Loads the folder and builds the shared state (no socket yet).
pub fn state(config: Config) -> std::io::Result<Arc<State>> {
    let metrics = Arc::new(Metrics::default());
    let log = match &config.decision_log {
        Some(p) => Some(DecisionLog::open(p, metrics.clone())?),
        None => None,
    };
    if !config.policies.is_dir() {
        return Err(std::io::Error::new(
            std::io::ErrorKind::NotFound,
            format!("`{}` is not a folder", config.policies.display()),
        ));
    }
    let (registry, report) = registry::scan(
        &config.policies,
        &Registry::default(),
        config.cache.as_ref(),
    );
    for id in &report.loaded {
        tracing::info!(policy = %id, "policy loaded");
    }
    for id in &report.failed {
        tracing::warn!(policy = %id, "policy has errors and is not served; see GET /v1/policies/{id}");
    }
    Ok(Arc::new(State {
        config,
        registry: ArcSwap::from_pointee(registry),
        metrics,
        log,
        ready: AtomicBool::new(true),
        decisions: AtomicU64::new(0),
        started: now_nanos(),
    }))
}

/// Serves until SIGTERM or Ctrl-C, then lets the requests in flight finish.
pub async fn serve(state: Arc<State>) -> std::io::Result<()> {
    let listener = tokio::net::TcpListener::bind(state.config.addr).await?;
    let addr = listener.local_addr()?;
    tracing::info!(
        policies = %state.config.policies.display(),
        "listening on http://{addr}"
    );
    let watcher = reload::start(state.clone());
    let app = routes::router(state.clone());
    let shutting_down = state.clone();
    // Answers are small and written whole: send them at once (no Nagle delay).
    use axum::serve::ListenerExt;
    let listener = listener.tap_io(|tcp| {
        let _ = tcp.set_nodelay(true);
    });
    let result = axum::serve(listener, app)
        .with_graceful_shutdown(async move {
            shutdown_signal().await;
            shutting_down.ready.store(false, Ordering::SeqCst);
            tracing::info!("shutting down: finishing the requests in flight");
        })
        .await;
    drop(watcher);
    tracing::info!("stopped");
    result
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
}
