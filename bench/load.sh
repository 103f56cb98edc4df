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
  bin/hlsorigin -addr "127.0.0.1:$port" -data "$tmp/data-$1" -admin-token bench -log-level error >"$tmp/origin-$1.log" 2>&1 &
  opid=$!; pids+=($opid)
  base="http://127.0.0.1:$port"
  for _ in $(seq 100); do curl -sf "$base/healthz" >/dev/null && return; sleep 0.1; done
  echo "origin did not start"; cat "$tmp/origin-$1.log"; exit 1
}

echo "-- viewers: $VIEWERS players on $CHANNELS channels for $VDUR (channels fed by $CHANNELS publishers over HTTP PUT)"
start_origin viewers
vsecs=${VDUR%s}
"$tmp/ingestload" -base "$base" -admin bench -channels "$CHANNELS" -prefix v -duration "$((vsecs + 25))s" \
  -label feed -json "$OUT/feed.json" >"$tmp/feed.txt" &
feed=$!; pids+=($feed)
sleep 10 # every channel has a window
"$tmp/hlsload" -url "$base/live/v%d/index.m3u8" -channels "$CHANNELS" -viewers "$VIEWERS" -duration "$VDUR" \
  -ramp 15s -label viewers -json "$OUT/hlsload.json" -budget-playlist-p99 20ms -budget-stalls 0 | tee "$OUT/hlsload.txt"
wait "$feed" || true
cat "$tmp/feed.txt"
kill "$opid" 2>/dev/null || true; wait "$opid" 2>/dev/null || true

echo "-- ingest: $INGESTS publishers at $BITRATE bit/s for $IDUR, pauses on 20 of them"
start_origin ingest
"$tmp/ingestload" -base "$base" -admin bench -channels "$INGESTS" -prefix i -bitrate "$BITRATE" -duration "$IDUR" \
  -pause-channels 20 -pausers 4 -label ingest -json "$OUT/ingest.json" -budget-ack-p99 100ms -budget-pause-p99 20ms \
  | tee "$OUT/ingest.txt"
du -sh "$tmp/data-ingest" | awk '{print "  store after the run: " $1}'
