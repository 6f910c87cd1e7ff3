#!/usr/bin/env bash
# Benchmarks many models in one process (issue 20): 1, 4 and 16 copies of the wine model (cpu
# backend, native by default) in a ModelSet, under the same total load (8 closed-loop callers x
# 16 rows, round-robin over the models), each model with the default workers (one per core).
# Prints rows/s, p50/p99 latency, RSS per model and the time to add a model, and the ratios to
# one model, measured side by side in one run. docs/models.md has the results.
#   tools/bench-models.sh [--seconds S]     (default 5; about a minute)
default_seconds=5
source "$(dirname "${BASH_SOURCE[0]}")/bench-common.sh"
echo "machine: $cpus cores, $(date -u +%Y-%m-%dT%H:%MZ)"
"$build/tools/bench/tfjs-run-models-bench" "$work/cpu.bundle.js" "$work/rows.csv" --models 1,4,16 \
  --seconds "$seconds" --callers 8 --batch 16 | tee "$work/out.txt"
awk 'NR == 2 { r = $2; p = $4 } NR > 2 { printf "%s models: rows/s %.2fx one model, p99 %.2fx\n", $1, $2 / r, $4 / p }' "$work/out.txt"
