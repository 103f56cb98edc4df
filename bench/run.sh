#!/usr/bin/env bash
# make bench: every benchmark, each printing ratios against a baseline
# measured in the same run.
set -euo pipefail
cd "$(dirname "$0")/.."
echo "== HTTP: hlsorigin vs nginx static (same bytes)"; bash bench/nginx.sh
echo "== load: simulated viewers (hlsload) and concurrent ingests (ingestload), pause API under load"; bash bench/load.sh
echo "== pause API latency and time to first slate segment"; go run ./bench/pausebench -channels 20 -rounds 3
echo "== hot paths: one GET through the handler chain, allocations per request"
go test -run '^$' -bench Hot -benchmem ./api 2>&1 | grep -E '^Benchmark'
echo "== Go benchmarks (playlist render, store, replay playlist 24 h / 100 pauses, MP4 export)"
go test -run '^$' -bench . -benchtime 3x ./manifest ./replay 2>&1 | grep -E '^(Benchmark|ok|PASS)'
go test -run '^$' -bench 'Segment(Read|Put)$' -benchtime 3x ./origin/store 2>&1 | grep -E '^Benchmark'
echo "== store: PutSegment tail with 32 writers at 60 MB/s, value-log writeback on vs off"
go test -run '^$' -bench PutSegmentTail -benchtime 1x -v ./origin/store 2>&1 | grep -E '^Benchmark|writeback off'
echo "== audience: votes/s in process (vs one txn per vote) and over HTTP (vs GET /healthz), SSE fan-out to 2,000 clients (vs 1)"
go test -run '^$' -bench VoteInProcess -benchtime 100000x ./origin 2>&1 | grep -E '^Benchmark'
go test -run '^$' -bench 'VoteHTTP' -benchtime 20000x ./api 2>&1 | grep -E '^Benchmark'
go test -run '^$' -bench 'SSEFanout' -benchtime 1x ./api 2>&1 | grep -E '^Benchmark'
echo "== retention soak (bucket store vs single DB with deletes)"; make -s soak 2>&1 | tail -12
