#!/usr/bin/env bash
# Segment and live-playlist GET throughput of hlsorigin against nginx serving
# the same bytes as static files, and the live playlist against the smallest
# fiber handler serving the same bytes from memory (bench/prebuilt), all
# measured in one run on this machine with wrk, printed as ratios with the
# budgets (PASS/MISS). Traffic goes to 127.0.0.1 only; every load run is
# bounded by BENCH_DURATION.
set -euo pipefail
cd "$(dirname "$0")/.."
DUR=${BENCH_DURATION:-8s}
CONNS=${BENCH_CONNS:-64}
ROUNDS=${BENCH_ROUNDS:-2}
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
OPORT=$(free_port); NPORT=$(free_port); PPORT=$(free_port)
bin/hlsorigin -demo -addr "127.0.0.1:$OPORT" -data "$tmp/data" -admin-token bench -log-level error >"$tmp/origin.log" 2>&1 &
pids+=($!)
base="http://127.0.0.1:$OPORT"
for _ in $(seq 100); do curl -sf "$base/live/demo/demo/index.m3u8" >/dev/null && break; sleep 0.1; done
sleep 3 # a few segments

root="$tmp/www"; mkdir -p "$root/live/demo/demo"
curl -sf "$base/live/demo/demo/index.m3u8" >"$root/live/demo/demo/index.m3u8"
curl -sf "$base/live/demo/demo/1.m4s" >"$root/live/demo/demo/1.m4s"
seg_bytes=$(stat -c %s "$root/live/demo/demo/1.m4s")
go build -o "$tmp/prebuilt" ./bench/prebuilt
"$tmp/prebuilt" -addr "127.0.0.1:$PPORT" -file "$root/live/demo/demo/index.m3u8" -path /live/demo/demo/index.m3u8 &
pids+=($!)
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

# Rounds interleave the targets (origin, nginx, prebuilt, ...) so that load
# from elsewhere on the shared machine hits them alike; best of ROUNDS each.
declare -A best
urls=("$base/live/demo/demo/1.m4s" "http://127.0.0.1:$NPORT/live/demo/demo/1.m4s"
      "$base/live/demo/demo/index.m3u8" "http://127.0.0.1:$NPORT/live/demo/demo/index.m3u8"
      "http://127.0.0.1:$PPORT/live/demo/demo/index.m3u8")
echo "segment: $seg_bytes bytes; wrk -t2 -c$CONNS -d$DUR, best of $ROUNDS interleaved rounds; machine: $(nproc) cores shared by wrk and the servers (load average $(cut -d' ' -f1 /proc/loadavg))"
for _ in $(seq "$ROUNDS"); do
  for u in "${urls[@]}"; do
    r=$(wrk -t2 -c"$CONNS" -d"$DUR" "$u" | awk '/Requests\/sec/ {print $2}')
    best[$u]=$(python3 -c "print(max(${best[$u]:-0}, ${r:-0}))")
  done
done
o_seg=${best[${urls[0]}]}; n_seg=${best[${urls[1]}]}
o_pl=${best[${urls[2]}]}; n_pl=${best[${urls[3]}]}; p_pl=${best[${urls[4]}]}
python3 - "$o_seg" "$n_seg" "$o_pl" "$n_pl" "$p_pl" "$seg_bytes" <<'PY' | tee "$OUT/nginx.txt"
import json, sys
o_seg, n_seg, o_pl, n_pl, p_pl, size = map(float, sys.argv[1:])
rows = [("segment GET", o_seg, "nginx static", n_seg), ("live playlist GET", o_pl, "nginx static", n_pl),
        ("live playlist GET", o_pl, "prebuilt bytes", p_pl)]
print(f"{'what':<20}{'hlsorigin req/s':>16}  {'baseline':<15}{'req/s':>10}{'ratio':>8}")
for name, o, bname, b in rows:
    print(f"{name:<20}{o:>16.0f}  {bname:<15}{b:>10.0f}{o/b:>8.2f}")
print(f"segment throughput: hlsorigin {o_seg*size/1e9:.2f} GB/s, nginx {n_seg*size/1e9:.2f} GB/s")
def budget(what, got, want):
    print(f"budget {what}: {got:.2f}x (>= {want}x) {'PASS' if got >= want else 'MISS'}")
budget("segment GET vs nginx static", o_seg/n_seg, 1.5)
budget("live playlist GET vs prebuilt bytes", o_pl/p_pl, 0.9)
json.dump({"segment_rps": o_seg, "nginx_segment_rps": n_seg, "segment_ratio": o_seg/n_seg,
           "playlist_rps": o_pl, "nginx_playlist_rps": n_pl, "playlist_ratio": o_pl/n_pl,
           "prebuilt_playlist_rps": p_pl, "playlist_vs_prebuilt": o_pl/p_pl, "segment_bytes": size},
          open("bench/out/nginx.json", "w"), indent=1)
PY
