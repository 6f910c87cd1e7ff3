"""tfjs-run, the CLI's manners: input files read like cat, a closed output pipe, byte-safe
messages, --version, --log-level and -q, option errors that name the option, and the live
progress line (only on a terminal). Predictions are compared with tfjs in Node (the fixtures'
references) to 1e-5.

Run by ctest (cli_manners_test) after build_fixtures; needs TFJS_RUN, FIXTURES_OUT and TFJS_RUN_SOURCE_DIR.
"""
import os
import pty
import re
import select
import shutil
import subprocess
import tempfile
import time
import unittest

from cli_test import FIX, TFJS_RUN, TOL, parse_csv, read, run, summary

BUNDLE = f"{FIX}/wine-layers-cpu.bundle.js"
HEADER = "alcohol,malic_acid,ash,alcalinity,magnesium,phenols,flavanoids,nonflav,proanth,color,hue,od280,proline\n"


def wine_lines():
    return read(f"{FIX}/wine.csv").splitlines(keepends=True)


def reference():
    return parse_csv(read(f"{FIX}/ref-wine-layers-cpu.csv"))


class Case(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="cli-manners-")

    def tearDown(self):
        shutil.rmtree(self.dir, ignore_errors=True)

    def file(self, name, text, mode="w"):
        path = os.path.join(self.dir, name)
        with open(path, mode) as f:
            f.write(text)
        return path

    def bundle(self, name, js):
        return self.file(name, js)

    def assertPredicts(self, got, expected):
        self.assertEqual(len(got), len(expected))
        for i, (g, e) in enumerate(zip(got, expected)):
            for a, b in zip(g, e):
                self.assertAlmostEqual(a, b, delta=TOL, msg=f"row {i}")


class InputFilesTest(Case):
    def test_files_are_read_in_order_like_cat_and_dash_is_stdin(self):
        lines, ref = wine_lines(), reference()
        a = self.file("a.csv", "".join(lines[:50]))
        c = self.file("c.csv", "".join(lines[120:]))
        p = run([BUNDLE, a, "-", c], "".join(lines[50:120]), check=0)
        self.assertPredicts(parse_csv(p.stdout), ref)
        self.assertEqual(summary(p.stderr), (len(lines), len(lines), 0))

    def test_a_file_without_a_final_newline_ends_its_line_there(self):
        lines, ref = wine_lines(), reference()
        a = self.file("a.csv", "".join(lines[:3]).rstrip("\n"))
        b = self.file("b.csv", "".join(lines[3:6]))
        p = run([BUNDLE, a, b], "", check=0)
        self.assertPredicts(parse_csv(p.stdout), ref[:6])

    def test_a_header_repeated_at_the_top_of_each_file_is_a_header_and_errors_name_the_file(self):
        lines, ref = wine_lines(), reference()
        a = self.file("a.csv", HEADER + "".join(lines[:4]))
        b = self.file("b.csv", HEADER + "".join(lines[4:8]) + "1,x" + ",1" * 11 + "\n" + lines[8])
        p = run([BUNDLE, a, b, "--on-error", "skip"], "", check=0)
        out = p.stdout.splitlines()
        self.assertEqual(len(out), 10)  # one line per data line: the headers give none
        self.assertPredicts(parse_csv("\n".join(out[:8] + out[9:])), ref[:9])
        self.assertEqual(out[8], "nan,nan,nan")
        self.assertIn(f"skipped {b} line 6, column 2: 'x' is not a number", p.stderr)
        self.assertEqual(summary(p.stderr), (10, 9, 1))

    def test_a_missing_file_or_a_directory_fails_before_loading_naming_it(self):
        good = self.file("good.csv", "".join(wine_lines()[:2]))
        for bad, why in ((os.path.join(self.dir, "missing.csv"), "No such file or directory"),
                         (self.dir, "Is a directory")):
            with self.subTest(bad=bad):
                p = run([BUNDLE, good, bad], "", check=2)
                self.assertIn(f"cannot read input {bad}: {why}", p.stderr)
                self.assertEqual(p.stdout, "")

    def test_empty_input_and_empty_files_are_exit_0_with_no_output(self):
        empty = self.file("empty.csv", "")
        for args, stdin in (([BUNDLE], ""), ([BUNDLE, empty, empty], "")):
            with self.subTest(args=args):
                p = run(args, stdin, check=0)
                self.assertEqual(p.stdout, "")

    def test_an_unknown_option_is_a_usage_error(self):
        p = run([BUNDLE, "--frobnicate"], "", check=1)
        self.assertIn("frobnicate", p.stderr)


class PipeTest(Case):
    def test_a_closed_output_pipe_ends_the_run_promptly_with_exit_4_and_the_summary(self):
        row = wine_lines()[0]
        rows = self.file("rows.csv", row * 200000)
        start = time.monotonic()
        p = subprocess.run(["bash", "-c", f'"{TFJS_RUN}" "{BUNDLE}" "{rows}" | head -1; '
                                          'echo "status=${PIPESTATUS[0]}" >&2'],
                           capture_output=True, text=True, timeout=120)
        took = time.monotonic() - start
        self.assertIn("status=4", p.stderr)
        self.assertIn("writing the output failed (Broken pipe)", p.stderr)
        read_, predicted, rejected = summary(p.stderr)
        self.assertLess(read_, 200000)  # it stopped reading
        m = re.search(r"not processed after the error (\d+)", p.stderr)
        self.assertEqual(predicted + rejected + (int(m.group(1)) if m else 0), read_, p.stderr)
        self.assertPredicts(parse_csv(p.stdout), reference()[:1])
        self.assertLess(took, 20)


class MessagesTest(Case):
    def test_nul_bytes_in_rows_give_whole_reports_for_every_row(self):
        rows = "1\x002" + ",1" * 12 + "\n" + "1,2\x00\x00" + ",1" * 11 + "\n" + "\x00\x1b[31m" + ",1" * 12 + "\n"
        p = run([BUNDLE, "--no-header", "--on-error", "skip"], rows, check=0)
        reports = [l for l in p.stderr.splitlines() if l.startswith("tfjs-run: skipped")]
        self.assertEqual(len(reports), 3, p.stderr)
        self.assertIn("skipped line 1, column 1: '1\\02' is not a number", p.stderr)
        self.assertIn("skipped line 2, column 2: '2\\0\\0' is not a number", p.stderr)
        self.assertIn("skipped line 3, column 1: '\\0\\x1b[31m' is not a number", p.stderr)
        self.assertNotIn("\x00", p.stderr)
        self.assertNotIn("\x1b", p.stderr)
        self.assertEqual(summary(p.stderr), (3, 0, 3))

    def test_a_huge_thrown_value_is_printed_cut_with_its_length(self):
        js = ('globalThis.tfjsRunBundle = {name: "thrower", version: "1", inputShape: [null, 1], '
              'outputShape: [null, 1], load() {}, '
              'predict() { throw "A\\u0000B\\u001b[2J" + "x".repeat(10000000); }};')
        p = run([self.bundle("thrower.js", js)], "1\n", check=3)
        self.assertLess(len(p.stderr), 20000)
        self.assertIn("predict() threw: A\\0B\\x1b[2Jxxx", p.stderr)
        self.assertIn("... (10000007 characters in all)", p.stderr)
        self.assertNotIn("\x00", p.stderr)


CHATTY = ('globalThis.tfjsRunBundle = {name: "chatty", version: "1", inputShape: [null, 1], '
          'outputShape: [null, 1], load() { console.log("hello from load"); }, '
          'predict(x, rows) { console.warn("warned"); console.error("complained"); '
          'return new Float32Array(rows).map((_, i) => x[i] * 2); }};')


class MannersTest(Case):
    def test_version_names_tfjs_run_and_v8(self):
        p = run(["--version"], "", check=0)
        self.assertRegex(p.stdout, r"^tfjs-run \d+\.\d+\.\d+ \(V8 10\.2\.[0-9.]+")

    def test_log_level_filters_and_quiet_leaves_only_errors(self):
        bundle = self.bundle("chatty.js", CHATTY)
        cases = {(): ("hello from load", "warned", "complained", "summary"),
                 ("--log-level", "warn"): ("warned", "complained", "summary"),
                 ("--log-level", "error"): ("complained", "summary"),
                 ("-q",): ("complained",)}
        every = ("hello from load", "warned", "complained", "summary")
        for args, shown in cases.items():
            with self.subTest(args=args):
                p = run([bundle, *args], "1\n2\n", check=0)
                self.assertEqual(p.stdout, "2\n4\n")
                for text in every:
                    (self.assertIn if text in shown else self.assertNotIn)(text, p.stderr)

    def test_an_unparsable_option_value_names_the_option(self):
        for args, name in ((["--batch-size", "abc"], "--batch-size"), (["--poll-interval=zz"], "--poll-interval"),
                           (["-t", "x"], "-t"), (["--log-level", "loud"], "--log-level")):
            with self.subTest(args=args):
                p = run([BUNDLE, *args], "", check=1)
                self.assertIn(name, p.stderr)

    def test_no_progress_line_when_stderr_is_not_a_terminal(self):
        p = run([BUNDLE], "".join(wine_lines()), check=0)
        self.assertNotIn("\r", p.stderr)

    def test_a_progress_line_on_a_terminal_is_updated_and_erased(self):
        master, slave = pty.openpty()
        proc = subprocess.Popen([TFJS_RUN, BUNDLE], stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=slave)
        os.close(slave)
        row = wine_lines()[0].encode()
        for _ in range(8):  # rows for about 1.6 s: several updates at 4 a second
            proc.stdin.write(row * 25)
            proc.stdin.flush()
            time.sleep(0.2)
        proc.stdin.close()
        out = proc.stdout.read()
        proc.stdout.close()
        proc.wait(timeout=60)
        err = b""
        while select.select([master], [], [], 1)[0]:
            try:
                chunk = os.read(master, 65536)
            except OSError:
                break
            if not chunk:
                break
            err += chunk
        os.close(master)
        self.assertEqual(proc.returncode, 0)
        self.assertEqual(len(out.splitlines()), 200)
        text = err.decode(errors="replace")
        updates = re.findall(r"\r\x1b\[Ktfjs-run: (\d+) rows, \d+ rows/s, (\d+) bad, version (\S+)", text)
        self.assertGreaterEqual(len(updates), 3, text)
        self.assertEqual(updates[-1][1:], ("0", "test-1"))
        # Erased before the summary, which starts a clean line.
        self.assertIn("\r\x1b[Ktfjs-run: summary: rows read 200", text)


if __name__ == "__main__":
    unittest.main()
