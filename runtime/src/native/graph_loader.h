// tfjs-converter graph models (a TensorFlow GraphDef as JSON) to a Plan: the graph from the
// input placeholder to its outputs, branches and joins included (Add, ConcatV2, ...), over the ops
// the native kernels cover: matrix products, convolutions, pooling, normalisation, element-wise
// and broadcast arithmetic, activations, reshapes, slices, padding and resizes (the op table in
// graph_loader.cc), with the shape arithmetic that computes their constants folded at load
// (const_fold.h).
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "native/kernels.h"
#include "native/plan.h"

namespace tfjs_run::native {

inline constexpr size_t kMaxGraphNodes = 65536;

// `output_names`: the model's outputs in the order tfjs's predict() returns them (its signature's
// order), each output's values side by side in the plan's rows; empty: the nodes nothing takes,
// in the graph's order. `int_input`: the placeholder holds integers (int_input.h), so every node
// that takes it must be a Cast to float32. Throws CompileError naming the first node it does not
// cover.
std::unique_ptr<Plan> CompileGraph(const nlohmann::json& topology, const std::map<std::string, Tensor>& weights,
                                   std::vector<int64_t> input_dims, const std::vector<std::string>& output_names,
                                   bool int_input = false);

}  // namespace tfjs_run::native
