#include "native/plan.h"

#include <algorithm>
#include <cstring>

namespace tfjs_run::native {

void Plan::Add(std::unique_ptr<Step> step) {
  if (step->in_cols != output_cols()) {
    Invalid(step->name + " takes " + std::to_string(step->in_cols) + " values per row but is given " +
            std::to_string(output_cols()));
  }
  widest_ = std::max({widest_, step->in_cols, step->out_cols});
  steps_.push_back(std::move(step));
}

std::string Plan::Describe() const {
  std::string out;
  for (const auto& s : steps_) out += (out.empty() ? "" : " -> ") + s->name;
  return out.empty() ? "identity" : out;
}

// XNNPACK may read up to XNN_EXTRA_BYTES (16) past the end of an operator's input. Every buffer a
// step reads is the plan's own, with this much slack; the caller's buffers are only copied.
constexpr size_t kSlackFloats = 16 / sizeof(float);

size_t Plan::ScratchFloats(size_t rows) const {
  return 3 * (rows * static_cast<size_t>(std::max(widest_, input_cols_)) + kSlackFloats);
}

void Plan::Run(const float* input, size_t rows, float* output) {
  const size_t in_values = rows * static_cast<size_t>(input_cols_);
  if (input_copy_.size() < in_values + kSlackFloats) input_copy_.resize(in_values + kSlackFloats);
  std::memcpy(input_copy_.data(), input, in_values * sizeof(float));
  float* in = input_copy_.data();
  int which = 0;
  for (const auto& step : steps_) {
    float* out;
    if (step->in_place() && in != input_copy_.data()) {
      out = in;
    } else {
      std::vector<float>& buffer = scratch_[which];
      which ^= 1;
      const size_t need = rows * static_cast<size_t>(step->out_cols) + kSlackFloats;
      if (buffer.size() < need) buffer.resize(need);
      out = buffer.data();
    }
    step->Run(in, out, rows);
    in = out;
  }
  std::memcpy(output, in, rows * static_cast<size_t>(output_cols()) * sizeof(float));
}

}  // namespace tfjs_run::native
