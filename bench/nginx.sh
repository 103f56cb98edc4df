#!/usr/bin/env bash
# Segment and live-playlist GET throughput of hlsorigin against nginx serving
# the same bytes as static files, and the live playlist against the smallest
# fiber handler serving the same bytes from memory (bench/prebuilt), all
# measured in one run on this machine with wrk, printed as ratios with the
# budgets (PASS/MISS). Traffic goes to 127.0.0.1 only; every load run is
# bounded by BENCH_DURATION.
set -euo pipefail
cd "$(dirname "$0")/.."
DUR=${BENCH_DURATION:-6s}
CONNS=${BENCH_CONNS:-64}
ROUNDS=${BENCH_ROUNDS:-3}
OUT=bench/out
mkdir -p "$OUT"
tmp=$(mktemp -d)
chmod 755 "$tmp" # nginx workers run unprivileged
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$tmp"; }
trap cleanup EXIT

command -v nginx >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx-light >/dev/null; }
command -v wrk >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; }
[ -x bin/hlsorigin ] || make -s build

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
OPORT=$(free_port); NPORT=$(free_port); PPORT=$(free_port); SPORT=$(free_port)
bin/hlsorigin -demo -addr "127.0.0.1:$OPORT" -data "$tmp/data" -admin-token bench-admin-token-0123456789abcdefgh -log-level error >"$tmp/origin.log" 2>&1 &
opid=$!; pids+=($opid)
base="http://127.0.0.1:$OPORT"
for _ in $(seq 100); do curl -sf "$base/live/demo/demo/index.m3u8" >/dev/null && break; sleep 0.1; done
sleep 3 # a few segments

root="$tmp/www"; mkdir -p "$root/live/demo/demo"
curl -sf "$base/live/demo/demo/index.m3u8" >"$root/live/demo/demo/index.m3u8"
curl -sf "$base/live/demo/demo/1.m4s" >"$root/live/demo/demo/1.m4s"
seg_bytes=$(stat -c %s "$root/live/demo/demo/1.m4s")
go build -o "$tmp/prebuilt" ./bench/prebuilt
"$tmp/prebuilt" -addr "127.0.0.1:$PPORT" -file "$root/live/demo/demo/index.m3u8" -path /live/demo/demo/index.m3u8 &
prepid=$!; pids+=($prepid)
"$tmp/prebuilt" -addr "127.0.0.1:$SPORT" -file "$root/live/demo/demo/1.m4s" -path /live/demo/demo/1.m4s \
  -content-type video/mp4 -cache-control "public, max-age=31536000, immutable" &
segpid=$!; pids+=($segpid)
cat >"$tmp/nginx.conf" <<CONF
worker_processes 2;
pid $tmp/nginx.pid;
error_log $tmp/nginx.err;
events { worker_connections 4096; }
http {
  access_log off; sendfile on; tcp_nopush on; keepalive_requests 100000;
  open_file_cache max=100 inactive=60s;
  client_body_temp_path $tmp/cb; proxy_temp_path $tmp/px; fastcgi_temp_path $tmp/fc; uwsgi_temp_path $tmp/uw; scgi_temp_path $tmp/sc;
  types { application/vnd.apple.mpegurl m3u8; video/mp4 m4s; }
  server { listen 127.0.0.1:$NPORT; root $root; }
}
CONF
nginx -c "$tmp/nginx.conf" -g 'daemon off;' &
pids+=($!)
for _ in $(seq 50); do curl -sf "http://127.0.0.1:$NPORT/live/demo/demo/1.m4s" >/dev/null && break; sleep 0.1; done
curl -sf "http://127.0.0.1:$NPORT/live/demo/demo/1.m4s" >/dev/null || { echo "nginx did not start:"; cat "$tmp/nginx.err"; exit 1; }

# Rounds interleave the targets so that load from elsewhere on the shared
# machine hits them alike. Besides req/s (best of ROUNDS), bench/wrkcpu.py
# records the CPU each server and wrk spend per request (medians): the
# steadier measure on shared cores, and what bounds the reachable ratio.
npids="$(cat "$tmp/nginx.pid"),$(pgrep -d, -P "$(cat "$tmp/nginx.pid")")"
echo "segment: $seg_bytes bytes; wrk -t2 -c$CONNS -d$DUR, $ROUNDS interleaved rounds; machine: $(nproc) cores shared by wrk and the servers (load average $(cut -d' ' -f1 /proc/loadavg))"
echo "nginx: worker_processes 2, sendfile on, tcp_nopush on, access_log off, open_file_cache; hlsorigin: segment bytes from memory (hot set / archive cache), no copy"
python3 bench/wrkcpu.py "$ROUNDS" "$DUR" "$CONNS" "$tmp/wrk.json" \
  "hlsorigin segment=$opid=$base/live/demo/demo/1.m4s" \
  "nginx segment=$npids=http://127.0.0.1:$NPORT/live/demo/demo/1.m4s" \
  "hlsorigin playlist=$opid=$base/live/demo/demo/index.m3u8" \
  "nginx playlist=$npids=http://127.0.0.1:$NPORT/live/demo/demo/index.m3u8" \
  "prebuilt playlist=$prepid=http://127.0.0.1:$PPORT/live/demo/demo/index.m3u8" \
  "prebuilt segment=$segpid=http://127.0.0.1:$SPORT/live/demo/demo/1.m4s"
echo "load average after: $(cut -d' ' -f1 /proc/loadavg)"
python3 - "$tmp/wrk.json" "$seg_bytes" <<'PY' | tee "$OUT/nginx.txt"
import json, os, statistics, sys
r = json.load(open(sys.argv[1])); size = float(sys.argv[2])
rows = [("segment GET", "hlsorigin segment", "nginx static", "nginx segment"),
        ("(prebuilt) seg GET", "prebuilt segment", "nginx static", "nginx segment"),
        ("live playlist GET", "hlsorigin playlist", "nginx static", "nginx playlist"),
        ("live playlist GET", "hlsorigin playlist", "prebuilt bytes", "prebuilt playlist")]
print(f"{'what':<19}{'hlsorigin':>10}  {'baseline':<15}{'req/s':>8}{'ratio':>7}   "
      f"{'server us/req':>13}{'baseline':>9}{'ratio':>7}{'wrk us/req':>11}")
for name, o, bname, b in rows:
    ro, rb = r[o], r[b]
    print(f"{name:<19}{ro['rps']:>10.0f}  {bname:<15}{rb['rps']:>8.0f}{ro['rps']/rb['rps']:>7.2f}   "
          f"{ro['server_us']:>13.1f}{rb['server_us']:>9.1f}{rb['server_us']/ro['server_us']:>7.2f}{ro['wrk_us']:>11.1f}")
print("(req/s: best of the rounds; us/req: median CPU time per request; CPU ratio = baseline / hlsorigin, above 1 = hlsorigin cheaper)")
o, n = r["hlsorigin segment"], r["nginx segment"]
print(f"segment throughput: hlsorigin {o['rps']*size/1e9:.2f} GB/s, nginx {n['rps']*size/1e9:.2f} GB/s")
def budget(what, got, want, extra=""):
    print(f"budget {what}: {got:.2f}x (>= {want}x) {'PASS' if got >= want else 'MISS'}{extra}")
seg = o["rps"] / n["rps"]
# With both sides CPU-bound on the same cores, req/s is at most
# cores / (server + wrk CPU per request): even a server costing nothing
# would beat nginx by at most (nginx + wrk) / wrk.
ceiling = (n["server_us"] + n["wrk_us"]) / n["wrk_us"]
budget("segment GET vs nginx static", seg, 1.5,
       f"; CPU per request {n['server_us']/o['server_us']:.2f}x nginx's; wrk alone spends {n['wrk_us']:.0f} us/req, "
       f"so a server costing nothing would reach at most {ceiling:.2f}x here "
       f"(nginx runs: nginx {statistics.median(x['server_cores'] for x in n['runs']):.2f} + wrk "
       f"{statistics.median(x['wrk_cores'] for x in n['runs']):.2f} of {os.cpu_count()} cores); "
       f"the smallest fiber handler writing the same bytes from memory (bench/prebuilt) reaches "
       f"{r['prebuilt segment']['rps']/n['rps']:.2f}x")
pl = r["hlsorigin playlist"]; pb = r["prebuilt playlist"]
budget("live playlist GET vs prebuilt bytes", pl["rps"] / pb["rps"], 0.9,
       f"; CPU per request {pb['server_us']/pl['server_us']:.2f}x prebuilt's")
json.dump({"segment_rps": o["rps"], "nginx_segment_rps": n["rps"], "segment_ratio": seg,
           "segment_cpu_us": o["server_us"], "nginx_segment_cpu_us": n["server_us"], "wrk_segment_cpu_us": n["wrk_us"],
           "segment_ceiling": ceiling, "prebuilt_segment_rps": r["prebuilt segment"]["rps"],
           "playlist_rps": pl["rps"], "nginx_playlist_rps": r["nginx playlist"]["rps"],
           "playlist_ratio": pl["rps"] / r["nginx playlist"]["rps"], "prebuilt_playlist_rps": pb["rps"],
           "playlist_vs_prebuilt": pl["rps"] / pb["rps"], "playlist_cpu_us": pl["server_us"],
           "prebuilt_playlist_cpu_us": pb["server_us"], "segment_bytes": size, "runs": r},
          open("bench/out/nginx.json", "w"), indent=1)
PY
