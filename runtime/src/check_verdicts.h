// CheckVerdict: the load-time check's passes (docs/native.md, "The check at load"), remembered on
// disk so that a later load of the same bundle bytes skips the check.
//
// A pass is remembered under a key of everything the check's outcome depends on: the bundle text,
// the options that shape the check's rows (`context`), the builds of the code that computes both
// sides (this runtime, XNNPACK and V8/libnode, by their ELF build IDs) and the CPU (XNNPACK picks
// kernels by its features). Where any of these cannot be read, nothing is remembered or found.
// Only passes are kept: a bundle that failed its check runs it again at every load.
#pragma once

#include <string>
#include <string_view>

namespace tfjs_run::internal {

// One bundle's verdict in one context; the key is worked out once, at construction.
class CheckVerdict {
 public:
  // `dir` empty: nothing is remembered, Passed finds nothing.
  CheckVerdict(const std::string& dir, std::string_view code, const std::string& context);

  // Whether a check of this bundle text passed at an earlier load in the same context.
  bool Passed() const;
  // Remembers that it passed. Written atomically; failures are ignored (the cache only saves time).
  void RememberPass() const;

 private:
  std::string dir_;
  std::string context_;
  std::string file_;  // empty: nothing to remember or find
};

// The identity of the builds and the machine a verdict holds for (exposed for tests); empty when
// some part of it cannot be read.
const std::string& VerdictIdentity();

}  // namespace tfjs_run::internal
