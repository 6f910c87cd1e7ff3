// console.* goes to the host's logger; V8's own console prints nothing in an embedder.
'use strict';
{
  const describe = (value) => {
    if (typeof value === 'string') return value;
    if (value instanceof Error) return value.stack || String(value);
    if (typeof value === 'object' && value !== null) {
      try { return JSON.stringify(value); } catch (e) { return String(value); }
    }
    return String(value);
  };
  const make = (level) => (...args) => host.log(level, args.map(describe).join(' '));
  globalThis.console = {
    debug: make(0), log: make(1), info: make(1), warn: make(2), error: make(3),
    trace: make(0), assert: (cond, ...args) => { if (!cond) make(3)('Assertion failed:', ...args); },
    time() {}, timeEnd() {}, group() {}, groupEnd() {}, table: make(1), dir: make(1),
  };
}
