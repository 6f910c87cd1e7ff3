// A bundle's weights as tfjs stores them (weightSpecs + one concatenated buffer), decoded to
// float32 and checked: every byte count against the buffer, quantized weights dequantized as
// tfjs does at load (uint8 / uint16: q * scale + min; float16).
#pragma once

#include <map>
#include <string>
#include <string_view>

#include <nlohmann/json_fwd.hpp>

#include "native/tensor.h"

namespace tfjs_run::native {

// Throws CompileError: Invalid for specs or sizes that do not add up, Unsupported for a dtype the
// executor does not take (string weights).
std::map<std::string, Tensor> DecodeWeights(const nlohmann::json& specs, std::string_view data);

}  // namespace tfjs_run::native
