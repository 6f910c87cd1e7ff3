#include "native/graph_loader.h"

#include <openssl/evp.h>

#include <nlohmann/json.hpp>

namespace tfjs_run::native {

namespace {
using nlohmann::json;

struct Node {
  std::string name, op;
  std::vector<std::string> inputs;  // producer names (":0" and control inputs dropped)
  const json* attr;
};

std::string Describe(const Node& n) { return "node '" + n.name + "' (" + n.op + ")"; }

// A base64 attribute string (GraphDef bytes), decoded by OpenSSL.
std::string Base64(const std::string& text) {
  if (text.size() > 4096 || text.size() % 4 != 0) Invalid("a graph attribute string is malformed");
  std::string out(text.size() / 4 * 3, '\0');
  const int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(text.data()), static_cast<int>(text.size()));
  if (n < 0) Invalid("a graph attribute string is not base64");
  size_t len = static_cast<size_t>(n);
  for (size_t i = text.size(); i > 0 && text[i - 1] == '='; --i) --len;  // EVP keeps the padding's zeros
  out.resize(len);
  return out;
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

bool Passes(const std::string& op) { return op == "Identity" || op == "StopGradient" || op == "Snapshot"; }

// A dense step being assembled: MatMul, then maybe a bias, then maybe an activation.
struct PendingDense {
  bool open = false;
  std::string name;
  Tensor kernel;  // [in, out]
  const Tensor* bias = nullptr;
  ActivationSpec act;
};
}  // namespace

std::unique_ptr<Plan> CompileGraph(const json& topology, const std::map<std::string, Tensor>& weights,
                                   std::vector<int64_t> dims) {
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
    if (j.contains("input")) {
      if (!j["input"].is_array()) Invalid(Describe(n) + " has malformed inputs");
      for (const json& in : j["input"]) {
        if (!in.is_string()) Invalid(Describe(n) + " has malformed inputs");
        std::string name = in.get<std::string>();
        if (!name.empty() && name[0] == '^') continue;  // a control dependency
        if (const size_t colon = name.find(':'); colon != std::string::npos) {
          if (name.substr(colon) != ":0") Unsupported(Describe(n) + " takes a second output of a node");
          name.resize(colon);
        }
        n.inputs.push_back(std::move(name));
      }
    }
    if (!by_name.emplace(n.name, nodes.size()).second) Invalid("two graph nodes are named '" + n.name + "'");
    nodes.push_back(std::move(n));
  }
  // The one input, and who consumes each node.
  size_t input = nodes.size();
  std::map<std::string, std::vector<size_t>> consumers;
  for (size_t i = 0; i < nodes.size(); ++i) {
    const Node& n = nodes[i];
    if (n.op == "Placeholder") {
      if (input != nodes.size()) Unsupported("a graph with several inputs");
      input = i;
    } else if (n.op != "Const" && n.op != "NoOp") {
      for (const std::string& in : n.inputs) {
        if (!by_name.count(in)) Invalid(Describe(n) + " takes '" + in + "', which is not in the graph");
        consumers[in].push_back(i);
      }
    }
  }
  if (input == nodes.size()) Invalid("the graph has no Placeholder input");
  if (dims.empty()) {
    const json* shape = Attr(nodes[input], "shape");
    const json* dim = shape && shape->is_object() && shape->contains("shape") && (*shape)["shape"].is_object() &&
                              (*shape)["shape"].contains("dim") ? &(*shape)["shape"]["dim"] : nullptr;
    if (!dim || !dim->is_array() || dim->empty()) Invalid("the graph input's shape is not declared");
    for (size_t i = 1; i < dim->size(); ++i) {
      const json& d = (*dim)[i];
      const int64_t size = d.is_object() && d.contains("size") && d["size"].is_string()
                               ? std::strtoll(d["size"].get<std::string>().c_str(), nullptr, 10) : -1;
      if (size <= 0) Unsupported("the graph input has a free dimension (fix it with model-bundler --input-shape)");
      dims.push_back(size);
    }
  }
  auto plan = std::make_unique<Plan>();
  plan->set_input_cols(Elements(dims, "the graph input"));
  auto constant = [&](const Node& at, const std::string& name) -> const Tensor& {
    auto it = by_name.find(name);
    if (it == by_name.end() || nodes[it->second].op != "Const") Unsupported(Describe(at) + " with an input that is not a constant");
    auto w = weights.find(name);
    if (w == weights.end()) Invalid(Describe(at) + ": no weight for the constant '" + name + "'");
    return w->second;
  };
  PendingDense dense;
  auto flush = [&] {
    if (!dense.open) return;
    const int64_t cols = Elements(dims, dense.name + "'s input");
    plan->Add(MakeDense(dense.name + " (MatMul)", dense.kernel, dense.bias, dense.act, cols / dims.back()));
    dims.back() = dense.kernel.shape[1];
    dense = PendingDense{};
  };
  auto start_dense = [&](const Node& n) {
    if (n.inputs.size() < 2) Invalid(Describe(n) + " has fewer than 2 inputs");
    if (BoolAttr(n, "transpose_a")) Unsupported(Describe(n) + " with transpose_a");
    const Tensor& w = constant(n, n.inputs[1]);
    if (w.shape.size() != 2) Invalid(Describe(n) + ": the weight is not a matrix");
    Tensor kernel = w;
    if (BoolAttr(n, "transpose_b")) {  // stored [out, in]: make it [in, out]
      const size_t rows = static_cast<size_t>(w.shape[0]), cols = static_cast<size_t>(w.shape[1]);
      kernel.shape = {w.shape[1], w.shape[0]};
      for (size_t r = 0; r < rows; ++r) {
        for (size_t c = 0; c < cols; ++c) kernel.values[c * rows + r] = w.values[r * cols + c];
      }
    }
    if (kernel.shape[0] != dims.back()) Invalid(Describe(n) + ": the weight does not match its input");
    dense = PendingDense{true, n.name, std::move(kernel), nullptr, {}};
  };
  std::string current = nodes[input].name;
  for (size_t steps = 0;; ++steps) {
    if (steps > nodes.size()) Invalid("the graph has a cycle");
    auto next = consumers.find(current);
    if (next == consumers.end() || next->second.empty()) break;  // the output
    if (next->second.size() > 1) Unsupported("a graph that branches ('" + current + "' feeds several nodes)");
    const Node& n = nodes[next->second.front()];
    if (n.inputs.empty() || n.inputs[0] != current) Unsupported(Describe(n) + " takes the chain as its second input");
    ActivationSpec act;
    if (n.op == "MatMul") {
      flush();
      start_dense(n);
    } else if (n.op == "_FusedMatMul") {
      flush();
      start_dense(n);
      const std::vector<std::string> fused = StringListAttr(n, "fused_ops");
      size_t k = 0;
      if (k < fused.size() && fused[k] == "BiasAdd") {
        if (n.inputs.size() < 3) Invalid(Describe(n) + " fuses a bias but has no bias input");
        dense.bias = &constant(n, n.inputs[2]);
        ++k;
      }
      if (k < fused.size() && ActivationOf(fused[k], act) && act.kind != Activation::kSoftmax) {
        if (act.kind == Activation::kLeakyRelu) act.alpha = FloatAttr(n, "leakyrelu_alpha", 0.2f);
        dense.act = act;
        ++k;
      }
      if (k != fused.size()) Unsupported(Describe(n) + " fusing " + (k < fused.size() ? fused[k] : std::string("?")));
    } else if (n.op == "BiasAdd" || n.op == "Add" || n.op == "AddV2") {
      if (!dense.open || dense.bias || dense.act.kind != Activation::kLinear || n.inputs.size() != 2) {
        Unsupported(Describe(n) + " other than a bias after a MatMul");
      }
      dense.bias = &constant(n, n.inputs[1]);
    } else if (ActivationOf(n.op, act)) {
      if (act.kind == Activation::kLeakyRelu) act.alpha = FloatAttr(n, "alpha", 0.2f);
      if (dense.open && dense.act.kind == Activation::kLinear) {
        dense.act = act;
      } else {
        flush();
        const int64_t cols = Elements(dims, Describe(n) + "'s input");
        plan->Add(MakeActivation(n.name + " (" + n.op + ")", act, cols, dims.back()));
      }
    } else if (!Passes(n.op)) {
      Unsupported(Describe(n));
    }
    if (dense.open && dense.bias && dense.bias->shape != std::vector<int64_t>{dense.kernel.shape[1]}) {
      Invalid(Describe(n) + ": the bias does not match its MatMul");
    }
    current = n.name;
  }
  flush();
  return plan;
}

}  // namespace tfjs_run::native
