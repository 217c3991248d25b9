#!/usr/bin/env bash
# CLI fuzz harness (issue 17): writes N mutated structure files (crystal::fuzz, through the
# `mutate_files` example) and runs `BIN analyze` on each under `timeout 10` and
# `/usr/bin/time`, counting panics (exit 101 or "panicked"), aborts (134), runs over 10 s
# and runs over 1 GB of resident memory. Prints the figures; exits 1 if any is not 0.
# Usage: scripts/fuzz_files.sh BIN N [SEED] [WORKDIR]
# (build first: cargo build --release && cargo build --release -p crystal --example mutate_files)
set -u
BIN=$1 N=$2 SEED=${3:-1} WORK=${4:-/tmp/fuzz_files}
HERE=$(cd "$(dirname "$0")/.." && pwd)
MUTATE=${MUTATE:-$HERE/target/release/examples/mutate_files}
rm -rf "$WORK" && mkdir -p "$WORK/files"
"$MUTATE" "$WORK/files" "$N" "$SEED" > /dev/null || exit 2
panics=0 aborts=0 slow=0 big=0 ok=0 refused=0 max_kb=0 max_s=0
for f in "$WORK"/files/*; do
  /usr/bin/time -f "%e %M" -o "$WORK/time" timeout 10 "$BIN" analyze -q "$f" > /dev/null 2> "$WORK/err"
  rc=$?
  read -r secs kb < <(tail -1 "$WORK/time")
  case $rc in
    0) ok=$((ok+1)) ;;
    1|2) refused=$((refused+1)) ;;
    101) panics=$((panics+1)); echo "panic: $f" ;;
    124) slow=$((slow+1)); echo "over 10 s: $f" ;;
    134) aborts=$((aborts+1)); echo "abort: $f" ;;
    *) echo "exit $rc: $f" ;;
  esac
  grep -q "panicked" "$WORK/err" && { panics=$((panics+1)); echo "panic: $f"; }
  [ "${kb:-0}" -gt 1048576 ] && { big=$((big+1)); echo "over 1 GB: $f"; }
  [ "${kb:-0}" -gt "$max_kb" ] && max_kb=$kb
  echo "${secs:-0}" >> "$WORK/seconds"
done
max_s=$(sort -g "$WORK/seconds" | tail -1)
echo "files: $N (seed $SEED); analysed: $ok; refused with a message: $refused"
echo "panics: $panics, aborts: $aborts, over 10 s: $slow, over 1 GB: $big; slowest ${max_s} s, largest ${max_kb} KB"
[ $((panics + aborts + slow + big)) -eq 0 ]
