#include "native/upsampled_conv.h"

#include <algorithm>
#include <vector>

#include "native/plan.h"

namespace tfjs_run::native {

namespace {
// The 3x3 kernel's rows (or columns) that fall on input row i-1+t of a phase's 2-tap window, for
// an output row 2i (phase 0) or 2i+1 (phase 1): 2i-1 is row i-1, 2i and 2i+1 are row i, 2i+2 is
// row i+1.
constexpr int kTaps[2][2][2] = {{{0, -1}, {1, 2}}, {{0, 1}, {2, -1}}};  // [phase][tap] -> up to 2 of 0..2, -1 none

class UpsampledConvStep : public Step {
 public:
  UpsampledConvStep(const std::string& step_name, const Image& in, int64_t out_c, std::unique_ptr<Step> phases[4])
      : in_(in), c_(static_cast<size_t>(out_c)) {
    name = step_name;
    in_cols = {in.values()};
    out_cols = 4 * in.h * in.w * out_c;
    extra_floats = in.h * in.w * out_c;  // one phase's output, before it is spread
    for (int p = 0; p < 4; ++p) {
      extra_floats += phases[p]->extra_floats;
      fixed_floats += phases[p]->fixed_floats;
      phases_[p] = std::move(phases[p]);
    }
  }
  void Run(const float* const* in, float* out, size_t rows) override {
    const size_t h = static_cast<size_t>(in_.h), w = static_cast<size_t>(in_.w);
    const size_t phase_cols = h * w * c_;
    if (scratch_.size() < rows * phase_cols) scratch_.resize(rows * phase_cols);
    for (size_t p = 0; p < 4; ++p) {
      const size_t a = p / 2, b = p % 2;
      phases_[p]->stop = stop;
      phases_[p]->Run(in, scratch_.data(), rows);
      for (size_t r = 0; r < rows; ++r) {
        const float* from = scratch_.data() + r * phase_cols;
        float* image = out + r * 4 * phase_cols;
        for (size_t i = 0; i < h; ++i) {
          for (size_t j = 0; j < w; ++j) {
            std::copy_n(from + (i * w + j) * c_, c_, image + ((2 * i + a) * 2 * w + 2 * j + b) * c_);
          }
        }
      }
    }
  }

 private:
  Image in_;
  size_t c_;
  std::unique_ptr<Step> phases_[4];
  std::vector<float> scratch_;
};
}  // namespace

std::unique_ptr<Step> MakeUpsampledConv2D(const std::string& name, const Image& in, const Tensor& kernel,
                                          const Tensor* bias, ActivationSpec act) {
  CheckImage(in, name);
  if (kernel.shape.size() != 4 || kernel.shape[0] != 3 || kernel.shape[1] != 3 || kernel.shape[2] != in.c) {
    Invalid(name + ": the kernel is not 3x3 over the input's channels");
  }
  const int64_t out_c = kernel.shape[3];
  Elements({2 * in.h, 2 * in.w, out_c}, name + "'s output");
  const size_t ci = static_cast<size_t>(in.c), co = static_cast<size_t>(out_c), tap = ci * co;
  std::unique_ptr<Step> phases[4];
  for (int a = 0; a < 2; ++a) {
    for (int b = 0; b < 2; ++b) {
      Tensor k2{{2, 2, in.c, out_c}, std::vector<float>(4 * tap, 0.0f)};
      for (int ty = 0; ty < 2; ++ty) {
        for (int tx = 0; tx < 2; ++tx) {
          float* to = k2.values.data() + static_cast<size_t>(ty * 2 + tx) * tap;
          for (int ky : kTaps[a][ty]) {
            for (int kx : kTaps[b][tx]) {
              if (ky < 0 || kx < 0) continue;
              const float* from = kernel.values.data() + static_cast<size_t>(ky * 3 + kx) * tap;
              for (size_t i = 0; i < tap; ++i) to[i] += from[i];
            }
          }
        }
      }
      Window win;
      win.kh = win.kw = 2;
      // Phase 0 reads rows i-1 and i (a zero row above the image), phase 1 rows i and i+1.
      win.zeros = Margins{a == 0 ? 1 : 0, a == 0 ? 0 : 1, b == 0 ? 1 : 0, b == 0 ? 0 : 1};
      phases[a * 2 + b] = MakeConv2D(name + " (phase " + std::to_string(a) + "," + std::to_string(b) + ")", in, win, k2,
                                     bias, act);
    }
  }
  return std::make_unique<UpsampledConvStep>(name, in, out_c, phases);
}

}  // namespace tfjs_run::native
