#!/usr/bin/python3
"""Write the "seed MLP" benchmark model as a tfjs layers model: 13 -> 60 sigmoid -> 3 softmax.

Usage: make-seed-mlp.py OUT_DIR [SEED]     (SEED defaults to 0)

Writes OUT_DIR/model.json and OUT_DIR/weights.bin in the layout tfjs-layers 4.22 saves
(batch_input_shape on the first layer, weights '<layer name>/kernel' and '<layer name>/bias').
Kernels are Glorot-uniform and biases uniform in [-0.1, 0.1], from numpy's generator seeded
with SEED, so the same seed always gives the same bytes. Needs only numpy.
"""
import json
import os
import sys

import numpy as np

LAYERS = [  # (name, inputs, units, activation)
    ('dense_Dense1', 13, 60, 'sigmoid'),
    ('dense_Dense2', 60, 3, 'softmax'),
]


def dense_config(index, name, units, activation, inputs):
    config = {
        'units': units,
        'activation': activation,
        'use_bias': True,
        'kernel_initializer': {'class_name': 'VarianceScaling', 'config': {
            'scale': 1, 'mode': 'fan_avg', 'distribution': 'uniform', 'seed': None}},
        'bias_initializer': {'class_name': 'Zeros', 'config': {}},
        'kernel_regularizer': None,
        'bias_regularizer': None,
        'activity_regularizer': None,
        'kernel_constraint': None,
        'bias_constraint': None,
        'name': name,
        'trainable': True,
    }
    if index == 0:
        config['batch_input_shape'] = [None, inputs]
        config['dtype'] = 'float32'
    return {'class_name': 'Dense', 'config': config}


def main(argv):
    if len(argv) not in (2, 3):
        sys.exit(f'usage: {os.path.basename(argv[0])} OUT_DIR [SEED]')
    out_dir, seed = argv[1], int(argv[2]) if len(argv) == 3 else 0
    rng = np.random.default_rng(seed)
    layers, specs, arrays = [], [], []
    for index, (name, inputs, units, activation) in enumerate(LAYERS):
        limit = np.sqrt(6.0 / (inputs + units))
        arrays.append(rng.uniform(-limit, limit, (inputs, units)).astype('<f4'))
        arrays.append(rng.uniform(-0.1, 0.1, (units,)).astype('<f4'))
        specs.append({'name': f'{name}/kernel', 'shape': [inputs, units], 'dtype': 'float32'})
        specs.append({'name': f'{name}/bias', 'shape': [units], 'dtype': 'float32'})
        layers.append(dense_config(index, name, units, activation, inputs))
    model = {
        'modelTopology': {
            'class_name': 'Sequential',
            'config': {'name': 'sequential_1', 'layers': layers},
            'keras_version': 'tfjs-layers 4.22.0',
            'backend': 'tensor_flow.js',
        },
        'format': 'layers-model',
        'generatedBy': 'TensorFlow.js tfjs-layers v4.22.0',
        'convertedBy': None,
        'weightsManifest': [{'paths': ['weights.bin'], 'weights': specs}],
    }
    os.makedirs(out_dir, exist_ok=True)
    with open(os.path.join(out_dir, 'model.json'), 'w', encoding='utf-8') as f:
        json.dump(model, f, indent=1)
        f.write('\n')
    with open(os.path.join(out_dir, 'weights.bin'), 'wb') as f:
        for array in arrays:
            f.write(array.tobytes())


if __name__ == '__main__':
    main(sys.argv)
