#!/usr/bin/env node
// Throughput of an ONNX model in onnxruntime-node (CPU), single-threaded, from a CSV of input rows.
//
//   node ort-bench.js MODEL.onnx ROWS.csv [--batch-sizes 1,64,256,4096] [--seconds 2] [--warmup 1]
//       For each batch size, builds one batch from the rows (cycling through them), runs
//       session.run for --warmup seconds unmeasured, then as many calls as fit in --seconds, and
//       prints one JSON line: {"runner":"onnxruntime-node","batch":B,"rows_per_s":..,"us_per_call":..,"calls":..}
//   node ort-bench.js MODEL.onnx ROWS.csv --predict OUT.csv
//       Writes one output row per input row instead (comma-separated; each float32 printed as JS
//       prints it widened to a double, which reads back exactly), running --batch-size (256) rows
//       per call, and exits.
//
// ROWS.csv: numeric, no header, one model input row per line. The model takes one float32 input
// [N, cols] and its first output is read as [N, outCols]. The session uses one intra-op and one
// inter-op thread, sequential execution and all graph optimizations.
// Needs onnxruntime-node (npm install onnxruntime-node; its postinstall script fetches CUDA
// libraries from nuget.org on linux/x64 unless ONNXRUNTIME_NODE_INSTALL=skip is set).
'use strict';
const fs = require('fs');
const {parseArgs} = require('util');
const ort = require('onnxruntime-node');

const {values: args, positionals} = parseArgs({
  allowPositionals: true,
  options: {
    'batch-sizes': {type: 'string', default: '1,64,256,4096'},
    seconds: {type: 'string', default: '2'},
    warmup: {type: 'string', default: '1'},
    predict: {type: 'string'},
    'batch-size': {type: 'string', default: '256'},
  },
});
if (positionals.length !== 2) {
  console.error('usage: node ort-bench.js MODEL.onnx ROWS.csv [--batch-sizes 1,64,256,4096] ' +
    '[--seconds 2] [--warmup 1] [--predict OUT.csv [--batch-size 256]]');
  process.exit(2);
}
const [modelPath, rowsPath] = positionals;

function readRows(file) {
  const rows = fs.readFileSync(file, 'utf8').split('\n').filter((l) => l.trim() !== '')
    .map((l) => l.split(',').map(Number));
  if (rows.length === 0) throw new Error(`${file} has no rows`);
  const cols = rows[0].length;
  rows.forEach((r, i) => {
    if (r.length !== cols || r.some(Number.isNaN)) throw new Error(`${file} line ${i + 1}: expected ${cols} numbers`);
  });
  return {rows, cols};
}

// A [batch, cols] float32 tensor holding the rows from `start` on, cycling through them.
function makeBatch(rows, cols, start, batch) {
  const data = new Float32Array(batch * cols);
  for (let i = 0; i < batch; i++) data.set(rows[(start + i) % rows.length], i * cols);
  return new ort.Tensor('float32', data, [batch, cols]);
}

async function predict(session, rows, cols, outPath, batchSize) {
  const lines = [];
  for (let start = 0; start < rows.length; start += batchSize) {
    const n = Math.min(batchSize, rows.length - start);
    const result = await session.run({[session.inputNames[0]]: makeBatch(rows, cols, start, n)});
    const y = result[session.outputNames[0]].data;
    const outCols = y.length / n;
    for (let r = 0; r < n; r++) lines.push(Array.from(y.subarray(r * outCols, (r + 1) * outCols)).join(','));
  }
  fs.writeFileSync(outPath, lines.join('\n') + '\n');
}

async function bench(session, rows, cols) {
  const feedName = session.inputNames[0];
  for (const batch of args['batch-sizes'].split(',').map(Number)) {
    const feeds = {[feedName]: makeBatch(rows, cols, 0, batch)};
    for (const until = performance.now() + Number(args.warmup) * 1000; performance.now() < until;) {
      await session.run(feeds);
    }
    let calls = 0;
    const start = performance.now();
    const until = start + Number(args.seconds) * 1000;
    while (performance.now() < until) {
      await session.run(feeds);
      calls++;
    }
    const seconds = (performance.now() - start) / 1000;
    console.log(JSON.stringify({runner: 'onnxruntime-node', batch, rows_per_s: (calls * batch) / seconds,
      us_per_call: (seconds * 1e6) / calls, calls}));
  }
}

async function main() {
  const {rows, cols} = readRows(rowsPath);
  const session = await ort.InferenceSession.create(modelPath, {
    intraOpNumThreads: 1,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: 'all',
  });
  if (args.predict) await predict(session, rows, cols, args.predict, Number(args['batch-size']));
  else await bench(session, rows, cols);
}
main().catch((e) => { console.error(`ort-bench: ${e.stack || e}`); process.exit(1); });
