// CheckVerdicts: the load-time check's passes (docs/native.md, "The check at load"), remembered on
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

class CheckVerdicts {
 public:
  // `dir` empty: nothing is remembered, Passed finds nothing.
  explicit CheckVerdicts(std::string dir) : dir_(std::move(dir)) {}

  // Whether a check of this bundle text passed at an earlier load in the same context.
  bool Passed(std::string_view code, const std::string& context) const;
  // Remembers that it passed. Written atomically; failures are ignored (the cache only saves time).
  void RememberPass(std::string_view code, const std::string& context) const;

 private:
  std::string FileFor(std::string_view code, const std::string& context) const;
  std::string dir_;
};

// The identity of the builds and the machine a verdict holds for (exposed for tests); empty when
// some part of it cannot be read.
const std::string& VerdictIdentity();

}  // namespace tfjs_run::internal
