// The integer dtypes a row's numbers may be cast to, and the range each holds: the bundle checks
// rows against them (bundle-entry.js), and model-bundler rounds the load-time check's rows into
// them (model-bundler/lib/check-answers.js), as runtime/src/native/int_input does.
module.exports = {
  kIntRanges: {int32: [-2147483648, 2147483647], int16: [-32768, 32767], int8: [-128, 127], uint16: [0, 65535],
               uint8: [0, 255], bool: [0, 1]},
};
