#!/usr/bin/env bash
# The soak test (not in CI): about 10 minutes of mixed traffic into one tfjs-run --watch process,
# with poisoned rows, memory bombs and a version published every 20 s. Prints RSS over time,
# recycles, reloads, and rows sent against rows accounted for. See tools/soak/soak.py.
#   tools/soak.sh [--minutes M]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
"$root/tools/setup.sh" >/dev/null 2>&1
"$root/tools/build.sh" >/dev/null
exec python3 "$root/tools/soak/soak.py" --tfjs-run "${TFJS_RUN_BUILD_DIR:-$root/build}/runtime/tfjs-run" \
  --publish "$root/tools/publish-bundle.sh" --bundle-template "$root/tools/soak/soak.bundle.js.in" "$@"
