#include "isolate_host.h"

#include <libplatform/libplatform.h>

#include <algorithm>
#include <cmath>
#include <condition_variable>
#include <cstdio>
#include <mutex>
#include <thread>
#include <vector>

#include "polyfills_js.h"
#include "v8_system.h"

namespace tfjs_run::internal {

// V8 makes at most one character of one UTF-8 byte, so a bundle of BundleSource::kMaxBytes (the
// limit bundle_source.cc checks, with no V8 of its own) always fits.
static_assert(BundleSource::kMaxBytes <= static_cast<size_t>(v8::String::kMaxLength));

v8::Local<v8::String> JsScope::Str(std::string_view s) const {
  // Checked before the cast to int, which would wrap (and -1 means "up to a NUL").
  v8::Local<v8::String> out;
  if (s.size() > static_cast<size_t>(v8::String::kMaxLength) ||
      !v8::String::NewFromUtf8(isolate, s.data(), v8::NewStringType::kNormal, static_cast<int>(s.size())).ToLocal(&out)) {
    throw Error(ErrorKind::kBundleRead, "a text of " + std::to_string(s.size()) +
                                            " bytes does not fit in a V8 string (at most " +
                                            std::to_string(v8::String::kMaxLength) + " characters)");
  }
  return out;
}

std::string JsScope::ToString(v8::Local<v8::Value> v) const {
  if (v.IsEmpty()) return {};
  v8::TryCatch ignore(isolate);  // String(x) may itself throw (a hostile toString)
  v8::Local<v8::String> s;
  if (!v->ToString(context).ToLocal(&s)) return "<unprintable value>";
  v8::String::Utf8Value utf8(isolate, s);
  return *utf8 ? std::string(*utf8, utf8.length()) : std::string();
}

v8::Local<v8::Value> JsScope::Get(v8::Local<v8::Object> obj, std::string_view key) const {
  v8::Local<v8::Value> v;
  if (!obj->Get(context, Str(key)).ToLocal(&v)) return v8::Undefined(isolate);
  return v;
}

namespace {
IsolateHost* HostOf(const v8::FunctionCallbackInfo<v8::Value>& info) {
  return static_cast<IsolateHost*>(info.Data().As<v8::External>()->Value());
}
}  // namespace

IsolateHost::IsolateHost(Options options) : options_(std::move(options)) {
  V8Platform();
  allocator_ = std::make_unique<BudgetedAllocator>(options_.max_buffer_mb << 20, [this](size_t requested, size_t in_use) {
    StopForMemory("ArrayBuffer memory would reach " + std::to_string((in_use + requested) >> 20) + " MiB, over the " +
                  std::to_string(options_.max_buffer_mb) + " MiB buffer budget (max_buffer_mb)");
  });
  v8::Isolate::CreateParams params;
  params.array_buffer_allocator = allocator_.get();
  if (options_.max_heap_mb > 0) {
    params.constraints.ConfigureDefaultsFromHeapSize(0, options_.max_heap_mb << 20);
  }
  isolate_ = v8::Isolate::New(params);
  watchdog_ = std::thread([this] { WatchdogMain(); });
  isolate_->SetMicrotasksPolicy(v8::MicrotasksPolicy::kExplicit);
  isolate_->AddNearHeapLimitCallback(&IsolateHost::NearHeapLimit, this);
  isolate_->SetOOMErrorHandler(&IsolateHost::FatalOutOfMemory);
  // Bundles are code we do not trust; they get exactly the globals below and nothing of Node's.
  {
    v8::Locker locker(isolate_);
    v8::Isolate::Scope isolate_scope(isolate_);
    v8::HandleScope handle_scope(isolate_);
    v8::Local<v8::Context> context = v8::Context::New(isolate_);
    context_.Reset(isolate_, context);
  }
  try {
    InstallPolyfills();  // runs JS: the owner's cancel or a deadline can fail it
  } catch (...) {
    TearDown();  // no destructor runs for a constructor that throws; a joinable watchdog_ would abort
    throw;
  }
}

IsolateHost::~IsolateHost() { TearDown(); }

void IsolateHost::TearDown() {
  {
    std::lock_guard lock(wd_mu_);
    wd_stop_ = true;
  }
  wd_cv_.notify_all();
  watchdog_.join();
  {
    v8::Locker locker(isolate_);
    fire_timer_.Reset();
    context_.Reset();
  }
  isolate_->Dispose();
}

void IsolateHost::Arm(Clock::time_point deadline) {
  memory_error_.clear();
  std::lock_guard lock(wd_mu_);
  const bool was_idle = !wd_armed_;
  wd_armed_ = true;
  wd_deadline_ = deadline;
  fired_ = false;
  if (was_idle) wd_cv_.notify_one();
}

void IsolateHost::Disarm() {
  bool fired;
  {
    std::lock_guard lock(wd_mu_);
    wd_armed_ = false;
    fired = fired_.exchange(false);
  }
  if (fired) {
    // The termination may still be pending (JS finished just before it landed): cancel it so
    // the next entry is not killed, and mark the isolate for replacement.
    isolate_->CancelTerminateExecution();
    broken_ = true;
  }
}

void IsolateHost::WatchdogMain() {
  std::unique_lock lock(wd_mu_);
  Clock::time_point next_sample{};
  while (!wd_stop_) {
    if (!wd_armed_) {
      wd_cv_.wait(lock, [&] { return wd_stop_ || wd_armed_; });
      next_sample = Clock::now() + kMemorySamplePeriod;  // calls shorter than a period cost nothing
      continue;
    }
    const auto now = Clock::now();
    if (now >= wd_deadline_ || cancelled()) {
      fired_ = true;
      wd_armed_ = false;
      isolate_->TerminateExecution();  // thread-safe by V8's contract
      continue;
    }
    auto wake = std::min(wd_deadline_, now + std::chrono::milliseconds(50));
    if (options_.max_buffer_mb > 0) {
      if (now >= next_sample) {
        // Sample WebAssembly memory on the JS thread at its next interrupt check (thread-safe).
        isolate_->RequestInterrupt(&IsolateHost::CheckMemory, this);
        next_sample = now + kMemorySamplePeriod;
      }
      wake = std::min(wake, next_sample);
    }
    wd_cv_.wait_until(lock, wake);
  }
}

void IsolateHost::StopForMemory(std::string why) {
  if (memory_error_.empty()) memory_error_ = std::move(why);
  broken_ = true;
  isolate_->TerminateExecution();
}

size_t IsolateHost::NearHeapLimit(void* data, size_t current_heap_limit, size_t initial_heap_limit) {
  auto* self = static_cast<IsolateHost*>(data);
  self->StopForMemory("the JS heap reached its " + std::to_string(self->options_.max_heap_mb ? self->options_.max_heap_mb : initial_heap_limit >> 20) + " MiB limit (max_heap_mb)");
  // V8 calls this when it cannot grow the heap for an allocation in flight; with no more room
  // it aborts the process. Grant headroom once (enough for any single object), so the
  // allocation completes and the terminated JS unwinds; never again, so the limit stays bounded.
  if (!self->headroom_granted_) {
    self->headroom_granted_ = true;
    self->heap_limit_ = current_heap_limit + kHeapHeadroom;
  }
  return std::max(current_heap_limit, self->heap_limit_);
}

namespace {
thread_local const IsolateHost* running_host = nullptr;  // the host whose Run this thread is in
}  // namespace

IsolateHost::Armed::Armed(IsolateHost& host, Clock::time_point deadline) : host_(host), outer_(running_host) {
  host_.Arm(deadline);
  running_host = &host_;
}

IsolateHost::Armed::~Armed() {
  running_host = outer_;
  host_.Disarm();
}

void IsolateHost::FatalOutOfMemory(const char* location, bool is_heap_oom) {
  // The last resort, when V8 cannot go on: one builtin call kept allocating past the heap limit
  // and its headroom without ever checking for termination. V8 aborts the process after this
  // returns; say which bundle did it.
  const std::string who = running_host ? running_host->options_.log_prefix : std::string("(unknown)");
  std::fprintf(stderr,
               "tfjs-run: fatal: bundle %s exhausted memory inside one builtin call (%s, %s), past the heap limit and "
               "its %zu MiB headroom, where V8 cannot stop it; the process cannot continue\n",
               who.c_str(), location ? location : "?", is_heap_oom ? "JS heap" : "process", kHeapHeadroom >> 20);
  std::fflush(stderr);
}

size_t IsolateHost::MemoryBytes() {
  v8::Locker locker(isolate_);
  v8::Isolate::Scope isolate_scope(isolate_);
  v8::HeapStatistics heap;
  isolate_->GetHeapStatistics(&heap);
  return heap.used_heap_size() + heap.external_memory();
}

void IsolateHost::CheckMemory(v8::Isolate* isolate, void* data) {
  auto* self = static_cast<IsolateHost*>(data);
  if (self->options_.max_buffer_mb == 0) return;
  v8::HeapStatistics heap;
  isolate->GetHeapStatistics(&heap);
  // external_memory counts every ArrayBuffer's backing store, WebAssembly memories included.
  const size_t budget = self->options_.max_buffer_mb << 20;
  if (heap.external_memory() > budget) {
    self->StopForMemory("ArrayBuffer and WebAssembly memory reached " + std::to_string(heap.external_memory() >> 20) +
                        " MiB, over the " + std::to_string(self->options_.max_buffer_mb) +
                        " MiB buffer budget (max_buffer_mb)");
  }
}

size_t IsolateHost::buffer_bytes() const { return allocator_->in_use(); }

bool IsolateHost::BufferFits(size_t bytes) {
  if (allocator_->Fits(bytes)) return true;
  broken_ = true;
  return false;
}

void IsolateHost::Log(LogLevel level, std::string_view text) const {
  if (options_.log) {
    options_.log(level, text);
    return;
  }
  static const char* kNames[] = {"debug", "info", "warn", "error"};
  const std::string line = Printable(text);
  std::fprintf(stderr, "[%s] %s: %s\n", options_.log_prefix.c_str(), kNames[static_cast<int>(level)], line.c_str());
}

void IsolateHost::NativeLog(const v8::FunctionCallbackInfo<v8::Value>& info) {
  IsolateHost* self = HostOf(info);
  int level = info.Length() > 0 ? info[0]->Int32Value(info.GetIsolate()->GetCurrentContext()).FromMaybe(1) : 1;
  level = std::clamp(level, 0, 3);
  v8::String::Utf8Value text(info.GetIsolate(), info.Length() > 1 ? info[1] : v8::Undefined(info.GetIsolate()).As<v8::Value>());
  self->Log(static_cast<LogLevel>(level), *text ? std::string_view(*text, text.length()) : std::string_view());
}

void IsolateHost::NativeNow(const v8::FunctionCallbackInfo<v8::Value>& info) {
  IsolateHost* self = HostOf(info);
  double ms = std::chrono::duration<double, std::milli>(Clock::now() - self->started_).count();
  info.GetReturnValue().Set(ms);
}

void IsolateHost::NativeSetTimer(const v8::FunctionCallbackInfo<v8::Value>& info) {
  IsolateHost* self = HostOf(info);
  auto context = info.GetIsolate()->GetCurrentContext();
  int64_t id = info[0]->IntegerValue(context).FromMaybe(0);
  double ms = info[1]->NumberValue(context).FromMaybe(0);
  // Like Node, a delay past 2^31 - 1 ms (or infinite) is 1 ms; the cast below is then defined.
  if (!(ms <= 2147483647.0)) ms = std::isnan(ms) ? 0 : 1;
  auto due = Clock::now() + std::chrono::microseconds(static_cast<int64_t>(std::max(0.0, ms) * 1000));
  self->timers_[id] = due;
  self->timers_due_.emplace(due, id);
}

void IsolateHost::NativeClearTimer(const v8::FunctionCallbackInfo<v8::Value>& info) {
  IsolateHost* self = HostOf(info);
  int64_t id = info[0]->IntegerValue(info.GetIsolate()->GetCurrentContext()).FromMaybe(0);
  self->timers_.erase(id);  // the stale timers_due_ entry is skipped when it comes due
}

void IsolateHost::InstallPolyfills() {
  Run(Clock::now() + std::chrono::seconds(30), [this](JsScope& s) {
    v8::Local<v8::Object> host = v8::Object::New(s.isolate);
    v8::Local<v8::External> self = v8::External::New(s.isolate, this);
    auto add = [&](const char* name, v8::FunctionCallback cb) {
      v8::Local<v8::Function> fn;
      if (!v8::Function::New(s.context, cb, self).ToLocal(&fn) ||
          !host->CreateDataProperty(s.context, s.Str(name), fn).FromMaybe(false)) {
        throw Error(ErrorKind::kBundleLoad, std::string("installing polyfills failed: cannot add host.") + name);
      }
    };
    add("log", &IsolateHost::NativeLog);
    add("now", &IsolateHost::NativeNow);
    add("setTimer", &IsolateHost::NativeSetTimer);
    add("clearTimer", &IsolateHost::NativeClearTimer);

    v8::TryCatch try_catch(s.isolate);
    v8::ScriptOrigin origin(s.isolate, s.Str("tfjs-run:polyfills.js"));
    v8::ScriptCompiler::Source source(s.Str(kPolyfillsSource), origin);
    v8::Local<v8::Script> script;
    v8::Local<v8::Value> factory, api;
    v8::Local<v8::Value> argv[] = {host};
    if (!v8::ScriptCompiler::Compile(s.context, &source).ToLocal(&script) ||
        !script->Run(s.context).ToLocal(&factory) || !factory->IsFunction() ||
        !factory.As<v8::Function>()->Call(s.context, v8::Undefined(s.isolate), 1, argv).ToLocal(&api) ||
        !api->IsObject()) {
      JsException e = Describe(s, try_catch);
      throw Error(ErrorKind::kBundleLoad, "installing polyfills failed: " + e.message, e.stack);
    }
    v8::Local<v8::Value> fire = s.Get(api.As<v8::Object>(), "fireTimer");
    if (!fire->IsFunction()) throw Error(ErrorKind::kBundleLoad, "installing polyfills failed: no fireTimer()");
    fire_timer_.Reset(s.isolate, fire.As<v8::Function>());
  });
}

namespace {
// String(v), escaped, at most 4 KiB of it; a longer string says its length.
std::string PrintableValue(JsScope& s, v8::Local<v8::Value> v) {
  constexpr int kMaxBytes = 4096;
  v8::TryCatch ignore(s.isolate);  // String(x) may itself throw (a hostile toString)
  v8::Local<v8::String> text;
  if (!v->ToString(s.context).ToLocal(&text)) return "<unprintable value>";
  if (text->Length() <= kMaxBytes) return Printable(s.ToString(text));
  std::string head(kMaxBytes, '\0');
  const int written = text->WriteUtf8(s.isolate, head.data(), kMaxBytes, nullptr,
                                      v8::String::NO_NULL_TERMINATION | v8::String::REPLACE_INVALID_UTF8);
  head.resize(static_cast<size_t>(std::max(0, written)));
  return Printable(head, 4 * kMaxBytes) + "... (" + std::to_string(text->Length()) + " characters in all)";
}
}  // namespace

JsException IsolateHost::DescribeValue(JsScope& s, v8::Local<v8::Value> exception) const {
  JsException out;
  if (exception.IsEmpty()) return {"unknown JavaScript error (no exception value)", {}};
  // A thrown value may be anything: 10 MB, NUL bytes, escape sequences. Printed cut and escaped,
  // and never copied whole.
  out.message = PrintableValue(s, exception);
  if (exception->IsObject()) {
    v8::TryCatch ignore(s.isolate);
    v8::Local<v8::Value> stack = s.Get(exception.As<v8::Object>(), "stack");
    if (stack->IsString()) out.stack = Printable(s.ToString(stack), 16 << 10, /*keep_newlines=*/true);
  }
  return out;
}

JsException IsolateHost::Describe(JsScope& s, const v8::TryCatch& try_catch) const {
  if (!memory_error_.empty()) return {memory_error_, {}};
  if (try_catch.HasTerminated()) return {"JavaScript execution was terminated (deadline exceeded)", {}};
  JsException out = DescribeValue(s, try_catch.Exception());
  v8::Local<v8::Message> message = try_catch.Message();
  if (!message.IsEmpty() && out.stack.empty()) {
    std::string where = s.ToString(message->GetScriptResourceName());
    int line = message->GetLineNumber(s.context).FromMaybe(0);
    out.stack = "    at " + where + ":" + std::to_string(line);
  }
  return out;
}

bool IsolateHost::FireDueTimers(JsScope& s) {
  bool fired = false;
  auto now = Clock::now();
  while (!timers_due_.empty() && timers_due_.begin()->first <= now) {
    auto [due, id] = *timers_due_.begin();
    timers_due_.erase(timers_due_.begin());
    auto it = timers_.find(id);
    if (it == timers_.end() || it->second != due) continue;  // cleared or re-armed
    timers_.erase(it);
    v8::TryCatch try_catch(s.isolate);
    v8::Local<v8::Value> argv[] = {v8::Number::New(s.isolate, static_cast<double>(id))};
    if (fire_timer_.Get(s.isolate)->Call(s.context, v8::Undefined(s.isolate), 1, argv).IsEmpty()) {
      if (try_catch.HasTerminated()) return fired;
      Log(LogLevel::kError, "uncaught exception in a timer callback: " + Describe(s, try_catch).message);
    }
    s.isolate->PerformMicrotaskCheckpoint();
    fired = true;
  }
  return fired;
}

bool IsolateHost::PumpUntil(JsScope& s, const std::function<bool()>& done, Clock::time_point deadline) {
  v8::Platform* platform = V8Platform();
  for (;;) {
    bool worked = false;
    while (v8::platform::PumpMessageLoop(platform, s.isolate)) worked = true;
    s.isolate->PerformMicrotaskCheckpoint();
    worked |= FireDueTimers(s);
    if (done()) return true;
    if (s.isolate->IsExecutionTerminating() || cancelled()) return false;
    auto now = Clock::now();
    if (now >= deadline) return false;
    if (!worked) {
      // Background work (wasm compilation, a timer) is pending; wait a little, but never past
      // the next timer or the deadline.
      auto wake = std::min(deadline, now + std::chrono::microseconds(200));
      if (!timers_due_.empty()) wake = std::min(wake, timers_due_.begin()->first);
      std::this_thread::sleep_until(wake);
    }
  }
}

}  // namespace tfjs_run::internal
