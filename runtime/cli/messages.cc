#include "messages.h"

#include <mutex>

namespace tfjs_run::cli {

LogSink LogToStderr(LogLevel least, std::string who) {
  return [least, who = Printable(who, 256)](LogLevel level, std::string_view text) {
    if (level < least) return;
    static const char* kNames[] = {"debug", "info", "warn", "error"};
    const std::string line = "[" + who + "] " + kNames[static_cast<int>(level)] + ": " + Printable(text) + "\n";
    WriteAll(stderr, line);
  };
}

namespace {
std::mutex g_stderr_mu;
bool g_progress_shown = false;  // guarded by g_stderr_mu
constexpr std::string_view kEraseLine = "\r\x1b[K";
}  // namespace

void WriteAll(std::FILE* out, std::string_view text) {
  if (out != stderr) {
    std::fwrite(text.data(), 1, text.size(), out);
    return;
  }
  std::lock_guard lock(g_stderr_mu);
  if (g_progress_shown) {
    std::fwrite(kEraseLine.data(), 1, kEraseLine.size(), stderr);
    g_progress_shown = false;
  }
  std::fwrite(text.data(), 1, text.size(), stderr);
}

void ShowProgress(std::string_view line) {
  std::lock_guard lock(g_stderr_mu);
  if (!g_progress_shown && line.empty()) return;
  std::fwrite(kEraseLine.data(), 1, kEraseLine.size(), stderr);
  std::fwrite(line.data(), 1, line.size(), stderr);
  std::fflush(stderr);
  g_progress_shown = !line.empty();
}

}  // namespace tfjs_run::cli
