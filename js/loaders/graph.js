// Loader for tfjs graph models (tfjs-converter format: modelTopology is a GraphDef).
import {loadGraphModel} from '@tensorflow/tfjs-converter';

export async function load(tf, topology, weightSpecs, weightData, extra) {
  return loadGraphModel(tf.io.fromMemory({modelTopology: topology, weightSpecs, weightData, ...extra}));
}

export function inputShape(model) {
  return model.inputs[0].shape;
}
