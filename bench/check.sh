#!/usr/bin/env bash
# bench/check.sh - how fast is `upc check`?
#
# Builds upc in release, generates the 1,000- and 10,000-job trees with
# compiler/examples/gen_jobs.rs (seed 1, the same bytes every time), then
# times `upc check` on them, on the real-world corpus (../shared/corpus/
# upstart-real) and on single files, and prints a Markdown table of wall
# times (median [min-max] of RUNS runs after WARMUP warm-ups) and peak RSS.
#
# With hyperfine (apt-get install hyperfine; installed here when run as root)
# each cell is `hyperfine -N` (no shell in between, as bench/checks/ in
# shared/ does for the peers); without it, a loop of `date +%s.%N` stamps.
#
# The floor: bench/readfloor.c (compiled here with cc) opens and reads
# every file upc reads (`*.conf`, `*.override`, recursively) and nothing
# else, with one thread and with two. It is timed in the same hyperfine run
# as upc on the 1,000- and 10,000-job trees, and so is dinit-check (DINIT_BIN,
# default /tmp/dinit-inst/bin; see ../shared/bench/checks/dinit.sh) on the
# same number of `process` services all depended on by `boot`, the shared
# harness's tree. Each row says its ratio to the floor with as many threads.
#
# Knobs: RUNS (default 10), WARMUP (2), SEED (1), BENCH_OUT (scratch
# directory for the generated trees; default /dev/shm/upc-bench, a tmpfs
# like the peers' BENCH_TMP, else ./bench-out), SHARED (default ../shared),
# DINIT_BIN. Output: the tables on stdout; progress on stderr.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

RUNS=${RUNS:-10}
WARMUP=${WARMUP:-2}
SEED=${SEED:-1}
SHARED=${SHARED:-$ROOT/../shared}
if [ -z "${BENCH_OUT:-}" ]; then
    if [ -d /dev/shm ] && [ -w /dev/shm ]; then BENCH_OUT=/dev/shm/upc-bench; else BENCH_OUT=$ROOT/bench-out; fi
fi
CORPUS=$SHARED/corpus/upstart-real

say() { echo "bench/check.sh: $*" >&2; }

if ! command -v hyperfine >/dev/null 2>&1 && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    say "installing hyperfine"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq hyperfine >/dev/null 2>&1 \
        || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq hyperfine >/dev/null 2>&1; } \
        || say "could not install hyperfine; timing with a shell loop"
fi

say "building upc and gen_jobs (release)"
cargo build --release -q -p upc --bin upc --example gen_jobs
UPC=$ROOT/target/release/upc
GEN=$ROOT/target/release/examples/gen_jobs

mkdir -p "$BENCH_OUT"
for n in 1000 10000; do
    rm -rf "$BENCH_OUT/jobs-$n"
    "$GEN" "$BENCH_OUT/jobs-$n" "$n" --seed "$SEED" >&2
done

say "building the read floor (bench/readfloor.c)"
FLOOR=$BENCH_OUT/readfloor
cc -O2 -pthread -o "$FLOOR" "$ROOT/bench/readfloor.c"

# dinit's checker on the shared harness's tree: N `process` services (three
# lines each), all depended on by `boot` (../shared/bench/checks/dinit.sh).
DINIT_BIN=${DINIT_BIN:-/tmp/dinit-inst/bin}
DINIT_CHECK=
if [ -x "$DINIT_BIN/dinit-check" ]; then
    DINIT_CHECK=$DINIT_BIN/dinit-check
    for n in 1000 10000; do
        d=$BENCH_OUT/dinit-$n/sd
        rm -rf "$BENCH_OUT/dinit-$n"
        mkdir -p "$d"
        for ((i = 1; i <= n; i++)); do
            printf 'type = process\ncommand = /bin/sleep 1 /run/bench-stamps\nrestart = true\n' >"$d/s$i"
        done
        { echo "type = internal"; for ((i = 1; i <= n; i++)); do echo "depends-on = s$i"; done; } >"$d/boot"
    done
else
    say "no $DINIT_BIN/dinit-check: leaving dinit out (set DINIT_BIN=)"
fi

# "median [min-max] | cpu" in ms of RUNS runs of "$@" (output discarded);
# cpu = mean user+system time (hyperfine only), which a busy machine
# disturbs much less than wall time.
time_cmd() {
    if command -v hyperfine >/dev/null 2>&1; then
        local json
        json=$(mktemp)
        hyperfine -N -i --runs "$RUNS" --warmup "$WARMUP" --export-json "$json" "$*" >/dev/null 2>&1
        jq -r '.results[0] | "\(.median*1000) \(.min*1000) \(.max*1000) \((.user+.system)*1000)"' "$json" |
            awk '{ printf "%.2f [%.2f–%.2f] | %.2f", $1, $2, $3, $4 }'
        rm -f "$json"
    else
        local i t0 t1 times=()
        for ((i = 0; i < WARMUP; i++)); do "$@" >/dev/null 2>&1 || true; done
        for ((i = 0; i < RUNS; i++)); do
            t0=$(date +%s.%N)
            "$@" >/dev/null 2>&1 || true
            t1=$(date +%s.%N)
            times+=("$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", (b - a) * 1000 }')")
        done
        printf '%s\n' "${times[@]}" | sort -n | awk '{ v[NR] = $1 } END {
            m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
            printf "%.2f [%.2f–%.2f] | -", m, v[1], v[NR] }'
    fi
}

# Peak resident set size of one run, in MiB.
peak_rss() {
    if [ -x /usr/bin/time ]; then
        /usr/bin/time -f '%M' "$@" 2>&1 >/dev/null | tail -1 | awk '{ printf "%.1f", $1 / 1024 }'
    else
        echo "-"
    fi
}

# Job and override files upc reads under a path.
count_files() {
    if [ -d "$1" ]; then
        find "$1" -type f \( -name '*.conf' -o -name '*.override' \) | wc -l
    elif [ -f "$1" ]; then
        echo 1
    else
        echo "-"
    fi
}

row() {   # label, then the command
    local label=$1
    shift
    local files status
    files=$(count_files "${!#}")
    status=0
    "$@" >/dev/null 2>&1 || status=$?
    say "timing: $label"
    printf '| %s | %s | %s | %s | %s |\n' "$label" "$files" "$(time_cmd "$@")" "$(peak_rss "$@")" "$status"
}

# One hyperfine run of several commands, so that the floor and the checkers
# share the machine's state: "label|command" arguments, the first pair per
# thread count being the floor ("floor1" and "floor2" name the floor rows).
# Prints one table row per command with its ratio to the floor of the same
# thread count (rows whose label says "1 thread" against the one-thread
# floor, the others against the two-thread floor).
group() {
    local json labels=() cmds=() pair
    for pair in "$@"; do
        labels+=("${pair%%|*}")
        cmds+=("${pair#*|}")
    done
    json=$(mktemp)
    say "timing together: ${labels[*]}"
    hyperfine -N -i --runs "$RUNS" --warmup "$WARMUP" --export-json "$json" "${cmds[@]}" >/dev/null 2>&1
    local i f1 f2 median
    f1=$(jq -r '.results[0].median * 1000' "$json")
    f2=$(jq -r '.results[1].median * 1000' "$json")
    for i in "${!labels[@]}"; do
        # shellcheck disable=SC2086
        local rss status=0
        rss=$(peak_rss ${cmds[$i]})
        ${cmds[$i]} >/dev/null 2>&1 || status=$?
        jq -r --argjson i "$i" '.results[$i] | "\(.median*1000) \(.min*1000) \(.max*1000) \((.user+.system)*1000)"' "$json" |
            awk -v label="${labels[$i]}" -v f1="$f1" -v f2="$f2" -v rss="$rss" -v status="$status" '{
                floor = (label ~ /1 thread/) ? f1 : f2
                printf "| %s | %.2f [%.2f–%.2f] | %.2f | %.2f× | %s | %s |\n", label, $1, $2, $3, $4, $1 / floor, rss, status }'
    done
    rm -f "$json"
}

timer=$(command -v hyperfine >/dev/null 2>&1 && hyperfine --version || echo "shell loop (date +%s.%N)")
echo "## upc check"
echo
echo "$(nproc) CPUs ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //')), $(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo); upc $("$UPC" --version | awk '{ print $2 }'), $(rustc --version | awk '{ print $1, $2 }')"
echo "timer: $timer, $RUNS runs after $WARMUP warm-ups; trees in $BENCH_OUT (seed $SEED)"
echo "load before: $(cut -d' ' -f1-3 /proc/loadavg) (1/5/15 min), $(awk '/procs_running/ { print $2 - 1 }' /proc/stat) other runnable tasks"
echo
if command -v hyperfine >/dev/null 2>&1; then
    for n in 10000 1000; do
        t=$BENCH_OUT/jobs-$n
        echo "### $n generated jobs ($(count_files "$t") files, $(du -sb "$t" | cut -f1) bytes), one hyperfine run"
        echo
        echo "| command | wall ms, median [min–max] | CPU ms (user+sys) | × floor | peak RSS MiB | exit |"
        echo "|---|---|---|---|---|---|"
        cmds=("read floor, 1 thread|$FLOOR 1 $t" "read floor, 2 threads|$FLOOR 2 $t"
            "upc check|$UPC check $t"
            "upc check --no-graph|$UPC check --no-graph $t"
            "upc check, 1 thread|env RAYON_NUM_THREADS=1 $UPC check $t")
        if [ -n "$DINIT_CHECK" ]; then
            cmds+=("dinit-check, $n services + boot (1 thread)|$DINIT_CHECK -d $BENCH_OUT/dinit-$n/sd boot")
        fi
        group "${cmds[@]}"
        echo
    done
else
    say "no hyperfine: the floor comparison needs it; timing upc alone"
fi

echo "### Other inputs"
echo
echo "| input | files | wall ms, median [min–max] | CPU ms (user+sys) | peak RSS MiB | exit |"
echo "|---|---|---|---|---|---|"
row "10,000 generated jobs" "$UPC" check "$BENCH_OUT/jobs-10000"
row "1,000 generated jobs" "$UPC" check "$BENCH_OUT/jobs-1000"
if [ -d "$CORPUS" ]; then
    row "real corpus (upstart-real)" "$UPC" check "$CORPUS"
else
    say "no $CORPUS: skipping the real corpus (set SHARED=)"
fi
row "single file (system/rc-sysinit.conf)" "$UPC" check "$ROOT/stdlib-jobs/system/rc-sysinit.conf"
row "single file (system/tty.conf)" "$UPC" check "$ROOT/stdlib-jobs/system/tty.conf"
row "standard system set (stdlib-jobs/system)" "$UPC" check "$ROOT/stdlib-jobs/system"
row "startup floor: upc --version" "$UPC" --version
