// The native executor's entry: a bundle's model, as model-bundler inlined it, to a Plan.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "native/plan.h"

namespace tfjs_run::native {

// What a bundle hands the executor (tfjsRunBundle.nativeArtifacts(), js/README.md). Untrusted:
// Compile checks every field.
struct ModelArtifacts {
  std::string format;             // "layers" or "graph"
  std::string topology_json;      // model.json's modelTopology
  std::string weight_specs_json;  // its weightsManifest's weights, in order
  std::string weight_data;        // the weights, concatenated
  std::vector<int64_t> input_dims;  // the model's input without the batch (free dims fixed), if known
  // A graph model's outputs as tfjs names them, in predict()'s order (its signature's), if known;
  // a layers model's come from its topology.
  std::vector<std::string> output_names;
  // The app module's declared standardize, run as the plan's input step (Plan::Standardize):
  // empty, or a mean and a std each of the input width, of its last axis, or of one value.
  std::vector<float> standardize_mean, standardize_std;
  // The input's integer dtype ("int32", "uint8", "bool", ...; int_input.h), or empty: float32.
  std::string int_input;
};

inline constexpr size_t kMaxTopologyBytes = 64u << 20;
inline constexpr int kMaxTopologyDepth = 64;

// Throws CompileError: unsupported (names the first layer or op the executor does not cover) or
// invalid (what does not add up).
std::unique_ptr<Plan> Compile(const ModelArtifacts& artifacts);

}  // namespace tfjs_run::native
