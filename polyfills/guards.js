// Builtins whose generic path allocates in a C++ loop that never checks for termination: a JS
// call that exhausts the heap inside one of them cannot be stopped at the heap limit, and V8
// then aborts the process (for example `new Array(1.3e8).fill(1)`, whose dictionary-mode path
// allocates ~10 GB in one call). Large receivers take a JS loop instead, where the heap limit
// and the deadline land at the next iteration. Small ones keep the builtin.
'use strict';
{
  const builtinFill = Array.prototype.fill;
  const kLarge = 1 << 20;
  const toIndex = (v, len, dflt) => {
    if (v === undefined) return dflt;
    const n = Math.trunc(Number(v)) || 0;
    return n < 0 ? Math.max(len + n, 0) : Math.min(n, len);
  };
  Object.defineProperty(Array.prototype, 'fill', {
    value: function fill(value, ...range) {  // length 1, as the builtin's
      const [start, end] = range;
      const o = Object(this);
      const len = Math.min(Math.max(Math.trunc(Number(o.length)) || 0, 0), Number.MAX_SAFE_INTEGER);
      if (len <= kLarge) return Reflect.apply(builtinFill, o, [value, start, end]);
      const to = toIndex(end, len, len);
      for (let k = toIndex(start, len, 0); k < to; k++) o[k] = value;
      return o;
    },
    writable: true, enumerable: false, configurable: true,
  });
}
