#include "native/const_fold.h"

#include <algorithm>

#include "native/tensor.h"

namespace tfjs_run::native {

namespace {
constexpr size_t kMaxLength = 64;  // a shape, or a list of axes, is short

const KnownInts& Vector(const std::vector<KnownInts>& inputs, size_t i, const std::string& what) {
  if (i >= inputs.size()) Invalid(what + " has too few inputs");
  if (inputs[i].shape.size() != 1) Unsupported(what + " of other than a vector");
  return inputs[i];
}

int64_t Scalar(const std::vector<KnownInts>& inputs, size_t i, const std::string& what) {
  if (i >= inputs.size()) Invalid(what + " has too few inputs");
  if (inputs[i].values.size() != 1 || inputs[i].batch_at >= 0) {
    Unsupported(what + " with an index that is not one number");
  }
  return inputs[i].values[0];
}

// The elements of `from` at `picks`, as a vector, or as a scalar when `scalar`.
KnownInts Pick(const KnownInts& from, const std::vector<int64_t>& picks, bool scalar, const std::string& what) {
  KnownInts out;
  if (!scalar) out.shape = {static_cast<int64_t>(picks.size())};
  for (int64_t i : picks) {
    if (i < 0 || i >= static_cast<int64_t>(from.values.size())) Invalid(what + " reads past its input");
    if (i == from.batch_at) {
      if (out.batch_at >= 0) Unsupported(what + " holding the batch size twice");
      out.batch_at = static_cast<int64_t>(out.values.size());
    }
    out.values.push_back(from.values[static_cast<size_t>(i)]);
  }
  return out;
}

KnownInts StridedSlice(const std::vector<KnownInts>& in, const FoldAttrs& a, const std::string& what) {
  const KnownInts& x = Vector(in, 0, what);
  if (in.size() != 4) Invalid(what + " does not take four inputs");
  for (size_t i = 1; i < 4; ++i) {
    if (in[i].batch_at >= 0) Unsupported(what + " by the batch size");
  }
  const SliceSpec spec = ResolveStridedSlice({static_cast<int64_t>(x.values.size())}, in[1].values, in[2].values,
                                             in[3].values, a.masks, what);
  if (spec.shape.size() > 1) Unsupported(what + " adding an axis to a vector");
  const AxisSlice& axis = spec.axes[0];
  std::vector<int64_t> picks;
  for (int64_t i = 0; i < axis.length; ++i) picks.push_back(axis.begin + i * axis.step);
  return Pick(x, picks, spec.shape.empty(), what);
}
}  // namespace

bool Folds(const std::string& op) {
  static const char* const kOps[] = {"Shape", "StridedSlice", "Slice", "Pack", "ConcatV2", "Gather", "GatherV2"};
  return std::any_of(std::begin(kOps), std::end(kOps), [&](const char* o) { return op == o; });
}

KnownInts ShapeOf(const std::vector<int64_t>& dims) {
  KnownInts out{{static_cast<int64_t>(dims.size() + 1)}, {-1}, 0};
  out.values.insert(out.values.end(), dims.begin(), dims.end());
  return out;
}

KnownInts Fold(const std::string& op, const std::vector<KnownInts>& in, const FoldAttrs& a, const std::string& what) {
  for (const KnownInts& k : in) {
    if (k.shape.size() > 1 || k.values.size() > kMaxLength) {
      Unsupported(what + " of a tensor that is not a short vector");
    }
  }
  if (op == "StridedSlice") return StridedSlice(in, a, what);
  if (op == "Slice") {
    const KnownInts& x = Vector(in, 0, what);
    const int64_t begin = Scalar(in, 1, what), size = Scalar(in, 2, what);
    const int64_t end = size == -1 ? static_cast<int64_t>(x.values.size()) : begin + size;
    if (begin < 0 || end < begin || end > static_cast<int64_t>(x.values.size())) {
      Invalid(what + " has a slice out of range");
    }
    std::vector<int64_t> picks;
    for (int64_t i = begin; i < end; ++i) picks.push_back(i);
    return Pick(x, picks, false, what);
  }
  if (op == "Gather" || op == "GatherV2") {
    const KnownInts& x = Vector(in, 0, what);
    if (op == "GatherV2" && Scalar(in, 2, what) != 0) Unsupported(what + " on an axis other than 0");
    if (in.size() < 2 || in[1].batch_at >= 0) Unsupported(what + " with indices that are not known");
    std::vector<int64_t> picks = in[1].values;
    for (int64_t& i : picks) i += i < 0 ? static_cast<int64_t>(x.values.size()) : 0;
    return Pick(x, picks, in[1].shape.empty(), what);
  }
  // Pack of scalars, or ConcatV2 of vectors (its last input is the axis): one vector.
  const bool pack = op == "Pack";
  if (pack && a.axis != 0 && a.axis != -1) Unsupported(what + " on an axis other than 0");
  if (!pack && (in.size() < 2 || (Scalar(in, in.size() - 1, what) != 0 && Scalar(in, in.size() - 1, what) != -1))) {
    Unsupported(what + " on an axis other than 0");
  }
  KnownInts all;
  for (size_t i = 0; i < in.size() - (pack ? 0 : 1); ++i) {
    if (pack ? !in[i].shape.empty() : in[i].shape.size() != 1) Unsupported(what + " of tensors of other ranks");
    if (in[i].batch_at >= 0) {
      if (all.batch_at >= 0) Unsupported(what + " holding the batch size twice");
      all.batch_at = static_cast<int64_t>(all.values.size()) + in[i].batch_at;
    }
    all.values.insert(all.values.end(), in[i].values.begin(), in[i].values.end());
  }
  if (all.values.size() > kMaxLength) Unsupported(what + " making a vector that is not short");
  all.shape = {static_cast<int64_t>(all.values.size())};
  return all;
}

}  // namespace tfjs_run::native
