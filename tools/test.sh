#!/usr/bin/env bash
# Runs every test, from a fresh machine: installs what is missing, builds, then ctest
# (which first builds the test bundles and the tfjs-in-Node references).
# Then builds again with AddressSanitizer + UndefinedBehaviorSanitizer and runs every test on
# that build too (TFJS_RUN_SANITIZE=address, the default; =thread for TSan; =none to skip).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
"$root/tools/setup.sh"
"$root/tools/build.sh"
cd "${TFJS_RUN_BUILD_DIR:-$root/build}"
ctest --output-on-failure -j"$(nproc)"
sanitize="${TFJS_RUN_SANITIZE:-address}"
if [ "$sanitize" != none ]; then
  echo "== the same tests under -fsanitize=$sanitize ==" >&2
  san="$root/build-$sanitize"
  TFJS_RUN_BUILD_DIR="$san" "$root/tools/build.sh" -DTFJS_RUN_SANITIZE="$sanitize"
  cd "$san" && ctest --output-on-failure -j"$(nproc)"
fi
