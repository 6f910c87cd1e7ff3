globalThis.tfjsRunBundle = {
  name: 'loop', version: '1', inputShape: [null, 13], outputShape: [null, 1],
  load() {},
  predict(x, rows, cols) {
    let acc = 0;
    const kind = 'loop';
    if (kind === 'alloc') { for (let i = 0; i < 200; i++) { const a = new Float32Array(256); acc += a.length; } }
    if (kind === 'fill') { const a = new Float32Array(4096); for (let i = 0; i < 20; i++) { a.fill(i); acc += a[5]; } }
    if (kind === 'loop') { const a = new Float32Array(4096); for (let k = 0; k < 20; k++) for (let i = 0; i < a.length; i++) { a[i] = a[i] * 0.5 + i; } acc += a[7]; }
    if (kind === 'arrays') { for (let i = 0; i < 200; i++) { const s = [rows, cols, i]; acc += s.map((v) => v * 2).reduce((p, q) => p + q, 0) + Array.from(s).length; } }
    if (kind === 'math') { for (let i = 0; i < 5000; i++) acc += Math.exp(-i * 1e-3) + Math.max(i, 3); }
    const out = new Float32Array(rows); out[0] = acc; return out;
  },
};
