#!/bin/bash
# Merges the shards of deploy/slurm/sweep.sh into one sweep.
#SBATCH --job-name=raftsim-merge
set -euo pipefail
OUT=${OUT:-out}
raftsim merge "$OUT"/shard-* --out "$OUT/merged"
