// The graph's elementwise binary ops (Add to SquaredDifference, BiasAdd, AddN), broadcast as tfjs
// broadcasts them: per-channel affine maps, broadcasts of constants and values, and, in a graph
// whose batch is 1, between whole tensors.
#include "native/graph_compiler.h"

#include <algorithm>

#include "native/kernels.h"
#include "native/merge.h"

namespace tfjs_run::native::graph {

namespace {
// The merge a binary op is.
Merge MergeOf(const std::string& op) {
  return op == "Mul" ? Merge::kMultiply : op == "Sub" ? Merge::kSubtract : op == "RealDiv" ? Merge::kDivide
       : op == "Maximum" ? Merge::kMaximum : op == "Minimum" ? Merge::kMinimum
       : op == "SquaredDifference" ? Merge::kSquaredDifference : Merge::kAdd;
}

// A constant as an operand of an op on rows of rank `rank`: its shape aligned to the row's (the
// leading 1s numpy would add), its batch axis dropped. A constant that would broadcast over the
// batch, or add axes to the value, is declined.
BinaryOperand ConstantOperand(const Node& n, const Tensor& c, size_t rank) {
  std::vector<int64_t> dims = c.shape;
  // A constant of higher rank than the value would add axes to it (and move its batch).
  if (dims.size() > rank + 1) Unsupported(Describe(n) + " with a constant of higher rank than its input");
  if (dims.size() == rank + 1) {
    if (dims[0] != 1) Unsupported(Describe(n) + " broadcasting a constant over the batch");
    dims.erase(dims.begin());
  }
  dims.insert(dims.begin(), rank - dims.size(), 1);
  return BinaryOperand{std::move(dims), c.values};
}

}  // namespace

// Elementwise with a constant or of two computed values. A per-channel or scalar constant in
// Add/Mul/Sub/RealDiv is a per-channel affine map (x·s + b); other constants, Maximum, Minimum and
// SquaredDifference, and computed values of different shapes (a squeeze-excite gate [1, 1, C] over
// an image) are broadcast as tfjs broadcasts them, so long as the batch is not (in a graph whose
// batch is 1, between whole tensors: WholeBinary).
Value GraphCompiler::Binary(const Node& n) {
  if (n.inputs.size() != 2) Invalid(Describe(n) + " does not take two inputs");
  if (NeedsWholeBinary(n)) return WholeBinary(n);
  const std::string label = n.name + " (" + n.op + ")";
  const bool affine = n.op != "Maximum" && n.op != "Minimum" && n.op != "SquaredDifference";
  for (size_t k = 0; k < 2; ++k) {
    if (!IsConst(n.inputs[k])) continue;
    if (n.op == "BiasAdd" && k == 0) Unsupported(Describe(n) + " of a constant by a value");
    const Value& x = In(n, 1 - k);
    const Tensor& c = Constant(n, n.inputs[k]);
    const int64_t cols = CheckRow(x.dims, true, Describe(n)), ch = LastAxis(x.dims);
    BinaryOperand operand = ConstantOperand(n, c, x.dims.size());
    const int64_t count = static_cast<int64_t>(c.values.size());
    const auto leading_end = c.shape.end() - (c.shape.empty() ? 0 : 1);
    const bool per_channel = (count == 1 || count == ch) &&
                             std::all_of(c.shape.begin(), leading_end, [](int64_t d) { return d == 1; });
    if (!affine || !per_channel || (n.op == "RealDiv" && k == 0)) {
      if (n.op == "BiasAdd") Unsupported(Describe(n) + " broadcasting other than per channel");
      BinaryOperand value{x.dims, {}};
      std::vector<int64_t> dims =
          BroadcastDims(k == 0 ? operand.dims : x.dims, k == 0 ? x.dims : operand.dims, Describe(n));
      auto step = k == 0 ? MakeBroadcast(label, MergeOf(n.op), std::move(operand), std::move(value))
                         : MakeBroadcast(label, MergeOf(n.op), std::move(value), std::move(operand));
      return Add(std::move(step), x, std::move(dims));
    }
    // x·scale + shift per channel.
    std::vector<float> scale(static_cast<size_t>(ch), 1.0f), shift(static_cast<size_t>(ch), 0.0f);
    for (size_t i = 0; i < scale.size(); ++i) {
      const float v = c.values[count == 1 ? 0 : i];
      if (n.op == "Mul") scale[i] = v;
      else if (n.op == "RealDiv") scale[i] = 1.0f / v;
      else if (n.op == "Sub" && k == 1) shift[i] = -v;
      else if (n.op == "Sub") scale[i] = -1.0f, shift[i] = v;
      else shift[i] = v;
    }
    return Add(MakeChannelAffine(label, std::move(scale), std::move(shift), cols), x, x.dims);
  }
  if (n.op == "BiasAdd") Unsupported(Describe(n) + " of two computed values");
  const Value &a = In(n, 0), &b = In(n, 1);
  CheckRow(a.dims, true, Describe(n));
  CheckRow(b.dims, true, Describe(n));
  if (a.dims == b.dims) {
    return Value{plan_->Add(MakeMerge(label, MergeOf(n.op), 2, Elements(a.dims, Describe(n))), {a.id, b.id}), a.dims};
  }
  // Of different ranks, numpy would line the batch of one up with an axis of the other.
  if (a.dims.size() != b.dims.size()) Unsupported(Describe(n) + " broadcasting values of different ranks");
  std::vector<int64_t> dims = BroadcastDims(a.dims, b.dims, Describe(n));
  auto step = MakeBroadcast(label, MergeOf(n.op), BinaryOperand{a.dims, {}}, BinaryOperand{b.dims, {}});
  return Value{plan_->Add(std::move(step), {a.id, b.id}), std::move(dims)};
}

// Whether, in a graph whose batch is 1, a binary op is broadcast between whole tensors: an input
// is Value::merged, the computed inputs differ in rank, or a constant has axes that a row's
// terms cannot line up (more than the whole tensor's, or a first that is not 1).
bool GraphCompiler::NeedsWholeBinary(const Node& n) const {
  if (!batch_one_ || n.op == "BiasAdd") return false;
  std::vector<const Value*> computed;
  const Tensor* constant = nullptr;
  for (const std::string& in : n.inputs) {
    if (IsConst(in)) constant = &Constant(n, in);
    else if (auto it = values_.find(in); it != values_.end()) computed.push_back(&it->second);
    else return false;  // In() will say what is missing
  }
  for (const Value* v : computed) {
    if (v->merged) return true;
  }
  if (computed.size() == 2) return computed[0]->dims.size() != computed[1]->dims.size();
  if (!constant || computed.empty()) return false;
  const size_t whole = computed[0]->dims.size() + 1;
  return constant->shape.size() > whole || (constant->shape.size() == whole && constant->shape[0] != 1);
}

// A binary op on whole tensors (graphs whose batch is 1): each side's whole shape, a constant's
// as it is, aligned at their last axes and broadcast as numpy and tfjs do.
Value GraphCompiler::WholeBinary(const Node& n) {
  BinaryOperand sides[2];
  std::vector<Plan::Value> ids;
  size_t rank = 0;
  for (size_t k = 0; k < 2; ++k) {
    if (IsConst(n.inputs[k])) {
      const Tensor& c = Constant(n, n.inputs[k]);
      sides[k] = BinaryOperand{c.shape, c.values};
    } else {
      const Value& v = In(n, k);
      CheckRow(v.dims, true, Describe(n));
      sides[k] = BinaryOperand{WholeShape(v), {}};
      ids.push_back(v.id);
    }
    rank = std::max(rank, sides[k].dims.size());
  }
  for (BinaryOperand& side : sides) side.dims.insert(side.dims.begin(), rank - side.dims.size(), 1);
  std::vector<int64_t> dims = BroadcastDims(sides[0].dims, sides[1].dims, Describe(n));
  auto step = MakeBroadcast(n.name + " (" + n.op + ")", MergeOf(n.op), std::move(sides[0]), std::move(sides[1]));
  return Framed(n, plan_->Add(std::move(step), ids), std::move(dims));
}

// The sum of values of one shape, left to right as tfjs adds them.
Value GraphCompiler::AddN(const Node& n) {
  if (n.inputs.empty()) Invalid(Describe(n) + " has no inputs");
  const Value& first = In(n, 0);
  CheckRow(first.dims, true, Describe(n));
  if (n.inputs.size() == 1) return first;
  std::vector<Plan::Value> ids;
  for (size_t i = 0; i < n.inputs.size(); ++i) {
    const Value& v = In(n, i);
    if (Frame(v) != Frame(first)) Unsupported(Describe(n) + " of values of different shapes");
    ids.push_back(v.id);
  }
  const std::string label = n.name + " (" + n.op + ")";
  auto step = MakeMerge(label, Merge::kAdd, ids.size(), Elements(first.dims, Describe(n)));
  return Value{plan_->Add(std::move(step), ids), first.dims, first.merged};
}

}  // namespace tfjs_run::native::graph
