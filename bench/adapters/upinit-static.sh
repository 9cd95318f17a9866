#!/bin/bash
# upinit.sh with the static PID-1 build instead of target/release:
#   RUSTFLAGS="-C target-feature=+crt-static -C relocation-model=static" \
#     cargo build --profile pid1 --target x86_64-unknown-linux-gnu -p upinit
# (LTO, opt-level z, stripped: the binary meant to be /sbin/init).
_here=$(dirname "$(readlink -f "$0")")
export UPINIT_BENCH_NAME=upinit-static
export UPINIT=${UPINIT_STATIC:-$(cd "$_here/../.." && pwd)/target/x86_64-unknown-linux-gnu/pid1/upinit}
exec "$_here/upinit.sh" "$@"
