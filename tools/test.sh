#!/usr/bin/env bash
# Runs every test, from a fresh machine: installs what is missing, builds, then ctest
# (which first builds the test bundles and the tfjs-in-Node references).
# Set TFJS_RUN_SANITIZE=address to also build and run the C++ tests under ASan+UBSan.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
"$root/tools/setup.sh"
"$root/tools/build.sh"
cd "${TFJS_RUN_BUILD_DIR:-$root/build}"
ctest --output-on-failure -j"$(nproc)"
if [ -n "${TFJS_RUN_SANITIZE:-}" ]; then
  san="$root/build-$TFJS_RUN_SANITIZE"
  TFJS_RUN_BUILD_DIR="$san" "$root/tools/build.sh" -DTFJS_RUN_SANITIZE="$TFJS_RUN_SANITIZE"
  cd "$san" && ctest --output-on-failure -j"$(nproc)"
fi
