#!/usr/bin/env bash
# Publishes a bundle version into a directory served by any static file server, atomically:
# the bundle first (under a name of its own), the manifest last, each written to a temporary
# name and renamed, so a poller sees either the old manifest or the new one, and never a
# manifest naming a bundle that is not fully there.
#
#   tools/publish-bundle.sh [--sample FILE] [--expect FILE] [--tolerance T] [--no-load-check]
#                           [--model NAME] BUNDLE DIR VERSION [SAMPLE_JSON]
#
# --model NAME      publish into a multi-model layout at DIR (docs/publishing.md): the bundle and a
#                   manifest of this version alone in DIR/NAME/VERSION/, then DIR/NAME/manifest.json
#                   (the latest, naming VERSION/FILE), then NAME added to DIR/models.json if it is
#                   not there; each renamed into place, in that order.
#
# --sample FILE     rows every worker warms the version up on: a JSON array of rows, or CSV (one
#                   row per line, an optional header); SAMPLE_JSON gives the same inline.
# --expect FILE     the answers those rows must get (from your own validation of the model), in
#                   the same formats: one row of the bundle's output width per sample row. A
#                   version whose warm-up answers disagree is refused and never serves.
# --tolerance T     how close: |got - expected| <= T * (1 + |expected|); default 1e-4, in [0, 1].
# --no-load-check   do not load the bundle here to read its widths (to publish a bundle that does
#                   not load, e.g. to test the runtime's refusal): the runtime still checks them.
#
# DIR/manifest.json: {"version", "bundle", "sha256", "size"[, "sample_input": [[...], ...]
#                    [, "expected_output": [[...], ...], "tolerance": T]]}  (docs/publishing.md)
#
# Refused (exit 1, nothing published): a sample or expected output that is not rows of finite
# numbers of one width, a sample not of the bundle's input width or expected rows not of its
# output width (read with `tfjs-run --info`: $TFJS_RUN, else build/runtime/tfjs-run next to
# this script, else tfjs-run on PATH; without one it warns, and the runtime refuses a wrong width
# when it loads the version), a bundle that does not load there, and a manifest that is not
# valid JSON.
set -euo pipefail
usage="usage: publish-bundle.sh [--sample FILE] [--expect FILE] [--tolerance T] [--no-load-check] [--model NAME] BUNDLE DIR VERSION [SAMPLE_JSON]"
die() { echo "publish-bundle: $*" >&2; exit 1; }

sample_file="" expect_file="" tolerance="" load_check=1 model=""
args=()
while [ $# -gt 0 ]; do
  case "$1" in
    --sample) sample_file="${2:?--sample needs a FILE}"; shift 2 ;;
    --expect) expect_file="${2:?--expect needs a FILE}"; shift 2 ;;
    --tolerance) tolerance="${2:?--tolerance needs a number}"; shift 2 ;;
    --no-load-check) load_check=0; shift ;;
    --model) model="${2:?--model needs a NAME}"; shift 2 ;;
    -h|--help) echo "$usage"; exit 0 ;;
    --) shift; args+=("$@"); break ;;
    -*) die "unknown option $1 ($usage)" ;;
    *) args+=("$1"); shift ;;
  esac
done
[ ${#args[@]} -ge 3 ] && [ ${#args[@]} -le 4 ] || die "$usage"
bundle="${args[0]}" dir="${args[1]}" version="${args[2]}" sample="${args[3]:-}"
case "$version" in ''|*[!A-Za-z0-9._-]*) die "version must be 1-128 characters of [A-Za-z0-9._-]" ;; esac
[ ${#version} -le 128 ] || die "version must be 1-128 characters of [A-Za-z0-9._-]"
[ -f "$bundle" ] || die "$bundle is not a file"
if [ -n "$model" ]; then
  case "$model" in *[!A-Za-z0-9._-]*) die "--model must be 1-128 characters of [A-Za-z0-9._-]" ;; esac
  [ ${#model} -le 128 ] || die "--model must be 1-128 characters of [A-Za-z0-9._-]"
  # The multi-model layout: the version's own directory holds its bundle and manifest.
  base="$dir" dir="$dir/$model/$version"
fi
[ -n "$sample" ] && [ -n "$sample_file" ] && die "give the sample once: SAMPLE_JSON or --sample"
[ -n "$sample_file" ] && { [ -f "$sample_file" ] || die "--sample $sample_file is not a file"; }
[ -n "$expect_file" ] && { [ -f "$expect_file" ] || die "--expect $expect_file is not a file"; }
[ -n "$expect_file" ] && [ -z "$sample$sample_file" ] && die "--expect needs the sample rows it answers (SAMPLE_JSON or --sample)"
[ -n "$tolerance" ] && [ -z "$expect_file" ] && die "--tolerance needs --expect"

# The bundle's declared widths, when there is a sample to check against them.
info="{}"
if [ -n "$sample$sample_file" ] && [ "$load_check" = 1 ]; then
  tfjs_run="${TFJS_RUN:-}"
  here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
  [ -z "$tfjs_run" ] && [ -x "$here/../build/runtime/tfjs-run" ] && tfjs_run="$here/../build/runtime/tfjs-run"
  [ -z "$tfjs_run" ] && tfjs_run="$(command -v tfjs-run || true)"
  if [ -z "$tfjs_run" ]; then
    echo "publish-bundle: warning: no tfjs-run found (set TFJS_RUN): the sample's width is not checked here;" \
         "the runtime refuses a wrong one when it loads the version" >&2
  else
    errors="$(mktemp)"
    info="$("$tfjs_run" --info --threads 1 --code-cache none "$bundle" </dev/null 2>"$errors")" || {
      cat "$errors" >&2; rm -f "$errors"
      die "$bundle does not load, so its sample cannot be checked; nothing published (--no-load-check publishes it anyway)"
    }
    rm -f "$errors"
  fi
fi

mkdir -p "$dir"
name="ml-$version.bundle.js"
manifest_tmp="$dir/.manifest.json.tmp"
cp "$bundle" "$dir/.$name.tmp"
trap 'rm -f "$dir/.$name.tmp" "$manifest_tmp"' EXIT
sha=$(sha256sum "$dir/.$name.tmp" | cut -d' ' -f1)
size=$(stat -c %s "$dir/.$name.tmp")

# Builds the manifest with a JSON library, so no input can make it malformed, and checks every
# row: finite float32 numbers, one width, the bundle's widths, one expected row per sample row.
SAMPLE="$sample" SAMPLE_FILE="$sample_file" EXPECT_FILE="$expect_file" TOLERANCE="$tolerance" INFO="$info" \
VERSION="$version" NAME="$name" SHA="$sha" SIZE="$size" python3 - "$manifest_tmp" <<'PY' || exit 1
import csv, json, math, os, sys

def die(why):
    sys.stderr.write(f"publish-bundle: {why}; nothing published\n")
    sys.exit(1)

FLOAT32_MAX = 3.4028234663852886e38

def number(v, where, text_ok):
    """A finite float32 from a JSON number, or from CSV text when text_ok."""
    if isinstance(v, bool) or not isinstance(v, (int, float, str)) or (isinstance(v, str) and not text_ok):
        die(f"{where}: {json.dumps(v)[:40]} is not a number")
    try:
        x = float(v)
    except (ValueError, OverflowError):
        die(f"{where}: {str(v)[:40]!r} is not a finite float32 number")
    if not math.isfinite(x) or abs(x) > FLOAT32_MAX:
        die(f"{where}: {str(v)[:40]!r} is not a finite float32 number")
    return x

def rows_of(text, what):
    """Rows of numbers from a JSON array of rows, or from CSV lines (a first line that is not
    numbers is a header)."""
    if text.lstrip().startswith("["):
        try:
            rows = json.loads(text)
        except (ValueError, RecursionError) as e:
            die(f"{what} is not valid JSON ({e})")
        if not isinstance(rows, list) or not rows or not all(isinstance(r, list) for r in rows):
            die(f"{what} must be a non-empty JSON array of rows (arrays of numbers)")
        cells = [[(v, f"{what} row {i}, column {j}") for j, v in enumerate(r)] for i, r in enumerate(rows)]
        text_ok = False
    else:
        lines = [l for l in csv.reader(text.splitlines()) if any(f.strip() for f in l)]
        if lines:
            try:
                [float(f) for f in lines[0]]
            except ValueError:
                lines = lines[1:]  # a header
        cells = [[(v, f"{what} data line {i + 1}, column {j}") for j, v in enumerate(r)] for i, r in enumerate(lines)]
        text_ok = True
    if not cells:
        die(f"{what} has no rows")
    out = [[number(v, where, text_ok) for v, where in r] for r in cells]
    width = len(out[0])
    for i, r in enumerate(out):
        if not r or len(r) != width:
            die(f"{what} row {i} has {len(r)} values; row 0 has {width}")
    return out

env = os.environ
manifest = {"version": env["VERSION"], "bundle": env["NAME"], "sha256": env["SHA"], "size": int(env["SIZE"])}
sample_text = env["SAMPLE"] or (open(env["SAMPLE_FILE"]).read() if env["SAMPLE_FILE"] else "")
if sample_text:
    info = json.loads(env["INFO"])
    sample = rows_of(sample_text, "the sample")
    cols = info.get("input_cols", -1)
    if cols > 0 and len(sample[0]) != cols:
        die(f"the sample's rows have {len(sample[0])} values; the bundle (version {env['VERSION']}) takes {cols}")
    manifest["sample_input"] = sample
    if env["EXPECT_FILE"]:
        expected = rows_of(open(env["EXPECT_FILE"]).read(), f"--expect {env['EXPECT_FILE']}")
        if len(expected) != len(sample):
            die(f"--expect has {len(expected)} rows for {len(sample)} sample rows")
        out_cols = info.get("output_cols", -1)
        if out_cols > 0 and len(expected[0]) != out_cols:
            die(f"--expect rows have {len(expected[0])} values; the bundle (version {env['VERSION']}) answers {out_cols}")
        tolerance = number(env["TOLERANCE"] or "1e-4", "--tolerance", True)
        if not 0 <= tolerance <= 1:
            die(f"--tolerance must be in [0, 1], got {env['TOLERANCE']}")
        manifest["expected_output"] = expected
        manifest["tolerance"] = tolerance
with open(sys.argv[1], "w") as f:
    json.dump(manifest, f)
    f.write("\n")
PY
python3 -m json.tool "$manifest_tmp" >/dev/null || die "the manifest written is not valid JSON; nothing published"
mv -f "$dir/.$name.tmp" "$dir/$name"
mv -f "$manifest_tmp" "$dir/manifest.json"
trap - EXIT
echo "publish-bundle: $dir/manifest.json -> version $version ($name, $size bytes, sha256 $sha)" >&2
[ -n "$model" ] || exit 0

# The model's latest: the same manifest naming VERSION/FILE, then the model in models.json.
latest_tmp="$base/$model/.manifest.json.tmp" models_tmp="$base/.models.json.tmp"
trap 'rm -f "$latest_tmp" "$models_tmp"' EXIT
python3 - "$dir/manifest.json" "$latest_tmp" "$version" "$base/models.json" "$models_tmp" "$model" <<'PY' || exit 1
import json, os, sys
version_manifest, latest, version, models_path, models_tmp, model = sys.argv[1:]
m = json.load(open(version_manifest))
m["bundle"] = version + "/" + m["bundle"]
with open(latest, "w") as f:
    json.dump(m, f)
    f.write("\n")
models = {"models": []}
if os.path.exists(models_path):
    try:
        models = json.load(open(models_path))
        assert isinstance(models, dict) and isinstance(models.get("models"), list)
    except (ValueError, AssertionError):
        sys.stderr.write(f"publish-bundle: {models_path} is not {{\"models\": [...]}}; the version is published, "
                         "the latest manifest and models.json are not\n")
        sys.exit(1)
if not any(isinstance(e, dict) and e.get("name") == model for e in models["models"]):
    models["models"].append({"name": model})
with open(models_tmp, "w") as f:
    json.dump(models, f, indent=1)
    f.write("\n")
PY
python3 -m json.tool "$latest_tmp" >/dev/null && python3 -m json.tool "$models_tmp" >/dev/null ||
  die "a manifest written is not valid JSON; version $version is in $dir, not the latest"
mv -f "$latest_tmp" "$base/$model/manifest.json"
mv -f "$models_tmp" "$base/models.json"
trap - EXIT
echo "publish-bundle: $base/$model/manifest.json -> version $version; $base/models.json names $model" >&2
