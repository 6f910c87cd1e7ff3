#!/usr/bin/env node
// model-bundler --model DIR[/model.json] [--app app.js] [--backend wasm|cpu] [--input-shape H,W,C]
//               [--feature-names a,b,...] -o ml.bundle.js
'use strict';
const {parseArgs} = require('util');
const {buildBundle, ModelError} = require('../lib/bundle');

const USAGE = `usage: model-bundler --model DIR[/model.json] [--app app.js] [--backend wasm|cpu]
                     [--input-shape H,W,C] [--feature-names a,b,...] [--name NAME]
                     [--version VERSION] [--no-minify] [--no-check-answers] [--entry FILE] -o ml.bundle.js

Builds one self-contained bundle for tfjs-run: tfjs 4.22, the model (topology and every weight
shard inlined; layers or graph model), and the app module's pre/post-processing (default:
identity; see js/app-template.js). The bundle is stamped with its name, version and the sha256
of its inputs (default version: the first 12 hex digits of that sha256).

--model     a model file (model.json, or any NAME.json) or a directory holding model.json.
--backend   wasm (the default: 3-23x faster than cpu on every model measured) or cpu.
--name      default: the model file's stem (liveness.json -> liveness), or for model.json its
            directory's name.
--feature-names  the name of each input column, in order, comma-separated (one per column,
            distinct). tfjs-run then matches a CSV header's columns and JSON object keys to them
            by name, so rows whose columns or keys come in another order still mean the same.

Models need no code: each input row is the model input flattened row-major (an image input
[-1,H,W,C] takes H*W*C values per row, NHWC), outputs of any rank are flattened per row, and a
model with several outputs gets them concatenated in its output order (tfjs-run --info lists
each output's column range). --input-shape fixes an input's free dimensions (a model taking
[-1,-1,-1,3] images needs e.g. --input-shape 224,224,3). A model with several inputs needs an
app module that splits each row between them.

Bundles are minified (about 0.6 MB for the cpu backend, and half the load time of an
unminified one); --no-minify keeps tfjs readable in stack traces (about 9 MB).

The bundle is then run once here, in Node, on the rows of tfjs-run's load-time check (the
sample rows, zeros, and generated rows of four magnitudes), and carries its answers (at most
4 MB): tfjs-run compares its native plan with them at load instead of running tfjs on those
rows, which takes an image model's first native load from 1.4-2.8x a tfjs load to 1.0-1.4x.
--no-check-answers leaves them out (tfjs-run then runs the check's rows in tfjs at load).

--entry FILE replaces js/bundle-entry.js (advanced: e.g. a tf.js-on-flink style bundle). The
entry can import 'tfjs-run-model' (the inlined model), 'tfjs-run-loader' and 'tfjs-run-backend'.
A missing or inconsistent model (absent shard, wrong byte count, bad model.json) is refused.`;

async function main() {
  let args;
  try {
    args = parseArgs({
      options: {
        model: {type: 'string'}, app: {type: 'string'}, backend: {type: 'string', default: 'wasm'},
        'input-shape': {type: 'string'}, 'feature-names': {type: 'string'},
        output: {type: 'string', short: 'o'}, name: {type: 'string'}, version: {type: 'string'},
        'no-minify': {type: 'boolean', default: false}, entry: {type: 'string'}, help: {type: 'boolean', short: 'h'},
        'no-check-answers': {type: 'boolean', default: false},
      },
    }).values;
  } catch (e) {
    console.error(`model-bundler: ${e.message}\n${USAGE}`);
    return 1;
  }
  if (args.help) { console.log(USAGE); return 0; }
  if (!args.model || !args.output) { console.error(`model-bundler: --model and -o are required\n${USAGE}`); return 1; }
  const started = Date.now();
  try {
    const {output, meta} = await buildBundle({...args, inputShape: args['input-shape'], featureNames: args['feature-names'],
                                              minify: !args['no-minify'], checkAnswers: !args['no-check-answers'],
                                              warn: (text) => console.error(`model-bundler: warning: ${text}`)});
    console.error(`model-bundler: wrote ${output} (${meta.name} ${meta.version}, ${meta.format} model, ` +
                  `${meta.backend} backend, sha256 ${meta.sha256.slice(0, 12)}) in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    return 0;
  } catch (e) {
    console.error(`model-bundler: error: ${e instanceof ModelError ? e.message : (e.stack || e)}`);
    return 2;
  }
}
main().then((code) => { process.exitCode = code; });
