// DenseMatrix: row-major float32 rows, the unit of data in and out of a model.
#pragma once

#include <cstddef>
#include <span>
#include <stdexcept>
#include <vector>

namespace tfjs_run {

// A non-owning, read-only view of row-major float32 data owned by the caller.
// The memory must stay valid for as long as a call that takes the view is running.
class DenseMatrixView {
 public:
  DenseMatrixView() = default;
  DenseMatrixView(const float* data, size_t rows, size_t cols) : data_(data), rows_(rows), cols_(cols) {}

  const float* data() const { return data_; }
  size_t rows() const { return rows_; }
  size_t cols() const { return cols_; }
  size_t size() const { return rows_ * cols_; }
  std::span<const float> row(size_t r) const { return {data_ + r * cols_, cols_}; }
  float at(size_t r, size_t c) const { return data_[r * cols_ + c]; }
  // Rows [first, first + count) as a view of the same memory.
  DenseMatrixView slice_rows(size_t first, size_t count) const {
    if (first + count > rows_) throw std::out_of_range("DenseMatrixView::slice_rows out of range");
    return {data_ + first * cols_, count, cols_};
  }

 private:
  const float* data_ = nullptr;
  size_t rows_ = 0;
  size_t cols_ = 0;
};

// An owning row-major float32 matrix.
class DenseMatrix {
 public:
  DenseMatrix() = default;
  DenseMatrix(size_t rows, size_t cols) : rows_(rows), cols_(cols), values_(rows * cols) {}
  DenseMatrix(size_t rows, size_t cols, std::vector<float> values) : rows_(rows), cols_(cols), values_(std::move(values)) {
    if (values_.size() != rows_ * cols_) throw std::invalid_argument("DenseMatrix: values.size() != rows * cols");
  }

  float* data() { return values_.data(); }
  const float* data() const { return values_.data(); }
  size_t rows() const { return rows_; }
  size_t cols() const { return cols_; }
  size_t size() const { return values_.size(); }
  std::span<float> row(size_t r) { return {values_.data() + r * cols_, cols_}; }
  std::span<const float> row(size_t r) const { return {values_.data() + r * cols_, cols_}; }
  float& at(size_t r, size_t c) { return values_[r * cols_ + c]; }
  float at(size_t r, size_t c) const { return values_[r * cols_ + c]; }
  const std::vector<float>& values() const { return values_; }
  DenseMatrixView view() const { return {values_.data(), rows_, cols_}; }
  operator DenseMatrixView() const { return view(); }

 private:
  size_t rows_ = 0;
  size_t cols_ = 0;
  std::vector<float> values_;
};

}  // namespace tfjs_run
