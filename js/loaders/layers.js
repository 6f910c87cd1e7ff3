// Loader for tfjs layers models (model.json with a Keras-style modelTopology).
import {loadLayersModel} from '@tensorflow/tfjs-layers';

export async function load(tf, topology, weightSpecs, weightData, extra) {
  return loadLayersModel(tf.io.fromMemory({modelTopology: topology, weightSpecs, weightData, ...extra}));
}

// [{name, shape, dtype}] of each input, batch dimension first.
export function inputs(model) {
  return model.inputs.map((t) => ({name: t.name, shape: t.shape, dtype: t.dtype || 'float32'}));
}

// The names of the outputs, in the order predict() returns them.
export function outputNames(model) {
  // A Sequential model fills outputNames when it first runs; its outputs' layers are known before
  // (a native model never runs in tfjs).
  if (model.outputNames.length) return model.outputNames;
  return model.outputs.map((t) => t.sourceLayer.name);
}
