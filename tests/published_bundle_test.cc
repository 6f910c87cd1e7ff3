// Reading a published layout without V8 or a server: the manifest parser, the file transfer,
// and the bundle's verification, each failure with its reason tag (published_bundle.h, fetch.h).
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "fetch.h"
#include "published_bundle.h"
#include "test_files.h"

namespace tfjs_run {
namespace {

namespace fs = std::filesystem;

using namespace test_support;


std::string ManifestFor(const std::string& version, const std::string& bundle, const std::string& body,
                        const std::string& extra = "") {
  return R"({"version": ")" + version + R"(", "bundle": ")" + bundle + R"(", "sha256": ")" + Sha256Hex(body) +
         R"(", "size": )" + std::to_string(body.size()) + extra + "}";
}

// The reason and message of the PublishError `f` throws.
template <typename F>
std::pair<std::string, std::string> FailureOf(F&& f) {
  try {
    f();
  } catch (const PublishError& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kBundleRead);
    return {e.reason(), e.message()};
  }
  ADD_FAILURE() << "no PublishError";
  return {};
}

TEST(Sha256Test, MatchesTheKnownDigests) {
  EXPECT_EQ(Sha256Hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(Sha256Hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(ManifestTest, ReadsTheRequiredFieldsAndTakesAnIntegerVersion) {
  const std::string sha(64, 'a');
  Manifest m = ParseManifest(R"({"version": 12, "bundle": "ml-12.bundle.js", "sha256": ")" + sha + R"(", "size": 5})");
  EXPECT_EQ(m.version, "12");
  EXPECT_EQ(m.bundle, "ml-12.bundle.js");
  EXPECT_EQ(m.sha256, sha);
  EXPECT_EQ(m.size, 5u);
  EXPECT_TRUE(m.sample_input.empty());
  EXPECT_EQ(m.sample_rows, 0u);
}

TEST(ManifestTest, RefusesMissingOrMalformedRequiredFieldsAsManifestGarbage) {
  const std::string sha(64, 'a');
  const std::vector<std::pair<std::string, std::string>> bad = {
      {"[]", "not a JSON object"},
      {"{\"version\": ", "not a JSON object"},
      {R"({"bundle": "b.js", "sha256": ")" + sha + R"(", "size": 1})", "'version' must be a non-empty string"},
      {R"({"version": "a b", "bundle": "b.js", "sha256": ")" + sha + R"(", "size": 1})", "must be 1-128 characters"},
      {R"({"version": "1", "bundle": "../etc/passwd", "sha256": ")" + sha + R"(", "size": 1})",
       "'bundle' must be a file name (1-128 characters"},
      {R"({"version": "1", "bundle": "sub/b.js", "sha256": ")" + sha + R"(", "size": 1})", "must be a file name"},
      {R"({"version": "1", "bundle": "1/../b.js", "sha256": ")" + sha + R"(", "size": 1})", "must be a file name"},
      {R"({"version": "1", "bundle": "1/", "sha256": ")" + sha + R"(", "size": 1})", "must be a file name"},
      {R"({"version": "1", "bundle": "1/x/b.js", "sha256": ")" + sha + R"(", "size": 1})", "must be a file name"},
      // A version named ".." would make "../FILE" look like a file in the version's directory.
      {R"({"version": "..", "bundle": "../b.js", "sha256": ")" + sha + R"(", "size": 1})", "not '.' or '..'"},
      {R"({"version": ".", "bundle": "./b.js", "sha256": ")" + sha + R"(", "size": 1})", "not '.' or '..'"},
      {R"({"version": "1", "bundle": ".", "sha256": ")" + sha + R"(", "size": 1})", "must be a file name"},
      {R"({"version": "1", "bundle": "1/..", "sha256": ")" + sha + R"(", "size": 1})", "must be a file name"},
      // A server that decodes the path would read ../other/x.js.
      {R"({"version": "1", "bundle": "%2e%2e%2fother%2fx.js", "sha256": ")" + sha + R"(", "size": 1})",
       "must be a file name"},
      {R"({"version": "1", "bundle": "b.js", "sha256": "ABC", "size": 1})", "64 lower-case hex digits"},
      {R"({"version": "1", "bundle": "b.js", "sha256": ")" + std::string(64, 'A') + R"(", "size": 1})",
       "64 lower-case hex digits"},
      {R"({"version": "1", "bundle": "b.js", "sha256": ")" + sha + R"(", "size": 0})", "'size' must be a positive integer"},
      {R"({"version": "1", "bundle": "b.js", "sha256": ")" + sha + R"(", "size": -3})", "'size' must be a positive integer"},
      {R"({"version": "1", "bundle": "b.js", "sha256": ")" + sha + R"("})", "'size' must be a positive integer"},
  };
  for (const auto& [text, message] : bad) {
    auto [reason, error] = FailureOf([&] { ParseManifest(text); });
    EXPECT_EQ(reason, "manifest-garbage") << text;
    EXPECT_NE(error.find(message), std::string::npos) << text << " -> " << error;
  }
}

// The manifest's sample and expected answers are untrusted input: bounded, finite float32
// numbers, one width per field, one expected row per sample row.
TEST(ManifestTest, ExpectedOutputAndToleranceAreReadAndCheckedAsUntrustedInput) {
  const std::string head = R"({"version": "9", "bundle": "ml-9.bundle.js", "sha256": ")" + std::string(64, '0') +
                           R"(", "size": 99)";
  Manifest m = ParseManifest(head + R"(, "sample_input": [[1, 2, 3], [4, 5, 6]],
      "expected_output": [[0.5, 0.25], [1e-7, -3]], "tolerance": 0.001})");
  EXPECT_EQ(m.sample_rows, 2u);
  EXPECT_EQ(m.sample_input, (std::vector<float>{1, 2, 3, 4, 5, 6}));
  EXPECT_EQ(m.expected_output, (std::vector<float>{0.5f, 0.25f, 1e-7f, -3}));
  EXPECT_DOUBLE_EQ(m.tolerance, 0.001);
  EXPECT_DOUBLE_EQ(ParseManifest(head + R"(, "sample_input": [[1]], "expected_output": [[2]]})").tolerance,
                   ReloadCheck::kDefaultTolerance);
  const std::string many_rows = "[" + [] {
    std::string rows;
    for (size_t i = 0; i <= Manifest::kMaxSampleRows; ++i) rows += (i ? ",[1]" : "[1]");
    return rows;
  }() + "]";
  const std::vector<std::pair<std::string, std::string>> bad = {
      {R"(, "expected_output": [[1]]})", "'expected_output' needs the 'sample_input' rows"},
      {R"(, "sample_input": [[1], [2]], "expected_output": [[1]]})", "'expected_output' has 1 rows for 2 rows"},
      {R"(, "sample_input": [[1, 2], [3]]})", "'sample_input' rows must be non-empty arrays of one length (row 1)"},
      {R"(, "sample_input": [[1]], "expected_output": [[1, 2], [3]]})", "'expected_output' rows must be"},
      {R"(, "sample_input": [[1e39]]})", "'sample_input' row 0, column 0 is not a finite float32 number"},
      {R"(, "sample_input": [[1]], "expected_output": [[-1e300]]})", "'expected_output' row 0, column 0 is not a finite"},
      {R"(, "sample_input": [[1]], "expected_output": [["1"]]})", "is not a finite float32 number"},
      {R"(, "sample_input": [[1]], "expected_output": [[1]], "tolerance": 2})", "'tolerance' must be a number in [0, 1]"},
      {R"(, "sample_input": [[1]], "expected_output": [[1]], "tolerance": "0.1"})", "'tolerance' must be a number"},
      {R"(, "sample_input": [[1]], "tolerance": 0.1})", "'tolerance' needs 'expected_output'"},
      {R"(, "sample_input": )" + many_rows + "}", "has 4097 rows; at most 4096"},
      {R"(, "sample_input": [[[[[[[[[[1]]]]]]]]]]})", "nested deeper than 8 levels"},
  };
  for (const auto& [tail, message] : bad) {
    auto [reason, error] = FailureOf([&] { ParseManifest(head + tail); });
    EXPECT_EQ(reason, "manifest-garbage") << tail.substr(0, 80);
    EXPECT_NE(error.find(message), std::string::npos) << error;
  }
}

// A multi-model layout's NAME/manifest.json names the bundle in its version's directory.
TEST(PublishedBundleTest, ABundleInTheVersionsDirectoryIsRead) {
  TempDir dir;
  const std::string body = "var tfjsRunBundle = {};  // version 3\n";
  std::filesystem::create_directory(dir.path + "/3");
  WriteFile(dir.path + "/3/ml.bundle.js", body);
  WriteFile(dir.path + "/manifest.json", ManifestFor("3", "3/ml.bundle.js", body));
  WatchOptions options;
  options.source = dir.path;
  PublishedBundle p = FetchPublishedBundle(options);
  EXPECT_EQ(p.version, "3");
  EXPECT_EQ(p.source.code, body);
  EXPECT_EQ(p.source.origin, dir.path + "/3/ml.bundle.js");
  // Another version's directory is not the manifest's own.
  auto [reason, error] = FailureOf([&] { ParseManifest(ManifestFor("4", "3/ml.bundle.js", body)); });
  EXPECT_EQ(reason, "manifest-garbage");
  EXPECT_NE(error.find("in its version's directory (4/FILE)"), std::string::npos) << error;
}

TEST(FetchFileTest, ReadsARegularFileAndAnswersNotModifiedToItsOwnValidator) {
  TempDir dir;
  const std::string path = dir.path + "/a.txt";
  WriteFile(path, "hello");
  WatchOptions options;
  FetchResult first = Fetch(path, options, 100, "");
  ASSERT_TRUE(first.ok) << first.error;
  EXPECT_FALSE(first.not_modified);
  EXPECT_EQ(first.body, "hello");
  EXPECT_FALSE(first.etag.empty());
  FetchResult again = Fetch("file://" + path, options, 100, first.etag);
  EXPECT_TRUE(again.ok);
  EXPECT_TRUE(again.not_modified);
  EXPECT_TRUE(again.body.empty());
}

TEST(FetchFileTest, EachFailureHasItsReason) {
  TempDir dir;
  WatchOptions options;
  WriteFile(dir.path + "/big.txt", std::string(101, 'x'));
  FetchResult big = Fetch(dir.path + "/big.txt", options, 100, "");
  EXPECT_FALSE(big.ok);
  EXPECT_EQ(big.reason, "too-large");
  EXPECT_NE(big.error.find("larger than the limit of 100 bytes"), std::string::npos) << big.error;
  FetchResult missing = Fetch(dir.path + "/none.txt", options, 100, "");
  EXPECT_EQ(missing.reason, "missing");
  EXPECT_NE(missing.error.find(dir.path + "/none.txt"), std::string::npos) << missing.error;
  // A device would read forever: only regular files.
  FetchResult device = Fetch("/dev/zero", options, 100, "");
  EXPECT_EQ(device.reason, "not-a-file");
  const std::string fifo = dir.path + "/fifo";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  EXPECT_EQ(Fetch(fifo, options, 100, "").reason, "not-a-file");
  EXPECT_EQ(Fetch(dir.path, options, 100, "").reason, "not-a-file");
}

TEST(JoinUrlTest, JoinsWithOneSlash) {
  EXPECT_EQ(JoinUrl("http://h/models", "manifest.json"), "http://h/models/manifest.json");
  EXPECT_EQ(JoinUrl("http://h/models/", "manifest.json"), "http://h/models/manifest.json");
  EXPECT_EQ(JoinUrl("/srv/m", "ml.js"), "/srv/m/ml.js");
}

// A published directory read as files: the bundle is verified against the manifest, and each
// way a server (here a directory) can lie fails with its reason and names the version.
TEST(PublishedBundleTest, AVerifiedBundleIsReadAndEveryLieIsRefusedWithItsReason) {
  TempDir dir;
  const std::string body = "var tfjsRunBundle = {};  // stands in for a bundle\n";
  WriteFile(dir.path + "/ml-4.bundle.js", body);
  WriteFile(dir.path + "/manifest.json",
            ManifestFor("4", "ml-4.bundle.js", body, R"(, "sample_input": [[1, 2]], "expected_output": [[3]])"));
  WatchOptions options;
  options.source = dir.path;
  PublishedBundle p = FetchPublishedBundle(options);
  EXPECT_EQ(p.version, "4");
  EXPECT_EQ(p.source.code, body);
  EXPECT_EQ(p.source.origin, dir.path + "/ml-4.bundle.js");
  EXPECT_EQ(p.sha256, Sha256Hex(body));
  EXPECT_EQ(p.check().sample, (std::vector<float>{1, 2}));
  EXPECT_EQ(p.check().expected, (std::vector<float>{3}));

  auto refused = [&](const std::string& manifest) {
    WriteFile(dir.path + "/manifest.json", manifest);
    return FailureOf([&] { FetchPublishedBundle(options); });
  };
  std::string other = body;
  other[3] = 'X';
  auto [checksum, checksum_error] = refused(
      R"({"version": "4", "bundle": "ml-4.bundle.js", "sha256": ")" + Sha256Hex(other) + R"(", "size": )" +
      std::to_string(body.size()) + "}");
  EXPECT_EQ(checksum, "checksum");
  EXPECT_NE(checksum_error.find("version 4 ("), std::string::npos) << checksum_error;
  auto [shorter, shorter_error] = refused(ManifestFor("4", "ml-4.bundle.js", body + "more"));
  EXPECT_EQ(shorter, "size-mismatch");
  EXPECT_NE(shorter_error.find("got " + std::to_string(body.size()) + " bytes"), std::string::npos) << shorter_error;
  auto [longer, longer_error] = refused(ManifestFor("4", "ml-4.bundle.js", body.substr(1)));
  EXPECT_EQ(longer, "size-mismatch");
  options.max_bundle_bytes = 10;
  auto [large, large_error] = refused(ManifestFor("4", "ml-4.bundle.js", body));
  EXPECT_EQ(large, "too-large");
  EXPECT_NE(large_error.find("exceeds the limit of 10 bytes"), std::string::npos) << large_error;
  options.max_bundle_bytes = WatchOptions{}.max_bundle_bytes;
  auto [gone, gone_error] = refused(ManifestFor("5", "ml-5.bundle.js", body));
  EXPECT_EQ(gone, "missing");
  EXPECT_NE(gone_error.find("version 5"), std::string::npos) << gone_error;
  auto [garbage, garbage_error] = refused("{\"version\": 6, ");
  EXPECT_EQ(garbage, "manifest-garbage");
  EXPECT_NE(garbage_error.find(dir.path + "/manifest.json: malformed manifest"), std::string::npos) << garbage_error;
  fs::remove(dir.path + "/manifest.json");
  auto [no_manifest, no_manifest_error] = FailureOf([&] { FetchPublishedBundle(options); });
  EXPECT_EQ(no_manifest, "missing");
  EXPECT_NE(no_manifest_error.find("manifest " + dir.path + "/manifest.json"), std::string::npos) << no_manifest_error;
}

}  // namespace
}  // namespace tfjs_run
