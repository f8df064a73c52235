//! Helpers shared by the integration tests that run the real `pol` binary.

#![allow(dead_code, reason = "each test file uses part of the helpers")]

use std::io::Write;
use std::process::{Command, Output, Stdio};

/// Runs `pol` with `input` on its standard input. The input is written from a
/// thread of its own, so a large input and a large output cannot block each other.
pub fn pol_stdin(args: &[&str], input: impl AsRef<[u8]>) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_pol"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let input = input.as_ref().to_vec();
    let feeder = std::thread::spawn(move || stdin.write_all(&input));
    let out = child.wait_with_output().unwrap();
    // A program that stops early (a usage error, a broken policy) closes its input: the write may fail.
    let _ = feeder.join().unwrap();
    out
}
pub mod server;
