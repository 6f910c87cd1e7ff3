"""tfjs-run, the CLI: parity with tfjs in Node, row order and count, bad input, and accounting.

Run by ctest (cli_test) after build_fixtures; needs TFJS_RUN, FIXTURES_OUT and TFJS_RUN_SOURCE_DIR.
"""
import json
import os
import re
import subprocess
import signal
import tempfile
import time
import unittest

TFJS_RUN = os.environ["TFJS_RUN"]
FIX = os.environ["FIXTURES_OUT"]
SRC = os.environ["TFJS_RUN_SOURCE_DIR"]
TOL = 1e-5


def run(args, stdin_text, check=None):
    p = subprocess.run([TFJS_RUN, *args], input=stdin_text, capture_output=True, text=True, timeout=300)
    if check is not None:
        assert p.returncode == check, f"exit {p.returncode}, stderr:\n{p.stderr}"
    return p


def read(path):
    with open(path) as f:
        return f.read()


def parse_csv(text):
    return [[float(v) for v in line.split(",")] for line in text.splitlines() if line.strip()]


def firsts(stdout):
    """The first value of each output line, None for a skipped row's NaN line."""
    return [None if r[0] != r[0] else r[0] for r in parse_csv(stdout)]


def summary(stderr):
    m = re.search(r"rows read (\d+), predicted (\d+), rejected (\d+)", stderr)
    assert m, f"no summary in stderr:\n{stderr}"
    return tuple(int(x) for x in m.groups())


class ParityTest(unittest.TestCase):
    """Every output value equals tfjs-in-Node's within 1e-5, for each bundle kind."""

    def check(self, bundle, rows_file, extra=()):
        rows = read(f"{FIX}/{rows_file}")
        expected = parse_csv(read(f"{FIX}/ref-{bundle}.csv"))
        p = run([f"{FIX}/{bundle}.bundle.js", "--batch-size", "7", *extra], rows, check=0)
        got = parse_csv(p.stdout)
        self.assertEqual(len(got), len(expected))
        worst = 0.0
        for r, (g, e) in enumerate(zip(got, expected)):
            self.assertEqual(len(g), len(e), f"row {r}")
            for a, b in zip(g, e):
                worst = max(worst, abs(a - b))
        self.assertLessEqual(worst, TOL, f"{bundle}: max abs diff {worst}")
        self.assertEqual(summary(p.stderr), (len(expected), len(expected), 0))

    def test_layers_cpu(self):
        self.check("wine-layers-cpu", "wine.csv")

    def test_layers_wasm(self):
        self.check("wine-layers-wasm", "wine.csv")

    def test_graph_cpu(self):
        self.check("wine-graph-cpu", "wine.csv")

    def test_graph_wasm(self):
        self.check("wine-graph-wasm", "wine.csv")

    def test_tfjs_on_flink_bundle(self):
        self.check("legacy", "random.csv")

    def test_jsonl_in_and_out(self):
        rows = read(f"{FIX}/wine.csv")
        jsonl = "".join(json.dumps([float(v) for v in line.split(",")]) + "\n" for line in rows.splitlines())
        p = run([f"{FIX}/wine-layers-cpu.bundle.js", "--input-format", "jsonl", "--output-format", "jsonl"], jsonl, check=0)
        got = [json.loads(line) for line in p.stdout.splitlines()]
        expected = parse_csv(read(f"{FIX}/ref-wine-layers-cpu.csv"))
        self.assertEqual(len(got), len(expected))
        for g, e in zip(got, expected):
            for a, b in zip(g, e):
                self.assertLessEqual(abs(a - b), TOL)


class OrderTest(unittest.TestCase):
    """Output rows come out one per input row, in input order, whatever the batch size."""

    def test_batch_sizes_1_7_1000_keep_order_and_count(self):
        # The probe-like identity: each output row of the legacy model depends only on its input
        # row, so compare against single-row predictions of the same rows.
        rows = read(f"{FIX}/random.csv")
        expected = parse_csv(read(f"{FIX}/ref-legacy.csv"))
        for batch in ("1", "7", "1000"):
            with self.subTest(batch=batch):
                p = run([f"{FIX}/legacy.bundle.js", "--batch-size", batch], rows, check=0)
                got = parse_csv(p.stdout)
                self.assertEqual(len(got), len(expected))
                for r, (g, e) in enumerate(zip(got, expected)):
                    self.assertTrue(all(abs(a - b) <= TOL for a, b in zip(g, e)), f"batch {batch} row {r}")

    def test_threads_keep_input_order_and_match_tfjs(self):
        rows = read(f"{FIX}/wine.csv")
        expected = parse_csv(read(f"{FIX}/ref-wine-layers-wasm.csv"))
        for batch in ("1", "7", "1000"):
            with self.subTest(batch=batch):
                p = run([f"{FIX}/wine-layers-wasm.bundle.js", "--threads", "2", "--batch-size", batch, "--stats"], rows, check=0)
                got = parse_csv(p.stdout)
                self.assertEqual(len(got), len(expected))
                for r, (g, e) in enumerate(zip(got, expected)):
                    self.assertTrue(all(abs(a - b) <= TOL for a, b in zip(g, e)), f"batch {batch} row {r}")
                self.assertEqual(summary(p.stderr), (len(expected), len(expected), 0))
                worker_lines = [l for l in p.stderr.splitlines() if re.match(r"tfjs-run: stats: \d+ ", l)]
                self.assertEqual(len(worker_lines), 2, p.stderr)
                self.assertIn("latency p50", p.stderr)

    def test_probe_rows_come_back_in_order_with_threads(self):
        rows = "".join(f"{i + 0.25},{i * 0.5},1\n" for i in range(1000))
        for batch in ("1", "7", "1000"):
            p = run([f"{SRC}/tests/fixtures/probe.js", "--threads", "2", "--batch-size", batch, "--no-header",
                     "--max-batch-rows", "64"], rows, check=0)
            sums = [r[0] for r in parse_csv(p.stdout)]
            self.assertEqual(sums, [i + 0.25 + i * 0.5 + 1 for i in range(1000)])

    def test_probe_rows_come_back_in_order(self):
        # probe.js outputs each row's sum: a direct check that row i's answer is row i's.
        rows = "".join(f"{i + 0.25},{i * 0.5},1\n" for i in range(1000))  # (13 would make probe.js throw)
        for batch in ("1", "7", "1000"):
            p = run([f"{SRC}/tests/fixtures/probe.js", "--batch-size", batch, "--no-header"], rows, check=0)
            sums = [r[0] for r in parse_csv(p.stdout)]
            self.assertEqual(sums, [i + 0.25 + i * 0.5 + 1 for i in range(1000)])


class WineExampleTest(unittest.TestCase):
    def test_columns_pick_the_features_and_header_is_detected(self):
        data = read(f"{SRC}/examples/wine/data/wine.data")
        with_header = "class,f1,f2,f3,f4,f5,f6,f7,f8,f9,f10,f11,f12,f13\n" + data
        a = run([f"{FIX}/wine-layers-cpu.bundle.js", "--columns", "1-13"], data, check=0).stdout
        b = run([f"{FIX}/wine-layers-cpu.bundle.js", "--columns", "f1,f2,f3,f4,f5,f6,f7,f8,f9,f10,f11,f12,f13"],
                with_header, check=0).stdout
        self.assertEqual(a, b)
        got = parse_csv(a)
        labels = [int(line.split(",")[0]) for line in data.splitlines()]
        correct = sum(1 for p, y in zip(got, labels) if p.index(max(p)) + 1 == y)
        self.assertGreater(correct / len(labels), 0.9)


class BadInputTest(unittest.TestCase):
    BUNDLE = f"{FIX}/wine-layers-cpu.bundle.js"

    def good_rows(self, n):
        return "".join(read(f"{FIX}/wine.csv").splitlines(keepends=True)[:n])

    def test_text_in_a_number_stops_with_line_and_column_after_predicting_the_rows_before(self):
        rows = self.good_rows(3) + "13.2,abc" + ",1" * 11 + "\n" + self.good_rows(2)
        p = run([self.BUNDLE], rows, check=2)
        self.assertIn("line 4, column 2: 'abc' is not a number", p.stderr)
        self.assertEqual(len(parse_csv(p.stdout)), 3)
        self.assertEqual(summary(p.stderr), (4, 3, 1))

    def test_short_row(self):
        p = run([self.BUNDLE], self.good_rows(2) + "1,2,3\n", check=2)
        self.assertIn("line 3: expected 13 fields, found 3 (short row)", p.stderr)

    def test_empty_input_is_exit_0_with_no_output(self):
        p = run([self.BUNDLE], "", check=0)
        self.assertEqual(p.stdout, "")
        self.assertEqual(summary(p.stderr), (0, 0, 0))

    def test_skip_reports_each_bad_row_and_accounts_for_every_row(self):
        rows = self.good_rows(3) + "x" + ",1" * 12 + "\n" + self.good_rows(2) + "1,2\n"
        p = run([self.BUNDLE, "--on-error", "skip"], rows, check=0)
        self.assertIn("skipped line 4, column 1: 'x' is not a number", p.stderr)
        self.assertIn("skipped line 7: expected 13 fields, found 2", p.stderr)
        # One output line per input row: the skipped ones are NaN lines as wide as the output.
        out = parse_csv(p.stdout)
        self.assertEqual(len(out), 7)
        self.assertEqual([i for i, r in enumerate(out) if r[0] != r[0]], [3, 6])
        self.assertTrue(all(len(r) == 3 for r in out))
        self.assertEqual(summary(p.stderr), (7, 5, 2))
        p = run([self.BUNDLE, "--on-error", "drop"], rows, check=0)
        self.assertIn("dropped line 4, column 1: 'x' is not a number", p.stderr)
        self.assertEqual(len(parse_csv(p.stdout)), 5)
        self.assertEqual(summary(p.stderr), (7, 5, 2))

    def test_wrong_width_for_the_model_is_bad_input_with_its_line(self):
        p = run([self.BUNDLE], "1,2,3\n", check=2)
        self.assertIn("line 1: the row has 3 fields; the bundle 'wine-layers-cpu' takes 13", p.stderr)
        p = run([self.BUNDLE, "--columns", "0-2"], self.good_rows(4), check=2)
        self.assertIn("line 1: the row has 3 fields", p.stderr)
        rows = self.good_rows(2) + "1,2,3\n" + self.good_rows(1)
        p = run([self.BUNDLE, "--no-header"], rows, check=2)
        self.assertIn("error: line 3: expected 13 fields, found 3", p.stderr)
        self.assertEqual(len(parse_csv(p.stdout)), 2)
        p = run([self.BUNDLE, "--no-header", "--on-error", "skip"], rows, check=0)
        self.assertEqual([r[0] != r[0] for r in parse_csv(p.stdout)], [False, False, True, False])

    def test_a_model_that_throws_fails_the_batch_or_with_skip_only_its_row(self):
        rows = "1,1,1\n2,2,2\n13,0,0\n4,4,4\n"
        probe = f"{SRC}/tests/fixtures/probe.js"
        p = run([probe, "--batch-size", "10"], rows, check=3)
        self.assertIn("lines 1-4", p.stderr)
        self.assertIn("unlucky row 2", p.stderr)
        self.assertEqual(summary(p.stderr), (4, 0, 4))
        p = run([probe, "--batch-size", "10", "--on-error", "skip"], rows, check=0)
        self.assertEqual(firsts(p.stdout), [3, 6, None, 12])
        self.assertIn("skipped line 3:", p.stderr)
        self.assertEqual(summary(p.stderr), (4, 3, 1))

    def test_skip_finds_the_failing_rows_by_bisection_not_row_by_row(self):
        bad = {37, 512, 901}
        rows = "".join(("13,0,0\n" if i in bad else f"{i % 7},1,1\n") for i in range(1000))
        p = run([f"{SRC}/tests/fixtures/probe.js", "--batch-size", "1000", "--on-error", "skip", "--stats"], rows,
                check=0)
        self.assertEqual(firsts(p.stdout), [None if i in bad else i % 7 + 2 for i in range(1000)])
        for i in sorted(bad):
            self.assertIn(f"skipped line {i + 1}: ", p.stderr)
        self.assertEqual(summary(p.stderr), (1000, 997, 3))
        calls = sum(int(b) for b in re.findall(r"stats: \d+\s+\S+\s+\d+\s+\d+\s+(\d+)", p.stderr))
        self.assertGreater(calls, 0, p.stderr)
        self.assertLess(calls, 80, "predict calls: bisection needs ~2k*log2(n), row by row 1000")

    def test_the_skip_retry_budget_bounds_the_time_spent_finding_failing_rows(self):
        rows = "".join(("13,0,0\n" if i == 5 else f"{i},1,1\n") for i in range(40))
        p = run([f"{SRC}/tests/fixtures/probe.js", "--batch-size", "40", "--on-error", "skip",
                 "--skip-retry-seconds", "0"], rows, check=0)
        self.assertEqual(firsts(p.stdout), [None] * 40)
        self.assertEqual(summary(p.stderr), (40, 0, 40))
        self.assertIn("skipped line 40: not retried: the --skip-retry-seconds budget", p.stderr)


class PipelineTest(unittest.TestCase):
    """Parsing, prediction and formatting run on a pool in chunks (runtime/cli/pipeline.cc): the
    output must still answer input row N on line N, over many chunks and workers, with errors in
    any chunk, and memory must not grow with the input."""

    BUNDLE = f"{FIX}/wine-layers-wasm.bundle.js"

    def wine(self, copies):
        rows = read(f"{FIX}/wine.csv").splitlines()
        ref = parse_csv(read(f"{FIX}/ref-wine-layers-wasm.csv"))
        return [r for _ in range(copies) for r in rows], [r for _ in range(copies) for r in ref]

    def assert_close(self, got, expected):
        self.assertEqual(len(got), len(expected))
        for i, (g, e) in enumerate(zip(got, expected)):
            if e is None:
                self.assertTrue(all(v != v for v in g), f"row {i} should be a NaN line: {g}")
                continue
            self.assertEqual(len(g), len(e), f"row {i}")
            self.assertLess(max(abs(a - b) for a, b in zip(g, e)), TOL, f"row {i}")

    def test_many_chunks_on_two_workers_keep_input_order_and_match_node(self):
        rows, ref = self.wine(40)  # 7120 rows: 7 chunks of 1024 or more, in flight at once
        for batch in ("7", "256", "1000"):
            with self.subTest(batch=batch):
                p = run([self.BUNDLE, "--threads", "2", "--batch-size", batch], "\n".join(rows) + "\n", check=0)
                self.assert_close(parse_csv(p.stdout), ref)
                self.assertEqual(summary(p.stderr), (len(rows), len(rows), 0))

    def test_bad_rows_in_later_chunks_keep_their_places_and_name_their_lines(self):
        rows, ref = self.wine(30)
        bad = {0, 1023, 1024, 2999, 5339}  # chunk edges, the first and the last row
        for i in bad:
            rows[i] = "1,2,x" + ",1" * 10
            ref[i] = None
        p = run([self.BUNDLE, "--threads", "2", "--on-error", "skip"], "\n".join(rows) + "\n", check=0)
        self.assert_close(parse_csv(p.stdout), ref)
        for i in bad:
            self.assertIn(f"skipped line {i + 1}, column 3: 'x' is not a number", p.stderr)
        self.assertEqual(summary(p.stderr), (len(rows), len(rows) - len(bad), len(bad)))

    def test_a_bad_row_deep_in_the_input_stops_after_every_row_before_it(self):
        rows, ref = self.wine(30)
        rows[4000] = "1,2"
        p = run([self.BUNDLE, "--threads", "2", "--batch-size", "16"], "\n".join(rows) + "\n", check=2)
        self.assertIn("error: line 4001: expected 13 fields, found 2", p.stderr)
        self.assert_close(parse_csv(p.stdout), ref[:4000])
        self.assertEqual(summary(p.stderr), (4001, 4000, 1))

    @unittest.skipIf(os.environ.get("TFJS_RUN_SANITIZE"), "sanitizers add shadow memory and quarantine")
    def test_memory_does_not_grow_with_the_input(self):
        probe = f"{SRC}/tests/fixtures/probe.js"

        def peak_rss_mib(n):
            with tempfile.TemporaryFile("w+") as rows, open(os.devnull, "w") as sink:
                rows.writelines(f"{20 + i % 89},1,2\n" for i in range(n))  # never whole in this process
                rows.seek(0)
                p = subprocess.Popen([TFJS_RUN, probe, "--threads", "2", "--batch-size", "256", "-q"], stdin=rows,
                                     stdout=sink)
                _, status, usage = os.wait4(p.pid, 0)
                self.assertEqual(os.waitstatus_to_exitcode(status), 0)
                return usage.ru_maxrss / 1024

        small, large = peak_rss_mib(20_000), peak_rss_mib(2_000_000)
        # 2M rows are 12 MB of text, 24 MB of floats and about 30 MB of output: holding any of them
        # whole would show. The window holds 6 chunks of 256 rows.
        self.assertLess(large - small, 24, f"peak RSS {small:.0f} MiB for 20k rows, {large:.0f} MiB for 2M")


class MetricsFileTest(unittest.TestCase):
    """--metrics-file: the run's model in the Prometheus text format, with the counts the run had."""

    def test_the_metrics_file_counts_the_runs_rows_and_failed_requests(self):
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "tfjs-run.prom")
            rows = read(f"{FIX}/wine.csv")
            p = run([f"{FIX}/wine-layers-cpu.bundle.js", "--metrics-file", path], rows, check=0)
            self.assertEqual(summary(p.stderr), (178, 178, 0))
            text = read(path)
            self.assertFalse(os.path.exists(path + ".partial"))
            samples = {}
            for line in text.splitlines():
                if line.startswith("# "):
                    continue
                m = re.fullmatch(r'([a-z_]+)\{model="([^"]*)"(?:,([a-z]+)="([^"]*)")?\} (-?[0-9.e+-]+)', line)
                self.assertIsNotNone(m, line)
                samples[(m.group(1), m.group(3), m.group(4))] = float(m.group(5))
                self.assertEqual(m.group(2), "wine-layers-cpu")
            self.assertEqual(samples[("tfjs_run_rows_total", None, None)], 178)
            self.assertEqual(samples[("tfjs_run_request_errors_total", None, None)], 0)
            requests = samples[("tfjs_run_requests_total", None, None)]
            self.assertGreaterEqual(requests, 1)
            self.assertEqual(samples[("tfjs_run_request_duration_seconds_count", None, None)], requests)
            self.assertGreater(samples[("tfjs_run_request_duration_seconds_sum", None, None)], 0)
            self.assertGreater(samples[("tfjs_run_memory_bytes", None, None)], 1e5)
            self.assertIn(("tfjs_run_model_info", "version", "test-1"), samples)

    def test_an_unwritable_metrics_file_is_an_output_error(self):
        p = run([f"{FIX}/wine-layers-cpu.bundle.js", "--metrics-file", "/nonexistent-dir/m.prom"],
                read(f"{FIX}/wine.csv"), check=4)
        self.assertIn("writing --metrics-file /nonexistent-dir/m.prom failed", p.stderr)
        self.assertEqual(len(parse_csv(p.stdout)), 178)  # every answer still written


class DeadlineTest(unittest.TestCase):
    """A predict that never returns (tests/fixtures/hostile/predict-loops.js loops on a row starting
    with 13) is terminated at --predict-timeout-ms: the process lives and accounts for every row."""

    ROWS = "".join(("13,0,0\n" if i == 17 else f"{100 + i},1,1\n") for i in range(40))

    def test_one_poisoned_row_with_two_threads_is_skipped_and_every_other_row_answered(self):
        p = run([f"{SRC}/tests/fixtures/hostile/predict-loops.js", "--threads", "2", "--batch-size", "8",
                 "--predict-timeout-ms", "300", "--on-error", "skip", "--stats"], self.ROWS, check=0)
        self.assertEqual(firsts(p.stdout), [None if i == 17 else 102.0 + i for i in range(40)])
        self.assertIn("skipped line 18:", p.stderr)
        self.assertIn("300 ms deadline", p.stderr)
        self.assertEqual(summary(p.stderr), (40, 39, 1))
        self.assertIn("recycled", p.stderr)

    def test_without_skip_it_stops_with_the_timeout_after_writing_the_rows_before(self):
        p = run([f"{SRC}/tests/fixtures/hostile/predict-loops.js", "--threads", "2", "--batch-size", "8",
                 "--predict-timeout-ms", "300"], self.ROWS, check=3)
        self.assertIn("timeout error", p.stderr)
        self.assertIn("predict-loops", p.stderr)
        self.assertEqual([r[0] for r in parse_csv(p.stdout)], [102.0 + i for i in range(16)])

    def test_an_out_of_range_timeout_is_a_usage_error(self):
        p = run([f"{SRC}/tests/fixtures/hostile/predict-loops.js", "--predict-timeout-ms", "0"], "", check=1)
        self.assertIn("--predict-timeout-ms must be in", p.stderr)


class MemoryTest(unittest.TestCase):
    """Memory bombs (tests/fixtures/hostile/memory-bombs.js) among good rows: the bomb's row fails
    with a memory error, every other row is answered, the process lives, and its peak RSS stays
    under the stated bound: per worker, --max-heap-mb + 1088 MiB (V8's one-time headroom) +
    --max-buffer-mb, plus the process's own base."""

    HEAP, BUFFERS, HEADROOM, BASE = 64, 128, 1088, 256

    def run_measured(self, args, stdin_text):
        with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
            p = subprocess.Popen([TFJS_RUN, *args], stdin=subprocess.PIPE, stdout=out, stderr=err, text=True)
            p.stdin.write(stdin_text)
            p.stdin.close()
            _, status, usage = os.wait4(p.pid, 0)
            p.returncode = os.waitstatus_to_exitcode(status)
            out.seek(0)
            err.seek(0)
            return p.returncode, out.read(), err.read(), usage.ru_maxrss / 1024  # MiB

    def test_each_bomb_fails_alone_with_one_and_two_workers(self):
        for bomb in (21, 22, 23, 24):
            for threads in (1, 2):
                with self.subTest(bomb=bomb, threads=threads):
                    rows = "".join((f"{bomb},0,0\n" if i == 5 else f"{100 + i},1,1\n") for i in range(12))
                    code, out, err, rss = self.run_measured(
                        [f"{SRC}/tests/fixtures/hostile/memory-bombs.js", "--threads", str(threads),
                         "--batch-size", "4", "--max-heap-mb", str(self.HEAP), "--max-buffer-mb", str(self.BUFFERS),
                         "--on-error", "skip", "--stats"], rows)
                    self.assertEqual(code, 0, err)
                    self.assertEqual(firsts(out), [None if i == 5 else 102.0 + i for i in range(12)])
                    self.assertIn("skipped line 6: bundle 'memory-bombs' version 3: memory error", err)
                    self.assertEqual(summary(err), (12, 11, 1))
                    if not os.environ.get("TFJS_RUN_SANITIZE"):  # sanitizers add shadow memory and quarantine
                        bound = threads * (self.HEAP + self.HEADROOM + self.BUFFERS) + self.BASE
                        self.assertLess(rss, bound, f"peak RSS {rss:.0f} MiB")

    def test_without_skip_the_memory_error_stops_the_run_with_exit_3(self):
        rows = "1,2,3\n23,0,0\n4,5,6\n"
        p = run([f"{SRC}/tests/fixtures/hostile/memory-bombs.js", "--batch-size", "1", "--max-buffer-mb", "64"],
                rows, check=3)
        self.assertIn("line 2", p.stderr)
        self.assertIn("over the 64 MiB buffer budget", p.stderr)
        self.assertEqual(parse_csv(p.stdout), [[6.0]])

    def test_budget_options_are_range_checked(self):
        p = run([f"{SRC}/tests/fixtures/hostile/memory-bombs.js", "--max-heap-mb", "8"], "", check=1)
        self.assertIn("--max-heap-mb must be 0 or in [16, 1048576], got 8", p.stderr)


class HostileInputTest(unittest.TestCase):
    """Input and options that used to crash or mislead: each is a clear error, never a crash."""

    BUNDLE = f"{FIX}/wine-layers-cpu.bundle.js"

    def test_out_of_range_options_are_usage_errors(self):
        # The runtime options' ranges are the C++ structs' (RuntimeOptions::kWorkers and the like).
        for args, part in ((["--threads", "1025"], "--threads must be in [0, 1024], got 1025"),
                           (["--load-timeout-ms", "3600001"], "--load-timeout-ms must be in [1, 3600000]"),
                           (["--watch-timeout", "0", "--watch", "/nonexistent"], "--watch-timeout must be in [0.001, 3600]"),
                           (["--max-bundle-mb", "16385", "--watch", "/nonexistent"], "--max-bundle-mb must be in [1, 16384]"),
                           (["--batch-size", "18446744073709551615"], "--batch-size must be in"),
                           (["--columns", "0-4000000000"], "past the limit"),
                           (["--poll-interval", "0", "--watch", "/nonexistent"], "--poll-interval must be in"),
                           (["--max-line-bytes", "1"], "--max-line-bytes must be in"),
                           (["--spin-us", "1000001"], "--spin-us must be in [0, 1000000], got 1000001"),
                           (["--spin-us", "-1"], "--spin-us must be in [0, 1000000], got -1")):
            with self.subTest(args=args):
                p = run([self.BUNDLE, *args], "1,2\n", check=1)
                self.assertIn(part, p.stderr)

    def test_a_bom_and_a_typo_in_line_1_do_not_eat_a_row(self):
        rows = read(f"{FIX}/wine.csv")
        p = run([self.BUNDLE], "\ufeff" + rows, check=0)
        self.assertEqual(summary(p.stderr), (178, 178, 0))
        self.assertNotIn("header", p.stderr)
        first, rest = rows.split("\n", 1)
        typo = first.replace(",", ",x", 1)
        p = run([self.BUNDLE, "--on-error", "skip"], typo + "\n" + rest, check=0)
        self.assertEqual(summary(p.stderr), (178, 177, 1))
        self.assertIn("skipped line 1, column 2", p.stderr)

    def test_a_header_guess_is_said_on_stderr(self):
        p = run([self.BUNDLE], "a,b,c,d,e,f,g,h,i,j,k,l,m\n" + read(f"{FIX}/wine.csv"), check=0)
        self.assertIn("line 1 was taken as a header", p.stderr)
        self.assertEqual(summary(p.stderr), (178, 178, 0))

    def test_deep_json_and_an_overlong_line_are_bad_rows(self):
        row = json.dumps([float(v) for v in read(f"{FIX}/wine.csv").split("\n")[0].split(",")])
        lines = [row, "[" * 100000 + "]" * 100000, row, "[" + "1," * 200000 + "1]"]
        p = run([self.BUNDLE, "--input-format", "jsonl", "--on-error", "skip", "--max-line-bytes", "250000"],
                "\n".join(lines) + "\n", check=0)
        self.assertEqual(summary(p.stderr), (4, 2, 2))
        self.assertIn("skipped line 2: JSON nested deeper than 64 levels", p.stderr)
        self.assertIn("skipped line 4: line longer than 250000 bytes", p.stderr)

    def test_a_version_that_would_forge_rows_is_refused(self):
        p = run([f"{SRC}/tests/fixtures/hostile/version-forges-rows.js", "--with-version"], "1,2,3\n", check=3)
        self.assertIn("must be 1-128 characters of [A-Za-z0-9._-]", p.stderr)
        self.assertEqual(p.stdout, "")
        with tempfile.TemporaryDirectory() as pub:
            with open(f"{pub}/manifest.json", "w") as f:
                f.write('{"version": "2\\n1,1,1", "bundle": "b.js", "sha256": "' + "0" * 64 + '", "size": 1}')
            p = run(["--watch", pub], "1,2,3\n", check=3)
            self.assertIn("malformed manifest: 'version'", p.stderr)

    def test_watch_reads_regular_files_only(self):
        for kind in ("symlink-to-dev-zero", "fifo"):
            with self.subTest(kind=kind), tempfile.TemporaryDirectory() as pub:
                manifest = f"{pub}/manifest.json"
                if kind == "fifo":
                    os.mkfifo(manifest)
                else:
                    os.symlink("/dev/zero", manifest)
                start = time.time()
                p = run(["--watch", pub, "--watch-timeout", "5"], "1,2,3\n", check=3)
                self.assertIn("is not a regular file", p.stderr)
                self.assertLess(time.time() - start, 30)

    def test_sigterm_mid_stream_answers_every_row_read_and_prints_the_summary(self):
        p = subprocess.Popen([TFJS_RUN, self.BUNDLE, "--batch-size", "64"], stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        rows = read(f"{FIX}/wine.csv").splitlines()[:10]
        p.stdin.write("\n".join(rows) + "\n")
        p.stdin.flush()
        time.sleep(1.5)  # read, held for a fuller batch; stdin stays open
        p.send_signal(signal.SIGTERM)
        out, err = p.communicate(timeout=60)
        self.assertEqual(p.returncode, 128 + signal.SIGTERM, err)
        self.assertEqual(len(parse_csv(out)), 10)
        self.assertIn("SIGTERM: stopped reading input after line 10", err)
        self.assertEqual(summary(err), (10, 10, 0))


class BadBundleTest(unittest.TestCase):
    def test_each_bad_bundle_is_exit_3_with_a_clear_message(self):
        cases = {
            "syntax-error.js": "SyntaxError",
            "load-throws.js": "model.json could not be parsed",
            "load-never-resolves.js": "did not settle within 300 ms",
            "no-contract.js": "no known contract",
        }
        for name, part in cases.items():
            with self.subTest(bundle=name):
                p = run([f"{SRC}/tests/fixtures/bad/{name}", "--load-timeout-ms", "300"], "1,2\n", check=3)
                self.assertIn(part, p.stderr)
                self.assertEqual(p.stdout, "")

    def test_wrong_length_predict_is_exit_3(self):
        p = run([f"{SRC}/tests/fixtures/bad/wrong-length.js"], "1,2\n3,4\n", check=3)
        self.assertIn("returned 5 values for 2 rows", p.stderr)


class HelpTest(unittest.TestCase):
    def test_help_lists_every_option(self):
        p = run(["--help"], "", check=0)
        for opt in ("--input-format", "--header", "--no-header", "--delimiter", "--columns", "--output-format",
                    "--batch-size", "--on-error", "--load-timeout-ms", "--max-heap-mb", "--info", "--quiet",
                    "--threads", "--max-batch-rows", "--max-batch-delay", "--stats", "--code-cache",
                    "--predict-timeout-ms", "--spin-us", "--metrics-file"):
            self.assertIn(opt, p.stdout)

    def test_spin_us_defaults_to_the_runtimes_off_and_answers_the_same_values(self):
        p = run(["--help"], "", check=0)
        self.assertRegex(p.stdout, r"--spin-us arg[^\n]*\n(?:[^\n]*\n)*?[^\n]*\(default: 0\)")
        rows = read(f"{FIX}/wine.csv")
        plain = run([f"{FIX}/wine-layers-cpu.bundle.js", "--threads", "2"], rows, check=0)
        spinning = run([f"{FIX}/wine-layers-cpu.bundle.js", "--threads", "2", "--spin-us", "200"], rows, check=0)
        self.assertEqual(spinning.stdout, plain.stdout)
        self.assertEqual(len(spinning.stdout.splitlines()), 178)
        self.assertEqual(summary(spinning.stderr), (178, 178, 0))

    def test_info_prints_the_bundle_declaration(self):
        p = run([f"{FIX}/wine-layers-wasm.bundle.js", "--info"], "", check=0)
        info = json.loads(p.stdout)
        self.assertEqual((info["name"], info["backend"], info["input_cols"], info["output_cols"]),
                         ("wine-layers-wasm", "wasm", 13, 3))



class WatchTest(unittest.TestCase):
    """tfjs-run --watch DIR follows published versions while rows stream through it."""

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

    def publish(self, number, mode="ok"):
        subprocess.run(["bash", f"{SRC}/tools/publish-bundle.sh", self.make_bundle(number, mode), self.pub,
                        str(number)], check=True, capture_output=True)

    def setUp(self):
        self.dir = tempfile.mkdtemp()
        self.pub = os.path.join(self.dir, "published")

    def tearDown(self):
        import shutil
        shutil.rmtree(self.dir)

    def test_rows_streamed_during_a_publish_switch_versions_once_and_none_is_lost(self):
        import time
        self.publish(1)
        p = subprocess.Popen([TFJS_RUN, "--watch", self.pub, "--poll-interval", "0.05", "--with-version",
                              "--threads", "2", "--batch-size", "1", "--no-header"],
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        sent = 0
        for i in range(400):
            p.stdin.write(f"{i},1,1\n")
            p.stdin.flush()
            sent += 1
            if i == 150:
                self.publish(2)
            time.sleep(0.003)
        out, err = p.communicate(timeout=60)
        self.assertEqual(p.returncode, 0, err)
        lines = out.splitlines()
        self.assertEqual(len(lines), sent)
        versions = []
        for i, line in enumerate(lines):
            a, b, version = line.split(",")
            number = int(version)
            self.assertEqual(float(b), number)
            self.assertEqual(float(a), (i + 2) * 1000 + number, f"row {i}")  # row i, in order
            versions.append(number)
        self.assertEqual(versions[0], 1)
        self.assertEqual(versions[-1], 2, err)
        self.assertEqual(versions, sorted(versions))
        self.assertIn("serving version 2", err)

    def test_a_version_that_fails_real_rows_after_its_warm_up_is_rolled_back_and_no_row_fails(self):
        # Version 2 passes the zero-row warm-up, then throws on rows starting with 7: the first such
        # row in the grace window is answered by version 1, the runtime rolls back, and the watcher
        # does not take version 2 again.
        self.publish(1)
        p = subprocess.Popen([TFJS_RUN, "--watch", self.pub, "--poll-interval", "0.05", "--with-version",
                              "--threads", "2", "--batch-size", "1", "--no-header"],
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                             bufsize=1)
        lines = []
        def send(row):
            p.stdin.write(row + "\n")
            p.stdin.flush()
            lines.append(p.stdout.readline().strip())
        for i in range(5):
            send(f"{i},1,1")
        self.publish(2, "throws-on-7")
        deadline = time.monotonic() + 30
        while not lines[-1].endswith(",2") and time.monotonic() < deadline:
            send("1,1,1")
            time.sleep(0.02)
        self.assertTrue(lines[-1].endswith(",2"), "version 2 never went live")
        send("7,1,1")
        self.assertEqual(lines[-1], "9001,1,1")  # version 1's answer
        for i in range(20):
            send(f"7,{i},0")
            self.assertEqual(lines[-1], f"{(7 + i) * 1000 + 1},1,1")
        time.sleep(0.3)  # a few polls: version 2 is not taken again
        send("7,0,0")
        self.assertEqual(lines[-1], "7001,1,1")
        out, err = p.communicate(timeout=60)
        self.assertEqual(p.returncode, 0, err)
        self.assertEqual(out, "")
        self.assertIn("rolling back", err)
        self.assertRegex(err, r"serving version 1; .* 1 rolled back: version 2 rolled back to 1: .*fails on 7")
        self.assertEqual(summary(err)[1:], (len(lines), 0))

    def test_sigterm_during_a_slow_reload_exits_within_2s_with_every_row_answered(self):
        # Version 2's load() busy-loops for 30 s, under a 120 s load deadline. SIGTERM abandons
        # that load (its isolate is terminated), answers every row read (with one worker, the
        # rows queued behind the load too) and exits within 2 s.
        import threading
        for threads in ("1", "2"):
            with self.subTest(threads=threads):
                self.publish(1)
                p = subprocess.Popen([TFJS_RUN, "--watch", self.pub, "--poll-interval", "0.05", "--with-version",
                                      "--threads", threads, "--batch-size", "1", "--no-header",
                                      "--load-timeout-ms", "120000"],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                     text=True, bufsize=1)
                err = []
                reader = threading.Thread(target=lambda: err.extend(p.stderr))
                reader.start()
                for i in range(10):
                    p.stdin.write(f"{i},1,1\n")
                    p.stdin.flush()
                    self.assertEqual(p.stdout.readline().strip(), f"{(i + 2) * 1000 + 1},1,1")
                self.publish(2, "loads-slowly")
                deadline = time.monotonic() + 30
                while not any("loading slowly" in line for line in err) and time.monotonic() < deadline:
                    time.sleep(0.05)
                self.assertTrue(any("loading slowly" in line for line in err), "version 2 never started loading")
                for i in range(10, 20):  # with one worker, these wait behind the load
                    p.stdin.write(f"{i},1,1\n")
                p.stdin.flush()
                time.sleep(0.3)
                start = time.monotonic()
                p.send_signal(signal.SIGTERM)
                rest = p.stdout.read()  # stderr is the reader thread's
                p.wait(timeout=60)
                seconds = time.monotonic() - start
                p.stdin.close()
                reader.join()
                text = "".join(err)
                self.assertLess(seconds, 2.0, text)
                self.assertEqual(p.returncode, 128 + signal.SIGTERM, text)
                # Every row read is answered by version 1, in order (the reader stops taking rows when
                # the chunks in flight are at their bound, so not all 20 need have been read).
                read_rows = int(re.search(r"SIGTERM: stopped reading input after line (\d+)", text).group(1))
                self.assertGreater(read_rows, 10, "no row was waiting when the signal came: the test checked nothing")
                self.assertEqual(rest.splitlines(), [f"{(i + 2) * 1000 + 1},1,1" for i in range(10, read_rows)], text)
                self.assertEqual(summary(text), (read_rows, read_rows, 0))
                self.assertIn("serving version 1", text)
                self.tearDown()
                self.setUp()

    def test_a_broken_publish_is_reported_and_the_run_goes_on(self):
        import select
        import time
        self.publish(1)
        with open(os.path.join(self.pub, "manifest.json"), "w") as f:
            f.write('{"version": "2", "bundle": "missing.bundle.js", "sha256": "' + "0" * 64 + '", "size": 10}')
        p = subprocess.Popen([TFJS_RUN, self.make_bundle(1), "--watch", self.pub, "--poll-interval", "0.05",
                              "--with-version", "--no-header"],
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        p.stdin.write("".join(f"{i},1,1\n" for i in range(25)).encode())
        p.stdin.flush()
        # Keep the input open until the watcher has tried version 2: rows that all arrive at once
        # can be done before the first poll, and then there is no failure to report.
        err = b""
        deadline = time.monotonic() + 30
        while b"keeping version 1" not in err and time.monotonic() < deadline:
            ready, _, _ = select.select([p.stderr], [], [], 0.5)
            if ready:
                err += os.read(p.stderr.fileno(), 65536)
        self.assertIn(b"keeping version 1", err, "the watcher never reported the broken version 2")
        p.stdin.write("".join(f"{i},1,1\n" for i in range(25, 50)).encode())
        out, rest = p.communicate(timeout=60)
        err = (err + rest).decode()
        self.assertEqual(p.returncode, 0, err)
        self.assertEqual(len(out.decode().splitlines()), 50)
        self.assertTrue(all(line.endswith(",1") for line in out.decode().splitlines()))
        self.assertIn("version 2", err)
        self.assertRegex(err, r"watch: serving version 1; .* [1-9]\d* failures")


def wine_check_files(directory, ref="ref-wine-layers-cpu.csv"):
    """The user's own validation, as publish-bundle.sh --sample / --expect take it: wine rows of
    each class (the app-less model answers about [1, 0, 0] to every raw row, right for class 1
    only) and tfjs's answers to them."""
    rows = read(f"{FIX}/wine.csv").splitlines()
    answers = read(f"{FIX}/{ref}").splitlines()
    picked = [0, 60, 130, 61, 131]
    sample, expect = os.path.join(directory, "sample.csv"), os.path.join(directory, "expect.json")
    with open(sample, "w") as f:
        f.write("\n".join(rows[i] for i in picked) + "\n")
    with open(expect, "w") as f:
        json.dump([[float(v) for v in answers[i].split(",")] for i in picked], f)
    return sample, expect


class PublishTest(unittest.TestCase):
    """tools/publish-bundle.sh refuses what would make a bad manifest, and the runtime refuses a
    version whose answers disagree with the published expected ones."""

    def setUp(self):
        self.dir = tempfile.mkdtemp()
        self.pub = os.path.join(self.dir, "published")
        self.sample, self.expect = wine_check_files(self.dir)

    def tearDown(self):
        import shutil
        shutil.rmtree(self.dir)

    def publish(self, bundle, version, *args, check=0):
        p = subprocess.run(["bash", f"{SRC}/tools/publish-bundle.sh", *args, f"{FIX}/{bundle}.bundle.js", self.pub,
                            str(version)], capture_output=True, text=True, env={**os.environ, "TFJS_RUN": TFJS_RUN})
        self.assertEqual(p.returncode, check, p.stderr)
        return p

    def test_bad_samples_and_expectations_are_refused_and_nothing_is_published(self):
        bad_json = os.path.join(self.dir, "bad.json")
        with open(bad_json, "w") as f:
            f.write("[[1, 2,")
        cases = [
            (["--sample", bad_json], "the sample is not valid JSON"),
            (["--sample", self.expect], "the sample's rows have 3 values; the bundle (version 1) takes 13"),
            (["--sample", self.sample, "--expect", self.sample], "--expect rows have 13 values; the bundle (version 1) answers 3"),
            (["--expect", self.expect], "--expect needs the sample rows"),
            (["--sample", self.sample, "--expect", self.expect, "--tolerance", "nan"], "--tolerance"),
        ]
        for args, message in cases:
            with self.subTest(args=args):
                p = self.publish("wine-layers-cpu", 1, *args, check=1)
                self.assertIn(message, p.stderr)
                self.assertFalse(os.path.exists(os.path.join(self.pub, "manifest.json")))
        p = subprocess.run(["bash", f"{SRC}/tools/publish-bundle.sh", f"{FIX}/wine-layers-cpu.bundle.js", self.pub, "1",
                            "[[1,2,3,4,5,6,7,8,9,10,11,12,1e400]]"], capture_output=True, text=True,
                           env={**os.environ, "TFJS_RUN": TFJS_RUN})
        self.assertEqual(p.returncode, 1)
        self.assertIn("row 0, column 12", p.stderr)
        self.publish("wine-layers-cpu", 1, "--sample", self.sample, "--expect", self.expect, "--tolerance", "1e-5")
        with open(os.path.join(self.pub, "manifest.json")) as f:
            manifest = json.load(f)
        self.assertEqual(len(manifest["sample_input"]), 5)
        self.assertEqual(len(manifest["expected_output"]), 5)
        self.assertEqual(manifest["tolerance"], 1e-5)

    def test_a_watched_version_with_wrong_answers_is_refused_and_never_serves(self):
        self.publish("wine-layers-cpu", 1, "--sample", self.sample, "--expect", self.expect)
        p = subprocess.Popen([TFJS_RUN, "--watch", self.pub, "--poll-interval", "0.05", "--with-version"],
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                             bufsize=1)
        rows = read(f"{FIX}/wine.csv").splitlines()
        p.stdin.write(rows[0] + "\n")
        p.stdin.flush()
        p.stdout.readline()
        self.publish("wine-noapp", 2, "--sample", self.sample, "--expect", self.expect)
        time.sleep(3)  # many polls: version 2 is downloaded, warmed up and refused
        p.stdin.write("\n".join(rows[1:]) + "\n")
        out, err = p.communicate(timeout=120)
        self.assertEqual(p.returncode, 0, err)
        self.assertRegex(err, r"version 2: its warm-up answers disagree with the expected output on \d+ of 15 values")
        self.assertRegex(err, r"the first: sample row \d, column \d: got [-0-9.e]+, expected [-0-9.e]+")
        self.assertIn("serving version 1", err)
        expected = parse_csv(read(f"{FIX}/ref-wine-layers-cpu.csv"))
        lines = out.splitlines()
        self.assertEqual(len(lines), len(rows) - 1)
        for i, line in enumerate(lines):
            *values, version = line.split(",")
            self.assertEqual(version, "1", f"row {i + 1}")
            for a, b in zip(map(float, values), expected[i + 1]):
                self.assertLess(abs(a - b), TOL, f"row {i + 1}")

    def test_a_first_version_with_wrong_answers_never_serves(self):
        self.publish("wine-noapp", 1, "--sample", self.sample, "--expect", self.expect)
        p = run(["--watch", self.pub], read(f"{FIX}/wine.csv"), check=3)
        self.assertIn("version 1: its warm-up answers disagree with the expected output", p.stderr)
        self.assertEqual(p.stdout, "")


if __name__ == "__main__":
    unittest.main()
