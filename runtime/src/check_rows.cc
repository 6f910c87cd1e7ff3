#include "check_rows.h"

#include <algorithm>
#include <cstdint>

namespace tfjs_run::internal {

size_t CheckRowsPerScale(size_t sample_rows, size_t scratch_per_row, size_t bound_floats, size_t work_floats,
                         size_t min_rows) {
  const size_t per_row = std::max<size_t>(1, scratch_per_row);
  const size_t fixed = sample_rows + 1;  // the sample rows and the zeros
  const size_t room = bound_floats / per_row > fixed ? bound_floats / per_row - fixed : 0;
  const size_t needed = min_rows > fixed ? min_rows - fixed : 0;
  const size_t affordable = std::max({size_t{1}, work_floats / per_row / kCheckScaleCount,
                                      (needed + kCheckScaleCount - 1) / kCheckScaleCount});
  return std::min({kCheckRowsPerScale, room / kCheckScaleCount, affordable});
}

std::vector<float> MakeCheckRows(const std::vector<float>& sample, size_t cols, size_t per_scale) {
  std::vector<float> rows = sample;
  rows.reserve(sample.size() + cols * (1 + per_scale * kCheckScaleCount));
  rows.resize(rows.size() + cols, 0.0f);  // zeros
  for (size_t s = 0; s < kCheckScaleCount; ++s) {
    for (size_t r = 0; r < per_scale; ++r) {
      // A linear congruential generator seeded by the row's magnitude and index alone (model-bundler's
      // lib/check-answers.js computes the same values).
      uint32_t x = 12345u + 7919u * static_cast<uint32_t>(s * kCheckRowsPerScale + r);
      for (size_t c = 0; c < cols; ++c) {
        x = x * 1664525u + 1013904223u;
        const float unit = static_cast<float>(x >> 8) / static_cast<float>(1 << 23) - 1.0f;
        rows.push_back((x >> 4) % 5 == 0 ? 0.0f : unit * kCheckScales[s]);
      }
    }
  }
  return rows;
}

size_t BundledRow(size_t row, size_t sample_rows, size_t per_scale, size_t bundled_per_scale) {
  if (row <= sample_rows) return row;  // a sample row, or the zeros
  const size_t generated = row - sample_rows - 1;
  return sample_rows + 1 + generated / per_scale * bundled_per_scale + generated % per_scale;
}

}  // namespace tfjs_run::internal
