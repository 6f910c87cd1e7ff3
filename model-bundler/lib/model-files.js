// Reads a tfjs model directory (model.json + weight shards) and checks that it is complete and
// consistent before anything is bundled.
'use strict';
const fs = require('fs');
const path = require('path');

const DTYPE_BYTES = {float32: 4, int32: 4, bool: 1, uint8: 1, uint16: 2, float16: 2, int8: 1, int16: 2, complex64: 8};

class ModelError extends Error {}

function bytesOfSpec(spec) {
  const count = (spec.shape || []).reduce((a, b) => a * b, 1);
  if (spec.dtype === 'string') return null;  // variable size; checked by tfjs at load
  const dtype = spec.quantization ? spec.quantization.dtype : spec.dtype;
  const size = DTYPE_BYTES[dtype];
  if (!size) throw new ModelError(`weight '${spec.name}' has unsupported dtype '${dtype}'`);
  return count * size;
}

// Returns {format: 'layers'|'graph', modelJson, topology, weightSpecs, weightData (Buffer), files}.
function readModel(modelJsonPath) {
  if (!fs.existsSync(modelJsonPath)) throw new ModelError(`model file not found: ${modelJsonPath}`);
  let modelJson;
  try {
    modelJson = JSON.parse(fs.readFileSync(modelJsonPath, 'utf8'));
  } catch (e) {
    throw new ModelError(`${modelJsonPath} is not valid JSON: ${e.message}`);
  }
  const topology = modelJson.modelTopology;
  if (!topology || typeof topology !== 'object') {
    throw new ModelError(`${modelJsonPath} has no modelTopology; is it a tfjs model.json?`);
  }
  let format;
  if (modelJson.format === 'graph-model' || Array.isArray(topology.node)) format = 'graph';
  else if (modelJson.format === 'layers-model' || topology.class_name || topology.model_config || topology.config) format = 'layers';
  else throw new ModelError(`${modelJsonPath}: cannot tell a layers model from a graph model (format '${modelJson.format}')`);

  const manifest = modelJson.weightsManifest;
  if (!Array.isArray(manifest)) throw new ModelError(`${modelJsonPath} has no weightsManifest array`);
  const dir = path.dirname(modelJsonPath);
  const weightSpecs = [];
  const buffers = [];
  const files = [modelJsonPath];
  for (const group of manifest) {
    if (!Array.isArray(group.paths) || !Array.isArray(group.weights)) {
      throw new ModelError(`${modelJsonPath}: each weightsManifest entry needs 'paths' and 'weights'`);
    }
    const groupBuffers = group.paths.map((p) => {
      const file = path.join(dir, p);
      if (!fs.existsSync(file)) throw new ModelError(`weight shard '${p}' named in ${modelJsonPath} is missing (${file})`);
      files.push(file);
      return fs.readFileSync(file);
    });
    const actual = groupBuffers.reduce((a, b) => a + b.length, 0);
    let expected = 0, exact = true;
    for (const spec of group.weights) {
      const n = bytesOfSpec(spec);
      if (n === null) exact = false; else expected += n;
      weightSpecs.push(spec);
    }
    if (exact ? actual !== expected : actual < expected) {
      throw new ModelError(`weight shards ${group.paths.join(', ')} hold ${actual} bytes but their specs ` +
                           `(${group.weights.map((w) => w.name).join(', ')}) need ${expected}: inconsistent or truncated model`);
    }
    buffers.push(...groupBuffers);
  }
  // A layers model always has weights; an empty manifest means the shards were left out.
  // (tfjs itself checks, at load, that every weight the topology names is there.)
  if (format === 'layers' && weightSpecs.length === 0) {
    throw new ModelError(`${modelJsonPath}: the weightsManifest lists no weights`);
  }
  return {format, modelJson, topology, weightSpecs, weightData: Buffer.concat(buffers), files};
}

module.exports = {readModel, ModelError};
