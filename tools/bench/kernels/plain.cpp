// Plain C++ loop baseline: [B,13] -> 13x60 + b -> sigmoid -> 60x3 + b -> softmax.
// Weights are given in [out][in] layout (same as XNNPACK default / oneDNN "oi");
// the baseline keeps a transposed copy [in][out] so the inner loop runs over outputs.
#include <cmath>
#include <cstddef>
#include "plain.h"

void plain_prepare(PlainNet& n, const float* W1, const float* b1, const float* W2, const float* b2) {
  for (int o = 0; o < H; ++o)
    for (int i = 0; i < IN; ++i) n.W1t[i * H + o] = W1[o * IN + i];
  for (int o = 0; o < OUT; ++o)
    for (int i = 0; i < H; ++i) n.W2t[i * OUT + o] = W2[o * H + i];
  for (int o = 0; o < H; ++o) n.b1[o] = b1[o];
  for (int o = 0; o < OUT; ++o) n.b2[o] = b2[o];
}

void plain_forward(const PlainNet& n, const float* __restrict x, float* __restrict y, size_t B) {
  alignas(64) float h[H];
  for (size_t r = 0; r < B; ++r) {
    const float* xr = x + r * IN;
    for (int o = 0; o < H; ++o) h[o] = n.b1[o];
    for (int i = 0; i < IN; ++i) {
      const float xi = xr[i];
      const float* w = n.W1t + i * H;
      for (int o = 0; o < H; ++o) h[o] += xi * w[o];
    }
    for (int o = 0; o < H; ++o) h[o] = 1.0f / (1.0f + std::exp(-h[o]));
    float z[OUT];
    for (int o = 0; o < OUT; ++o) z[o] = n.b2[o];
    for (int i = 0; i < H; ++i) {
      const float hi = h[i];
      const float* w = n.W2t + i * OUT;
      for (int o = 0; o < OUT; ++o) z[o] += hi * w[o];
    }
    float m = z[0];
    for (int o = 1; o < OUT; ++o) m = z[o] > m ? z[o] : m;
    float s = 0.f;
    for (int o = 0; o < OUT; ++o) { z[o] = std::exp(z[o] - m); s += z[o]; }
    const float inv = 1.0f / s;
    float* yr = y + r * OUT;
    for (int o = 0; o < OUT; ++o) yr[o] = z[o] * inv;
  }
}
