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

size_t Plan::ScratchFloats(size_t rows) const { return 2 * rows * static_cast<size_t>(widest_); }

void Plan::Run(const float* input, size_t rows, float* output) {
  if (steps_.empty()) {
    std::memcpy(output, input, rows * static_cast<size_t>(input_cols_) * sizeof(float));
    return;
  }
  const float* in = input;
  int which = 0;
  for (size_t i = 0; i < steps_.size(); ++i) {
    Step& step = *steps_[i];
    float* out;
    if (i + 1 == steps_.size()) {
      out = output;
    } else if (step.in_place() && in != input) {
      out = const_cast<float*>(in);
    } else {
      std::vector<float>& buffer = scratch_[which];
      which ^= 1;
      const size_t need = rows * static_cast<size_t>(step.out_cols);
      if (buffer.size() < need) buffer.resize(need);
      out = buffer.data();
    }
    step.Run(in, out, rows);
    in = out;
  }
}

}  // namespace tfjs_run::native
