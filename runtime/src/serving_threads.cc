#include "serving_threads.h"

#include <pthread.h>
#include <sched.h>

#include <string>

namespace tfjs_run::internal {

using Clock = std::chrono::steady_clock;

ServingThreads::ServingThreads(const std::vector<int>& cpus, std::chrono::microseconds spin) : spin_(spin) {
  for (int cpu : cpus) {
    threads_.push_back(std::make_unique<Thread>());
    threads_.back()->cpu = cpu;
  }
  for (size_t i = 0; i < threads_.size(); ++i) {
    threads_[i]->thread = std::thread([this, i] { Main(*threads_[i], i); });
  }
}

ServingThreads::~ServingThreads() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  for (auto& t : threads_) t->thread.join();
}

void ServingThreads::Attach(size_t thread, ServedSlot* slot) {
  Thread& t = *threads_[thread % threads_.size()];
  {
    std::lock_guard lock(t.mu);
    t.arriving.push_back(slot);
    t.has_arriving = true;
  }
  Wake(true);
}

void ServingThreads::Wake(bool everyone) {
  rings_.fetch_add(1);
  if (sleepers_.load() == 0) return;  // every thread is mid-pass and will see the ring
  { std::lock_guard lock(mu_); }       // a sleeper between its check and its wait holds mu_
  if (everyone) cv_.notify_all();
  else cv_.notify_one();
}

void ServingThreads::Main(Thread& t, size_t index) {
  pthread_setname_np(pthread_self(), ("tfjs-run-s" + std::to_string(index)).substr(0, 15).c_str());
  if (t.cpu >= 0) {
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(t.cpu, &set);
    if (pthread_setaffinity_np(pthread_self(), sizeof(set), &set) != 0) t.cpu = -1;
  }
  std::vector<ServedSlot*> slots;  // this thread's own: only it reads or changes them
  Clock::time_point idle_since{};
  for (;;) {
    const uint64_t seen = rings_.load();
    if (t.has_arriving.load()) {
      std::lock_guard lock(t.mu);
      slots.insert(slots.end(), t.arriving.begin(), t.arriving.end());
      t.arriving.clear();
      t.has_arriving = false;
    }
    bool worked = false;
    for (size_t k = 0; k < slots.size();) {  // one turn each: a model's quota per pass
      switch (slots[k]->ServeTurn()) {
        case ServedSlot::Turn::kWorked: worked = true; ++k; break;
        case ServedSlot::Turn::kIdle: ++k; break;
        case ServedSlot::Turn::kDone: slots.erase(slots.begin() + static_cast<std::ptrdiff_t>(k)); break;
      }
    }
    if (worked) {
      idle_since = {};
      continue;
    }
    if (spin_.count() > 0) {
      const auto now = Clock::now();
      if (idle_since == Clock::time_point{}) idle_since = now;
      if (now - idle_since < spin_) continue;
    }
    idle_since = {};
    std::unique_lock lock(mu_);
    if (stopping_ && slots.empty() && !t.has_arriving.load()) return;
    ++sleepers_;
    cv_.wait(lock, [&] { return rings_.load() != seen || (stopping_ && slots.empty()); });
    --sleepers_;
  }
}

}  // namespace tfjs_run::internal
