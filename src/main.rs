#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]
fn main() {
    std::process::exit(pol::cli::run());
}
