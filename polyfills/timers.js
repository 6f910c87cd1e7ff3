// Timers on the isolate's own queue. The host keeps only (id, due time); callbacks stay here.
// The owning thread fires due timers while it pumps the isolate (during load and async work).
'use strict';
const __timers = new Map();
let __nextTimerId = 1;
{
  const add = (callback, ms, args, repeat) => {
    if (typeof callback !== 'function') throw new TypeError('timer callback is not a function');
    const id = __nextTimerId++;
    const delay = Math.max(0, Number(ms) || 0);
    __timers.set(id, { callback, args, repeat: repeat ? delay : null });
    host.setTimer(id, delay);
    return id;
  };
  const clear = (id) => {
    if (__timers.delete(id)) host.clearTimer(id);
  };
  globalThis.setTimeout = (cb, ms, ...args) => add(cb, ms, args, false);
  globalThis.setInterval = (cb, ms, ...args) => add(cb, ms, args, true);
  globalThis.clearTimeout = clear;
  globalThis.clearInterval = clear;
  globalThis.queueMicrotask = (cb) => {
    if (typeof cb !== 'function') throw new TypeError('queueMicrotask callback is not a function');
    Promise.resolve().then(cb);
  };
}
