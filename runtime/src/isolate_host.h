// IsolateHost: one V8 isolate and one context, with the polyfills installed, and the only way in.
//
// Every entry into the isolate goes through Run(deadline, lambda), which takes the v8::Locker,
// enters the isolate, opens a HandleScope, enters the context and arms the host's watchdog with
// the deadline, then calls the lambda with a JsScope. There is no other way to get at the
// isolate, so no scope can be forgotten and no JS runs without a deadline: JS still running at
// the deadline (a loop, a promise chain, a getter, a thrown value's toString) is terminated.
// An isolate whose JS was terminated (deadline or memory budget) is broken(): its JS state may
// be half-updated, so its owner replaces it.
//
// Memory: the JS heap is capped by V8's heap limit (max_heap_mb), ArrayBuffer memory by a
// counting allocator (max_buffer_mb, memory_budget.h), and WebAssembly memories, which V8 does
// not allocate through that allocator, are sampled by the watchdog every 10 ms while JS runs and
// counted against the same budget. Going over either terminates the call. When the heap limit is
// reached, V8 gets headroom once per isolate (kHeapHeadroom, enough for the largest single
// object V8 can allocate) so that the allocation in flight completes instead of V8 aborting the
// process; the limit is never raised again. So an isolate's JS holds at most its heap limit +
// kHeapHeadroom + its buffer budget, plus one sampling period of WebAssembly growth
// (docs/publishing.md works the bound out per worker).
#pragma once

#include <v8.h>

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <unordered_map>

#include "memory_budget.h"
#include "tfjs_run/model.h"

namespace tfjs_run::internal {

class IsolateHost;
using Clock = std::chrono::steady_clock;

// What a lambda passed to IsolateHost::Run gets. Valid only inside that call.
struct JsScope {
  v8::Isolate* isolate;
  v8::Local<v8::Context> context;
  IsolateHost& host;

  // `s` (UTF-8) as a JS string. Throws Error(kBundleRead) if V8 cannot hold it (longer than V8's
  // longest string); never aborts.
  v8::Local<v8::String> Str(std::string_view s) const;
  std::string ToString(v8::Local<v8::Value> v) const;
  v8::Local<v8::Value> Get(v8::Local<v8::Object> obj, std::string_view key) const;
};

// A JavaScript exception caught by a TryCatch, as plain strings.
struct JsException {
  std::string message;  // "TypeError: x is not a function" (with "origin:line: " for compile errors)
  std::string stack;
};

class IsolateHost {
 public:
  struct Options {
    LogSink log;
    std::string log_prefix;  // e.g. the bundle file name
    size_t max_heap_mb = 0;    // 0: V8's default
    size_t max_buffer_mb = 0;  // ArrayBuffers + WebAssembly memories; 0: no limit
    // Set to true by another thread: the watchdog terminates the running JS like a deadline.
    std::shared_ptr<const std::atomic<bool>> cancel;
  };

  // Heap headroom granted once, when the heap limit is first reached: the largest single
  // object V8 allocates is a FixedArray or a two-byte string of 1 GiB, plus slack for unwinding.
  static constexpr size_t kHeapHeadroom = size_t{1024 + 64} << 20;
  static constexpr std::chrono::milliseconds kMemorySamplePeriod{10};

  explicit IsolateHost(Options options);
  ~IsolateHost();
  IsolateHost(const IsolateHost&) = delete;
  IsolateHost& operator=(const IsolateHost&) = delete;

  template <typename F>
  decltype(auto) Run(Clock::time_point deadline, F&& f) {
    v8::Locker locker(isolate_);
    v8::Isolate::Scope isolate_scope(isolate_);
    v8::HandleScope handle_scope(isolate_);
    v8::Local<v8::Context> context = context_.Get(isolate_);
    v8::Context::Scope context_scope(context);
    Armed armed(*this, deadline);
    JsScope scope{isolate_, context, *this};
    return f(scope);
  }

  // Inside Run: whether the watchdog terminated this Run's JS (its deadline passed).
  bool timed_out() const { return fired_.load(); }
  // Whether JS was ever terminated in this isolate (deadline or memory budget): replace it.
  bool broken() const { return broken_.load(); }
  // The JS heap in use plus ArrayBuffer and WebAssembly memory (V8's heap statistics). Not while
  // another thread runs this isolate's JS.
  size_t MemoryBytes();
  // Whether the owner abandoned this isolate's work (Options::cancel): its JS is terminated.
  bool cancelled() const { return options_.cancel && options_.cancel->load(); }

  // Runs platform tasks, microtasks and due timers until done() is true (returns true) or the
  // deadline passes (returns false). Call only inside Run().
  bool PumpUntil(JsScope& scope, const std::function<bool()>& done, Clock::time_point deadline);

  // Converts a caught exception to strings (call inside Run, with the TryCatch still alive).
  JsException Describe(JsScope& scope, const v8::TryCatch& try_catch) const;
  JsException DescribeValue(JsScope& scope, v8::Local<v8::Value> exception) const;

  void Log(LogLevel level, std::string_view text) const;

  // Inside or just after Run: why this Run's JS was stopped for memory ("" if it was not).
  const std::string& memory_error() const { return memory_error_; }
  // ArrayBuffer bytes held now (counted by the allocator).
  size_t buffer_bytes() const;
  // Whether the host may allocate `bytes` of ArrayBuffer memory for JS now. When not, the
  // isolate is marked broken (its JS holds nearly the whole budget: replace it).
  bool BufferFits(size_t bytes);

 private:
  static void NativeLog(const v8::FunctionCallbackInfo<v8::Value>& info);
  static void NativeNow(const v8::FunctionCallbackInfo<v8::Value>& info);
  static void NativeSetTimer(const v8::FunctionCallbackInfo<v8::Value>& info);
  static void NativeClearTimer(const v8::FunctionCallbackInfo<v8::Value>& info);
  static size_t NearHeapLimit(void* data, size_t current_heap_limit, size_t initial_heap_limit);
  static void CheckMemory(v8::Isolate* isolate, void* data);  // an interrupt, on the JS thread
  static void FatalOutOfMemory(const char* location, bool is_heap_oom);
  // Stops the running JS for memory: records why (first reason wins) and terminates it.
  void StopForMemory(std::string why);

  // Arms the watchdog for one Run; on leaving, disarms it and cancels a termination it caused.
  class Armed {
   public:
    Armed(IsolateHost& host, Clock::time_point deadline);
    ~Armed();
    Armed(const Armed&) = delete;
    Armed& operator=(const Armed&) = delete;

   private:
    IsolateHost& host_;
    const IsolateHost* outer_;
  };
  void Arm(Clock::time_point deadline);
  void Disarm();
  void WatchdogMain();
  // Stops and joins the watchdog and disposes the isolate: the destructor, and a constructor that
  // fails after starting them.
  void TearDown();
  void InstallPolyfills();
  bool FireDueTimers(JsScope& scope);

  Options options_;
  std::unique_ptr<BudgetedAllocator> allocator_;
  v8::Isolate* isolate_ = nullptr;
  v8::Global<v8::Context> context_;
  v8::Global<v8::Function> fire_timer_;
  Clock::time_point started_ = Clock::now();
  std::multimap<Clock::time_point, int64_t> timers_due_;
  std::unordered_map<int64_t, Clock::time_point> timers_;
  // Touched only on the thread running the isolate's JS (the V8 callbacks run there too).
  std::string memory_error_;  // reset by each Run
  bool headroom_granted_ = false;
  size_t heap_limit_ = 0;     // after the headroom, if granted

  // The watchdog: one thread per isolate, for its life. Arm/Disarm cost two uncontended mutex
  // operations per Run; the thread sleeps until the deadline (at most 50 ms at a time, so a
  // shorter deadline armed later is seen), or until armed when idle.
  std::mutex wd_mu_;
  std::condition_variable wd_cv_;
  Clock::time_point wd_deadline_{};  // guarded by wd_mu_; {} = disarmed
  bool wd_armed_ = false;             // guarded by wd_mu_
  bool wd_stop_ = false;              // guarded by wd_mu_
  std::atomic<bool> fired_{false};    // set (under wd_mu_) when the watchdog terminated the armed Run
  std::atomic<bool> broken_{false};
  std::thread watchdog_;
};

}  // namespace tfjs_run::internal
