// The native executor's plain data: a float32 tensor with its shape, and the error a model that
// cannot be compiled raises.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

namespace tfjs_run::native {

// Why a bundle's model cannot run natively. `unsupported`: a layer, op or attribute the executor
// does not cover (the model is fine: tfjs runs it). Otherwise the topology or weights are
// malformed (tfjs will most likely refuse them too).
struct CompileError : std::runtime_error {
  CompileError(const std::string& what, bool unsupported) : std::runtime_error(what), unsupported(unsupported) {}
  bool unsupported;
};

[[noreturn]] inline void Unsupported(const std::string& what) { throw CompileError(what, true); }
[[noreturn]] inline void Invalid(const std::string& what) { throw CompileError(what, false); }

// Bounds on what a bundle may ask the executor to allocate, whatever its topology says.
inline constexpr int64_t kMaxElements = int64_t{1} << 28;  // one tensor, or one row's activation
inline constexpr int64_t kMaxRank = 8;

// The number of elements of `shape`, or Invalid() if a dimension is not positive or the product
// passes kMaxElements.
inline int64_t Elements(const std::vector<int64_t>& shape, const std::string& what) {
  if (static_cast<int64_t>(shape.size()) > kMaxRank) Invalid(what + " has rank " + std::to_string(shape.size()));
  int64_t n = 1;
  for (int64_t d : shape) {
    if (d <= 0 || d > kMaxElements || n > kMaxElements / d) Invalid(what + " has a dimension out of range");
    n *= d;
  }
  return n;
}

struct Tensor {
  std::vector<int64_t> shape;
  std::vector<float> values;
};

}  // namespace tfjs_run::native
