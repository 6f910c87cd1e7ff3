// The isolate host and its polyfills, checked by evaluating small JS snippets.
#include "isolate_host.h"

#include <gtest/gtest.h>

#include <atomic>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

namespace tfjs_run::internal {
namespace {

// Evaluates `code`; if it yields a promise, pumps until it settles. Returns String(result), or
// "threw: <message>" / "rejected: <message>" / "pending".
std::string Eval(IsolateHost& host, const std::string& code, int timeout_ms = 2000) {
  return host.Run(Clock::now() + std::chrono::milliseconds(timeout_ms + 1000), [&](JsScope& s) -> std::string {
    v8::TryCatch try_catch(s.isolate);
    v8::Local<v8::Script> script;
    v8::Local<v8::Value> result;
    if (!v8::Script::Compile(s.context, s.Str(code)).ToLocal(&script) || !script->Run(s.context).ToLocal(&result)) {
      return "threw: " + host.Describe(s, try_catch).message;
    }
    if (result->IsPromise()) {
      auto promise = result.As<v8::Promise>();
      host.PumpUntil(s, [&] { return promise->State() != v8::Promise::kPending; },
                     Clock::now() + std::chrono::milliseconds(timeout_ms));
      if (promise->State() == v8::Promise::kPending) return "pending";
      if (promise->State() == v8::Promise::kRejected) return "rejected: " + s.ToString(promise->Result());
      return s.ToString(promise->Result());
    }
    return s.ToString(result);
  });
}

struct CapturedLog {
  std::vector<std::pair<LogLevel, std::string>> lines;
};

class IsolateHostTest : public ::testing::Test {
 protected:
  IsolateHostTest()
      : host_(IsolateHost::Options{[this](LogLevel l, std::string_view t) { log_.lines.emplace_back(l, std::string(t)); },
                                   "test", 0}) {}
  CapturedLog log_;
  IsolateHost host_;
};

TEST_F(IsolateHostTest, TfjsPlatformGlobalsExist) {
  EXPECT_EQ(Eval(host_, "self === globalThis && typeof WorkerGlobalScope"), "function");
  EXPECT_EQ(Eval(host_, "typeof performance.now()"), "number");
  EXPECT_EQ(Eval(host_, "const a = performance.now(); let x = 0; for (let i = 0; i < 1e6; i++) x += i; performance.now() >= a"), "true");
}

TEST_F(IsolateHostTest, ConsoleGoesToTheHostLogWithLevels) {
  Eval(host_, "console.log('hello', 42, {a: 1}); console.warn('careful'); console.error(new Error('bad'))");
  ASSERT_EQ(log_.lines.size(), 3u);
  EXPECT_EQ(log_.lines[0].first, LogLevel::kInfo);
  EXPECT_EQ(log_.lines[0].second, "hello 42 {\"a\":1}");
  EXPECT_EQ(log_.lines[1].first, LogLevel::kWarn);
  EXPECT_EQ(log_.lines[2].first, LogLevel::kError);
  EXPECT_NE(log_.lines[2].second.find("Error: bad"), std::string::npos);
}

TEST_F(IsolateHostTest, TimersFireInDueOrderAndCanBeCleared) {
  EXPECT_EQ(Eval(host_, R"(new Promise((resolve) => {
      const order = [];
      setTimeout(() => order.push('b'), 20);
      setTimeout((x) => order.push(x), 5, 'a');
      const never = setTimeout(() => order.push('never'), 10);
      clearTimeout(never);
      let n = 0;
      const iv = setInterval(() => { order.push('i' + n); if (++n === 3) clearInterval(iv); }, 1);
      // The interval re-arms from when it ran, so on a loaded machine 'a' may come between its
      // runs: check timeouts and interval runs each in their own order.
      setTimeout(() => resolve(order.filter((x) => x[0] !== 'i').join(',') + ' ' +
                               order.filter((x) => x[0] === 'i').join(',')), 40);
    }))"),
            "a,b i0,i1,i2");
}

TEST_F(IsolateHostTest, QueueMicrotaskRunsBeforeTimers) {
  EXPECT_EQ(Eval(host_, R"(new Promise((resolve) => {
      const order = [];
      setTimeout(() => { order.push('timer'); resolve(order.join(',')); }, 0);
      queueMicrotask(() => order.push('micro'));
    }))"),
            "micro,timer");
}

TEST_F(IsolateHostTest, TextEncoderAndDecoderRoundTripUtf8) {
  EXPECT_EQ(Eval(host_, "Array.from(new TextEncoder().encode('aé€😀')).join(' ')"),
            "97 195 169 226 130 172 240 159 152 128");
  EXPECT_EQ(Eval(host_, "new TextDecoder().decode(new TextEncoder().encode('aé€😀 tfjs'))"), "aé€😀 tfjs");
  EXPECT_EQ(Eval(host_, "new TextDecoder('utf-8').decode(new Uint8Array([104, 105]).buffer)"), "hi");
}

TEST_F(IsolateHostTest, AtobAndBtoaFollowTheWebSpec) {
  EXPECT_EQ(Eval(host_, "btoa('tfjs-run')"), "dGZqcy1ydW4=");
  EXPECT_EQ(Eval(host_, "atob('dGZqcy1ydW4=')"), "tfjs-run");
  EXPECT_EQ(Eval(host_, "atob(btoa('\\x00\\xff\\x10'))  === '\\x00\\xff\\x10'"), "true");
  EXPECT_EQ(Eval(host_, "atob('***')").rfind("threw:", 0), 0u);
}

TEST_F(IsolateHostTest, FetchServesDataUrlsAndRegisteredResources) {
  EXPECT_EQ(Eval(host_, "fetch('data:application/octet-stream;base64,AAEC/w==').then(r => r.arrayBuffer()).then(b => Array.from(new Uint8Array(b)).join(','))"),
            "0,1,2,255");
  EXPECT_EQ(Eval(host_, "fetch('data:text/plain,hello%20world').then(r => r.text())"), "hello world");
  EXPECT_EQ(Eval(host_, "__tfjsRunResources.set('model/weights.bin', new Uint8Array([7, 8])); fetch('model/weights.bin').then(r => r.arrayBuffer()).then(b => b.byteLength)"),
            "2");
}

// A bundle is untrusted: no network, no file system, no process, no Node.
TEST_F(IsolateHostTest, FetchRefusesTheNetworkAndTheFileSystem) {
  for (const char* url : {"http://127.0.0.1:1/x", "https://example.com/", "file:///etc/passwd", "/etc/passwd"}) {
    std::string r = Eval(host_, std::string("fetch('") + url + "').then(() => 'fetched')");
    EXPECT_EQ(r.rfind("rejected: TypeError: fetch:", 0), 0u) << url << " -> " << r;
  }
}

TEST_F(IsolateHostTest, NoNodeOrHostObjectsAreReachable) {
  EXPECT_EQ(Eval(host_, "[typeof require, typeof process, typeof module, typeof host, typeof XMLHttpRequest, "
                        "typeof importScripts, typeof Deno].join(',')"),
            "undefined,undefined,undefined,undefined,undefined,undefined,undefined");
}

TEST_F(IsolateHostTest, WebAssemblyWithSimdIsAvailable) {
  // The wasm SIMD feature test tfjs itself uses.
  EXPECT_EQ(Eval(host_, "WebAssembly.validate(new Uint8Array([0,97,115,109,1,0,0,0,1,4,1,96,0,0,3,2,1,0,10,9,1,7,0,65,0,253,15,26,11]))"),
            "true");
}

// A text longer than V8's longest string used to abort the process (ToLocalChecked on an empty
// MaybeLocal); Str throws an Error instead, and the isolate goes on.
TEST_F(IsolateHostTest, StrOfATextLongerThanV8sLongestStringThrowsInsteadOfAborting) {
  const std::string too_long(static_cast<size_t>(v8::String::kMaxLength) + 1, 'x');
  const std::string what = host_.Run(Clock::now() + std::chrono::seconds(30), [&](JsScope& s) -> std::string {
    try {
      s.Str(too_long);
      return "made a string";
    } catch (const Error& e) {
      EXPECT_EQ(e.kind(), ErrorKind::kBundleRead);
      return e.message();
    }
  });
  EXPECT_NE(what.find(std::to_string(too_long.size()) + " bytes does not fit in a V8 string"), std::string::npos)
      << what;
  EXPECT_EQ(Eval(host_, "'still ' + 'serving'"), "still serving");
}

// A delay the host cannot represent (Infinity, 1e300) fires after 1 ms, as in Node, instead of
// overflowing the host's clock arithmetic.
TEST_F(IsolateHostTest, AnUnrepresentableTimerDelayFiresAfterOneMillisecondAsInNode) {
  EXPECT_EQ(Eval(host_, "new Promise((resolve) => setTimeout(() => setTimeout(() => resolve('fired'), 1e300), Infinity))"),
            "fired");
}

TEST_F(IsolateHostTest, AnUncaughtErrorInATimerIsLoggedAndOthersStillRun) {
  EXPECT_EQ(Eval(host_, R"(new Promise((resolve) => {
      setTimeout(() => { throw new Error('timer exploded'); }, 1);
      setTimeout(() => resolve('still running'), 5);
    }))"),
            "still running");
  bool logged = false;
  for (auto& [level, text] : log_.lines) logged |= text.find("timer exploded") != std::string::npos;
  EXPECT_TRUE(logged);
}

// An owner that cancels while the isolate is being made (its polyfills run JS under the
// watchdog) gets an Error or an isolate, never an aborted process: the constructor once threw
// with its watchdog thread running, and a joinable std::thread's destructor ends the process.
TEST(IsolateHostCancelTest, ACancelDuringConstructionThrowsAnErrorOrLeavesAWorkingHost) {
  auto cancel = std::make_shared<std::atomic<bool>>(true);
  int threw = 0;
  for (int i = 0; i < 20; ++i) {
    try {
      IsolateHost host(IsolateHost::Options{[](LogLevel, std::string_view) {}, "cancelled", 0, 0, cancel});
    } catch (const Error& e) {
      ++threw;
      EXPECT_NE(std::string(e.what()).find("installing polyfills failed"), std::string::npos) << e.what();
    }
  }
  std::printf("%d of 20 constructions were cancelled\n", threw);
}

TEST(IsolateHostHeapTest, AHeapLimitEndsTheScriptNotTheProcess) {
  IsolateHost host(IsolateHost::Options{[](LogLevel, std::string_view) {}, "heap", 16});
  std::string r = Eval(host, "const keep = []; for (;;) keep.push(new Array(1e5).fill(1.5)); 'done'");
  EXPECT_EQ(r, "threw: the JS heap reached its 16 MiB limit (max_heap_mb)");
  EXPECT_TRUE(host.broken());
}

TEST(IsolateHostHeapTest, TheMemoryErrorBelongsToTheCallThatHadIt) {
  IsolateHost host(IsolateHost::Options{[](LogLevel, std::string_view) {}, "heap", 16, 8});
  EXPECT_EQ(Eval(host, "globalThis.b = new ArrayBuffer(16 << 20); 'kept'"),
            "threw: ArrayBuffer memory would reach 16 MiB, over the 8 MiB buffer budget (max_buffer_mb)");
  // The next call's own error is its own, not the last one's.
  EXPECT_EQ(Eval(host, "throw new Error('mine')"), "threw: Error: mine");
  EXPECT_TRUE(host.memory_error().empty());
  EXPECT_TRUE(host.broken());
}

TEST(IsolateHostHeapTest, TheBufferBudgetCountsWhatIsHeldAndFreed) {
  IsolateHost host(IsolateHost::Options{[](LogLevel, std::string_view) {}, "heap", 64, 8});
  const size_t before = host.buffer_bytes();
  EXPECT_EQ(Eval(host, "globalThis.b = new ArrayBuffer(4 << 20); 'kept'"), "kept");
  EXPECT_EQ(host.buffer_bytes() - before, size_t{4} << 20);
  EXPECT_FALSE(host.broken());
}

}  // namespace
}  // namespace tfjs_run::internal
