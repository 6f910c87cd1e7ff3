// A bundle with (almost) no model: 13 columns in, the first 3 out. Run through the CLI it shows
// what the CLI itself costs per row (reading, parsing, batching, formatting, writing), which
// tools/bench-cli.sh measures. Hand-written to the v1 contract (js/README.md).
globalThis.tfjsRunBundle = {
  contract: 1, name: 'identity', version: '1', backend: 'none',
  inputShape: [null, 13], outputShape: [null, 3],
  load() {},
  activeBackend() { return 'none'; },
  predict(x, rows) {
    const out = new Float32Array(rows * 3);
    for (let r = 0; r < rows; r++) {
      out[3 * r] = x[13 * r];
      out[3 * r + 1] = x[13 * r + 1];
      out[3 * r + 2] = x[13 * r + 2];
    }
    return out;
  },
};
