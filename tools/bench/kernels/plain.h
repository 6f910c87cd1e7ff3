#pragma once
#include <cstddef>
constexpr int IN = 13, H = 60, OUT = 3;
struct PlainNet {
  alignas(64) float W1t[IN * H];
  alignas(64) float b1[H];
  alignas(64) float W2t[H * OUT];
  alignas(64) float b2[OUT];
};
void plain_prepare(PlainNet& n, const float* W1, const float* b1, const float* W2, const float* b2);
void plain_forward(const PlainNet& n, const float* x, float* y, size_t B);
