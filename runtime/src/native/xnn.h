// What every step over XNNPACK (Debian's libxnnpack-dev) shares: initialising the library once,
// owning an operator, and turning its statuses into errors. XNNPACK is the library tfjs's wasm
// backend is built on, so the math is the same kernels' math, here compiled for the machine's
// AVX2 / AVX-512 rather than wasm's 128-bit SIMD; chosen over oneDNN by measurement
// (docs/native.md). Operators are created once (they pack their weights then) and set up per
// call; none uses a thread pool: a plan runs on its worker's own core.
#pragma once

#include <xnnpack.h>

#include <memory>
#include <string>

namespace tfjs_run::native::xnn {

// Initialises XNNPACK once per process; Unsupported() if this machine cannot run it.
void InitializeOnce();
// An address inside the XNNPACK library this process runs (to name its build: check_verdicts.h).
const void* LibraryAddress();

struct OperatorDeleter {
  void operator()(xnn_operator_t op) const { xnn_delete_operator(op); }
};
using Operator = std::unique_ptr<xnn_operator, OperatorDeleter>;

// A setup or run status: a RunError (native/tensor.h) naming the step unless it succeeded.
void Check(xnn_status status, const std::string& step);
// A create call's status and the operator it wrote to *op (read only after the call: pass
// `&op`, never `op`, so the order arguments are evaluated in cannot matter); Unsupported()
// naming what XNNPACK refused.
Operator Created(xnn_status status, xnn_operator_t* op, const std::string& what);
// Sets up nothing: runs an operator that was just set up.
void Run(xnn_operator_t op, const std::string& step);

}  // namespace tfjs_run::native::xnn
