// A bundle whose predict() takes 300 ms (busy), for Flink's async timeout. Answers [sum of row].
globalThis.tfjsRunBundle = {
  name: 'slow', version: 's1',
  inputShape: [null, 3], outputShape: [null, 1],
  load() {},
  predict(x, rows, cols) {
    const until = Date.now() + 300;
    while (Date.now() < until) {}
    const out = new Float32Array(rows);
    for (let r = 0; r < rows; r++) out[r] = x[r * cols] + x[r * cols + 1] + x[r * cols + 2];
    return out;
  },
};
