#include "native/graph_loader.h"

#include <algorithm>

#include <nlohmann/json.hpp>

#include "native/const_fold.h"
#include "native/graph_compiler.h"
#include "native/unary.h"

namespace tfjs_run::native {

namespace graph {

namespace {
bool IsBiasAdd(const std::string& op) { return op == "BiasAdd" || op == "Add" || op == "AddV2"; }
}  // namespace

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

void GraphCompiler::TakesMerged(const Node& n) const {
  if (const OpKind* kind = FindOp(n.op); kind && kind->takes_merged) return;
  for (const std::string& in : n.inputs) {
    auto it = values_.find(in);
    if (it != values_.end() && it->second.merged) {
      Unsupported(Describe(n) + " taking '" + in + "', whose batch axis was folded into another or dropped");
    }
  }
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

}  // namespace graph

using graph::Describe;
using graph::Node;
using nlohmann::json;

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
  return graph::GraphCompiler(std::move(nodes), std::move(by_name), weights).Compile(std::move(dims), output_names, int_input);
}

}  // namespace tfjs_run::native
