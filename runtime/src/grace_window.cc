#include "grace_window.h"

namespace tfjs_run::internal {

bool GraceWindow::enabled() const {
  return options_.rollback_window.count() > 0 || options_.rollback_window_batches > 0;
}

void GraceWindow::Open(const std::string& next, const std::string& previous, const BundleInfo& previous_info) {
  std::lock_guard lock(record_.mu);
  auto& w = record_.window;
  w = VersionRecord::Window{};
  w.open = enabled();
  w.next = next;
  w.previous = previous;
  w.previous_info = previous_info;
  w.opened = std::chrono::steady_clock::now();
  record_.window_rolled_back.store(false);
}

bool GraceWindow::RolledBack() const { return record_.window_rolled_back.load(); }

bool GraceWindow::Expired() const {
  const auto& w = record_.window;
  if (options_.rollback_window_batches > 0 && w.batches >= options_.rollback_window_batches) return true;
  return options_.rollback_window.count() > 0 && std::chrono::steady_clock::now() - w.opened >= options_.rollback_window;
}

GraceWindow::Verdict GraceWindow::Check(const std::string& serving) {
  std::lock_guard lock(record_.mu);
  auto& w = record_.window;
  if (serving != w.next) return Verdict::kClose;  // a newer switch, or this worker already rolled back
  if (w.rolled_back) return Verdict::kRollBack;
  if (!w.open) return Verdict::kClose;
  if (Expired()) {
    w.open = false;  // from now on nothing rolls back: every worker drops its previous version
    return Verdict::kClose;
  }
  ++w.batches;
  return Verdict::kKeep;
}

bool GraceWindow::RollBack(const std::string& next, const std::string& why) {
  std::lock_guard lock(record_.mu);
  auto& w = record_.window;
  if (next != w.next) return false;
  if (w.rolled_back) return true;
  if (!w.open) return false;
  w.rolled_back = true;
  record_.window_rolled_back.store(true);
  record_.MarkBad(next);
  ++record_.rollbacks;
  record_.last_rollback = "version " + next + " rolled back to " + w.previous + ": " + why;
  record_.info = w.previous_info;
  return true;
}

}  // namespace tfjs_run::internal
