#include "progress.h"

#include <unistd.h>

#include <chrono>
#include <cstdio>

#include "messages.h"

namespace tfjs_run::cli {

namespace {
constexpr auto kInterval = std::chrono::milliseconds(250);
}  // namespace

ProgressLine::ProgressLine(const Pipeline& pipeline, std::function<std::string()> version, bool enabled)
    : pipeline_(pipeline), version_(std::move(version)) {
  if (enabled && ::isatty(STDERR_FILENO) == 1) thread_ = std::thread([this] { Run(); });
}

ProgressLine::~ProgressLine() {
  if (!thread_.joinable()) return;
  {
    std::lock_guard lock(mu_);
    done_ = true;
  }
  cv_.notify_all();
  thread_.join();
  ShowProgress("");
}

void ProgressLine::Run() {
  const auto start = std::chrono::steady_clock::now();
  std::unique_lock lock(mu_);
  while (!cv_.wait_for(lock, kInterval, [this] { return done_; })) {
    const RowCounts c = pipeline_.counts();
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    char text[256];
    std::snprintf(text, sizeof text, "tfjs-run: %llu rows, %.0f rows/s, %llu bad, version %s",
                  static_cast<unsigned long long>(c.read), seconds > 0 ? static_cast<double>(c.read) / seconds : 0.0,
                  static_cast<unsigned long long>(c.rejected), Printable(version_(), 64).c_str());
    ShowProgress(text);
  }
}

}  // namespace tfjs_run::cli
