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

// Why a compiled plan could not finish a call: a kernel failed (its message names the step), or
// the caller's stop check (Plan::Run) asked it to stop between steps, as when a deadline passes.
// The runtime turns it into a tfjs_run::Error (model_native.cc); nothing else leaves native/.
struct RunError : std::runtime_error {
  RunError(const std::string& what, bool stopped) : std::runtime_error(what), stopped(stopped) {}
  bool stopped;
};

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

// `target` made concrete for a row of `cols` values: one -1 takes the rest; an empty target is
// [1]. Invalid() naming `what` unless every other dimension is positive and the result keeps
// exactly `cols` values (a Reshape layer or op).
inline std::vector<int64_t> Reshaped(std::vector<int64_t> target, int64_t cols, const std::string& what) {
  int64_t known = 1;
  size_t free_at = target.size();
  for (size_t i = 0; i < target.size(); ++i) {
    if (target[i] == -1 && free_at == target.size()) {
      free_at = i;
    } else if (target[i] <= 0 || target[i] > kMaxElements || (known *= target[i]) > kMaxElements) {
      Invalid(what + " has a dimension out of range");
    }
  }
  if (free_at < target.size()) {
    if (cols % known != 0) Invalid(what + " does not keep the number of values");
    target[free_at] = cols / known;
  }
  if (target.empty()) target = {1};
  if (Elements(target, what) != cols) Invalid(what + " does not keep the number of values");
  return target;
}

// A row's shape as the loaders check it, once, before any op reads it: its rank is at most
// kMaxRank, every dimension is positive, and it has Elements(). A row of rank 0 (the model's
// input has no axis besides the batch, [null]) is one value; only elementwise ops take it, as
// every other op reads its last axis. Returns the row's number of values.
inline int64_t CheckRow(const std::vector<int64_t>& dims, bool elementwise, const std::string& what) {
  if (dims.empty() && !elementwise) {
    Unsupported(what + " on an input with no axis besides the batch (rank 1); only elementwise ops take it");
  }
  return Elements(dims, what + "'s input");
}

// The last axis of a row checked by CheckRow: its channels, or 1 for a row of rank 0.
inline int64_t LastAxis(const std::vector<int64_t>& dims) { return dims.empty() ? 1 : dims.back(); }

struct Tensor {
  std::vector<int64_t> shape;
  std::vector<float> values;
};

}  // namespace tfjs_run::native
