"""Real tfjs models from npm packages (tests/real-models/) run in tfjs-run with no app module and
default options: every model that loads in tfjs 4.22 in Node loads in tfjs-run and matches tfjs
within docs/native.md's rule for real models. Prints the table and the native fraction."""
import os
import sys
import unittest

SRC = os.environ["TFJS_RUN_SOURCE_DIR"]
sys.path.insert(0, os.path.join(SRC, "tests", "real-models"))
import real_models  # noqa: E402

# The one list of models that do not run in tfjs-run yet, by name, with the reason. A model
# missing from it that fails is a regression; a model in it that starts working fails the test
# too, so that it is taken off.
KNOWN_FAILURES = {
}

# The models whose plan runs natively (docs/native.md "Real models"): one that falls back to tfjs
# is a regression of the native executor, and one that goes native should join the list. Goal:
# at least 80% of the models (issue 22).
NATIVE = {
    "default-model", "esrgan-slim/x2", "esrgan-slim/x3", "esrgan-slim/x4", "esrgan-slim/x8",
    "human/antispoof", "human/emotion", "human/facemesh", "human/faceres", "human/handlandmark-lite",
    "human/iris", "human/liveness", "human/movenet-lightning",
}


class RealModels(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        work = os.environ.get("REAL_MODELS_WORK") or os.path.join(os.getcwd(), "real-models")
        cls.results = real_models.run(os.environ["TFJS_RUN"], work, jobs=2)
        print("\n" + real_models.table(cls.results), flush=True)
        for r in cls.results:
            print(f"{r['name']}: {r['seconds']}", flush=True)

    def test_the_packages_hold_the_models_pinned(self):
        names = {r["name"] for r in self.results}
        self.assertGreaterEqual(len(names), 16, sorted(names))
        self.assertLessEqual(set(KNOWN_FAILURES), names, "a known failure names no model the packages hold")

    def test_each_model_that_loads_in_tfjs_runs_in_tfjs_run_and_matches_it(self):
        for r in self.results:
            if not r["tfjs_loads"] or r["name"] in KNOWN_FAILURES:
                continue
            with self.subTest(model=r["name"]):
                self.assertTrue(r["loads"], r["error"])
                self.assertIsNotNone(r["worst"], r["error"])
                self.assertLessEqual(r["worst"], real_models.TOLERANCE)

    def test_the_models_listed_native_run_natively_and_no_others(self):
        for r in self.results:
            with self.subTest(model=r["name"]):
                if r["name"] in NATIVE:
                    self.assertEqual(r["model_exec"], "native", r["model_exec_note"] or r["error"])
                else:
                    self.assertNotEqual(r["model_exec"], "native", f"{r['name']} now runs natively: add it to NATIVE")
        self.assertGreaterEqual(len(NATIVE), 0.8 * len(self.results))

    def test_known_failures_still_fail(self):
        for r in self.results:
            if r["name"] not in KNOWN_FAILURES:
                continue
            with self.subTest(model=r["name"]):
                works = r["loads"] and r["worst"] is not None and r["worst"] <= real_models.TOLERANCE
                self.assertFalse(works, f"{r['name']} now runs (worst {r['worst']}): take it off KNOWN_FAILURES")


if __name__ == "__main__":
    unittest.main()
