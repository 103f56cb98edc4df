#!/usr/bin/env bash
# Load benchmarks against a real origin (bin/hlsorigin) on 127.0.0.1:
#  1. viewers: LOAD_CHANNELS demo-like channels fed over HTTP PUT by
#     bench/ingestload while cmd/hlsload runs LOAD_VIEWERS simulated players
#     across them (budget: zero stalls, playlist p99 < 20 ms);
#  2. ingest: INGESTS concurrent publishers at INGEST_BITRATE, some paused
#     and resumed during the run (budgets: segment ack p99 < 100 ms, no
#     segment lost when the playlists are read back, pause/resume p99 < 20 ms,
#     with a GET of the channel state in the same run as baseline).
# Each phase runs a fresh origin and is bounded in time. Timings print
# PASS/MISS; the script fails only when a tool cannot run.
set -euo pipefail
cd "$(dirname "$0")/.."
VIEWERS=${LOAD_VIEWERS:-5000}
CHANNELS=${LOAD_CHANNELS:-100}
VDUR=${LOAD_DURATION:-60s}
INGESTS=${INGESTS:-200}
BITRATE=${INGEST_BITRATE:-3e6}
IDUR=${INGEST_DURATION:-60s}
OUT=bench/out
mkdir -p "$OUT"
tmp=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$tmp"; }
trap cleanup EXIT
[ -x bin/hlsorigin ] || make -s build
go build -o "$tmp/hlsload" ./cmd/hlsload
go build -o "$tmp/ingestload" ./bench/ingestload
ulimit -n 65536 2>/dev/null || true

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
start_origin() { # $1 = name; sets base, opid
  local port; port=$(free_port)
  bin/hlsorigin -addr "127.0.0.1:$port" -data "$tmp/data-$1" -admin-token bench-admin-token-0123456789abcdefgh -log-level error -rate-limits=false >"$tmp/origin-$1.log" 2>&1 &
  opid=$!; pids+=($opid)
  base="http://127.0.0.1:$port"
  for _ in $(seq 100); do curl -sf "$base/healthz" >/dev/null && return; sleep 0.1; done
  echo "origin did not start"; cat "$tmp/origin-$1.log"; exit 1
}

# CPU accounting, so a missed budget can be told from a saturated machine:
# proc_cpu PID -> CPU seconds used so far; machine_cpu -> busy CPU seconds
# of the whole machine (every process, ours and others').
proc_cpu() { awk -v t="$(getconf CLK_TCK)" '{sub(/^.*\) /, ""); print ($12 + $13) / t}' "/proc/$1/stat" 2>/dev/null || echo 0; }
machine_cpu() { awk -v t="$(getconf CLK_TCK)" '/^cpu /{print ($2 + $3 + $4 + $7 + $8) / t}' /proc/stat; }
cpu_report() { # $1 phase, $2 elapsed s, $3 machine CPU at start, then name=seconds pairs
  local phase=$1 el=$2 m0=$3; shift 3
  python3 - "$phase" "$el" "$m0" "$(machine_cpu)" "$(nproc)" "$@" <<'PY'
import sys
phase, el, m0, m1, n = sys.argv[1], float(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4]), int(sys.argv[5])
parts = [a.split("=") for a in sys.argv[6:]]
ours = sum(float(v) for _, v in parts)
busy = (m1 - m0) / el
print(f"  CPU over {el:.0f} s ({phase}): " + ", ".join(f"{k} {float(v)/el:.2f}" for k, v in parts)
      + f", other processes {max(busy - ours/el, 0):.2f}; machine busy {busy:.2f} of {n} cores")
PY
}
TIMEFORMAT="%U %S"

echo "-- viewers: $VIEWERS players on $CHANNELS channels for $VDUR (channels fed by $CHANNELS publishers over HTTP PUT)"
start_origin viewers
vsecs=${VDUR%s}
"$tmp/ingestload" -base "$base" -admin bench-admin-token-0123456789abcdefgh -channels "$CHANNELS" -prefix v -duration "$((vsecs + 25))s" \
  -label feed -json "$OUT/feed.json" >"$tmp/feed.txt" &
feed=$!; pids+=($feed)
sleep 10 # every channel has a window
o0=$(proc_cpu "$opid"); f0=$(proc_cpu "$feed"); m0=$(machine_cpu); t0=$(date +%s.%N)
{ time "$tmp/hlsload" -url "$base/live/v%d/index.m3u8" -channels "$CHANNELS" -viewers "$VIEWERS" -duration "$VDUR" \
  -ramp 15s -label viewers -json "$OUT/hlsload.json" -budget-playlist-p99 20ms -budget-stalls 0 | tee "$OUT/hlsload.txt"; } 2>"$tmp/hlsload.time"
el=$(python3 -c "import time; print(time.time() - $t0)")
hl=$(awk 'END {print $1 + $2}' "$tmp/hlsload.time")
cpu_report viewers "$el" "$m0" "origin=$(python3 -c "print($(proc_cpu "$opid") - $o0)")" "hlsload=$hl" \
  "feed=$(python3 -c "print($(proc_cpu "$feed") - $f0)")" | tee -a "$OUT/hlsload.txt"
wait "$feed" || true
cat "$tmp/feed.txt"
kill "$opid" 2>/dev/null || true; wait "$opid" 2>/dev/null || true

echo "-- ingest: $INGESTS publishers at $BITRATE bit/s for $IDUR, pauses on 20 of them"
start_origin ingest
o0=$(proc_cpu "$opid"); m0=$(machine_cpu); t0=$(date +%s.%N)
{ time "$tmp/ingestload" -base "$base" -admin bench-admin-token-0123456789abcdefgh -channels "$INGESTS" -prefix i -bitrate "$BITRATE" -duration "$IDUR" \
  -pause-channels 20 -pausers 4 -label ingest -json "$OUT/ingest.json" -budget-ack-p99 100ms -budget-pause-p99 20ms \
  | tee "$OUT/ingest.txt"; } 2>"$tmp/ingest.time"
el=$(python3 -c "import time; print(time.time() - $t0)")
cpu_report ingest "$el" "$m0" "origin=$(python3 -c "print($(proc_cpu "$opid") - $o0)")" \
  "ingestload=$(awk 'END {print $1 + $2}' "$tmp/ingest.time")" | tee -a "$OUT/ingest.txt"
du -sh "$tmp/data-ingest" | awk '{print "  store after the run: " $1}'
