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


if __name__ == "__main__":
    unittest.main()
