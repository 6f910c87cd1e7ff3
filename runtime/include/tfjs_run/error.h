// The one exception type the runtime throws. It names the bundle and version it came from.
#pragma once

#include <stdexcept>
#include <string>
#include <string_view>

namespace tfjs_run {

enum class ErrorKind {
  kBundleRead,      // the bundle file could not be read
  kBundleCompile,   // the bundle's script does not compile (syntax error)
  kBundleLoad,      // the bundle's top level or its load() threw or rejected
  kLoadTimeout,     // load() did not settle before the deadline
  kContract,        // the bundle does not expose a known contract, or breaks it
  kBackend,         // the backend running is not the one the bundle asked for
  kShape,           // input rows/cols do not match the bundle's declared shape
  kPredict,         // predict() threw or rejected
  kOutput,          // predict() returned something of the wrong type or length
  kOverloaded,      // Runtime::TrySubmit: the queue is full
  kShutdown,        // the Runtime is shutting down and takes no new requests
  kTimeout,         // predict() ran past its deadline and was terminated (ModelOptions::predict_timeout)
  kMemory,          // JS went over the isolate's memory budget and was terminated (ModelOptions::max_heap_mb, max_buffer_mb),
                    // or the host could not allocate for a call
  kInternal,        // the runtime itself failed (a library's error it did not expect, a bug); the message says where
};

const char* ErrorKindName(ErrorKind kind);

// `text` made safe to print: NUL and other control characters, DEL and bytes that are not valid
// UTF-8 are escaped (\0, \n, \x1b, \xff), so a message stays whole and on its own line(s)
// whatever a bundle or an input put in it; past `max_bytes` it is cut at a character boundary,
// with its length said ("... (10485760 bytes in all)"). With `keep_newlines`, \n stays a
// newline (stack traces).
std::string Printable(std::string_view text, size_t max_bytes = 4096, bool keep_newlines = false);

class Error : public std::runtime_error {
 public:
  Error(ErrorKind kind, std::string message, std::string js_stack = {}, std::string bundle_name = {},
        std::string bundle_version = {});

  ErrorKind kind() const { return kind_; }
  // The message alone, without the bundle prefix that what() carries. Every part is made
  // Printable(): a bundle's thrown value cannot cut or flood what is printed.
  const std::string& message() const { return message_; }
  // The JavaScript stack trace, when the error came from JS; empty otherwise.
  const std::string& js_stack() const { return js_stack_; }
  const std::string& bundle_name() const { return bundle_name_; }
  const std::string& bundle_version() const { return bundle_version_; }

 private:
  // The parts already printable.
  Error(ErrorKind kind, std::string message, std::string js_stack, std::string bundle_name,
        std::string bundle_version, std::nullptr_t);

  ErrorKind kind_;
  std::string message_;
  std::string js_stack_;
  std::string bundle_name_;
  std::string bundle_version_;
};

}  // namespace tfjs_run
