#include "published_bundle.h"

#include <openssl/evp.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <nlohmann/json.hpp>

#include "json_limits.h"
#include "version_name.h"

namespace tfjs_run {

namespace {
// An array of 1-kMaxSampleRows rows of one width, each value a finite float32, appended to
// `out` row-major. Returns the number of rows.
size_t Rows(const nlohmann::json& rows, const std::string& key, std::vector<float>& out) {
  auto bad = [&](const std::string& why) {
    return PublishError("manifest-garbage", "malformed manifest: '" + key + "' " + why);
  };
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
  auto bad = [](const std::string& why) { return PublishError("manifest-garbage", "malformed manifest: " + why); };
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
    throw bad("'version' " + internal::QuoteVersionName(m.version) + " must be " + internal::kVersionNameRule);
  }
  m.bundle = str("bundle");
  m.sha256 = str("sha256");
  // A file next to the manifest, or in the directory named as its version (a multi-model layout's
  // NAME/manifest.json names NAME/VERSION/FILE): never outside the manifest's directory.
  const std::string version_dir = m.version + "/";
  const std::string file = m.bundle.rfind(version_dir, 0) == 0 ? m.bundle.substr(version_dir.size()) : m.bundle;
  // The file's name follows the names' rule: no '/', no "." or "..", and nothing a server would
  // decode into one (%2e%2e%2f).
  if (!internal::IsValidVersionName(file)) {
    throw bad("'bundle' must be a file name (" + std::string(internal::kVersionNameRule) +
              ") next to the manifest or in its version's directory (" + version_dir + "FILE), not " +
              internal::QuoteVersionName(m.bundle));
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

FetchResult FetchManifest(const WatchOptions& options, const std::string& etag, const std::atomic<bool>* cancel) {
  const std::string url = JoinUrl(options.source, "manifest.json");
  FetchResult mf = Fetch(url, options, options.max_manifest_bytes, etag, cancel);
  if (!mf.ok) throw PublishError(mf.reason, "manifest " + url + ": " + mf.error);
  return mf;
}

Manifest ParseManifestAt(const std::string& url, const std::string& text) {
  try {
    return ParseManifest(text);
  } catch (const PublishError& e) {
    throw PublishError(e.reason(), url + ": " + e.message());
  }
}

PublishedBundle FetchBundle(const WatchOptions& options, Manifest m, const std::atomic<bool>* cancel) {
  const std::string url = JoinUrl(options.source, m.bundle);
  const std::string what = "version " + m.version + " (" + url + ")";
  // max_bundle_bytes may lower the runtime's one limit on a bundle's size, never raise it.
  const size_t limit = std::min(options.max_bundle_bytes, BundleSource::kMaxBytes);
  if (m.size > limit) {
    throw PublishError("too-large", what + ": declared size " + std::to_string(m.size) + " exceeds the limit of " +
                                        std::to_string(limit) + " bytes");
  }
  // At most the declared size: a server sending more is cut off, and the size check fails.
  FetchResult b = Fetch(url, options, m.size, "", cancel);
  if (!b.ok && b.reason == "too-large") {
    throw PublishError("size-mismatch", what + ": the server sent more than the manifest's " + std::to_string(m.size) +
                                            " bytes");
  }
  if (!b.ok) throw PublishError(b.reason, what + ": " + b.error);
  if (b.body.size() != m.size) {
    throw PublishError("size-mismatch", what + ": got " + std::to_string(b.body.size()) + " bytes, the manifest says " +
                                            std::to_string(m.size) + " (truncated?)");
  }
  const std::string sha = Sha256Hex(b.body);
  if (sha != m.sha256) throw PublishError("checksum", what + ": sha256 " + sha + " does not match the manifest's " + m.sha256);
  PublishedBundle out;
  out.source = BundleSource{std::move(b.body), url};
  out.version = m.version;
  out.sha256 = sha;
  out.sample_input = std::move(m.sample_input);
  out.expected_output = std::move(m.expected_output);
  out.tolerance = m.tolerance;
  return out;
}

PublishedBundle FetchPublishedBundle(const WatchOptions& options) {
  FetchResult mf = FetchManifest(options);
  return FetchBundle(options, ParseManifestAt(JoinUrl(options.source, "manifest.json"), mf.body));
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

}  // namespace tfjs_run
