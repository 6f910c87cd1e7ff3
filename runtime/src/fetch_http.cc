// Fetch over http(s), with libcurl.
#include <curl/curl.h>
#include <strings.h>

#include <cstring>
#include <mutex>

#include "fetch.h"

namespace tfjs_run::internal {
namespace {

struct CurlBody {
  std::string* out;
  size_t max_bytes;
  bool too_large = false;
};

size_t WriteBody(char* data, size_t size, size_t n, void* user) {
  auto* body = static_cast<CurlBody*>(user);
  if (body->out->size() + size * n > body->max_bytes) {
    body->too_large = true;
    return 0;  // aborts the transfer
  }
  body->out->append(data, size * n);
  return size * n;
}

size_t ReadHeader(char* data, size_t size, size_t n, void* user) {
  auto* result = static_cast<FetchResult*>(user);
  std::string line(data, size * n);
  auto take = [&](const char* name, std::string& into) {
    const size_t len = std::strlen(name);
    if (line.size() > len && strncasecmp(line.c_str(), name, len) == 0) {
      into = line.substr(len);
      while (!into.empty() && (into.back() == '\r' || into.back() == '\n' || into.back() == ' ')) into.pop_back();
      while (!into.empty() && into.front() == ' ') into.erase(0, 1);
    }
  };
  take("etag:", result->etag);
  return size * n;
}

int AbortIfCancelled(void* cancel, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
  return static_cast<const std::atomic<bool>*>(cancel)->load() ? 1 : 0;  // non-zero aborts the transfer
}

}  // namespace

FetchResult FetchHttp(const std::string& url, const WatchOptions& options, size_t max_bytes, const std::string& etag,
                      const std::atomic<bool>* cancel) {
  static std::once_flag init;
  std::call_once(init, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
  FetchResult result;
  CURL* curl = curl_easy_init();
  if (!curl) {
    result.reason = "curl-init";
    result.error = "curl_easy_init failed";
    return result;
  }
  CurlBody body{&result.body, max_bytes};
  curl_slist* headers = nullptr;
  if (!etag.empty()) headers = curl_slist_append(headers, ("If-None-Match: " + etag).c_str());
  // No If-Modified-Since: Last-Modified has one-second resolution, so a manifest rewritten in
  // the same second as our last fetch would look unchanged. ETags (and the version compare
  // after a full fetch of the small manifest) have no such blind spot.
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(curl, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 1L);
  curl_easy_setopt(curl, CURLOPT_MAXREDIRS, 3L);
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);  // we are one thread of many
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(options.connect_timeout.count()));
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, static_cast<long>(options.total_timeout.count()));
  curl_easy_setopt(curl, CURLOPT_MAXFILESIZE_LARGE, static_cast<curl_off_t>(max_bytes));
  curl_easy_setopt(curl, CURLOPT_SSL_VERIFYPEER, options.verify_tls ? 1L : 0L);
  curl_easy_setopt(curl, CURLOPT_SSL_VERIFYHOST, options.verify_tls ? 2L : 0L);
  if (!options.ca_file.empty()) curl_easy_setopt(curl, CURLOPT_CAINFO, options.ca_file.c_str());
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, &WriteBody);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &body);
  curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, &ReadHeader);
  curl_easy_setopt(curl, CURLOPT_HEADERDATA, &result);
  curl_easy_setopt(curl, CURLOPT_USERAGENT, "tfjs-run");
  if (cancel) {
    // libcurl calls this about once a second even while a stalled transfer receives nothing.
    curl_easy_setopt(curl, CURLOPT_XFERINFOFUNCTION, &AbortIfCancelled);
    curl_easy_setopt(curl, CURLOPT_XFERINFODATA, const_cast<std::atomic<bool>*>(cancel));
    curl_easy_setopt(curl, CURLOPT_NOPROGRESS, 0L);
  }
  const CURLcode code = curl_easy_perform(curl);
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &result.status);
  curl_slist_free_all(headers);
  curl_easy_cleanup(curl);
  if (code != CURLE_OK) {
    if (body.too_large || code == CURLE_FILESIZE_EXCEEDED) {
      result.reason = "too-large";
      result.error = url + " is larger than the limit of " + std::to_string(max_bytes) + " bytes";
    } else {
      result.reason = code == CURLE_ABORTED_BY_CALLBACK ? "cancelled"
                      : code == CURLE_OPERATION_TIMEDOUT ? "timeout"
                      : code == CURLE_COULDNT_CONNECT  ? "connect"
                      : code == CURLE_PARTIAL_FILE     ? "truncated"
                      : code == CURLE_PEER_FAILED_VERIFICATION || code == CURLE_SSL_CONNECT_ERROR ? "tls"
                                                                                                  : "network";
      result.error = url + ": " + curl_easy_strerror(code);
    }
    return result;
  }
  if (result.status == 304) {
    result.ok = true;
    result.not_modified = true;
    return result;
  }
  if (result.status != 200) {
    result.reason = "http-" + std::to_string(result.status);
    result.error = url + ": HTTP " + std::to_string(result.status);
    return result;
  }
  result.ok = true;
  return result;
}

}  // namespace tfjs_run::internal
