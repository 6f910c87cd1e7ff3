#include "native/layers_loader.h"

#include <cmath>

#include <nlohmann/json.hpp>

namespace tfjs_run::native {

namespace {
using nlohmann::json;

struct Layer {
  std::string class_name, name;
  const json* config;
};

std::string Describe(const Layer& l) { return "layer '" + l.name + "' (" + l.class_name + ")"; }

// The layers in the order they run: a Sequential model's list, or a functional model that is
// one chain from its input to its output.
std::vector<Layer> LayersInOrder(const json& topology) {
  const json* root = &topology;
  if (root->is_object() && root->contains("model_config")) root = &(*root)["model_config"];
  if (!root->is_object() || !root->contains("config")) Invalid("the topology has no model config");
  const std::string cls = root->value("class_name", std::string());
  const json& config = (*root)["config"];
  const json* list = config.is_array() ? &config : (config.is_object() && config.contains("layers")) ? &config["layers"] : nullptr;
  if (!list || !list->is_array()) Invalid("the topology has no layer list");
  if (list->size() > kMaxLayers) Invalid("the topology has more than " + std::to_string(kMaxLayers) + " layers");
  std::vector<Layer> layers;
  for (const json& l : *list) {
    if (!l.is_object() || !l.contains("class_name") || !l["class_name"].is_string() || !l.contains("config") ||
        !l["config"].is_object()) {
      Invalid("a layer in the topology lacks its class_name or config");
    }
    const json& c = l["config"];
    std::string name = c.contains("name") && c["name"].is_string() ? c["name"].get<std::string>()
                       : l.contains("name") && l["name"].is_string() ? l["name"].get<std::string>() : std::string();
    layers.push_back({l["class_name"].get<std::string>(), name, &c});
  }
  if (cls == "Sequential") return layers;
  if (cls != "Model" && cls != "Functional") Unsupported("a " + cls + " model");
  // A chain: every layer after the first takes exactly the one before it.
  for (size_t i = 0; i < list->size(); ++i) {
    const json& l = (*list)[i];
    const json nodes = l.value("inbound_nodes", json::array());
    if (i == 0) {
      if (!nodes.empty()) Unsupported("a functional model whose first layer has inputs");
      continue;
    }
    const bool one = nodes.is_array() && nodes.size() == 1 && nodes[0].is_array() && nodes[0].size() == 1 &&
                     nodes[0][0].is_array() && !nodes[0][0].empty() && nodes[0][0][0].is_string();
    if (!one) Unsupported("a functional model with branches (" + Describe(layers[i]) + " does not take one input)");
    if (nodes[0][0][0].get<std::string>() != layers[i - 1].name) {
      Unsupported("a functional model whose layers are not one chain in order (" + Describe(layers[i]) + ")");
    }
  }
  return layers;
}

const Tensor* FindWeight(const std::map<std::string, Tensor>& weights, const std::string& layer, const std::string& what) {
  auto it = weights.find(layer + "/" + what);
  if (it != weights.end()) return &it->second;
  const std::string suffix = "/" + layer + "/" + what;  // nested scopes: "model/dense/kernel"
  for (const auto& [name, t] : weights) {
    if (name.size() > suffix.size() && name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0) return &t;
  }
  return nullptr;
}

const Tensor& NeedWeight(const std::map<std::string, Tensor>& weights, const Layer& l, const std::string& what,
                         const std::vector<int64_t>& shape) {
  const Tensor* t = FindWeight(weights, l.name, what);
  if (!t) Invalid(Describe(l) + " has no weight '" + what + "'");
  if (t->shape != shape) Invalid(Describe(l) + ": weight '" + what + "' does not have the layer's shape");
  return *t;
}

std::vector<int64_t> DimsOf(const json& shape, const std::string& what) {
  if (!shape.is_array() || shape.empty()) Invalid(what + " is not a shape");
  std::vector<int64_t> dims;
  for (size_t i = 1; i < shape.size(); ++i) {
    if (!shape[i].is_number_integer() || shape[i].get<int64_t>() <= 0) {
      Unsupported(what + " has a free dimension (fix it with model-bundler --input-shape)");
    }
    dims.push_back(shape[i].get<int64_t>());
  }
  return dims;
}

double Number(const json& c, const char* key, double otherwise) {
  if (!c.contains(key) || c[key].is_null()) return otherwise;
  if (!c[key].is_number()) Invalid(std::string("'") + key + "' is not a number");
  return c[key].get<double>();
}
}  // namespace

std::unique_ptr<Plan> CompileLayers(const json& topology, const std::map<std::string, Tensor>& weights,
                                    std::vector<int64_t> dims) {
  std::vector<Layer> layers = LayersInOrder(topology);
  if (layers.empty()) Invalid("the model has no layers");
  if (dims.empty()) {
    const json& c = *layers.front().config;
    if (c.contains("batch_input_shape")) dims = DimsOf(c["batch_input_shape"], Describe(layers.front()) + "'s input");
    else if (c.contains("batch_shape")) dims = DimsOf(c["batch_shape"], Describe(layers.front()) + "'s input");
    else Invalid("the model's input shape is not declared");
  }
  auto plan = std::make_unique<Plan>();
  plan->set_input_cols(Elements(dims, "the model input"));
  for (const Layer& l : layers) {
    const json& c = *l.config;
    const std::string& cls = l.class_name;
    const std::string label = l.name + " (" + cls + ")";
    const int64_t cols = Elements(dims, Describe(l) + "'s input");
    if (cls == "InputLayer" || cls == "Dropout" || cls == "SpatialDropout1D" || cls == "SpatialDropout2D" ||
        cls == "GaussianNoise" || cls == "GaussianDropout" || cls == "AlphaDropout") {
      continue;  // inference: identity
    }
    if (cls == "Dense") {
      if (!c.contains("units") || !c["units"].is_number_integer()) Invalid(Describe(l) + " has no units");
      const int64_t units = c["units"].get<int64_t>();
      const int64_t in = dims.back();
      const Tensor& kernel = NeedWeight(weights, l, "kernel", {in, units});
      const Tensor* bias = c.value("use_bias", true) ? &NeedWeight(weights, l, "bias", {units}) : nullptr;
      const ActivationSpec act = ActivationByName(c.value("activation", std::string("linear")));
      plan->Add(MakeDense(label, kernel, bias, act, cols / in));
      dims.back() = units;
    } else if (cls == "Activation") {
      plan->Add(MakeActivation(label, ActivationByName(c.value("activation", std::string())), cols, dims.back()));
    } else if (cls == "ReLU") {
      if (Number(c, "negative_slope", 0) != 0 || Number(c, "threshold", 0) != 0) {
        Unsupported(Describe(l) + " with a negative slope or threshold");
      }
      const double max = Number(c, "max_value", -1);
      ActivationSpec act{max < 0 ? Activation::kRelu : Activation::kRelu6};
      if (max >= 0 && max != 6) Unsupported(Describe(l) + " with max_value " + std::to_string(max));
      plan->Add(MakeActivation(label, act, cols, dims.back()));
    } else if (cls == "LeakyReLU") {
      plan->Add(MakeActivation(label, {Activation::kLeakyRelu, static_cast<float>(Number(c, "alpha", 0.3))}, cols,
                               dims.back()));
    } else if (cls == "ELU") {
      if (Number(c, "alpha", 1.0) != 1.0) Unsupported(Describe(l) + " with alpha other than 1 (tfjs refuses it too)");
      plan->Add(MakeActivation(label, {Activation::kElu, 1.0f}, cols, dims.back()));
    } else if (cls == "Softmax") {
      const double axis = Number(c, "axis", -1);
      if (axis != -1 && axis != static_cast<double>(dims.size())) Unsupported(Describe(l) + " over axis " + std::to_string(axis));
      plan->Add(MakeActivation(label, {Activation::kSoftmax}, cols, dims.back()));
    } else if (cls == "Flatten") {
      dims = {cols};  // row-major: the values stay where they are
    } else if (cls == "Reshape") {
      if (!c.contains("target_shape") || !c["target_shape"].is_array()) Invalid(Describe(l) + " has no target_shape");
      std::vector<int64_t> target;
      int64_t known = 1, free_at = -1;
      for (const json& d : c["target_shape"]) {
        if (!d.is_number_integer()) Invalid(Describe(l) + " has a target_shape that is not integers");
        const int64_t v = d.get<int64_t>();
        if (v == -1 && free_at < 0) {
          free_at = static_cast<int64_t>(target.size());
          target.push_back(1);
        } else {
          if (v <= 0) Invalid(Describe(l) + " has a dimension " + std::to_string(v));
          known *= v;
          target.push_back(v);
          if (known > cols) break;
        }
      }
      if (free_at >= 0 && known > 0 && cols % known == 0) target[static_cast<size_t>(free_at)] = cols / known;
      if (Elements(target, Describe(l)) != cols) Invalid(Describe(l) + " does not keep the number of values");
      dims = target;
    } else if (cls == "BatchNormalization") {
      const double axis = Number(c, "axis", -1);
      if (axis != -1 && axis != static_cast<double>(dims.size())) Unsupported(Describe(l) + " over axis " + std::to_string(axis));
      const int64_t ch = dims.back();
      const double eps = Number(c, "epsilon", 1e-3);
      const Tensor& mean = NeedWeight(weights, l, "moving_mean", {ch});
      const Tensor& var = NeedWeight(weights, l, "moving_variance", {ch});
      const Tensor* gamma = c.value("scale", true) ? &NeedWeight(weights, l, "gamma", {ch}) : nullptr;
      const Tensor* beta = c.value("center", true) ? &NeedWeight(weights, l, "beta", {ch}) : nullptr;
      std::vector<float> scale(static_cast<size_t>(ch)), shift(static_cast<size_t>(ch));
      for (size_t i = 0; i < scale.size(); ++i) {
        const float s = (gamma ? gamma->values[i] : 1.0f) / std::sqrt(var.values[i] + static_cast<float>(eps));
        scale[i] = s;
        shift[i] = (beta ? beta->values[i] : 0.0f) - mean.values[i] * s;
      }
      plan->Add(MakeChannelAffine(label, std::move(scale), std::move(shift), cols));
    } else {
      Unsupported(Describe(l));
    }
  }
  return plan;
}

}  // namespace tfjs_run::native
