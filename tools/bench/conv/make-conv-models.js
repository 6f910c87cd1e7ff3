#!/usr/bin/env node
// Writes the convolutional models tools/bench-conv.sh measures, as tfjs layers models with
// random weights (seeded) and batch-norm statistics other than 0 and 1:
//   OUT/mobilenet_v2/model.json   MobileNetV2, width 1.0, 224x224x3 -> 1000 (Sandler et al. 2018,
//                                 laid out as keras.applications.MobileNetV2 builds it: strided
//                                 stem, 17 inverted residual blocks, 1280 1x1, global pooling)
//   OUT/rdn_x2/model.json         a residual dense network for 2x super-resolution (Zhang et al.
//                                 2018; the small RDN of the image-super-resolution models:
//                                 4 blocks of 4 convolutions, growth 32, 64 features), 32x32x3 in,
//                                 64x64x3 out, nearest upsampling then a convolution
//   OUT/<model>/rows.csv          a few input rows in [0, 1)
//   node tools/bench/conv/make-conv-models.js OUT
'use strict';
const fs = require('fs');
const path = require('path');
const {createRequire} = require('module');
const requireTf = createRequire(path.join(__dirname, '..', '..', '..', 'model-bundler', 'package.json'));
const tf = requireTf('@tensorflow/tfjs-core');
requireTf('@tensorflow/tfjs-backend-cpu');
const tfl = requireTf('@tensorflow/tfjs-layers');
const L = tfl.layers;

const out = process.argv[2];
if (!out) { console.error('usage: make-conv-models.js OUT_DIR'); process.exit(1); }
let seed = 1;
const init = () => tfl.initializers.heNormal({seed: seed++});
const lcg = (() => { let s = 4242; return () => ((s = (s * 1103515245 + 12345) % 2147483648) / 2147483648); })();

const norms = [];
const bn = () => { const b = L.batchNormalization({epsilon: 1e-3, momentum: 0.999}); norms.push(b); return b; };
const relu6 = (x) => L.reLU({maxValue: 6}).apply(x);
const conv = (o) => L.conv2d({kernelInitializer: init(), padding: 'same', ...o});

function mobilenetV2() {
  const x = tfl.input({shape: [224, 224, 3]});
  let y = relu6(bn().apply(conv({filters: 32, kernelSize: 3, strides: 2, useBias: false}).apply(x)));
  let channels = 32;
  const block = (input, expansion, filters, stride) => {
    let h = input;
    if (expansion !== 1) h = relu6(bn().apply(conv({filters: channels * expansion, kernelSize: 1, useBias: false}).apply(h)));
    if (stride === 2) h = L.zeroPadding2d({padding: [[0, 1], [0, 1]]}).apply(h);
    h = L.depthwiseConv2d({kernelSize: 3, strides: stride, padding: stride === 2 ? 'valid' : 'same', useBias: false,
                           depthwiseInitializer: init()}).apply(h);
    h = relu6(bn().apply(h));
    h = bn().apply(conv({filters, kernelSize: 1, useBias: false}).apply(h));
    const residual = stride === 1 && channels === filters;
    channels = filters;
    return residual ? L.add().apply([input, h]) : h;
  };
  for (const [t, c, n, s] of [[1, 16, 1, 1], [6, 24, 2, 2], [6, 32, 3, 2], [6, 64, 4, 2], [6, 96, 3, 1],
                              [6, 160, 3, 2], [6, 320, 1, 1]]) {
    for (let i = 0; i < n; ++i) y = block(y, t, c, i === 0 ? s : 1);
  }
  y = relu6(bn().apply(conv({filters: 1280, kernelSize: 1, useBias: false}).apply(y)));
  y = L.globalAveragePooling2d({}).apply(y);
  y = L.dense({units: 1000, activation: 'softmax', kernelInitializer: tfl.initializers.glorotUniform({seed: seed++})}).apply(y);
  return tfl.model({inputs: x, outputs: y, name: 'mobilenet_v2'});
}

function rdn() {
  const x = tfl.input({shape: [32, 32, 3]});
  const fMinus1 = conv({filters: 64, kernelSize: 3}).apply(x);
  let f = conv({filters: 64, kernelSize: 3}).apply(fMinus1);
  const blocks = [];
  for (let d = 0; d < 4; ++d) {
    const layers = [f];
    for (let c = 0; c < 4; ++c) {
      const input = layers.length === 1 ? layers[0] : L.concatenate().apply([...layers]);
      layers.push(conv({filters: 32, kernelSize: 3, activation: 'relu'}).apply(input));
    }
    f = L.add().apply([f, conv({filters: 64, kernelSize: 1}).apply(L.concatenate().apply([...layers]))]);
    blocks.push(f);
  }
  let g = conv({filters: 64, kernelSize: 1}).apply(L.concatenate().apply([...blocks]));
  g = L.add().apply([fMinus1, conv({filters: 64, kernelSize: 3}).apply(g)]);
  const up = conv({filters: 64, kernelSize: 3}).apply(L.upSampling2d({size: [2, 2]}).apply(g));
  return tfl.model({inputs: x, outputs: conv({filters: 3, kernelSize: 3}).apply(up), name: 'rdn_x2'});
}

async function save(model, name, rows) {
  for (const b of norms.splice(0)) {
    const n = b.getWeights()[0].shape[0];
    const v = (lo, hi) => tf.tensor1d(Array.from({length: n}, () => lo + (hi - lo) * lcg()));
    b.setWeights([v(0.5, 1.5), v(-0.2, 0.2), v(-0.2, 0.2), v(0.5, 2)]);
  }
  const dir = path.join(out, name);
  fs.mkdirSync(dir, {recursive: true});
  await model.save(tf.io.withSaveHandler(async (a) => {
    fs.writeFileSync(path.join(dir, 'weights.bin'), Buffer.from(a.weightData));
    fs.writeFileSync(path.join(dir, 'model.json'), JSON.stringify({
      format: 'layers-model', generatedBy: 'tools/bench/conv/make-conv-models.js', convertedBy: null,
      modelTopology: a.modelTopology, weightsManifest: [{paths: ['weights.bin'], weights: a.weightSpecs}],
    }));
    return {modelArtifactsInfo: {dateSaved: new Date(), modelTopologyType: 'JSON'}};
  }));
  const cols = model.inputs[0].shape.slice(1).reduce((a, b) => a * b, 1);
  const lines = [];
  for (let r = 0; r < rows; ++r) lines.push(Array.from({length: cols}, () => lcg().toFixed(3)).join(','));
  fs.writeFileSync(path.join(dir, 'rows.csv'), lines.join('\n') + '\n');
}

(async () => {
  await tf.setBackend('cpu');
  await save(mobilenetV2(), 'mobilenet_v2', 8);
  await save(rdn(), 'rdn_x2', 8);
})().catch((e) => { console.error(e); process.exit(1); });
