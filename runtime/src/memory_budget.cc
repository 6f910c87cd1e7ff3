#include "memory_budget.h"

namespace tfjs_run::internal {

BudgetedAllocator::BudgetedAllocator(size_t budget_bytes, std::function<void(size_t, size_t)> on_refused)
    : base_(v8::ArrayBuffer::Allocator::NewDefaultAllocator()), budget_(budget_bytes), on_refused_(std::move(on_refused)) {}

bool BudgetedAllocator::Fits(size_t length) const {
  return budget_ == 0 || (length <= budget_ && in_use() <= budget_ - length);
}

bool BudgetedAllocator::Reserve(size_t length) {
  size_t used = in_use_.load(std::memory_order_relaxed);
  do {
    if (budget_ != 0 && (length > budget_ || used > budget_ - length)) {
      if (on_refused_) on_refused_(length, used);
      return false;
    }
  } while (!in_use_.compare_exchange_weak(used, used + length, std::memory_order_relaxed));
  return true;
}

void* BudgetedAllocator::Allocate(size_t length) {
  if (!Reserve(length)) return nullptr;
  void* p = base_->Allocate(length);
  if (!p) in_use_.fetch_sub(length, std::memory_order_relaxed);
  return p;
}

void* BudgetedAllocator::AllocateUninitialized(size_t length) {
  if (!Reserve(length)) return nullptr;
  void* p = base_->AllocateUninitialized(length);
  if (!p) in_use_.fetch_sub(length, std::memory_order_relaxed);
  return p;
}

void BudgetedAllocator::Free(void* data, size_t length) {
  base_->Free(data, length);
  in_use_.fetch_sub(length, std::memory_order_relaxed);
}

void* BudgetedAllocator::Reallocate(void* data, size_t old_length, size_t new_length) {
  if (new_length > old_length && !Reserve(new_length - old_length)) return nullptr;
  void* p = base_->Reallocate(data, old_length, new_length);
  if (new_length > old_length && !p) in_use_.fetch_sub(new_length - old_length, std::memory_order_relaxed);
  if (new_length < old_length && p) in_use_.fetch_sub(old_length - new_length, std::memory_order_relaxed);
  return p;
}

}  // namespace tfjs_run::internal
