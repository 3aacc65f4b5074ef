#!/bin/bash
# A sweep in SHARDS shards with GNU parallel, on this machine or on
# several (add --sshlogin host1,host2 and a shared output directory), then
# the merge. SCENARIO and SEEDS may be set in the environment.
set -euo pipefail
SCENARIO=${SCENARIO:-scenarios/isolate-rejoin.json}
SEEDS=${SEEDS:-0..100000}
SHARDS=${SHARDS:-8}
OUT=${OUT:-out}
parallel raftsim sweep "$SCENARIO" --seeds "$SEEDS" --shard {}/"$SHARDS" --out "$OUT/shard-{}" ::: $(seq 1 "$SHARDS")
raftsim merge "$OUT"/shard-* --out "$OUT/merged"
