#include "messages.h"

#include <cerrno>
#include <cstring>
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

namespace {
// Three significant figures at least: "238234", "512", "0.512", never "1" for 0.512.
std::string Rate(double rate) {
  char text[32];
  std::snprintf(text, sizeof text, rate >= 100 ? "%.0f" : "%.3g", rate);
  return text;
}
}  // namespace

void PrintSummary(const RowCounts& c, double wall_seconds, double predict_wall_seconds) {
  double rate = predict_wall_seconds > 0 ? static_cast<double>(c.predicted) / predict_wall_seconds : 0;
  std::string unprocessed =
      c.unprocessed ? ", not processed after the error " + std::to_string(c.unprocessed) : std::string();
  if (c.blank) unprocessed += ", blank lines " + std::to_string(c.blank);
  if (c.unwritten) unprocessed += ", answered but not written " + std::to_string(c.unwritten);
  std::fprintf(stderr,
               "tfjs-run: summary: rows read %llu, predicted %llu, rejected %llu%s; "
               "%s rows/s (%.3f s from first row to last result), %.3f s wall\n",
               static_cast<unsigned long long>(c.read), static_cast<unsigned long long>(c.predicted),
               static_cast<unsigned long long>(c.rejected), unprocessed.c_str(), Rate(rate).c_str(), predict_wall_seconds,
               wall_seconds);
}

bool WriteMetricsFile(const std::string& path, const std::string& text) {
  const std::string partial = path + ".partial";
  std::FILE* f = std::fopen(partial.c_str(), "w");
  bool ok = f != nullptr;
  if (f) {
    const bool written = std::fwrite(text.data(), 1, text.size(), f) == text.size();
    ok = (std::fclose(f) == 0) && written;
  }
  ok = ok && std::rename(partial.c_str(), path.c_str()) == 0;
  if (!ok) std::fprintf(stderr, "tfjs-run: error: writing --metrics-file %s failed (%s)\n", path.c_str(), std::strerror(errno));
  return ok;
}

}  // namespace tfjs_run::cli
