// CodeCacheStore: V8 code caches of bundles on disk, reused across starts and reloads.
//
// A cache file is named by the bundle text and the V8 version; V8 itself also checks the
// source and its build when it consumes one, and rejects (never misuses) a stale cache.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace tfjs_run::internal {

class CodeCacheStore {
 public:
  using Bytes = std::shared_ptr<const std::vector<uint8_t>>;

  // `dir` empty: nothing is stored, Load finds nothing.
  explicit CodeCacheStore(std::string dir) : dir_(std::move(dir)) {}

  // The cache saved for this bundle text, or null.
  Bytes Load(const std::string& code) const;
  // Saves atomically (readers see the old file or the new one). Failures are ignored: the cache
  // only saves time.
  void Save(const std::string& code, const std::vector<uint8_t>& bytes) const;

 private:
  std::string FileFor(const std::string& code) const;
  std::string dir_;
};

}  // namespace tfjs_run::internal
