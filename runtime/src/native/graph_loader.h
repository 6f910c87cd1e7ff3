// tfjs-converter graph models (a TensorFlow GraphDef as JSON) to a Plan: one chain from the
// input placeholder to the output of MatMul / _FusedMatMul, bias adds and activations, as
// converted Keras MLPs come out.
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

// Throws CompileError naming the first node it does not cover.
std::unique_ptr<Plan> CompileGraph(const nlohmann::json& topology, const std::map<std::string, Tensor>& weights,
                                   std::vector<int64_t> input_dims);

}  // namespace tfjs_run::native
