#!/usr/bin/env bash
# Publishes a bundle version into a directory served by any static file server, atomically:
# the bundle first (under a name of its own), the manifest last, each written to a temporary
# name and renamed, so a poller sees either the old manifest or the new one, and never a
# manifest naming a bundle that is not fully there.
#
#   tools/publish-bundle.sh BUNDLE DIR VERSION [SAMPLE_INPUT_JSON]
#
# DIR/manifest.json: {"version", "bundle", "sha256", "size"[, "sample_input": [[...], ...]]}
set -euo pipefail
bundle="${1:?usage: publish-bundle.sh BUNDLE DIR VERSION [SAMPLE_INPUT_JSON]}"
dir="${2:?DIR}"
version="${3:?VERSION}"
sample="${4:-}"
case "$version" in *[!A-Za-z0-9._-]*) echo "publish-bundle: version must be [A-Za-z0-9._-]" >&2; exit 1 ;; esac
mkdir -p "$dir"
name="ml-$version.bundle.js"
cp "$bundle" "$dir/.$name.tmp"
mv -f "$dir/.$name.tmp" "$dir/$name"
sha=$(sha256sum "$dir/$name" | cut -d' ' -f1)
size=$(stat -c %s "$dir/$name")
{
  printf '{"version": "%s", "bundle": "%s", "sha256": "%s", "size": %s' "$version" "$name" "$sha" "$size"
  [ -n "$sample" ] && printf ', "sample_input": %s' "$sample"
  printf '}\n'
} > "$dir/.manifest.json.tmp"
mv -f "$dir/.manifest.json.tmp" "$dir/manifest.json"
echo "publish-bundle: $dir/manifest.json -> version $version ($name, $size bytes, sha256 $sha)" >&2
