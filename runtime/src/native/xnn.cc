#include "native/xnn.h"

#include <mutex>

#include "native/tensor.h"

namespace tfjs_run::native::xnn {

void InitializeOnce() {
  static std::once_flag once;
  static xnn_status status = xnn_status_uninitialized;
  std::call_once(once, [] { status = xnn_initialize(nullptr); });
  if (status != xnn_status_success) Unsupported("XNNPACK failed to initialise on this machine");
}

const void* LibraryAddress() { return reinterpret_cast<const void*>(&xnn_initialize); }

void Check(xnn_status status, const std::string& step) {
  if (status != xnn_status_success) {
    throw RunError("the native kernel of " + step + " failed (XNNPACK status " +
                       std::to_string(static_cast<int>(status)) + ")", false);
  }
}

Operator Created(xnn_status status, xnn_operator_t* op, const std::string& what) {
  if (status != xnn_status_success) Unsupported(what + ": XNNPACK refused it (status " + std::to_string(status) + ")");
  return Operator(*op);
}

void Run(xnn_operator_t op, const std::string& step) { Check(xnn_run_operator(op, nullptr), step); }

}  // namespace tfjs_run::native::xnn
