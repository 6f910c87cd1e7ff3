// The live progress line: when stderr is a terminal (and not -q), a line on it shows rows read,
// rows/s, bad rows and the version serving, a few times a second, and is erased at the end. It
// never appears when stderr is not a terminal (a log file, a pipe).
#pragma once

#include <atomic>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

#include "pipeline.h"

namespace tfjs_run::cli {

class ProgressLine {
 public:
  // Starts drawing if `enabled` and stderr is a terminal. `version` is asked at each update.
  ProgressLine(const Pipeline& pipeline, std::function<std::string()> version, bool enabled);
  ~ProgressLine();  // erases the line
  ProgressLine(const ProgressLine&) = delete;
  ProgressLine& operator=(const ProgressLine&) = delete;

  bool shown() const { return thread_.joinable(); }

 private:
  void Run();

  const Pipeline& pipeline_;
  std::function<std::string()> version_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool done_ = false;
  std::thread thread_;
};

}  // namespace tfjs_run::cli
