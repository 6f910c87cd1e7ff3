// Loader for tfjs layers models (model.json with a Keras-style modelTopology).
import {loadLayersModel} from '@tensorflow/tfjs-layers';

export async function load(tf, topology, weightSpecs, weightData, extra) {
  return loadLayersModel(tf.io.fromMemory({modelTopology: topology, weightSpecs, weightData, ...extra}));
}

export function inputShape(model) {
  return model.inputs[0].shape;
}
