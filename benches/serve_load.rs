//! Load against `pol serve` on loopback: many keep-alive connections send the
//! README's dm_verification case for a bounded time, and the throughput, the
//! latency percentiles and the errors are printed.
//!
//! ```sh
//! cargo bench --bench serve_load                      # 256 connections, 10 s
//! POL_LOAD_CONNECTIONS=64 POL_LOAD_SECONDS=5 cargo bench --bench serve_load
//! ```
//!
//! The server runs as its own process (the release binary) with the threads given by
//! `POL_LOAD_SERVER_THREADS` (default: one per core); the generator runs on one
//! thread. Both share the machine, so the figure is a floor of what the server does
//! when the clients are elsewhere.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const CASE: &str =
    include_str!("../policies/cases/dm_verification/penerima_lain_di_cp_verified.json");

fn env_or(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

struct ConnResult {
    latencies_us: Vec<u32>,
    errors: u64,
}

/// Position of `\r\n\r\n` in `buf`.
fn head_end(buf: &[u8]) -> Option<usize> {
    buf.windows(4).position(|w| w == b"\r\n\r\n")
}

fn content_length(head: &[u8]) -> Option<usize> {
    let text = std::str::from_utf8(head).ok()?;
    text.lines().find_map(|l| {
        let (k, v) = l.split_once(':')?;
        k.eq_ignore_ascii_case("content-length")
            .then(|| v.trim().parse().ok())
            .flatten()
    })
}

async fn connection(addr: String, request: std::sync::Arc<Vec<u8>>, until: Instant) -> ConnResult {
    let mut result = ConnResult {
        latencies_us: Vec::with_capacity(1 << 16),
        errors: 0,
    };
    let Ok(mut stream) = TcpStream::connect(&addr).await else {
        result.errors += 1;
        return result;
    };
    let _ = stream.set_nodelay(true);
    let mut buf = vec![0u8; 64 * 1024];
    let mut have = 0usize;
    while Instant::now() < until {
        let start = Instant::now();
        if stream.write_all(&request).await.is_err() {
            result.errors += 1;
            return result;
        }
        // Read one response: the head, then Content-Length bytes of body.
        let (status_ok, total) = loop {
            if let Some(end) = head_end(&buf[..have]) {
                let head = &buf[..end];
                let ok = head.starts_with(b"HTTP/1.1 200");
                match content_length(head) {
                    Some(n) => break (ok, end + 4 + n),
                    None => {
                        result.errors += 1;
                        return result;
                    }
                }
            }
            if have == buf.len() {
                buf.resize(buf.len() * 2, 0);
            }
            match stream.read(&mut buf[have..]).await {
                Ok(0) | Err(_) => {
                    result.errors += 1;
                    return result;
                }
                Ok(n) => have += n,
            }
        };
        while have < total {
            if total > buf.len() {
                buf.resize(total, 0);
            }
            match stream.read(&mut buf[have..]).await {
                Ok(0) | Err(_) => {
                    result.errors += 1;
                    return result;
                }
                Ok(n) => have += n,
            }
        }
        buf.copy_within(total..have, 0);
        have -= total;
        if status_ok {
            result
                .latencies_us
                .push(start.elapsed().as_micros().min(u32::MAX as u128) as u32);
        } else {
            result.errors += 1;
        }
    }
    result
}

fn percentile(sorted: &[u32], p: f64) -> u32 {
    if sorted.is_empty() {
        return 0;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

fn main() {
    // `cargo test --benches` runs benches with `--bench`-less arguments: stay quick then.
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    let connections = env_or("POL_LOAD_CONNECTIONS", 256);
    let seconds = env_or("POL_LOAD_SECONDS", 10);
    let server_threads = std::env::var("POL_LOAD_SERVER_THREADS").ok();
    let root = env!("CARGO_MANIFEST_DIR");
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_pol"));
    cmd.args([
        "serve",
        &format!("{root}/policies"),
        "--addr",
        "127.0.0.1:0",
    ])
    .env("POL_LOG", "warn,pol=info")
    .stdout(Stdio::null())
    .stderr(Stdio::piped());
    if let Some(t) = &server_threads {
        cmd.args(["--threads", t]);
    }
    let mut child = cmd.spawn().expect("cannot start pol serve");
    let stderr = child.stderr.take().expect("stderr");
    let mut lines = BufReader::new(stderr).lines();
    let addr = loop {
        let Some(Ok(line)) = lines.next() else {
            panic!("pol serve stopped before listening");
        };
        if let Some(rest) = line.split("listening on http://").nth(1) {
            break rest.split_whitespace().next().unwrap_or("").to_string();
        }
    };
    std::thread::spawn(move || for _ in lines {});

    let request = format!(
        "POST /v1/policies/dm_verification/evaluate?at=2025-05-02T10:00%2B07:00 HTTP/1.1\r\nhost: {addr}\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{CASE}",
        CASE.len()
    );
    let request = std::sync::Arc::new(request.into_bytes());
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let started = Instant::now();
    let until = started + Duration::from_secs(seconds);
    let results = runtime.block_on(async {
        let tasks: Vec<_> = (0..connections)
            .map(|_| tokio::spawn(connection(addr.clone(), request.clone(), until)))
            .collect();
        let mut out = Vec::new();
        for t in tasks {
            if let Ok(r) = t.await {
                out.push(r);
            }
        }
        out
    });
    let elapsed = started.elapsed().as_secs_f64();
    let _ = child.kill();
    let _ = child.wait();

    let errors: u64 = results.iter().map(|r| r.errors).sum();
    let mut all: Vec<u32> = results.into_iter().flat_map(|r| r.latencies_us).collect();
    all.sort_unstable();
    let ok = all.len();
    println!(
        "pol serve, dm_verification, {connections} connections, {seconds} s, server threads: {}",
        server_threads.as_deref().unwrap_or("one per core")
    );
    println!("  requests ok: {ok}   errors: {errors}");
    println!("  throughput:  {:.0} requests/s", ok as f64 / elapsed);
    println!(
        "  latency:     p50 {} us   p90 {} us   p99 {} us   max {} us",
        percentile(&all, 0.50),
        percentile(&all, 0.90),
        percentile(&all, 0.99),
        all.last().copied().unwrap_or(0)
    );
}
