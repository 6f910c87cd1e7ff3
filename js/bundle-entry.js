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

function forward(x) {
  let input = typeof app.preprocess === 'function' ? app.preprocess(x, tf) : x;
  let y = model.predict(input);
  if (Array.isArray(y)) y = y[0];
  if (typeof app.postprocess === 'function') y = app.postprocess(y, tf);
  if (y.rank === 1) y = y.reshape([y.shape[0], 1]);
  return y;
}

const bundle = {
  contract: 1,
  name: artifacts.meta.name,
  version: artifacts.meta.version,
  sha256: artifacts.meta.sha256,
  backend: backend.name,
  inputShape: null,
  outputShape: null,
  // Rows tfjs-run warms a new version up with before switching to it (hot reload).
  sampleInput: app.sampleInput || null,

  async load() {
    await backend.setup(tf);
    model = await loader.load(tf, artifacts.topology, artifacts.weightSpecs, decodeBase64(artifacts.weightsBase64),
                              artifacts.extra);
    if (typeof app.init === 'function') await app.init(tf, model);
    const inCols = app.inputCols || columnsOf(loader.inputShape(model), 'the model input');
    // Warm up once; that also tells the output width after post-processing.
    const y = tf.tidy(() => forward(tf.zeros([1, inCols])));
    const outCols = app.outputCols || columnsOf(y.shape, 'the output');
    y.dispose();
    this.inputShape = [null, inCols];
    this.outputShape = [null, outCols];
  },

  activeBackend() {
    return tf.getBackend();
  },

  predict(input, rows, cols) {
    const y = tf.tidy(() => forward(tf.tensor2d(input, [rows, cols], 'float32')));
    try {
      const out = y.dataSync();
      return out instanceof Float32Array ? out : Float32Array.from(out);
    } finally {
      y.dispose();
    }
  },
};

globalThis.tfjsRunBundle = bundle;
