//! `pol eval POLICY --batch FILE.jsonl`: one case per line in, one Decision per line out.
//!
//! ```text
//! reader thread ──chunks──► N workers ──chunks──► writer (caller's thread, in order)
//!        ▲                                              │
//!        └──────────── recycled chunk buffers ◄─────────┘
//! ```
//!
//! Lines are read in chunks; a fixed number of chunk buffers circulate between the
//! reader, the workers and the writer, so memory stays bounded whatever the input size.
//! The writer puts chunks back in input order before writing them. A line longer than
//! [`MAX_LINE_BYTES`] is answered by an E0609 error record; the reader skips the rest
//! of it without storing it.

use crate::contract::{BatchError, CaseErrorBody};
use crate::eval::{CaseError, Engine, Evaluator};
use indicatif::ProgressBar;
use std::collections::BTreeMap;
use std::io::{self, BufRead, Write};
use std::sync::mpsc::{channel, Receiver, Sender};
use std::sync::Mutex;

/// A line longer than this (without its newline) gets an E0609 error record.
pub const MAX_LINE_BYTES: usize = 1024 * 1024;
/// `--threads` above this is a usage error.
pub const MAX_THREADS: usize = 256;
/// Stack of each worker thread. Expressions are at most
/// `syntax::MAX_EXPR_DEPTH` deep, which evaluates within 2 MiB (tests/deep.rs);
/// 8 MiB is margin. Untouched pages are never committed.
const WORKER_STACK_BYTES: usize = 8 * 1024 * 1024;

/// How a batch is run.
#[derive(Debug, Clone, Copy)]
pub struct Options {
    /// Worker threads; 0 means one per core. With 1 everything runs on the caller's thread.
    pub threads: usize,
    /// At most this many lines per chunk.
    pub chunk_lines: usize,
    /// A chunk is closed once it holds this many bytes of input.
    pub chunk_bytes: usize,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            threads: 0,
            // A Decision is a few kB: 256 lines keep a chunk near 1 MB of output
            // while still amortising the hand-offs (a chunk is milliseconds of work).
            chunk_lines: 256,
            chunk_bytes: 256 * 1024,
        }
    }
}

impl Options {
    /// The number of worker threads this runs with.
    pub fn worker_threads(&self) -> usize {
        if self.threads == 0 {
            std::thread::available_parallelism().map_or(1, |n| n.get())
        } else {
            self.threads
        }
    }
}

/// What a batch did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Summary {
    /// Input lines, each answered by one output line.
    pub lines: u64,
    /// Lines answered by an error record.
    pub failed: u64,
}

/// A run of consecutive input lines and, once evaluated, their output lines.
#[derive(Default)]
struct Chunk {
    seq: u64,
    /// 1-based number of the chunk's first line.
    first_line: u64,
    input: Vec<u8>,
    /// End offset in `input` of each line (without its newline).
    ends: Vec<usize>,
    /// Whether each line was longer than [`MAX_LINE_BYTES`] (and not stored).
    too_long: Vec<bool>,
    output: Vec<u8>,
    failed: u64,
}

impl Chunk {
    fn reset(&mut self, seq: u64, first_line: u64) {
        self.seq = seq;
        self.first_line = first_line;
        self.input.clear();
        self.ends.clear();
        self.too_long.clear();
        self.output.clear();
        self.failed = 0;
    }

    /// Reads lines until the chunk is full; false at the end of the input.
    fn fill(&mut self, input: &mut impl BufRead, opts: &Options) -> io::Result<bool> {
        while self.ends.len() < opts.chunk_lines.max(1) && self.input.len() < opts.chunk_bytes {
            let start = self.input.len();
            let Some(too_long) = read_line(input, &mut self.input, MAX_LINE_BYTES, true)? else {
                return Ok(false);
            };
            if too_long {
                self.input.truncate(start);
            } else if self.input.len() > start && self.input.last() == Some(&b'\r') {
                self.input.pop();
            }
            self.ends.push(self.input.len());
            self.too_long.push(too_long);
        }
        Ok(true)
    }

    fn lines(&self) -> u64 {
        self.ends.len() as u64
    }

    fn evaluate(&mut self, evaluator: &mut Evaluator, at: Option<i64>) {
        let mut start = 0;
        for (i, &end) in self.ends.iter().enumerate() {
            let line = self.input.get(start..end).unwrap_or(&[]);
            start = end;
            let number = self.first_line + i as u64;
            if self.too_long.get(i) == Some(&true) {
                write_error(&mut self.output, number, &line_too_long());
                self.failed += 1;
            } else if !evaluate_line(evaluator, at, line, number, &mut self.output) {
                self.failed += 1;
            }
        }
    }
}

/// Appends one line of `input` to `buf`, without its newline, storing at most
/// `max` + 1 bytes (room for a `\r`). `None` at the end of the input; `Some(true)`
/// when the line was longer: with `skip_rest` its rest is read and dropped, else
/// reading stops there (an endless line would never end).
pub(super) fn read_line(
    input: &mut impl BufRead,
    buf: &mut Vec<u8>,
    max: usize,
    skip_rest: bool,
) -> io::Result<Option<bool>> {
    let start = buf.len();
    let (mut any, mut too_long) = (false, false);
    loop {
        let available = match input.fill_buf() {
            Ok(a) => a,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        if available.is_empty() {
            break;
        }
        any = true;
        let (piece, used, end) = match available.iter().position(|&b| b == b'\n') {
            Some(i) => (available.get(..i).unwrap_or(&[]), i + 1, true),
            None => (available, available.len(), false),
        };
        if !too_long {
            if buf.len() - start + piece.len() > max + 1 {
                too_long = true;
            } else {
                buf.extend_from_slice(piece);
            }
        }
        input.consume(used);
        if end || (too_long && !skip_rest) {
            break;
        }
    }
    if !any {
        return Ok(None);
    }
    let len = buf.len() - start;
    let len = if buf.last() == Some(&b'\r') && len > 0 {
        len - 1
    } else {
        len
    };
    Ok(Some(too_long || len > max))
}

/// E0609: a batch line over [`MAX_LINE_BYTES`].
fn line_too_long() -> CaseError {
    CaseError {
        code: "E0609",
        path: "$".into(),
        expected: format!("a case record of at most {MAX_LINE_BYTES} bytes on one line"),
        found: "a longer line".into(),
        message: format!("the line is longer than {MAX_LINE_BYTES} bytes"),
    }
}

fn write_error(out: &mut Vec<u8>, line: u64, e: &CaseError) {
    let record = BatchError {
        line,
        error: CaseErrorBody::from(e),
    };
    if serde_json::to_writer(&mut *out, &record).is_err() {
        out.extend_from_slice(b"{\"line\":");
        out.extend_from_slice(line.to_string().as_bytes());
        out.extend_from_slice(b",\"error\":{\"code\":\"E0601\"}}");
    }
    out.push(b'\n');
}

/// Evaluates one input line and appends exactly one output line; false for an error record.
pub fn evaluate_line(
    evaluator: &mut Evaluator,
    at: Option<i64>,
    line: &[u8],
    number: u64,
    out: &mut Vec<u8>,
) -> bool {
    let text = match std::str::from_utf8(line) {
        Ok(t) => t,
        Err(e) => {
            let err = CaseError {
                code: "E0601",
                path: format!("byte {}", e.valid_up_to()),
                expected: "a JSON object".into(),
                found: "bytes that are not UTF-8 text".into(),
                message: "the case is not UTF-8 text".into(),
            };
            write_error(out, number, &err);
            return false;
        }
    };
    match evaluator.evaluate_json_into(text, at, out) {
        Ok(()) => {
            out.push(b'\n');
            true
        }
        Err(e) => {
            write_error(out, number, &e);
            false
        }
    }
}

/// Evaluates every line of `input` and writes one line per input line to `output`,
/// in input order. `progress` advances by the input bytes done.
pub fn run<R, W>(
    engine: &Engine,
    at: Option<i64>,
    input: R,
    output: &mut W,
    opts: &Options,
    progress: Option<&ProgressBar>,
) -> io::Result<Summary>
where
    R: BufRead + Send,
    W: Write + ?Sized,
{
    let mut summary = Summary::default();
    run_counted(engine, at, input, output, opts, progress, &mut summary)?;
    Ok(summary)
}

/// Like [`run`]; `summary` counts the lines written so far, also when it fails.
fn run_counted<R, W>(
    engine: &Engine,
    at: Option<i64>,
    mut input: R,
    output: &mut W,
    opts: &Options,
    progress: Option<&ProgressBar>,
    summary: &mut Summary,
) -> io::Result<()>
where
    R: BufRead + Send,
    W: Write + ?Sized,
{
    let threads = opts.worker_threads();
    if threads <= 1 {
        return run_inline(engine, at, &mut input, output, opts, progress, summary);
    }
    // Chunks in flight: enough for every worker to hold one while the reader fills
    // the next and the writer waits for a late one.
    let in_flight = threads * 2 + 2;
    let (free_tx, free_rx) = channel::<Chunk>();
    for _ in 0..in_flight {
        let _ = free_tx.send(Chunk::default());
    }
    let (work_tx, work_rx) = channel::<Chunk>();
    let work_rx = Mutex::new(work_rx);
    let (done_tx, done_rx) = channel::<Chunk>();
    std::thread::scope(|s| {
        // Workers first: when one cannot start, dropping `work_tx` ends those started.
        for _ in 0..threads {
            let done_tx = done_tx.clone();
            let work_rx = &work_rx;
            std::thread::Builder::new()
                .name("batch worker".into())
                .stack_size(WORKER_STACK_BYTES)
                .spawn_scoped(s, move || {
                    let mut evaluator = engine.evaluator();
                    loop {
                        let next = match work_rx.lock() {
                            Ok(rx) => rx.recv(),
                            Err(_) => return,
                        };
                        let Ok(mut chunk) = next else { return };
                        chunk.evaluate(&mut evaluator, at);
                        if done_tx.send(chunk).is_err() {
                            return;
                        }
                    }
                })
                .map_err(|e| {
                    io::Error::other(format!(
                        "cannot start {threads} worker threads ({e}): try a smaller --threads"
                    ))
                })?;
        }
        let reader = std::thread::Builder::new()
            .name("batch reader".into())
            .spawn_scoped(s, move || read_all(&mut input, opts, &free_rx, &work_tx))
            .map_err(|e| io::Error::other(format!("cannot start the reader thread ({e})")))?;
        drop(done_tx);
        let written = write_in_order(done_rx, free_tx, output, progress, summary);
        let read = reader
            .join()
            .unwrap_or_else(|_| Err(io::Error::other("the reader thread failed")));
        written?;
        read
    })
}

/// The reader: fills recycled chunks and hands them to the workers.
fn read_all<R: BufRead>(
    input: &mut R,
    opts: &Options,
    free: &Receiver<Chunk>,
    work: &Sender<Chunk>,
) -> io::Result<()> {
    let (mut seq, mut line) = (0u64, 1u64);
    loop {
        // No free chunk: the writer stopped (e.g. a closed output).
        let Ok(mut chunk) = free.recv() else {
            return Ok(());
        };
        chunk.reset(seq, line);
        let more = chunk.fill(input, opts)?;
        if chunk.lines() > 0 {
            line += chunk.lines();
            seq += 1;
            if work.send(chunk).is_err() {
                return Ok(());
            }
        }
        if !more {
            return Ok(());
        }
    }
}

/// The writer: puts evaluated chunks back in order, writes them, recycles them.
fn write_in_order<W: Write + ?Sized>(
    done: Receiver<Chunk>,
    free: Sender<Chunk>,
    output: &mut W,
    progress: Option<&ProgressBar>,
    summary: &mut Summary,
) -> io::Result<()> {
    let mut waiting: BTreeMap<u64, Chunk> = BTreeMap::new();
    let mut next = 0u64;
    for chunk in done.iter() {
        waiting.insert(chunk.seq, chunk);
        while let Some(chunk) = waiting.remove(&next) {
            output.write_all(&chunk.output)?;
            summary.lines += chunk.lines();
            summary.failed += chunk.failed;
            if let Some(p) = progress {
                p.inc(chunk.input.len() as u64 + chunk.lines());
            }
            next += 1;
            let _ = free.send(chunk);
        }
    }
    output.flush()
}

/// One thread: read a chunk, evaluate it, write it.
fn run_inline<R: BufRead, W: Write + ?Sized>(
    engine: &Engine,
    at: Option<i64>,
    input: &mut R,
    output: &mut W,
    opts: &Options,
    progress: Option<&ProgressBar>,
    summary: &mut Summary,
) -> io::Result<()> {
    let mut chunk = Chunk::default();
    let mut evaluator = engine.evaluator();
    let mut line = 1u64;
    loop {
        chunk.reset(0, line);
        let more = chunk.fill(input, opts)?;
        chunk.evaluate(&mut evaluator, at);
        output.write_all(&chunk.output)?;
        summary.lines += chunk.lines();
        summary.failed += chunk.failed;
        line += chunk.lines();
        if let Some(p) = progress {
            p.inc(chunk.input.len() as u64 + chunk.lines());
        }
        if !more {
            break;
        }
    }
    output.flush()
}

/// The `--batch` command: loads the policy, streams the lines, returns the exit code.
pub(super) fn command(
    policy_path: &std::path::Path,
    batch: &str,
    at: Option<&str>,
    threads: Option<usize>,
    no_cache: bool,
) -> i32 {
    use super::output::{errln, stop};
    use std::io::IsTerminal;
    if let Some(n) = threads.filter(|&n| n > MAX_THREADS) {
        return super::usage_error(format!(
            "--threads {n} is too many: at most {MAX_THREADS} worker threads (0 or no --threads: one per core)"
        ));
    }
    let source = match super::read_policy(policy_path) {
        Ok(s) => s,
        Err(code) => return code,
    };
    let Ok(compiled) = super::load_for_eval(policy_path, &source, no_cache) else {
        errln("the policy has errors: fix them, then evaluate", 1);
        return 1;
    };
    let at = match at {
        None => None,
        Some(t) => match compiled.policy.parse_at(t) {
            Some(i) => Some(i),
            None => {
                return super::usage_error(format!(
                    "`{t}` is not a date and time such as 2025-04-29T10:30+07:00"
                ))
            }
        },
    };
    let opts = Options {
        threads: threads.unwrap_or(0),
        ..Options::default()
    };
    let (input, size): (Box<dyn BufRead + Send>, Option<u64>) = if batch == "-" {
        (
            Box::new(io::BufReader::with_capacity(1 << 16, io::stdin())),
            None,
        )
    } else {
        match std::fs::File::open(batch) {
            Ok(f) => {
                let size = f.metadata().ok().map(|m| m.len());
                (Box::new(io::BufReader::with_capacity(1 << 16, f)), size)
            }
            Err(e) => return super::usage_error(format!("cannot read `{batch}`: {e}")),
        }
    };
    let progress = io::stderr().is_terminal().then(|| progress_bar(size));
    let stdout = io::stdout();
    let mut out = io::BufWriter::with_capacity(1 << 16, stdout.lock());
    let mut summary = Summary::default();
    let engine = Engine::new(compiled.policy);
    let result = run_counted(
        &engine,
        at,
        input,
        &mut out,
        &opts,
        progress.as_ref(),
        &mut summary,
    );
    if let Some(p) = &progress {
        p.finish_and_clear();
    }
    let status = if summary.failed == 0 { 0 } else { 2 };
    match result {
        Ok(()) if summary.failed == 0 => 0,
        Ok(()) => {
            errln(
                format_args!(
                    "{} of {} {} could not be evaluated (see the error records)",
                    summary.failed,
                    summary.lines,
                    if summary.lines == 1 { "line" } else { "lines" }
                ),
                2,
            );
            2
        }
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => {
            // The rest of the buffered output can go nowhere: drop it, quietly.
            let (_, _) = out.into_parts();
            stop(&e, status)
        }
        Err(e) => {
            errln(format_args!("error: the batch stopped: {e}"), 2);
            2
        }
    }
}

/// A bar over the input bytes when the size is known, else a spinner.
fn progress_bar(size: Option<u64>) -> ProgressBar {
    use indicatif::ProgressStyle;
    match size {
        Some(n) => {
            let bar = ProgressBar::new(n);
            if let Ok(style) = ProgressStyle::with_template(
                "{spinner} [{elapsed_precise}] {wide_bar} {bytes}/{total_bytes} ({bytes_per_sec}, {eta})",
            ) {
                bar.set_style(style);
            }
            bar
        }
        None => {
            let bar = ProgressBar::new_spinner();
            if let Ok(style) = ProgressStyle::with_template(
                "{spinner} [{elapsed_precise}] {bytes} read ({bytes_per_sec})",
            ) {
                bar.set_style(style);
            }
            bar
        }
    }
}
