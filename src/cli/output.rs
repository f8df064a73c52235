//! Every line the command line prints goes through here.
//!
//! When the reader of standard output or standard error has gone away (a closed
//! pipe, as in `pol check --format json | head -c 10`), pol stops at once, prints
//! nothing more and exits with the code of what it has done so far: 0 when nothing
//! had failed, else the command's usual code (1 policy errors or failed examples,
//! 2 a bad case record or a usage error). Any other write error (a full disk) ends
//! pol with code 2 and a message.

use std::fmt::Display;
use std::io::{self, Write};

/// Writes and flushes `text`; a failed write ends pol (see [`stop`]).
fn write_or_stop(mut to: impl Write, text: impl Display, status: i32) {
    if let Err(e) = write!(to, "{text}").and_then(|()| to.flush()) {
        stop(&e, status);
    }
}

/// Standard output: the results.
pub(super) fn out(text: impl Display, status: i32) {
    write_or_stop(io::stdout().lock(), text, status);
}

/// Standard output, with a newline.
pub(super) fn outln(text: impl Display, status: i32) {
    out(format_args!("{text}\n"), status);
}

/// Standard error: diagnostics and messages for people.
pub(super) fn err(text: impl Display, status: i32) {
    write_or_stop(io::stderr().lock(), text, status);
}

/// Standard error, with a newline.
pub(super) fn errln(text: impl Display, status: i32) {
    err(format_args!("{text}\n"), status);
}

/// Ends pol after a failed write: quietly with `status` when the reader went away.
pub(super) fn stop(e: &io::Error, status: i32) -> ! {
    if e.kind() != io::ErrorKind::BrokenPipe {
        let _ = writeln!(io::stderr(), "error: cannot write the output: {e}");
        std::process::exit(2);
    }
    std::process::exit(status)
}
