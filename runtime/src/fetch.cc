#include "fetch.h"

namespace tfjs_run {

FetchResult Fetch(const std::string& url, const WatchOptions& options, size_t max_bytes, const std::string& etag,
                  const std::atomic<bool>* cancel) {
  const bool http = url.rfind("http://", 0) == 0 || url.rfind("https://", 0) == 0;
  return http ? internal::FetchHttp(url, options, max_bytes, etag, cancel) : internal::FetchFile(url, max_bytes, etag);
}

std::string JoinUrl(const std::string& base, const std::string& name) {
  if (!base.empty() && base.back() == '/') return base + name;
  return base + "/" + name;
}

}  // namespace tfjs_run
