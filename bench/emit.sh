#!/usr/bin/env bash
# bench/emit.sh - the `upctl emit` round trip.
#
# Starts `upinit --container` (release build) in a fresh PID namespace with
# JOBS running services (bench-pause-like: `sleep infinity`) and measures an
# `emit` of an event no job waits for (`wait` true, the default: the reply
# comes once the event has been handled):
#   1. the whole command, `upctl --socket S emit bench-ping`, with
#      `hyperfine -N` (exec of upctl, connect, greeting, request, reply),
#      and /bin/true beside it (what any exec costs on this machine);
#   2. the protocol round trip alone: a Python client on one connection
#      writes `{"id":K,"op":"emit","name":"bench-ping"}` and reads the
#      reply, ROUNDS times; per-request times (CLOCK_MONOTONIC) -> median,
#      min, p90;
#   3. the same with a new connection per request (connect + greeting +
#      request + reply).
# Knobs: JOBS (100), RUNS (hyperfine runs, 1000), ROUNDS (5000), NO_BUILD=1.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
JOBS=${JOBS:-100}
RUNS=${RUNS:-1000}
ROUNDS=${ROUNDS:-5000}
[ "$(id -u)" = 0 ] || { echo "bench/emit.sh: needs root (PID namespace)" >&2; exit 1; }
[ -n "${NO_BUILD:-}" ] || cargo build --release -q -p upc -p upinit
W=$(mktemp -d /dev/shm/upc-emit.XXXXXX)
trap 'rm -rf "$W"' EXIT
mkdir "$W/jobs"
for i in $(seq 1 "$JOBS"); do
    printf 'start on startup\nrespawn\nconsole none\nexec /bin/sleep infinity\n' >"$W/jobs/s$i.conf"
done
"$ROOT/target/release/upc" build -q "$W/jobs" -o "$W/init.bundle"
cat >"$W/client.py" <<'PY'
import json, socket, statistics, sys, time
path, rounds = sys.argv[1], int(sys.argv[2])
def stats(name, ts):
    ts = sorted(t * 1e6 for t in ts)
    print(f"{name}: median {statistics.median(ts):.1f} us, min {ts[0]:.1f} us, "
          f"p90 {ts[int(len(ts) * 0.9)]:.1f} us, n={len(ts)}")
def line(f):
    l = f.readline()
    if not l:
        sys.exit("connection closed")
    return json.loads(l)
s = socket.socket(socket.AF_UNIX); s.connect(path); f = s.makefile("rb")
line(f)  # greeting
ts = []
for k in range(rounds):
    t = time.monotonic()
    s.sendall(b'{"id":%d,"op":"emit","name":"bench-ping"}\n' % k)
    r = line(f)
    ts.append(time.monotonic() - t)
    if r.get("id") != k or "error" in r:
        sys.exit(f"unexpected reply {r}")
stats("emit round trip, one connection", ts)
ts = []
for k in range(rounds // 5):
    t = time.monotonic()
    c = socket.socket(socket.AF_UNIX); c.connect(path); g = c.makefile("rb")
    line(g)
    c.sendall(b'{"id":1,"op":"emit","name":"bench-ping"}\n')
    r = line(g)
    ts.append(time.monotonic() - t)
    c.close()
stats("connect + greeting + emit round trip", ts)
PY
cat >"$W/inner.sh" <<'SH'
#!/bin/bash
W=$1 ROOT=$2
"${UPINIT:-$ROOT/target/release/upinit}" --container -q --bundle "$W/init.bundle" --socket "$W/sock" --logdir "$W/log" &
P=$!
for i in $(seq 1 500); do [ -S "$W/sock" ] && break; sleep 0.01; done
sleep 1
echo "upinit: $("$ROOT/target/release/upctl" --socket "$W/sock" list | grep -c start/running) jobs running"
hyperfine -N --warmup 50 --runs "$RUNS" --export-json "$W/hf.json" \
    "$ROOT/target/release/upctl --socket $W/sock emit bench-ping" /bin/true >/dev/null 2>&1
python3 -c '
import json,sys
for r in json.load(open(sys.argv[1]))["results"]:
    print("%s (hyperfine -N, %d runs): median %.0f us, mean %.0f us, min %.0f us" % (r["command"].replace(sys.argv[2], "target/release"), len(r["times"]), r["median"]*1e6, r["mean"]*1e6, r["min"]*1e6))' "$W/hf.json" "$ROOT/target/release"
python3 "$W/client.py" "$W/sock" "$ROUNDS"
kill -TERM $P; wait $P
SH
chmod +x "$W/inner.sh"
echo "machine: $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg), $(date -u '+%Y-%m-%d %H:%M UTC')"
RUNS=$RUNS ROUNDS=$ROUNDS unshare --pid --fork --mount-proc "$W/inner.sh" "$W" "$ROOT"
