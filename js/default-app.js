// The default app module: no pre- or post-processing (the model's own input and output).
export function preprocess(x, tf) {
  return x;
}
export function postprocess(y, tf) {
  return y;
}
