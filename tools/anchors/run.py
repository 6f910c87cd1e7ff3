"""Runs a model exported by export.py in ONNX Runtime or LiteRT (Python), one thread, for tools/bench-anchors.sh.

Usage:
  run.py ort|litert MODEL ROWS.csv [--batch-sizes 1,64] [--seconds 2] [--warmup 1]
      For each batch size: one input batch (the rows, cycling) and one output are allocated once, the
      runner is warmed up, then a calibrated number of calls runs in a bare for loop, timed as a whole.
      Prints one JSON line per batch: {"runner", "batch", "rows_per_s", "us_per_call", "calls",
      "python_call_us"}. python_call_us is the same loop around a bound native method that does
      nothing: Python's share of each call, which us_per_call includes. (ONNX Runtime's own
      profiling is no better a measure: its per-node events cost more than a small batch's run.)
  run.py ort|litert MODEL ROWS.csv --predict OUT.csv
      Runs all rows as one batch and writes one output row per input row (float32 as %.9g).
  run.py compare REFERENCE.csv OTHER.csv TOLERANCE
      Prints the worst |other - ref| / (1 + |ref|) over all values; exits 1 above TOLERANCE.

ROWS.csv: numbers, no header, one flattened model input per line. ONNX Runtime runs through an
IO binding (no per-call allocation or numpy conversion), with one intra-op and one inter-op
thread, sequential, all graph optimizations. LiteRT runs with num_threads=1 and its default
delegate, XNNPACK; the input is set once and only invoke() is timed.
"""
import argparse
import functools
import json
import sys
import time

import numpy as np


def read_rows(path):
    rows = np.loadtxt(path, delimiter=',', dtype=np.float32, ndmin=2)
    if rows.size == 0:
        sys.exit(f'{path} has no rows')
    return rows


def batch_of(rows, batch, shape):
    """[batch, *shape] float32 from the rows, cycling through them."""
    return np.ascontiguousarray(rows[np.arange(batch) % len(rows)].reshape([batch, *shape]))


class OrtRunner:
    name = 'onnxruntime-python'

    def __init__(self, path):
        import onnxruntime as ort
        options = ort.SessionOptions()
        options.intra_op_num_threads = 1
        options.inter_op_num_threads = 1
        options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        self.ort = ort
        self.session = ort.InferenceSession(path, options, providers=['CPUExecutionProvider'])
        self.input = self.session.get_inputs()[0]
        self.output = self.session.get_outputs()[0]
        self.shape = [int(d) for d in self.input.shape[1:]]

    def prepare(self, x):
        """A call with x bound as the input and an output allocated once, and a no-op bound method."""
        out_shape = [x.shape[0], *self.output.shape[1:]]
        self._keep = (self.ort.OrtValue.ortvalue_from_numpy(x),
                      self.ort.OrtValue.ortvalue_from_shape_and_type(out_shape, np.float32))
        binding = self.session.io_binding()
        binding.bind_ortvalue_input(self.input.name, self._keep[0])
        binding.bind_ortvalue_output(self.output.name, self._keep[1])
        return functools.partial(self.session.run_with_iobinding, binding), binding.synchronize_inputs

    def predict(self, x):
        return self.session.run([self.output.name], {self.input.name: x})[0]


class LiteRtRunner:
    name = 'litert-python'

    def __init__(self, path):
        from ai_edge_litert.interpreter import Interpreter
        self.interpreter = Interpreter(model_path=path, num_threads=1)
        self.input = self.interpreter.get_input_details()[0]
        self.shape = [int(d) for d in self.input['shape_signature'][1:]]

    def prepare(self, x):
        it = self.interpreter
        it.resize_tensor_input(self.input['index'], list(x.shape))
        it.allocate_tensors()
        it.set_tensor(self.input['index'], x)
        # invoke() refuses to run while anything else holds the wrapped interpreter: no bound method of it.
        return it.invoke, lambda: it._interpreter.NumSubgraphs()

    def predict(self, x):
        self.prepare(x)[0]()
        return self.interpreter.get_tensor(self.interpreter.get_output_details()[0]['index'])


def timed(call, seconds, warmup):
    """Seconds per call of `call` over a loop sized to last about `seconds`, after `warmup` seconds."""
    calls, start = 0, time.perf_counter()
    while time.perf_counter() - start < max(warmup, 1e-3):
        call()
        calls += 1
    n = max(1, int(seconds * calls / (time.perf_counter() - start)))
    start = time.perf_counter()
    for _ in range(n):
        call()
    return (time.perf_counter() - start) / n, n


def bench(runner, rows, args):
    for batch in [int(b) for b in args.batch_sizes.split(',')]:
        x = batch_of(rows, batch, runner.shape)
        call, no_op = runner.prepare(x)
        per_call, calls = timed(call, args.seconds, args.warmup)
        python_call, _ = timed(no_op, 0.2, 0.05)
        print(json.dumps({'runner': runner.name, 'batch': batch, 'rows_per_s': batch / per_call,
                          'us_per_call': per_call * 1e6, 'calls': calls, 'python_call_us': python_call * 1e6}), flush=True)


def compare(reference_path, other_path, tolerance):
    ref, other = read_rows(reference_path), read_rows(other_path)
    if ref.shape != other.shape:
        sys.exit(f'{other_path} is {other.shape}, {reference_path} is {ref.shape}')
    worst = float(np.max(np.abs(other.astype(np.float64) - ref) / (1 + np.abs(ref.astype(np.float64)))))
    print(f'{worst:.2g}')
    return 0 if worst <= tolerance else 1


def main(argv):
    if len(argv) == 5 and argv[1] == 'compare':
        return compare(argv[2], argv[3], float(argv[4]))
    parser = argparse.ArgumentParser(description='ONNX Runtime or LiteRT through Python, one thread.')
    parser.add_argument('runner', choices=['ort', 'litert'])
    parser.add_argument('model')
    parser.add_argument('rows')
    parser.add_argument('--batch-sizes', default='1,64')
    parser.add_argument('--seconds', type=float, default=2)
    parser.add_argument('--warmup', type=float, default=1)
    parser.add_argument('--predict')
    args = parser.parse_args(argv[1:])
    runner = (OrtRunner if args.runner == 'ort' else LiteRtRunner)(args.model)
    rows = read_rows(args.rows)
    if args.predict:
        y = runner.predict(batch_of(rows, len(rows), runner.shape)).reshape(len(rows), -1)
        np.savetxt(args.predict, y, fmt='%.9g', delimiter=',')
    else:
        bench(runner, rows, args)
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv))
