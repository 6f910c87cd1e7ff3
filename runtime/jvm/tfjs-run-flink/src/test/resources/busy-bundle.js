// A bundle whose predict() takes 5 ms per call, whatever the rows (busy), for backpressure:
// answers [sum of the row's 13 values, 0, 0].
globalThis.tfjsRunBundle = {
  name: 'busy', version: 'b1',
  inputShape: [null, 13], outputShape: [null, 3],
  load() {},
  predict(x, rows, cols) {
    const until = Date.now() + 5;
    while (Date.now() < until) {}
    const out = new Float32Array(rows * 3);
    for (let r = 0; r < rows; r++) {
      let s = 0;
      for (let c = 0; c < cols; c++) s += x[r * cols + c];
      out[r * 3] = s;
    }
    return out;
  },
};
