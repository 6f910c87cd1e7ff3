// A published layout (docs/publishing.md): manifest.json beside the bundle it names. Reading one:
// the manifest (untrusted, bounded), the bundle's download, and its verification against the
// manifest's size and sha256. Every failure is one error type, PublishError, with a reason tag for
// the watcher's stats. The transfers are fetch.h's; the polling is version_watcher.h's.
#pragma once

#include <atomic>
#include <string>
#include <string_view>
#include <vector>

#include "fetch.h"
#include "tfjs_run/error.h"
#include "tfjs_run/runtime.h"

namespace tfjs_run {

// Error(kBundleRead), with a short reason tag: "http-404", "timeout", "manifest-garbage",
// "size-mismatch", "checksum", ... The message names the URL, and the version once it is known.
class PublishError : public Error {
 public:
  PublishError(std::string reason, std::string message)
      : Error(ErrorKind::kBundleRead, std::move(message)), reason_(std::move(reason)) {}
  const std::string& reason() const { return reason_; }

 private:
  std::string reason_;
};

// The manifest of a published layout: {"version", "bundle", "sha256", "size"[, "sample_input"
// [, "expected_output"[, "tolerance"]]]} (docs/publishing.md).
struct Manifest {
  static constexpr size_t kMaxSampleRows = 4096;
  static constexpr size_t kMaxSampleValues = 1 << 20;  // per field
  std::string version, bundle, sha256;
  size_t size = 0;
  std::vector<float> sample_input;
  size_t sample_rows = 0;
  std::vector<float> expected_output;  // sample_rows rows, if given
  double tolerance = ReloadCheck::kDefaultTolerance;
};
// Throws PublishError("manifest-garbage") with a message naming what is wrong. The manifest is untrusted: row
// counts and sizes are bounded, every number must be a finite float32, and the rows of
// sample_input and expected_output must each be of one width, with one expected row per sample
// row.
Manifest ParseManifest(const std::string& text);

// GETs the source's manifest.json (conditionally, if `etag` is given). The result may be
// not_modified. Throws PublishError.
FetchResult FetchManifest(const WatchOptions& options, const std::string& etag = "",
                          const std::atomic<bool>* cancel = nullptr);
// ParseManifest for the manifest at `url`: the message names it.
Manifest ParseManifestAt(const std::string& url, const std::string& text);

// Downloads the bundle a manifest names and verifies its size and sha256. Throws PublishError
// naming the version.
PublishedBundle FetchBundle(const WatchOptions& options, Manifest manifest, const std::atomic<bool>* cancel = nullptr);

std::string Sha256Hex(std::string_view data);

}  // namespace tfjs_run
