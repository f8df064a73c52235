#!/usr/bin/env bash
# Builds the fuzz targets with libFuzzer and sanitizer coverage on stable Rust,
# replays the committed corpus and the saved crashes, then fuzzes each target
# for a bounded time. Exits non-zero on any crash, timeout or out-of-memory.
#
#   fuzz/run.sh [SECONDS] [TARGET...]    fuzz each target SECONDS (default 60)
#   fuzz/run.sh build                    only build
#   fuzz/run.sh replay [TARGET...]       only build and replay
#
# Needs a C++ compiler (libfuzzer-sys compiles libFuzzer itself).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$here"

ALL_TARGETS=(compile evaluate datetime)

# Coverage instrumentation without nightly's -Zsanitizer: the sancov pass and
# libFuzzer's counters, PC table and comparison tracing, as cargo-fuzz asks for.
# `--cfg fuzzing` is what libfuzzer-sys and the code under test look for.
export RUSTFLAGS="\
 -Cpasses=sancov-module\
 -Cllvm-args=-sanitizer-coverage-level=4\
 -Cllvm-args=-sanitizer-coverage-inline-8bit-counters\
 -Cllvm-args=-sanitizer-coverage-pc-table\
 -Cllvm-args=-sanitizer-coverage-trace-compares\
 --cfg fuzzing\
 -Cdebug-assertions\
 -Coverflow-checks"
# The flags differ from the main build's: keep the artifacts apart from ../target.
export CARGO_TARGET_DIR="$here/target"
# An explicit --target keeps RUSTFLAGS off build scripts and proc macros, which
# would otherwise be instrumented too and fail to link without libFuzzer.
TRIPLE="$(rustc -vV | sed -n 's/^host: //p')"
# Release profile (with debug assertions and overflow checks, see Cargo.toml).
BIN="$CARGO_TARGET_DIR/$TRIPLE/release"

# Most bytes of an input the fuzzer makes, per target. Longer corpus inputs are
# cut to this while fuzzing (and run whole on replay): small inputs run faster.
max_len() {
    case "$1" in
        compile) echo 16384 ;;
        evaluate) echo 16384 ;;
        datetime) echo 128 ;;
        *) echo 4096 ;;
    esac
}

# Options shared by replay and fuzzing.
COMMON=(-rss_limit_mb=2048 -timeout=10 -print_final_stats=1)

build() {
    echo "== building fuzz targets"
    # Not --locked: Cargo.lock pins what it lists, and a dependency newly added
    # to pol is resolved rather than failing the build.
    cargo build --release --bins --target "$TRIPLE"
}

# Runs every committed corpus input and every saved crash once.
replay() {
    local t="$1" status=0
    mkdir -p "corpus/$t" "artifacts/$t"
    echo "== replaying corpus/$t ($(find "corpus/$t" -type f | wc -l) inputs)"
    local crashes
    crashes="$(mktemp -d)"
    # No -max_len: every input is run whole, however long.
    "$BIN/$t" "${COMMON[@]}" -artifact_prefix="$crashes/" -runs=0 "corpus/$t" || status=1
    local saved=()
    while IFS= read -r -d '' f; do saved+=("$f"); done \
        < <(find "artifacts/$t" -type f ! -name .gitkeep -print0 | sort -z)
    if ((${#saved[@]})); then
        echo "== replaying ${#saved[@]} saved inputs in artifacts/$t"
        "$BIN/$t" "${COMMON[@]}" -artifact_prefix="$crashes/" -runs=1 "${saved[@]}" || status=1
    fi
    rm -rf "$crashes"
    return "$status"
}

# The crash, timeout, out-of-memory and leak inputs saved for target $1, one a line.
failures() {
    find "artifacts/$1" -type f \( -name 'crash-*' -o -name 'timeout-*' \
        -o -name 'oom-*' -o -name 'leak-*' \) | sort
}

# Fuzzes one target for $secs seconds. New inputs go to a scratch copy of the
# corpus (the first corpus folder); the committed one is only read. Inputs that
# fail land in artifacts/<target>/ (slow-unit-* files there are only a warning).
fuzz() {
    local t="$1" secs="$2" status=0
    local scratch before new
    scratch="$(mktemp -d)"
    before="$(failures "$t")"
    echo "== fuzzing $t for ${secs}s"
    "$BIN/$t" "${COMMON[@]}" -max_len="$(max_len "$t")" \
        -max_total_time="$secs" \
        -artifact_prefix="artifacts/$t/" \
        "$scratch" "corpus/$t" || status=1
    rm -rf "$scratch"
    new="$(comm -13 <(echo "$before") <(failures "$t"))"
    if [[ -n $new ]]; then
        echo "!! $t: new failing inputs in fuzz/ (move them to fuzz/found/$t/ until fixed):" >&2
        echo "$new" >&2
        status=1
    fi
    return "$status"
}

mode="fuzz"
secs=60
case "${1:-}" in
    build) build; exit 0 ;;
    replay) mode="replay"; shift ;;
    "") ;;
    *[!0-9]*) echo "usage: $0 [SECONDS|build|replay] [TARGET...]" >&2; exit 2 ;;
    *) secs="$1"; shift ;;
esac
targets=("$@")
((${#targets[@]})) || targets=("${ALL_TARGETS[@]}")

build
failed=()
for t in "${targets[@]}"; do
    replay "$t" || failed+=("$t (replay)")
done
if [[ $mode == fuzz ]]; then
    for t in "${targets[@]}"; do
        fuzz "$t" "$secs" || failed+=("$t (fuzz)")
    done
fi
if ((${#failed[@]})); then
    echo "FAILED: ${failed[*]}" >&2
    exit 1
fi
echo "fuzz: all targets clean"
