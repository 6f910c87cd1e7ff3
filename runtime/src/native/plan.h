// A compiled model: the steps that take a batch of flat input rows to flat output rows, run
// natively on the calling thread. Built from a bundle's model (layers_loader.h, graph_loader.h)
// when every layer or op in it is covered; otherwise the model stays in tfjs.
//
// The steps form a graph: each takes one or more earlier values (the input, or another step's
// output) and makes one value. Values are rows of a fixed width; their buffers are reused once
// no later step reads them, and a large model runs a call in passes of a few rows so that its
// scratch stays bounded whatever the batch.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "native/int_input.h"
#include "native/tensor.h"

namespace tfjs_run::native {

// One step on a batch: `rows` rows of in_cols[i] values from each input, rows of out_cols
// values out.
class Step {
 public:
  virtual ~Step() = default;
  virtual void Run(const float* const* in, float* out, size_t rows) = 0;
  // Whether Run may be given in[0]'s buffer as out.
  virtual bool in_place() const { return false; }
  std::vector<int64_t> in_cols;
  int64_t out_cols = 0;
  std::string name;  // for errors and --info: the layer or op it came from
  // Memory the kernel allocates per row on top of the plan's buffers, in floats (XNNPACK's
  // indirection buffer for a convolution or pooling: a pointer per output pixel and kernel
  // tap). It counts towards a pass's scratch, and so towards the buffer budget.
  int64_t extra_floats = 0;
  // Memory the kernel allocates once whatever the rows, in floats (XNNPACK's resize buffers: a
  // pointer quad and two weights per output pixel). Counted in every pass's scratch as well.
  int64_t fixed_floats = 0;
  // The call's stop check, set by the plan before each Run (empty when the call has none), for
  // a step whose Run may take long: DenseStep's rows recomputed as tfjs computes them.
  const std::function<bool()>* stop = nullptr;
};

class Plan {
 public:
  using Value = int;  // 0 is the input; step i makes value i + 1

  void set_input_cols(int64_t cols) { input_cols_ = cols; }
  // Appends a step on `inputs`; its in_cols must match their widths. The plan's output is the
  // last step's value unless set_output or set_outputs says otherwise.
  Value Add(std::unique_ptr<Step> step, const std::vector<Value>& inputs);
  // Appends a step on the last value (a chain).
  Value Add(std::unique_ptr<Step> step) { return Add(std::move(step), {last()}); }
  Value last() const { return static_cast<Value>(steps_.size()); }
  int64_t cols(Value v) const;
  void set_output(Value v) { set_outputs({v}); }
  // The model's outputs, in its order: each output row holds their values side by side.
  void set_outputs(std::vector<Value> values);

  // The input rows are standardized as they are copied in: (x - mean) / std per column, in
  // float32 (an app module's declared standardize). `mean` and `std` hold one value per input
  // column, or per channel of the last axis (repeating along the row), or one for all. Throws
  // CompileError if they do not fit the input or a value is not finite (or a std is 0).
  void Standardize(std::vector<float> mean, std::vector<float> std);

  // The input is integers (int_input.h): Run fails a call whose values do not round into the
  // range, and copies the rest in rounded. Not with Standardize.
  void set_int_input(IntInput input);
  const std::optional<IntInput>& int_input() const { return int_input_; }

  int64_t input_cols() const { return input_cols_; }
  int64_t output_cols() const;
  // Each output's values per row, in the model's order (they sum to output_cols()).
  std::vector<int64_t> output_widths() const;
  // "dense_1 (Dense 13x16 relu) -> dense_2 (Dense 16x3 softmax)", shortened past a few steps.
  std::string Describe() const;
  // The floats of scratch a call with `rows` rows needs: the buffers of the values alive at once
  // and the kernels' own memory (Step::extra_floats), for one pass, with XNNPACK's slack.
  size_t ScratchFloats(size_t rows) const;
  // The rows one pass runs: all of a call's up to a scratch of kPassFloats, and at most
  // kPassRows, so that a step's work between two stop checks stays short.
  size_t PassRows() const;
  static constexpr size_t kPassFloats = size_t{16} << 20;
  static constexpr size_t kPassRows = 256;

  // Called before each step of each pass; true stops the call (a deadline passed).
  using StopCheck = std::function<bool()>;
  // Runs `rows` rows of input_cols() values into `output` (rows x output_cols(), the outputs
  // side by side). The caller's buffers are only copied from and to: steps read the plan's own,
  // padded buffers. Throws RunError (native/tensor.h): a kernel failed, or `stop` said to stop
  // (naming the step it stopped before). Not thread-safe: it reuses its scratch (one plan per
  // worker).
  void Run(const float* input, size_t rows, float* output, const StopCheck& stop = {});

 private:
  struct Node {
    std::unique_ptr<Step> step;
    std::vector<Value> inputs;
  };
  std::vector<Value> outputs() const { return outputs_.empty() ? std::vector<Value>{last()} : outputs_; }
  // The floats one row needs: its values in every buffer, and the kernels' own memory.
  size_t PerRowFloats() const;
  // The floats the kernels allocate once per call, whatever its rows (Step::fixed_floats).
  size_t FixedFloats() const;
  // Assigns each value a buffer, reusing those no later step reads.
  void Allocate();
  void RunPass(const float* input, size_t rows, float* result, const StopCheck& stop);

  int64_t input_cols_ = 0;
  std::vector<float> mean_, std_;  // Standardize's, or empty
  std::optional<IntInput> int_input_;
  std::vector<Value> outputs_;  // set_outputs's, or empty: the last value
  std::vector<Node> steps_;
  bool allocated_ = false;
  std::vector<int> slot_of_;         // per value
  std::vector<int64_t> slot_cols_;   // per buffer: the widest value it holds
  std::vector<std::vector<float>> buffers_;
  std::vector<const float*> ins_;
};

}  // namespace tfjs_run::native
