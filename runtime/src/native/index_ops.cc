#include "native/index_ops.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <utility>

#include "native/plan.h"

namespace tfjs_run::native {

namespace {
double Apply(IndexBinary kind, double a, double b) {
  switch (kind) {
    case IndexBinary::kFloorDiv:
      return std::floor(a / b);
    case IndexBinary::kFloorMod: {  // tfjs: a % b, then moved to b's sign when it differs from a's
      const double rem = std::fmod(a, b);
      return (a < 0 && b < 0) || (a >= 0 && b >= 0) ? rem : std::fmod(rem + b, b);
    }
    case IndexBinary::kEqual:
      return a == b ? 1.0 : 0.0;
  }
  return 0;
}

class IndexBinaryStep : public Step {
 public:
  IndexBinaryStep(const std::string& step_name, IndexBinary kind, int64_t cols, std::optional<float> constant)
      : kind_(kind), constant_(constant) {
    name = step_name;
    in_cols = constant ? std::vector<int64_t>{cols} : std::vector<int64_t>{cols, cols};
    out_cols = cols;
  }
  bool in_place() const override { return true; }
  void Run(const float* const* in, float* out, size_t rows) override {
    const size_t n = rows * static_cast<size_t>(out_cols);
    const float* a = in[0];
    if (constant_) {
      const double b = *constant_;
      for (size_t i = 0; i < n; ++i) out[i] = static_cast<float>(Apply(kind_, a[i], b));
    } else {
      const float* b = in[1];
      for (size_t i = 0; i < n; ++i) out[i] = static_cast<float>(Apply(kind_, a[i], b[i]));
    }
  }

 private:
  IndexBinary kind_;
  std::optional<float> constant_;
};

// The positions of each run's k largest values.
class TopKStep : public Step {
 public:
  TopKStep(const std::string& step_name, int64_t outer, int64_t axis, int64_t k)
      : outer_(static_cast<size_t>(outer)), axis_(static_cast<size_t>(axis)), k_(static_cast<size_t>(k)), order_(axis_) {
    name = step_name;
    in_cols = {outer * axis};
    out_cols = outer * k;
    fixed_floats = axis;  // the order it sorts (indices, as wide as a float)
  }
  void Run(const float* const* in, float* out, size_t rows) override {
    for (size_t run = 0; run < rows * outer_; ++run) {
      const float* x = in[0] + run * axis_;
      std::iota(order_.begin(), order_.end(), 0u);
      // Descending, a tie to the lower index, NaN after every number: a strict weak order.
      auto before = [x](uint32_t a, uint32_t b) {
        const float va = x[a], vb = x[b];
        const bool na = std::isnan(va), nb = std::isnan(vb);
        if (na != nb) return nb;
        if (na || va == vb) return a < b;
        return va > vb;
      };
      std::partial_sort(order_.begin(), order_.begin() + static_cast<std::ptrdiff_t>(k_), order_.end(), before);
      float* o = out + run * k_;
      for (size_t i = 0; i < k_; ++i) o[i] = static_cast<float>(order_[i]);
    }
  }

 private:
  size_t outer_, axis_, k_;
  std::vector<uint32_t> order_;
};

// Each run's values at `k` positions along it (its second input): TopK's values from its indices.
class TakeAlongStep : public Step {
 public:
  TakeAlongStep(const std::string& step_name, int64_t outer, int64_t axis, int64_t k)
      : outer_(static_cast<size_t>(outer)), axis_(static_cast<size_t>(axis)), k_(static_cast<size_t>(k)) {
    name = step_name;
    in_cols = {outer * axis, outer * k};
    out_cols = outer * k;
  }
  void Run(const float* const* in, float* out, size_t rows) override {
    for (size_t run = 0; run < rows * outer_; ++run) {
      const float* x = in[0] + run * axis_;
      const float* at = in[1] + run * k_;
      for (size_t i = 0; i < k_; ++i) {
        if (!(at[i] >= 0 && at[i] < static_cast<float>(axis_))) {
          throw RunError(name + ": a position out of its axis of " + std::to_string(axis_), false);
        }
        out[run * k_ + i] = x[static_cast<size_t>(at[i])];
      }
    }
  }

 private:
  size_t outer_, axis_, k_;
};

class GatherStep : public Step {
 public:
  GatherStep(const std::string& step_name, int64_t outer, int64_t axis, int64_t inner, int64_t count,
             std::vector<float> constant)
      : outer_(static_cast<size_t>(outer)), axis_(static_cast<size_t>(axis)), inner_(static_cast<size_t>(inner)),
        count_(static_cast<size_t>(count)), constant_(std::move(constant)) {
    name = step_name;
    in_cols = {outer * axis * inner};
    if (constant_.empty()) in_cols.push_back(count);
    out_cols = outer * count * inner;
  }
  void Run(const float* const* in, float* out, size_t rows) override {
    for (size_t r = 0; r < rows; ++r) {
      const float* x = in[0] + r * static_cast<size_t>(in_cols[0]);
      const float* idx = constant_.empty() ? in[1] + r * count_ : constant_.data();
      float* o = out + r * static_cast<size_t>(out_cols);
      for (size_t j = 0; constant_.empty() && j < count_; ++j) {  // constant ones were checked at load
        const float v = idx[j];
        if (!(v >= 0 && v < static_cast<float>(axis_)) || v != std::floor(v)) {
          throw RunError(name + ": row " + std::to_string(r) + " gathers at index " + std::to_string(v) +
                             ", which is not a whole number in [0, " + std::to_string(axis_) + ")",
                         false);
        }
      }
      for (size_t a = 0; a < outer_; ++a) {
        for (size_t j = 0; j < count_; ++j) {
          const float* from = x + (a * axis_ + static_cast<size_t>(idx[j])) * inner_;
          std::copy(from, from + inner_, o + (a * count_ + j) * inner_);
        }
      }
    }
  }

 private:
  size_t outer_, axis_, inner_, count_;
  std::vector<float> constant_;
};

class ArgMaxStep : public Step {
 public:
  ArgMaxStep(const std::string& step_name, int64_t outer, int64_t axis, int64_t inner)
      : outer_(static_cast<size_t>(outer)), axis_(static_cast<size_t>(axis)), inner_(static_cast<size_t>(inner)) {
    name = step_name;
    in_cols = {outer * axis * inner};
    out_cols = outer * inner;
  }
  void Run(const float* const* in, float* out, size_t rows) override {
    for (size_t o = 0; o < rows * outer_; ++o) {
      const float* x = in[0] + o * axis_ * inner_;
      for (size_t i = 0; i < inner_; ++i) {
        float best = x[i];
        size_t at = 0;
        for (size_t a = 1; a < axis_; ++a) {
          if (x[a * inner_ + i] > best) best = x[a * inner_ + i], at = a;
        }
        out[o * inner_ + i] = static_cast<float>(at);
      }
    }
  }

 private:
  size_t outer_, axis_, inner_;
};

class GatherNdStep : public Step {
 public:
  GatherNdStep(const std::string& step_name, const std::vector<int64_t>& params, size_t depth, size_t count,
               std::vector<float> constant)
      : dims_(params.begin(), params.begin() + static_cast<std::ptrdiff_t>(depth)), count_(count),
        constant_(std::move(constant)) {
    name = step_name;
    const int64_t all = Elements(params, name + "'s input");
    slice_ = static_cast<size_t>(all);
    for (int64_t d : dims_) slice_ /= static_cast<size_t>(d);
    strides_.assign(depth, slice_);
    for (size_t j = depth; j-- > 1;) strides_[j - 1] = strides_[j] * static_cast<size_t>(dims_[j]);
    in_cols = {all};
    if (constant_.empty()) in_cols.push_back(static_cast<int64_t>(count * depth));
    out_cols = static_cast<int64_t>(count * slice_);
  }
  void Run(const float* const* in, float* out, size_t rows) override {
    const size_t depth = dims_.size();
    for (size_t r = 0; r < rows; ++r) {
      const float* x = in[0] + r * static_cast<size_t>(in_cols[0]);
      const float* idx = constant_.empty() ? in[1] + r * count_ * depth : constant_.data();
      float* o = out + r * static_cast<size_t>(out_cols);
      for (size_t t = 0; t < count_; ++t) {
        size_t from = 0;
        for (size_t j = 0; j < depth; ++j) {
          const float v = idx[t * depth + j];
          if (!(v >= 0 && v < static_cast<float>(dims_[j])) || v != std::floor(v)) {  // constant ones were checked at load
            throw RunError(name + ": row " + std::to_string(r) + " gathers at index " + std::to_string(v) + " of axis " +
                               std::to_string(j) + ", which is not a whole number in [0, " + std::to_string(dims_[j]) + ")",
                           false);
          }
          from += static_cast<size_t>(v) * strides_[j];
        }
        std::copy(x + from, x + from + slice_, o + t * slice_);
      }
    }
  }

 private:
  std::vector<int64_t> dims_;  // the indexed axes' sizes
  std::vector<size_t> strides_;
  size_t count_, slice_ = 1;
  std::vector<float> constant_;
};
}  // namespace

bool IndexBinaryOf(const std::string& op, IndexBinary& kind) {
  static const std::pair<const char*, IndexBinary> kOps[] = {
      {"FloorDiv", IndexBinary::kFloorDiv}, {"FloorMod", IndexBinary::kFloorMod}, {"Equal", IndexBinary::kEqual}};
  for (const auto& [name, k] : kOps) {
    if (op == name) {
      kind = k;
      return true;
    }
  }
  return false;
}

std::unique_ptr<Step> MakeIndexBinary(const std::string& name, IndexBinary kind, int64_t cols,
                                      std::optional<float> constant) {
  Elements({cols}, name + "'s input");
  return std::make_unique<IndexBinaryStep>(name, kind, cols, constant);
}

std::unique_ptr<Step> MakeTopK(const std::string& name, int64_t outer, int64_t axis, int64_t k) {
  Elements({outer, axis}, name + "'s input");
  if (axis > kMaxExactIndex) Unsupported(name + " over an axis longer than 2^24 (its indices would not be exact)");
  if (k < 1 || k > axis) Invalid(name + " takes " + std::to_string(k) + " of an axis of " + std::to_string(axis));
  return std::make_unique<TopKStep>(name, outer, axis, k);
}

std::unique_ptr<Step> MakeTakeAlong(const std::string& name, int64_t outer, int64_t axis, int64_t k) {
  Elements({outer, axis}, name + "'s input");
  if (k < 1 || k > axis) Invalid(name + " takes " + std::to_string(k) + " of an axis of " + std::to_string(axis));
  return std::make_unique<TakeAlongStep>(name, outer, axis, k);
}

std::unique_ptr<Step> MakeGather(const std::string& name, int64_t outer, int64_t axis, int64_t inner, int64_t count,
                                 std::vector<float> constant) {
  Elements({outer, axis, inner}, name + "'s input");
  Elements({outer, count, inner}, name + "'s output");
  if (axis > kMaxExactIndex) Unsupported(name + " along an axis longer than 2^24 (its indices would not be exact)");
  for (float v : constant) {
    if (!(v >= 0 && v < static_cast<float>(axis)) || v != std::floor(v)) {
      Invalid(name + " gathers at a constant index out of its axis");
    }
  }
  if (!constant.empty() && static_cast<int64_t>(constant.size()) != count) Invalid(name + " has indices of another count");
  return std::make_unique<GatherStep>(name, outer, axis, inner, count, std::move(constant));
}

std::unique_ptr<Step> MakeArgMax(const std::string& name, int64_t outer, int64_t axis, int64_t inner) {
  Elements({outer, axis, inner}, name + "'s input");
  if (axis > kMaxExactIndex) Unsupported(name + " over an axis longer than 2^24 (its indices would not be exact)");
  return std::make_unique<ArgMaxStep>(name, outer, axis, inner);
}

std::unique_ptr<Step> MakeGatherNd(const std::string& name, const std::vector<int64_t>& params, int64_t depth,
                                   int64_t count, std::vector<float> constant) {
  Elements(params, name + "'s input");
  if (depth < 1 || depth > static_cast<int64_t>(params.size())) {
    Invalid(name + " has index tuples of " + std::to_string(depth) + " numbers for an input of rank " +
            std::to_string(params.size()));
  }
  Elements({count, depth}, name + "'s indices");
  for (int64_t j = 0; j < depth; ++j) {
    if (params[static_cast<size_t>(j)] > kMaxExactIndex) {
      Unsupported(name + " along an axis longer than 2^24 (its indices would not be exact)");
    }
  }
  if (!constant.empty()) {
    if (static_cast<int64_t>(constant.size()) != count * depth) Invalid(name + " has indices of another count");
    for (size_t i = 0; i < constant.size(); ++i) {
      const float v = constant[i];
      if (!(v >= 0 && v < static_cast<float>(params[i % static_cast<size_t>(depth)])) || v != std::floor(v)) {
        Invalid(name + " gathers at a constant index out of its axis");
      }
    }
  }
  return std::make_unique<GatherNdStep>(name, params, static_cast<size_t>(depth), static_cast<size_t>(count),
                                        std::move(constant));
}

}  // namespace tfjs_run::native
