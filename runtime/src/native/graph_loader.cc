#include "native/graph_loader.h"

#include <algorithm>
#include <cmath>
#include <set>

#include <nlohmann/json.hpp>

#include "native/base64.h"
#include "native/const_fold.h"
#include "native/index_ops.h"
#include "native/merge.h"
#include "native/resample.h"
#include "native/slice.h"
#include "native/spatial.h"
#include "native/unary.h"

namespace tfjs_run::native {

namespace {
using nlohmann::json;

struct Node {
  std::string name, op;
  // What it takes: a producer's name, or "name:k" for a producer's output k > 0 (":0" and
  // control inputs dropped).
  std::vector<std::string> inputs;
  const json* attr;
};

std::string Describe(const Node& n) { return "node '" + n.name + "' (" + n.op + ")"; }

// The node an input names: "name" of "name:k".
std::string NodeOf(const std::string& input) { return input.substr(0, input.find(':')); }

// A base64 attribute string (GraphDef bytes).
std::string Base64(const std::string& text) {
  if (text.size() > 4096) Invalid("a graph attribute string is malformed");
  std::optional<std::string> bytes = DecodeBase64(text);
  if (!bytes) Invalid("a graph attribute string is not base64");
  return std::move(*bytes);
}

const json* Attr(const Node& n, const char* key) {
  return n.attr && n.attr->is_object() && n.attr->contains(key) ? &(*n.attr)[key] : nullptr;
}

bool BoolAttr(const Node& n, const char* key) {
  const json* a = Attr(n, key);
  return a && a->is_object() && a->contains("b") && (*a)["b"].is_boolean() && (*a)["b"].get<bool>();
}

float FloatAttr(const Node& n, const char* key, float otherwise) {
  const json* a = Attr(n, key);
  if (!a || !a->is_object() || !a->contains("f")) return otherwise;
  if (!(*a)["f"].is_number()) Invalid(Describe(n) + ": attribute " + key + " is not a number");
  return (*a)["f"].get<float>();
}

std::vector<std::string> StringListAttr(const Node& n, const char* key) {
  std::vector<std::string> out;
  const json* a = Attr(n, key);
  if (!a || !a->is_object() || !a->contains("list")) return out;
  const json& list = (*a)["list"];
  if (!list.is_object() || !list.contains("s")) return out;
  if (!list["s"].is_array() || list["s"].size() > 8) Invalid(Describe(n) + ": attribute " + key + " is malformed");
  for (const json& s : list["s"]) {
    if (!s.is_string()) Invalid(Describe(n) + ": attribute " + key + " is malformed");
    out.push_back(Base64(s.get<std::string>()));
  }
  return out;
}

// The activation a TensorFlow op name is, if it is one the executor covers.
bool ActivationOf(const std::string& op, ActivationSpec& act) {
  static const std::pair<const char*, Activation> kOps[] = {
      {"Relu", Activation::kRelu}, {"Relu6", Activation::kRelu6}, {"Sigmoid", Activation::kSigmoid},
      {"Tanh", Activation::kTanh}, {"Elu", Activation::kElu},     {"Selu", Activation::kSelu},
      {"Softplus", Activation::kSoftplus}, {"Softsign", Activation::kSoftsign}, {"Softmax", Activation::kSoftmax},
      {"LeakyRelu", Activation::kLeakyRelu},
  };
  for (const auto& [name, kind] : kOps) {
    if (op == name) {
      act = ActivationSpec{kind, kind == Activation::kElu ? 1.0f : 0.0f};
      return true;
    }
  }
  return false;
}

// A node's second input, "" if it has none: the constant shape, axis, axes, permutation, paddings
// or size of a Reshape, ExpandDims, ArgMax, Transpose, reduction, Pad or resize.
std::string SecondInput(const Node& n) { return n.inputs.size() > 1 ? n.inputs[1] : std::string(); }

// An integer attribute value: GraphDef JSON writes 64-bit integers as strings.
int64_t IntOf(const json& v, const Node& n, const char* key) {
  if (v.is_number_integer()) return v.get<int64_t>();
  if (v.is_string() && !v.get<std::string>().empty() && v.get<std::string>().size() < 12) {
    return std::strtoll(v.get<std::string>().c_str(), nullptr, 10);
  }
  Invalid(Describe(n) + ": attribute " + key + " is malformed");
}

std::vector<int64_t> IntListAttr(const Node& n, const char* key) {
  std::vector<int64_t> out;
  const json* a = Attr(n, key);
  if (!a || !a->is_object() || !a->contains("list")) return out;
  const json& list = (*a)["list"];
  if (!list.is_object() || !list.contains("i")) return out;
  if (!list["i"].is_array() || list["i"].size() > 8) Invalid(Describe(n) + ": attribute " + key + " is malformed");
  for (const json& v : list["i"]) out.push_back(IntOf(v, n, key));
  return out;
}

int64_t IntAttr(const Node& n, const char* key, int64_t otherwise) {
  const json* a = Attr(n, key);
  if (!a || !a->is_object() || !a->contains("i")) return otherwise;
  return IntOf((*a)["i"], n, key);
}

std::string StringAttr(const Node& n, const char* key, const std::string& otherwise) {
  const json* a = Attr(n, key);
  if (!a || !a->is_object() || !a->contains("s")) return otherwise;
  if (!(*a)["s"].is_string()) Invalid(Describe(n) + ": attribute " + key + " is malformed");
  return Base64((*a)["s"].get<std::string>());
}

SliceMasks Masks(const Node& n) {
  return SliceMasks{IntAttr(n, "begin_mask", 0), IntAttr(n, "end_mask", 0), IntAttr(n, "ellipsis_mask", 0),
                    IntAttr(n, "new_axis_mask", 0), IntAttr(n, "shrink_axis_mask", 0)};
}

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
std::vector<int64_t> WholeShape(const Value& v) {
  std::vector<int64_t> whole = v.dims;
  if (!v.merged) whole.insert(whole.begin(), 1);
  return whole;
}

// The value of whole tensor shape `whole` in a graph whose batch is 1: a first axis of 1 before
// others is the batch; any other holds it folded in (Value::merged), and so does a tensor of rank
// 1 ([1] stays [1], not a batch of rank-0 rows, which would read as [1, 1]).
Value OfWholeShape(Plan::Value id, std::vector<int64_t> whole) {
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

bool IsBiasAdd(const std::string& op) { return op == "BiasAdd" || op == "Add" || op == "AddV2"; }

GraphCompiler::Tail GraphCompiler::TailOf(const Node& n) const {
  Tail tail;
  if (n.op != "MatMul" && n.op != "Conv2D" && n.op != "DepthwiseConv2dNative") return tail;
  const Node* next = OnlyNext(n);
  if (next && IsBiasAdd(next->op) && next->inputs.size() == 2 && next->inputs[0] == n.name && IsConst(next->inputs[1])) {
    tail.bias = next;
    next = OnlyNext(*next);
  }
  if (next && next->inputs.size() == 1 && ActivationOf(next->op, tail.act) && tail.act.kind != Activation::kSoftmax) {
    if (tail.act.kind == Activation::kLeakyRelu) tail.act.alpha = FloatAttr(*next, "alpha", 0.2f);
    tail.activation = next;
  } else {
    tail.act = {};
  }
  return tail;
}

void GraphCompiler::Fused(const Node& n, const Tensor*& bias, ActivationSpec& act, const Tensor*& prelu) const {
  const std::vector<std::string> fused = StringListAttr(n, "fused_ops");
  size_t k = 0;
  if (k < fused.size() && fused[k] == "BiasAdd") {
    if (n.inputs.size() < 3) Invalid(Describe(n) + " fuses a bias but has no bias input");
    bias = &Constant(n, n.inputs[2]);
    ++k;
  }
  ActivationSpec fused_act;
  if (k < fused.size() && ActivationOf(fused[k], fused_act) && fused_act.kind != Activation::kSoftmax) {
    if (fused_act.kind == Activation::kLeakyRelu) fused_act.alpha = FloatAttr(n, "leakyrelu_alpha", 0.2f);
    act = fused_act;
    ++k;
  } else if (k == 1 && k < fused.size() && fused[k] == "Prelu") {  // tfjs takes a Prelu only after a BiasAdd
    if (n.inputs.size() < 4) Invalid(Describe(n) + " fuses a Prelu but has no slopes input");
    prelu = &Constant(n, n.inputs[3]);
    ++k;
  }
  if (k != fused.size()) Unsupported(Describe(n) + " fusing " + (k < fused.size() ? fused[k] : std::string("?")));
}

Value GraphCompiler::FusedPrelu(const Node& n, const Tensor* prelu, const Value& v) {
  if (!prelu) return v;
  return Add(MakePrelu(n.name + " (Prelu)", *prelu, v.dims), v, v.dims);
}

// The nodes computed from the input, each after its inputs (an iterative depth-first search
// from each output in turn, so a deep graph cannot exhaust the stack); Invalid on a cycle.
std::vector<size_t> GraphCompiler::Order(size_t input) const {
  std::vector<size_t> order;
  std::vector<uint8_t> state(nodes_.size(), 0);  // 0 new, 1 open, 2 done
  std::vector<std::pair<size_t, size_t>> stack;
  for (const std::string& out : outputs_) {
    const size_t at = by_name_.at(NodeOf(out));
    if (state[at] != 0) continue;  // on the way to an earlier output
    stack.push_back({at, 0});
    state[stack.back().first] = 1;
    while (!stack.empty()) {
      auto& [i, next] = stack.back();
      const Node& n = nodes_[i];
      if (i != input && n.op != "Const" && next < n.inputs.size()) {
        const std::string& in = n.inputs[next++];
        auto it = by_name_.find(NodeOf(in));
        if (it == by_name_.end()) Invalid(Describe(n) + " takes '" + in + "', which is not in the graph");
        if (state[it->second] == 1) Invalid("the graph has a cycle through " + Describe(n));
        if (state[it->second] == 0) {
          state[it->second] = 1;
          stack.push_back({it->second, 0});
        }
        continue;
      }
      state[i] = 2;
      if (n.op != "Const") order.push_back(i);
      stack.pop_back();
    }
  }
  return order;
}

// The outputs: `names` (tfjs's, "node" or "node:0"), or, when the bundle gives none, the nodes
// nothing takes, in the graph's order (what tfjs-converter picks for a graph without a signature).
void GraphCompiler::FindOutputs(const std::vector<std::string>& names) {
  for (std::string name : names) {
    if (const size_t colon = name.find(':'); colon != std::string::npos) {
      if (name.substr(colon) == ":0") name.resize(colon);
    }
    if (!by_name_.count(NodeOf(name))) Invalid("the graph output '" + name.substr(0, 64) + "' is not a node of the graph");
    outputs_.push_back(std::move(name));
  }
  if (!names.empty()) return;
  for (const Node& n : nodes_) {
    if (n.op == "Const" || n.op == "NoOp" || n.op == "Placeholder" || consumers_.count(n.name)) continue;
    outputs_.push_back(n.name);
  }
  if (outputs_.empty()) Invalid("the graph has no output");
}

std::unique_ptr<Plan> GraphCompiler::Compile(std::vector<int64_t> dims, const std::vector<std::string>& outputs,
                                             bool int_input) {
  size_t input = nodes_.size();
  for (size_t i = 0; i < nodes_.size(); ++i) {
    const Node& n = nodes_[i];
    if (n.op == "Placeholder") {
      if (input != nodes_.size()) Unsupported("a graph with several inputs");
      input = i;
    } else if (n.op != "Const" && n.op != "NoOp") {
      for (const std::string& in : n.inputs) {
        if (!by_name_.count(NodeOf(in))) Invalid(Describe(n) + " takes '" + in + "', which is not in the graph");
        consumers_[NodeOf(in)].push_back(i);
      }
    }
  }
  if (input == nodes_.size()) Invalid("the graph has no Placeholder input");
  if (int_input) IntOnlyCastToFloat(nodes_[input]);
  FindOutputs(outputs);
  const json* shape = Attr(nodes_[input], "shape");
  const json* dim = shape && shape->is_object() && shape->contains("shape") && (*shape)["shape"].is_object() &&
                            (*shape)["shape"].contains("dim") && (*shape)["shape"]["dim"].is_array()
                        ? &(*shape)["shape"]["dim"] : nullptr;
  auto size_of = [](const json& d) -> int64_t {
    return d.is_object() && d.contains("size") && d["size"].is_string()
               ? std::strtoll(d["size"].get<std::string>().c_str(), nullptr, 10) : -1;
  };
  batch_one_ = dim && !dim->empty() && size_of((*dim)[0]) == 1;
  if (dims.empty()) {
    if (!dim || dim->empty()) Invalid("the graph input's shape is not declared");
    for (size_t i = 1; i < dim->size(); ++i) {
      const int64_t size = size_of((*dim)[i]);
      if (size <= 0) Unsupported("the graph input has a free dimension (fix it with model-bundler --input-shape)");
      dims.push_back(size);
    }
  }
  plan_ = std::make_unique<Plan>();
  plan_->set_input_cols(Elements(dims, "the graph input"));
  values_[nodes_[input].name] = Value{0, dims};
  for (size_t i : Order(input)) {
    const Node& n = nodes_[i];
    if (values_.count(n.name)) continue;  // the input, or absorbed into the node before it
    if (Foldable(n)) {
      Fold(n);
      continue;
    }
    TakesMerged(n);
    const Tail tail = TailOf(n);
    const Value v = values_[n.name] = CompileNode(n, tail);
    for (const Node* t : {tail.bias, tail.activation}) {
      if (t) values_[t->name] = v;
    }
  }
  std::vector<Plan::Value> ids;
  for (const std::string& out : outputs_) {
    if (!values_.count(out)) Invalid("the graph's output '" + out.substr(0, 64) + "' is not computed from its input");
    ids.push_back(values_[out].id);
  }
  plan_->set_outputs(std::move(ids));
  return std::move(plan_);
}

bool GraphCompiler::Foldable(const Node& n) const {
  if (!Folds(n.op)) return false;
  if (n.op == "Shape") {
    return n.inputs.size() == 1 && values_.count(n.inputs[0]) && !values_.at(n.inputs[0]).merged;
  }
  return std::all_of(n.inputs.begin(), n.inputs.end(), [&](const std::string& in) { return IsConst(in); });
}

void GraphCompiler::Fold(const Node& n) {
  KnownInts ints;
  if (n.op == "Shape") {
    ints = ShapeOf(In(n, 0).dims);
  } else {
    std::vector<KnownInts> inputs;
    for (const std::string& in : n.inputs) {
      auto k = known_.find(in);
      inputs.push_back(k != known_.end() ? k->second.ints : KnownInts{Constant(n, in).shape, Ints(n, in), -1});
    }
    ints = native::Fold(n.op, inputs, FoldAttrs{Masks(n), IntAttr(n, "axis", 0)}, Describe(n));
  }
  Tensor tensor{ints.shape, std::vector<float>(ints.values.begin(), ints.values.end())};
  known_[n.name] = Known{std::move(ints), std::move(tensor)};
}

const GraphCompiler::OpKind* GraphCompiler::FindOp(const std::string& op) {
  using G = GraphCompiler;
  static const std::map<std::string, OpKind, std::less<>> kOps = {
      {"Identity", {nullptr, &G::PassThrough, true}},
      {"StopGradient", {nullptr, &G::PassThrough, true}},
      {"Snapshot", {nullptr, &G::PassThrough, true}},
      {"BiasAdd", {nullptr, &G::Binary}},
      {"Add", {nullptr, &G::Binary, true}},
      {"AddV2", {nullptr, &G::Binary, true}},
      {"Mul", {nullptr, &G::Binary, true}},
      {"Sub", {nullptr, &G::Binary, true}},
      {"RealDiv", {nullptr, &G::Binary, true}},
      {"Maximum", {nullptr, &G::Binary, true}},
      {"Minimum", {nullptr, &G::Binary, true}},
      {"SquaredDifference", {nullptr, &G::Binary, true}},
      {"AddN", {nullptr, &G::AddN, true}},
      {"MatMul", {&G::MatMul}},
      {"_FusedMatMul", {&G::MatMul}},
      {"Conv2D", {&G::Window2D}},
      {"_FusedConv2D", {&G::Window2D}},
      {"DepthwiseConv2dNative", {&G::Window2D}},
      {"FusedDepthwiseConv2dNative", {&G::Window2D}},
      {"MaxPool", {&G::Window2D}},
      {"AvgPool", {&G::Window2D}},
      {"Relu", {&G::ActivationOp, nullptr, true}},
      {"Relu6", {&G::ActivationOp, nullptr, true}},
      {"Sigmoid", {&G::ActivationOp, nullptr, true}},
      {"Tanh", {&G::ActivationOp, nullptr, true}},
      {"Elu", {&G::ActivationOp, nullptr, true}},
      {"Selu", {&G::ActivationOp, nullptr, true}},
      {"Softplus", {&G::ActivationOp, nullptr, true}},
      {"Softsign", {&G::ActivationOp, nullptr, true}},
      {"Softmax", {&G::ActivationOp, nullptr, true}},
      {"LeakyRelu", {&G::ActivationOp, nullptr, true}},
      {"Prelu", {&G::Prelu}},
      {"Abs", {&G::UnaryOp, nullptr, true}},
      {"Neg", {&G::UnaryOp, nullptr, true}},
      {"Sqrt", {&G::UnaryOp, nullptr, true}},
      {"Rsqrt", {&G::UnaryOp, nullptr, true}},
      {"Square", {&G::UnaryOp, nullptr, true}},
      {"Exp", {&G::UnaryOp, nullptr, true}},
      {"Log", {&G::UnaryOp, nullptr, true}},
      {"ClipByValue", {&G::UnaryOp, nullptr, true}},
      {"FusedBatchNorm", {&G::BatchNorm}},
      {"FusedBatchNormV3", {&G::BatchNorm}},
      {"Reshape", {&G::Reshape, nullptr, true}},
      {"Squeeze", {&G::Squeeze, nullptr, true}},
      {"ExpandDims", {&G::ExpandDims, nullptr, true}},
      {"Cast", {&G::Cast, nullptr, true}},
      {"Unpack", {&G::Unpack, nullptr, true}},
      {"Transpose", {&G::Transpose}},
      {"Mean", {&G::Reduce}},
      {"Max", {&G::Reduce}},
      {"Sum", {&G::Reduce}},
      {"ConcatV2", {nullptr, &G::Join, true}},
      {"Pack", {nullptr, &G::Join, true}},
      {"Pad", {&G::Pad}},
      {"PadV2", {&G::Pad}},
      {"ResizeNearestNeighbor", {&G::ResizeNearest}},
      {"ResizeBilinear", {&G::ResizeBilinear}},
      {"DepthToSpace", {&G::DepthToSpace}},
      {"StridedSlice", {&G::Slice}},
      {"Slice", {&G::Slice}},
      {"TopKV2", {&G::TopK}},
      {"ArgMax", {&G::ArgMax, nullptr, true}},
      {"FloorDiv", {nullptr, &G::IndexArithmetic, true}},
      {"FloorMod", {nullptr, &G::IndexArithmetic, true}},
      {"Equal", {nullptr, &G::IndexArithmetic, true}},
      {"GatherV2", {nullptr, &G::Gather, true}},
      {"GatherNd", {nullptr, &G::GatherNd, true}},
  };
  auto it = kOps.find(op);
  return it == kOps.end() ? nullptr : &it->second;
}

Value GraphCompiler::CompileNode(const Node& n, const Tail& tail) {
  const OpKind* kind = FindOp(n.op);
  if (kind && kind->compile_node) return (this->*kind->compile_node)(n);
  const Value& x = In(n, 0);
  // Shapes are checked here, once, before the op's code reads an axis of them.
  ActivationSpec act;
  Unary unary = Unary::kAbs;
  const bool elementwise = n.op == "Reshape" || n.op == "ExpandDims" || n.op == "Cast" || UnaryOf(n.op, unary) ||
                           (ActivationOf(n.op, act) && act.kind != Activation::kSoftmax);
  const int64_t cols = CheckRow(x.dims, elementwise, Describe(n));
  if (!kind) Unsupported(Describe(n));
  std::string label = n.name + " (" + n.op;
  for (const Node* t : {tail.bias, tail.activation}) {
    if (t) label += " + " + t->op;
  }
  label += ")";
  return (this->*kind->compile)(OpCall{n, tail, x, cols, std::move(label)});
}

// ---- Matrix products, activations, normalisation (kernels.h, activation.h)

Value GraphCompiler::MatMul(const OpCall& k) {
  const Node& n = k.n;
  const Value& x = k.x;
  if (n.inputs.size() < 2) Invalid(Describe(n) + " has fewer than 2 inputs");
  if (BoolAttr(n, "transpose_a")) Unsupported(Describe(n) + " with transpose_a");
  const Tensor& w = Constant(n, n.inputs[1]);
  if (w.shape.size() != 2) Invalid(Describe(n) + ": the weight is not a matrix");
  Tensor kernel = w;
  if (BoolAttr(n, "transpose_b")) {  // stored [out, in]: make it [in, out]
    const size_t rows = static_cast<size_t>(w.shape[0]), wcols = static_cast<size_t>(w.shape[1]);
    kernel.shape = {w.shape[1], w.shape[0]};
    for (size_t r = 0; r < rows; ++r) {
      for (size_t c = 0; c < wcols; ++c) kernel.values[c * rows + r] = w.values[r * wcols + c];
    }
  }
  if (kernel.shape[0] != x.dims.back()) Invalid(Describe(n) + ": the weight does not match its input");
  const Tensor* bias = k.tail.bias ? &Constant(*k.tail.bias, k.tail.bias->inputs[1]) : nullptr;
  ActivationSpec fused_act = k.tail.act;
  const Tensor* prelu = nullptr;
  if (n.op == "_FusedMatMul") Fused(n, bias, fused_act, prelu);
  if (bias && bias->shape != std::vector<int64_t>{kernel.shape[1]}) Invalid(Describe(n) + ": the bias does not match its MatMul");
  std::vector<int64_t> dims = x.dims;
  dims.back() = kernel.shape[1];
  return FusedPrelu(n, prelu, Add(MakeDense(k.label, kernel, bias, fused_act, k.cols / x.dims.back()), x, dims));
}

Value GraphCompiler::ActivationOp(const OpCall& k) {
  ActivationSpec act;
  ActivationOf(k.n.op, act);
  if (act.kind == Activation::kLeakyRelu) act.alpha = FloatAttr(k.n, "alpha", 0.2f);
  return Add(MakeActivation(k.label, act, k.cols, LastAxis(k.x.dims)), k.x, k.x.dims);
}

Value GraphCompiler::UnaryOp(const OpCall& k) {
  Unary kind = Unary::kAbs;
  UnaryOf(k.n.op, kind);
  float lo = 0, hi = 0;
  if (kind == Unary::kClip) {
    if (k.n.inputs.size() != 3) Invalid(Describe(k.n) + " does not take three inputs");
    const Tensor &min = Constant(k.n, k.n.inputs[1]), &max = Constant(k.n, k.n.inputs[2]);
    if (min.values.size() != 1 || max.values.size() != 1) {
      Unsupported(Describe(k.n) + " to bounds that are not scalars");
    }
    lo = min.values[0], hi = max.values[0];
  }
  return Add(MakeUnary(k.label, kind, k.cols, lo, hi), k.x, k.x.dims);
}

Value GraphCompiler::Prelu(const OpCall& k) {
  if (k.n.inputs.size() != 2) Invalid(Describe(k.n) + " does not take two inputs");
  return Add(MakePrelu(k.label, Constant(k.n, k.n.inputs[1]), k.x.dims), k.x, k.x.dims);
}

Value GraphCompiler::BatchNorm(const OpCall& k) {
  const Node& n = k.n;
  if (n.inputs.size() < 5) Invalid(Describe(n) + " has fewer than 5 inputs");
  if (StringAttr(n, "data_format", "NHWC") != "NHWC") Unsupported(Describe(n) + " in a layout other than NHWC");
  const int64_t ch = k.x.dims.back();
  const float eps = FloatAttr(n, "epsilon", 1e-3f);
  const Tensor &gamma = Constant(n, n.inputs[1]), &beta = Constant(n, n.inputs[2]);
  const Tensor &mean = Constant(n, n.inputs[3]), &var = Constant(n, n.inputs[4]);
  for (const Tensor* t : {&gamma, &beta, &mean, &var}) {
    if (t->shape != std::vector<int64_t>{ch}) Invalid(Describe(n) + ": a statistic does not match the channels");
  }
  ChannelScale norm = BatchNormScale(&gamma, &beta, mean, var, eps);
  return Add(MakeChannelAffine(k.label, std::move(norm.scale), std::move(norm.shift), k.cols), k.x, k.x.dims);
}

// ---- Shapes: reshapes, axes, casts, transposes (resample.h)

Value GraphCompiler::Reshape(const OpCall& k) {
  const std::string& shape = SecondInput(k.n);
  std::vector<int64_t> target = Ints(k.n, shape, true);
  if (target.empty()) Invalid(Describe(k.n) + " has an empty shape");
  // A target folded from the input's own shape may hold the batch size first; one folded from
  // constants alone does not.
  auto known = known_.find(shape);
  const bool batch_first = known != known_.end() && known->second.ints.batch_at == 0;
  if (batch_one_ && !batch_first) {
    // The batch is 1: the target shapes the whole tensor. A first axis other than 1 folds the
    // batch into it (Value::merged); a first axis of 1 before others is the batch again.
    return OfWholeShape(k.x.id, Reshaped(std::move(target), k.cols, Describe(k.n)));
  }
  if (k.x.merged) Unsupported(Describe(k.n) + " of a value whose batch axis a Reshape folded, to a computed shape");
  // Otherwise the first axis is the batch: its size folded in, or -1 (any), or 1 (a model that
  // predicts one row at a time).
  if (!batch_first && target[0] != -1 && target[0] != 1) {
    Unsupported(Describe(k.n) + " to a first axis of " + std::to_string(target[0]) + " in a graph whose batch is free");
  }
  target.erase(target.begin());  // the batch
  return Value{k.x.id, Reshaped(std::move(target), k.cols, Describe(k.n))};
}

// Squeeze of the named axes (all those of 1 when none are named), and ExpandDims: in a graph
// whose batch is 1, of any axis, the batch's included.
Value GraphCompiler::Squeeze(const OpCall& k) {
  // tfjs reads `axis` first, then `squeeze_dims`.
  std::vector<int64_t> axes = IntListAttr(k.n, "axis");
  if (axes.empty()) axes = IntListAttr(k.n, "squeeze_dims");
  const std::vector<int64_t> shape = Frame(k.x);
  std::vector<bool> named(shape.size(), false);
  for (int64_t a : axes) named[static_cast<size_t>(FrameAxis(k.n, a, shape.size()))] = true;
  std::vector<int64_t> dims;
  for (size_t i = 0; i < shape.size(); ++i) {
    if (named[i] && shape[i] != 1) Invalid(Describe(k.n) + " squeezes a dimension that is not 1");
    if (!(axes.empty() ? shape[i] == 1 : named[i])) dims.push_back(shape[i]);
  }
  return Framed(k.n, k.x.id, std::move(dims));
}

Value GraphCompiler::ExpandDims(const OpCall& k) {
  const std::vector<int64_t> axis = Ints(k.n, SecondInput(k.n));
  if (axis.size() != 1) Invalid(Describe(k.n) + " has an axis that is not one number");
  std::vector<int64_t> shape = Frame(k.x);
  const int64_t at = FrameAxis(k.n, axis[0], shape.size() + 1);
  shape.insert(shape.begin() + at, 1);
  return Framed(k.n, k.x.id, std::move(shape));
}

// Unpack (unstack) along an axis: output j (":j" after the first) is the slice at j, the axis
// dropped.
Value GraphCompiler::Unpack(const OpCall& k) {
  const Node& n = k.n;
  const std::vector<int64_t> shape = Frame(k.x);
  const size_t at = static_cast<size_t>(FrameAxis(n, IntAttr(n, "axis", 0), shape.size()));
  const int64_t num = shape[at];  // as tfjs, whatever the num attribute says
  if (num > 64) Unsupported(Describe(n) + " into more than 64 outputs");
  std::vector<int64_t> dims = shape;
  dims.erase(dims.begin() + static_cast<std::ptrdiff_t>(at));
  if (num == 1) return Framed(n, k.x.id, std::move(dims));
  // Only the slices something takes are computed (the first is the node's own value).
  std::set<std::string> taken;
  if (auto it = consumers_.find(n.name); it != consumers_.end()) {
    for (size_t c : it->second) taken.insert(nodes_[c].inputs.begin(), nodes_[c].inputs.end());
  }
  for (const std::string& out : outputs_) taken.insert(out);
  Value first;
  for (int64_t j = 0; j < num; ++j) {
    const std::string name = j == 0 ? n.name : n.name + ":" + std::to_string(j);
    if (j > 0 && !taken.count(name)) continue;
    std::vector<int64_t> begin(shape.size(), 0), steps(shape.size(), 1), lengths = shape;
    begin[at] = j;
    lengths[at] = 1;
    auto step = MakeStridedSlice(k.label + " " + std::to_string(j), shape, begin, steps, lengths);
    if (step->out_cols != Elements(dims, Describe(n) + "'s output")) Invalid(Describe(n) + " makes a shape its kernel does not");
    Value v = Framed(n, plan_->Add(std::move(step), {k.x.id}), dims);
    if (j == 0) first = v;
    else values_[n.name + ":" + std::to_string(j)] = v;
  }
  return first;
}

void GraphCompiler::IntOnlyCastToFloat(const Node& input) const {
  auto it = consumers_.find(input.name);
  if (it == consumers_.end()) return;
  for (size_t c : it->second) {
    const Node& n = nodes_[c];
    const json* to = Attr(n, "DstT");
    if (n.op != "Cast" || !to || !to->is_object() || to->value("type", std::string()) != "DT_FLOAT") {
      Unsupported("the integer input taken by " + Describe(n) + ", not by a Cast to float32");
    }
  }
}

Value GraphCompiler::Cast(const OpCall& k) {
  const json* to = Attr(k.n, "DstT");
  if (!to || !to->is_object() || to->value("type", std::string()) != "DT_FLOAT") Unsupported(Describe(k.n) + " to other than float32");
  return k.x;
}

Value GraphCompiler::Transpose(const OpCall& k) {
  const Value& x = k.x;
  std::vector<int64_t> perm = Ints(k.n, SecondInput(k.n));
  if (perm.empty() || perm[0] != 0) Unsupported(Describe(k.n) + " moving the batch axis");
  perm.erase(perm.begin());
  std::vector<int64_t> dims;
  for (int64_t& p : perm) {
    --p;
    if (p < 0 || p >= static_cast<int64_t>(x.dims.size())) Invalid(Describe(k.n) + " has a permutation that is not one");
    dims.push_back(x.dims[static_cast<size_t>(p)]);
  }
  auto step = MakeTranspose(k.label, x.dims, perm);
  return Add(std::move(step), x, dims);
}

// ---- Reductions, joins, padding and resizing (spatial.h, merge.h, resample.h)

// Mean, Max or Sum over any axes but the batch: the reduced axes moved first (a transpose, unless
// they already are: global pooling over the spatial axes), then pooled over for each position
// of the axes kept.
Value GraphCompiler::Reduce(const OpCall& k) {
  const Node& n = k.n;
  const Value& x = k.x;
  const int64_t rank = static_cast<int64_t>(x.dims.size());
  std::vector<bool> reduced(static_cast<size_t>(rank), false);
  for (int64_t a : Ints(n, SecondInput(n))) {
    if (a < 0) a += rank + 1;  // the tensor's rank: the batch is axis 0
    if (a < 0 || a > rank) Invalid(Describe(n) + " over an axis its input does not have");
    if (a == 0) Unsupported(Describe(n) + " over the batch axis");
    reduced[static_cast<size_t>(a - 1)] = true;
  }
  std::vector<int64_t> perm, dims;
  int64_t positions = 1;
  for (int64_t a = 0; a < rank; ++a) {
    if (reduced[static_cast<size_t>(a)]) perm.push_back(a), positions *= x.dims[static_cast<size_t>(a)];
  }
  if (perm.empty()) return x;  // over no axes: the input
  const bool keep = BoolAttr(n, "keep_dims");
  for (int64_t a = 0; a < rank; ++a) {
    const bool r = reduced[static_cast<size_t>(a)];
    if (!r) perm.push_back(a);
    if (keep || !r) dims.push_back(r ? 1 : x.dims[static_cast<size_t>(a)]);
  }
  const int64_t channels = k.cols / positions;
  const Pool kind = n.op == "Max" ? Pool::kMax : n.op == "Sum" ? Pool::kSum : Pool::kAverage;
  Value in = x;
  if (!std::is_sorted(perm.begin(), perm.end())) {
    std::vector<int64_t> moved;
    for (int64_t a : perm) moved.push_back(x.dims[static_cast<size_t>(a)]);
    in = Add(MakeTranspose(k.label + " (reduced axes first)", x.dims, perm), x, moved);
  }
  return Add(MakeGlobalPool(k.label, kind, positions, channels), in, dims);
}

// ConcatV2 (its last input the axis) and Pack (a new axis, its `axis` attribute) along any axis
// but a free batch: per position before the axis, each piece's elements from it on, side by side.
// In a graph whose batch is 1 a piece may be a constant.
Value GraphCompiler::Join(const Node& n) {
  const bool pack = n.op == "Pack";
  if (n.inputs.size() < (pack ? 1u : 2u)) Invalid(Describe(n) + " has no inputs");
  const size_t count = pack ? n.inputs.size() : n.inputs.size() - 1;
  // tfjs concatenates the first N (2 when it is not given) and ignores the rest.
  if (!pack && IntAttr(n, "N", 2) != static_cast<int64_t>(count)) {
    Unsupported(Describe(n) + " whose N is not its number of inputs");
  }
  std::vector<std::vector<int64_t>> shapes;
  std::vector<std::vector<float>> constants;
  std::vector<Plan::Value> ids;
  for (size_t i = 0; i < count; ++i) {
    if (IsConst(n.inputs[i])) {
      // Without a batch fixed at 1, a constant would have to match a batch of any size.
      if (!batch_one_) Unsupported(Describe(n) + " of a constant in a graph whose batch is not fixed at 1");
      const Tensor& c = Constant(n, n.inputs[i]);
      shapes.push_back(c.shape);
      constants.push_back(c.values);
    } else {
      const Value& v = In(n, i);
      CheckRow(v.dims, batch_one_, Describe(n));
      shapes.push_back(Frame(v));
      constants.emplace_back();
      ids.push_back(v.id);
    }
    Elements(shapes.back(), Describe(n) + "'s input");
  }
  if (ids.empty()) Unsupported(Describe(n) + " of constants only");
  std::vector<int64_t> axis = pack ? std::vector<int64_t>{IntAttr(n, "axis", 0)} : Ints(n, n.inputs.back());
  if (axis.size() != 1) Invalid(Describe(n) + " has an axis that is not one number");
  const std::vector<int64_t>& first = shapes[0];
  const size_t at = static_cast<size_t>(FrameAxis(n, axis[0], first.size() + (pack ? 1 : 0)));
  std::vector<int64_t> out = first, widths;
  if (pack) out.insert(out.begin() + static_cast<std::ptrdiff_t>(at), static_cast<int64_t>(count));
  else out[at] = 0;
  int64_t positions = 1;
  for (size_t a = 0; a < at; ++a) positions *= first[a];
  for (const std::vector<int64_t>& shape : shapes) {
    bool fits = shape.size() == first.size();
    for (size_t a = 0; fits && a < shape.size(); ++a) fits = shape[a] == first[a] || (!pack && a == at);
    if (!fits) Invalid(Describe(n) + ": its inputs differ in more than the axis it joins them on");
    if (!pack) out[at] += shape[at];
    int64_t width = 1;
    for (size_t a = at; a < shape.size(); ++a) width *= shape[a];
    widths.push_back(width);
  }
  auto step = MakeConcat(n.name + " (" + n.op + ")", widths, positions, std::move(constants));
  if (step->out_cols != Elements(out, Describe(n) + "'s output")) Invalid(Describe(n) + " makes a shape its kernel does not");
  return Framed(n, plan_->Add(std::move(step), ids), std::move(out));
}

// A constant value around the row, on any axis but the batch.
Value GraphCompiler::Pad(const OpCall& k) {
  const Node& n = k.n;
  const Value& x = k.x;
  float value = 0;
  if (n.op == "PadV2") {
    if (n.inputs.size() < 3) Invalid(Describe(n) + " has no constant value");
    const Tensor& c = Constant(n, n.inputs[2]);
    if (c.values.size() != 1) Invalid(Describe(n) + ": its constant value is not a scalar");
    value = c.values[0];
  }
  const std::vector<int64_t> p = Ints(n, SecondInput(n));
  if (p.size() != 2 * (x.dims.size() + 1)) Invalid(Describe(n) + ": its paddings do not match its input");
  if (p[0] || p[1]) Unsupported(Describe(n) + " on the batch axis");
  std::vector<int64_t> before, after, dims = x.dims;
  for (size_t i = 0; i < x.dims.size(); ++i) {
    before.push_back(p[2 * i + 2]);
    after.push_back(p[2 * i + 3]);
    dims[i] += before.back() + after.back();
  }
  // Zeros around an image whose one consumer is a convolution with valid padding: it adds them.
  const Node* next = OnlyNext(n);
  if (next && value == 0 && x.dims.size() == 3 && before[2] == 0 && after[2] == 0 && next->inputs[0] == n.name &&
      (next->op == "Conv2D" || next->op == "_FusedConv2D" || next->op == "DepthwiseConv2dNative" ||
       next->op == "FusedDepthwiseConv2dNative") &&
      StringAttr(*next, "padding", "VALID") == "VALID" && std::count(next->inputs.begin(), next->inputs.end(), n.name) == 1) {
    Value v{x.id, dims};
    v.zeros = Margins{before[0], after[0], before[1], after[1]};
    return v;
  }
  return Add(MakePad(k.label, x.dims, before, after, value), x, dims);
}

// By whole factors without align_corners, each pixel repeated (the mapping is the same with or
// without half-pixel centres then); otherwise tfjs's mapping of each output pixel to an input one.
Value GraphCompiler::ResizeNearest(const OpCall& k) {
  const Node& n = k.n;
  const Value& x = k.x;
  const std::vector<int64_t> size = Ints(n, SecondInput(n));
  if (x.dims.size() != 3 || size.size() != 2) Unsupported(Describe(n) + " of other than an image");
  const Image in{x.dims[0], x.dims[1], x.dims[2]};
  const bool align = BoolAttr(n, "align_corners");
  if (!align && size[0] > 0 && size[1] > 0 && size[0] % in.h == 0 && size[1] % in.w == 0) {
    return Add(MakeUpSampleNearest(k.label, in, size[0] / in.h, size[1] / in.w), x, {size[0], size[1], in.c});
  }
  auto step = MakeResizeNearest(k.label, in, size[0], size[1], align, BoolAttr(n, "half_pixel_centers"));
  return Add(std::move(step), x, {size[0], size[1], in.c});
}

Value GraphCompiler::ResizeBilinear(const OpCall& k) {
  const Node& n = k.n;
  const Value& x = k.x;
  const std::vector<int64_t> size = Ints(n, SecondInput(n));
  if (x.dims.size() != 3 || size.size() != 2) Unsupported(Describe(n) + " of other than an image");
  const Image in{x.dims[0], x.dims[1], x.dims[2]};
  auto step = MakeResizeBilinear(k.label, in, size[0], size[1], BoolAttr(n, "align_corners"), BoolAttr(n, "half_pixel_centers"));
  return Add(std::move(step), x, {size[0], size[1], in.c});
}

Value GraphCompiler::DepthToSpace(const OpCall& k) {
  const Node& n = k.n;
  const Value& x = k.x;
  if (StringAttr(n, "data_format", "NHWC") != "NHWC") Unsupported(Describe(n) + " in a layout other than NHWC");
  if (x.dims.size() != 3) Unsupported(Describe(n) + " of other than an image");
  const int64_t b = IntAttr(n, "block_size", 0);
  const Image in{x.dims[0], x.dims[1], x.dims[2]};
  auto step = MakeDepthToSpace(k.label, in, b);
  return Add(std::move(step), x, {in.h * b, in.w * b, in.c / (b * b)});
}

// StridedSlice, or Slice (a begin and a size per axis), of a computed value, all of its batch.
Value GraphCompiler::Slice(const OpCall& k) {
  const Node& n = k.n;
  const Value& x = k.x;
  if (n.inputs.size() != (n.op == "Slice" ? 3u : 4u)) Invalid(Describe(n) + " has other than its inputs");
  std::vector<int64_t> dims = x.dims;
  dims.insert(dims.begin(), kUnknownSize);
  const std::vector<int64_t> begin = Ints(n, n.inputs[1]), arg = Ints(n, n.inputs[2]);
  SliceSpec spec;
  if (n.op == "Slice") {  // a size of -1: the rest of the axis
    if (begin.size() != dims.size() || arg.size() != dims.size()) {
      Invalid(Describe(n) + " does not match its input's rank");
    }
    std::vector<int64_t> end(begin.size()), strides(begin.size(), 1);
    for (size_t i = 0; i < end.size(); ++i) {
      end[i] = arg[i] != -1 ? begin[i] + arg[i] : i == 0 ? int64_t{1} << 30 : dims[i];
    }
    spec = ResolveStridedSlice(dims, begin, end, strides, SliceMasks{}, Describe(n));
  } else {
    spec = ResolveStridedSlice(dims, begin, arg, Ints(n, n.inputs[3]), Masks(n), Describe(n));
  }
  if (spec.first_new_axes > 0) Unsupported(Describe(n) + " adding an axis before the batch");
  std::vector<int64_t> starts, steps, lengths;
  for (size_t a = 1; a < spec.axes.size(); ++a) {
    starts.push_back(spec.axes[a].begin);
    steps.push_back(spec.axes[a].step);
    lengths.push_back(spec.axes[a].length);
  }
  std::vector<int64_t> out(spec.shape.begin() + 1, spec.shape.end());  // the batch stays first
  return Add(MakeStridedSlice(k.label, x.dims, starts, steps, lengths), x, std::move(out));
}

// ---- Post-processing on indices (index_ops.h)

void GraphCompiler::TakesMerged(const Node& n) const {
  if (const OpKind* kind = FindOp(n.op); kind && kind->takes_merged) return;
  for (const std::string& in : n.inputs) {
    auto it = values_.find(in);
    if (it != values_.end() && it->second.merged) {
      Unsupported(Describe(n) + " taking '" + in + "', whose batch axis was folded into another or dropped");
    }
  }
}

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
  std::vector<int64_t> index_shape;
  std::vector<float> constant;
  const Value* computed = nullptr;
  if (IsConst(n.inputs[1])) {
    const Tensor& t = Constant(n, n.inputs[1]);
    index_shape = t.shape;
    constant = t.values;
    if (constant.empty()) Unsupported(Describe(n) + " by no indices");
  } else {
    // A computed index row in a larger batch would gather from other rows.
    if (!batch_one_) Unsupported(Describe(n) + " by computed indices in a graph whose batch is not fixed at 1");
    computed = &In(n, 1);
    index_shape = WholeShape(*computed);
  }
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
  auto step = MakeGather(n.name + " (" + n.op + ")", outer, params.dims[at], inner, count, std::move(constant));
  if (Elements(result.dims, Describe(n) + "'s output") != step->out_cols) Invalid(Describe(n) + " makes a shape its kernel does not");
  std::vector<Plan::Value> inputs = {params.id};
  if (computed) inputs.push_back(computed->id);
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
  std::vector<int64_t> index_shape;
  std::vector<float> constant;
  std::vector<Plan::Value> inputs = {params.id};
  if (IsConst(n.inputs[1])) {
    const Tensor& t = Constant(n, n.inputs[1]);
    index_shape = t.shape;
    constant = t.values;
    if (constant.empty()) Unsupported(Describe(n) + " by no indices");
  } else {
    const Value& computed = In(n, 1);
    index_shape = WholeShape(computed);
    inputs.push_back(computed.id);
  }
  if (index_shape.empty()) Invalid(Describe(n) + " has indices of rank 0");
  const int64_t depth = index_shape.back();
  if (depth < 1 || depth > static_cast<int64_t>(shape.size())) Invalid(Describe(n) + ": its index tuples do not fit its input");
  std::vector<int64_t> out(index_shape.begin(), index_shape.end() - 1);
  const int64_t count = out.empty() ? 1 : Elements(out, Describe(n) + "'s indices");
  out.insert(out.end(), shape.begin() + depth, shape.end());
  auto step = MakeGatherNd(n.name + " (" + n.op + ")", shape, depth, count, std::move(constant));
  if (step->out_cols != (out.empty() ? 1 : Elements(out, Describe(n) + "'s output"))) {
    Invalid(Describe(n) + " makes a shape its kernel does not");
  }
  return Framed(n, plan_->Add(std::move(step), inputs), std::move(out));
}

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

// Convolutions (dense and depthwise, fused with a bias and an activation) and pooling.
Value GraphCompiler::Window2D(const OpCall& k) {
  const Node& n = k.n;
  const Tail& tail = k.tail;
  const std::string& label = k.label;
  const Value& x = k.x;
  if (x.dims.size() != 3) Unsupported(Describe(n) + " on an input of rank " + std::to_string(x.dims.size() + 1));
  if (StringAttr(n, "data_format", "NHWC") != "NHWC") Unsupported(Describe(n) + " in a layout other than NHWC");
  const Margins& zeros = x.zeros;  // a Pad's before it, if it left them (Pad)
  const Image in{x.dims[0] - zeros.top - zeros.bottom, x.dims[1] - zeros.left - zeros.right, x.dims[2]};
  const std::string padding = StringAttr(n, "padding", "VALID");
  if (padding != "SAME" && padding != "VALID") Unsupported(Describe(n) + " with padding " + padding.substr(0, 16));
  auto pair = [&](const char* key) {
    std::vector<int64_t> v = IntListAttr(n, key);
    if (v.empty()) return std::pair<int64_t, int64_t>{1, 1};
    if (v.size() != 4 || v[0] != 1 || v[3] != 1) Unsupported(Describe(n) + " with " + key + " on the batch or channels");
    return std::pair<int64_t, int64_t>{v[1], v[2]};
  };
  Window w;
  w.same = padding == "SAME";
  w.zeros = zeros;
  std::tie(w.sh, w.sw) = pair("strides");
  if (n.op == "MaxPool" || n.op == "AvgPool") {
    std::tie(w.kh, w.kw) = pair("ksize");
    const Geometry g = GeometryOf(in, w, Describe(n));
    return Add(MakePool2D(label, n.op == "MaxPool" ? Pool::kMax : Pool::kAverage, in, w), x, {g.oh, g.ow, in.c});
  }
  std::tie(w.dh, w.dw) = pair("dilations");
  if (n.inputs.size() < 2) Invalid(Describe(n) + " has no filter");
  const Tensor& filter = Constant(n, n.inputs[1]);
  if (filter.shape.size() != 4) Invalid(Describe(n) + ": the filter is not rank 4");
  w.kh = filter.shape[0], w.kw = filter.shape[1];
  const bool depthwise = n.op == "DepthwiseConv2dNative" || n.op == "FusedDepthwiseConv2dNative";
  const int64_t out_c = depthwise ? in.c * filter.shape[3] : filter.shape[3];
  const Tensor* bias = tail.bias ? &Constant(*tail.bias, tail.bias->inputs[1]) : nullptr;
  ActivationSpec act = tail.act;
  const Tensor* prelu = nullptr;
  if (n.op == "_FusedConv2D" || n.op == "FusedDepthwiseConv2dNative") Fused(n, bias, act, prelu);
  if (bias && static_cast<int64_t>(bias->values.size()) != out_c) Invalid(Describe(n) + ": the bias does not match the filters");
  Tensor flat_bias;
  if (bias) flat_bias = Tensor{{out_c}, bias->values};
  const Geometry g = GeometryOf(in, w, Describe(n));
  auto step = depthwise ? MakeDepthwiseConv2D(label, in, w, filter, bias ? &flat_bias : nullptr, act)
                        : MakeConv2D(label, in, w, filter, bias ? &flat_bias : nullptr, act);
  return FusedPrelu(n, prelu, Add(std::move(step), x, {g.oh, g.ow, out_c}));
}
}  // namespace

std::unique_ptr<Plan> CompileGraph(const json& topology, const std::map<std::string, Tensor>& weights,
                                   std::vector<int64_t> dims, const std::vector<std::string>& output_names,
                                   bool int_input) {
  if (!topology.is_object() || !topology.contains("node") || !topology["node"].is_array()) {
    Invalid("the graph has no node list");
  }
  const json& list = topology["node"];
  if (list.size() > kMaxGraphNodes) Invalid("the graph has more than " + std::to_string(kMaxGraphNodes) + " nodes");
  std::vector<Node> nodes;
  std::map<std::string, size_t> by_name;
  for (const json& j : list) {
    if (!j.is_object() || !j.contains("name") || !j["name"].is_string() || !j.contains("op") || !j["op"].is_string()) {
      Invalid("a graph node lacks its name or op");
    }
    Node n{j["name"].get<std::string>(), j["op"].get<std::string>(), {}, j.contains("attr") ? &j["attr"] : nullptr};
    // A ':' would make the name read as another node's output ("name:1").
    if (n.name.find(':') != std::string::npos) Invalid(Describe(n) + ": a node's name has no ':'");
    if (j.contains("input")) {
      if (!j["input"].is_array()) Invalid(Describe(n) + " has malformed inputs");
      for (const json& in : j["input"]) {
        if (!in.is_string()) Invalid(Describe(n) + " has malformed inputs");
        std::string name = in.get<std::string>();
        if (!name.empty() && name[0] == '^') continue;  // a control dependency
        if (const size_t colon = name.find(':'); colon != std::string::npos && name.substr(colon) == ":0") {
          name.resize(colon);
        }
        n.inputs.push_back(std::move(name));
      }
    }
    if (!by_name.emplace(n.name, nodes.size()).second) Invalid("two graph nodes are named '" + n.name + "'");
    nodes.push_back(std::move(n));
  }
  return GraphCompiler(std::move(nodes), std::move(by_name), weights).Compile(std::move(dims), output_names, int_input);
}

}  // namespace tfjs_run::native
