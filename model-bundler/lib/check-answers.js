// The bundle's own answers, in tfjs, for the rows of tfjs-run's load-time check (docs/native.md,
// "The check at load"), so that a native load compares its plan with them instead of running
// tfjs on those rows itself. The rows are made exactly as runtime/src/check_rows.cc makes them:
// the bundle's sample rows, a row of zeros, then PER_SCALE rows of a fixed pattern at each of
// four magnitudes, rounded and clamped to the input's range for an integer input.
//
//   computeCheckAnswers(bundlePath) -> {perScale, rows, base64} | null
//
// runs the bundle in a child Node process (its own tfjs, its backend; lib/load-bundle.js) and
// returns its predict()'s answers, float32 in base64. null when the bundle keeps its model in tfjs, or its answers would be too large to carry.
// Throws when the child fails (its stderr in the message).
'use strict';
const {execFileSync} = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');
const {kIntRanges} = require('../../js/int-ranges');
const {loadBundle} = require('./load-bundle');

const kRowsPerScale = 7;  // runtime/src/check_rows.h, kCheckRowsPerScale
const kScales = [0.01, 1, 10, 1000].map(Math.fround);
const kMaxAnswerBytes = 4 << 20;  // the answers carried in a bundle, at most

// check_rows.cc's MakeCheckRows: float32 values, each generated row seeded by its magnitude and index.
function checkRows(sample, cols, perScale) {
  const out = new Float32Array(sample.length + cols * (1 + perScale * kScales.length));
  out.set(sample);
  let at = sample.length + cols;  // then the zeros
  for (let s = 0; s < kScales.length; s++) {
    for (let r = 0; r < perScale; r++) {
      let x = (12345 + Math.imul(7919, s * kRowsPerScale + r)) >>> 0;
      for (let c = 0; c < cols; c++) {
        x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
        const unit = (x >>> 8) / 8388608 - 1;  // exact in float32
        out[at++] = ((x >>> 4) % 5 === 0) ? 0 : Math.fround(unit * kScales[s]);
      }
    }
  }
  return out;
}

// sampleInput as the runtime reads it: one flat list of numbers, or a list of such lists.
function flatten(sample) {
  if (!sample) return [];
  const out = [];
  for (const v of sample) {
    if (typeof v === 'number') out.push(v);
    else for (const x of v) out.push(x);
  }
  return out;
}

function roundHalfEven(v) {
  const r = Math.round(v);
  return Math.abs(v % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

// In the child: loads the bundle and returns its answers (or null).
async function answerInChild(bundlePath) {
  const b = await loadBundle(bundlePath);
  if (!b) return null;  // a tf.js-on-flink bundle: no native model, no check
  const artifacts = b.nativeArtifacts();
  if (typeof artifacts === 'string') return null;  // the model stays in tfjs: no check to answer
  const cols = b.inputShape[1];
  const outCols = b.outputShape[1];
  const sample = Float32Array.from(flatten(b.sampleInput));
  if (sample.length % cols !== 0) return null;
  const fixed = 1 + sample.length / cols;
  const perScale = Math.min(kRowsPerScale, Math.floor((kMaxAnswerBytes / (4 * outCols) - fixed) / kScales.length));
  if (!(perScale >= 1)) return null;
  const rows = checkRows(sample, cols, perScale);
  const range = artifacts.intInput ? kIntRanges[artifacts.intInput] : null;
  if (range) for (let i = 0; i < rows.length; i++) rows[i] = Math.min(range[1], Math.max(range[0], roundHalfEven(rows[i])));
  const n = rows.length / cols;
  const answers = await b.predict(rows, n, cols);
  if (answers.length !== n * outCols) return null;
  return {perScale, rows: n, base64: Buffer.from(answers.buffer, answers.byteOffset, answers.byteLength).toString('base64')};
}

function computeCheckAnswers(bundlePath) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'check-answers-'));
  try {
    const file = path.join(dir, 'answers.json');  // not stdout: the bundle may print there
    try {
      execFileSync(process.execPath, [__filename, bundlePath, file], {stdio: ['ignore', 'ignore', 'pipe']});
    } catch (e) {
      throw new Error(`running the bundle for the load-time check's answers failed: ${String(e.stderr || e.message).trim()}`);
    }
    return JSON.parse(fs.readFileSync(file, 'utf8'));
  } finally {
    fs.rmSync(dir, {recursive: true, force: true});
  }
}

if (require.main === module) {
  answerInChild(process.argv[2]).then((answers) => fs.writeFileSync(process.argv[3], JSON.stringify(answers)), (e) => {
    console.error(`${e && e.stack ? e.stack : e}`);
    process.exit(1);
  });
}

module.exports = {computeCheckAnswers, checkRows};
