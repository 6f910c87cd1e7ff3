// Fetch: one GET of a published resource (a manifest or a bundle), over http(s) with libcurl or
// from a local path / file:// URL, with a size limit, timeouts and a validator (ETag) for
// conditional requests. Failures are results, not exceptions: a short reason tag for stats and
// a message naming the URL. published_bundle.h turns them into PublishErrors.
#pragma once

#include <atomic>
#include <string>

#include "tfjs_run/runtime.h"

namespace tfjs_run {

struct FetchResult {
  bool ok = false;
  bool not_modified = false;  // HTTP 304, or a file whose validator has not changed
  long status = 0;            // HTTP status; 0 for files
  std::string body;
  std::string etag;
  std::string reason;         // short machine tag for stats: "http-404", "timeout", "too-large", ...
  std::string error;          // human text, naming the URL or path
};

// GET over http(s) (fetch_http.cc: timeouts, size limit, TLS verification, If-None-Match), or a
// read of a local path / file:// URL (fetch_file.cc: size limit, regular files only, mtime, size
// and inode as the ETag). `cancel`, when set and true, aborts an http transfer in flight (within
// about a second) with reason "cancelled": how shutdown stops a stalled download without waiting
// for its timeout.
FetchResult Fetch(const std::string& url, const WatchOptions& options, size_t max_bytes, const std::string& etag,
                  const std::atomic<bool>* cancel = nullptr);

// "<base>/<name>" for URLs and paths alike.
std::string JoinUrl(const std::string& base, const std::string& name);

namespace internal {
FetchResult FetchHttp(const std::string& url, const WatchOptions& options, size_t max_bytes, const std::string& etag,
                      const std::atomic<bool>* cancel);
FetchResult FetchFile(const std::string& url, size_t max_bytes, const std::string& etag);
}  // namespace internal

}  // namespace tfjs_run
