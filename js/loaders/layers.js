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
  return model.outputNames;
}
