#include "version_watcher.h"

#include "json_limits.h"
#include "log_version.h"
#include "version_name.h"

#include <fcntl.h>
#include <unistd.h>

#include <curl/curl.h>
#include <openssl/evp.h>
#include <sys/stat.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <limits>
#include <strings.h>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

namespace tfjs_run {

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

bool IsHttp(const std::string& url) { return url.rfind("http://", 0) == 0 || url.rfind("https://", 0) == 0; }

int AbortIfCancelled(void* cancel, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
  return static_cast<const std::atomic<bool>*>(cancel)->load() ? 1 : 0;  // non-zero aborts the transfer
}

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

FetchResult FetchFile(const std::string& url, size_t max_bytes, const std::string& etag) {
  FetchResult result;
  const std::string path = url.rfind("file://", 0) == 0 ? url.substr(7) : url;
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    result.reason = "missing";
    result.error = path + ": " + std::strerror(errno);
    return result;
  }
  result.etag = std::to_string(st.st_mtim.tv_sec) + "." + std::to_string(st.st_mtim.tv_nsec) + "-" +
                std::to_string(st.st_size) + "-" + std::to_string(st.st_ino);
  if (!etag.empty() && etag == result.etag) {
    result.ok = true;
    result.not_modified = true;
    return result;
  }
  if (!S_ISREG(st.st_mode)) {
    // A device (/dev/zero), a FIFO or a socket would read forever or block: only regular files.
    result.reason = "not-a-file";
    result.error = path + " is not a regular file";
    return result;
  }
  if (static_cast<size_t>(st.st_size) > max_bytes) {
    result.reason = "too-large";
    result.error = path + " is larger than the limit of " + std::to_string(max_bytes) + " bytes";
    return result;
  }
  // O_NONBLOCK: if the path was swapped for a FIFO since stat, open does not wait for a writer.
  const int fd = ::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  struct stat opened {};
  if (fd < 0 || ::fstat(fd, &opened) != 0 || !S_ISREG(opened.st_mode)) {
    if (fd >= 0) ::close(fd);
    result.reason = fd < 0 ? "read" : "not-a-file";
    result.error = path + (fd < 0 ? ": " + std::string(std::strerror(errno)) : std::string(" is not a regular file"));
    return result;
  }
  // Stop at the size cap while reading, not after: the file may grow as it is read.
  std::string body;
  char buf[1 << 16];
  for (;;) {
    const ssize_t n = ::read(fd, buf, sizeof(buf));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      ::close(fd);
      result.reason = "read";
      result.error = path + ": read failed: " + std::strerror(errno);
      return result;
    }
    if (n == 0) break;
    if (body.size() + static_cast<size_t>(n) > max_bytes) {
      ::close(fd);
      result.reason = "too-large";
      result.error = path + " is larger than the limit of " + std::to_string(max_bytes) + " bytes";
      return result;
    }
    body.append(buf, static_cast<size_t>(n));
  }
  ::close(fd);
  result.body = std::move(body);
  result.ok = true;
  return result;
}

void DefaultLog(const WatchOptions& o, LogLevel level, const std::string& text) {
  if (o.log) {
    o.log(level, text);
  } else {
    std::fprintf(stderr, "tfjs-run: watch %s: %s\n", o.source.c_str(), text.c_str());
  }
}

}  // namespace

FetchResult Fetch(const std::string& url, const WatchOptions& options, size_t max_bytes, const std::string& etag,
                  const std::atomic<bool>* cancel) {
  return IsHttp(url) ? FetchHttp(url, options, max_bytes, etag, cancel) : FetchFile(url, max_bytes, etag);
}

std::string Sha256Hex(std::string_view data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(data.data(), data.size(), digest, &len, EVP_sha256(), nullptr);
  static const char* kHex = "0123456789abcdef";
  std::string out;
  for (unsigned i = 0; i < len; ++i) {
    out += kHex[digest[i] >> 4];
    out += kHex[digest[i] & 15];
  }
  return out;
}

std::string JoinUrl(const std::string& base, const std::string& name) {
  if (!base.empty() && base.back() == '/') return base + name;
  return base + "/" + name;
}

namespace {
// An array of 1-kMaxSampleRows rows of one width, each value a finite float32, appended to
// `out` row-major. Returns the number of rows.
size_t Rows(const nlohmann::json& rows, const std::string& key, std::vector<float>& out) {
  auto bad = [&](const std::string& why) { return Error(ErrorKind::kBundleRead, "malformed manifest: '" + key + "' " + why); };
  if (!rows.is_array() || rows.empty()) throw bad("must be a non-empty array of rows");
  if (rows.size() > Manifest::kMaxSampleRows) {
    throw bad("has " + std::to_string(rows.size()) + " rows; at most " + std::to_string(Manifest::kMaxSampleRows));
  }
  size_t cols = 0;
  for (size_t r = 0; r < rows.size(); ++r) {
    const auto& row = rows[r];
    if (!row.is_array() || row.empty() || (cols && row.size() != cols)) {
      throw bad("rows must be non-empty arrays of one length (row " + std::to_string(r) + ")");
    }
    cols = row.size();
    if (out.size() + cols > Manifest::kMaxSampleValues) {
      throw bad("holds more than " + std::to_string(Manifest::kMaxSampleValues) + " values");
    }
    for (size_t c = 0; c < cols; ++c) {
      const auto& v = row[c];
      const double x = v.is_number() ? v.get<double>() : 0;
      if (!v.is_number() || !std::isfinite(x) || std::fabs(x) > std::numeric_limits<float>::max()) {
        throw bad("row " + std::to_string(r) + ", column " + std::to_string(c) + " is not a finite float32 number");
      }
      out.push_back(static_cast<float>(x));
    }
  }
  return rows.size();
}
}  // namespace

Manifest ParseManifest(const std::string& text) {
  auto bad = [](const std::string& why) { return Error(ErrorKind::kBundleRead, "malformed manifest: " + why); };
  // Measured before parsing: nothing past rows of numbers belongs in a manifest.
  if (internal::JsonDepth(text) > 8) throw bad("nested deeper than 8 levels");
  nlohmann::json j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) throw bad("not a JSON object");
  Manifest m;
  auto str = [&](const char* key) {
    if (!j.contains(key) || !j[key].is_string() || j[key].get<std::string>().empty()) {
      throw bad(std::string("'") + key + "' must be a non-empty string");
    }
    return j[key].get<std::string>();
  };
  if (j.contains("version") && j["version"].is_number_integer()) j["version"] = std::to_string(j["version"].get<int64_t>());
  m.version = str("version");
  if (!internal::IsValidVersionName(m.version)) {
    throw bad("'version' " + internal::QuoteVersionName(m.version) + " must be 1-128 characters of [A-Za-z0-9._-]");
  }
  m.bundle = str("bundle");
  m.sha256 = str("sha256");
  if (m.bundle.find('/') != std::string::npos || m.bundle.find("..") != std::string::npos) {
    throw bad("'bundle' must be a file name next to the manifest, not '" + m.bundle + "'");
  }
  if (m.sha256.size() != 64 || m.sha256.find_first_not_of("0123456789abcdef") != std::string::npos) {
    throw bad("'sha256' must be 64 lower-case hex digits");
  }
  if (!j.contains("size") || !j["size"].is_number_unsigned() || j["size"].get<uint64_t>() == 0) {
    throw bad("'size' must be a positive integer");
  }
  m.size = j["size"].get<size_t>();
  if (j.contains("sample_input")) m.sample_rows = Rows(j["sample_input"], "sample_input", m.sample_input);
  if (j.contains("expected_output")) {
    if (!m.sample_rows) throw bad("'expected_output' needs the 'sample_input' rows it answers");
    const size_t rows = Rows(j["expected_output"], "expected_output", m.expected_output);
    if (rows != m.sample_rows) {
      throw bad("'expected_output' has " + std::to_string(rows) + " rows for " + std::to_string(m.sample_rows) +
                " rows of 'sample_input'");
    }
  }
  if (j.contains("tolerance")) {
    const auto& t = j["tolerance"];
    if (!m.expected_output.size()) throw bad("'tolerance' needs 'expected_output'");
    if (!t.is_number() || !(t.get<double>() >= 0 && t.get<double>() <= 1)) {
      throw bad("'tolerance' must be a number in [0, 1]");
    }
    m.tolerance = t.get<double>();
  }
  return m;
}

bool FetchBundle(const WatchOptions& options, Manifest m, PublishedBundle& out, std::string& reason,
                 std::string& error, const std::atomic<bool>* cancel) {
  const std::string url = JoinUrl(options.source, m.bundle);
  const std::string what = "version " + m.version + " (" + url + ")";
  // max_bundle_bytes may lower the runtime's one limit on a bundle's size, never raise it.
  const size_t limit = std::min(options.max_bundle_bytes, BundleSource::kMaxBytes);
  if (m.size > limit) {
    reason = "too-large";
    error = what + ": declared size " + std::to_string(m.size) + " exceeds the limit of " + std::to_string(limit) +
            " bytes";
    return false;
  }
  // At most the declared size: a server sending more is cut off, and the size check fails.
  FetchResult b = Fetch(url, options, m.size, "", cancel);
  if (!b.ok) {
    reason = b.reason == "too-large" ? "size-mismatch" : b.reason;
    error = what + ": " + (b.reason == "too-large" ? "the server sent more than the manifest's " +
                                                         std::to_string(m.size) + " bytes"
                                                   : b.error);
    return false;
  }
  if (b.body.size() != m.size) {
    reason = "size-mismatch";
    error = what + ": got " + std::to_string(b.body.size()) + " bytes, the manifest says " + std::to_string(m.size) +
            " (truncated?)";
    return false;
  }
  const std::string sha = Sha256Hex(b.body);
  if (sha != m.sha256) {
    reason = "checksum";
    error = what + ": sha256 " + sha + " does not match the manifest's " + m.sha256;
    return false;
  }
  out.source = BundleSource{std::move(b.body), url};
  out.version = m.version;
  out.sha256 = sha;
  out.sample_input = std::move(m.sample_input);
  out.expected_output = std::move(m.expected_output);
  out.tolerance = m.tolerance;
  return true;
}

PublishedBundle FetchPublishedBundle(const WatchOptions& options) {
  const std::string manifest_url = JoinUrl(options.source, "manifest.json");
  FetchResult mf = Fetch(manifest_url, options, options.max_manifest_bytes, "");
  if (!mf.ok) throw Error(ErrorKind::kBundleRead, "manifest " + manifest_url + ": " + mf.error);
  Manifest m;
  try {
    m = ParseManifest(mf.body);
  } catch (const Error& e) {
    throw Error(ErrorKind::kBundleRead, manifest_url + ": " + e.message());
  }
  PublishedBundle out;
  std::string reason, error;
  if (!FetchBundle(options, std::move(m), out, reason, error)) throw Error(ErrorKind::kBundleRead, error);
  return out;
}

VersionWatcher::VersionWatcher(WatchOptions options, ReloadFn reload, VersionFn current_version)
    : options_(std::move(options)), reload_(std::move(reload)), current_version_(std::move(current_version)) {
  stats_.active = true;
  stats_.source = options_.source;
  thread_ = std::thread([this] { Run(); });
}

VersionWatcher::~VersionWatcher() { Stop(); }

void VersionWatcher::Stop() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cancel_ = true;
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

WatchStats VersionWatcher::Stats() const {
  std::lock_guard lock(mu_);
  WatchStats s = stats_;
  s.failures_by_reason.assign(failures_by_reason_.begin(), failures_by_reason_.end());
  return s;
}

void VersionWatcher::Fail(const std::string& reason, const std::string& error) {
  {
    std::lock_guard lock(mu_);
    ++stats_.failures;
    ++failures_by_reason_[reason];
    stats_.last_error = error;
  }
  DefaultLog(options_, LogLevel::kWarn, error + " (keeping version " + current_version_() + ")");
}

bool VersionWatcher::PollOnce() {
  {
    std::lock_guard lock(mu_);
    ++stats_.polls;
  }
  const std::string manifest_url = JoinUrl(options_.source, "manifest.json");
  const auto t0 = std::chrono::steady_clock::now();
  FetchResult mf = Fetch(manifest_url, options_, options_.max_manifest_bytes, manifest_etag_, &cancel_);
  const auto t1 = std::chrono::steady_clock::now();
  {
    std::lock_guard lock(mu_);
    stats_.last_manifest_ms = std::chrono::duration<double, std::milli>(t1 - t0).count();
  }
  if (!mf.ok) {
    Fail(mf.reason, "manifest " + manifest_url + ": " + mf.error);
    return false;
  }
  if (mf.not_modified) {
    std::lock_guard lock(mu_);
    ++stats_.unchanged;
    return true;
  }
  Manifest m;
  try {
    m = ParseManifest(mf.body);
  } catch (const Error& e) {
    Fail("manifest-garbage", manifest_url + ": " + e.message());
    return false;
  }
  // The version we serve, or one the runtime refused (marked bad): nothing to download, even
  // from a server that sends no ETag.
  if (m.version == current_version_() || m.version == refused_version_) {
    std::lock_guard lock(mu_);
    ++stats_.unchanged;
    manifest_etag_ = mf.etag;
    return true;
  }
  internal::ScopedLogVersion log_version(m.version);
  PublishedBundle published;
  std::string reason, error;
  if (!FetchBundle(options_, std::move(m), published, reason, error, &cancel_)) {
    Fail(reason, error);
    return false;
  }
  {
    std::lock_guard lock(mu_);
    ++stats_.downloads;
    stats_.last_download_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t1).count();
  }
  ReloadResult r = reload_(published);
  {
    std::lock_guard lock(mu_);
    stats_.last_reload = r;
  }
  // Loaded or marked bad: either way this manifest needs no second look until it changes.
  manifest_etag_ = mf.etag;
  if (!r.ok) {
    refused_version_ = published.version;
    Fail("load-failed", r.error);
    return true;  // not a transport failure: no backoff, the version is marked bad
  }
  DefaultLog(options_, LogLevel::kInfo, "switched to version " + r.version + " in " + std::to_string(r.total_ms) + " ms");
  return true;
}

void VersionWatcher::Run() {
  for (;;) {
    const bool ok = PollOnce();
    std::unique_lock lock(mu_);
    consecutive_failures_ = ok ? 0 : std::min(consecutive_failures_ + 1, 16);
    auto wait = options_.poll_interval;
    if (consecutive_failures_ > 0) {
      // From at least 100 ms, so the backoff grows even when the poll interval is tiny.
      auto base = std::max<std::chrono::milliseconds>(options_.poll_interval, std::chrono::milliseconds(100));
      auto backoff = base * (1LL << std::min(consecutive_failures_, 10));
      wait = std::min<std::chrono::milliseconds>(std::chrono::duration_cast<std::chrono::milliseconds>(backoff),
                                                 std::max(options_.max_backoff, options_.poll_interval));
    }
    const double jitter = std::uniform_real_distribution<double>(0.8, 1.2)(rng_);
    wait = std::chrono::milliseconds(static_cast<int64_t>(static_cast<double>(wait.count()) * jitter));
    if (cv_.wait_for(lock, wait, [&] { return stop_; })) return;
  }
}

}  // namespace tfjs_run
