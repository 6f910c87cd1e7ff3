// A model whose input is integers (a graph's int32, uint8, ... or bool placeholder), run natively.
//
// Rows are floats. In tfjs the bundle rounds each value to the nearest integer (ties to even),
// checks that it fits the placeholder's dtype, and casts (js/bundle-entry.js, castRows). Natively
// the plan does the same as it copies the rows in, failing a call with the bundle's own words,
// and the graph must use the input only through a Cast to float32 (graph_loader.cc), so that the
// rounded floats are exactly what the model computes on.
#pragma once

#include <cstddef>
#include <string>

namespace tfjs_run::native {

struct IntInput {
  std::string dtype;  // "int32", "uint8", "bool", ...
  double lo = 0, hi = 0;
};

// The range of an integer dtype as the bundle names it; throws CompileError (invalid) for a name
// it does not know.
IntInput IntInputOf(const std::string& dtype);

// Throws RunError naming the first value (row of the call, column) that does not round into the
// range, in the words of the bundle's castRows.
void CheckIntRows(const IntInput& input, const float* values, size_t rows, size_t cols);

// Rounds to the nearest integer, ties to even (tfjs's round).
float RoundHalfEven(float v);

// `v` as JavaScript's Number#toString writes it ("3000000000", "0.5", "1e+21", "NaN").
std::string JsNumberText(double v);

}  // namespace tfjs_run::native
