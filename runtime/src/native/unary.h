// Elementwise math of TensorFlow graphs that is not an activation: abs, neg, sqrt, rsqrt, square,
// exp, log, and clipping to constant bounds. Each is a loop rounding as tfjs's cpu backend does:
// it computes in JS numbers (double) and stores float32, so exp, log, sqrt and rsqrt are taken in
// double and rounded once.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

namespace tfjs_run::native {

class Step;

enum class Unary { kAbs, kNeg, kSqrt, kRsqrt, kSquare, kExp, kLog, kClip };

// The op named as in a GraphDef (Abs, Neg, Sqrt, Rsqrt, Square, Exp, Log, ClipByValue); false if
// it is none of them.
bool UnaryOf(const std::string& op, Unary& kind);

// `kind` over rows of `cols` values; kClip clips to [lo, hi] (NaN stays NaN, as in tfjs's
// clipByValue), and Invalid() naming `name` unless lo <= hi.
std::unique_ptr<Step> MakeUnary(const std::string& name, Unary kind, int64_t cols, float lo = 0, float hi = 0);

}  // namespace tfjs_run::native
