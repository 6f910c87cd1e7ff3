#include "native/plan.h"

#include <algorithm>
#include <cmath>
#include <cstring>

namespace tfjs_run::native {

namespace {
// XNNPACK may read up to XNN_EXTRA_BYTES (16) past the end of an operator's input. Every buffer a
// step reads is the plan's own, with this much slack; the caller's buffers are only copied.
constexpr size_t kSlackFloats = 16 / sizeof(float);
}  // namespace

int64_t Plan::cols(Value v) const {
  return v == 0 ? input_cols_ : steps_[static_cast<size_t>(v) - 1].step->out_cols;
}

Plan::Value Plan::Add(std::unique_ptr<Step> step, const std::vector<Value>& inputs) {
  if (inputs.empty() || inputs.size() != step->in_cols.size()) Invalid(step->name + " is given the wrong number of inputs");
  for (size_t i = 0; i < inputs.size(); ++i) {
    if (inputs[i] < 0 || inputs[i] > last()) Invalid(step->name + " takes a value that is not made before it");
    if (step->in_cols[i] != cols(inputs[i])) {
      Invalid(step->name + " takes " + std::to_string(step->in_cols[i]) + " values per row but is given " +
              std::to_string(cols(inputs[i])));
    }
  }
  steps_.push_back({std::move(step), inputs});
  allocated_ = false;
  return last();
}

void Plan::set_outputs(std::vector<Value> values) {
  if (values.empty()) Invalid("the model has no output");
  for (Value v : values) {
    if (v < 0 || v > last()) Invalid("the model's output is not a value of the plan");
  }
  outputs_ = std::move(values);
  allocated_ = false;
}

int64_t Plan::output_cols() const {
  int64_t total = 0;
  for (Value v : outputs()) total += cols(v);
  return total;
}

std::vector<int64_t> Plan::output_widths() const {
  std::vector<int64_t> widths;
  for (Value v : outputs()) widths.push_back(cols(v));
  return widths;
}

void Plan::Standardize(std::vector<float> mean, std::vector<float> std) {
  const size_t n = mean.size();
  if (n == 0 || std.size() != n || input_cols_ <= 0 || static_cast<size_t>(input_cols_) % n != 0) {
    Invalid("the app module's standardize has " + std::to_string(n) + " means and " + std::to_string(std.size()) +
            " standard deviations for rows of " + std::to_string(input_cols_) + " values");
  }
  for (size_t c = 0; c < n; ++c) {
    if (!std::isfinite(mean[c]) || !std::isfinite(std[c]) || std[c] == 0.0f) {
      Invalid("the app module's standardize has mean " + std::to_string(mean[c]) + " and std " +
              std::to_string(std[c]) + " at " + std::to_string(c) + "; each must be finite, and the std not 0");
    }
  }
  if (int_input_) Unsupported("the app module's standardize on an integer input");
  mean_ = std::move(mean);
  std_ = std::move(std);
}

void Plan::set_int_input(IntInput input) {
  if (!mean_.empty()) Unsupported("the app module's standardize on an integer input");
  int_input_ = std::move(input);
}

std::string Plan::Describe() const {
  constexpr size_t kHead = 4, kTail = 2;
  std::string out;
  for (size_t i = 0; i < steps_.size(); ++i) {
    if (steps_.size() > kHead + kTail + 1 && i >= kHead && i + kTail < steps_.size()) {
      if (i == kHead) out += " -> ...";
      continue;
    }
    out += (out.empty() ? "" : " -> ") + steps_[i].step->name;
  }
  if (steps_.size() > kHead + kTail + 1) out = std::to_string(steps_.size()) + " steps: " + out;
  if (int_input_) out = "round to " + int_input_->dtype + (out.empty() ? "" : " -> " + out);
  if (!mean_.empty()) out = "standardize (" + std::to_string(mean_.size()) + ")" + (out.empty() ? "" : " -> " + out);
  return out.empty() ? "identity" : out;
}

void Plan::Allocate() {
  const size_t values = steps_.size() + 1;
  std::vector<size_t> last_use(values, 0);
  for (size_t i = 0; i < steps_.size(); ++i) {
    for (Value v : steps_[i].inputs) last_use[static_cast<size_t>(v)] = i + 1;
  }
  for (Value v : outputs()) last_use[static_cast<size_t>(v)] = values;  // read after the last step
  slot_of_.assign(values, -1);
  slot_cols_.clear();
  std::vector<int> free_slots;
  auto take = [&](int64_t width) {
    int slot;
    if (free_slots.empty()) {
      slot = static_cast<int>(slot_cols_.size());
      slot_cols_.push_back(0);
    } else {  // the free buffer closest to the width wanted
      auto best = std::min_element(free_slots.begin(), free_slots.end(), [&](int a, int b) {
        const int64_t da = std::abs(slot_cols_[static_cast<size_t>(a)] - width);
        const int64_t db = std::abs(slot_cols_[static_cast<size_t>(b)] - width);
        return da < db;
      });
      slot = *best;
      free_slots.erase(best);
    }
    slot_cols_[static_cast<size_t>(slot)] = std::max(slot_cols_[static_cast<size_t>(slot)], width);
    return slot;
  };
  slot_of_[0] = take(input_cols_);
  for (size_t i = 0; i < steps_.size(); ++i) {
    const Node& n = steps_[i];
    const size_t v = i + 1;
    const size_t first = static_cast<size_t>(n.inputs[0]);
    const bool first_dies = last_use[first] == v &&
                            std::count(n.inputs.begin(), n.inputs.end(), n.inputs[0]) == 1;
    if (n.step->in_place() && first_dies) {
      slot_of_[v] = slot_of_[first];
    } else {
      slot_of_[v] = take(n.step->out_cols);
    }
    for (size_t k = 0; k < n.inputs.size(); ++k) {
      const size_t in = static_cast<size_t>(n.inputs[k]);
      const bool seen = std::find(n.inputs.begin(), n.inputs.begin() + static_cast<long>(k), n.inputs[k]) !=
                        n.inputs.begin() + static_cast<long>(k);
      if (last_use[in] == v && !seen && slot_of_[in] != slot_of_[v]) free_slots.push_back(slot_of_[in]);
    }
    if (last_use[v] == 0) free_slots.push_back(slot_of_[v]);  // nothing reads it
  }
  buffers_.resize(slot_cols_.size());
  allocated_ = true;
}

size_t Plan::PerRowFloats() const {
  size_t per_row = 0;
  for (int64_t c : slot_cols_) per_row += static_cast<size_t>(c);
  for (const Node& n : steps_) per_row += static_cast<size_t>(n.step->extra_floats);
  return std::max<size_t>(per_row, 1);
}

size_t Plan::FixedFloats() const {
  size_t fixed = 0;
  for (const Node& n : steps_) fixed += static_cast<size_t>(n.step->fixed_floats);
  return fixed;
}

size_t Plan::PassRows() const {
  const size_t fixed = FixedFloats();
  const size_t room = fixed < kPassFloats ? kPassFloats - fixed : 0;
  return std::clamp<size_t>(room / PerRowFloats(), 1, kPassRows);
}

size_t Plan::ScratchFloats(size_t rows) const {
  if (!allocated_) const_cast<Plan*>(this)->Allocate();
  const size_t pass = std::min(rows, PassRows());
  return pass * PerRowFloats() + FixedFloats() + slot_cols_.size() * kSlackFloats;
}

void Plan::Run(const float* input, size_t rows, float* output, const StopCheck& stop) {
  if (!allocated_) Allocate();
  const size_t pass = PassRows();
  const size_t in_cols = static_cast<size_t>(input_cols_), out_cols = static_cast<size_t>(output_cols());
  if (int_input_) CheckIntRows(*int_input_, input, rows, in_cols);  // the whole call, as the bundle does
  for (size_t r = 0; r < rows; r += pass) {
    const size_t n = std::min(pass, rows - r);
    RunPass(input + r * in_cols, n, output + r * out_cols, stop);
  }
}

void Plan::RunPass(const float* input, size_t rows, float* result, const StopCheck& stop) {
  for (size_t s = 0; s < buffers_.size(); ++s) {
    const size_t need = rows * static_cast<size_t>(slot_cols_[s]) + kSlackFloats;
    if (buffers_[s].size() < need) buffers_[s].resize(need);
  }
  auto at = [&](Value v) { return buffers_[static_cast<size_t>(slot_of_[static_cast<size_t>(v)])].data(); };
  if (int_input_) {
    float* in = at(0);
    const size_t total = rows * static_cast<size_t>(input_cols_);
    for (size_t i = 0; i < total; ++i) in[i] = RoundHalfEven(input[i]);
  } else if (mean_.empty()) {
    std::memcpy(at(0), input, rows * static_cast<size_t>(input_cols_) * sizeof(float));
  } else {  // (x - mean) / std, each rounded to float32 as tfjs's sub and div are
    float* in = at(0);
    const size_t n = mean_.size(), total = rows * static_cast<size_t>(input_cols_);
    for (size_t i = 0; i < total; i += n) {
      for (size_t c = 0; c < n; ++c) {
        const float centred = input[i + c] - mean_[c];
        in[i + c] = centred / std_[c];
      }
    }
  }
  for (size_t i = 0; i < steps_.size(); ++i) {
    const Node& n = steps_[i];
    if (stop && stop()) throw RunError("stopped before step " + std::to_string(i + 1) + ", " + n.step->name, true);
    ins_.clear();
    for (Value v : n.inputs) ins_.push_back(at(v));
    n.step->stop = &stop;
    n.step->Run(ins_.data(), at(static_cast<Value>(i + 1)), rows);
  }
  const std::vector<Value> outs = outputs();
  if (outs.size() == 1) {
    std::memcpy(result, at(outs[0]), rows * static_cast<size_t>(cols(outs[0])) * sizeof(float));
    return;
  }
  // Several: each output row is their rows side by side, in the model's order.
  const size_t row_cols = static_cast<size_t>(output_cols());
  size_t first_col = 0;
  for (Value v : outs) {
    const size_t width = static_cast<size_t>(cols(v));
    const float* from = at(v);
    for (size_t r = 0; r < rows; ++r) std::memcpy(result + r * row_cols + first_col, from + r * width, width * sizeof(float));
    first_col += width;
  }
}

}  // namespace tfjs_run::native
