// The graph compiler's state and ops (internal to graph_loader.cc and the graph_ops_*.cc files that
// compile each family of ops): the values computed from the input, with their shapes, and the
// plan they are steps of.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "native/activation.h"
#include "native/const_fold.h"
#include "native/graph_def.h"
#include "native/plan.h"
#include "native/spatial.h"

namespace tfjs_run::native::graph {

struct Value {
  Value() = default;
  Value(Plan::Value value, std::vector<int64_t> shape, bool whole = false)
      : id(value), dims(std::move(shape)), merged(whole) {}
  Plan::Value id = 0;
  std::vector<int64_t> dims;  // one row's shape (the batch dimension dropped)
  // In a graph whose batch is fixed at 1, a row is one whole tensor, and an op may drop or fold
  // its batch axis ([1, 128, 128, 4] reshaped to [16384, 4], [1, 34] to [17, 2], [1, 17] unpacked
  // to [17]): then `dims` is the whole tensor's shape, axis 0 included. Only the ops that read a
  // row in whole-tensor terms take such a value (OpKind::takes_merged).
  bool merged = false;
  // Zeros a Pad left to its only consumer, a convolution with valid padding, to add as it reads
  // (spatial.h Window::zeros): `dims` is the padded image's, `id` holds it without them.
  Margins zeros;
};

// A value's whole tensor shape in a graph whose batch is 1: the batch first, unless it is merged.
inline std::vector<int64_t> WholeShape(const Value& v) {
  std::vector<int64_t> whole = v.dims;
  if (!v.merged) whole.insert(whole.begin(), 1);
  return whole;
}

// The value of whole tensor shape `whole` in a graph whose batch is 1: a first axis of 1 before
// others is the batch; any other holds it folded in (Value::merged), and so does a tensor of rank
// 1 ([1] stays [1], not a batch of rank-0 rows, which would read as [1, 1]).
inline Value OfWholeShape(Plan::Value id, std::vector<int64_t> whole) {
  const bool merged = whole.size() < 2 || whole[0] != 1;
  if (!merged) whole.erase(whole.begin());
  if (whole.empty()) whole = {1};
  return Value{id, std::move(whole), merged};
}

class GraphCompiler {
 public:
  GraphCompiler(std::vector<Node> nodes, std::map<std::string, size_t> by_name,
                const std::map<std::string, Tensor>& weights)
      : nodes_(std::move(nodes)), by_name_(std::move(by_name)), weights_(weights) {}

  // `outputs`: as CompileGraph's `output_names`.
  std::unique_ptr<Plan> Compile(std::vector<int64_t> dims, const std::vector<std::string>& outputs, bool int_input);

 private:
  // An integer placeholder: the plan holds its rounded values as floats, which is what the model
  // computes on only if each node taking it casts it to float32 first.
  void IntOnlyCastToFloat(const Node& input) const;
  const Node& At(const std::string& name) const { return nodes_[by_name_.at(name)]; }
  // A Const node, or shape arithmetic folded at load (const_fold.h).
  bool IsConst(const std::string& name) const {
    auto it = by_name_.find(name);
    return (it != by_name_.end() && nodes_[it->second].op == "Const") || known_.count(name);
  }
  const Tensor& Constant(const Node& at, const std::string& name) const {
    if (!IsConst(name)) Unsupported(Describe(at) + " with an input that is not a constant");
    if (auto k = known_.find(name); k != known_.end()) {
      if (k->second.ints.batch_at >= 0) Unsupported(Describe(at) + " using the batch size as a value");
      return k->second.tensor;
    }
    auto w = weights_.find(name);
    if (w == weights_.end()) Invalid(Describe(at) + ": no weight for the constant '" + name + "'");
    return w->second;
  }
  // A constant shape, axes or paddings; a folded shape may hold the batch size (as -1) only first
  // and only for a Reshape (`batch_first`), which drops it.
  std::vector<int64_t> Ints(const Node& at, const std::string& name, bool batch_first = false) const {
    if (auto k = known_.find(name); k != known_.end()) {
      const KnownInts& ints = k->second.ints;
      if (ints.batch_at > 0 || (ints.batch_at == 0 && !batch_first)) {
        Unsupported(Describe(at) + " using the batch size");
      }
      if (ints.values.size() > 16) {
        Invalid(Describe(at) + ": the constant '" + name + "' is too long for a shape or axes");
      }
      return ints.values;
    }
    std::vector<int64_t> out;
    const Tensor& t = Constant(at, name);
    if (t.values.size() > 16) Invalid(Describe(at) + ": the constant '" + name + "' is too long for a shape or axes");
    for (float v : t.values) {
      // Shapes, axes and paddings: whole numbers a float converts to exactly (NaN, infinities
      // and fractions are refused before the conversion).
      if (!(std::fabs(v) <= 1e9f) || v != std::trunc(v)) Invalid(Describe(at) + ": the constant '" + name + "' is not integers");
      out.push_back(static_cast<int64_t>(v));
    }
    return out;
  }
  const Value& In(const Node& n, size_t i) const {
    if (i >= n.inputs.size()) Invalid(Describe(n) + " has too few inputs");
    auto it = values_.find(n.inputs[i]);
    if (it == values_.end()) Unsupported(Describe(n) + " taking '" + n.inputs[i] + "', which is not computed from the input");
    return it->second;
  }
  // The step on `in`, once its output size agrees with the shape given its value: the sizes a
  // kernel writes and the shapes later ops read come from the same formula, or nothing runs.
  Value Add(std::unique_ptr<Step> step, const Value& in, std::vector<int64_t> dims) {
    if (Elements(dims, step->name + "'s output") != step->out_cols) {
      Invalid(step->name + ": its kernel writes " + std::to_string(step->out_cols) + " values per row, not the " +
              std::to_string(Elements(dims, step->name)) + " of its output shape");
    }
    return Value{plan_->Add(std::move(step), {in.id}), std::move(dims), in.merged};
  }
  // The shape an op reads a value in: in a graph whose batch is 1 the whole tensor's
  // (WholeShape), otherwise a row's (the batch dropped).
  std::vector<int64_t> Frame(const Value& v) const { return batch_one_ ? WholeShape(v) : v.dims; }
  // The value `id` of shape `shape` in Frame's terms. A scalar is declined in a graph whose batch
  // is 1 (its rank could not be told from [1]'s).
  Value Framed(const Node& n, Plan::Value id, std::vector<int64_t> shape) const {
    if (!batch_one_) return Value{id, std::move(shape)};
    if (shape.empty()) Unsupported(Describe(n) + " making a scalar");
    return OfWholeShape(id, std::move(shape));
  }
  // An op's axis (TensorFlow's numbering: the batch is 0; negative from the end) on a tensor whose
  // Frame has `rank` axes, as an index into that Frame. Without a batch fixed at 1, the batch axis
  // is declined.
  int64_t FrameAxis(const Node& n, int64_t axis, size_t rank) const {
    const int64_t whole = static_cast<int64_t>(rank) + (batch_one_ ? 0 : 1);
    if (axis < 0) axis += whole;
    if (axis < 0 || axis >= whole) Invalid(Describe(n) + " on an axis its input does not have");
    if (batch_one_) return axis;
    if (axis == 0) Unsupported(Describe(n) + " along the batch axis");
    return axis - 1;
  }
  bool IsOutput(const std::string& name) const {
    return std::find(outputs_.begin(), outputs_.end(), name) != outputs_.end();
  }
  // The node after `n` if it is n's only consumer and n is not an output.
  const Node* OnlyNext(const Node& n) const {
    auto it = consumers_.find(n.name);
    if (IsOutput(n.name) || it == consumers_.end() || it->second.size() != 1) return nullptr;
    return &nodes_[it->second.front()];
  }
  // A bias add (BiasAdd, or Add/AddV2 of a constant vector) and then an activation after a
  // MatMul or convolution, absorbed into it.
  struct Tail {
    const Node* bias = nullptr;
    const Node* activation = nullptr;
    ActivationSpec act;
  };
  Tail TailOf(const Node& n) const;
  // What a converter-fused op (_FusedMatMul, _FusedConv2D, FusedDepthwiseConv2dNative) fuses:
  // its fused_ops, a BiasAdd (its third input) and then an activation, into `bias` and `act`, or
  // a Prelu after the BiasAdd, whose slopes (its fourth input) go into `prelu`.
  void Fused(const Node& n, const Tensor*& bias, ActivationSpec& act, const Tensor*& prelu) const;
  // `v` through the slopes of a fused Prelu, if there is one.
  Value FusedPrelu(const Node& n, const Tensor* prelu, const Value& v);
  Value CompileNode(const Node& n, const Tail& tail);
  // Whether `n` is shape arithmetic on known inputs (a Shape of a computed value, or a foldable op
  // of constants), and then its result, into known_.
  bool Foldable(const Node& n) const;
  void Fold(const Node& n);
  // Unsupported() if `n` takes a Value::merged value and is not an op that reads it as such.
  void TakesMerged(const Node& n) const;

  // What an op's compile function gets: the node, what it absorbs (`tail`), its first input `x`
  // with the values in one row of it (checked), and the label of its steps.
  struct OpCall {
    const Node& n;
    const Tail& tail;
    const Value& x;
    int64_t cols;
    std::string label;
  };
  // The ops the executor covers, by name. Most compile from an OpCall; pass-throughs and binary
  // ops read their inputs themselves (an input may be a constant) and take the node.
  struct OpKind {
    Value (GraphCompiler::*compile)(const OpCall&) = nullptr;
    Value (GraphCompiler::*compile_node)(const Node&) = nullptr;
    bool takes_merged = false;  // reads a Value::merged input as such
  };
  static const OpKind* FindOp(const std::string& op);
  Value PassThrough(const Node& n) { return In(n, 0); }
  Value Binary(const Node& n);
  bool NeedsWholeBinary(const Node& n) const;
  Value WholeBinary(const Node& n);
  Value AddN(const Node& n);
  Value MatMul(const OpCall& k);
  Value Window2D(const OpCall& k);
  Value ActivationOp(const OpCall& k);
  Value Prelu(const OpCall& k);
  Value UnaryOp(const OpCall& k);
  Value BatchNorm(const OpCall& k);
  Value Reshape(const OpCall& k);
  Value Squeeze(const OpCall& k);
  Value ExpandDims(const OpCall& k);
  Value Cast(const OpCall& k);
  Value Transpose(const OpCall& k);
  Value Reduce(const OpCall& k);
  Value Join(const Node& n);
  Value Unpack(const OpCall& k);
  Value ArgMax(const OpCall& k);
  Value GatherNd(const Node& n);
  Value Pad(const OpCall& k);
  Value ResizeNearest(const OpCall& k);
  Value ResizeBilinear(const OpCall& k);
  Value DepthToSpace(const OpCall& k);
  Value Slice(const OpCall& k);
  Value TopK(const OpCall& k);
  Value IndexArithmetic(const Node& n);
  Value Gather(const Node& n);
  // A GatherV2's or GatherNd's indices: their whole shape, and a constant's values or the computed
  // value holding them.
  struct Indices {
    std::vector<int64_t> shape;
    std::vector<float> constant;  // empty for computed ones
    const Value* computed = nullptr;
  };
  Indices IndicesOf(const Node& n) const;
  std::vector<size_t> Order(size_t input) const;
  void FindOutputs(const std::vector<std::string>& names);

  std::vector<Node> nodes_;
  std::map<std::string, size_t> by_name_;
  const std::map<std::string, Tensor>& weights_;
  std::map<std::string, std::vector<size_t>> consumers_;
  std::map<std::string, Value> values_;
  struct Known {
    KnownInts ints;
    Tensor tensor;  // the same as floats, for ops that take a constant
  };
  std::map<std::string, Known> known_;
  std::vector<std::string> outputs_;  // node names, in the model's output order
  std::unique_ptr<Plan> plan_;
  bool batch_one_ = false;  // the graph's input fixes its batch at 1: rows are whole tensors (Value::merged)
};

}  // namespace tfjs_run::native::graph
