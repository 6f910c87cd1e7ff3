#include "native/layers_loader.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <optional>
#include <set>

#include <nlohmann/json.hpp>

#include "native/kernels.h"
#include "native/merge.h"
#include "native/resample.h"
#include "native/spatial.h"
#include "native/upsampled_conv.h"

namespace tfjs_run::native {

namespace {
using nlohmann::json;

struct Layer {
  std::string class_name, name;
  const json* config;
  std::vector<std::string> inputs;  // the layers it takes, in order
};

std::string Describe(const Layer& l) { return "layer '" + l.name + "' (" + l.class_name + ")"; }

struct Topology {
  std::vector<Layer> layers;
  std::string input;  // a layer name; a Sequential model's is ""
  std::vector<std::string> outputs;  // layer names, in the model's output order
  const json* input_config = nullptr;  // where the input shape is declared
};

// The layers a functional model names as its inputs or outputs (`key`), in its order.
std::vector<std::string> EndpointsOf(const json& config, const char* key, const std::string& what) {
  if (!config.contains(key)) Invalid("the functional model does not name its " + what);
  const json& list = config[key];
  if (!list.is_array() || list.empty()) Invalid("the functional model's " + what + " are malformed");
  if (list.size() > kMaxLayers) Invalid("the functional model names more " + what + " than " + std::to_string(kMaxLayers));
  std::vector<std::string> names;
  for (const json& e : list) {
    if (!e.is_array() || e.empty() || !e[0].is_string()) Invalid("the functional model's " + what + " are malformed");
    const auto nonzero = [&](size_t i) { return e.size() > i && !(e[i].is_number_integer() && e[i].get<int64_t>() == 0); };
    if (nonzero(1) || nonzero(2)) {
      Unsupported("the model's " + what + " '" + e[0].get<std::string>().substr(0, 64) +
                  "' as a second output or application of a layer");
    }
    names.push_back(e[0].get<std::string>());
  }
  return names;
}

// The layers of a Sequential model (each takes the one before), or of a functional model (each
// takes the layers its one inbound node names).
Topology Read(const json& topology) {
  const json* root = &topology;
  if (root->is_object() && root->contains("model_config")) root = &(*root)["model_config"];
  if (!root->is_object() || !root->contains("config")) Invalid("the topology has no model config");
  const std::string cls = root->value("class_name", std::string());
  const json& config = (*root)["config"];
  const json* list = config.is_array() ? &config : (config.is_object() && config.contains("layers")) ? &config["layers"] : nullptr;
  if (!list || !list->is_array()) Invalid("the topology has no layer list");
  if (list->size() > kMaxLayers) Invalid("the topology has more than " + std::to_string(kMaxLayers) + " layers");
  const bool sequential = cls == "Sequential";
  if (!sequential && cls != "Model" && cls != "Functional") Unsupported("a " + cls.substr(0, 64) + " model");
  Topology t;
  for (const json& l : *list) {
    if (!l.is_object() || !l.contains("class_name") || !l["class_name"].is_string() || !l.contains("config") ||
        !l["config"].is_object()) {
      Invalid("a layer in the topology lacks its class_name or config");
    }
    const json& c = l["config"];
    std::string name = c.contains("name") && c["name"].is_string() ? c["name"].get<std::string>()
                       : l.contains("name") && l["name"].is_string() ? l["name"].get<std::string>() : std::string();
    Layer layer{l["class_name"].get<std::string>(), name, &c, {}};
    if (sequential) {
      if (!t.layers.empty()) layer.inputs.push_back(t.layers.back().name);
      else layer.inputs.push_back("");
    } else {
      const json nodes = l.value("inbound_nodes", json::array());
      if (!nodes.is_array()) Invalid(Describe(layer) + " has malformed inbound nodes");
      if (nodes.size() > 1) Unsupported(Describe(layer) + ", a layer applied more than once");
      if (nodes.size() == 1) {
        if (!nodes[0].is_array()) Unsupported(Describe(layer) + "'s inbound node, in a format other than tfjs-layers'");
        for (const json& in : nodes[0]) {
          if (!in.is_array() || in.size() < 3 || !in[0].is_string() || !in[1].is_number_integer() ||
              !in[2].is_number_integer()) {
            Invalid(Describe(layer) + " has a malformed inbound node");
          }
          if (in[1].get<int64_t>() != 0 || in[2].get<int64_t>() != 0) {
            Unsupported(Describe(layer) + " taking a second output or application of a layer");
          }
          layer.inputs.push_back(in[0].get<std::string>());
        }
        if (layer.inputs.empty()) Invalid(Describe(layer) + " has an empty inbound node");
      }
    }
    t.layers.push_back(std::move(layer));
  }
  if (t.layers.empty()) Invalid("the model has no layers");
  if (sequential) {
    t.outputs = {t.layers.back().name};
    t.input_config = t.layers.front().config;
    return t;
  }
  if (!config.is_object()) Invalid("the functional model's config is not an object");
  const std::vector<std::string> inputs = EndpointsOf(config, "input_layers", "inputs");
  if (inputs.size() > 1) Unsupported("a model with several inputs");
  t.input = inputs[0];
  t.outputs = EndpointsOf(config, "output_layers", "outputs");
  for (const Layer& l : t.layers) {
    if (l.inputs.empty() && l.name != t.input) Unsupported("a model with several inputs ('" + l.name.substr(0, 64) + "')");
    if (l.name == t.input) t.input_config = l.config;
  }
  if (!t.input_config) Invalid("the model's input layer '" + t.input.substr(0, 64) + "' is not among its layers");
  return t;
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

int64_t Integer(const json& c, const char* key, int64_t otherwise, const Layer& l) {
  if (!c.contains(key) || c[key].is_null()) return otherwise;
  if (!c[key].is_number_integer()) Invalid(Describe(l) + ": '" + key + "' is not an integer");
  return c[key].get<int64_t>();
}

// A Keras pair: an integer for both, or [a, b]; `otherwise` when absent or null.
std::pair<int64_t, int64_t> Pair(const json& c, const char* key, std::pair<int64_t, int64_t> otherwise, const Layer& l) {
  if (!c.contains(key) || c[key].is_null()) return otherwise;
  const json& v = c[key];
  if (v.is_number_integer()) return {v.get<int64_t>(), v.get<int64_t>()};
  if (v.is_array() && v.size() == 1 && v[0].is_number_integer()) return {v[0].get<int64_t>(), v[0].get<int64_t>()};
  if (v.is_array() && v.size() == 2 && v[0].is_number_integer() && v[1].is_number_integer()) {
    return {v[0].get<int64_t>(), v[1].get<int64_t>()};
  }
  Invalid(Describe(l) + ": '" + key + "' is not an integer or a pair of them");
}

// A Keras 2-D padding or cropping: an integer for all four sides, [vertical, horizontal], or
// [[top, bottom], [left, right]]; 1 on each side when absent.
std::array<int64_t, 4> Sides(const json& c, const char* key, const Layer& l) {
  if (c.contains(key) && c[key].is_array() && c[key].size() == 2 && c[key][0].is_array()) {
    const json& p = c[key];
    for (const json& side : p) {
      if (!side.is_array() || side.size() != 2 || !side[0].is_number_integer() || !side[1].is_number_integer()) {
        Invalid(Describe(l) + " has a malformed " + key);
      }
    }
    return {p[0][0].get<int64_t>(), p[0][1].get<int64_t>(), p[1][0].get<int64_t>(), p[1][1].get<int64_t>()};
  }
  const auto [v, h] = Pair(c, key, {1, 1}, l);
  return {v, v, h, h};
}

void ChannelsLast(const json& c, const Layer& l) {
  const std::string format = c.value("data_format", std::string("channels_last"));
  if (format != "channels_last") Unsupported(Describe(l) + " with data_format " + format.substr(0, 32));
}

bool SamePadding(const json& c, const Layer& l) {
  const std::string padding = c.value("padding", std::string("valid"));
  if (padding != "same" && padding != "valid") Unsupported(Describe(l) + " with padding '" + padding.substr(0, 32) + "'");
  return padding == "same";
}

// A value of the plan and the shape of one of its rows.
struct Value {
  Value() = default;
  Value(Plan::Value value, std::vector<int64_t> shape, Margins padding = {})
      : id(value), dims(std::move(shape)), zeros(padding) {}
  Plan::Value id = 0;
  std::vector<int64_t> dims;
  // Zeros a ZeroPadding2D left to its only consumer, a convolution with valid padding, to add as
  // it reads (spatial.h Window::zeros): `dims` is the padded image's, `id` holds it without them.
  Margins zeros;
  // A 2x nearest UpSampling2D left to its only consumer, a 3x3 convolution with same padding
  // (upsampled_conv.h): `dims` is the upsampled image's, `id` holds the image.
  bool upsampled = false;
};

Image ImageOf(const Value& v, const Layer& l) {
  if (v.dims.size() != 3) Unsupported(Describe(l) + " on an input of rank " + std::to_string(v.dims.size() + 1));
  return Image{v.dims[0], v.dims[1], v.dims[2]};
}

// The window of a convolution or pooling layer: size from `size_key`, strides (pooling: the
// pool size when absent), dilation, padding.
Window WindowOf(const json& c, const Layer& l, const char* size_key, bool pooling) {
  ChannelsLast(c, l);
  Window w;
  std::tie(w.kh, w.kw) = Pair(c, size_key, pooling ? std::pair<int64_t, int64_t>{2, 2} : std::pair<int64_t, int64_t>{0, 0}, l);
  std::tie(w.sh, w.sw) = Pair(c, "strides", pooling ? std::pair{w.kh, w.kw} : std::pair<int64_t, int64_t>{1, 1}, l);
  // Keras pooling layers have no dilation: tfjs-layers ignores a dilation_rate in their config,
  // and so does the executor (XNNPACK's average pooling has none either).
  if (!pooling) std::tie(w.dh, w.dw) = Pair(c, "dilation_rate", {1, 1}, l);
  w.same = SamePadding(c, l);
  return w;
}

ActivationSpec ActivationOf(const json& c) { return ActivationByName(c.value("activation", std::string("linear"))); }

const Tensor* BiasOf(const std::map<std::string, Tensor>& weights, const json& c, const Layer& l, int64_t n) {
  return c.value("use_bias", true) ? &NeedWeight(weights, l, "bias", {n}) : nullptr;
}

// The activation an activation layer (Activation, ReLU, LeakyReLU, ELU, Softmax on the last
// axis) applies, on an input of `rank` dimensions after the batch; nullopt for other layers.
std::optional<ActivationSpec> ActivationLayer(const Layer& l, size_t rank) {
  const json& c = *l.config;
  const std::string& cls = l.class_name;
  if (cls == "Activation") return ActivationOf(c);
  if (cls == "ReLU") {
    if (Number(c, "negative_slope", 0) != 0 || Number(c, "threshold", 0) != 0) {
      Unsupported(Describe(l) + " with a negative slope or threshold");
    }
    const double max = Number(c, "max_value", -1);
    if (max >= 0 && max != 6) Unsupported(Describe(l) + " with max_value " + std::to_string(max));
    return ActivationSpec{max < 0 ? Activation::kRelu : Activation::kRelu6};
  }
  if (cls == "LeakyReLU") return ActivationSpec{Activation::kLeakyRelu, static_cast<float>(Number(c, "alpha", 0.3))};
  if (cls == "ELU") {
    if (Number(c, "alpha", 1.0) != 1.0) Unsupported(Describe(l) + " with alpha other than 1 (tfjs refuses it too)");
    return ActivationSpec{Activation::kElu, 1.0f};
  }
  if (cls == "Softmax") {
    const double axis = Number(c, "axis", -1);
    if (axis != -1 && axis != static_cast<double>(rank)) Unsupported(Describe(l) + " over axis " + std::to_string(axis));
    return ActivationSpec{Activation::kSoftmax};
  }
  return std::nullopt;
}

// A batch norm on the last axis of `ch` channels as x·scale + shift.
ChannelScale BatchNormAffine(const std::map<std::string, Tensor>& weights, const Layer& l, size_t rank, int64_t ch) {
  const json& c = *l.config;
  const double axis = Number(c, "axis", -1);
  if (axis != -1 && axis != static_cast<double>(rank)) Unsupported(Describe(l) + " over axis " + std::to_string(axis));
  const double eps = Number(c, "epsilon", 1e-3);
  const Tensor& mean = NeedWeight(weights, l, "moving_mean", {ch});
  const Tensor& var = NeedWeight(weights, l, "moving_variance", {ch});
  const Tensor* gamma = c.value("scale", true) ? &NeedWeight(weights, l, "gamma", {ch}) : nullptr;
  const Tensor* beta = c.value("center", true) ? &NeedWeight(weights, l, "beta", {ch}) : nullptr;
  return BatchNormScale(gamma, beta, mean, var, static_cast<float>(eps));
}

// What a convolution or dense layer absorbs from the layers after it: a batch norm folded into
// its weights and bias, then an activation fused into its output (each only when the layer
// before is its only input's only consumer, and not the model's output). And whether a
// ZeroPadding2D's zeros are left to the one convolution after it.
struct Tail {
  const Layer* norm = nullptr;
  const Layer* activation = nullptr;
  bool zeros_to_next = false;  // a ZeroPadding2D whose only consumer adds its zeros (Value::zeros)
  bool upsampling_to_next = false;  // an UpSampling2D whose only consumer reads it upsampled (Value::upsampled)
};

// The layer's weights with `tail`'s batch norm folded in: kernel values scaled per output
// channel (the last axis of every kernel layout here), the bias scaled and shifted.
struct Folded {
  Tensor kernel, bias;
  bool has_bias = false;
  ActivationSpec act;
};
Folded Fold(const std::map<std::string, Tensor>& weights, const Tail& tail, const Tensor& kernel, const Tensor* bias,
            ActivationSpec act, int64_t out_channels, size_t rank) {
  Folded f{kernel, bias ? *bias : Tensor{}, bias != nullptr, act};
  if (tail.norm) {
    if (act.kind != Activation::kLinear) Invalid("a batch norm is folded into a layer with an activation");
    const ChannelScale norm = BatchNormAffine(weights, *tail.norm, rank, out_channels);
    const std::vector<float>&scale = norm.scale, &shift = norm.shift;
    const size_t n = static_cast<size_t>(out_channels);
    for (size_t i = 0; i < f.kernel.values.size(); ++i) f.kernel.values[i] *= scale[i % n];
    if (!f.has_bias) f.bias = Tensor{{out_channels}, std::vector<float>(n, 0.0f)};
    for (size_t i = 0; i < n; ++i) f.bias.values[i] = f.bias.values[i] * scale[i] + shift[i];
    f.has_bias = true;
  }
  if (tail.activation) f.act = *ActivationLayer(*tail.activation, rank);
  return f;
}

// Whether a layer works value by value (identity, activations but softmax, merges, reshapes),
// and so may take a row of rank 0 (CheckRow).
bool IsElementwise(const Layer& l) {
  static const std::set<std::string> kElementwise = {
      "InputLayer", "Dropout", "GaussianNoise", "GaussianDropout", "AlphaDropout", "Activation", "ReLU", "LeakyReLU",
      "ELU", "Add", "Multiply", "Average", "Maximum", "Minimum", "Reshape"};
  if (l.class_name == "Activation") return l.config->value("activation", std::string("linear")) != "softmax";
  return kElementwise.count(l.class_name) > 0;
}

// The step, once its output size agrees with the shape the loader gives its value: the sizes a
// kernel writes and the shapes later layers read come from the same formula, or nothing runs.
std::unique_ptr<Step> Sized(std::unique_ptr<Step> step, const std::vector<int64_t>& dims, const Layer& l) {
  if (Elements(dims, Describe(l) + "'s output") != step->out_cols) {
    Invalid(Describe(l) + ": its kernel writes " + std::to_string(step->out_cols) + " values per row, not the " +
            std::to_string(Elements(dims, Describe(l))) + " of its output shape");
  }
  return step;
}

// What a layer's compile function gets: the layer and its config, its inputs (`x` the first, its
// row checked), the weights, what it absorbs (`tail`), the plan, the label of its steps and the
// values in one row of `x`.
struct LayerCall {
  Plan& plan;
  const Layer& l;
  const json& c;
  const std::vector<const Value*>& ins;
  const Value& x;
  const std::map<std::string, Tensor>& weights;
  const Tail& tail;
  std::string label;
  int64_t cols;

  // `step` on x, making a value of shape `dims`.
  Value One(std::unique_ptr<Step> step, std::vector<int64_t> dims) const {
    return Value{plan.Add(Sized(std::move(step), dims, l), {x.id}), std::move(dims)};
  }
};

// ---- Identity, dense, activations, normalisation, reshapes (kernels.h, activation.h)

Value Identity(const LayerCall& k) { return k.x; }  // inference: identity

Value DenseLayer(const LayerCall& k) {
  const json& c = k.c;
  const Layer& l = k.l;
  if (!c.contains("units") || !c["units"].is_number_integer()) Invalid(Describe(l) + " has no units");
  const int64_t units = c["units"].get<int64_t>();
  const int64_t in = k.x.dims.back();
  const Tensor& kernel = NeedWeight(k.weights, l, "kernel", {in, units});
  std::vector<int64_t> dims = k.x.dims;
  dims.back() = units;
  const Folded f = Fold(k.weights, k.tail, kernel, BiasOf(k.weights, c, l, units), ActivationOf(c), units, dims.size());
  return k.One(MakeDense(k.label, f.kernel, f.has_bias ? &f.bias : nullptr, f.act, k.cols / in), dims);
}

Value ActivationLayerStep(const LayerCall& k) {
  const ActivationSpec act = *ActivationLayer(k.l, k.x.dims.size());
  return k.One(MakeActivation(k.label, act, k.cols, LastAxis(k.x.dims)), k.x.dims);
}

Value Flatten(const LayerCall& k) { return Value{k.x.id, {k.cols}}; }  // row-major: the values stay where they are

Value ReshapeLayer(const LayerCall& k) {
  const json& c = k.c;
  if (!c.contains("target_shape") || !c["target_shape"].is_array()) Invalid(Describe(k.l) + " has no target_shape");
  std::vector<int64_t> target;
  for (const json& d : c["target_shape"]) {
    if (!d.is_number_integer() || target.size() >= static_cast<size_t>(kMaxRank)) {
      Invalid(Describe(k.l) + " has a target_shape that is not a shape");
    }
    target.push_back(d.get<int64_t>());
  }
  return Value{k.x.id, Reshaped(std::move(target), k.cols, Describe(k.l))};
}

Value BatchNormLayer(const LayerCall& k) {
  ChannelScale norm = BatchNormAffine(k.weights, k.l, k.x.dims.size(), k.x.dims.back());
  return k.One(MakeChannelAffine(k.label, std::move(norm.scale), std::move(norm.shift), k.cols), k.x.dims);
}

// Keras' PReLU: a slope per value of the input's row, shared along `shared_axes` (counted with
// the batch as 0), where the slopes' shape is 1.
Value PreluLayer(const LayerCall& k) {
  std::vector<int64_t> shape = k.x.dims;
  const json shared = k.c.value("shared_axes", json());
  for (const json& a : shared.is_array() ? shared : shared.is_null() ? json::array() : json::array({shared})) {
    if (!a.is_number_integer() || a.get<int64_t>() < 1 || a.get<int64_t>() > static_cast<int64_t>(shape.size())) {
      Invalid(Describe(k.l) + " shares its slopes along an axis it does not have");
    }
    shape[static_cast<size_t>(a.get<int64_t>() - 1)] = 1;
  }
  const Tensor& alpha = NeedWeight(k.weights, k.l, "alpha", shape);
  return k.One(MakePrelu(k.label, alpha, k.x.dims), k.x.dims);
}

Value PermuteLayer(const LayerCall& k) {
  const json& c = k.c;
  const Value& x = k.x;
  if (!c.contains("dims") || !c["dims"].is_array() || c["dims"].size() != x.dims.size()) {
    Invalid(Describe(k.l) + " has no permutation of its input's axes");
  }
  std::vector<int64_t> perm, dims;
  for (const json& d : c["dims"]) {
    if (!d.is_number_integer() || d.get<int64_t>() < 1 || d.get<int64_t>() > static_cast<int64_t>(x.dims.size())) {
      Invalid(Describe(k.l) + " has a malformed permutation");
    }
    perm.push_back(d.get<int64_t>() - 1);  // Keras counts the axes after the batch from 1
    dims.push_back(x.dims[static_cast<size_t>(perm.back())]);
  }
  return k.One(MakeTranspose(k.label, x.dims, perm), dims);
}

// ---- Convolutions and pooling (spatial.h)

// The image a convolution reads: its input's, less the zeros a ZeroPadding2D left to it, which
// go into `w`.
Image ConvInput(const Value& x, const Layer& l, Window& w) {
  Image in = ImageOf(x, l);
  if (!x.zeros.any()) return in;
  if (w.same) Invalid(Describe(l) + ": same padding after a folded ZeroPadding2D");
  w.zeros = x.zeros;
  in.h -= x.zeros.top + x.zeros.bottom;
  in.w -= x.zeros.left + x.zeros.right;
  return in;
}

Value ConvLayer(const LayerCall& k) {
  const json& c = k.c;
  const Layer& l = k.l;
  const Value& x = k.x;
  const bool conv1d = l.class_name == "Conv1D";
  if (Integer(c, "groups", 1, l) != 1) Unsupported(Describe(l) + " with groups");
  const int64_t filters = Integer(c, "filters", 0, l);
  Value v = x;
  Window w;
  if (conv1d) {  // a conv over a row of width `steps`
    if (x.dims.size() != 2) Unsupported(Describe(l) + " on an input of rank " + std::to_string(x.dims.size() + 1));
    if (c.value("padding", std::string()) == "causal") Unsupported(Describe(l) + " with causal padding");
    v.dims = {1, x.dims[0], x.dims[1]};
    w = WindowOf(c, l, "kernel_size", false);
    w.kh = w.sh = w.dh = 1;
  } else {
    w = WindowOf(c, l, "kernel_size", false);
  }
  if (x.upsampled) {  // the 3x3 same convolution the layer before upsampled for (tail_of)
    const Image in{x.dims[0] / 2, x.dims[1] / 2, x.dims[2]};
    const Tensor& kernel = NeedWeight(k.weights, l, "kernel", {3, 3, in.c, filters});
    const Folded f = Fold(k.weights, k.tail, kernel, BiasOf(k.weights, c, l, filters), ActivationOf(c), filters, 3);
    return k.One(MakeUpsampledConv2D(k.label, in, f.kernel, f.has_bias ? &f.bias : nullptr, f.act),
                 {2 * in.h, 2 * in.w, filters});
  }
  const Image in = ConvInput(v, l, w);
  const Tensor& kernel = NeedWeight(k.weights, l, "kernel",
                                    conv1d ? std::vector<int64_t>{w.kw, in.c, filters}
                                           : std::vector<int64_t>{w.kh, w.kw, in.c, filters});
  Tensor hwio{{w.kh, w.kw, in.c, filters}, kernel.values};
  const Geometry g = GeometryOf(in, w, Describe(l));
  const Folded f = Fold(k.weights, k.tail, hwio, BiasOf(k.weights, c, l, filters), ActivationOf(c), filters, x.dims.size());
  auto step = MakeConv2D(k.label, in, w, f.kernel, f.has_bias ? &f.bias : nullptr, f.act);
  return k.One(std::move(step), conv1d ? std::vector<int64_t>{g.ow, filters} : std::vector<int64_t>{g.oh, g.ow, filters});
}

Value DepthwiseConvLayer(const LayerCall& k) {
  const json& c = k.c;
  const Layer& l = k.l;
  Window w = WindowOf(c, l, "kernel_size", false);
  const Image in = ConvInput(k.x, l, w);
  const int64_t m = Integer(c, "depth_multiplier", 1, l);
  const Tensor& kernel = NeedWeight(k.weights, l, "depthwise_kernel", {w.kh, w.kw, in.c, m});
  const Geometry g = GeometryOf(in, w, Describe(l));
  if (l.class_name == "DepthwiseConv2D") {
    const Folded f = Fold(k.weights, k.tail, kernel, BiasOf(k.weights, c, l, in.c * m), ActivationOf(c), in.c * m, 3);
    return k.One(MakeDepthwiseConv2D(k.label, in, w, f.kernel, f.has_bias ? &f.bias : nullptr, f.act),
                 {g.oh, g.ow, in.c * m});
  }
  // SeparableConv2D: the depthwise step, then a 1x1 convolution.
  const int64_t filters = Integer(c, "filters", 0, l);
  const Tensor& pointwise = NeedWeight(k.weights, l, "pointwise_kernel", {1, 1, in.c * m, filters});
  const Value depthwise = k.One(MakeDepthwiseConv2D(k.label + " depthwise", in, w, kernel, nullptr, {}),
                                {g.oh, g.ow, in.c * m});
  const Folded f = Fold(k.weights, k.tail, pointwise, BiasOf(k.weights, c, l, filters), ActivationOf(c), filters, 3);
  return Value{k.plan.Add(MakeConv2D(k.label + " pointwise", Image{g.oh, g.ow, in.c * m}, Window{}, f.kernel,
                                     f.has_bias ? &f.bias : nullptr, f.act),
                          {depthwise.id}),
               {g.oh, g.ow, filters}};
}

Value ConvTransposeLayer(const LayerCall& k) {
  const json& c = k.c;
  const Layer& l = k.l;
  const Image in = ImageOf(k.x, l);
  const Window w = WindowOf(c, l, "kernel_size", false);
  if (c.contains("output_padding") && !c["output_padding"].is_null()) Unsupported(Describe(l) + " with output_padding");
  const int64_t filters = Integer(c, "filters", 0, l);
  const Tensor& kernel = NeedWeight(k.weights, l, "kernel", {w.kh, w.kw, filters, in.c});
  const Image out = TransposedOutput(in, w, filters);
  return k.One(MakeConv2DTranspose(k.label, in, w, kernel, BiasOf(k.weights, c, l, filters), ActivationOf(c)),
               {out.h, out.w, out.c});
}

Value PoolLayer(const LayerCall& k) {
  const Image in = ImageOf(k.x, k.l);
  const Window w = WindowOf(k.c, k.l, "pool_size", true);
  const Geometry g = GeometryOf(in, w, Describe(k.l));
  const Pool kind = k.l.class_name == "MaxPooling2D" ? Pool::kMax : Pool::kAverage;
  return k.One(MakePool2D(k.label, kind, in, w), {g.oh, g.ow, in.c});
}

Value GlobalPoolLayer(const LayerCall& k) {
  const std::string& cls = k.l.class_name;
  const Value& x = k.x;
  ChannelsLast(k.c, k.l);
  if (k.c.value("keepdims", false)) Unsupported(Describe(k.l) + " with keepdims");
  const size_t rank = cls.back() == 'D' && cls[cls.size() - 2] == '2' ? 3 : 2;
  if (x.dims.size() != rank) Unsupported(Describe(k.l) + " on an input of rank " + std::to_string(x.dims.size() + 1));
  const Pool kind = cls.find("Max") != std::string::npos ? Pool::kMax : Pool::kAverage;
  return k.One(MakeGlobalPool(k.label, kind, k.cols / x.dims.back(), x.dims.back()), {x.dims.back()});
}

// ---- Padding, cropping and resizing (resample.h)

Value ZeroPaddingLayer(const LayerCall& k) {
  ChannelsLast(k.c, k.l);
  const Image in = ImageOf(k.x, k.l);
  const auto [top, bottom, left, right] = Sides(k.c, "padding", k.l);
  // Made first, as it checks the sides (before they are added), also when the zeros are left
  // to the convolution after it.
  auto step = MakeZeroPad2D(k.label, in, top, bottom, left, right);
  std::vector<int64_t> dims = {in.h + top + bottom, in.w + left + right, in.c};
  if (k.tail.zeros_to_next) return Value{k.x.id, std::move(dims), Margins{top, bottom, left, right}};
  return k.One(std::move(step), std::move(dims));
}

Value CroppingLayer(const LayerCall& k) {
  ChannelsLast(k.c, k.l);
  const Image in = ImageOf(k.x, k.l);
  const auto [top, bottom, left, right] = Sides(k.c, "cropping", k.l);
  auto step = MakeCrop2D(k.label, in, top, bottom, left, right);
  return k.One(std::move(step), {in.h - top - bottom, in.w - left - right, in.c});
}

Value UpSamplingLayer(const LayerCall& k) {
  ChannelsLast(k.c, k.l);
  const std::string mode = k.c.value("interpolation", std::string("nearest"));
  if (mode != "nearest" && mode != "bilinear") Unsupported(Describe(k.l) + " with " + mode.substr(0, 32) + " interpolation");
  const Image in = ImageOf(k.x, k.l);
  const auto [sh, sw] = Pair(k.c, "size", {2, 2}, k.l);
  if (k.tail.upsampling_to_next) {
    Value v{k.x.id, {in.h * 2, in.w * 2, in.c}};
    v.upsampled = true;
    return v;
  }
  // tfjs-layers resizes bilinearly without align_corners or half-pixel centres.
  auto step = mode == "nearest" ? MakeUpSampleNearest(k.label, in, sh, sw)
                                : MakeResizeBilinear(k.label, in, in.h * sh, in.w * sw, false, false);
  return k.One(std::move(step), {in.h * sh, in.w * sw, in.c});
}

// ---- Layers of several inputs (merge.h)

Value ConcatenateLayer(const LayerCall& k) {
  const Value& x = k.x;
  const double axis = Number(k.c, "axis", -1);
  if (axis != -1 && axis != static_cast<double>(x.dims.size())) Unsupported(Describe(k.l) + " over axis " + std::to_string(axis));
  std::vector<int64_t> widths;
  std::vector<Plan::Value> ids;
  for (const Value* in : k.ins) {
    if (in->dims.size() != x.dims.size() || !std::equal(x.dims.begin(), x.dims.end() - 1, in->dims.begin())) {
      Invalid(Describe(k.l) + ": its inputs differ in more than the last axis");
    }
    widths.push_back(in->dims.back());
    ids.push_back(in->id);
  }
  auto step = MakeConcat(k.label, widths, k.cols / x.dims.back());
  std::vector<int64_t> dims = x.dims;
  dims.back() = step->out_cols / (k.cols / x.dims.back());
  return Value{k.plan.Add(std::move(step), ids), dims};
}

Value MergeLayer(const LayerCall& k, Merge op) {
  std::vector<Plan::Value> ids;
  for (const Value* in : k.ins) {
    if (in->dims != k.x.dims) Unsupported(Describe(k.l) + " broadcasting inputs of different shapes");
    ids.push_back(in->id);
  }
  return Value{k.plan.Add(MakeMerge(k.label, op, k.ins.size(), k.cols), ids), k.x.dims};
}

// The layers the executor covers, by class name: how each compiles, and whether it may take
// several inputs.
struct LayerKind {
  Value (*compile)(const LayerCall&);
  bool several_inputs = false;
};
const LayerKind* FindLayerKind(const std::string& class_name) {
  static const std::map<std::string, LayerKind, std::less<>> kLayers = {
      {"InputLayer", {Identity}},
      {"Dropout", {Identity}},
      {"SpatialDropout1D", {Identity}},
      {"SpatialDropout2D", {Identity}},
      {"GaussianNoise", {Identity}},
      {"GaussianDropout", {Identity}},
      {"AlphaDropout", {Identity}},
      {"Dense", {DenseLayer}},
      {"Activation", {ActivationLayerStep}},
      {"ReLU", {ActivationLayerStep}},
      {"LeakyReLU", {ActivationLayerStep}},
      {"ELU", {ActivationLayerStep}},
      {"Softmax", {ActivationLayerStep}},
      {"Flatten", {Flatten}},
      {"Reshape", {ReshapeLayer}},
      {"BatchNormalization", {BatchNormLayer}},
      {"PReLU", {PreluLayer}},
      {"Permute", {PermuteLayer}},
      {"Conv1D", {ConvLayer}},
      {"Conv2D", {ConvLayer}},
      {"DepthwiseConv2D", {DepthwiseConvLayer}},
      {"SeparableConv2D", {DepthwiseConvLayer}},
      {"Conv2DTranspose", {ConvTransposeLayer}},
      {"MaxPooling2D", {PoolLayer}},
      {"AveragePooling2D", {PoolLayer}},
      {"GlobalAveragePooling1D", {GlobalPoolLayer}},
      {"GlobalAveragePooling2D", {GlobalPoolLayer}},
      {"GlobalMaxPooling1D", {GlobalPoolLayer}},
      {"GlobalMaxPooling2D", {GlobalPoolLayer}},
      {"ZeroPadding2D", {ZeroPaddingLayer}},
      {"Cropping2D", {CroppingLayer}},
      {"UpSampling2D", {UpSamplingLayer}},
      {"Concatenate", {ConcatenateLayer, true}},
      {"Add", {[](const LayerCall& k) { return MergeLayer(k, Merge::kAdd); }, true}},
      {"Multiply", {[](const LayerCall& k) { return MergeLayer(k, Merge::kMultiply); }, true}},
      {"Average", {[](const LayerCall& k) { return MergeLayer(k, Merge::kAverage); }, true}},
      {"Maximum", {[](const LayerCall& k) { return MergeLayer(k, Merge::kMaximum); }, true}},
      {"Minimum", {[](const LayerCall& k) { return MergeLayer(k, Merge::kMinimum); }, true}},
  };
  auto it = kLayers.find(class_name);
  return it == kLayers.end() ? nullptr : &it->second;
}

// One layer on its inputs: the steps it adds to the plan, and the value it makes.
Value CompileLayer(Plan& plan, const Layer& l, const std::vector<const Value*>& ins,
                   const std::map<std::string, Tensor>& weights, const Tail& tail) {
  std::string label = l.name + " (" + l.class_name;
  for (const Layer* t : {tail.norm, tail.activation}) {
    if (t) label += " + " + t->class_name;
  }
  label += ")";
  const Value& x = *ins[0];
  // Shapes are checked here, once, before the layer's code reads an axis of them.
  const bool elementwise = IsElementwise(l);
  for (const Value* in : ins) CheckRow(in->dims, elementwise, Describe(l));
  const int64_t cols = Elements(x.dims, Describe(l) + "'s input");
  const LayerKind* kind = FindLayerKind(l.class_name);
  if (ins.size() > 1 && !(kind && kind->several_inputs)) Unsupported(Describe(l) + " taking several inputs");
  if (!kind) Unsupported(Describe(l));
  return kind->compile(LayerCall{plan, l, *l.config, ins, x, weights, tail, std::move(label), cols});
}
}  // namespace

std::unique_ptr<Plan> CompileLayers(const json& topology, const std::map<std::string, Tensor>& weights,
                                    std::vector<int64_t> dims) {
  const Topology t = Read(topology);
  if (dims.empty()) {
    const json& c = *t.input_config;
    const std::string what = "the model's input";
    if (c.contains("batch_input_shape")) dims = DimsOf(c["batch_input_shape"], what);
    else if (c.contains("batch_shape")) dims = DimsOf(c["batch_shape"], what);
    else Invalid("the model's input shape is not declared");
  }
  // tfjs-layers' predict expands a rank-1 input to [batch, 1] and then refuses it as not the
  // model's shape: such a model has no answer to agree with.
  if (dims.empty()) Unsupported("a layers model whose input has no axis besides the batch (tfjs-layers' predict refuses it too)");
  auto plan = std::make_unique<Plan>();
  plan->set_input_cols(Elements(dims, "the model input"));
  std::map<std::string, Value> made;
  made[t.input] = Value{0, dims};
  std::map<std::string, std::vector<const Layer*>> consumers;
  for (const Layer& l : t.layers) {
    for (const std::string& in : l.inputs) consumers[in].push_back(&l);
  }
  // The layer after `l` when it is l's only consumer, takes only l, and l is not an output.
  auto only_next = [&](const Layer& l) -> const Layer* {
    auto it = consumers.find(l.name);
    const bool output = std::find(t.outputs.begin(), t.outputs.end(), l.name) != t.outputs.end();
    if (output || it == consumers.end() || it->second.size() != 1) return nullptr;
    const Layer* next = it->second.front();
    return next->inputs.size() == 1 ? next : nullptr;
  };
  auto tail_of = [&](const Layer& l) {
    Tail tail;
    if (l.class_name == "UpSampling2D") {  // 2x nearest, into a 3x3 same convolution alone
      const Layer* next = only_next(l);
      const json& c = *l.config;
      if (!next || next->class_name != "Conv2D" || !c.is_object() || !next->config->is_object()) return tail;
      if (c.value("interpolation", std::string("nearest")) != "nearest") return tail;
      if (Pair(c, "size", {2, 2}, l) != std::pair<int64_t, int64_t>{2, 2}) return tail;
      const json& nc = *next->config;
      if (nc.value("data_format", std::string("channels_last")) != "channels_last" ||
          c.value("data_format", std::string("channels_last")) != "channels_last" || Integer(nc, "groups", 1, *next) != 1) {
        return tail;
      }
      const Window w = WindowOf(nc, *next, "kernel_size", false);
      tail.upsampling_to_next = w.kh == 3 && w.kw == 3 && w.sh == 1 && w.sw == 1 && w.dh == 1 && w.dw == 1 && w.same;
      return tail;
    }
    if (l.class_name == "ZeroPadding2D") {
      static const std::set<std::string> kConvs = {"Conv2D", "DepthwiseConv2D", "SeparableConv2D"};
      const Layer* next = only_next(l);
      tail.zeros_to_next = next && kConvs.count(next->class_name) && next->config->is_object() &&
                           next->config->value("padding", std::string()) == "valid";
      return tail;
    }
    static const std::set<std::string> kFolding = {"Conv2D", "Conv1D", "DepthwiseConv2D", "SeparableConv2D", "Dense"};
    if (!kFolding.count(l.class_name)) return tail;
    const bool linear = l.config->value("activation", std::string("linear")) == "linear";
    const Layer* next = only_next(l);
    if (linear && next && next->class_name == "BatchNormalization") {
      const double axis = Number(*next->config, "axis", -1);
      if (axis == -1 || axis == (l.class_name == "Dense" ? -2 : l.class_name == "Conv1D" ? 2 : 3)) {
        tail.norm = next;
        next = only_next(*next);
      }
    } else if (!linear) {
      return tail;
    }
    if (next && ActivationLayer(*next, 1).has_value() && next->class_name != "Softmax") tail.activation = next;
    return tail;
  };
  std::set<std::string> absorbed;
  // In order of their inputs: each pass compiles the layers whose inputs are made.
  std::vector<const Layer*> pending;
  for (const Layer& l : t.layers) {
    if (!(l.name == t.input && l.inputs.empty())) pending.push_back(&l);
  }
  while (!pending.empty()) {
    std::vector<const Layer*> later;
    for (const Layer* l : pending) {
      std::vector<const Value*> ins;
      for (const std::string& name : l->inputs) {
        auto it = made.find(name);
        if (it == made.end()) break;
        ins.push_back(&it->second);
      }
      if (ins.size() < l->inputs.size()) {
        later.push_back(l);
        continue;
      }
      if (absorbed.count(l->name)) continue;
      if (made.count(l->name)) Invalid("two layers are named '" + l->name.substr(0, 64) + "'");
      const Tail tail = tail_of(*l);
      const Value v = made[l->name] = CompileLayer(*plan, *l, ins, weights, tail);
      for (const Layer* t : {tail.norm, tail.activation}) {
        if (!t) continue;
        if (made.count(t->name)) Invalid("two layers are named '" + t->name.substr(0, 64) + "'");
        made[t->name] = v;
        absorbed.insert(t->name);
      }
    }
    if (later.size() == pending.size()) {
      Invalid(Describe(*later.front()) + " takes a layer that is not in the model, or the layers form a cycle");
    }
    pending.swap(later);
  }
  std::vector<Plan::Value> outputs;
  for (const std::string& name : t.outputs) {
    auto out = made.find(name);
    if (out == made.end()) Invalid("the model's output layer '" + name.substr(0, 64) + "' is not among its layers");
    outputs.push_back(out->second.id);
  }
  plan->set_outputs(std::move(outputs));
  return plan;
}

}  // namespace tfjs_run::native
