//! `pol serve`: the command-line side of the HTTP server (flags, logs, runtime).

use crate::serve::Config;
use clap::{Args, ValueEnum};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

/// Flags of `pol serve`; each can also be set by the environment variable shown.
#[derive(Args, Debug)]
pub struct ServeArgs {
    /// The folder of policies to serve (searched for .pol files; default: policies/)
    #[arg(value_name = "DIR", env = "POL_POLICIES")]
    dir: Option<PathBuf>,
    /// The same as DIR
    #[arg(long = "policies", value_name = "DIR", conflicts_with = "dir")]
    policies: Option<PathBuf>,
    /// Address and port to listen on (port 0: any free port, printed at start)
    #[arg(
        long,
        value_name = "HOST:PORT",
        env = "POL_ADDR",
        default_value = "127.0.0.1:8080"
    )]
    addr: SocketAddr,
    /// Largest body of an `evaluate` request, in bytes (larger: 413)
    #[arg(long, value_name = "BYTES", env = "POL_MAX_BODY_BYTES", default_value_t = 1 << 20)]
    max_body_bytes: usize,
    /// Largest body of an `evaluate:batch` request, in bytes
    #[arg(long, value_name = "BYTES", env = "POL_MAX_BATCH_BYTES", default_value_t = 1 << 30)]
    max_batch_bytes: u64,
    /// Largest line of a batch, in bytes (longer lines get an error record)
    #[arg(long, value_name = "BYTES", env = "POL_MAX_LINE_BYTES", default_value_t = 1 << 20)]
    max_line_bytes: usize,
    /// Time allowed to read a request and start answering it, in milliseconds (longer: 503)
    #[arg(
        long,
        value_name = "MS",
        env = "POL_TIMEOUT_MS",
        default_value_t = 10_000
    )]
    timeout_ms: u64,
    /// Rescan the folder this often, in seconds, besides file-change events (0: events only)
    #[arg(
        long,
        value_name = "SECONDS",
        env = "POL_POLL_SECONDS",
        default_value_t = 5
    )]
    poll_seconds: u64,
    /// Append one JSON line per decision to this file (sensitive facts masked)
    #[arg(long, value_name = "FILE", env = "POL_DECISION_LOG")]
    decision_log: Option<PathBuf>,
    /// Log format on standard error
    #[arg(long, value_enum, env = "POL_LOG_FORMAT", default_value_t = LogFormat::Human)]
    log_format: LogFormat,
    /// Worker threads (default: one per core)
    #[arg(long, value_name = "N", env = "POL_THREADS")]
    threads: Option<usize>,
    /// Check every policy afresh, without reading or writing the cache of checked
    /// policies (so does a non-empty POL_NO_CACHE other than 0; the cache folder is
    /// POL_CACHE_DIR, else the user's cache folder)
    #[arg(long)]
    no_cache: bool,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum LogFormat {
    Human,
    Json,
}

fn init_logs(format: LogFormat) {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_env("POL_LOG").unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(false);
    let _ = match format {
        LogFormat::Json => builder.json().flatten_event(true).try_init(),
        LogFormat::Human => builder.with_ansi(super::color()).try_init(),
    };
}

pub fn command(args: ServeArgs) -> i32 {
    init_logs(args.log_format);
    let threads = args
        .threads
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
        .clamp(1, 1024);
    let config = Config {
        addr: args.addr,
        policies: args
            .policies
            .or(args.dir)
            .unwrap_or_else(|| PathBuf::from("policies")),
        max_body_bytes: args.max_body_bytes,
        max_batch_bytes: args.max_batch_bytes,
        max_line_bytes: args.max_line_bytes,
        timeout: Duration::from_millis(args.timeout_ms.max(1)),
        poll: (args.poll_seconds > 0).then(|| Duration::from_secs(args.poll_seconds)),
        decision_log: args.decision_log,
        cache: if args.no_cache {
            None
        } else {
            crate::cache::Cache::from_env()
        },
    };
    // Expressions are at most `syntax::MAX_EXPR_DEPTH` deep, which checks and
    // evaluates within 2 MiB (tests/deep.rs); 8 MiB per thread is margin.
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(threads)
        .thread_stack_size(8 * 1024 * 1024)
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => return super::usage_error(format!("cannot start the server: {e}")),
    };
    let state = match crate::serve::state(config) {
        Ok(s) => s,
        Err(e) => return super::usage_error(format!("cannot start the server: {e}")),
    };
    match runtime.block_on(crate::serve::serve(state)) {
        Ok(()) => 0,
        Err(e) => {
            tracing::error!(error = %e, "the server stopped");
            2
        }
    }
}
