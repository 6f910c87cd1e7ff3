#!/usr/bin/env python3
"""Real tfjs models shipped in npm packages, each run in tfjs-run with no app module and default
options, and compared with tfjs 4.22 in Node on the same generated rows.

  python3 tests/real-models/real_models.py --tfjs-run build/runtime/tfjs-run [--work DIR] [--jobs 2]

Installs the packages pinned in this directory (npm ci, from package-lock.json) into WORK, finds
every model file in them (a JSON file with modelTopology and weightsManifest), and for each:
bundles it with model-bundler (no app module; a free dimension fixed to FREE_DIM; unminified,
which changes only tfjs's JS text and halves the bundling time; kept in WORK/bundles until the
model or model-bundler changes), reads
`tfjs-run --info` (model_exec, model_exec_note, outputs), predicts generated rows, and compares
them with tools/node-harness.js (tfjs in Node on the model files, the bundle's backend).
Prints a Markdown table; tests/real_models_test.py asserts on the same results.
"""
import argparse
import concurrent.futures
import hashlib
import json
import os
import shutil
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.path.dirname(os.path.dirname(HERE))
BUNDLER = os.path.join(SRC, "model-bundler", "bin", "model-bundler.js")
HARNESS = os.path.join(SRC, "tools", "node-harness.js")
TOLERANCE = 1e-4  # |tfjs-run - tfjs| / (1 + |tfjs|), docs/native.md's rule for real models
FREE_DIM = 32  # a free spatial dimension is fixed to this (small images keep the run short)
MAX_VALUES = 400_000  # input values per model: 2 to 8 rows, fewer of the larger images
BACKEND = "wasm"  # model-bundler's default: the reference runs tfjs on the same backend
TIMEOUT = 600


def install(work):
    """npm ci of this directory's package-lock.json into WORK/packages, unless already done for it.
    Returns the node_modules directory."""
    dest = os.path.join(work, "packages")
    os.makedirs(dest, exist_ok=True)
    changed = False
    for name in ("package.json", "package-lock.json", ".npmrc"):
        src, dst = os.path.join(HERE, name), os.path.join(dest, name)
        with open(src, "rb") as f:
            data = f.read()
        if not os.path.exists(dst) or open(dst, "rb").read() != data:
            with open(dst, "wb") as f:
                f.write(data)
            changed = True
    modules = os.path.join(dest, "node_modules")
    if changed or not os.path.exists(os.path.join(modules, ".package-lock.json")):
        subprocess.run(["npm", "ci", "--no-audit", "--no-fund", "--loglevel=error"], cwd=dest, check=True,
                       timeout=TIMEOUT)
    return modules


def _packages(modules):
    for entry in sorted(os.listdir(modules)):
        if entry.startswith("."):
            continue
        if entry.startswith("@"):
            for sub in sorted(os.listdir(os.path.join(modules, entry))):
                yield f"{entry}/{sub}", os.path.join(modules, entry, sub)
        else:
            yield entry, os.path.join(modules, entry)


def find_models(modules):
    """Every tfjs model file in the installed packages, as dicts of name, package, path, sorted by name.
    The name is the package's (without its scope) and the file's path in it, less 'models' and
    'model.json': human/liveness, esrgan-slim/x4, default-model."""
    models = []
    for package, root in _packages(modules):
        with open(os.path.join(root, "package.json")) as f:
            version = json.load(f)["version"]
        for dirpath, dirnames, filenames in os.walk(root):
            dirnames[:] = sorted(d for d in dirnames if d != "node_modules")
            for file in sorted(filenames):
                if not file.endswith(".json") or file == "package.json":
                    continue
                path = os.path.join(dirpath, file)
                try:
                    with open(path) as f:
                        model = json.load(f)
                except (ValueError, UnicodeDecodeError):
                    continue
                if not isinstance(model, dict) or "modelTopology" not in model or "weightsManifest" not in model:
                    continue
                parts = os.path.relpath(path, root)[:-len(".json")].split(os.sep)
                parts = [p for p in parts if p not in ("models", "model")]
                name = "/".join([package.split("/")[-1], *parts])
                models.append({"name": name, "package": f"{package}@{version}", "path": path})
    return sorted(models, key=lambda m: m["name"])


def describe(path):
    """The model's format, quantization and inputs (name, dtype, shape with None for a free
    dimension), read from its model file as tfjs would."""
    with open(path) as f:
        model = json.load(f)
    topology = model["modelTopology"]
    quantized = sorted({w["quantization"]["dtype"] for g in model["weightsManifest"] for w in g["weights"]
                        if "quantization" in w})
    inputs = []
    if "node" in topology:
        fmt = "graph"
        for node in topology["node"]:
            if node["op"] != "Placeholder":
                continue
            dtype = node.get("attr", {}).get("dtype", {}).get("type", "DT_FLOAT")[3:].lower()
            dims = node.get("attr", {}).get("shape", {}).get("shape", {}).get("dim", [])
            shape = [None if int(d.get("size", -1)) < 0 else int(d["size"]) for d in dims]
            inputs.append({"name": node["name"], "dtype": dtype, "shape": shape})
    else:
        fmt = "layers"
        config = topology.get("model_config", topology)
        layers = config["config"]["layers"] if isinstance(config["config"], dict) else config["config"]
        first = [l for l in layers if l["class_name"] == "InputLayer"] or layers[:1]
        for layer in first:
            c = layer["config"]
            inputs.append({"name": c.get("name"), "dtype": c.get("dtype", "float32"),
                           "shape": c.get("batch_input_shape")})
    return {"format": fmt, "quantized": quantized, "inputs": inputs}


def _free_dims(shape):
    """--input-shape for a shape with free non-batch dimensions (FREE_DIM each), else None."""
    rest = shape[1:] if shape else []
    if all(d is not None for d in rest):
        return None
    return ",".join(str(FREE_DIM if d is None else d) for d in rest)


def write_rows(path, shape, dtype):
    """Deterministic rows for one input: integers 0-255 for an integer input, else multiples of
    1/256 in [0, 1) (exact in float32, so both sides read the same values)."""
    cols = 1
    for d in shape[1:]:
        cols *= FREE_DIM if d is None else d
    count = max(2, min(8, MAX_VALUES // cols))
    integer = dtype not in ("float", "float32")
    state = 12345
    with open(path, "w") as f:
        for _ in range(count):
            values = []
            for _ in range(cols):
                state = (state * 1103515245 + 12345) % 2147483648
                v = (state >> 16) % 256
                values.append(str(v) if integer else repr(v / 256))
            f.write(",".join(values) + "\n")
    return count


def _read_csv(text):
    return [[float(v) for v in line.split(",")] for line in text.splitlines() if line.strip()]


def _first_error(text):
    """The first line of an error's text, less stack frames and the tool's own prefix."""
    lines = [l.strip() for l in text.splitlines() if l.strip() and not l.strip().startswith("at ")]
    return lines[0].removeprefix("node-harness: ").removeprefix("tfjs-run: error: ") if lines else ""


def _bundle_key(model_path, shape_args):
    """What a bundle is made from: the model's files, the options, and model-bundler's own sources
    (bin, lib, js/, its lock file). A bundle is made again only when one of them changes."""
    digest = hashlib.sha256(json.dumps(shape_args).encode())
    with open(model_path, "rb") as f:
        data = f.read()
    files = [os.path.join(os.path.dirname(model_path), p) for g in json.loads(data)["weightsManifest"] for p in g["paths"]]
    for top in ("model-bundler/bin", "model-bundler/lib", "js"):
        for dirpath, dirnames, filenames in os.walk(os.path.join(SRC, top)):
            dirnames.sort()
            files += [os.path.join(dirpath, f) for f in sorted(filenames)]
    digest.update(data)
    for path in files + [os.path.join(SRC, "model-bundler", "package-lock.json")]:
        digest.update(path.encode())
        with open(path, "rb") as f:
            digest.update(hashlib.sha256(f.read()).digest())
    return digest.hexdigest()[:16]


def _timed(result, step, cmd, **kwargs):
    """subprocess.run, its seconds recorded in result["seconds"][step]."""
    start = time.monotonic()
    try:
        return subprocess.run(cmd, capture_output=True, text=True, timeout=TIMEOUT, **kwargs)
    finally:
        result["seconds"][step] = round(time.monotonic() - start, 1)


def check(model, tfjs_run, work):
    """Runs one model through the steps in the module's doc; returns its row of the report."""
    result = {**model, **describe(model["path"]), "tfjs_loads": False, "tfjs_error": "", "loads": False,
              "error": "", "model_exec": "", "model_exec_note": "", "outputs": [], "worst": None, "rows": 0,
              "seconds": {}}
    key = model["name"].replace("/", "-")
    inputs = result["inputs"]
    shape = inputs[0]["shape"] if inputs else None
    input_shape = _free_dims(shape) if shape else None
    shape_args = ["--input-shape", input_shape] if input_shape else []
    rows = os.path.join(work, "rows", key + ".csv")
    if len(inputs) == 1 and shape:
        result["rows"] = write_rows(rows, shape, inputs[0]["dtype"])

    if result["rows"]:
        ref = _timed(result, "tfjs", ["node", HARNESS, "--model", model["path"], "--backend", BACKEND, *shape_args,
                                      "--predict", rows])
        result["tfjs_loads"] = ref.returncode == 0
        result["tfjs_error"] = "" if ref.returncode == 0 else _first_error(ref.stderr)
    else:
        result["tfjs_error"] = f"{len(inputs)} inputs: the reference takes one"

    bundle = os.path.join(work, "bundles", f"{key}-{_bundle_key(model['path'], shape_args)}.bundle.js")
    result["bundle"] = os.path.basename(bundle)
    if not os.path.exists(bundle):
        made = _timed(result, "bundle", ["node", BUNDLER, "--model", model["path"], *shape_args, "--no-minify",
                                         "-o", bundle + ".partial"], env={**os.environ, "NODE_NO_WARNINGS": "1"})
        if made.returncode != 0:
            result["error"] = "model-bundler: " + _first_error(made.stderr)
            return result
        os.replace(bundle + ".partial", bundle)
    info = _timed(result, "info", [tfjs_run, bundle, "--info"])
    if info.returncode != 0:
        result["error"] = "tfjs-run --info: " + _first_error(info.stderr)
        return result
    info = json.loads(info.stdout)
    result.update(model_exec=info["model_exec"], model_exec_note=info["model_exec_note"],
                  outputs=[o["name"] for o in info["outputs"]])
    if not result["rows"]:
        result["loads"] = True
        return result
    with open(rows) as f:
        got = _timed(result, "tfjs-run", [tfjs_run, bundle, "--quiet"], stdin=f)
    if got.returncode != 0:
        result["error"] = "tfjs-run: " + _first_error(got.stderr)
        return result
    result["loads"] = True
    if result["tfjs_loads"]:
        got, expected = _read_csv(got.stdout), _read_csv(ref.stdout)
        if len(got) != len(expected) or any(len(g) != len(e) for g, e in zip(got, expected)):
            result["error"] = (f"tfjs-run gave {len(got)} rows of {len(got[0]) if got else 0} values, "
                               f"tfjs {len(expected)} of {len(expected[0]) if expected else 0}")
            return result
        result["worst"] = max(abs(a - b) / (1 + abs(b)) for g, e in zip(got, expected) for a, b in zip(g, e))
    return result


def run(tfjs_run, work, jobs=2, only=None):
    """Installs the packages and checks every model (or those named in `only`), `jobs` at a time."""
    shutil.rmtree(os.path.join(work, "rows"), ignore_errors=True)
    os.makedirs(os.path.join(work, "rows"))
    os.makedirs(os.path.join(work, "bundles"), exist_ok=True)
    models = find_models(install(work))
    if only:
        models = [m for m in models if m["name"] in only]
    with concurrent.futures.ThreadPoolExecutor(jobs) as pool:
        results = list(pool.map(lambda m: check(m, tfjs_run, work), models))
    if not only:  # bundles of models or of a model-bundler no longer there
        used = {r.get("bundle") for r in results}
        for file in os.listdir(os.path.join(work, "bundles")):
            if file not in used:
                os.remove(os.path.join(work, "bundles", file))
    return results


def _shape(s):
    return "[" + ",".join("?" if d is None else str(d) for d in s) + "]" if s is not None else "?"


def why_not_native(r):
    """The model_exec_note's reason, shortened to its first clause, for the table."""
    if r["model_exec"] == "native":
        return "native"
    note = r["model_exec_note"] or r["error"]
    return note.split("; ")[0][:110]


def table(results):
    lines = ["| model | package | format | inputs | outputs | tfjs-run loads | exec | worst |d|/(1+|ref|) |",
             "|---|---|---|---|---|---|---|---|"]
    for r in results:
        inputs = ", ".join(f"{i['dtype']} {_shape(i['shape'])}" for i in r["inputs"])
        if r["quantized"]:
            inputs += f" (weights {'+'.join(r['quantized'])})"
        loads = "yes" if r["loads"] else f"no: {r['error'][:110]}"
        worst = "-" if r["worst"] is None else f"{r['worst']:.1e}"
        tfjs = "" if r["tfjs_loads"] else f" (tfjs in Node: {r['tfjs_error'][:80]})"
        lines.append(f"| {r['name']} | {r['package']} | {r['format']} | {inputs} | {len(r['outputs']) or '-'} | "
                     f"{loads}{tfjs} | {why_not_native(r)} | {worst} |")
    native = sum(r["model_exec"] == "native" for r in results)
    lines.append("")
    lines.append(f"native: {native} of {len(results)} models ({100 * native / max(1, len(results)):.0f}%)")
    return "\n".join(lines)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--tfjs-run", required=True)
    p.add_argument("--work", default=os.path.join(SRC, "build", "real-models"))
    p.add_argument("--jobs", type=int, default=2)
    p.add_argument("--only", help="comma-separated model names")
    p.add_argument("--json", help="also write the results there")
    args = p.parse_args()
    results = run(os.path.abspath(args.tfjs_run), os.path.abspath(args.work), args.jobs,
                  args.only.split(",") if args.only else None)
    print(table(results))
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
