#!/usr/bin/env bash
# bench/ptrace.sh - what following a daemon with ptrace costs (issue 12).
#
# upinit --container (release build) in a fresh PID namespace runs two jobs
# started by hand, never at once:
#   bd-fg      expect none,   exec benchd fg       (stays in the foreground)
#   bd-daemon  expect daemon, exec benchd daemon   (fork, setsid, fork; upinit
#                                                   follows both with ptrace)
# (bench/benchd.c, built static). A Python client on one control connection
# sends `{"op":"start","job":J,"wait":true}` and times (CLOCK_MONOTONIC) until
# the reply, which upinit sends when the job reaches `running`: for bd-fg
# right after the spawn, for bd-daemon when the second fork has been seen
# (PTRACE_EVENT_FORK twice, the tracees detached). Each start is followed
# by a stop (wait) and the two jobs alternate, ROUNDS times each. The
# interval therefore is spawn -> running plus one request/reply, the same
# for both; the difference of the medians is what `expect daemon` adds
# (ptrace and the daemon's own two forks, as the issue defines it).
# Knobs: ROUNDS (500), NO_BUILD=1 (use target/release as it is).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
ROUNDS=${ROUNDS:-500}
[ "$(id -u)" = 0 ] || { echo "bench/ptrace.sh: needs root (PID namespace, ptrace)" >&2; exit 1; }
[ -n "${NO_BUILD:-}" ] || cargo build --release -q -p upc -p upinit
W=$(mktemp -d /dev/shm/upc-ptrace.XXXXXX)
trap 'rm -rf "$W"' EXIT
cc -O2 -static -o "$W/benchd" bench/benchd.c
mkdir "$W/jobs"
printf 'console none\nexec %s fg\n' "$W/benchd" >"$W/jobs/bd-fg.conf"
printf 'console none\nexpect daemon\nexec %s daemon\n' "$W/benchd" >"$W/jobs/bd-daemon.conf"
"$ROOT/target/release/upc" build -q "$W/jobs" -o "$W/init.bundle"
cat >"$W/client.py" <<'PY'
import json, socket, statistics, sys, time
path, rounds = sys.argv[1], int(sys.argv[2])
s = socket.socket(socket.AF_UNIX); s.connect(path); f = s.makefile("rb")
f.readline()  # greeting
rid = 0
def call(op, job):
    global rid
    rid += 1
    s.sendall(json.dumps({"id": rid, "op": op, "job": job, "wait": True}).encode() + b"\n")
    r = json.loads(f.readline())
    if r.get("id") != rid or "error" in r:
        sys.exit(f"{op} {job}: unexpected reply {r}")
jobs = ["bd-fg", "bd-daemon"]
times = {j: [] for j in jobs}
for k in range(rounds + 20):
    for j in jobs:
        t = time.monotonic()
        call("start", j)
        dt = time.monotonic() - t
        call("stop", j)
        if k >= 20:  # warm-up
            times[j].append(dt * 1e3)
def q(v, p):
    v = sorted(v); return v[min(len(v) - 1, int(len(v) * p))]
for j in jobs:
    v = times[j]
    print(f"{j:10s} start -> running: median {statistics.median(v):.3f} ms, min {min(v):.3f}, "
          f"p10 {q(v, .1):.3f}, p90 {q(v, .9):.3f} ms (n={len(v)})")
print(f"expect daemon adds: {statistics.median(times['bd-daemon']) - statistics.median(times['bd-fg']):.3f} ms "
      f"(difference of the medians; of the minimums: {min(times['bd-daemon']) - min(times['bd-fg']):.3f} ms)")
PY
cat >"$W/inner.sh" <<'SH'
#!/bin/bash
W=$1 ROOT=$2 ROUNDS=$3
"${UPINIT:-$ROOT/target/release/upinit}" --container -q --bundle "$W/init.bundle" --socket "$W/sock" --logdir "$W/log" &
P=$!
for i in $(seq 1 500); do [ -S "$W/sock" ] && break; sleep 0.01; done
python3 "$W/client.py" "$W/sock" "$ROUNDS"
kill -TERM $P; wait $P
SH
chmod +x "$W/inner.sh"
echo "machine: $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg), $(date -u '+%Y-%m-%d %H:%M UTC')"
unshare --pid --fork --mount-proc "$W/inner.sh" "$W" "$ROOT" "$ROUNDS"
