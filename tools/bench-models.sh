#!/usr/bin/env bash
# Benchmarks many models in one process (issue 20): 1, 4 and 16 copies of the wine model (cpu
# backend, native by default) under the same total load (8 closed-loop callers x 16 rows,
# round-robin over the models), each model with the default workers (one per core). Five designs,
# interleaved per model count so that each sees the same machine: per-model (a ModelSet's
# default: a Runtime with threads of its own per model), shared (ModelSet::Threads::kShared: one
# serving thread per core for every model), each also "-queued" (RuntimeOptions::caller_runs off:
# every call through the queue and a worker's thread, as before callers ran JS-free models on
# their own threads), and direct (one thread calling the models' isolates in turn, no queue and no
# threads: what moving between isolates costs by itself).
# Prints rows/s, p50/p99 latency, RSS per model and the time to add a model, and each design's
# ratios to its own one-model row. docs/models.md has the results.
#   tools/bench-models.sh [--seconds S]     (default 5; about three minutes)
# APP=FILE: another app module (tools/bench-common.sh). MODEL_WORKERS=W: each model's workers
# (default: one per core).
# Set WARMUP=S to run the same load S seconds before each measurement (JIT warm-up per isolate).
default_seconds=5
source "$(dirname "${BASH_SOURCE[0]}")/bench-common.sh"
echo "machine: $cpus cores, $(date -u +%Y-%m-%dT%H:%MZ); app module $app"
"$build/tools/bench/tfjs-run-models-bench" "$work/cpu.bundle.js" "$work/rows.csv" --models 1,4,16 \
  --seconds "$seconds" --warmup "${WARMUP:-0}" --callers 8 --batch 16 --threads per-model,per-model-queued,shared,shared-queued,direct --model-workers "${MODEL_WORKERS:--1}" |
  tee "$work/out.txt"
awk 'NR > 1 && !($1 in r) { r[$1] = $3; p[$1] = $5; next }
     NR > 1 { printf "%s, %s models: rows/s %.2fx one model", $1, $2, $3 / r[$1]
              if (p[$1] > 0) printf ", p99 %.2fx", $5 / p[$1]
              printf "\n" }' "$work/out.txt"
