#include "native/resample.h"

#include <xnnpack.h>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstring>

#include "native/plan.h"
#include "native/xnn.h"

namespace tfjs_run::native {

namespace {
constexpr int64_t kMaxWindow = 1 << 12;  // a padding or cropping

// XNNPACK's constant pad over the batch and the row's axes.
class PadStep : public Step {
 public:
  PadStep(const std::string& step_name, const std::vector<int64_t>& dims, const std::vector<int64_t>& before,
          const std::vector<int64_t>& after, float value)
      : rank_(dims.size() + 1) {
    name = step_name;
    int64_t out = 1;
    for (size_t i = 0; i < dims.size(); ++i) {
      shape_[i + 1] = static_cast<size_t>(dims[i]);
      pre_[i + 1] = static_cast<size_t>(before[i]);
      post_[i + 1] = static_cast<size_t>(after[i]);
      out *= dims[i] + before[i] + after[i];
    }
    in_cols = {Elements(dims, name + "'s input")};
    out_cols = out;
    xnn::InitializeOnce();
    xnn_operator_t op = nullptr;
    op_ = xnn::Created(xnn_create_constant_pad_nd_x32(&value, 0, &op), &op, name);
  }
  void Run(const float* const* in, float* out, size_t rows) override {
    shape_[0] = rows;
    xnn::Check(xnn_setup_constant_pad_nd_x32(op_.get(), rank_, shape_, pre_, post_, in[0], out, nullptr), name);
    xnn::Run(op_.get(), name);
  }

 private:
  size_t rank_;
  size_t shape_[XNN_MAX_TENSOR_DIMS] = {}, pre_[XNN_MAX_TENSOR_DIMS] = {}, post_[XNN_MAX_TENSOR_DIMS] = {};
  xnn::Operator op_;
};

// A loop: XNNPACK's resize is bilinear only.
class UpSampleStep : public Step {
 public:
  UpSampleStep(const std::string& step_name, const Image& in, int64_t sh, int64_t sw)
      : in_(in), sh_(static_cast<size_t>(sh)), sw_(static_cast<size_t>(sw)) {
    name = step_name;
    in_cols = {in.values()};
    out_cols = in.values() * sh * sw;
  }
  void Run(const float* const* in, float* out, size_t rows) override {
    const size_t h = static_cast<size_t>(in_.h), w = static_cast<size_t>(in_.w), c = static_cast<size_t>(in_.c);
    const size_t out_w = w * sw_;
    for (size_t r = 0; r < rows; ++r) {
      const float* x = in[0] + r * h * w * c;
      float* y = out + r * h * sh_ * out_w * c;
      for (size_t i = 0; i < h; ++i) {
        float* line = y + i * sh_ * out_w * c;
        for (size_t j = 0; j < w; ++j) {
          for (size_t k = 0; k < sw_; ++k) std::memcpy(line + (j * sw_ + k) * c, x + (i * w + j) * c, c * sizeof(float));
        }
        for (size_t k = 1; k < sh_; ++k) std::memcpy(line + k * out_w * c, line, out_w * c * sizeof(float));
      }
    }
  }

 private:
  Image in_;
  size_t sh_, sw_;
};


// TensorFlow's nearest-neighbour resize to any size: each output row and column reads the input
// row and column its index maps to, worked out once, as tfjs's wasm backend works them out (the
// scale a float32, the half-pixel offset in double).
class ResizeNearestStep : public Step {
 public:
  ResizeNearestStep(const std::string& step_name, const Image& in, const Image& out, bool align_corners,
                    bool half_pixel_centers)
      : in_(in), out_(out), rows_(Sources(in.h, out.h, align_corners, half_pixel_centers)),
        cols_(Sources(in.w, out.w, align_corners, half_pixel_centers)) {
    name = step_name;
    in_cols = {in.values()};
    out_cols = out.values();
  }
  void Run(const float* const* in, float* out, size_t rows) override {
    const size_t w = static_cast<size_t>(in_.w), c = static_cast<size_t>(in_.c);
    const size_t oh = static_cast<size_t>(out_.h), ow = static_cast<size_t>(out_.w);
    for (size_t r = 0; r < rows; ++r) {
      const float* x = in[0] + r * static_cast<size_t>(in_cols[0]);
      float* y = out + r * static_cast<size_t>(out_cols);
      for (size_t i = 0; i < oh; ++i) {
        const float* line = x + rows_[i] * w * c;
        for (size_t j = 0; j < ow; ++j) std::memcpy(y + (i * ow + j) * c, line + cols_[j] * c, c * sizeof(float));
      }
    }
  }

 private:
  static std::vector<size_t> Sources(int64_t in, int64_t out, bool align_corners, bool half_pixel_centers) {
    const bool align = align_corners && out > 1;
    const float scale = static_cast<float>(align ? in - 1 : in) / static_cast<float>(align ? out - 1 : out);
    std::vector<size_t> from(static_cast<size_t>(out));
    for (int64_t i = 0; i < out; ++i) {
      const double at = half_pixel_centers ? static_cast<double>(scale) * (static_cast<double>(i) + 0.5)
                                           : static_cast<double>(scale * static_cast<float>(i));
      double nearest = align_corners ? std::round(at) : std::floor(at);
      nearest = std::min(nearest, static_cast<double>(in - 1));
      if (half_pixel_centers) nearest = std::max(nearest, 0.0);
      from[static_cast<size_t>(i)] = static_cast<size_t>(std::max(nearest, 0.0));
    }
    return from;
  }
  Image in_, out_;
  std::vector<size_t> rows_, cols_;
};

class CropStep : public Step {
 public:
  CropStep(const std::string& step_name, const Image& in, int64_t top, int64_t left, const Image& out)
      : in_(in), out_(out), top_(static_cast<size_t>(top)), left_(static_cast<size_t>(left)) {
    name = step_name;
    in_cols = {in.values()};
    out_cols = out.values();
  }
  void Run(const float* const* in, float* out, size_t rows) override {
    const size_t c = static_cast<size_t>(in_.c), iw = static_cast<size_t>(in_.w), ih = static_cast<size_t>(in_.h);
    const size_t ow = static_cast<size_t>(out_.w), oh = static_cast<size_t>(out_.h);
    for (size_t r = 0; r < rows; ++r) {
      for (size_t y = 0; y < oh; ++y) {
        std::memcpy(out + ((r * oh + y) * ow) * c, in[0] + ((r * ih + y + top_) * iw + left_) * c, ow * c * sizeof(float));
      }
    }
  }

 private:
  Image in_, out_;
  size_t top_, left_;
};

class ResizeBilinearStep : public Step {
 public:
  ResizeBilinearStep(const std::string& step_name, const Image& in, const Image& out) : in_(in), out_(out) {
    name = step_name;
    in_cols = {in.values()};
    out_cols = out.values();
    // XNNPACK's setup allocates, per output pixel, four input pointers and two weights.
    fixed_floats = out.h * out.w * static_cast<int64_t>(4 * sizeof(void*) / sizeof(float) + 2);
  }
  void Run(const float* const* in, float* out, size_t rows) override {
    xnn::Check(xnn_setup_resize_bilinear2d_nhwc_f32(op.get(), rows, static_cast<size_t>(in_.h), static_cast<size_t>(in_.w),
                                                    static_cast<size_t>(out_.h), static_cast<size_t>(out_.w), in[0], out,
                                                    nullptr),
               name);
    xnn::Run(op.get(), name);
  }
  xnn::Operator op;

 private:
  Image in_, out_;
};

class DepthToSpaceStep : public Step {
 public:
  DepthToSpaceStep(const std::string& step_name, const Image& in) : in_(in) {
    name = step_name;
    in_cols = {in.values()};
    out_cols = in.values();
  }
  void Run(const float* const* in, float* out, size_t rows) override {
    xnn::Check(xnn_setup_depth_to_space_nhwc_x32(op.get(), rows, static_cast<size_t>(in_.h), static_cast<size_t>(in_.w),
                                                 in[0], out, nullptr),
               name);
    xnn::Run(op.get(), name);
  }
  xnn::Operator op;

 private:
  Image in_;
};
// A loop: this XNNPACK has no transpose. Walks the output in order, stepping through the
// input by the permuted strides.
class TransposeStep : public Step {
 public:
  TransposeStep(const std::string& step_name, const std::vector<int64_t>& dims, const std::vector<int64_t>& perm) {
    name = step_name;
    int64_t n = 1;
    for (int64_t d : dims) n *= d;
    in_cols = {n};
    out_cols = n;
    std::vector<size_t> in_stride(dims.size(), 1);
    for (size_t i = dims.size(); i-- > 1;) in_stride[i - 1] = in_stride[i] * static_cast<size_t>(dims[i]);
    for (int64_t p : perm) {
      out_dims_.push_back(static_cast<size_t>(dims[static_cast<size_t>(p)]));
      stride_.push_back(in_stride[static_cast<size_t>(p)]);
    }
    index_.resize(out_dims_.size());
  }
  void Run(const float* const* in, float* out, size_t rows) override {
    const size_t n = static_cast<size_t>(out_cols), rank = out_dims_.size();
    for (size_t r = 0; r < rows; ++r) {
      const float* x = in[0] + r * n;
      float* y = out + r * n;
      std::fill(index_.begin(), index_.end(), 0);
      size_t from = 0;
      for (size_t i = 0; i < n; ++i) {
        y[i] = x[from];
        for (size_t a = rank; a-- > 0;) {  // the next output index, odometer-wise
          from += stride_[a];
          if (++index_[a] < out_dims_[a]) break;
          from -= stride_[a] * out_dims_[a];
          index_[a] = 0;
        }
      }
    }
  }

 private:
  std::vector<size_t> out_dims_, stride_;
  std::vector<size_t> index_;  // the output position, reused by every call
};

// A loop, as the transpose: walks the output in order, stepping through the input by each axis's
// stride times its step (negative for a reversed axis).
class StridedSliceStep : public Step {
 public:
  StridedSliceStep(const std::string& step_name, const std::vector<int64_t>& dims, const std::vector<int64_t>& begin,
                   const std::vector<int64_t>& step, const std::vector<int64_t>& length) {
    name = step_name;
    in_cols = {Elements(dims.empty() ? std::vector<int64_t>{1} : dims, name + "'s input")};
    out_cols = 1;
    std::vector<ptrdiff_t> in_stride(dims.size(), 1);
    for (size_t i = dims.size(); i-- > 1;) in_stride[i - 1] = in_stride[i] * static_cast<ptrdiff_t>(dims[i]);
    for (size_t a = 0; a < dims.size(); ++a) {
      start_ += static_cast<ptrdiff_t>(begin[a]) * in_stride[a];
      out_dims_.push_back(static_cast<size_t>(length[a]));
      stride_.push_back(static_cast<ptrdiff_t>(step[a]) * in_stride[a]);
      out_cols *= length[a];
    }
    index_.resize(out_dims_.size());
  }
  void Run(const float* const* in, float* out, size_t rows) override {
    const size_t n = static_cast<size_t>(out_cols), width = static_cast<size_t>(in_cols[0]), rank = out_dims_.size();
    for (size_t r = 0; r < rows; ++r) {
      const float* x = in[0] + r * width;
      float* y = out + r * n;
      std::fill(index_.begin(), index_.end(), 0);
      ptrdiff_t from = start_;
      for (size_t i = 0; i < n; ++i) {
        y[i] = x[from];
        for (size_t a = rank; a-- > 0;) {  // the next output index, odometer-wise
          from += stride_[a];
          if (++index_[a] < out_dims_[a]) break;
          from -= stride_[a] * static_cast<ptrdiff_t>(out_dims_[a]);
          index_[a] = 0;
        }
      }
    }
  }

 private:
  ptrdiff_t start_ = 0;
  std::vector<size_t> out_dims_;
  std::vector<ptrdiff_t> stride_;
  std::vector<size_t> index_;  // the output position, reused by every call
};
}  // namespace

std::unique_ptr<Step> MakeZeroPad2D(const std::string& name, const Image& in, int64_t top, int64_t bottom,
                                    int64_t left, int64_t right) {
  CheckImage(in, name);
  return MakePad(name, {in.h, in.w, in.c}, {top, left, 0}, {bottom, right, 0}, 0.0f);
}

std::unique_ptr<Step> MakePad(const std::string& name, const std::vector<int64_t>& dims,
                              const std::vector<int64_t>& before, const std::vector<int64_t>& after, float value) {
  if (before.size() != dims.size() || after.size() != dims.size()) {
    Invalid(name + " has paddings that do not fit its input");
  }
  if (dims.size() + 1 > XNN_MAX_TENSOR_DIMS) {
    Unsupported(name + " on an input of rank " + std::to_string(dims.size() + 1));
  }
  std::vector<int64_t> out = dims;
  for (size_t i = 0; i < dims.size(); ++i) {
    if (before[i] < 0 || after[i] < 0 || before[i] > kMaxWindow || after[i] > kMaxWindow) {
      Invalid(name + " has a padding out of range");
    }
    out[i] += before[i] + after[i];
  }
  Elements(dims, name + "'s input");
  Elements(out, name + "'s output");
  return std::make_unique<PadStep>(name, dims, before, after, value);
}

std::unique_ptr<Step> MakeUpSampleNearest(const std::string& name, const Image& in, int64_t sh, int64_t sw) {
  CheckImage(in, name);
  if (sh < 1 || sw < 1 || sh > kMaxWindow || sw > kMaxWindow) Invalid(name + " has a size out of range");
  Elements({in.h * sh, in.w * sw, in.c}, name + "'s output");
  return std::make_unique<UpSampleStep>(name, in, sh, sw);
}


std::unique_ptr<Step> MakeResizeNearest(const std::string& name, const Image& in, int64_t oh, int64_t ow,
                                        bool align_corners, bool half_pixel_centers) {
  CheckImage(in, name);
  const Image out{oh, ow, in.c};
  CheckImage(out, name + "'s output");
  if (align_corners && half_pixel_centers) Invalid(name + " asks for both align_corners and half_pixel_centers");
  return std::make_unique<ResizeNearestStep>(name, in, out, align_corners, half_pixel_centers);
}

std::unique_ptr<Step> MakeCrop2D(const std::string& name, const Image& in, int64_t top, int64_t bottom, int64_t left,
                                 int64_t right) {
  CheckImage(in, name);
  for (int64_t p : {top, bottom, left, right}) {
    if (p < 0 || p > kMaxWindow) Invalid(name + " has a cropping out of range");
  }
  if (top + bottom >= in.h || left + right >= in.w) Invalid(name + " crops the whole image");
  return std::make_unique<CropStep>(name, in, top, left, Image{in.h - top - bottom, in.w - left - right, in.c});
}

std::unique_ptr<Step> MakeResizeBilinear(const std::string& name, const Image& in, int64_t oh, int64_t ow,
                                         bool align_corners, bool half_pixel_centers) {
  xnn::InitializeOnce();
  CheckImage(in, name);
  const Image out{oh, ow, in.c};
  CheckImage(out, name + "'s output");
  if (align_corners && half_pixel_centers) Invalid(name + " asks for both align_corners and half_pixel_centers");
  auto step = std::make_unique<ResizeBilinearStep>(name, in, out);
  const size_t c = static_cast<size_t>(in.c);
  // XNNPACK's default is half-pixel centres; its legacy mode is TensorFlow's original mapping.
  const uint32_t flags = align_corners ? XNN_FLAG_ALIGN_CORNERS : half_pixel_centers ? 0 : XNN_FLAG_TENSORFLOW_LEGACY_MODE;
  xnn_operator_t op = nullptr;
  step->op = xnn::Created(xnn_create_resize_bilinear2d_nhwc_f32(c, c, c, flags, &op), &op, name);
  return step;
}

std::unique_ptr<Step> MakeDepthToSpace(const std::string& name, const Image& in, int64_t block) {
  xnn::InitializeOnce();
  CheckImage(in, name);
  if (block < 2 || block > 64 || in.c % (block * block) != 0) Invalid(name + ": the block size does not divide the channels");
  CheckImage(Image{in.h * block, in.w * block, in.c / (block * block)}, name + "'s output");
  auto step = std::make_unique<DepthToSpaceStep>(name, in);
  const size_t oc = static_cast<size_t>(in.c / (block * block));
  xnn_operator_t op = nullptr;
  step->op = xnn::Created(
      xnn_create_depth_to_space_nhwc_x32(oc, static_cast<size_t>(in.c), oc, static_cast<uint32_t>(block), 0, &op), &op, name);
  return step;
}

std::unique_ptr<Step> MakeTranspose(const std::string& name, const std::vector<int64_t>& dims,
                                    const std::vector<int64_t>& perm) {
  Elements(dims, name + "'s input");
  std::vector<int64_t> seen = perm;
  std::sort(seen.begin(), seen.end());
  if (seen.size() != dims.size()) Invalid(name + " has a permutation of the wrong rank");
  for (size_t i = 0; i < seen.size(); ++i) {
    if (seen[i] != static_cast<int64_t>(i)) Invalid(name + " has a permutation that is not one");
  }
  return std::make_unique<TransposeStep>(name, dims, perm);
}
std::unique_ptr<Step> MakeStridedSlice(const std::string& name, const std::vector<int64_t>& dims,
                                       const std::vector<int64_t>& begin, const std::vector<int64_t>& step,
                                       const std::vector<int64_t>& length) {
  if (begin.size() != dims.size() || step.size() != dims.size() || length.size() != dims.size()) {
    Invalid(name + " slices other axes than its input has");
  }
  Elements(dims, name + "'s input");
  for (size_t a = 0; a < dims.size(); ++a) {
    const int64_t last = begin[a] + (length[a] - 1) * step[a];
    if (length[a] < 1 || step[a] == 0 || begin[a] < 0 || begin[a] >= dims[a] || last < 0 || last >= dims[a]) {
      Invalid(name + " slices past its input");
    }
  }
  Elements(length, name + "'s output");
  return std::make_unique<StridedSliceStep>(name, dims, begin, step, length);
}

}  // namespace tfjs_run::native
