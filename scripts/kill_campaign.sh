#!/usr/bin/env bash
# kill -9 campaign (issue 17): kills `train` at random moments N times, and `sample` and
# `demo` M times each, then checks after every kill that
#   - the checkpoint left behind (if any) loads: `sample --checkpoint` succeeds;
#   - no half-written output is visible: every file in the run folder is complete (no
#     `*.tmp-*`, the run folder of sample/demo is the old one whole or absent);
#   - the next start leaves no leftovers (`.NAME.partial-*`, `.NAME.old-*`, `*.tmp-*`,
#     a stale `.NAME.lock`).
# Usage: scripts/kill_campaign.sh BIN DATA.csv WORKDIR [TRAIN_KILLS] [SAMPLE_KILLS] [DEMO_KILLS]
# Prints one line per kill and the totals; exits 1 if any check failed.
set -u
BIN=$1 DATA=$2 WORK=$3 NT=${4:-50} NS=${5:-20} ND=${6:-$NS}
rm -rf "$WORK" && mkdir -p "$WORK"
fail=0 unloadable=0 halfwritten=0 leftovers=0
sleep_rand() { python3 -c "import random,time; time.sleep(random.uniform($1,$2))"; }
leftover_count() { # files and folders a dead run may leave beside or inside $1
  find "$(dirname "$1")" -maxdepth 2 \( -name ".*.partial-*" -o -name ".*.old-*" -o -name ".*.tmp-*" -o -name ".*.lock" \) 2>/dev/null | wc -l
}
TRAIN=(train --data "$DATA" --hidden 32 --layers 2 --batch-size 8 --checkpoint-every 1 --no-report -q)
for i in $(seq 1 "$NT"); do
  out="$WORK/t"
  if [ ! -d "$out/checkpoint" ]; then
    "$BIN" "${TRAIN[@]}" --epochs 1000 --out "$out" > /dev/null 2>&1 &
  else
    "$BIN" train --resume "$out" --epochs 1000 -q --no-report > /dev/null 2>&1 &
  fi
  pid=$!
  sleep_rand 0.3 2.5
  kill -9 "$pid" 2> /dev/null; wait "$pid" 2> /dev/null
  # The next start recovers: a resume of one more epoch (or a fresh start when no
  # checkpoint was written yet) must succeed and leave nothing behind.
  if [ -d "$out/checkpoint" ] || ls -d "$WORK"/t/.checkpoint.old-* > /dev/null 2>&1; then
    ep=$(python3 -c "import json;print(json.load(open('$out/checkpoint/config.json'))['epoch']+1)" 2> /dev/null || echo 1)
    "$BIN" train --resume "$out" --epochs "$ep" -q --no-report > /dev/null 2>&1 || { unloadable=$((unloadable+1)); echo "kill $i: resume failed"; }
  fi
  if [ -d "$out/checkpoint" ]; then
    "$BIN" sample --checkpoint "$out" --composition SrTiO3 --steps 1 --no-report -q --out "$WORK/probe" > /dev/null 2>&1 \
      || { unloadable=$((unloadable+1)); echo "kill $i: checkpoint does not load"; }
  fi
  n=$(leftover_count "$out/checkpoint"); n2=$(find "$out" -name "*.tmp-*" | wc -l)
  [ $((n + n2)) -gt 0 ] && { leftovers=$((leftovers+1)); echo "kill $i: leftovers"; find "$WORK" -name ".*.partial-*" -o -name ".*.old-*" -o -name ".*.tmp-*"; }
  echo "train kill $i: ok"
done
M="$WORK/t"
for cmd in sample demo; do
  count=$NS; [ "$cmd" = demo ] && count=$ND
  [ "$cmd" = sample ] && [ ! -d "$M/checkpoint" ] && continue
  for i in $(seq 1 "$count"); do
    out="$WORK/$cmd"
    if [ "$cmd" = sample ]; then
      "$BIN" sample --checkpoint "$M" --composition SrTiO3 --count 400 --steps 20 -q --out "$out" > /dev/null 2>&1 &
    else
      "$BIN" demo --periodic-steps 60 --sample-steps 30 --epochs 3 --out "$out" -q > /dev/null 2>&1 &
    fi
    pid=$!
    if [ "$cmd" = sample ]; then sleep_rand 0.1 3.0; else sleep_rand 0.1 7.0; fi
    kill -9 "$pid" 2> /dev/null; wait "$pid" 2> /dev/null
    # Visible output is the previous complete run or nothing: its summary parses and every
    # structure it lists is on disk.
    if [ -d "$out" ]; then
      python3 - "$out" <<'EOF' || { halfwritten=$((halfwritten+1)); echo "$cmd kill $i: half-written"; }
import json, os, sys
d = sys.argv[1]
s = json.load(open(os.path.join(d, "summary.json")))
for r in s.get("structures", []):
    f = r.get("file")
    if f and not os.path.isfile(os.path.join(d, f)):
        sys.exit(1)
EOF
    fi
    # The next start cleans what the killed one left.
    if [ "$cmd" = sample ]; then
      "$BIN" sample --checkpoint "$M" --composition SrTiO3 --count 2 --steps 2 -q --no-report --out "$out" > /dev/null 2>&1
    else
      "$BIN" demo --periodic-steps 2 --sample-steps 2 --epochs 1 --no-report --out "$out" -q > /dev/null 2>&1
    fi
    n=$(leftover_count "$out")
    [ "$n" -gt 0 ] && { leftovers=$((leftovers+1)); echo "$cmd kill $i: leftovers"; }
    echo "$cmd kill $i: ok"
  done
done
echo "train kills: $NT, sample kills: $NS, demo kills: $ND"
echo "unloadable checkpoints: $unloadable, half-written outputs: $halfwritten, runs with leftovers after the next start: $leftovers"
[ $((unloadable + halfwritten + leftovers)) -eq 0 ]
