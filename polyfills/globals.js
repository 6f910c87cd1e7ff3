// Browser/worker-like globals. tfjs picks its platform from these: with `self` and
// `WorkerGlobalScope` defined it takes the browser (worker) path instead of failing.
'use strict';
globalThis.self = globalThis;
globalThis.WorkerGlobalScope = function WorkerGlobalScope() {};
globalThis.performance = Object.freeze({
  timeOrigin: Date.now(),
  now: () => host.now(),
});
