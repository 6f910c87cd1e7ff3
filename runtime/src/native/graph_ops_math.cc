// The graph ops that compute: matrix products, convolutions and pooling (their bias, activation
// and Prelu fused), activations, unary math, batch norms and reductions.
#include "native/graph_compiler.h"

#include <algorithm>

#include "native/kernels.h"
#include "native/resample.h"
#include "native/spatial.h"
#include "native/unary.h"

namespace tfjs_run::native::graph {

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

}  // namespace tfjs_run::native::graph
