// The graph ops that move values: reshapes and axes, casts, transposes, joins (ConcatV2, Pack,
// Unpack), padding (or its zeros left to the convolution after it), resizes and slices.
#include "native/graph_compiler.h"

#include <algorithm>
#include <set>

#include "native/merge.h"
#include "native/resample.h"
#include "native/slice.h"

namespace tfjs_run::native::graph {

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

}  // namespace tfjs_run::native::graph
