// Activations: the names Keras / tfjs-layers and TensorFlow graphs give them, and an elementwise
// operator that applies one (XNNPACK's where it has one, else a loop with tfjs's formula).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "native/xnn.h"

namespace tfjs_run::native {

enum class Activation {
  kLinear, kRelu, kRelu6, kLeakyRelu, kSigmoid, kTanh, kElu, kSelu, kSoftplus, kSoftsign, kSwish, kHardSigmoid,
  kHardSwish, kMish, kGelu, kSoftmax,
};

struct ActivationSpec {
  Activation kind = Activation::kLinear;
  float alpha = 0;  // kLeakyRelu's slope; kElu's alpha (1 for the activation, the layer may differ)
};

// The activation named as in a Keras / tfjs-layers config ("relu", "hard_sigmoid", ...); throws
// CompileError (unsupported) naming it otherwise.
ActivationSpec ActivationByName(const std::string& name);

// The output clamp a kernel can fuse for `act` (relu, relu6), and whether that is all of it.
struct FusedClamp {
  float lo, hi;
  bool whole;
};
FusedClamp ClampOf(ActivationSpec act);

// `act` over runs of `channels` values (kSoftmax: over each run). NaN and infinity come out as
// tfjs's formulas give them: XNNPACK's clamp makes NaN its lower bound and its softmax makes a run
// holding NaN or +inf (or only -inf) all -inf, where tfjs answers NaN, so relu and relu6 are
// loops and such softmax runs are made NaN after XNNPACK's.
class Elementwise {
 public:
  Elementwise(const std::string& name, ActivationSpec act, int64_t channels);
  // `count` runs of `channels` values; may be in place.
  void Run(const float* in, float* out, size_t count);

  // Softmax over runs of at most this many values is a loop, without XNNPACK (its three calls
  // per run cost more than the math of a few classes).
  static constexpr size_t kNarrowSoftmax = 16;

 private:
  void Loop(const float* in, float* out, size_t n) const;
  void NarrowSoftmax(const float* in, float* out, size_t count) const;
  // Notes in nan_runs_ the runs of `in` whose softmax is NaN in tfjs: max(x) is NaN or infinite,
  // so x - max(x) holds NaN.
  void NonFiniteSoftmaxRuns(const float* in, size_t count);

  ActivationSpec act_;
  std::string name_;
  size_t channels_;
  xnn::Operator op_;
  std::vector<size_t> nan_runs_;  // empty but for rows with NaN or infinity
};

}  // namespace tfjs_run::native
