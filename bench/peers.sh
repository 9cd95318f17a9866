#!/usr/bin/env bash
# bench/peers.sh - upinit beside the peers, with the shared harness.
#
# ../shared/bench (read-only here, and never committed into) measures
# supervisors through one adapter script each. This script copies it to a
# scratch directory, adds our adapters (bench/adapters/upinit.sh,
# upinit-static.sh and upinit-pid1.sh, symlinked, so that they find this
# checkout's binaries), builds its C helpers there, and runs its driver
# bench.py, round robin:
#
#   1. supervisors at N=100,1000: floor, upinit (target/release), upinit-static
#      (the static PID-1 build, profile pid1), dinit, s6, runit, supervisord
#   2. the PID-1 baseline at N=1: floor, upinit-pid1 (the static build in
#      system mode as PID 1), upinit-static, upinit, tini, dumb-init,
#      catatonit, dinit, s6, runit
#
# Results (median [min-max]) go to bench/results/{supervisors,pid1-baseline}.md,
# raw lines are appended to bench/results/raw-supervisors.csv.
# Needs root. Knobs: RUNS (5), NS (100,1000), CONTENDERS, PID1_CONTENDERS,
# SKIP_PID1=1, SKIP_SUPERVISORS=1, SHARED (../shared), BENCH_SCRATCH
# (/dev/shm/upc-peers), and the harness's own (DINIT_BIN, BENCH_SETTLE, ...).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
SHARED=${SHARED:-$ROOT/../shared}
SCRATCH=${BENCH_SCRATCH:-/dev/shm/upc-peers}
OUT=${OUT:-$ROOT/bench/results}
RUNS=${RUNS:-5}

say() { echo "bench/peers.sh: $*" >&2; }
[ "$(id -u)" = 0 ] || { say "needs root (PID namespaces, mounts)"; exit 1; }

say "building upc, upinit, upctl (release) and the static PID-1 upinit (profile pid1)"
cargo build --release -q -p upc -p upinit
RUSTFLAGS="-C target-feature=+crt-static -C relocation-model=static" \
    cargo build -q --profile pid1 --target x86_64-unknown-linux-gnu -p upinit

rm -rf "$SCRATCH"
mkdir -p "$SCRATCH" "$OUT"
cp -a "$SHARED/bench" "$SCRATCH/harness"
chmod -R u+w "$SCRATCH/harness"
H=$SCRATCH/harness
rm -rf "$H/build" "$H/results"
for a in "$ROOT"/bench/adapters/*.sh; do ln -s "$a" "$H/adapters/$(basename "$a")"; done
"$H/build.sh" >/dev/null
export UPC_BENCH_HARNESS=$H UPC_REPO=$ROOT
export BENCH_TMP=${BENCH_TMP:-$SCRATCH/tmp}

echo "machine: $(nproc) CPUs, $(uname -r), load $(cut -d' ' -f1-3 /proc/loadavg), $(date -u '+%Y-%m-%d %H:%M UTC')"
if [ -z "${SKIP_SUPERVISORS:-}" ]; then
    "$H/bench.py" --runs "$RUNS" --n "${NS:-100,1000}" --out "$OUT" \
        --contenders "${CONTENDERS:-floor,upinit,upinit-static,dinit,s6,runit,supervisord}"
fi
if [ -z "${SKIP_PID1:-}" ]; then
    "$H/bench.py" --runs "$RUNS" --n 1 --out "$OUT" --report pid1-baseline.md \
        --contenders "${PID1_CONTENDERS:-floor,upinit-pid1,upinit-static,upinit,tini,dumb-init,catatonit,dinit,s6,runit}"
fi
echo "finished: $(date -u '+%Y-%m-%d %H:%M UTC'), load $(cut -d' ' -f1-3 /proc/loadavg)"
