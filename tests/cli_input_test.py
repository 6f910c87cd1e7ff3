"""tfjs-run, the CLI's input rules: feature names, non-finite values, RFC 4180 quoting, and one
output line per input line. Predictions are compared with tfjs in Node (the fixtures' references).

Run by ctest (cli_input_test) after build_fixtures; needs TFJS_RUN, FIXTURES_OUT and TFJS_RUN_SOURCE_DIR.
Builds one bundle with declared feature names (model-bundler --feature-names, about 30 s).
"""
import json
import os
import shutil
import subprocess
import tempfile
import unittest

from cli_test import FIX, SRC, TOL, read, run, summary

NAMES = ["alcohol", "malic_acid", "ash", "alcalinity_of_ash", "magnesium", "total_phenols", "flavanoids",
         "nonflavanoid_phenols", "proanthocyanins", "color_intensity", "hue", "od280_od315", "proline"]
PLAIN = f"{FIX}/wine-layers-cpu.bundle.js"  # the same model and app, no feature names
NAMED = None  # built in setUpModule
_tmp = None


def setUpModule():
    global NAMED, _tmp
    _tmp = tempfile.mkdtemp(prefix="cli-input-test-")
    NAMED = os.path.join(_tmp, "wine-named.bundle.js")
    wine = f"{SRC}/examples/wine"
    subprocess.run(["node", f"{SRC}/model-bundler/bin/model-bundler.js", "--model", f"{wine}/model/model.json",
                    "--app", f"{wine}/app.js", "--backend", "cpu", "--name", "wine-named", "--version", "test-1",
                    "--feature-names", ",".join(NAMES), "-o", NAMED],
                   check=True, capture_output=True, env={**os.environ, "NODE_NO_WARNINGS": "1"}, timeout=300)


def tearDownModule():
    shutil.rmtree(_tmp, ignore_errors=True)


def wine_rows():
    return [[float(v) for v in line.split(",")] for line in read(f"{FIX}/wine.csv").splitlines()]


def reference():
    """tfjs in Node on wine.csv, the same model and app (ref-wine-layers-cpu.csv)."""
    return [[float(v) for v in line.split(",")] for line in read(f"{FIX}/ref-wine-layers-cpu.csv").splitlines()]


def out_lines(stdout):
    """Every output line as a list of floats, or None for a blank line."""
    return [[float(v) for v in line.split(",")] if line.strip() else None for line in stdout.split("\n")[:-1]]


def csv_line(values):
    return ",".join(repr(v) for v in values)


class Case(unittest.TestCase):
    def assertPredicts(self, got, expected, msg=""):
        """got[i] equals tfjs's expected[i] within TOL, for every i."""
        self.assertEqual(len(got), len(expected), msg)
        for i, (g, e) in enumerate(zip(got, expected)):
            self.assertIsNotNone(g, f"{msg} row {i}")
            self.assertEqual(len(g), len(e), f"{msg} row {i}")
            worst = max(abs(a - b) for a, b in zip(g, e))
            self.assertLessEqual(worst, TOL, f"{msg} row {i}: {g} against {e}")

    def assertNaNLine(self, values, msg=""):
        self.assertTrue(values is not None and all(v != v for v in values), f"{msg}: {values}")


class FeatureNamesTest(Case):
    """Names in the bundle, and rows matched to them by name, never by order."""

    def test_info_shows_the_names(self):
        p = run([NAMED, "--info"], "", check=0)
        self.assertEqual(json.loads(p.stdout)["feature_names"], NAMES)
        self.assertNotIn("feature_names", json.loads(run([PLAIN, "--info"], "", check=0).stdout))

    def test_jsonl_with_sorted_keys_gives_the_same_predictions_as_csv_in_declared_order(self):
        rows = wine_rows()
        jsonl = "".join(json.dumps(dict(zip(NAMES, r)), sort_keys=True) + "\n" for r in rows)
        self.assertFalse(jsonl.startswith('{"alcohol"'))  # sorted: the model's order is not the line's
        from_json = run([NAMED, "--input-format", "jsonl"], jsonl, check=0)
        from_csv = run([NAMED], read(f"{FIX}/wine.csv"), check=0)
        self.assertEqual(from_json.stdout, from_csv.stdout)
        self.assertPredicts(out_lines(from_json.stdout), reference())
        self.assertEqual(summary(from_json.stderr), (len(rows), len(rows), 0))

    def test_a_csv_header_in_another_order_with_extra_columns_is_matched_by_name(self):
        rows = wine_rows()
        order = list(reversed(NAMES))
        header = "id," + ",".join(order) + ",note"
        body = "".join(f'"wine {i}, lot ""{i}""",' + ",".join(repr(r[NAMES.index(n)]) for n in order) + ",x\n"
                       for i, r in enumerate(rows))
        p = run([NAMED], header + "\n" + body, check=0)
        self.assertPredicts(out_lines(p.stdout), reference())
        warnings = [l for l in p.stderr.splitlines() if "warning" in l]
        self.assertEqual(len(warnings), 1, p.stderr)
        self.assertIn("'id', 'note'", warnings[0])

    def test_a_missing_key_is_a_bad_row_naming_its_line_and_key(self):
        rows = wine_rows()[:10]
        objs = [dict(zip(NAMES, r)) for r in rows]
        del objs[3]["proline"]
        jsonl = "".join(json.dumps(o) + "\n" for o in objs)
        p = run([NAMED, "--input-format", "jsonl"], jsonl, check=2)
        self.assertIn("line 4, column 13: missing key 'proline'", p.stderr)
        p = run([NAMED, "--input-format", "jsonl", "--on-error", "skip"], jsonl, check=0)
        got = out_lines(p.stdout)
        self.assertNaNLine(got[3], "line 4")
        expected = reference()[:10]
        self.assertPredicts(got[:3] + got[4:], expected[:3] + expected[4:])
        self.assertEqual(summary(p.stderr), (10, 9, 1))

    def test_extra_keys_are_ignored_with_one_warning(self):
        rows = wine_rows()[:50]
        jsonl = "".join(json.dumps({"id": i, **dict(zip(NAMES, r)), "label": "a"}) + "\n" for i, r in enumerate(rows))
        p = run([NAMED, "--input-format", "jsonl", "--batch-size", "7"], jsonl, check=0)
        self.assertPredicts(out_lines(p.stdout), reference()[:50])
        warnings = [l for l in p.stderr.splitlines() if "warning" in l]
        self.assertEqual(len(warnings), 1, p.stderr)
        self.assertIn("line 1: ignored key(s) 'id', 'label'", warnings[0])

    def test_without_names_objects_are_refused_unless_columns_lists_the_keys(self):
        rows = wine_rows()
        jsonl = "".join(json.dumps(dict(zip(NAMES, r)), sort_keys=True) + "\n" for r in rows)
        p = run([PLAIN, "--input-format", "jsonl"], jsonl, check=2)
        self.assertIn("line 1: a JSON object, but the bundle declares no feature names", p.stderr)
        self.assertEqual(p.stdout, "")
        p = run([PLAIN, "--input-format", "jsonl", "--columns", ",".join(NAMES)], jsonl, check=0)
        self.assertPredicts(out_lines(p.stdout), reference())

    def test_columns_that_contradict_the_names_are_a_usage_error(self):
        shuffled = NAMES[1:] + NAMES[:1]
        p = run([NAMED, "--columns", ",".join(shuffled)], "", check=1)
        self.assertIn("the bundle declares its features as 'alcohol'", p.stderr)
        p = run([NAMED, "--columns", ",".join(NAMES)], ",".join(NAMES) + "\n" + read(f"{FIX}/wine.csv"), check=0)
        self.assertPredicts(out_lines(p.stdout), reference())


class NonFiniteTest(Case):
    """NaN, infinity and numbers past float32 are bad rows, named by line and column."""

    def rows_with(self, bad):
        """wine.csv's first 8 rows with line 3's column 5 replaced by `bad`."""
        lines = read(f"{FIX}/wine.csv").splitlines()[:8]
        fields = lines[2].split(",")
        fields[4] = bad
        lines[2] = ",".join(fields)
        return "\n".join(lines) + "\n"

    def test_nan_and_infinity_are_bad_rows(self):
        for bad in ("nan", "NaN", "inf", "-inf", "Infinity"):
            with self.subTest(bad=bad):
                p = run([PLAIN], self.rows_with(bad), check=2)
                self.assertIn(f"line 3, column 5: '{bad}' is not a finite number", p.stderr)
                p = run([PLAIN, "--on-error", "skip"], self.rows_with(bad), check=0)
                got = out_lines(p.stdout)
                self.assertNaNLine(got[2], "line 3")
                self.assertPredicts(got[:2] + got[3:], reference()[:2] + reference()[3:8])

    def test_allow_nonfinite_passes_them_on(self):
        p = run([PLAIN, "--allow-nonfinite"], self.rows_with("inf"), check=0)
        self.assertEqual(summary(p.stderr), (8, 8, 0))
        got = out_lines(p.stdout)
        self.assertPredicts(got[:2] + got[3:], reference()[:2] + reference()[3:8])

    def test_numbers_outside_float32_are_bad_rows_even_when_nonfinite_is_allowed(self):
        for bad in ("1e39", "-1e400"):
            for extra in ([], ["--allow-nonfinite"]):
                with self.subTest(bad=bad, extra=extra):
                    p = run([PLAIN, *extra], self.rows_with(bad), check=2)
                    self.assertIn(f"line 3, column 5: '{bad}' is outside float32's range", p.stderr)

    def test_jsonl_numbers_past_float32_are_bad_rows(self):
        rows = wine_rows()[:3]
        rows[1][4] = 1e39
        jsonl = "".join(json.dumps(r) + "\n" for r in rows)
        p = run([PLAIN, "--input-format", "jsonl"], jsonl, check=2)
        self.assertIn("line 2, column 5:", p.stderr)
        self.assertIn("outside float32's range", p.stderr)


class QuotingTest(Case):
    """RFC 4180: quoted fields hold the delimiter, doubled quotes and newlines."""

    def test_quoted_text_columns_left_out_by_columns_do_not_shift_the_features(self):
        rows = wine_rows()
        names = ['"Smith, John"', '"say ""hi"", then go"', '"two\nlines"', "plain"]
        text = "".join(f"{names[i % 4]},{csv_line(r)}\n" for i, r in enumerate(rows))
        p = run([PLAIN, "--columns", "1-13"], text, check=0)
        self.assertPredicts(out_lines(p.stdout), reference())
        self.assertEqual(summary(p.stderr), (len(rows), len(rows), 0))

    def test_a_quoting_error_names_the_records_first_line(self):
        lines = ["a," + l for l in read(f"{FIX}/wine.csv").splitlines()[:5]]
        lines[2] = '"x\ny"z,' + lines[2][2:]  # a record over lines 3-4, with text after its closing quote
        p = run([PLAIN, "--columns", "1-13", "--on-error", "skip"], "\n".join(lines) + "\n", check=0)
        self.assertIn("skipped line 3, column 1: text after the closing quote of a quoted field", p.stderr)
        got = out_lines(p.stdout)
        self.assertEqual(len(got), 5)  # one line per record: the two-line record has one
        self.assertNaNLine(got[2], "record 3")
        self.assertPredicts(got[:2] + got[3:], reference()[:2] + reference()[3:5])

    def test_quoted_numbers_are_numbers(self):
        lines = read(f"{FIX}/wine.csv").splitlines()[:4]
        quoted = ["\"" + l.replace(",", "\",\"") + "\"" for l in lines]
        p = run([PLAIN], "\n".join(quoted) + "\n", check=0)
        self.assertPredicts(out_lines(p.stdout), reference()[:4])


class LinePerLineTest(Case):
    """Every input line after a header has its output line; a blank one a blank one."""

    def interleaved(self):
        lines = read(f"{FIX}/wine.csv").splitlines()[:40]
        out, expected = [], []
        for i, line in enumerate(lines):
            out.append(line)
            expected.append(i)
            if i % 7 == 3:
                out.append("" if i % 2 else "  \t\r")
                expected.append(None)
        return "\n".join(out) + "\n", expected

    def test_blank_lines_give_blank_lines_so_paste_aligns(self):
        text, expected = self.interleaved()
        for batch in ("1", "7", "64"):
            with self.subTest(batch=batch):
                p = run([PLAIN, "--batch-size", batch, "--threads", "2"], text, check=0)
                got = out_lines(p.stdout)
                self.assertEqual(len(got), len(expected))
                ref = reference()
                for g, e in zip(got, expected):
                    if e is None:
                        self.assertIsNone(g)
                    else:
                        self.assertPredicts([g], [ref[e]])
                blanks = expected.count(None)
                self.assertEqual(summary(p.stderr), (40, 40, 0))
                self.assertIn(f"blank lines {blanks}", p.stderr)

    def test_blank_lines_keep_their_place_when_bad_rows_are_dropped(self):
        w = read(f"{FIX}/wine.csv").splitlines()[:2]
        text = "\n".join([w[0], "", "1,2", w[1], ""]) + "\n"
        p = run([PLAIN, "--on-error", "drop"], text, check=0)
        self.assertIn("dropped line 3: expected 13 fields, found 2 (short row)", p.stderr)
        got = out_lines(p.stdout)
        self.assertEqual(len(got), 4)  # line 3 dropped, lines 2 and 5 blank
        self.assertPredicts([got[0], got[2]], reference()[:2])
        self.assertIsNone(got[1])
        self.assertIsNone(got[3])
        self.assertEqual(summary(p.stderr), (3, 2, 1))


if __name__ == "__main__":
    unittest.main()
