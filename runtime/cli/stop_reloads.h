// With --watch: abandons a reload in progress as soon as a stop signal arrives, so a worker busy
// loading a new version goes back to answering the rows already read, and exit is prompt.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <thread>

namespace tfjs_run::cli {

class StopReloadsOnSignal {
 public:
  // Polls `stop_requested` (a signal handler's flag) and calls `stop_reloading` once it is set.
  StopReloadsOnSignal(std::function<bool()> stop_requested, std::function<void()> stop_reloading)
      : thread_([this, requested = std::move(stop_requested), stop = std::move(stop_reloading)] {
          while (!done_ && !requested()) std::this_thread::sleep_for(std::chrono::milliseconds(20));
          if (requested()) stop();
        }) {}
  ~StopReloadsOnSignal() {
    done_ = true;
    thread_.join();
  }
  StopReloadsOnSignal(const StopReloadsOnSignal&) = delete;
  StopReloadsOnSignal& operator=(const StopReloadsOnSignal&) = delete;

 private:
  std::atomic<bool> done_{false};
  std::thread thread_;
};

}  // namespace tfjs_run::cli
