#include "native/unary.h"

#include <cmath>
#include <utility>

#include "native/plan.h"

namespace tfjs_run::native {

namespace {
class UnaryStep : public Step {
 public:
  UnaryStep(const std::string& step_name, Unary kind, int64_t cols, float lo, float hi)
      : kind_(kind), lo_(lo), hi_(hi) {
    name = step_name;
    in_cols = {cols};
    out_cols = cols;
  }
  bool in_place() const override { return true; }
  void Run(const float* const* in, float* out, size_t rows) override {
    const size_t n = rows * static_cast<size_t>(out_cols);
    const float* x = in[0];
    switch (kind_) {
      case Unary::kAbs:
        for (size_t i = 0; i < n; ++i) out[i] = std::fabs(x[i]);
        break;
      case Unary::kNeg:
        for (size_t i = 0; i < n; ++i) out[i] = -x[i];
        break;
      case Unary::kSqrt:  // a float's square root rounds the same taken in float or in double
        for (size_t i = 0; i < n; ++i) out[i] = std::sqrt(x[i]);
        break;
      case Unary::kRsqrt:  // tfjs: 1 / Math.sqrt(x), rounded once
        for (size_t i = 0; i < n; ++i) out[i] = static_cast<float>(1.0 / std::sqrt(static_cast<double>(x[i])));
        break;
      case Unary::kSquare:  // the exact product rounded once, in float as in double
        for (size_t i = 0; i < n; ++i) out[i] = x[i] * x[i];
        break;
      case Unary::kExp:
        for (size_t i = 0; i < n; ++i) out[i] = static_cast<float>(std::exp(static_cast<double>(x[i])));
        break;
      case Unary::kLog:
        for (size_t i = 0; i < n; ++i) out[i] = static_cast<float>(std::log(static_cast<double>(x[i])));
        break;
      case Unary::kClip:  // tfjs: x > hi ? hi : x < lo ? lo : x, comparisons that keep NaN
        for (size_t i = 0; i < n; ++i) out[i] = x[i] > hi_ ? hi_ : x[i] < lo_ ? lo_ : x[i];
        break;
    }
  }

 private:
  Unary kind_;
  float lo_, hi_;
};
}  // namespace

bool UnaryOf(const std::string& op, Unary& kind) {
  static const std::pair<const char*, Unary> kOps[] = {
      {"Abs", Unary::kAbs},       {"Neg", Unary::kNeg}, {"Sqrt", Unary::kSqrt}, {"Rsqrt", Unary::kRsqrt},
      {"Square", Unary::kSquare}, {"Exp", Unary::kExp}, {"Log", Unary::kLog},   {"ClipByValue", Unary::kClip},
  };
  for (const auto& [name, k] : kOps) {
    if (op == name) {
      kind = k;
      return true;
    }
  }
  return false;
}

std::unique_ptr<Step> MakeUnary(const std::string& name, Unary kind, int64_t cols, float lo, float hi) {
  if (kind == Unary::kClip && !(lo <= hi)) Invalid(name + " clips to bounds that are not in order");
  Elements({cols}, name + "'s input");
  return std::make_unique<UnaryStep>(name, kind, cols, lo, hi);
}

}  // namespace tfjs_run::native
