// The default app module: no pre- or post-processing. Each row is the model's input flattened
// row-major (bundle-entry.js reshapes it), and its outputs are flattened per row and
// concatenated in the model's output order.
export {};
