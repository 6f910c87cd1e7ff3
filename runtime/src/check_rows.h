// The rows of the load-time check (docs/native.md, "The check at load"), and where their answers
// sit among the answers model-bundler computed in tfjs for the same rows.
//
// The rows: the bundle's sample rows, a row of zeros, then `per_scale` rows of a fixed pattern in
// [-1, 1] (a fifth of it zeros) at each magnitude of kCheckScales. Each generated row depends only
// on its magnitude and its index within it, so the rows made with fewer per magnitude are some of
// those made with more: model-bundler computes answers for up to kCheckRowsPerScale of them
// (model-bundler/lib/check-answers.js makes the same rows), and a load that checks fewer finds
// each of its rows' answers there (BundledRow).
#pragma once

#include <cstddef>
#include <vector>

namespace tfjs_run::internal {

inline constexpr size_t kCheckRowsPerScale = 7;  // generated rows per magnitude, at most
inline constexpr float kCheckScales[] = {0.01f, 1.0f, 10.0f, 1000.0f};
inline constexpr size_t kCheckScaleCount = sizeof(kCheckScales) / sizeof(kCheckScales[0]);

// How many generated rows per magnitude a load checks: kCheckRowsPerScale, fewer when a row is
// large (down to one once their scratch passes `work_floats`: a large row holds many values of
// each sign and size on its own), though still `min_rows` rows in all if the memory allows (a
// fixed batch), and fewer, down to none, so that the check's scratch stays under `bound_floats`.
// `scratch_per_row`: the compiled model's scratch for one row.
size_t CheckRowsPerScale(size_t sample_rows, size_t scratch_per_row, size_t bound_floats, size_t work_floats,
                         size_t min_rows);

// The rows: `sample` (whole rows of `cols`), zeros, then `per_scale` rows per magnitude.
std::vector<float> MakeCheckRows(const std::vector<float>& sample, size_t cols, size_t per_scale);

// The index, among rows made with `bundled_per_scale` (>= per_scale) per magnitude, of row `row`
// of those made with `per_scale`, both after `sample_rows` sample rows.
size_t BundledRow(size_t row, size_t sample_rows, size_t per_scale, size_t bundled_per_scale);

}  // namespace tfjs_run::internal
