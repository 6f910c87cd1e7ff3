// ServingThreads: the threads a ModelSet's models share, one per core whatever the number of
// models. Each thread holds a slot of every model (a Worker: that model's isolate on this thread)
// and serves them in turn: one turn per slot per pass, a turn being at most one batch of
// max_batch_rows from that model's own queue (its quota), so batches stay per model and a hot
// model cannot starve the others. A thread with work drains queue after queue without sleeping;
// it sleeps on the one shared wake-up only after a pass in which every queue was empty, and any
// model's queue rings it (RequestQueue::SetWakeUp).
//
// No load runs on a serving thread: a model's first load runs on a thread of its own, a reload's
// on the caller's (Worker::Run), and replacing a broken isolate or reloading a broken previous
// version for a rollback on a slot's recovery thread (worker.h). A slot leaves its thread when its
// queue is drained (ServedSlot::Turn::kDone).
//
// ModelSet::Threads::kShared; measured against a Runtime per model in docs/models.md.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "tfjs_run/runtime.h"

namespace tfjs_run::internal {

// The CPUs a runtime's workers (or a ModelSet's serving threads) go on, one entry per thread:
// options.workers of them (0: one per allowed CPU), each a CPU to pin to or -1 (options.pinning).
std::vector<int> ServingCpus(const RuntimeOptions& options);

// What a serving thread calls: one model's slot on it.
class ServedSlot {
 public:
  enum class Turn { kWorked, kIdle, kDone };
  // Takes at most one batch from the model's queue and runs it, without waiting: kWorked, kIdle
  // (nothing queued, or the slot is held by a reload step or a caller, which then wakes the
  // threads if anything is queued), or kDone (the queue is drained and the slot's isolates
  // disposed; the thread drops it and must not touch it again).
  virtual Turn ServeTurn() = 0;

 protected:
  ~ServedSlot() = default;
};

class ServingThreads {
 public:
  // `cpus`: one thread per entry, pinned to it (-1: not pinned). `spin`: how long a thread whose
  // queues are all empty polls them before it sleeps (RuntimeOptions::spin).
  ServingThreads(const std::vector<int>& cpus, std::chrono::microseconds spin);
  ~ServingThreads();  // every slot must have left (their models shut down)
  ServingThreads(const ServingThreads&) = delete;
  ServingThreads& operator=(const ServingThreads&) = delete;

  size_t size() const { return threads_.size(); }
  int cpu(size_t thread) const { return threads_[thread]->cpu; }
  // The thread a model's first slot goes on, so models with fewer slots than threads spread out.
  size_t NextFirstThread() { return next_first_.fetch_add(1) % threads_.size(); }

  // Serves `slot` on `thread` from its next pass until the slot's turn says kDone.
  void Attach(size_t thread, ServedSlot* slot);
  // Work arrived: wakes one sleeping thread, or with `everyone`, all of them.
  void Wake(bool everyone);

 private:
  struct Thread {
    int cpu = -1;
    std::thread thread;
    std::mutex mu;                     // guards arriving
    std::vector<ServedSlot*> arriving;  // attached, not yet in the thread's own list
    std::atomic<bool> has_arriving{false};
  };
  void Main(Thread& t, size_t index);

  const std::chrono::microseconds spin_;
  std::vector<std::unique_ptr<Thread>> threads_;
  std::atomic<size_t> next_first_{0};
  // The wake-up: a thread sleeps until `rings_` moves past the value it read before its last
  // pass, so a ring during the pass is never lost. `sleepers_` lets Wake skip the lock when no
  // thread sleeps (the common case under load).
  std::mutex mu_;
  std::condition_variable cv_;
  std::atomic<uint64_t> rings_{0};
  std::atomic<int> sleepers_{0};
  bool stopping_ = false;  // guarded by mu_
};

}  // namespace tfjs_run::internal
