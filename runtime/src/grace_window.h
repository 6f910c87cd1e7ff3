// GraceWindow: a switch to a new version can still be undone for a while.
//
// When a reload switches the workers, each keeps the version it served before loaded, for
// RuntimeOptions::rollback_window (time) or rollback_window_batches (batches on the new version,
// counted over all workers), whichever ends first. If in that window the new version fails a
// request (it throws, returns the wrong thing, times out or runs out of memory) that the
// previous version answers, the request gets the previous version's answer, the runtime rolls
// back (every worker swaps the previous version in: an idle one at once, a busy one before its
// next batch), and the new version is marked bad, so a watcher does not switch to it again. A
// request that fails on both versions fails as it would have, and does not roll anything back.
//
// The window's state is in the VersionRecord, under its lock; workers ask it once per batch only
// while they hold a previous version.
#pragma once

#include <string>

#include "tfjs_run/runtime.h"
#include "version_record.h"

namespace tfjs_run::internal {

class GraceWindow {
 public:
  GraceWindow(const RuntimeOptions& options, VersionRecord& record) : options_(options), record_(record) {}

  // Whether a switch keeps the previous version at all (both limits 0: no window).
  bool enabled() const;

  // The reloader, before the first worker switches from `previous` (served as `previous_info`)
  // to `next`.
  void Open(const std::string& next, const std::string& previous, const BundleInfo& previous_info);

  enum class Verdict { kKeep, kClose, kRollBack };
  // A worker serving `serving` and holding a previous version, before each batch: keep it,
  // drop it (the window has closed, or a newer switch happened), or swap it back in.
  Verdict Check(const std::string& serving);

  // A worker: `next` failed a request, with `why`, that the previous version answered. Rolls
  // the runtime back once. False if the window has already closed: nothing is rolled back then.
  bool RollBack(const std::string& next, const std::string& why);
  // Whether the last switch was rolled back: a worker still holding a previous version then
  // checks at once instead of at its next batch (an idle worker would otherwise keep serving
  // nothing on the bad version, and report it, until a request came its way). Takes no lock.
  bool RolledBack() const;

 private:
  bool Expired() const;  // under record_.mu
  const RuntimeOptions& options_;
  VersionRecord& record_;
};

}  // namespace tfjs_run::internal
