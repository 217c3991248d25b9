#!/bin/bash
# The Slurm example without Slurm: the array tasks as plain background processes, then the
# merge. `bash examples/slurm/run_local.sh` from the repository root; the same settings as
# the two .sbatch scripts (SHARDS, CHECKPOINT, COMPOSITIONS, COUNT, STEPS, SEED, OUT, GT,
# CD_BIN).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
SHARDS=${SHARDS:-4}
export SHARDS
pids=()
for ((i = 0; i < SHARDS; i++)); do
    SLURM_ARRAY_TASK_ID=$i bash "$here/sample_array.sbatch" &
    pids+=($!)
done
failed=0
for p in "${pids[@]}"; do
    wait "$p" || failed=$((failed + 1))
done
if [ "$failed" -gt 0 ]; then
    echo "$failed of $SHARDS shards failed" >&2
    exit 1
fi
bash "$here/merge_eval.sbatch"
