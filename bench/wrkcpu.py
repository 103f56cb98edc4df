#!/usr/bin/env python3
"""Runs wrk against several targets in interleaved rounds and measures, for
each run, the requests per second and the CPU time spent per request by the
server processes (from /proc/<pid>/stat) and by wrk itself (rusage of the
child). On a machine whose cores are shared by wrk, the servers and other
work, CPU per request is the steadier measure of a server's cost; requests
per second (best of the rounds) is what the budgets name.

usage: wrkcpu.py ROUNDS DURATION CONNS OUT.json NAME=PIDS=URL...
  PIDS is a comma-separated list of the server's process ids.
Prints one line per run; writes {name: {rps, server_us, wrk_us, runs}} with
rps the best of the rounds and the *_us values the medians.
"""
import json
import os
import re
import resource
import statistics
import subprocess
import sys
import time

TCK = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pids):
    total = 0
    for p in pids:
        try:
            with open(f"/proc/{p}/stat") as f:
                s = f.read()
        except FileNotFoundError:
            continue
        fields = s[s.rindex(")") + 2:].split()
        total += int(fields[11]) + int(fields[12])  # utime + stime
    return total / TCK


def run(url, pids, dur, conns):
    r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    s0, t0 = cpu_seconds(pids), time.monotonic()
    out = subprocess.run(["wrk", "-t2", f"-c{conns}", f"-d{dur}", url],
                         capture_output=True, text=True, check=True).stdout
    el, s1 = time.monotonic() - t0, cpu_seconds(pids)
    r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    m = re.search(r"^\s*(\d+) requests in", out, re.M)
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    n = int(m.group(1)) if m else rps * el
    wrk = (r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime)
    errs = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if errs:
        sys.exit(f"{url}: {errs.group(1)} error responses")
    return {"rps": rps, "server_us": 1e6 * (s1 - s0) / n, "wrk_us": 1e6 * wrk / n,
            "server_cores": (s1 - s0) / el, "wrk_cores": wrk / el}


def main():
    rounds, dur, conns, out = int(sys.argv[1]), sys.argv[2], int(sys.argv[3]), sys.argv[4]
    targets = []
    for a in sys.argv[5:]:
        name, pids, url = a.split("=", 2)
        targets.append((name, pids.split(","), url))
    runs = {name: [] for name, _, _ in targets}
    for k in range(rounds):
        for name, pids, url in targets:
            r = run(url, pids, dur, conns)
            runs[name].append(r)
            print(f"  round {k + 1} {name:<22}{r['rps']:>9.0f} req/s  server {r['server_us']:6.1f} us/req "
                  f"({r['server_cores']:.2f} cores)  wrk {r['wrk_us']:6.1f} us/req ({r['wrk_cores']:.2f} cores)",
                  flush=True)
    res = {name: {"rps": max(r["rps"] for r in rs),
                  "server_us": statistics.median(r["server_us"] for r in rs),
                  "wrk_us": statistics.median(r["wrk_us"] for r in rs), "runs": rs}
           for name, rs in runs.items()}
    with open(out, "w") as f:
        json.dump(res, f, indent=1)


if __name__ == "__main__":
    main()
