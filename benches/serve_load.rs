//! Load against `pol serve` on loopback: many keep-alive connections send the
//! README's dm_verification case for a bounded time, and the throughput, the
//! latency percentiles and the errors are printed.
//!
//! ```sh
//! cargo bench --bench serve_load                      # 256 connections, 10 s, closed loop
//! POL_LOAD_RATE=50000 cargo bench --bench serve_load  # open loop: 50,000 requests/s offered
//! POL_LOAD_CONNECTIONS=64 POL_LOAD_SECONDS=5 cargo bench --bench serve_load
//! POL_LOAD_ROUTE=healthz cargo bench --bench serve_load   # the HTTP floor: GET /healthz
//! ```
//!
//! Closed loop (the default): each connection sends its next request as soon as the
//! answer to the last one is read, so the throughput is the most the server gives and
//! the latency is mostly waiting in line (Little's law: connections / throughput).
//! Open loop (`POL_LOAD_RATE`): the connections together send that many requests per
//! second on a fixed schedule, and each latency is counted from the time the request
//! was due, not from when it was sent, so a stalled server cannot hide its queue.
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

/// One connection's schedule in the open loop: the first request is due at `first`,
/// the next ones every `every`.
#[derive(Clone, Copy)]
struct Schedule {
    first: Instant,
    every: Duration,
}

async fn connection(
    addr: String,
    request: std::sync::Arc<Vec<u8>>,
    until: Instant,
    schedule: Option<Schedule>,
) -> ConnResult {
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
    let mut due = schedule.map(|s| s.first);
    while Instant::now() < until {
        let start = match (due, schedule) {
            (Some(d), Some(s)) => {
                tokio::time::sleep_until(d.into()).await;
                due = Some(d + s.every);
                d
            }
            _ => Instant::now(),
        };
        if start >= until {
            break;
        }
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

/// CPU time (user + system) the process has used so far, in seconds (Linux; 0 elsewhere).
fn cpu_seconds(pid: u32) -> f64 {
    let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
        return 0.0;
    };
    // Fields after the command name (which is in parentheses and may hold spaces).
    let rest = stat.rsplit(')').next().unwrap_or("");
    let f: Vec<&str> = rest.split_whitespace().collect();
    let ticks: f64 = [11, 12]
        .iter()
        .filter_map(|&i| f.get(i).and_then(|v| v.parse::<f64>().ok()))
        .sum();
    ticks / 100.0
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
    let rate = env_or("POL_LOAD_RATE", 0);
    let route = std::env::var("POL_LOAD_ROUTE").unwrap_or_else(|_| "evaluate".into());
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

    let request = if route == "healthz" {
        format!("GET /healthz HTTP/1.1\r\nhost: {addr}\r\n\r\n")
    } else {
        format!(
            "POST /v1/policies/dm_verification/evaluate?at=2025-05-02T10:00%2B07:00 HTTP/1.1\r\nhost: {addr}\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{CASE}",
            CASE.len()
        )
    };
    let request = std::sync::Arc::new(request.into_bytes());
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let cpu_before = cpu_seconds(child.id());
    let started = Instant::now();
    let until = started + Duration::from_secs(seconds);
    let results = runtime.block_on(async {
        let tasks: Vec<_> = (0..connections)
            .map(|i| {
                // Open loop: each connection sends every connections/rate seconds, the
                // connections staggered evenly over that interval.
                let schedule = (rate > 0).then(|| {
                    let every = Duration::from_secs_f64(connections as f64 / rate as f64);
                    Schedule {
                        first: started + every.mul_f64(i as f64 / connections as f64),
                        every,
                    }
                });
                tokio::spawn(connection(addr.clone(), request.clone(), until, schedule))
            })
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
    let server_cpu = cpu_seconds(child.id()) - cpu_before;
    let _ = child.kill();
    let _ = child.wait();

    let errors: u64 = results.iter().map(|r| r.errors).sum();
    let mut all: Vec<u32> = results.into_iter().flat_map(|r| r.latencies_us).collect();
    all.sort_unstable();
    let ok = all.len();
    println!(
        "pol serve, {}, {connections} connections, {seconds} s, {}, server threads: {}",
        if route == "healthz" {
            "GET /healthz"
        } else {
            "dm_verification"
        },
        if rate > 0 {
            format!("open loop at {rate} requests/s")
        } else {
            "closed loop".to_string()
        },
        server_threads.as_deref().unwrap_or("one per core")
    );
    println!("  requests ok: {ok}   errors: {errors}");
    println!("  throughput:  {:.0} requests/s", ok as f64 / elapsed);
    if ok > 0 && server_cpu > 0.0 {
        println!(
            "  server CPU:  {:.1} us per request ({:.2} cores busy)",
            server_cpu * 1e6 / ok as f64,
            server_cpu / elapsed
        );
    }
    println!(
        "  latency:     p50 {} us   p90 {} us   p99 {} us   max {} us",
        percentile(&all, 0.50),
        percentile(&all, 0.90),
        percentile(&all, 0.99),
        all.last().copied().unwrap_or(0)
    );
}
