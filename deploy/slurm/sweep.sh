#!/bin/bash
# One shard of a sweep per task of a Slurm job array:
#   sbatch --array=1-32 --cpus-per-task=4 deploy/slurm/sweep.sh
# then, once every task is done (or with --dependency=afterok:JOBID):
#   sbatch deploy/slurm/merge.sh
# SCENARIO and SEEDS may be set in the environment (sbatch --export).
#SBATCH --job-name=raftsim-sweep
set -euo pipefail
SCENARIO=${SCENARIO:-scenarios/isolate-rejoin.json}
SEEDS=${SEEDS:-0..1000000}
OUT=${OUT:-out}
raftsim sweep "$SCENARIO" --seeds "$SEEDS" \
  --shard "$SLURM_ARRAY_TASK_ID/$SLURM_ARRAY_TASK_COUNT" --jobs "${SLURM_CPUS_PER_TASK:-1}" \
  --out "$OUT/shard-$SLURM_ARRAY_TASK_ID"
