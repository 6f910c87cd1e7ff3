#include "tfjs_run/error.h"

namespace tfjs_run {

const char* ErrorKindName(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::kBundleRead: return "bundle-read";
    case ErrorKind::kBundleCompile: return "bundle-compile";
    case ErrorKind::kBundleLoad: return "bundle-load";
    case ErrorKind::kLoadTimeout: return "load-timeout";
    case ErrorKind::kContract: return "contract";
    case ErrorKind::kBackend: return "backend";
    case ErrorKind::kShape: return "shape";
    case ErrorKind::kPredict: return "predict";
    case ErrorKind::kOutput: return "output";
    case ErrorKind::kOverloaded: return "overloaded";
    case ErrorKind::kShutdown: return "shutdown";
    case ErrorKind::kTimeout: return "timeout";
    case ErrorKind::kMemory: return "memory";
    case ErrorKind::kInternal: return "internal";
  }
  return "unknown";
}

namespace {
std::string Compose(ErrorKind kind, const std::string& message, const std::string& name, const std::string& version) {
  std::string out;
  if (!name.empty()) {
    out += "bundle '" + name + "'";
    if (!version.empty()) out += " version " + version;
    out += ": ";
  }
  out += ErrorKindName(kind);
  out += " error: ";
  out += message;
  return out;
}
}  // namespace

Error::Error(ErrorKind kind, std::string message, std::string js_stack, std::string bundle_name,
             std::string bundle_version)
    : std::runtime_error(Compose(kind, message, bundle_name, bundle_version)),
      kind_(kind),
      message_(std::move(message)),
      js_stack_(std::move(js_stack)),
      bundle_name_(std::move(bundle_name)),
      bundle_version_(std::move(bundle_version)) {}

}  // namespace tfjs_run
