#!/usr/bin/env bash
# A large SOP library: N copies of the five shipped policies (5·N files), then
# `pol check` of the whole folder (parse, check, examples, analysis), and the time
# and memory `pol serve` takes to load it (cold, then from the cache), for
# docs/limits.md and docs/performance.md.
#   bash benches/library.sh [N]        # N defaults to 100 (500 files, 16 MB)
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-100}
cargo build --release --quiet
POL=$PWD/target/release/pol
TMP=$(mktemp -d)
trap 'kill "${SERVER:-0}" 2>/dev/null || true; rm -rf "$TMP"' EXIT
mkdir -p "$TMP/library" "$TMP/cache"
for i in $(seq -w 1 "$N"); do
  for f in policies/*.pol; do
    cp "$f" "$TMP/library/$(basename "$f" .pol)_$i.pol"
  done
done
echo "== library: $(ls "$TMP/library" | wc -l) files, $(du -sh --apparent-size "$TMP/library" | cut -f1)"

echo "== pol check of the whole library"
/usr/bin/time -f "%e s, peak %M KB" "$POL" check "$TMP/library" >/dev/null

serve() {
  local log=$TMP/serve.log
  local start
  start=$(date +%s.%N)
  POL_CACHE_DIR=$TMP/cache "$POL" serve "$TMP/library" --addr 127.0.0.1:0 >"$log" 2>&1 &
  SERVER=$!
  local port="" tries=0
  until [ -n "$port" ]; do
    port=$(grep -oE '127\.0\.0\.1:[0-9]+' "$log" | head -1 | cut -d: -f2 || true)
    tries=$((tries + 1))
    if [ "$tries" -gt 30000 ] || ! kill -0 "$SERVER" 2>/dev/null; then
      echo "pol serve did not start:" >&2; cat "$log" >&2; exit 1
    fi
    sleep 0.01
  done
  until curl -sf "http://127.0.0.1:$port/readyz" >/dev/null; do sleep 0.01; done
  echo "ready after $(echo "$(date +%s.%N) - $start" | bc) s, $(grep VmHWM "/proc/$SERVER/status" | tr -s ' ')"
  kill -INT "$SERVER"
  wait "$SERVER" || true
}
echo "== pol serve, cold (empty cache)"
serve
echo "== pol serve, from the cache"
serve
