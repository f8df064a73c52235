//! Helpers shared by the integration tests that run the real `pol` binary.

use std::io::Write;
use std::process::{Command, Output, Stdio};

/// Runs `pol` with `input` on its standard input.
pub fn pol_stdin(args: &[&str], input: &str) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_pol"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    if let Some(mut stdin) = child.stdin.take() {
        // The program may exit before reading all of its input (e.g. a broken policy): that is fine.
        stdin.write_all(input.as_bytes()).ok();
    }
    child.wait_with_output().unwrap()
}
