"""Export a TensorFlow.js layers model to ONNX (tf2onnx) and TFLite, from the weights its files hold.

Usage: export.py MODEL_DIR/model.json OUT_PREFIX [--tflite]
    Writes OUT_PREFIX.onnx and, with --tflite, OUT_PREFIX.tflite; prints the input shape as JSON.

The topology is read by tf_keras (the Keras 2 JSON format tfjs-layers writes), and every weight
is assigned from the model's weight files by name ('<layer name>/<weight>'): a weight missing on
either side is an error, so the exports compute with exactly the numbers tfjs-run loads. Both
exports come from one traced tf.function with a free batch dimension. Runs in the venv
tools/bench-anchors.sh creates (tools/anchors/requirements.txt), never in tfjs-run itself.
"""
import importlib.util
import json
import os
import sys

os.environ.setdefault('TF_CPP_MIN_LOG_LEVEL', '3')
os.environ.setdefault('TF_USE_LEGACY_KERAS', '1')
import tensorflow as tf  # noqa: E402
import tf2onnx  # noqa: E402
import tf_keras  # noqa: E402

OPSET = 17


def read_tfjs_weights(model_json, model_dir):
    """{weight name: float32 array}, read by tools/onnx/tfjs-layers-to-onnx.py (one reader of weight files)."""
    path = os.path.join(os.path.dirname(__file__), '..', 'onnx', 'tfjs-layers-to-onnx.py')
    spec = importlib.util.spec_from_file_location('tfjs_layers_to_onnx', path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.read_weights(model_json, model_dir)


def load_keras(model_path):
    with open(model_path, encoding='utf-8') as f:
        model_json = json.load(f)
    topology = model_json['modelTopology']
    model = tf_keras.models.model_from_json(json.dumps({'class_name': topology['class_name'],
                                                                                                            'config': topology['config']}))
    weights = read_tfjs_weights(model_json, os.path.dirname(model_path))
    unused = set(weights)
    for variable in model.weights:
        name = variable.name.rsplit(':', 1)[0]
        if name not in weights:
            sys.exit(f'{model_path}: the Keras model has weight {name}, which the tfjs weight files do not')
        if tuple(variable.shape) != weights[name].shape:
            sys.exit(f'{model_path}: weight {name} is {weights[name].shape} in tfjs, {tuple(variable.shape)} in Keras')
        variable.assign(weights[name])
        unused.discard(name)
    if unused:
        sys.exit(f'{model_path}: tfjs weights the Keras model has no place for: {", ".join(sorted(unused))}')
    return model


def main(argv):
    if len(argv) not in (3, 4) or (len(argv) == 4 and argv[3] != '--tflite'):
        sys.exit(f'usage: {os.path.basename(argv[0])} MODEL_DIR/model.json OUT_PREFIX [--tflite]')
    model = load_keras(argv[1])
    signature = [tf.TensorSpec([None, *model.inputs[0].shape[1:]], tf.float32, name='x')]
    function = tf.function(lambda x: model(x, training=False), input_signature=signature)
    tf2onnx.convert.from_function(function, input_signature=signature, opset=OPSET, output_path=argv[2] + '.onnx')
    if len(argv) == 4:
        converter = tf.lite.TFLiteConverter.from_concrete_functions([function.get_concrete_function()], model)
        with open(argv[2] + '.tflite', 'wb') as f:
            f.write(converter.convert())
    print(json.dumps(list(signature[0].shape)[1:]))


if __name__ == '__main__':
    main(sys.argv)
