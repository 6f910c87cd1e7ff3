#include "log_version.h"

#include <utility>

#include "tfjs_run/model.h"

namespace tfjs_run {
namespace {
thread_local std::string current_version;
}  // namespace

std::string_view LogVersion() { return current_version; }

namespace internal {

ScopedLogVersion::ScopedLogVersion(std::string version) : previous_(std::exchange(current_version, std::move(version))) {}

ScopedLogVersion::~ScopedLogVersion() { current_version = std::move(previous_); }

}  // namespace internal
}  // namespace tfjs_run
