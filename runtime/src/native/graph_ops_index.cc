// The graph ops on indices, as a detector's or pose estimator's post-processing computes them:
// TopKV2, FloorDiv, FloorMod and Equal, GatherV2, ArgMax and GatherNd.
#include "native/graph_compiler.h"

#include <algorithm>

#include "native/index_ops.h"

namespace tfjs_run::native::graph {

// TopKV2 along the last axis: its values (output 0) and their indices (output 1, "name:1").
Value GraphCompiler::TopK(const OpCall& k) {
  const Node& n = k.n;
  if (n.inputs.size() != 2) Invalid(Describe(n) + " has other than its two inputs");
  const std::vector<int64_t> count = Ints(n, n.inputs[1]);
  if (count.size() != 1) Invalid(Describe(n) + " has a k that is not one number");
  const int64_t axis = LastAxis(k.x.dims), outer = k.cols / axis;
  std::vector<int64_t> dims = k.x.dims;
  dims.back() = count[0];
  const Value indices = values_[n.name + ":1"] = Add(MakeTopK(k.label + " indices", outer, axis, count[0]), k.x, dims);
  return Value{plan_->Add(MakeTakeAlong(k.label, outer, axis, count[0]), {k.x.id, indices.id}), dims};
}

// FloorDiv and FloorMod by a scalar constant other than 0, and Equal of two values of one shape
// or of a value and a scalar constant.
Value GraphCompiler::IndexArithmetic(const Node& n) {
  if (n.inputs.size() != 2) Invalid(Describe(n) + " does not take two inputs");
  IndexBinary kind = IndexBinary::kEqual;
  IndexBinaryOf(n.op, kind);
  const std::string label = n.name + " (" + n.op + ")";
  const Value& a = In(n, 0);
  const int64_t cols = CheckRow(a.dims, true, Describe(n));
  if (IsConst(n.inputs[1])) {
    const Tensor& c = Constant(n, n.inputs[1]);
    if (c.values.size() != 1 || c.shape.size() > 1) Unsupported(Describe(n) + " with a constant other than a scalar");
    if (kind != IndexBinary::kEqual && c.values[0] == 0) Unsupported(Describe(n) + " by a constant 0");
    return Add(MakeIndexBinary(label, kind, cols, c.values[0]), a, a.dims);
  }
  // A computed divisor may be 0, where tfjs's backends do not agree on the answer.
  if (kind != IndexBinary::kEqual) Unsupported(Describe(n) + " by a computed value");
  const Value& b = In(n, 1);
  if (Frame(a) != Frame(b)) Unsupported(Describe(n) + " of values of different shapes");
  return Value{plan_->Add(MakeIndexBinary(label, kind, cols, std::nullopt), {a.id, b.id}), a.dims, a.merged};
}

// A gather's indices (its second input): a constant's values, or, in a graph whose batch is 1, a
// computed value's (in a larger batch, a row's computed index would gather from other rows).
GraphCompiler::Indices GraphCompiler::IndicesOf(const Node& n) const {
  Indices indices;
  if (IsConst(n.inputs[1])) {
    const Tensor& t = Constant(n, n.inputs[1]);
    indices.shape = t.shape;
    indices.constant = t.values;
    if (indices.constant.empty()) Unsupported(Describe(n) + " by no indices");
    return indices;
  }
  if (!batch_one_) Unsupported(Describe(n) + " by computed indices in a graph whose batch is not fixed at 1");
  indices.computed = &In(n, 1);
  indices.shape = WholeShape(*indices.computed);
  return indices;
}

// GatherV2 (batch_dims 0) along an axis other than the batch, or along the first axis of a
// Value::merged value, by constant indices or, in a graph whose batch is 1, computed ones.
Value GraphCompiler::Gather(const Node& n) {
  if (n.inputs.size() != 3) Invalid(Describe(n) + " has other than its three inputs");
  if (IntAttr(n, "batch_dims", 0) != 0) Unsupported(Describe(n) + " with batch_dims");
  const Value& params = In(n, 0);
  CheckRow(params.dims, false, Describe(n));
  const std::vector<int64_t> whole = WholeShape(params);
  const std::vector<int64_t> axes = Ints(n, n.inputs[2]);
  if (axes.size() != 1) Invalid(Describe(n) + " has an axis that is not one number");
  const int64_t rank = static_cast<int64_t>(whole.size()), axis = axes[0] < 0 ? axes[0] + rank : axes[0];
  if (axis < 0 || axis >= rank) Invalid(Describe(n) + " on an axis its input does not have");
  if (axis == 0 && !params.merged) Unsupported(Describe(n) + " along the batch axis");
  Indices indices = IndicesOf(n);
  const std::vector<int64_t>& index_shape = indices.shape;
  const int64_t count = index_shape.empty() ? 1 : Elements(index_shape, Describe(n) + "'s indices");
  const size_t at = static_cast<size_t>(axis) - (params.merged ? 0 : 1);  // the axis in params.dims
  int64_t outer = 1, inner = 1;
  for (size_t i = 0; i < params.dims.size(); ++i) {
    if (i < at) outer *= params.dims[i];
    if (i > at) inner *= params.dims[i];
  }
  std::vector<int64_t> out(whole.begin(), whole.begin() + axis);
  out.insert(out.end(), index_shape.begin(), index_shape.end());
  out.insert(out.end(), whole.begin() + axis + 1, whole.end());
  if (!batch_one_) out.erase(out.begin());  // the batch (axis > 0 here)
  Value result = batch_one_ ? Framed(n, 0, std::move(out)) : Value{0, std::move(out)};
  auto step = MakeGather(n.name + " (" + n.op + ")", outer, params.dims[at], inner, count, std::move(indices.constant));
  if (Elements(result.dims, Describe(n) + "'s output") != step->out_cols) Invalid(Describe(n) + " makes a shape its kernel does not");
  std::vector<Plan::Value> inputs = {params.id};
  if (indices.computed) inputs.push_back(indices.computed->id);
  result.id = plan_->Add(std::move(step), inputs);
  return result;
}

// ArgMax along any axis but a free batch (index_ops.h MakeArgMax).
Value GraphCompiler::ArgMax(const OpCall& k) {
  const std::vector<int64_t> shape = Frame(k.x), axis = Ints(k.n, SecondInput(k.n));
  if (axis.size() != 1) Invalid(Describe(k.n) + " has an axis that is not one number");
  const size_t at = static_cast<size_t>(FrameAxis(k.n, axis[0], shape.size()));
  int64_t outer = 1, inner = 1;
  std::vector<int64_t> out;
  for (size_t a = 0; a < shape.size(); ++a) {
    if (a < at) outer *= shape[a];
    if (a > at) inner *= shape[a];
    if (a != at) out.push_back(shape[a]);
  }
  return Framed(k.n, plan_->Add(MakeArgMax(k.label, outer, shape[at], inner), {k.x.id}), std::move(out));
}

// GatherNd, in a graph whose batch is 1 (its indices address the whole tensor, the batch's axis
// included), by constant or computed indices (index_ops.h MakeGatherNd).
Value GraphCompiler::GatherNd(const Node& n) {
  if (n.inputs.size() != 2) Invalid(Describe(n) + " has other than its two inputs");
  if (!batch_one_) Unsupported(Describe(n) + " in a graph whose batch is not fixed at 1");
  const Value& params = In(n, 0);
  const std::vector<int64_t> shape = WholeShape(params);
  Indices indices = IndicesOf(n);
  const std::vector<int64_t>& index_shape = indices.shape;
  std::vector<Plan::Value> inputs = {params.id};
  if (indices.computed) inputs.push_back(indices.computed->id);
  if (index_shape.empty()) Invalid(Describe(n) + " has indices of rank 0");
  const int64_t depth = index_shape.back();
  if (depth < 1 || depth > static_cast<int64_t>(shape.size())) Invalid(Describe(n) + ": its index tuples do not fit its input");
  std::vector<int64_t> out(index_shape.begin(), index_shape.end() - 1);
  const int64_t count = out.empty() ? 1 : Elements(out, Describe(n) + "'s indices");
  out.insert(out.end(), shape.begin() + depth, shape.end());
  auto step = MakeGatherNd(n.name + " (" + n.op + ")", shape, depth, count, std::move(indices.constant));
  if (step->out_cols != (out.empty() ? 1 : Elements(out, Describe(n) + "'s output"))) {
    Invalid(Describe(n) + " makes a shape its kernel does not");
  }
  return Framed(n, plan_->Add(std::move(step), inputs), std::move(out));
}

}  // namespace tfjs_run::native::graph
