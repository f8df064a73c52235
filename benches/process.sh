#!/usr/bin/env bash
# Whole-process figures for docs/performance.md: `pol eval` wall time (hyperfine
# when installed, else a loop with `time`), `pol eval --batch` throughput, and the
# peak memory of a batch over 1 GiB of cases.
#   bash benches/process.sh            # builds the release binary first
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --quiet
POL=target/release/pol
POLICY=policies/dm_verification.pol
CASE=policies/cases/dm_verification/penerima_lain_di_cp_verified.json
AT=2025-05-02T10:00+07:00
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

echo "== pol eval, one case (whole process)"
if command -v hyperfine >/dev/null; then
  hyperfine -N --warmup 20 --runs 300 "$POL eval $POLICY --case $CASE --at $AT"
  hyperfine -N --warmup 20 --runs 300 "$POL check $POLICY"
else
  time (for _ in $(seq 100); do "$POL" eval "$POLICY" --case "$CASE" --at "$AT" >/dev/null; done)
  echo "(divide by 100)"
fi

echo "== pol eval --batch, 200,000 lines of the shipped dm_verification cases"
python3 - "$TMP/cases.jsonl" <<'PY'
import glob, json, sys
cases = [json.dumps(json.load(open(f)), separators=(",", ":"))
         for f in sorted(glob.glob("policies/cases/dm_verification/*.json"))]
with open(sys.argv[1], "w") as out:
    for i in range(200_000):
        out.write(cases[i % len(cases)] + "\n")
PY
for t in 1 2; do
  /usr/bin/time -f "threads=$t: %e s wall, %U s user, %S s sys, %M kB peak RSS" \
    "$POL" eval "$POLICY" --batch "$TMP/cases.jsonl" --at "$AT" --threads "$t" >/dev/null
done

echo "== pol eval --batch, 1 GiB of the 60 complete cases (benches/data): throughput and peak memory"
python3 - "$TMP/big.jsonl" <<'PY'
import sys
lines = [l for l in open("benches/data/dm_verification_complete.jsonl").read().splitlines() if l.strip()]
block = ("\n".join(lines) + "\n").encode()
target = 1 << 30
with open(sys.argv[1], "wb") as out:
    written = 0
    while written < target:
        out.write(block)
        written += len(block)
PY
ls -l "$TMP/big.jsonl" | awk '{printf "input: %.2f GiB, ", $5 / 2^30}'
wc -l < "$TMP/big.jsonl" | awk '{print $1 " lines"}'
for t in 1 2; do
  /usr/bin/time -f "threads=$t: %e s wall, %U s user, %S s sys, %M kB peak RSS" \
    "$POL" eval "$POLICY" --batch "$TMP/big.jsonl" --at "$AT" --threads "$t" >/dev/null
done
