// Loads a bundle into this Node process as tfjs-run loads it: evaluated as a script, with
// `process` hidden while it loads (so tfjs takes the same browser/worker path as in tfjs-run),
// then its load() awaited. Returns the bundle object (tfjsRunBundle), or null for a bundle of
// the tf.js-on-flink contract (its globals isLoaded() and predict(), polled until loaded).
// Used by lib/check-answers.js and tools/node-harness.js.
'use strict';
const fs = require('fs');
const vm = require('vm');

async function loadBundle(file) {
  const source = fs.readFileSync(file, 'utf8');
  const savedProcess = globalThis.process;
  globalThis.self = globalThis;
  globalThis.WorkerGlobalScope = function WorkerGlobalScope() {};
  try {
    Object.defineProperty(globalThis, 'process', {value: undefined, configurable: true, writable: true});
    vm.runInThisContext(source, {filename: file});
    if (globalThis.tfjsRunBundle) {
      await globalThis.tfjsRunBundle.load();
      return globalThis.tfjsRunBundle;
    }
    if (typeof globalThis.isLoaded !== 'function') throw new Error('bundle exposes no known contract');
    while (!globalThis.isLoaded()) await new Promise((r) => setTimeout(r, 1));
    return null;
  } finally {
    Object.defineProperty(globalThis, 'process', {value: savedProcess, configurable: true, writable: true});
  }
}

module.exports = {loadBundle};
