// Keras-style layers models (tfjs-layers' model.json topology) to a Plan: Sequential models, and
// functional models whose layers form a graph from one input to one or more outputs (branches,
// residual adds, concatenations; several outputs side by side in the plan's rows, in the model's
// order).
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "native/plan.h"

namespace tfjs_run::native {

inline constexpr size_t kMaxLayers = 4096;

// `input_dims`: the model's input without the batch, if the bundle fixed it (else the first
// layer's batch_input_shape). Throws CompileError.
std::unique_ptr<Plan> CompileLayers(const nlohmann::json& topology, const std::map<std::string, Tensor>& weights,
                                    std::vector<int64_t> input_dims);

}  // namespace tfjs_run::native
