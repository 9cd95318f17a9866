#!/bin/bash
# upinit as a contender of the shared supervisor benchmark (../shared/bench):
# N jobs `start on startup` / `respawn` / `console none` / `exec bench-pause
# STAMPS`, compiled by `upc build` in contender_prepare (untimed), run by
# `upinit --container` as the child of the harness in a fresh PID namespace
# (mode bench_main, like dinit). Stop = SIGTERM: a container init stops every
# job, then exits. Status = `upctl list` lines in start/running.
#
# Run through bench/peers.sh, which puts this file into a scratch copy of the
# harness and sets UPC_BENCH_HARNESS to it; run by hand as
#   UPC_BENCH_HARNESS=/path/to/a/writable/copy/of/shared/bench bench/adapters/upinit.sh 100
NAME=${UPINIT_BENCH_NAME:-upinit}
_here=$(dirname "$(readlink -f "$0")")
UPC_REPO=${UPC_REPO:-$(cd "$_here/../.." && pwd)}
. "${UPC_BENCH_HARNESS:-$UPC_REPO/../shared/bench}/lib/common.sh"
UPC=${UPC:-$UPC_REPO/target/release/upc}
UPINIT=${UPINIT:-$UPC_REPO/target/release/upinit}
UPCTL=${UPCTL:-$UPC_REPO/target/release/upctl}
export UPC_REPO UPC UPINIT UPCTL

contender_available() {
    local b
    for b in "$UPC" "$UPINIT" "$UPCTL"; do
        [ -x "$b" ] || { echo "not built: $b (cargo build --release -p upc -p upinit)"; return 1; }
    done
}
contender_prepare() {
    mkdir "$RUN/jobs"
    for i in $(seq 1 "$N"); do
        printf 'start on startup\nrespawn\nconsole none\nexec %s %s\n' "$PAUSE" "$STAMPS" >"$RUN/jobs/s$i.conf"
    done
    "$UPC" build -q "$RUN/jobs" -o "$RUN/init.bundle" >"$RUN/build.out" 2>&1 \
        || { cat "$RUN/build.out" >&2; echo "name=$NAME n=$N error=upc_build_failed"; exit 1; }
}
contender_start() {
    bench_launch "$UPINIT" --container -q --bundle "$RUN/init.bundle" --socket "$RUN/upinit.sock" \
        --logdir "$RUN/log"
}
contender_status() { "$UPCTL" --socket "$RUN/upinit.sock" list | grep -c 'start/running'; }
# SIGTERM to a --container upinit: stop every job, then exit
bench_main "$@"
