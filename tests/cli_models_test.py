"""tfjs-run with several models: --model, --model-column, --model-config, and --watch BASE of a
multi-model layout (docs/publishing.md). Each row's answer is compared with what the same bundle
gives alone through the single-model CLI (cli_test checks that against tfjs in Node).

Run by ctest (cli_models_test) after build_fixtures; needs TFJS_RUN, FIXTURES_OUT and TFJS_RUN_SOURCE_DIR.
"""
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import unittest

TFJS_RUN = os.environ["TFJS_RUN"]
FIX = os.environ["FIXTURES_OUT"]
SRC = os.environ["TFJS_RUN_SOURCE_DIR"]
COMMON = ["--threads", "1", "--code-cache", "none"]


def run(args, stdin_text, check=None):
    p = subprocess.run([TFJS_RUN, *COMMON, *args], input=stdin_text, capture_output=True, text=True, timeout=300)
    if check is not None:
        assert p.returncode == check, f"exit {p.returncode}, stderr:\n{p.stderr}"
    return p


def data_lines(path, n, width=None):
    lines = [l for l in open(path).read().splitlines() if l.strip()][:n]
    return [",".join(l.split(",")[:width]) if width else l for l in lines]


# Three bundles of different widths and outputs: wine (13 -> 3), multi-out (6 -> 14), legacy
# (tf.js-on-flink, random.csv's width).
WINE = data_lines(f"{FIX}/wine.csv", 30)
MULTI = data_lines(f"{FIX}/random.csv", 30, 6)
LEGACY = data_lines(f"{FIX}/random.csv", 30)
BUNDLES = {"wine": "wine-layers-cpu", "multi": "multi-out", "legacy": "legacy"}
ROWS = {"wine": WINE, "multi": MULTI, "legacy": LEGACY}


def alone(model):
    """Each row of ROWS[model] answered by its bundle alone, through the single-model CLI."""
    p = run([f"{FIX}/{BUNDLES[model]}.bundle.js", "--no-header"], "\n".join(ROWS[model]) + "\n", check=0)
    return p.stdout.splitlines()


def interleaved():
    """(model, row) in a round-robin over the three models."""
    out = []
    for i in range(30):
        for model in ("wine", "multi", "legacy"):
            out.append((model, ROWS[model][i]))
    return out


def model_args():
    return [a for m, b in BUNDLES.items() for a in ("--model", f"{m}={FIX}/{b}.bundle.js")]


class SeveralModelsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.expected = {m: alone(m) for m in BUNDLES}

    def check_in_order(self, stdout, rows):
        got = stdout.splitlines()
        self.assertEqual(len(got), len(rows))
        seen = {m: 0 for m in BUNDLES}
        for i, (model, _) in enumerate(rows):
            self.assertEqual(got[i], self.expected[model][seen[model]], f"output line {i + 1} ({model})")
            seen[model] += 1

    def test_interleaved_csv_rows_are_answered_by_their_model_in_input_order(self):
        rows = interleaved()
        text = "".join(f"{m},{r}\n" for m, r in rows)
        p = run([*model_args(), "--model-column", "0", "--batch-size", "4"], text, check=0)
        self.check_in_order(p.stdout, rows)
        self.assertIn("rows read 90, predicted 90, rejected 0", p.stderr)
        for m in BUNDLES:
            self.assertRegex(p.stderr, rf"model {m}: rows 30, predicted 30, rejected 0")

    def test_many_chunks_of_uneven_mixes_blank_lines_and_bad_rows_come_out_in_input_order(self):
        # 5000 records, several of the CLI's chunks: each model's batch stays open across them
        # (and each model's first batch is cut short), so records wait for a later chunk's
        # answers; each is still written in its place, once, by its own model.
        records, expected = [], []
        seen = {m: 0 for m in BUNDLES}
        for i in range(5000):
            if i % 997 == 500:
                records.append("")
                expected.append("")
                continue
            if i % 1231 == 700:
                records.append("nosuch," + WINE[0])
                expected.append(None)  # skipped in place: a row of NaN
                continue
            k = (i * 7919) % 13
            model = "wine" if k < 8 else "multi" if k < 12 else "legacy"
            records.append(f"{model},{ROWS[model][seen[model] % 30]}")
            expected.append(self.expected[model][seen[model] % 30])
            seen[model] += 1
        p = run([*model_args(), "--model-column", "0", "--batch-size", "16", "--on-error", "skip"],
                "\n".join(records) + "\n", check=0)
        got = p.stdout.split("\n")[:-1]
        self.assertEqual(len(got), len(records))
        for i, (g, e) in enumerate(zip(got, expected)):
            if e is None:
                self.assertIn("nan", g.lower(), f"output line {i + 1}")
            else:
                self.assertEqual(g, e, f"output line {i + 1}")
        predicted = sum(seen.values())
        self.assertIn(f"predicted {predicted}, rejected {sum(e is None for e in expected)}", p.stderr)

    def test_on_shared_threads_the_answers_and_their_order_are_the_same(self):
        rows = interleaved()
        text = "".join(f"{m},{r}\n" for m, r in rows)
        p = run([*model_args(), "--model-column", "0", "--batch-size", "4", "--model-threads", "shared"], text, check=0)
        self.check_in_order(p.stdout, rows)
        p = run([*model_args(), "--model-column", "0", "--model-threads", "some"], text)
        self.assertEqual(p.returncode, 1)
        self.assertIn("--model-threads must be auto, per-model or shared, got 'some'", p.stderr)
        # auto (the default) with more models than serving threads: shared threads, the same answers.
        p = run([*model_args(), "--model-column", "0", "--batch-size", "4", "--threads", "1", "--log-level", "info"],
                text, check=0)
        self.check_in_order(p.stdout, rows)
        self.assertIn(f"{len(BUNDLES)} models on 1 shared serving thread", p.stderr)

    def test_the_model_column_by_header_name_anywhere_in_the_row(self):
        rows = interleaved()[:30]
        # The header names the model's column (the rows of each model have their own width).
        text = "which,a,b,c\n" + "".join(f"{m},{r}\n" for m, r in rows)
        p = run([*model_args(), "--model-column", "which", "--header"], text, check=0)
        self.check_in_order(p.stdout, rows)

    def test_json_lines_name_the_model_in_a_field(self):
        rows = [(m, r) for m, r in interleaved() if m != "legacy"][:20]
        # wine by array with the name at index 0; by object needs feature names or --columns: arrays here.
        text = "".join(json.dumps([m] + [float(v) for v in r.split(",")]) + "\n" for m, r in rows)
        p = run([*model_args(), "--model-column", "0", "--input-format", "jsonl"], text, check=0)
        self.check_in_order(p.stdout, rows)
        keys = [f"f{i}" for i in range(13)]
        objects = "".join(json.dumps({"model": "wine", **dict(zip(keys, map(float, r.split(","))))}) + "\n" for r in WINE[:5])
        p = run([*model_args(), "--model-column", "model", "--input-format", "jsonl", "--columns", ",".join(keys)],
                objects, check=0)
        self.assertEqual(p.stdout.splitlines(), self.expected["wine"][:5])

    def test_a_row_naming_an_unknown_model_is_a_bad_row_naming_its_line_and_the_model(self):
        rows = interleaved()[:9]
        text = "".join(f"{m},{r}\n" for m, r in rows[:4]) + "iris,1,2,3\n" + "".join(f"{m},{r}\n" for m, r in rows[4:])
        p = run([*model_args(), "--model-column", "0"], text, check=2)
        self.assertIn("tfjs-run: error: line 5: unknown model 'iris' (serving: legacy, multi, wine)", p.stderr)
        self.check_in_order(p.stdout, rows[:4])  # the rows before it are answered; reading stops there
        p = run([*model_args(), "--model-column", "0", "--on-error", "skip"], text, check=0)
        self.assertIn("tfjs-run: skipped line 5: unknown model 'iris'", p.stderr)
        got = p.stdout.splitlines()
        self.assertEqual(got[4], "nan")
        self.check_in_order("\n".join(got[:4] + got[5:]) + "\n", rows)
        self.assertIn("rows read 10, predicted 9, rejected 1", p.stderr)

    def test_a_row_of_the_wrong_width_for_its_model_names_the_model(self):
        p = run([*model_args(), "--model-column", "0"], f"wine,{MULTI[0]}\n", check=2)
        self.assertIn("line 1: the row has 6 features; the model 'wine' takes 13", p.stderr)

    def test_a_wrong_width_first_row_lets_the_model_settle_on_its_next_and_each_model_counts_its_own_rows(self):
        # wine's first row has multi's width: its parser, settled on that row, is set up anew on
        # the next. Over several chunks, a short wine row later is its parser's bad row, counted
        # as wine's; every other row is answered in its place by its model.
        records, expected = [f"wine,{MULTI[0]}"], [None]
        seen = {m: 0 for m in BUNDLES}
        for i in range(3000):
            if i == 1500:
                records.append("wine," + ",".join(WINE[0].split(",")[:5]))
                expected.append(None)
                continue
            model = ("wine", "multi", "legacy")[i % 3]
            records.append(f"{model},{ROWS[model][seen[model] % 30]}")
            expected.append(self.expected[model][seen[model] % 30])
            seen[model] += 1
        p = run([*model_args(), "--model-column", "0", "--batch-size", "8", "--on-error", "skip"],
                "\n".join(records) + "\n", check=0)
        got = p.stdout.split("\n")[:-1]
        self.assertEqual(len(got), len(records))
        for i, (g, e) in enumerate(zip(got, expected)):
            self.assertEqual(g, "nan,nan,nan" if e is None else e, f"output line {i + 1}")
        self.assertIn("line 1: the row has 6 features; the model 'wine' takes 13", p.stderr)
        self.assertIn("line 1502: model 'wine': expected 14 fields, found 6 (short row)", p.stderr)
        self.assertIn("rows read 3001, predicted 2999, rejected 2", p.stderr)
        self.assertRegex(p.stderr, r"model wine: rows 999, predicted 999, rejected 1;")
        self.assertRegex(p.stderr, r"model multi: rows 1000, predicted 1000, rejected 0;")
        self.assertRegex(p.stderr, r"model legacy: rows 1000, predicted 1000, rejected 0;")

    def test_metrics_file_holds_every_model(self):
        with tempfile.TemporaryDirectory() as d:
            rows = interleaved()[:12]
            run([*model_args(), "--model-column", "0", "--metrics-file", f"{d}/m.prom"],
                "".join(f"{m},{r}\n" for m, r in rows), check=0)
            with open(f"{d}/m.prom") as f:
                text = f.read()
            for m in BUNDLES:
                self.assertIn(f'model="{m}"', text)

    def test_with_several_models_each_gets_its_share_of_the_cores_not_a_worker_per_core(self):
        cpus = len(os.sched_getaffinity(0))
        with tempfile.TemporaryDirectory() as d:
            # (models, --model-threads, workers each): per-model, a share of the cores; shared (auto's
            # choice with more models than cores), an isolate on each of the cores' serving threads.
            for n, threads, each in ((1, "auto", cpus), (3, "per-model", max(1, cpus // 3)),
                                     (cpus + 1, "auto", cpus), (3, "shared", cpus)):
                args = [a for k in range(n) for a in ("--model", f"m{k}={FIX}/wine-layers-cpu.bundle.js")]
                p = subprocess.run([TFJS_RUN, "--code-cache", "none", *args, "--model-column", "0",
                                    "--model-threads", threads, "--metrics-file", f"{d}/m.prom"],
                                   input=f"m0,{WINE[0]}\n", capture_output=True, text=True, timeout=300)
                self.assertEqual(p.returncode, 0, p.stderr)
                self.assertEqual(f"on {cpus} shared serving thread" in p.stderr, threads == "shared" or (threads == "auto" and n > cpus),
                                 p.stderr)
                workers = re.findall(r'^tfjs_run_workers\{model="(m\d+)"\} (\d+)$', open(f"{d}/m.prom").read(), re.M)
                self.assertEqual(len(workers), n)
                for model, count in workers:
                    self.assertEqual(int(count), each, f"{n} models, {threads}: {model}")

    def test_usage_errors(self):
        p = run([*model_args()], "", check=1)
        self.assertIn("several models need --model-column", p.stderr)
        p = run(["--model", "wine"], "", check=1)
        self.assertIn("--model must be NAME=SOURCE, got 'wine'", p.stderr)
        p = run(["--model", f"a={FIX}/wine-layers-cpu.bundle.js", "--model", f"a={FIX}/legacy.bundle.js",
                 "--model-column", "0"], "", check=1)
        self.assertIn("the model 'a' is given twice", p.stderr)


class FeatureNamesTest(unittest.TestCase):
    """Each model's rows are read by the single-model CLI's rules: a header is matched to the bundle's
    declared feature names, never taken in its own order."""

    NAMES = ["alcohol", "malic_acid", "ash", "alcalinity_of_ash", "magnesium", "total_phenols", "flavanoids",
             "nonflavanoid_phenols", "proanthocyanins", "color_intensity", "hue", "od280_od315", "proline"]

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="cli-models-names-")
        cls.named = os.path.join(cls.tmp, "wine-named.bundle.js")
        wine = f"{SRC}/examples/wine"
        subprocess.run(["node", f"{SRC}/model-bundler/bin/model-bundler.js", "--model", f"{wine}/model/model.json",
                        "--app", f"{wine}/app.js", "--backend", "cpu", "--name", "wine-named", "--version", "test-1",
                        "--feature-names", ",".join(cls.NAMES), "-o", cls.named],
                       check=True, capture_output=True, env={**os.environ, "NODE_NO_WARNINGS": "1"}, timeout=300)
        cls.multi = alone("multi")

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def models(self):
        return ["--model", f"named={self.named}", "--model", f"multi={FIX}/multi-out.bundle.js"]

    def table(self, names, n=20):
        """A header of `names` with the model's column in the middle, then named and multi rows in turn;
        each named row's values are put under their names."""
        header = names[:5] + ["which"] + names[5:]
        lines = [",".join(header)]
        for i in range(n):
            values = dict(zip(self.NAMES, WINE[i].split(",")))
            fields = [values.get(h, "x") for h in header]
            fields[5] = "named"
            lines.append(",".join(fields))
            multi = MULTI[i].split(",")  # the model's name in the same column, its own width
            lines.append(",".join(multi[:5] + ["multi"] + multi[5:]))
        return "\n".join(lines) + "\n"

    def test_a_header_in_another_order_than_the_models_is_matched_by_name(self):
        order = list(reversed(self.NAMES)) + ["note"]
        p = run([*self.models(), "--model-column", "which"], self.table(order), check=0)
        got = p.stdout.splitlines()
        # The same input through the single-model CLI, and the rows in the declared order.
        single = "\n".join([",".join(order)] + [",".join(dict(zip(self.NAMES, r.split(","))).get(h, "x") for h in order)
                                                 for r in WINE[:20]]) + "\n"
        expected = run([self.named], single, check=0).stdout.splitlines()
        self.assertEqual(expected, run([self.named, "--no-header"], "\n".join(WINE[:20]) + "\n", check=0).stdout.splitlines())
        self.assertEqual(got[0::2], expected)
        self.assertEqual(got[1::2], self.multi[:20])
        self.assertIn("model named: rows 20, predicted 20, rejected 0", p.stderr)

    def test_header_columns_and_json_keys_that_are_no_features_are_warned_of_per_model_never_the_model_column(self):
        order = self.NAMES + ["note"]
        p = run([*self.models(), "--model-column", "which"], self.table(order), check=0)
        self.assertIn("warning: model 'named': the header's column(s) 'note' are not features of its bundle: ignored",
                      p.stderr)
        self.assertNotIn("'which'", p.stderr)
        p = run([*self.models(), "--model-column", "which"], self.table(self.NAMES + ["bell\x07\x1b[2J"]), check=0)
        self.assertIn("the header's column(s) 'bell", p.stderr)
        self.assertNotIn("\x07", p.stderr)  # escaped: an input cannot write control characters to stderr
        self.assertNotIn("\x1b", p.stderr)
        rows = [dict(zip(self.NAMES, map(float, r.split(","))), which="named", extra=1) for r in WINE[:3]]
        text = "".join(json.dumps(r) + "\n" for r in rows)
        p = run([*self.models(), "--model-column", "which", "--input-format", "jsonl"], text, check=0)
        self.assertIn("line 1: model 'named': ignored key(s) 'extra', not features of its bundle", p.stderr)
        self.assertEqual(p.stderr.count("ignored key(s)"), 1, p.stderr)
        self.assertNotIn("'which'", p.stderr)

    def test_json_objects_with_sorted_keys_are_read_by_the_feature_names(self):
        rows = [dict(zip(self.NAMES, map(float, r.split(","))), which="named") for r in WINE[:10]]
        text = "".join(json.dumps(r, sort_keys=True) + "\n" for r in rows)
        p = run([*self.models(), "--model-column", "which", "--input-format", "jsonl"], text, check=0)
        expected = run([self.named, "--no-header"], "\n".join(WINE[:10]) + "\n", check=0).stdout.splitlines()
        self.assertEqual(p.stdout.splitlines(), expected)

    def test_a_missing_feature_name_is_a_bad_row_naming_it_and_the_model(self):
        p = run([*self.models(), "--model-column", "which"], self.table(self.NAMES[:-1], 2), check=2)
        self.assertIn("tfjs-run: error: line 2: model 'named': the header has no column 'proline', a feature of the bundle",
                      p.stderr)
        self.assertEqual(p.stdout, "")
        p = run([*self.models(), "--model-column", "which", "--on-error", "drop"], self.table(self.NAMES[:-1], 2), check=0)
        self.assertEqual(p.stdout.splitlines(), self.multi[:2])  # the other model's rows are answered
        self.assertIn("model 'named': the header has no column 'proline'", p.stderr)


class ModelConfigTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp()

    def tearDown(self):
        shutil.rmtree(self.dir)

    def write(self, config):
        path = os.path.join(self.dir, "models.json")
        with open(path, "w") as f:
            f.write(config if isinstance(config, str) else json.dumps(config))
        return path

    def test_a_config_file_serves_its_models_with_their_options(self):
        shutil.copy(f"{FIX}/wine-layers-cpu.bundle.js", self.dir)
        path = self.write({"models": [{"name": "wine", "source": "wine-layers-cpu.bundle.js", "workers": 1},
                                      {"name": "multi", "source": f"{FIX}/multi-out.bundle.js"}]})
        text = "".join(f"wine,{r}\nmulti,{m}\n" for r, m in zip(WINE[:5], MULTI[:5]))
        p = run(["--model-config", path, "--model-column", "0"], text, check=0)
        expected = [x for pair in zip(alone("wine")[:5], alone("multi")[:5]) for x in pair]
        self.assertEqual(p.stdout.splitlines(), expected)

    def test_config_errors_name_the_file_the_model_and_the_field(self):
        cases = [
            ("{", "models.json: not valid JSON"),
            ({"models": [{"name": "w"}]}, "models[0] (model 'w'): 'source' must be a non-empty string"),
            ({"models": [{"name": "w", "source": "x.js", "version_policy": "newest"}]},
             "(model 'w'): 'version_policy' must be \"latest\" or {\"specific\": \"VERSION\"}"),
            ({"models": [{"name": "w", "source": f"{FIX}/legacy.bundle.js", "version_policy": {"specific": "2"}}]},
             "(model 'w'): a specific version needs a published layout"),
            ({"models": [{"name": "w", "source": "x.js", "workers": 5000}]}, "'workers' must be an integer in [0, 1024]"),
        ]
        for config, message in cases:
            path = self.write(config)
            p = run(["--model-config", path, "--model-column", "0"], "", check=1)
            self.assertIn(f"--model-config {path}", p.stderr)
            self.assertIn(message, p.stderr)

    def test_a_model_that_does_not_load_names_itself(self):
        path = self.write({"models": [{"name": "gone", "source": f"{self.dir}/missing.bundle.js"}]})
        p = run(["--model-config", path, "--model-column", "0"], "", check=3)
        self.assertIn("model 'gone': ", p.stderr)
        self.assertIn("missing.bundle.js", p.stderr)


class LayoutWatchTest(unittest.TestCase):
    """--watch BASE --model-column follows a multi-model layout over HTTP (fixture_server.py)."""

    def make_bundle(self, number, mode="ok"):
        with open(f"{SRC}/tests/fixtures/versioned.js.in") as f:
            text = f.read()
        for key, value in (("__VERSION__", str(number)), ("__NUMBER__", str(number)), ("__MODE__", mode),
                           ("__BALLAST__", "16")):
            text = text.replace(key, value)
        path = os.path.join(self.dir, f"staging-{number}.js")
        with open(path, "w") as f:
            f.write(text)
        return path

    def publish(self, model, number, bundle=None, checked=True):
        subprocess.run(["bash", f"{SRC}/tools/publish-bundle.sh", "--model", model, *([] if checked else ["--no-load-check"]),
                        bundle or self.make_bundle(number), self.pub, str(number)], check=True, capture_output=True)

    def setUp(self):
        self.dir = tempfile.mkdtemp()
        self.pub = os.path.join(self.dir, "published")
        os.makedirs(self.pub)
        self.server = subprocess.Popen([sys.executable, f"{SRC}/tests/fixture_server.py", self.pub],
                                       stdout=subprocess.PIPE, text=True)
        self.url = f"http://127.0.0.1:{self.server.stdout.readline().split()[1]}"

    def tearDown(self):
        self.server.terminate()
        self.server.wait()
        self.server.stdout.close()
        shutil.rmtree(self.dir)

    def set_models(self, models):
        with open(f"{self.pub}/.models.json.tmp", "w") as f:
            json.dump({"models": models}, f)
        os.rename(f"{self.pub}/.models.json.tmp", f"{self.pub}/models.json")

    def test_models_versions_and_a_specific_version_policy_over_http(self):
        self.publish("a", 1)
        self.publish("a", 2)  # a serves its latest, 2
        self.publish("b", 1)
        self.publish("b", 2)
        self.set_models([{"name": "a"}, {"name": "b", "version_policy": {"specific": "1"}}])  # b stays at 1
        p = subprocess.Popen([TFJS_RUN, *COMMON, "--watch", self.url, "--model-column", "0", "--poll-interval", "0.05",
                              "--with-version", "--batch-size", "1", "--no-header", "--on-error", "skip"],
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        sent = []

        def send(model, i):
            p.stdin.write(f"{model},{i},1,1\n")
            p.stdin.flush()
            sent.append((model, i))

        for i in range(20):
            send("a" if i % 2 else "b", i)
        self.publish("a", 3)  # published mid-run: a switches to 3; b stays at its specific 1
        self.publish("c", 1)  # c joins models.json mid-run
        deadline = time.time() + 30
        while time.time() < deadline:
            send("a", 100)
            send("c", 100)
            time.sleep(0.05)
            if len(sent) > 400:
                break
        send("b", 7)
        out, err = p.communicate(timeout=60)
        self.assertEqual(p.returncode, 0, err)
        lines = out.splitlines()
        self.assertEqual(len(lines), len(sent), err)
        versions = {"a": [], "b": [], "c": []}
        for (model, i), line in zip(sent, lines):
            if line.startswith("nan"):  # c before it was added: an unknown model, skipped
                self.assertEqual(model, "c", line)
                continue
            value, number, version = line.split(",")
            self.assertEqual(float(value), (i + 2) * 1000 + int(version), f"{model} row {i}")
            versions[model].append(int(version))
        self.assertEqual(set(versions["b"]), {1}, "the specific version policy serves exactly version 1")
        # a serves 2 first, unless the run was still loading when 3 was published (a slow start,
        # as under TSan): then it starts at 3. Either way it never goes back.
        self.assertIn(versions["a"][0], (2, 3))
        self.assertEqual(versions["a"][-1], 3, err)
        self.assertEqual(versions["a"], sorted(versions["a"]))
        self.assertTrue(versions["c"], f"c was never served:\n{err}")
        self.assertIn("unknown model 'c'", err)

    def test_a_model_removed_from_models_json_is_no_longer_served_and_a_broken_one_names_itself(self):
        self.publish("a", 1)
        self.publish("b", 1)
        with open(os.path.join(self.dir, "broken.js"), "w") as f:
            f.write("this is not javascript (")
        subprocess.run(["bash", f"{SRC}/tools/publish-bundle.sh", "--model", "broken", "--no-load-check",
                        os.path.join(self.dir, "broken.js"), self.pub, "1"], check=True, capture_output=True)
        p = subprocess.Popen([TFJS_RUN, *COMMON, "--watch", self.url, "--model-column", "0", "--poll-interval", "0.05",
                              "--batch-size", "1", "--no-header", "--on-error", "skip"],
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        p.stdin.write("a,1,1,1\nb,1,1,1\n")
        p.stdin.flush()
        first = [p.stdout.readline().strip(), p.stdout.readline().strip()]  # both served
        self.set_models([{"name": "a"}])
        time.sleep(1.5)
        p.stdin.write("a,2,1,1\nb,2,1,1\n")
        out, err = p.communicate(timeout=60)
        self.assertEqual(p.returncode, 0, err)
        lines = first + out.splitlines()
        self.assertEqual(lines, ["3001,1", "3001,1", "4001,1", "nan"], err)
        self.assertIn("line 4: unknown model 'b' (serving: a)", err)
        self.assertIn("model broken", err)
        self.assertIn("failed to load", err)


if __name__ == "__main__":
    unittest.main()

    def test_sigterm_during_a_slow_reload_exits_promptly_with_every_row_answered(self):
        # a's version 2 loads for 30 s (under a 120 s load deadline). SIGTERM abandons that load;
        # every row read is answered, a's by version 1 (queued behind the load: one worker), and
        # the run exits within 2 s, as the single-model run does.
        import signal
        import threading
        self.publish("a", 1)
        self.publish("b", 1)
        p = subprocess.Popen([TFJS_RUN, *COMMON, "--watch", self.url, "--model-column", "0", "--poll-interval", "0.05",
                              "--with-version", "--batch-size", "1", "--no-header", "--load-timeout-ms", "120000"],
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, bufsize=1)
        err = []
        reader = threading.Thread(target=lambda: err.extend(p.stderr))
        reader.start()
        for i in range(10):
            p.stdin.write(f"{'ab'[i % 2]},{i},1,1\n")
            p.stdin.flush()
            self.assertEqual(p.stdout.readline().strip(), f"{(i + 2) * 1000 + 1},1,1")
        self.publish("a", 2, self.make_bundle(2, "loads-slowly"), checked=False)
        deadline = time.monotonic() + 30
        while not any("loading slowly" in line for line in err) and time.monotonic() < deadline:
            time.sleep(0.05)
        self.assertTrue(any("loading slowly" in line for line in err), "version 2 never started loading")
        for i in range(10, 20):
            p.stdin.write(f"{'ab'[i % 2]},{i},1,1\n")
        p.stdin.flush()
        time.sleep(0.3)
        start = time.monotonic()
        p.send_signal(signal.SIGTERM)
        rest = p.stdout.read()
        p.wait(timeout=60)
        seconds = time.monotonic() - start
        p.stdin.close()
        reader.join()
        text = "".join(err)
        self.assertLess(seconds, 2.0, text)
        self.assertEqual(p.returncode, 128 + signal.SIGTERM, text)
        read_rows = int(re.search(r"SIGTERM: stopped reading input after line (\d+)", text).group(1))
        self.assertGreater(read_rows, 10, "no row was waiting when the signal came: the test checked nothing")
        self.assertEqual(rest.splitlines(), [f"{(i + 2) * 1000 + 1},1,1" for i in range(10, read_rows)], text)
        self.assertIn(f"rows read {read_rows}, predicted {read_rows}, rejected 0", text)
