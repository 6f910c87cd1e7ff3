// Loader for tfjs graph models (tfjs-converter format: modelTopology is a GraphDef).
import {loadGraphModel} from '@tensorflow/tfjs-converter';

export async function load(tf, topology, weightSpecs, weightData, extra) {
  return loadGraphModel(tf.io.fromMemory({modelTopology: topology, weightSpecs, weightData, ...extra}));
}

// [{name, shape, dtype}] of each input, batch dimension first.
export function inputs(model) {
  return model.inputs.map((t) => ({name: t.name, shape: t.shape, dtype: t.dtype || 'float32'}));
}

// The names of the outputs, in the order predict() returns them.
export function outputNames(model) {
  return model.outputs.map((t) => t.name);
}
