// App module template: copy this file and pass it to `model-bundler --app my-app.js`.
// Every export is optional. Functions receive tfjs-core as `tf`; do not import tfjs yourself.
// All of them run inside tf.tidy(), so intermediate tensors are freed for you.

// Columns of the rows tfjs-run hands in, when they differ from the model's input width
// (e.g. preprocess derives features). Default: the model's input width.
// export const inputCols = 13;

// Columns of each output row after postprocess. Default: found by a warm-up call in load() (or,
// for a model with no app steps that runs natively, from tfjs-run's native plan).
// export const outputCols = 3;

// Rows (raw, as tfjs-run receives them) to warm a new version up with before it serves.
// Default: one row of zeros.
// export const sampleInput = [[13.2, 1.78, 2.14, 11.2, 100, 2.65, 2.76, 0.26, 1.28, 4.38, 1.05, 3.4, 1050]];

// Standardisation of each row before anything else, (x - mean) / std in float32: one mean and
// std per input column, per channel of the model input's last axis (an image's RGB), or one for
// all. Declared here rather than written in preprocess, it runs natively with the model, and a
// bundle with no preprocess or postprocess then predicts without entering JS.
// export const standardize = {mean: [13.0, 2.34 /* , ... */], std: [0.81, 1.11 /* , ... */]};

// Called once after the model loads, before the warm-up.
export async function init(tf, model) {}

// x: tf.Tensor2D [rows, inputCols] float32, exactly the rows tfjs-run received.
// Returns the model's input tensor.
export function preprocess(x, tf) {
  return x;
}

// y: the model's output tensor, or an array of them (in the model's output order) when it has several.
// Returns a tensor (any rank: flattened per row) or an array of tensors (concatenated by columns).
export function postprocess(y, tf) {
  return y;
}
