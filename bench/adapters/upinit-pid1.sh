#!/bin/bash
# upinit as a real PID 1 (system mode) of fresh PID/mount/UTS/net/IPC
# namespaces (mode bench_main_pid1, like finit and the PID-1 shims): the
# same N jobs as upinit.sh; stop = `upctl poweroff` (every job stopped
# through the machine, then reboot(2), which in a PID namespace ends its
# PID 1). The binary is the static PID-1 build (profile pid1, see
# upinit-static.sh) unless UPINIT says otherwise. Meant for N=1, the PID-1
# baseline; run through bench/peers.sh.
NAME=upinit-pid1
_here=$(dirname "$(readlink -f "$0")")
UPC_REPO=${UPC_REPO:-$(cd "$_here/../.." && pwd)}
. "${UPC_BENCH_HARNESS:-$UPC_REPO/../shared/bench}/lib/common.sh"
UPC=${UPC:-$UPC_REPO/target/release/upc}
UPINIT=${UPINIT:-$UPC_REPO/target/x86_64-unknown-linux-gnu/pid1/upinit}
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
contender_exec_init() {
    exec "$BENCHCTL" stampexec "$RUN/t0" "$UPINIT" -q --bundle "$RUN/init.bundle" \
        --socket "$RUN/upinit.sock" --logdir "$RUN/log" --console /dev/null
}
contender_status() { "$UPCTL" --socket "$RUN/upinit.sock" list | grep -c 'start/running'; }
contender_stop() { "$UPCTL" --socket "$RUN/upinit.sock" poweroff >/dev/null 2>&1; }
bench_main_pid1 "$@"
