// MemoryBudget: the bytes an isolate may hold outside its JS heap, and the allocator that
// enforces it.
//
// V8 allocates every ArrayBuffer's memory (typed arrays, tfjs's CPU tensors, the rows the host
// copies in) through the isolate's ArrayBuffer::Allocator. This one counts the bytes it has
// handed out and refuses an allocation that would take the total over the budget: the JS that
// asked gets a RangeError, and `on_refused` (which the IsolateHost uses to terminate the call
// and mark the isolate for replacement) is told. Free may come from V8's sweeper thread, so the
// count is atomic.
//
// WebAssembly memories do not come through this allocator (V8 reserves them from the page
// allocator), so the IsolateHost samples them separately; see isolate_host.h.
#pragma once

#include <v8.h>

#include <atomic>
#include <cstddef>
#include <functional>
#include <memory>

namespace tfjs_run::internal {

class BudgetedAllocator final : public v8::ArrayBuffer::Allocator {
 public:
  // budget_bytes 0: no limit (bytes are still counted).
  BudgetedAllocator(size_t budget_bytes, std::function<void(size_t requested, size_t in_use)> on_refused);

  void* Allocate(size_t length) override;
  void* AllocateUninitialized(size_t length) override;
  void Free(void* data, size_t length) override;
  void* Reallocate(void* data, size_t old_length, size_t new_length) override;

  // Whether `length` more bytes fit now (the host checks before it allocates for its own
  // copies, because V8 aborts the process when a host allocation through its API fails).
  bool Fits(size_t length) const;
  size_t in_use() const { return in_use_.load(std::memory_order_relaxed); }

 private:
  bool Reserve(size_t length);
  std::unique_ptr<v8::ArrayBuffer::Allocator> base_;
  const size_t budget_;
  const std::function<void(size_t, size_t)> on_refused_;
  std::atomic<size_t> in_use_{0};
};

}  // namespace tfjs_run::internal
