globalThis.tfjsRunBundle = {
  name: 'intloop', version: '1', inputShape: [null, 13], outputShape: [null, 1],
  load() {},
  predict(x, rows, cols) {
    let acc = 0;
    for (let i = 0; i < 100000; i++) { acc = (acc + i * 7) | 0; }
    const out = new Float32Array(rows); out[0] = acc; return out;
  },
};
