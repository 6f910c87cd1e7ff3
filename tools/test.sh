#!/usr/bin/env bash
# Runs every test, from a fresh machine: installs what is missing, builds (tools/build.sh: the
# C++ runtime and CLI, then the JVM jar and the Flink/Spark modules through Maven), then ctest,
# which first builds the test bundles and the tfjs-in-Node references, and includes jvm_test:
# every JUnit 5 suite of runtime/jvm and examples/ (tests/jvm_test.sh).
# Then builds again with AddressSanitizer + UndefinedBehaviorSanitizer, and with
# ThreadSanitizer, and runs every test on each of those builds too (the threaded runtime's
# stress tests under TSan). TFJS_RUN_SANITIZE picks: "address thread" (default), one of them,
# or none. Last, a short deterministic run of each libFuzzer target (tools/fuzz.sh;
# TFJS_RUN_FUZZ=0 skips it).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
"$root/tools/setup.sh"
"$root/tools/build.sh"
cd "${TFJS_RUN_BUILD_DIR:-$root/build}"
ctest --output-on-failure -j"$(nproc)"
# The bundles and references are JS and Node's output, the same for every C++ build: the
# sanitizer runs copy them from this one instead of bundling again (tests/build-fixtures.sh).
export TFJS_RUN_FIXTURES_FROM="$PWD/tests/fixtures"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
export TSAN_OPTIONS="halt_on_error=1:second_deadlock_stack=1:suppressions=$root/tests/tsan.supp"
for sanitize in ${TFJS_RUN_SANITIZE-address thread}; do
  [ "$sanitize" = none ] && continue
  echo "== the same tests under -fsanitize=$sanitize ==" >&2
  san="$root/build-$sanitize"
  TFJS_RUN_BUILD_DIR="$san" "$root/tools/build.sh" -DTFJS_RUN_SANITIZE="$sanitize"
  (cd "$san" && ctest --output-on-failure -j"$(nproc)")
done
if [ "${TFJS_RUN_FUZZ:-1}" != 0 ]; then
  echo "== libFuzzer targets, a short deterministic run (tools/fuzz.sh) ==" >&2
  "$root/tools/fuzz.sh"
fi
