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
//! The writer puts chunks back in input order before writing them.

use crate::check::ir::Policy;
use crate::contract::{BatchError, CaseErrorBody};
use crate::eval::CaseError;
use indicatif::ProgressBar;
use std::collections::BTreeMap;
use std::io::{self, BufRead, Write};
use std::sync::mpsc::{channel, Receiver, Sender};
use std::sync::Mutex;

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
    output: Vec<u8>,
    failed: u64,
}

impl Chunk {
    fn reset(&mut self, seq: u64, first_line: u64) {
        self.seq = seq;
        self.first_line = first_line;
        self.input.clear();
        self.ends.clear();
        self.output.clear();
        self.failed = 0;
    }

    /// Reads lines until the chunk is full; false at the end of the input.
    fn fill(&mut self, input: &mut impl BufRead, opts: &Options) -> io::Result<bool> {
        while self.ends.len() < opts.chunk_lines.max(1) && self.input.len() < opts.chunk_bytes {
            let start = self.input.len();
            let n = input.read_until(b'\n', &mut self.input)?;
            if n == 0 {
                return Ok(false);
            }
            if self.input.last() == Some(&b'\n') {
                self.input.pop();
            }
            if self.input.len() > start && self.input.last() == Some(&b'\r') {
                self.input.pop();
            }
            self.ends.push(self.input.len());
        }
        Ok(true)
    }

    fn lines(&self) -> u64 {
        self.ends.len() as u64
    }

    fn evaluate(&mut self, policy: &Policy, at: Option<i64>) {
        let mut start = 0;
        for (i, &end) in self.ends.iter().enumerate() {
            let line = self.input.get(start..end).unwrap_or(&[]);
            start = end;
            let number = self.first_line + i as u64;
            if !evaluate_line(policy, at, line, number, &mut self.output) {
                self.failed += 1;
            }
        }
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
    policy: &Policy,
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
    match policy.evaluate_json_into(text, at, out) {
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
    policy: &Policy,
    at: Option<i64>,
    mut input: R,
    output: &mut W,
    opts: &Options,
    progress: Option<&ProgressBar>,
) -> io::Result<Summary>
where
    R: BufRead + Send,
    W: Write + ?Sized,
{
    let threads = opts.worker_threads();
    if threads <= 1 {
        return run_inline(policy, at, &mut input, output, opts, progress);
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
        let reader = s.spawn(move || read_all(&mut input, opts, &free_rx, &work_tx));
        for _ in 0..threads {
            let done_tx = done_tx.clone();
            let work_rx = &work_rx;
            s.spawn(move || loop {
                let next = match work_rx.lock() {
                    Ok(rx) => rx.recv(),
                    Err(_) => return,
                };
                let Ok(mut chunk) = next else { return };
                chunk.evaluate(policy, at);
                if done_tx.send(chunk).is_err() {
                    return;
                }
            });
        }
        drop(done_tx);
        let written = write_in_order(done_rx, free_tx, output, progress);
        let read = reader
            .join()
            .unwrap_or_else(|_| Err(io::Error::other("the reader thread failed")));
        let summary = written?;
        read?;
        Ok(summary)
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
) -> io::Result<Summary> {
    let mut summary = Summary::default();
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
    output.flush()?;
    Ok(summary)
}

/// One thread: read a chunk, evaluate it, write it.
fn run_inline<R: BufRead, W: Write + ?Sized>(
    policy: &Policy,
    at: Option<i64>,
    input: &mut R,
    output: &mut W,
    opts: &Options,
    progress: Option<&ProgressBar>,
) -> io::Result<Summary> {
    let mut summary = Summary::default();
    let mut chunk = Chunk::default();
    let mut line = 1u64;
    loop {
        chunk.reset(0, line);
        let more = chunk.fill(input, opts)?;
        chunk.evaluate(policy, at);
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
    output.flush()?;
    Ok(summary)
}

/// The `--batch` command: loads the policy, streams the lines, returns the exit code.
pub(super) fn command(
    policy_path: &std::path::Path,
    batch: &str,
    at: Option<&str>,
    threads: Option<usize>,
) -> i32 {
    use std::io::IsTerminal;
    let source = match super::read_policy(policy_path) {
        Ok(s) => s,
        Err(code) => return code,
    };
    let Ok(compiled) = super::load(policy_path, &source) else {
        eprintln!("the policy has errors: fix them, then evaluate");
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
    let result = run(
        &compiled.policy,
        at,
        input,
        &mut out,
        &opts,
        progress.as_ref(),
    );
    if let Some(p) = &progress {
        p.finish_and_clear();
    }
    match result {
        Ok(summary) if summary.failed == 0 => 0,
        Ok(summary) => {
            eprintln!(
                "{} of {} {} could not be evaluated (see the error records)",
                summary.failed,
                summary.lines,
                if summary.lines == 1 { "line" } else { "lines" }
            );
            2
        }
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => 2,
        Err(e) => {
            eprintln!("error: the batch stopped: {e}");
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
