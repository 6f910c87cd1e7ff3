#!/usr/bin/env node
// Node 20 side of the parity tests and benchmarks. Two ways to run a model:
//
//   --model DIR/model.json [--app app.js] --backend cpu|wasm   tfjs 4.22 in Node, straight from
//       the model files: the independent reference the parity tests compare tfjs-run against.
//   --bundle ml.bundle.js    the very bundle tfjs-run runs, inside Node (process hidden while it
//       loads, so tfjs takes the same browser/worker path as in tfjs-run).
//
// Then one of:
//   --predict ROWS.csv   prints one output row per input row (numeric CSV, no header), each value
//                        printed as the exact decimal of its float32.
//   --bench  ROWS.csv --batch-sizes 1,64,4096 [--seconds S] [--warmup S]   prints JSON lines of
//                        rows/s, each batch size warmed up for --warmup seconds first (1).
//   --load-time          prints JSON {load_ms} for a cold load in this process.
'use strict';
const fs = require('fs');
const path = require('path');
const {parseArgs} = require('util');
const {createRequire} = require('module');
const requireTf = createRequire(path.join(__dirname, '..', 'model-bundler', 'package.json'));

const {values: args} = parseArgs({
  options: {
    model: {type: 'string'}, app: {type: 'string'}, backend: {type: 'string', default: 'cpu'},
    bundle: {type: 'string'}, predict: {type: 'string'}, bench: {type: 'string'},
    'batch-sizes': {type: 'string', default: '1,64,4096'}, seconds: {type: 'string', default: '2'},
    warmup: {type: 'string', default: '1'},
    'load-time': {type: 'boolean', default: false}, 'batch-size': {type: 'string', default: '64'},
    'input-shape': {type: 'string'},
  },
});

function readRows(file) {
  return fs.readFileSync(file, 'utf8').split('\n').filter((l) => l.trim() !== '')
    .map((l) => l.split(',').map(Number));
}

// --model: tfjs in Node, loading the model files directly. Returns {predict(Float32Array, rows, cols)}.
async function loadReference() {
  const tf = requireTf('@tensorflow/tfjs-core');
  requireTf('@tensorflow/tfjs-backend-cpu');
  if (args.backend === 'wasm') requireTf('@tensorflow/tfjs-backend-wasm');
  if (!(await tf.setBackend(args.backend))) throw new Error(`backend ${args.backend} failed`);
  const modelJsonPath = path.resolve(args.model);
  const modelJson = JSON.parse(fs.readFileSync(modelJsonPath, 'utf8'));
  const dir = path.dirname(modelJsonPath);
  const weightSpecs = [], buffers = [];
  for (const group of modelJson.weightsManifest) {
    weightSpecs.push(...group.weights);
    for (const p of group.paths) buffers.push(fs.readFileSync(path.join(dir, p)));
  }
  const all = Buffer.concat(buffers);
  const artifacts = {...modelJson, weightSpecs,
    weightData: all.buffer.slice(all.byteOffset, all.byteOffset + all.byteLength)};
  delete artifacts.weightsManifest;
  const isGraph = modelJson.format === 'graph-model' || Array.isArray(modelJson.modelTopology.node);
  const model = isGraph
    ? await requireTf('@tensorflow/tfjs-converter').loadGraphModel(tf.io.fromMemory(artifacts))
    : await requireTf('@tensorflow/tfjs-layers').loadLayersModel(tf.io.fromMemory(artifacts));
  let app = {};
  if (args.app) {
    // App modules are ES modules that import nothing (tf is passed in).
    const source = fs.readFileSync(args.app, 'utf8');
    app = await import('data:text/javascript;base64,' + Buffer.from(source).toString('base64'));
  }
  // A row is the model input flattened row-major (free dimensions from --input-shape); every
  // output is flattened per row and they are concatenated in the model's output order.
  const fixed = args['input-shape'] ? args['input-shape'].split(',').map(Number) : null;
  const dims = model.inputs[0].shape.slice(1).map((d, i) => (d === null || d < 0 ? fixed[i] : d));
  // The app's declared standardize {mean, std} (one per column, per last-axis channel, or one
  // for all), value by value in float32: (x - mean) / std.
  const standardized = (input, cols) => {
    if (!app.standardize) return input;
    const {mean, std} = app.standardize;
    const n = mean.length;
    if (std.length !== n || cols % n !== 0) throw new Error('standardize does not fit the rows');
    return Float32Array.from(input, (v, i) => Math.fround(Math.fround(v - Math.fround(mean[i % n])) / Math.fround(std[i % n])));
  };
  // An integer input: each value rounded to the nearest integer, ties to even (tf.round), checked
  // against the dtype's range, then cast.
  const integers = (x, dtype) => {
    const range = {int32: [-2147483648, 2147483647], uint8: [0, 255], int16: [-32768, 32767], bool: [0, 1]}[dtype];
    const r = tf.round(x);
    const v = r.dataSync();
    for (let i = 0; i < v.length; i++) if (!(v[i] >= range[0] && v[i] <= range[1])) throw new Error(`value ${i} out of ${dtype}`);
    return tf.cast(r, 'int32').cast(dtype);
  };
  // A graph model with control flow or dynamic shapes (detectors with NonMaxSuppression, say)
  // cannot run in predict(); tfjs says so and it runs in executeAsync(), as in tfjs-run's bundles.
  let needsAsync = false;
  const run = async (x) => {
    if (!needsAsync) {
      try {
        return tf.tidy(() => {
          const out = model.predict(x);
          return Array.isArray(out) ? out : [out];
        });
      } catch (e) {
        if (!isGraph || !/executeAsync/.test(String(e && e.message))) throw e;
        needsAsync = true;
      }
    }
    const out = await model.executeAsync(x);
    return Array.isArray(out) ? out : [out];
  };
  const runner = {
    backend: () => tf.getBackend(),
    async predict(input, rows, cols) {
      // A model with a fixed batch (input [n, ...]) is run on n rows at a time, the last call
      // padded with zero rows whose answers are dropped.
      const batch = model.inputs[0].shape[0];
      if (batch > 0 && rows !== batch) {
        const parts = [];
        for (let from = 0; from < rows; from += batch) {
          const n = Math.min(batch, rows - from);
          const chunk = new Float32Array(batch * cols);
          chunk.set(input.subarray(from * cols, (from + n) * cols));
          const y = await runner.predict(chunk, batch, cols);
          parts.push(y.subarray(0, n * (y.length / batch)));
        }
        const out = new Float32Array(parts.reduce((a, p) => a + p.length, 0));
        parts.reduce((at, p) => (out.set(p, at), at + p.length), 0);
        return out;
      }
      const x = tf.tidy(() => {
        let t = tf.tensor2d(standardized(input, cols), [rows, cols], 'float32');
        if (app.preprocess) t = app.preprocess(t, tf);
        else if (model.inputs[0].dtype && model.inputs[0].dtype !== 'float32') t = integers(t, model.inputs[0].dtype);
        if (!app.preprocess && dims.length !== 1) t = tf.reshape(t, [rows, ...dims]);
        return t;
      });
      let ys;
      try {
        ys = await run(x);
      } finally {
        x.dispose();
      }
      const y = tf.tidy(() => {
        let outs = ys;
        if (app.postprocess) {
          const out = app.postprocess(outs.length === 1 ? outs[0] : outs, tf);
          outs = Array.isArray(out) ? out : [out];
        }
        return tf.concat(outs.map((t) => tf.reshape(t, [rows, -1])), 1);
      });
      tf.dispose(ys);
      const data = y.dataSync();
      y.dispose();
      return data;
    },
  };
  return runner;
}

// --bundle: the bundle itself, loaded as tfjs-run loads it (model-bundler/lib/load-bundle.js).
async function loadBundle() {
  const b = await requireTf('./lib/load-bundle').loadBundle(args.bundle);
  if (b) return {backend: () => (b.activeBackend ? b.activeBackend() : 'none'), predict: (x, r, c) => b.predict(x, r, c)};
  return {
    backend: () => 'legacy',
    predict(x, rows, cols) {
      const list = [];
      for (let r = 0; r < rows; r++) list.push(Array.from(x.subarray(r * cols, (r + 1) * cols)));
      return Float32Array.from(globalThis.predict(list)[0]);
    },
  };
}

async function main() {
  const t0 = performance.now();
  const runner = args.bundle ? await loadBundle() : await loadReference();
  const loadMs = performance.now() - t0;
  if (args['load-time']) {
    console.log(JSON.stringify({load_ms: loadMs, backend: runner.backend()}));
    return;
  }
  if (args.predict) {
    const rows = readRows(args.predict);
    const cols = rows[0].length;
    const batch = Number(args['batch-size']);
    const out = [];
    for (let start = 0; start < rows.length; start += batch) {
      const chunk = rows.slice(start, start + batch);
      const input = Float32Array.from(chunk.flat());
      const y = await runner.predict(input, chunk.length, cols);
      const outCols = y.length / chunk.length;
      for (let r = 0; r < chunk.length; r++) out.push(Array.from(y.subarray(r * outCols, (r + 1) * outCols)).join(','));
    }
    process.stdout.write(out.join('\n') + '\n');
    return;
  }
  if (args.bench) {
    const rows = readRows(args.bench);
    const cols = rows[0].length;
    for (const batch of args['batch-sizes'].split(',').map(Number)) {
      const input = new Float32Array(batch * cols);
      for (let i = 0; i < batch; i++) input.set(rows[i % rows.length], i * cols);
      // Warm-up, not measured, as long as tfjs-run-bench's (--warmup seconds).
      for (const until = performance.now() + Number(args.warmup) * 1000; performance.now() < until;) {
        await runner.predict(input, batch, cols);
      }
      let done = 0, calls = 0;
      const start = performance.now();
      const until = start + Number(args.seconds) * 1000;
      while (performance.now() < until) {
        await runner.predict(input, batch, cols);
        done += batch;
        calls++;
      }
      const seconds = (performance.now() - start) / 1000;
      console.log(JSON.stringify({runner: 'node', backend: runner.backend(), batch, rows_per_s: done / seconds, calls}));
    }
  }
}
main().catch((e) => { console.error(`node-harness: ${e.stack || e}`); process.exit(1); });
