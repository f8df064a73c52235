//! Gives the crate a fingerprint of its own source (`POL_BUILD_FINGERPRINT`): the
//! compiled-policy cache (src/cache.rs) keys its entries by it, so a policy checked
//! by one build of pol is never served by another, even when both carry the same
//! version number (as every build between two releases does).

use std::path::{Path, PathBuf};

fn main() {
    let inputs = ["src", "grammar", "Cargo.toml", "Cargo.lock"];
    let mut files = Vec::new();
    for input in inputs {
        println!("cargo:rerun-if-changed={input}");
        collect(Path::new(input), &mut files);
    }
    files.sort();
    // FNV-1a, 64 bits, over each file's path and bytes: any change gives a new value.
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    let mut feed = |bytes: &[u8]| {
        for b in bytes {
            hash ^= u64::from(*b);
            hash = hash.wrapping_mul(0x0100_0000_01b3);
        }
    };
    for f in &files {
        feed(f.to_string_lossy().as_bytes());
        feed(&[0]);
        feed(&std::fs::read(f).unwrap_or_default());
        feed(&[0]);
    }
    println!("cargo:rustc-env=POL_BUILD_FINGERPRINT={hash:016x}");
}

fn collect(path: &Path, out: &mut Vec<PathBuf>) {
    if path.is_dir() {
        if let Ok(entries) = std::fs::read_dir(path) {
            for e in entries.flatten() {
                collect(&e.path(), out);
            }
        }
    } else if path.is_file() {
        out.push(path.to_path_buf());
    }
}
