// The entry of every bundle model-bundler builds: it fulfils contract v1 (see README.md).
//
// The bundler resolves four module names to files for the bundle being built:
//   tfjs-run-backend   js/backends/cpu.js or js/backends/wasm.js
//   tfjs-run-loader    js/loaders/layers.js or js/loaders/graph.js
//   tfjs-run-model     generated: the model's topology, weight specs and weights (base64)
//   tfjs-run-app       the --app module, or js/default-app.js (identity)
import * as tf from '@tensorflow/tfjs-core';
// Lets app modules use chained ops (x.sub(y)) as well as tf.sub(x, y).
import '@tensorflow/tfjs-core/dist/public/chained_ops/register_all_chained_ops';
import * as backend from 'tfjs-run-backend';
import * as loader from 'tfjs-run-loader';
import * as artifacts from 'tfjs-run-model';
import * as app from 'tfjs-run-app';
import {kIntRanges} from './int-ranges.js';

let model = null;

function decodeBase64(text) {
  // atob is a polyfill in tfjs-run and a built-in in browsers and Node >= 16.
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes.buffer;
}

function columnsOf(shape, what) {
  if (!Array.isArray(shape) || shape.length !== 2 || !(shape[1] > 0)) {
    throw new Error(`${what} has shape ${JSON.stringify(shape)}; a rank-2 [rows, cols] shape is needed ` +
                    '(declare inputCols/outputCols in the app module to override)');
  }
  return shape[1];
}

// How a flat row becomes the model's input: [rows, cols] is reshaped to [rows, ...reshapeTo]
// (row-major, so an NHWC image is its H*W*C values in order). null: fed as [rows, cols].
let reshapeTo = null;

// A model whose input fixes the batch ([1, 128, 128, 3], as many face and pose models do): predict
// runs it on calls of exactly that many rows, the last padded with rows of zeros whose answers are
// dropped, so tfjs-run batches its rows as for any model. null: any number of rows.
let fixedBatch = null;

// The model input's dtype when it is an integer or bool (int32, uint8, bool): each value of a row
// is rounded to the nearest integer (ties to even) and must fit the dtype (bool: 0 or 1), or the
// call fails naming the row, the column and the value; then it is cast. null: float32, as given.
let intInput = null;

// The input's dtype as the model declares it: a graph model's placeholder may be narrower than the
// dtype tfjs gives it (tfjs holds DT_UINT8 as int32), and the rows must fit what it declares.
function declaredDtype(input) {
  const nodes = artifacts.meta.format === 'graph' && artifacts.topology && artifacts.topology.node;
  const name = String(input.name).replace(/:0$/, '');
  const node = Array.isArray(nodes) ? nodes.find((n) => n && n.op === 'Placeholder' && n.name === name) : null;
  const type = node && node.attr && node.attr.dtype && node.attr.dtype.type;
  return {DT_UINT8: 'uint8', DT_INT8: 'int8', DT_INT16: 'int16', DT_UINT16: 'uint16'}[type] || input.dtype;
}

function roundHalfEven(v) {
  const r = Math.round(v);
  return r - v === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

function castRows(x) {
  const [lo, hi] = kIntRanges[intInput];
  const values = x.dataSync();
  const cols = x.shape[1];
  const rounded = new Int32Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const r = roundHalfEven(values[i]);
    if (!(r >= lo && r <= hi)) {
      throw new Error(`row ${Math.floor(i / cols)} of the call, column ${i % cols}: ${values[i]} does not fit the ` +
                      `model's ${intInput} input (${lo} to ${hi}, after rounding to an integer)`);
    }
    rounded[i] = r;
  }
  return tf.tensor2d(rounded, x.shape, 'int32').cast(intInput === 'bool' ? 'bool' : 'int32');
}

// The model's own input shape with the free dimensions --input-shape fixed (the batch left as the
// model has it: null, or the fixed batch).
function modelInputShape(shape) {
  const fixed = artifacts.meta.inputShape;
  const dims = shape.slice(1).map((d, i) => (d === null || d < 0) && fixed ? fixed[i] : d);
  if (fixed && fixed.length !== dims.length) {
    throw new Error(`--input-shape ${fixed.join(',')} has ${fixed.length} dimensions; the model input ` +
                    `${JSON.stringify(shape)} has ${dims.length} besides the batch`);
  }
  if (dims.some((d) => d === null || d === undefined || !(d > 0))) {
    throw new Error(`the model input ${JSON.stringify(shape)} has free dimensions; fix them when bundling ` +
                    `(--input-shape ${shape.slice(1).map((d) => (d > 0 ? d : 'N')).join(',')})`);
  }
  return [shape[0] > 0 ? shape[0] : null, ...dims];
}

// Each output (or each tensor postprocess returns) as [rows, columns]: any rank, flattened per row.
function perRow(t) {
  if (t.rank === 1) return t.reshape([t.shape[0], 1]);
  return t.rank === 2 ? t : t.reshape([t.shape[0], -1]);
}

// The model's outputs as an array, in the model's output order.
function outputsOf(y) {
  if (Array.isArray(y)) return y;
  if (y instanceof tf.Tensor) return [y];
  return loader.outputNames(model).map((n) => y[n]);  // a graph model's named map
}

// The app's declared standardisation (app.standardize = {mean, std}), checked by load():
// {mean, std} as float32 tensors of the row width or of its last axis, or null.
let standardize = null;

function checkStandardize(spec, inCols, channels) {
  const what = 'the app module\'s standardize';
  if (typeof spec !== 'object' || spec === null) throw new Error(`${what} is not an object {mean, std}`);
  const parts = {};
  for (const key of ['mean', 'std']) {
    const v = spec[key];
    if (!Array.isArray(v) && !ArrayBuffer.isView(v)) throw new Error(`${what}.${key} is not an array of numbers`);
    const f = Float32Array.from(v, Number);
    f.forEach((x, i) => {
      if (!Number.isFinite(x) || (key === 'std' && x === 0)) {
        throw new Error(`${what}.${key}[${i}] is ${v[i]}; it must be a finite number` + (key === 'std' ? ', not 0' : ''));
      }
    });
    parts[key] = f;
  }
  const n = parts.mean.length;
  if (n !== parts.std.length || !(n === inCols || n === channels || n === 1)) {
    throw new Error(`${what} has ${parts.mean.length} means and ${parts.std.length} standard deviations; each ` +
                    `needs one per input column (${inCols})` + (channels !== inCols ? `, one per channel (${channels})` : '') +
                    ', or one for all');
  }
  return parts;
}

// (x - mean) / std per column (the mean and std repeat along the row when given per channel),
// in float32: what runtime/src/native computes when it runs the model.
function standardizeRows(x) {
  const n = standardize.mean.length;
  const [rows, cols] = x.shape;
  const y = x.reshape([rows, cols / n, n]).sub(tf.tensor1d(standardize.mean)).div(tf.tensor1d(standardize.std));
  return y.reshape([rows, cols]);
}

// Each model output's shape without the batch, in the model's output order (the warm-up's; one
// axis per output when finishLoad() had the widths from the native plan: only runNative reads it,
// and that is installed for bundles with app steps, which never defer the warm-up).
let modelOutputDims = null;

// The model step: tfjs, or the native plan tfjs-run installed (bundle.runNative), whose rows hold
// the model's outputs side by side in its output order.
function runModel(input) {
  if (typeof bundle.runNative !== 'function') return outputsOf(model.predict(input));
  const rows = input.shape[0];
  const y = bundle.runNative(input.dataSync(), rows);
  if (modelOutputDims.length > 1) {
    const widths = modelOutputDims.map((dims) => dims.reduce((a, b) => a * b, 1));
    return tf.split(tf.tensor2d(y, [rows, y.length / rows], 'float32'), widths, 1)
      .map((t, i) => t.reshape([rows, ...modelOutputDims[i]]));
  }
  // The model's own output shape where it is known (layers models), else [rows, columns].
  const shape = model.outputs && model.outputs[0] && model.outputs[0].shape;
  const dims = Array.isArray(shape) && shape.slice(1).every((d) => d > 0) ? shape.slice(1) : [y.length / rows];
  return [tf.tensor(y, [rows, ...dims], 'float32')];
}

// The rows as the model takes them: standardized, pre-processed or cast, reshaped.
function prepare(x) {
  let input = standardize ? standardizeRows(x) : x;
  if (typeof app.preprocess === 'function') input = app.preprocess(input, tf);
  else if (intInput) input = castRows(input);
  if (reshapeTo && input instanceof tf.Tensor && input.rank === 2) input = input.reshape([input.shape[0], ...reshapeTo]);
  return input;
}

// The model's outputs after the app's postprocess, each as [rows, columns].
// Contract: postprocess gets the one output as a tensor, or every output as an array.
function finishParts(ys) {
  const y = typeof app.postprocess === 'function' ? app.postprocess(ys.length === 1 ? ys[0] : ys, tf) : ys;
  return (Array.isArray(y) ? y : [y]).map(perRow);
}

function finish(ys) {
  const parts = finishParts(ys);
  return parts.length === 1 ? parts[0] : tf.concat(parts, 1);
}

function forward(x) {
  return finish(runModel(prepare(x)));
}

// A graph model with control flow or dynamic shapes (detectors with NonMaxSuppression, say)
// cannot run in predict(): tfjs says so at the warm-up, and it then runs in executeAsync(), so
// predict() returns a promise. tf.tidy cannot span the await: the steps before and after the
// model run in tidy, and the model's own outputs are disposed here.
let needsAsync = false;

function needsExecuteAsync(error) {
  return artifacts.meta.format === 'graph' && /executeAsync/.test(String(error && error.message));
}

async function runModelAsync(input) {
  return outputsOf(await model.executeAsync(input));
}

async function forwardAsync(x) {
  const input = tf.tidy(() => prepare(x));
  let ys;
  try {
    ys = await runModelAsync(input);
  } finally {
    if (input !== x) tf.dispose(input);
  }
  try {
    return tf.tidy(() => finish(ys));
  } finally {
    tf.dispose(ys);
  }
}

// predict() for such a model: the same rows and the same fixed-batch chunks as predict().
async function predictAsync(input, rows, cols) {
  const step = fixedBatch || rows;
  const parts = [];
  try {
    for (let from = 0; from < rows; from += step) {
      const n = Math.min(step, rows - from);
      let chunk = input.subarray(from * cols, (from + n) * cols);  // the bundle's own copy: no other
      if (n < step) {
        chunk = new Float32Array(step * cols);  // zeros past the last row
        chunk.set(input.subarray(from * cols, (from + n) * cols));
      }
      const x = tf.tensor2d(chunk, [step, cols], 'float32');
      let out;
      try {
        out = await forwardAsync(x);
      } finally {
        x.dispose();
      }
      if (n < step) {
        parts.push(tf.tidy(() => out.slice([0, 0], [n, -1])));
        out.dispose();
      } else {
        parts.push(out);
      }
    }
    const y = parts.length === 1 ? parts[0] : tf.concat(parts, 0);
    try {
      const data = y.dataSync();
      return data instanceof Float32Array ? data : Float32Array.from(data);
    } finally {
      if (parts.length !== 1) y.dispose();
    }
  } finally {
    tf.dispose(parts);
  }
}

const bundle = {
  contract: 1,
  name: artifacts.meta.name,
  version: artifacts.meta.version,
  sha256: artifacts.meta.sha256,
  backend: backend.name,
  inputShape: null,
  outputShape: null,
  // What the rows are to the model (shown by tfjs-run --info): its own input shape, and which
  // output columns hold which of its outputs.
  modelInputShape: null,
  outputs: null,
  // Rows tfjs-run warms a new version up with before switching to it (hot reload).
  sampleInput: app.sampleInput || null,
  // The name of each input column (model-bundler --feature-names): tfjs-run matches CSV headers
  // and JSON object keys to them.
  featureNames: artifacts.meta.featureNames || null,
  // This bundle's answers to the rows of tfjs-run's load-time check, {perScale, rows, base64}:
  // model-bundler appends them after the bundle (model-bundler/lib/check-answers.js).
  checkAnswers: null,

  // load({deferWarmUp: true}): tfjs-run will try the model natively before anything runs it in
  // tfjs. Where nothing of the bundle's own needs the warm-up to know its widths (no app steps, no
  // declared widths), load() then skips it: the output shape stays null, warmUpPending is set, and
  // tfjs-run calls finishLoad() with the native plan's output widths, or with none to warm up in
  // tfjs as load() would have.
  warmUpPending: false,

  async load(options) {
    await backend.setup(tf);
    model = await loader.load(tf, artifacts.topology, artifacts.weightSpecs, decodeBase64(artifacts.weightsBase64),
                              artifacts.extra);
    if (typeof app.init === 'function') await app.init(tf, model);
    const inputs = loader.inputs(model);
    let inCols = app.inputCols;
    if (!inCols) {
      if (inputs.length !== 1) {
        throw new Error(`the model has ${inputs.length} inputs (${inputs.map((i) => i.name).join(', ')}); an app ` +
                        'module must split each row between them (preprocess) and declare inputCols');
      }
      this.modelInputShape = modelInputShape(inputs[0].shape);
      fixedBatch = this.modelInputShape[0];
      const dtype = declaredDtype(inputs[0]);
      if (dtype !== 'float32' && typeof app.preprocess !== 'function') {
        if (!kIntRanges[dtype]) {
          throw new Error(`the model input ${inputs[0].name} is ${dtype}; rows are numbers, so an app module ` +
                          'must make that input from them (preprocess)');
        }
        intInput = dtype;
      }
      const dims = this.modelInputShape.slice(1);
      inCols = dims.reduce((a, b) => a * b, 1);
      if (dims.length !== 1) reshapeTo = dims;
    }
    if (app.standardize !== undefined) {
      const shape = this.modelInputShape;
      standardize = checkStandardize(app.standardize, inCols, shape ? shape[shape.length - 1] : inCols);
    }
    this.inputShape = [null, inCols];
    const ownWidths = typeof app.preprocess === 'function' || typeof app.postprocess === 'function' ||
                      app.inputCols || app.outputCols;
    if (options && options.deferWarmUp === true && !ownWidths && this.modelInputShape) {
      this.warmUpPending = true;
      return;
    }
    await this.finishLoad();
  },

  // With `widths` (each model output's values per row, from tfjs-run's native plan): the outputs
  // are laid out without running the model. Without: one warm-up predict on a row of zeros, which
  // also tells the output widths after post-processing.
  async finishLoad(widths) {
    this.warmUpPending = false;
    if (Array.isArray(widths)) {
      if (!widths.every((w) => Number.isInteger(w) && w > 0)) throw new Error('finishLoad(widths): positive integers');
      modelOutputDims = widths.map((w) => [w]);
      this.layOut(widths);
      return;
    }
    const inCols = this.inputShape[1];
    const zeros = tf.zeros([fixedBatch || 1, inCols]);
    let ys;
    try {
      ys = tf.tidy(() => outputsOf(model.predict(prepare(zeros))));
    } catch (e) {
      if (!needsExecuteAsync(e)) throw e;
      needsAsync = true;
      const input = tf.tidy(() => prepare(zeros));
      try {
        ys = await runModelAsync(input);
      } finally {
        tf.dispose(input);
      }
    } finally {
      zeros.dispose();
    }
    modelOutputDims = ys.map((t) => t.shape.slice(1));
    let outWidths;
    try {
      outWidths = tf.tidy(() => finishParts(ys).map((t) => t.shape[1]));
    } finally {
      tf.dispose(ys);
    }
    this.layOut(outWidths);
  },

  // outputs and outputShape from the output widths after post-processing.
  layOut(widths) {
    const names = typeof app.postprocess !== 'function' ? loader.outputNames(model)
      : widths.map((_, i) => (widths.length === 1 ? 'postprocess' : `postprocess[${i}]`));
    let at = 0;
    this.outputs = widths.map((w, i) => ({name: names[i] || `output_${i}`, columns: [at, (at += w)]}));
    this.outputShape = [null, app.outputCols || at];
  },

  // For tfjs-run's native executor (runtime/src/native): the model exactly as bundled, when it
  // has one input (its outputs side by side, in the model's order, as predict() lays them out;
  // `outputNames` gives that order for a graph model). tfjs-run compiles it and checks it against predict() on sample
  // rows at load. Then, without app functions, predict runs natively without entering JS (the
  // app's declared standardize, if any, runs natively as the plan's first step); with app pre-
  // or post-processing (`wrapped`), tfjs-run installs runNative() and forward() calls it for the
  // model step, keeping the app's steps (and standardize) in tfjs. A string: why this bundle runs
  // in tfjs.
  nativeArtifacts() {
    if (needsAsync) return 'the graph has control flow or dynamic shapes (tfjs runs it with executeAsync)';
    if (app.inputCols || app.outputCols || !this.modelInputShape) {
      return 'the app module declares its own input or output width';
    }
    const ins = loader.inputs(model).length;
    if (ins !== 1) return `the model has ${ins} inputs (native: one)`;
    if (intInput && artifacts.meta.format !== 'graph') {
      return `the model input is ${intInput} (cast from the rows in tfjs; native takes integers in graph models only)`;
    }
    const wrapped = typeof app.preprocess === 'function' || typeof app.postprocess === 'function';
    return {
      format: artifacts.meta.format,
      topology: JSON.stringify(artifacts.topology),
      weightSpecs: JSON.stringify(artifacts.weightSpecs),
      // The weights as bundled: tfjs-run decodes them natively (a second decode here, in JS, took
      // longer than compiling the model). Runtimes before weightsBase64 read weightData instead.
      weightsBase64: artifacts.weightsBase64,
      get weightData() {
        return decodeBase64(artifacts.weightsBase64);
      },
      inputDims: this.modelInputShape.slice(1),
      outputNames: loader.outputNames(model),
      wrapped,
      standardizeMean: standardize && !wrapped ? standardize.mean.slice().buffer : null,
      standardizeStd: standardize && !wrapped ? standardize.std.slice().buffer : null,
      // Native rounds and range-checks the rows as castRows does (runtime/src/native/int_input.h).
      intInput,
      // predict()'s answers to the load-time check's rows, computed when the bundle was made.
      checkAnswers: this.checkAnswers,
    };
  },
  // (Float32Array of rows x the model's input values, rows) => Float32Array of the model's
  // outputs side by side: installed by tfjs-run when the model step runs natively inside predict().
  runNative: null,

  activeBackend() {
    return tf.getBackend();
  },

  predict(input, rows, cols) {
    if (needsAsync) return predictAsync(input, rows, cols);
    const y = tf.tidy(() => {
      if (!fixedBatch || rows === fixedBatch) return forward(tf.tensor2d(input, [rows, cols], 'float32'));
      const parts = [];
      for (let from = 0; from < rows; from += fixedBatch) {
        const n = Math.min(fixedBatch, rows - from);
        const chunk = new Float32Array(fixedBatch * cols);  // zeros past the last row
        chunk.set(input.subarray(from * cols, (from + n) * cols));
        const out = forward(tf.tensor2d(chunk, [fixedBatch, cols], 'float32'));
        parts.push(n === fixedBatch ? out : out.slice([0, 0], [n, -1]));
      }
      return tf.concat(parts, 0);
    });
    try {
      const out = y.dataSync();
      return out instanceof Float32Array ? out : Float32Array.from(out);
    } finally {
      y.dispose();
    }
  },
};

globalThis.tfjsRunBundle = bundle;
