// The grace window on its own (runtime/src/grace_window.h): when a worker keeps, drops or swaps
// back its previous version, and what a rollback records. No V8, no fixtures: reload_test's
// GraceWindowTest covers the same window through real reloads and bundles. The window's time
// is moved on by backdating the record's `opened`, not by sleeping.
#include "grace_window.h"

#include <gtest/gtest.h>

#include <chrono>
#include <mutex>
#include <string>

namespace tfjs_run::internal {
namespace {

using namespace std::chrono_literals;

BundleInfo Info(const std::string& version) {
  BundleInfo info;
  info.name = "ml.bundle.js";
  info.version = version;
  return info;
}

RuntimeOptions Window(std::chrono::milliseconds time, uint64_t batches) {
  RuntimeOptions o;
  o.rollback_window = time;
  o.rollback_window_batches = batches;
  return o;
}

// A switch from version 1 to version 2, as the reloader makes it.
struct Switched {
  explicit Switched(RuntimeOptions o) : options(std::move(o)), window(options, record) {
    record.info = Info("2");
    window.Open("2", "1", Info("1"));
  }
  void Age(std::chrono::steady_clock::duration by) {
    std::lock_guard lock(record.mu);
    record.window.opened -= by;
  }
  RuntimeOptions options;
  VersionRecord record;
  GraceWindow window;
};

using Verdict = GraceWindow::Verdict;

TEST(GraceWindowUnitTest, WhileTheWindowIsOpenAWorkerKeepsThePreviousAndItsBatchesAreCounted) {
  Switched s(Window(60s, 10000));
  EXPECT_TRUE(s.window.enabled());
  EXPECT_EQ(s.window.Check("2"), Verdict::kKeep);
  EXPECT_EQ(s.window.Check("2"), Verdict::kKeep);
  std::lock_guard lock(s.record.mu);
  EXPECT_TRUE(s.record.window.open);
  EXPECT_EQ(s.record.window.batches, 2u);
  EXPECT_EQ(s.record.window.previous, "1");
}

TEST(GraceWindowUnitTest, WithBothLimitsZeroNothingIsKeptOrRolledBack) {
  Switched s(Window(0ms, 0));
  EXPECT_FALSE(s.window.enabled());
  EXPECT_EQ(s.window.Check("2"), Verdict::kClose);
  EXPECT_FALSE(s.window.RollBack("2", "fails on 7"));
  EXPECT_EQ(s.record.rollbacks, 0u);
  EXPECT_EQ(s.record.info.version, "2");
  EXPECT_FALSE(s.record.IsBad("2"));
}

TEST(GraceWindowUnitTest, TheWindowClosesAfterItsBatchesOnTheNewVersion) {
  Switched s(Window(1h, 3));
  EXPECT_EQ(s.window.Check("2"), Verdict::kKeep);
  EXPECT_EQ(s.window.Check("2"), Verdict::kKeep);
  EXPECT_EQ(s.window.Check("2"), Verdict::kKeep);
  EXPECT_EQ(s.window.Check("2"), Verdict::kClose);
  EXPECT_EQ(s.window.Check("2"), Verdict::kClose);  // closed for every worker, for good
  EXPECT_FALSE(s.window.RollBack("2", "fails on 7"));
  EXPECT_EQ(s.record.rollbacks, 0u);
}

TEST(GraceWindowUnitTest, TheWindowClosesWhenItsTimeIsUp) {
  Switched s(Window(10s, 0));  // no batch limit
  EXPECT_EQ(s.window.Check("2"), Verdict::kKeep);
  s.Age(9s);
  EXPECT_EQ(s.window.Check("2"), Verdict::kKeep);
  s.Age(1s);
  EXPECT_EQ(s.window.Check("2"), Verdict::kClose);
  EXPECT_FALSE(s.window.RollBack("2", "fails on 7"));
}

TEST(GraceWindowUnitTest, WhicheverLimitComesFirstClosesIt) {
  Switched by_time(Window(10s, 1000));
  by_time.Age(10s);
  EXPECT_EQ(by_time.window.Check("2"), Verdict::kClose);
  Switched by_batches(Window(1h, 1));
  EXPECT_EQ(by_batches.window.Check("2"), Verdict::kKeep);
  EXPECT_EQ(by_batches.window.Check("2"), Verdict::kClose);
}

TEST(GraceWindowUnitTest, AWorkerServingANewerVersionDropsItsPrevious) {
  Switched s(Window(60s, 10000));
  EXPECT_EQ(s.window.Check("3"), Verdict::kClose);
  EXPECT_EQ(s.window.Check("2"), Verdict::kKeep);  // the window itself is still open for version 2
}

TEST(GraceWindowUnitTest, ARollBackRestoresThePreviousMarksTheNewBadAndIsCountedOnce) {
  Switched s(Window(60s, 10000));
  EXPECT_EQ(s.window.Check("2"), Verdict::kKeep);
  EXPECT_TRUE(s.window.RollBack("2", "fails on 7"));
  EXPECT_TRUE(s.window.RollBack("2", "fails on 8"));  // a second worker's failure: already done
  EXPECT_EQ(s.record.rollbacks, 1u);
  EXPECT_EQ(s.record.last_rollback, "version 2 rolled back to 1: fails on 7");
  EXPECT_EQ(s.record.info.version, "1");
  EXPECT_TRUE(s.record.IsBad("2"));
  // Every worker still on 2 swaps its previous version back in before its next batch.
  EXPECT_EQ(s.window.Check("2"), Verdict::kRollBack);
  EXPECT_EQ(s.window.Check("2"), Verdict::kRollBack);
}

TEST(GraceWindowUnitTest, AFailureOfAVersionSwitchedAwayFromRollsNothingBack) {
  Switched s(Window(60s, 10000));
  s.window.Open("3", "2", Info("2"));  // a newer switch
  EXPECT_FALSE(s.window.RollBack("2", "fails on 7"));
  EXPECT_EQ(s.record.rollbacks, 0u);
  EXPECT_FALSE(s.record.IsBad("2"));
  EXPECT_EQ(s.window.Check("2"), Verdict::kClose);
}

TEST(GraceWindowUnitTest, ANewSwitchOpensAFreshWindow) {
  Switched s(Window(60s, 2));
  EXPECT_EQ(s.window.Check("2"), Verdict::kKeep);
  EXPECT_TRUE(s.window.RollBack("2", "fails on 7"));
  s.window.Open("3", "1", Info("1"));
  EXPECT_EQ(s.window.Check("3"), Verdict::kKeep);  // not rolled back, its batches from 0
  EXPECT_EQ(s.window.Check("3"), Verdict::kKeep);
  EXPECT_EQ(s.window.Check("3"), Verdict::kClose);
  EXPECT_EQ(s.record.rollbacks, 1u);  // the record's history stays
  EXPECT_TRUE(s.record.IsBad("2"));
}

}  // namespace
}  // namespace tfjs_run::internal
