"""model-bundler: refuses broken models clearly, stamps bundles, and its bundles run."""
import json
import os
import shutil
import subprocess
import tempfile
import unittest

SRC = os.environ["TFJS_RUN_SOURCE_DIR"]
TFJS_RUN = os.environ["TFJS_RUN"]
BUNDLER = os.path.join(SRC, "model-bundler", "bin", "model-bundler.js")
WINE = os.path.join(SRC, "examples", "wine", "model")


def bundle(*args):
    return subprocess.run(["node", BUNDLER, *args], capture_output=True, text=True, timeout=300)


class RefusesBrokenModels(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp()
        shutil.copytree(WINE, os.path.join(self.dir, "m"))
        self.model = os.path.join(self.dir, "m", "model.json")
        self.out = os.path.join(self.dir, "out.bundle.js")

    def tearDown(self):
        shutil.rmtree(self.dir)

    def expect_refused(self, part):
        p = bundle("--model", self.model, "-o", self.out)
        self.assertEqual(p.returncode, 2, p.stderr)
        self.assertIn(part, p.stderr)
        self.assertFalse(os.path.exists(self.out))

    def test_bad_feature_names(self):
        for names, part in (("a,b", "--feature-names gives 2 names; the model input"),
                            ("a,,c", "each name must be 1-256 bytes of printable text"),
                            ("a,b,a,d,e,f,g,h,i,j,k,l,m", "--feature-names names 'a' twice")):
            with self.subTest(names=names):
                p = bundle("--model", self.model, "--feature-names", names, "-o", self.out)
                self.assertEqual(p.returncode, 2, p.stderr)
                self.assertIn(part, p.stderr)
                self.assertFalse(os.path.exists(self.out))

    def test_missing_model_json(self):
        os.remove(self.model)
        self.expect_refused("model file not found")

    def test_missing_shard(self):
        os.remove(os.path.join(self.dir, "m", "weights.bin"))
        self.expect_refused("weight shard 'weights.bin' named in")

    def test_truncated_shard(self):
        path = os.path.join(self.dir, "m", "weights.bin")
        with open(path, "rb") as f:
            data = f.read()
        with open(path, "wb") as f:
            f.write(data[:-4])
        self.expect_refused("hold 1096 bytes but their specs")

    def test_spec_that_does_not_match_the_shard(self):
        with open(self.model) as f:
            m = json.load(f)
        m["weightsManifest"][0]["weights"][0]["shape"] = [13, 17]
        with open(self.model, "w") as f:
            json.dump(m, f)
        self.expect_refused("inconsistent or truncated model")

    def test_not_json(self):
        with open(self.model, "w") as f:
            f.write("{not json")
        self.expect_refused("is not valid JSON")

    def test_no_topology(self):
        with open(self.model, "w") as f:
            json.dump({"weightsManifest": []}, f)
        self.expect_refused("has no modelTopology")

    def test_bad_backend(self):
        p = bundle("--model", self.model, "--backend", "webgl", "-o", self.out)
        self.assertEqual(p.returncode, 2)
        self.assertIn("--backend must be cpu or wasm", p.stderr)


class Stamping(unittest.TestCase):
    def test_bundle_carries_name_version_and_sha256_of_its_inputs(self):
        with tempfile.TemporaryDirectory() as d:
            out = os.path.join(d, "a.bundle.js")
            p = bundle("--model", os.path.join(WINE, "model.json"), "--name", "wine", "-o", out)
            self.assertEqual(p.returncode, 0, p.stderr)
            info = json.loads(subprocess.run([TFJS_RUN, out, "--info"], capture_output=True, text=True,
                                             check=True).stdout)
            self.assertEqual(info["name"], "wine")
            self.assertEqual(len(info["sha256"]), 64)
            self.assertEqual(info["version"], info["sha256"][:12])  # the default version
            with open(out) as f:
                banner = f.readline()
            self.assertIn(info["sha256"], banner)


    def test_the_bundle_carries_its_answers_to_the_load_time_check_unless_told_not_to(self):
        # model-bundler runs the bundle on the load-time check's rows and appends its answers:
        # tfjs-run's native load compares its plan with them instead of running tfjs there.
        with tempfile.TemporaryDirectory() as d:
            for flag, carried in ((), True), (("--no-check-answers",), False):
                out = os.path.join(d, "a.bundle.js")
                p = bundle("--model", os.path.join(WINE, "model.json"), "--name", "wine", *flag, "-o", out)
                self.assertEqual(p.returncode, 0, p.stderr)
                with open(out) as f:
                    self.assertEqual("b.checkAnswers=a" in f.read(), carried, flag)
                info = json.loads(subprocess.run([TFJS_RUN, out, "--info", "--code-cache", "none"], capture_output=True,
                                                 text=True, check=True).stdout)
                self.assertEqual(info["model_exec"], "native", info["model_exec_note"])
                self.assertEqual("answers model-bundler computed" in info["model_exec_note"], carried,
                                 info["model_exec_note"])


FIX = os.environ.get("FIXTURES_OUT", "")
SHAPED = os.path.join(FIX, "shaped")


def rows_of(path):
    with open(path) as f:
        return [[float(v) for v in line.split(",")] for line in f if line.strip()]


class RealModelShapesWithoutGlue(unittest.TestCase):
    """Models of every shape the bundler takes run with no app module and match tfjs in Node
    (tools/node-harness.js on the model files) within 1e-5. Bundles and references come from
    tests/build-fixtures.sh."""

    def predict(self, name, rows_file):
        with open(os.path.join(SHAPED, rows_file)) as f:
            p = subprocess.run([TFJS_RUN, os.path.join(FIX, f"{name}.bundle.js"), "--batch-size", "7"], stdin=f,
                               capture_output=True, text=True, timeout=300)
        self.assertEqual(p.returncode, 0, p.stderr)
        return [[float(v) for v in line.split(",")] for line in p.stdout.splitlines()]

    def check(self, name, rows_file, ref=None):
        got = self.predict(name, rows_file)
        expected = rows_of(os.path.join(FIX, f"ref-{ref or name}.csv"))
        self.assertEqual(len(got), len(expected))
        self.assertEqual(len(got[0]), len(expected[0]))
        worst = max(abs(a - b) for g, e in zip(got, expected) for a, b in zip(g, e))
        self.assertLessEqual(worst, 1e-5, f"{name}: max abs diff {worst}")
        return got

    def info(self, name):
        p = subprocess.run([TFJS_RUN, os.path.join(FIX, f"{name}.bundle.js"), "--info"], capture_output=True,
                           text=True, timeout=120)
        self.assertEqual(p.returncode, 0, p.stderr)
        return json.loads(p.stdout)

    def test_an_nhwc_image_model_takes_flat_rows_and_its_name_and_backend_are_the_defaults(self):
        got = self.check("image", "image.csv")
        info = self.info("image")
        self.assertEqual(info["name"], "liveness")  # the model file's stem
        self.assertEqual(info["backend"], "wasm")   # the default backend
        self.assertEqual(info["input_cols"], 8 * 8 * 3)
        self.assertEqual(info["model_input_shape"], [None, 8, 8, 3])
        self.assertEqual(len(info["outputs"]), 1)
        self.assertTrue(all(abs(sum(r) - 1) < 1e-5 for r in got), "softmax rows sum to 1")

    def test_quantized_weights_uint8_and_float16_match_tfjs_and_are_really_quantized(self):
        uint8 = self.check("image-uint8", "image.csv")
        float16 = self.check("image-float16", "image.csv")
        full = rows_of(os.path.join(FIX, "ref-image-unquantized-cpu.csv"))
        for name, got in (("uint8", uint8), ("float16", float16)):
            diff = max(abs(a - b) for g, e in zip(got, full) for a, b in zip(g, e))
            self.assertGreater(diff, 1e-6, f"{name}: identical to the float32 model: weights not quantized?")

    def test_free_dimensions_fixed_at_bundle_time(self):
        self.check("free-dims", "free-dims.csv")
        self.assertEqual(self.info("free-dims")["model_input_shape"], [None, 4, 4, 3])

    def test_three_outputs_are_concatenated_in_model_order_and_listed(self):
        got = self.check("multi-out", "multi-out.csv")
        self.assertEqual(len(got[0]), 5 + 2 + 7)
        self.assertEqual(self.info("multi-out")["outputs"], [
            {"name": "head_0", "columns": [0, 5]}, {"name": "head_1", "columns": [5, 7]},
            {"name": "head_2", "columns": [7, 14]}])


    def test_the_load_time_check_of_each_native_shape_uses_the_answers_the_bundler_computed(self):
        # The bundler made the check's rows as tfjs-run makes them, for a fixed batch and rounded
        # to an integer input's range too: otherwise the answers differ and tfjs runs at load.
        for name in ("multi-out", "fixed-batch-1", "fixed-batch-3", "uint8-input", "image-uint8", "wine-noapp",
                     "wine-layers-wasm", "multi-out-app"):
            with self.subTest(name=name):
                p = subprocess.run([TFJS_RUN, os.path.join(FIX, f"{name}.bundle.js"), "--info", "--code-cache", "none"],
                                   capture_output=True, text=True, timeout=120)
                self.assertEqual(p.returncode, 0, p.stderr)
                info = json.loads(p.stdout)
                self.assertEqual(info["model_exec"], "native", info["model_exec_note"])
                self.assertIn("answers model-bundler computed", info["model_exec_note"])

    def test_a_fixed_batch_is_served_in_calls_of_that_many_rows_and_shown_by_info(self):
        # --batch-size 7 against batches of 1 and of 3 (7 = 3 + 3 + 1 padded), native and tfjs.
        for name, rows, batch in (("fixed-batch-1", "free-dims.csv", 1), ("fixed-batch-3", "multi-out.csv", 3)):
            with self.subTest(name=name):
                self.check(name, rows)
                info = self.info(name)
                self.assertEqual(info["model_input_shape"][0], batch)
                self.assertEqual(info["model_exec"], "native", info["model_exec_note"])
                with open(os.path.join(SHAPED, rows)) as f:
                    p = subprocess.run([TFJS_RUN, os.path.join(FIX, f"{name}.bundle.js"), "--batch-size", "7",
                                        "--model-exec", "tfjs"], stdin=f, capture_output=True, text=True, timeout=300)
                self.assertEqual(p.returncode, 0, p.stderr)
                expected = rows_of(os.path.join(FIX, f"ref-{name}.csv"))
                got = [[float(v) for v in line.split(",")] for line in p.stdout.splitlines()]
                self.assertEqual(len(got), len(expected))
                self.assertLessEqual(max(abs(a - b) for g, e in zip(got, expected) for a, b in zip(g, e)), 1e-5)

    def test_an_int32_input_is_rounded_to_even_checked_and_cast_and_a_value_that_does_not_fit_is_a_bad_row(self):
        # int-input.csv holds halves: 2.5 must be 2 and 3.5 must be 4 (ties to even), as in tfjs's round.
        self.check("int-input", "int-input.csv")
        info = self.info("int-input")
        self.assertEqual(info["model_exec"], "tfjs")
        self.assertIn("the model input is int32", info["model_exec_note"])
        p = subprocess.run([TFJS_RUN, os.path.join(FIX, "int-input.bundle.js"), "--on-error", "drop"],
                           input="1,2,3,4\n1,2,3e9,4\n2,2,2,2\n", capture_output=True, text=True, timeout=120)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(len(p.stdout.splitlines()), 2)
        self.assertIn("line 2", p.stderr)
        self.assertIn("column 2: 3000000000 does not fit the model's int32 input", p.stderr)

    def test_a_uint8_placeholder_takes_0_to_255_whatever_dtype_tfjs_holds_it_in(self):
        # tfjs holds DT_UINT8 as int32; the range checked is the placeholder's own. The graph only
        # casts its input to float32, so it runs natively, rounding and checking as the bundle does.
        self.check("uint8-input", "uint8-input.csv")
        info = self.info("uint8-input")
        self.assertEqual(info["model_exec"], "native", info["model_exec_note"])
        self.assertIn("round to uint8", info["model_exec_note"])
        for mode in ("native", "tfjs"):
            with self.subTest(mode=mode):
                p = subprocess.run([TFJS_RUN, os.path.join(FIX, "uint8-input.bundle.js"), "--on-error", "drop",
                                    "--model-exec", mode],
                                   input="1,2,3\n256,0,0\n0,0,-1\n255,1,0.4\n2.5,3.5,0.5\n", capture_output=True,
                                   text=True, timeout=120)
                self.assertEqual(p.returncode, 0, p.stderr)
                self.assertEqual(p.stdout.splitlines(), ["0.5,-4,0.375", "127.5,-2,0", "1,-8,0"])
                self.assertIn("dropped line 2", p.stderr)
                self.assertIn("column 0: 256 does not fit the model's uint8 input (0 to 255", p.stderr)
                self.assertIn("dropped line 3", p.stderr)
                self.assertIn("column 2: -1 does not fit", p.stderr)


class RefusesShapesItCannotServe(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp()
        self.out = os.path.join(self.dir, "out.bundle.js")

    def tearDown(self):
        shutil.rmtree(self.dir)

    def test_several_inputs_without_an_app_module_name_the_inputs(self):
        p = bundle("--model", os.path.join(SHAPED, "multi-in"), "-o", self.out)
        self.assertEqual(p.returncode, 2, p.stderr)
        self.assertIn("has 2 inputs (left [null,3], right [null,4])", p.stderr)
        self.assertIn("--app", p.stderr)
        self.assertFalse(os.path.exists(self.out))

    def test_free_dimensions_without_input_shape_say_how_to_fix_them(self):
        p = bundle("--model", os.path.join(SHAPED, "free-dims", "model.json"), "-o", self.out)
        self.assertEqual(p.returncode, 2, p.stderr)
        self.assertIn("[null,null,null,3] has free dimensions; fix them with --input-shape N,N,3", p.stderr)
        p = bundle("--model", os.path.join(SHAPED, "free-dims"), "--input-shape", "4,4", "-o", self.out)
        self.assertEqual(p.returncode, 2, p.stderr)
        self.assertIn("--input-shape 4,4 has 2 dimensions", p.stderr)

    def test_a_directory_without_model_json_is_named(self):
        p = bundle("--model", SHAPED, "-o", self.out)
        self.assertEqual(p.returncode, 2, p.stderr)
        self.assertIn("is a directory without a model.json", p.stderr)

    def test_help_states_the_default_backend(self):
        p = bundle("--help")
        self.assertIn("wasm (the default", p.stdout)


if __name__ == "__main__":
    unittest.main()
