#!/usr/bin/python3
"""Convert a TensorFlow.js layers model (model.json + weight files) to ONNX.

Usage: tfjs-layers-to-onnx.py MODEL_DIR/model.json OUT.onnx

Supported: format 'layers-model' whose modelTopology is a Sequential model made of
  - Dense layers (kernel [in, out], optional bias) with activation linear, relu, sigmoid,
    tanh or softmax (over the last axis), on rank-2 input [N, in];
  - Dropout layers, which are the identity at inference.
Weights must be float32 and unquantized; tfjs stores them in the weightsManifest's files,
concatenated in manifest order. Anything else is refused with an error.

Output: ONNX opset 13, one float32 input 'x' of shape [N, in] and one output 'y' of shape
[N, out]. Dense becomes Gemm (MatMul without bias), followed by the activation's operator.
Needs only numpy and onnx (Debian: apt-get install python3-onnx).
"""
import json
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

OPSET = 13
ACTIVATIONS = {  # tfjs activation -> (ONNX operator, attributes); None: no operator
    'linear': None,
    'relu': ('Relu', {}),
    'sigmoid': ('Sigmoid', {}),
    'tanh': ('Tanh', {}),
    'softmax': ('Softmax', {'axis': -1}),
}


class ConversionError(Exception):
    pass


def read_weights(model_json, model_dir):
    """Returns {weight name: float32 ndarray} from the manifest's files, in manifest order."""
    specs, chunks = [], []
    for group in model_json.get('weightsManifest', []):
        specs.extend(group['weights'])
        for rel_path in group['paths']:
            with open(os.path.join(model_dir, rel_path), 'rb') as f:
                chunks.append(f.read())
    data = b''.join(chunks)
    weights, offset = {}, 0
    for spec in specs:
        name = spec['name']
        if spec.get('dtype', 'float32') != 'float32' or 'quantization' in spec:
            raise ConversionError(f'weight {name}: only unquantized float32 weights are supported')
        shape = [int(d) for d in spec['shape']]
        size = 4 * int(np.prod(shape, dtype=np.int64))
        if offset + size > len(data):
            raise ConversionError(f'weight {name}: the weight files end before it does')
        weights[name] = np.frombuffer(data, dtype='<f4', count=size // 4, offset=offset).reshape(shape)
        offset += size
    if offset != len(data):
        raise ConversionError(f'the weight files hold {len(data)} bytes but the manifest describes {offset}')
    return weights


def convert(model_json, weights):
    """Builds the ONNX model for a parsed model.json and its weights."""
    if model_json.get('format') != 'layers-model':
        raise ConversionError(f"format is {model_json.get('format')!r}, not 'layers-model'")
    topology = model_json['modelTopology']
    if topology.get('class_name') != 'Sequential' or not isinstance(topology.get('config'), dict):
        raise ConversionError(f"model is {topology.get('class_name')!r}, not a Sequential model with config.layers")
    layers = topology['config'].get('layers') or []

    nodes, initializers = [], []
    unused = set(weights)
    current, width, input_width = 'x', None, None  # running tensor name, its width, model input width

    def take(name, shape):
        if name not in weights:
            raise ConversionError(f'weight {name} is missing from the manifest')
        array = weights[name]
        if list(array.shape) != shape:
            raise ConversionError(f'weight {name} has shape {list(array.shape)}, expected {shape}')
        unused.discard(name)
        initializers.append(numpy_helper.from_array(array, name))
        return name

    def emit(op, inputs, **attrs):
        output = f't{len(nodes)}'
        nodes.append(helper.make_node(op, inputs, [output], name=f'{op}_{len(nodes)}', **attrs))
        return output

    for index, layer in enumerate(layers):
        kind, config = layer.get('class_name'), layer.get('config', {})
        name = config.get('name', f'layer {index}')
        if config.get('dtype', 'float32') != 'float32':
            raise ConversionError(f"layer {name}: dtype {config['dtype']!r} is not supported")
        if index == 0:
            shape = config.get('batch_input_shape')
            if shape is None or len(shape) != 2:
                raise ConversionError(f'layer {name}: first layer needs batch_input_shape [null, in], got {shape}')
            input_width = width = int(shape[1])
        if kind == 'Dropout':
            continue
        if kind != 'Dense':
            raise ConversionError(f'layer {name}: {kind} layers are not supported (only Dense and Dropout)')
        activation = config.get('activation', 'linear')
        if activation not in ACTIVATIONS:
            raise ConversionError(f'layer {name}: activation {activation!r} is not supported '
                                  f'(supported: {", ".join(ACTIVATIONS)})')
        units = int(config['units'])
        kernel = take(f'{name}/kernel', [width, units])
        if config.get('use_bias', True):
            current = emit('Gemm', [current, kernel, take(f'{name}/bias', [units])])
        else:
            current = emit('MatMul', [current, kernel])
        if ACTIVATIONS[activation]:
            op, attrs = ACTIVATIONS[activation]
            current = emit(op, [current], **attrs)
        width = units

    if not nodes:
        raise ConversionError('the model has no Dense layer')
    if unused:
        raise ConversionError(f'weights not used by any layer: {", ".join(sorted(unused))}')
    nodes[-1].output[0] = 'y'  # the last node's output is not consumed by any other node

    graph = helper.make_graph(
        nodes, topology['config'].get('name', 'model'),
        [helper.make_tensor_value_info('x', TensorProto.FLOAT, ['N', input_width])],
        [helper.make_tensor_value_info('y', TensorProto.FLOAT, ['N', width])],
        initializer=initializers)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid('', OPSET)],
                              producer_name='tfjs-layers-to-onnx')
    onnx.checker.check_model(model, full_check=True)
    return model


def main(argv):
    if len(argv) != 3:
        sys.exit(f'usage: {os.path.basename(argv[0])} MODEL_DIR/model.json OUT.onnx')
    model_path, out_path = argv[1], argv[2]
    with open(model_path, encoding='utf-8') as f:
        model_json = json.load(f)
    try:
        model = convert(model_json, read_weights(model_json, os.path.dirname(model_path)))
    except ConversionError as e:
        sys.exit(f'{model_path}: cannot convert: {e}')
    except (KeyError, TypeError, ValueError) as e:
        sys.exit(f'{model_path}: malformed model: {type(e).__name__}: {e}')
    onnx.save(model, out_path)


if __name__ == '__main__':
    main(sys.argv)
