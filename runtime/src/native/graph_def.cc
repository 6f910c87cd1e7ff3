#include "native/graph_def.h"

#include <cstdlib>

#include "native/base64.h"
#include "native/tensor.h"

namespace tfjs_run::native::graph {

namespace {
// A base64 attribute string (GraphDef bytes).
std::string Base64(const std::string& text) {
  if (text.size() > 4096) Invalid("a graph attribute string is malformed");
  std::optional<std::string> bytes = DecodeBase64(text);
  if (!bytes) Invalid("a graph attribute string is not base64");
  return std::move(*bytes);
}

// An integer attribute value: GraphDef JSON writes 64-bit integers as strings.
int64_t IntOf(const json& v, const Node& n, const char* key) {
  if (v.is_number_integer()) return v.get<int64_t>();
  if (v.is_string() && !v.get<std::string>().empty() && v.get<std::string>().size() < 12) {
    return std::strtoll(v.get<std::string>().c_str(), nullptr, 10);
  }
  Invalid(Describe(n) + ": attribute " + key + " is malformed");
}
}  // namespace

std::string Describe(const Node& n) { return "node '" + n.name + "' (" + n.op + ")"; }

// The node an input names: "name" of "name:k".
std::string NodeOf(const std::string& input) { return input.substr(0, input.find(':')); }


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

}  // namespace tfjs_run::native::graph
