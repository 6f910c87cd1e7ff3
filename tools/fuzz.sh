#!/usr/bin/env bash
# Builds the libFuzzer targets (tests/fuzz) with clang, ASan+UBSan and coverage, into
# build-fuzz/ (or $TFJS_RUN_FUZZ_BUILD_DIR), and runs each on its corpus (tests/fuzz/corpus/NAME):
#   tools/fuzz.sh              the short run the test suite makes: a fixed seed and number of
#                              inputs per target, so a pass is repeatable (about 3 minutes)
#   tools/fuzz.sh --time S     explore for S seconds per target; new inputs go into the corpus
# Targets: the CSV / JSON-lines reader, the manifest parser, the bundle contract's fields, the
# native executor's compiler (model topologies, weight specs and weights).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${TFJS_RUN_FUZZ_BUILD_DIR:-$root/build-fuzz}"
explore_seconds=""
[ "${1:-}" = "--time" ] && explore_seconds="${2:?--time needs seconds}"
flags="-fsanitize=fuzzer-no-link,address,undefined -fno-sanitize=vptr -fno-omit-frame-pointer"
CC=clang CXX=clang++ cmake -S "$root" -B "$build" -DTFJS_RUN_FUZZ=ON -DTFJS_RUN_TESTS=OFF \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_FLAGS="$flags" -DCMAKE_EXE_LINKER_FLAGS="-fsanitize=address,undefined" \
  >/dev/null
targets=(row_reader manifest bundle_contract native_compile)
cmake --build "$build" -j"$(nproc)" --target "${targets[@]/#/fuzz_}" >/dev/null
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
for t in "${targets[@]}"; do
  corpus="$root/tests/fuzz/corpus/$t"
  case "$t" in
    bundle_contract) runs=400; extra=(-detect_leaks=0 -timeout=10) ;;  # an isolate per input
    native_compile) runs=100000; extra=(-timeout=5 -max_len=16384) ;;  # seeds are whole models
    *) runs=200000; extra=(-timeout=5) ;;
  esac
  if [ -n "$explore_seconds" ]; then
    args=(-max_total_time="$explore_seconds" "$corpus")
  else
    mkdir -p "$work/$t"
    args=(-seed=1 -runs="$runs" "$work/$t" "$corpus")
  fi
  echo "fuzz: $t ${args[*]:0:2}" >&2
  if ! "$build/tests/fuzz/fuzz_$t" -max_len=4096 -rss_limit_mb=4096 "${extra[@]}" -print_final_stats=1 "${args[@]}" \
       > "$work/$t.log" 2>&1; then
    tail -60 "$work/$t.log" >&2
    echo "fuzz: $t FAILED (the crashing input is saved as crash-* in $PWD)" >&2
    exit 1
  fi
  grep -E "stat::number_of_executed_units|stat::peak_rss_mb" "$work/$t.log" | tr '\n' ' ' >&2
  echo >&2
done
echo "fuzz: ${#targets[@]} passed, 0 failed"
