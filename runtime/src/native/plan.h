// A compiled model: the steps that take a batch of flat input rows to flat output rows, run
// natively on the calling thread. Built from a bundle's model (layers_loader.h) when every layer
// in it is covered; otherwise the model stays in tfjs.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "native/kernels.h"
#include "native/tensor.h"

namespace tfjs_run::native {

// One step on a batch: `rows` rows of in_cols values in, rows of out_cols values out.
class Step {
 public:
  virtual ~Step() = default;
  virtual void Run(const float* in, float* out, size_t rows) = 0;
  // Whether Run may be given the same buffer as in and out.
  virtual bool in_place() const { return false; }
  int64_t in_cols = 0, out_cols = 0;
  std::string name;  // for errors and --info: the layer or op it came from
};

class Plan {
 public:
  // Appends a step; its in_cols must equal the previous step's out_cols.
  void Add(std::unique_ptr<Step> step);

  int64_t input_cols() const { return input_cols_; }
  int64_t output_cols() const { return steps_.empty() ? input_cols_ : steps_.back()->out_cols; }
  void set_input_cols(int64_t cols) { input_cols_ = cols; }
  size_t steps() const { return steps_.size(); }
  // "dense_1 (Dense 13x16 relu) -> dense_2 (Dense 16x3 softmax)".
  std::string Describe() const;
  // The floats of scratch a call with `rows` rows needs (a copy of the input and two
  // activations of the widest step, each with XNNPACK's slack past its end).
  size_t ScratchFloats(size_t rows) const;

  // Runs `rows` rows of input_cols() values into `output` (rows x output_cols()). The caller's
  // buffers are only copied from and to: steps read the plan's own, padded buffers. Not
  // thread-safe: it reuses its scratch (one plan per worker).
  void Run(const float* input, size_t rows, float* output);

 private:
  int64_t input_cols_ = 0;
  int64_t widest_ = 0;
  std::vector<std::unique_ptr<Step>> steps_;
  std::vector<float> input_copy_;
  std::vector<float> scratch_[2];
};

}  // namespace tfjs_run::native
