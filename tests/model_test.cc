// The public Model API: parity with tfjs in Node, both contracts, and every way a bundle can fail.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "row_io.h"
#include "tfjs_run/tfjs_run.h"

namespace tfjs_run {
namespace {

const std::string kFixtures = TFJS_RUN_FIXTURES_OUT;
const std::string kSource = TFJS_RUN_SOURCE_DIR;

using cli::ReadCsvFile;

std::unique_ptr<Model> LoadFixture(const std::string& file, ModelOptions options = {}) {
  return Model::Load(BundleSource::FromFile(file), options);
}

// --- Parity: the C++ API against tfjs 4.22 in Node on the same rows (tolerance 1e-5 absolute).

struct ParityCase {
  const char* bundle;
  const char* rows;
  const char* backend;
  BundleContract contract;
};

void PrintTo(const ParityCase& c, std::ostream* os) { *os << c.bundle; }

class ParityTest : public ::testing::TestWithParam<ParityCase> {};

TEST_P(ParityTest, PredictionsEqualTfjsInNodeWithin1e5) {
  const ParityCase& c = GetParam();
  auto model = LoadFixture(kFixtures + "/" + c.bundle + ".bundle.js");
  EXPECT_EQ(model->info().contract, c.contract);
  if (c.contract == BundleContract::kV1) {
    EXPECT_EQ(model->info().backend, c.backend);
    EXPECT_EQ(model->info().name, c.bundle);
    EXPECT_EQ(model->info().version, "test-1");
    EXPECT_EQ(model->info().sha256.size(), 64u);
  }
  DenseMatrix input = ReadCsvFile(kFixtures + "/" + c.rows);
  DenseMatrix expected = ReadCsvFile(kFixtures + "/ref-" + c.bundle + ".csv");
  ASSERT_EQ(expected.rows(), input.rows());
  // In several call sizes, so batching cannot hide a row-order bug.
  for (size_t batch : {size_t{1}, size_t{7}, input.rows()}) {
    for (size_t start = 0; start < input.rows(); start += batch) {
      size_t n = std::min(batch, input.rows() - start);
      DenseMatrix out = model->Predict(input.view().slice_rows(start, n));
      ASSERT_EQ(out.rows(), n);
      ASSERT_EQ(out.cols(), expected.cols());
      for (size_t r = 0; r < n; ++r) {
        for (size_t col = 0; col < out.cols(); ++col) {
          ASSERT_NEAR(out.at(r, col), expected.at(start + r, col), 1e-5)
              << c.bundle << " row " << start + r << " col " << col << " batch " << batch;
        }
      }
    }
  }
}

INSTANTIATE_TEST_SUITE_P(
    Bundles, ParityTest,
    ::testing::Values(ParityCase{"wine-layers-cpu", "wine.csv", "cpu", BundleContract::kV1},
                      ParityCase{"wine-layers-wasm", "wine.csv", "wasm", BundleContract::kV1},
                      ParityCase{"wine-graph-cpu", "wine.csv", "cpu", BundleContract::kV1},
                      ParityCase{"wine-graph-wasm", "wine.csv", "wasm", BundleContract::kV1},
                      ParityCase{"legacy", "random.csv", "", BundleContract::kLegacy}),
    [](const auto& info) {
      std::string name = info.param.bundle;
      for (char& ch : name) if (ch == '-') ch = '_';
      return name;
    });

TEST(ModelTest, WineBundleDeclaresItsShapeAfterLoad) {
  auto model = LoadFixture(kFixtures + "/wine-layers-cpu.bundle.js");
  EXPECT_EQ(model->info().input_cols, 13);
  EXPECT_EQ(model->info().output_cols, 3);
  // The wine app declares the first row of wine.data as its warm-up sample.
  ASSERT_EQ(model->info().sample_input.size(), 13u);
  EXPECT_FLOAT_EQ(model->info().sample_input[0], 14.23f);
  EXPECT_FLOAT_EQ(model->info().sample_input[12], 1065.0f);
}

TEST(ModelTest, LegacyBundleTakesItsOutputWidthFromTheFirstResult) {
  auto model = LoadFixture(kFixtures + "/legacy.bundle.js");
  EXPECT_EQ(model->info().output_cols, -1);
  std::vector<float> row(13, 0.5f);
  DenseMatrix out = model->Predict({row.data(), 1, 13});
  EXPECT_EQ(out.cols(), 3u);
  EXPECT_EQ(model->info().output_cols, 3);
  EXPECT_NEAR(out.at(0, 0) + out.at(0, 1) + out.at(0, 2), 1.0f, 1e-5);  // softmax
}

// --- Input handling.

// JS gets its own copy of the input: a reference kept past the call (tfjs's cpu backend keeps
// its input tensor) still holds the values it was given, whatever the caller does with its
// memory afterwards. (The runtime used to detach a zero-copy buffer instead, which slowed every
// typed-array access in the isolate; see docs/benchmarks.md.)
TEST(ModelTest, InputReachesJsAsAFloat32ArrayCopyThatJsMayKeep) {
  auto model = LoadFixture(kSource + "/tests/fixtures/probe.js");
  std::vector<float> first = {1, 2, 3, 4, 5, 6};
  DenseMatrix out1 = model->Predict({first.data(), 2, 3});
  EXPECT_FLOAT_EQ(out1.at(0, 0), 6);
  EXPECT_FLOAT_EQ(out1.at(1, 0), 15);
  EXPECT_FLOAT_EQ(out1.at(0, 1), -1);  // no previous call
  std::fill(first.begin(), first.end(), 100.0f);  // the caller reuses its buffer
  std::vector<float> second = {1, 1, 1};
  DenseMatrix out2 = model->Predict({second.data(), 1, 3});
  EXPECT_FLOAT_EQ(out2.at(0, 1), 21);  // the kept first input, intact and not the caller's memory
  EXPECT_FLOAT_EQ(out2.at(0, 0), 3);
}

// Several inputs in one call (how the Runtime batches requests) give, row for row and to the
// bit, what their rows stacked into one matrix give, for both contracts; a part of another width
// is refused before any JS runs.
TEST(ModelTest, PartsPredictLikeTheirRowsStackedInOneMatrix) {
  const DenseMatrix table = ReadCsvFile(kFixtures + "/wine.csv");
  const std::vector<float>& data = table.values();
  const size_t cols = table.cols();
  ASSERT_GE(table.rows(), 10u);
  for (const std::string& bundle : {kFixtures + "/wine-layers-cpu.bundle.js", kFixtures + "/legacy.bundle.js"}) {
    auto model = LoadFixture(bundle);
    DenseMatrix whole = model->Predict({data.data(), 10, cols});
    std::vector<DenseMatrixView> parts = {{data.data(), 3, cols}, {data.data() + 3 * cols, 0, cols},
                                          {data.data() + 3 * cols, 7, cols}};
    DenseMatrix stacked = model->Predict(parts);
    ASSERT_EQ(stacked.rows(), 10u) << bundle;
    ASSERT_EQ(stacked.cols(), whole.cols()) << bundle;
    EXPECT_EQ(std::memcmp(stacked.data(), whole.data(), whole.size() * sizeof(float)), 0) << bundle;
  }
  auto model = LoadFixture(kSource + "/tests/fixtures/probe.js");
  std::vector<float> three = {1, 2, 3}, four = {1, 2, 3, 4};
  try {
    model->Predict(std::vector<DenseMatrixView>{{three.data(), 1, 3}, {four.data(), 1, 4}});
    FAIL() << "expected a shape error";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kShape);
  }
}

TEST(ModelTest, WrongColumnCountIsRefusedBeforeAnyJsRuns) {
  auto model = LoadFixture(kSource + "/tests/fixtures/probe.js");
  std::vector<float> row = {1, 2, 3, 4};
  try {
    model->Predict({row.data(), 1, 4});
    FAIL() << "expected a shape error";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kShape);
    EXPECT_NE(std::string(e.what()).find("4 columns; the bundle expects 3"), std::string::npos) << e.what();
    EXPECT_EQ(e.bundle_name(), "probe");
    EXPECT_EQ(e.bundle_version(), "1.0.0");
  }
  // Had JS run, its "previous input" would be this call's: the next call must still see -1.
  std::vector<float> ok = {1, 2, 3};
  EXPECT_FLOAT_EQ(model->Predict({ok.data(), 1, 3}).at(0, 1), -1);
}

TEST(ModelTest, ZeroRowsGiveAnEmptyResultWithoutCallingJs) {
  auto model = LoadFixture(kSource + "/tests/fixtures/probe.js");
  DenseMatrix out = model->Predict({nullptr, 0, 3});
  EXPECT_EQ(out.rows(), 0u);
  EXPECT_EQ(out.cols(), 2u);
}

TEST(ModelTest, APredictThatThrowsCarriesTheJsMessageStackAndBundleAndTheModelKeepsServing) {
  auto model = LoadFixture(kSource + "/tests/fixtures/probe.js");
  std::vector<float> bad = {13, 0, 0};
  try {
    model->Predict({bad.data(), 1, 3});
    FAIL() << "expected a predict error";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kPredict);
    EXPECT_NE(e.message().find("unlucky row 0"), std::string::npos) << e.message();
    EXPECT_NE(e.js_stack().find("probe.js"), std::string::npos) << e.js_stack();
    EXPECT_NE(std::string(e.what()).find("bundle 'probe' version 1.0.0"), std::string::npos) << e.what();
  }
  std::vector<float> good = {1, 2, 3};
  EXPECT_FLOAT_EQ(model->Predict({good.data(), 1, 3}).at(0, 0), 6);
}

// --- Bad bundles: each is a clear error, never a crash.

struct BadBundleCase {
  const char* file;
  ErrorKind kind;
  const char* message_part;
};

void PrintTo(const BadBundleCase& c, std::ostream* os) { *os << c.file; }

class BadBundleTest : public ::testing::TestWithParam<BadBundleCase> {};

TEST_P(BadBundleTest, LoadFailsWithAClearError) {
  const BadBundleCase& c = GetParam();
  ModelOptions options;
  options.load_timeout = std::chrono::milliseconds(500);
  const std::string path = kSource + "/tests/fixtures/bad/" + c.file;
  try {
    Model::Load(BundleSource::FromFile(path), options);
    FAIL() << c.file << " loaded";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), c.kind) << e.what();
    EXPECT_NE(std::string(e.what()).find(c.message_part), std::string::npos) << e.what();
  }
}

INSTANTIATE_TEST_SUITE_P(
    Bundles, BadBundleTest,
    ::testing::Values(
        BadBundleCase{"syntax-error.js", ErrorKind::kBundleCompile, "syntax-error.js:2: SyntaxError"},
        BadBundleCase{"top-level-throws.js", ErrorKind::kBundleLoad, "RangeError: weights shard 3 is corrupt"},
        BadBundleCase{"load-throws.js", ErrorKind::kBundleLoad, "bundle 'load-throws' version 7: bundle-load error: load() rejected: Error: model.json could not be parsed"},
        BadBundleCase{"load-never-resolves.js", ErrorKind::kLoadTimeout, "did not settle within 500 ms"},
        BadBundleCase{"load-busy-loop.js", ErrorKind::kLoadTimeout, "load() ran past the load deadline"},
        BadBundleCase{"no-contract.js", ErrorKind::kContract, "no known contract"},
        BadBundleCase{"backend-mismatch.js", ErrorKind::kBackend, "asked for backend 'wasm' but 'cpu' is running"},
        BadBundleCase{"does-not-exist.js", ErrorKind::kBundleRead, "cannot open bundle file"}),
    [](const auto& info) {
      std::string name = info.param.file;
      name = name.substr(0, name.find('.'));
      for (char& ch : name) if (ch == '-') ch = '_';
      return name;
    });

// A v1 bundle of 2 input columns declaring `names` (a JS expression) as its featureNames.
BundleSource NamedBundle(const std::string& names) {
  return BundleSource{"globalThis.tfjsRunBundle = {contract: 1, name: 'named', inputShape: [null, 2],\n"
                      "  outputShape: [null, 1], featureNames: " + names + ",\n"
                      "  load() {}, predict(x, rows) { return new Float32Array(rows); }};",
                      "named.js"};
}

TEST(ModelTest, FeatureNamesAreReadIntoTheInfo) {
  auto model = Model::Load(NamedBundle("['alcohol', 'ash']"));
  EXPECT_EQ(model->info().feature_names, (std::vector<std::string>{"alcohol", "ash"}));
  EXPECT_TRUE(Model::Load(NamedBundle("null"))->info().feature_names.empty());
}

// Names decide which column is which feature: names a bundle got wrong fail its load.
TEST(ModelTest, FeatureNamesAreValidatedAsUntrusted) {
  const std::pair<const char*, const char*> cases[] = {
      {"'alcohol,ash'", "featureNames must be an array of strings"},
      {"['a']", "featureNames has 1 names; the input has 2 columns"},
      {"['a', 'a']", "featureNames names 'a' twice"},
      {"['a', 5]", "featureNames[1] is not a string"},
      {"['a', '']", "featureNames[1] must be 1-256 bytes long"},
      {"['a', 'x'.repeat(257)]", "featureNames[1] must be 1-256 bytes long"},
      {"['a', 'b\\nc']", "featureNames[1] holds a control character"},
      {"['a', 'b\\u0000']", "featureNames[1] holds a control character"},
      {"Object.defineProperty(['a', 'b'], 0, {get() { throw new Error('no'); }})",
       "featureNames[0] could not be read (its getter threw)"},
  };
  for (const auto& [names, message] : cases) {
    try {
      Model::Load(NamedBundle(names));
      ADD_FAILURE() << names << " loaded";
    } catch (const Error& e) {
      EXPECT_EQ(e.kind(), ErrorKind::kContract) << names;
      EXPECT_NE(std::string(e.what()).find(message), std::string::npos) << names << ": " << e.what();
    }
  }
}

TEST(ModelTest, APredictThatReturnsTheWrongLengthIsAnOutputError) {
  auto model = LoadFixture(kSource + "/tests/fixtures/bad/wrong-length.js");
  std::vector<float> rows = {1, 2, 3, 4};
  try {
    model->Predict({rows.data(), 2, 2});
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kOutput);
    EXPECT_NE(e.message().find("returned 5 values for 2 rows; expected rows x 3 = 6"), std::string::npos) << e.message();
  }
}

TEST(ModelTest, APredictThatReturnsAnArrayIsAnOutputError) {
  auto model = LoadFixture(kSource + "/tests/fixtures/bad/wrong-type.js");
  std::vector<float> rows = {1, 2};
  try {
    model->Predict({rows.data(), 1, 2});
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kOutput);
    EXPECT_NE(e.message().find("must return a Float32Array"), std::string::npos) << e.message();
  }
}

TEST(ModelTest, ManyModelsLoadAndUnloadWithoutInterference) {
  for (int i = 0; i < 3; ++i) {
    auto a = LoadFixture(kSource + "/tests/fixtures/probe.js");
    auto b = LoadFixture(kSource + "/tests/fixtures/probe.js");
    std::vector<float> row = {1, 2, 3};
    EXPECT_FLOAT_EQ(a->Predict({row.data(), 1, 3}).at(0, 1), -1);
    EXPECT_FLOAT_EQ(a->Predict({row.data(), 1, 3}).at(0, 1), 6);  // a kept its first input
    EXPECT_FLOAT_EQ(b->Predict({row.data(), 1, 3}).at(0, 1), -1);  // b's isolate is its own
  }
}


// --- The host against hostile bundles and callers: a clear error, never an abort or a crash.

const std::string kHostile = kSource + "/tests/fixtures/hostile/";

// tests/fixtures/hostile/legacy-array-setter-throws.js puts throwing setters on
// Array.prototype[0..2]. The host used to fill the row arrays by assignment, which ran them and
// aborted the process (Fatal error in v8::FromJust). Rows must reach predict() intact, and no
// setter may run.
TEST(HostileBundleTest, LegacyRowArraysAreBuiltWithoutRunningTheBundlesSetters) {
  auto model = LoadFixture(kHostile + "legacy-array-setter-throws.js");
  std::vector<float> rows = {1, 2, 3, 4, 5, 6};
  DenseMatrix out = model->Predict({rows.data(), 2, 3});
  ASSERT_EQ(out.rows(), 2u);
  ASSERT_EQ(out.cols(), 1u);
  EXPECT_FLOAT_EQ(out.at(0, 0), 321);  // 1 + 10 * 2 + 100 * 3, without the 1000 a setter adds
  EXPECT_FLOAT_EQ(out.at(1, 0), 654);
}

// A legacy row array longer than V8 can build (or the JS heap can hold) is refused before any
// JS array is made.
TEST(HostileBundleTest, LegacyInputTooBigForJsArraysIsRefusedBeforeAnyIsMade) {
  ModelOptions options;
  options.max_heap_mb = 64;
  auto model = LoadFixture(kHostile + "legacy-array-setter-throws.js", options);
  const size_t cols = 3, rows = (size_t{64} << 20) / 3 / 8;  // 64 MiB of JS numbers at least
  std::vector<float> input(rows * cols, 1.0f);
  try {
    model->Predict({input.data(), rows, cols});
    FAIL() << "expected a memory error";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kMemory) << e.what();
    EXPECT_NE(e.message().find(std::to_string(rows) + " rows"), std::string::npos) << e.message();
  }
  EXPECT_FALSE(model->broken());
  std::vector<float> row = {1, 1, 1};
  EXPECT_FLOAT_EQ(model->Predict({row.data(), 1, 3}).at(0, 0), 111);
}

// tests/fixtures/hostile/legacy-sparse-result.js answers with a sparse array of length 6e8. The
// host used to allocate 6e8 floats (2.3 GB) before reading element 0. Its length is now checked
// first: against rows x the output width once that is known, against the buffer budget before.
TEST(HostileBundleTest, ALegacyResultsLengthIsCheckedBeforeAnyHostAllocation) {
  ModelOptions options;
  options.max_buffer_mb = 64;
  auto model = LoadFixture(kHostile + "legacy-sparse-result.js", options);
  auto expect_output_error = [&](std::vector<float> row, const std::string& part) {
    try {
      model->Predict({row.data(), 1, 2});
      FAIL() << "expected an output error";
    } catch (const Error& e) {
      EXPECT_EQ(e.kind(), ErrorKind::kOutput) << e.what();
      EXPECT_NE(e.message().find(part), std::string::npos) << e.message();
    }
  };
  // The width is not known yet: 6e8 floats are over the 64 MiB budget, sparse or not.
  expect_output_error({0, 0}, "600000000 values for 1 rows");
  expect_output_error({2, 0}, "over the 64 MiB buffer budget");
  // An honest answer fixes the width at 1; then 6e8 values for one row is the wrong length.
  std::vector<float> honest = {1, 5};
  EXPECT_FLOAT_EQ(model->Predict({honest.data(), 1, 2}).at(0, 0), 6);
  expect_output_error({0, 0}, "returned 600000000 values for 1 rows; expected rows x 1 = 1");
  std::vector<float> good = {1, 7};
  EXPECT_FLOAT_EQ(model->Predict({good.data(), 1, 2}).at(0, 0), 8);
}

// The process's peak RSS in MiB since the last ResetPeakRss (VmHWM in /proc/self/status).
size_t PeakRssMb() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmHWM:", 0) == 0) return std::stoul(line.substr(6)) >> 10;
  }
  return 0;
}
void ResetPeakRss() { std::ofstream("/proc/self/clear_refs") << "5"; }

// Without a buffer budget the host reads what the result holds, and allocates as it reads: the
// sparse array fails at its first element without 2.3 GB being allocated.
TEST(HostileBundleTest, WithoutABufferBudgetASparseLegacyResultFailsAtItsFirstHole) {
  ModelOptions options;
  options.max_buffer_mb = 0;
  auto model = LoadFixture(kHostile + "legacy-sparse-result.js", options);
  std::vector<float> row = {0, 0};
  ResetPeakRss();
  const size_t before = PeakRssMb();
  try {
    model->Predict({row.data(), 1, 2});
    FAIL() << "expected an output error";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kOutput) << e.what();
    EXPECT_NE(e.message().find("element 0 is not a number"), std::string::npos) << e.message();
  }
  EXPECT_LT(PeakRssMb(), before + 256) << "the host allocated for the claimed length before reading it";
}

// A bundle longer than V8's longest string used to abort the process (ToLocalChecked on an
// empty MaybeLocal). It is refused before V8 sees it, with its origin and size, however it comes.
TEST(HostileBundleTest, ABundleLongerThanV8sLongestStringIsRefusedBeforeV8SeesIt) {
  const size_t too_long = BundleSource::kMaxBytes + 1;
  {
    BundleSource huge{std::string(too_long, ' '), "huge.bundle.js"};
    try {
      Model::Load(huge);
      FAIL() << "a bundle over the limit loaded";
    } catch (const Error& e) {
      EXPECT_EQ(e.kind(), ErrorKind::kBundleRead) << e.what();
      EXPECT_NE(e.message().find("huge.bundle.js"), std::string::npos) << e.message();
      EXPECT_NE(e.message().find(std::to_string(too_long) + " bytes"), std::string::npos) << e.message();
      EXPECT_NE(e.message().find(std::to_string(BundleSource::kMaxBytes)), std::string::npos) << e.message();
    }
    // Pushed to a running runtime: refused, the runtime keeps serving, the version is not bad.
    auto runtime = Runtime::Start(BundleSource::FromFile(kSource + "/tests/fixtures/probe.js"));
    ReloadResult r = runtime->Reload(huge, "2");
    EXPECT_FALSE(r.ok);
    EXPECT_NE(r.error.find("huge.bundle.js"), std::string::npos) << r.error;
    EXPECT_NE(r.error.find(std::to_string(too_long) + " bytes"), std::string::npos) << r.error;
    std::vector<float> row = {1, 2, 3};
    EXPECT_FLOAT_EQ(runtime->Predict({row.data(), 1, 3}).at(0, 0), 6);
  }
  // A file is refused by its size, before it is read (this one is sparse: reading it would
  // take seconds and 512 MiB).
  char pattern[] = "/tmp/tfjs-run-huge-XXXXXX";
  const int fd = ::mkstemp(pattern);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(::ftruncate(fd, static_cast<off_t>(too_long)), 0);
  ::close(fd);
  const auto start = std::chrono::steady_clock::now();
  try {
    BundleSource::FromFile(pattern);
    FAIL() << "a file over the limit was read";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kBundleRead) << e.what();
    EXPECT_NE(e.message().find(pattern), std::string::npos) << e.message();
    EXPECT_NE(e.message().find(std::to_string(too_long) + " bytes"), std::string::npos) << e.message();
  }
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(100));
  ::unlink(pattern);
}

// A watched source whose manifest declares a bundle over the limit is refused by its declared
// size, before any download, even when max_bundle_bytes is raised past the limit.
TEST(HostileBundleTest, AWatchedBundleOverTheLimitIsRefusedWhateverMaxBundleBytesSays) {
  char pattern[] = "/tmp/tfjs-run-watch-XXXXXX";
  const std::string dir = ::mkdtemp(pattern);
  {
    std::ofstream manifest(dir + "/manifest.json");
    manifest << R"({"version": "2", "bundle": "huge.js", "sha256": ")" << std::string(64, 'a') << R"(", "size": )"
             << BundleSource::kMaxBytes + 1 << "}";
  }
  WatchOptions watch;
  watch.source = dir;
  watch.max_bundle_bytes = size_t{1} << 30;
  try {
    FetchPublishedBundle(watch);
    FAIL() << "fetched a bundle over the limit";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kBundleRead) << e.what();
    EXPECT_NE(e.message().find("exceeds the limit of " + std::to_string(BundleSource::kMaxBytes) + " bytes"),
              std::string::npos)
        << e.message();
  }
  std::filesystem::remove_all(dir);
}

// tests/fixtures/hostile/shape-claims.js declares columns of Infinity, 1e300 or 1e9: a contract
// error at load, before the host casts the number (undefined behaviour) or allocates a row of it.
TEST(HostileBundleTest, ADeclaredWidthTheHostCannotHoldIsAContractError) {
  std::ifstream in(kHostile + "shape-claims.js");
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  ModelOptions options;
  options.max_buffer_mb = 64;
  for (const std::string claim : {"Infinity", "1e300", "1e9", "-1", "2.5"}) {
    try {
      Model::Load({"globalThis.claim = " + claim + ";\n" + text, "shape-claims.js"}, options);
      FAIL() << claim << " columns loaded";
    } catch (const Error& e) {
      EXPECT_EQ(e.kind(), ErrorKind::kContract) << claim << ": " << e.what();
    }
  }
  auto model = Model::Load({"globalThis.claim = 16777216;\n" + text, "shape-claims.js"}, options);  // 64 MiB rows
  EXPECT_EQ(model->info().input_cols, 16777216);
}

// A pushed warm-up sample that is not whole rows of the bundle's width is refused, naming both;
// it used to be ignored silently (the reload warmed up on something else and said ok).
TEST(HostileBundleTest, AReloadWhoseSampleIsNotWholeRowsIsRefused) {
  auto runtime = Runtime::Start(BundleSource::FromFile(kSource + "/tests/fixtures/probe.js"));
  ReloadResult r = runtime->Reload(BundleSource::FromFile(kSource + "/tests/fixtures/probe.js"), "2", {1, 2, 3, 4});
  EXPECT_FALSE(r.ok);
  EXPECT_NE(r.error.find("4 values"), std::string::npos) << r.error;
  EXPECT_NE(r.error.find("3 columns"), std::string::npos) << r.error;
  // Not marked bad: the same version with a good sample switches.
  ReloadResult good = runtime->Reload(BundleSource::FromFile(kSource + "/tests/fixtures/probe.js"), "2", {1, 2, 3});
  EXPECT_TRUE(good.ok) << good.error;
}

}  // namespace
}  // namespace tfjs_run

// What a bundle or an input puts in a message cannot cut it, forge lines or flood the log.
TEST(PrintableTest, EscapesControlBytesAndInvalidUtf8KeepsValidUtf8AndCutsSayingTheLength) {
  using namespace std::string_literals;
  EXPECT_EQ(tfjs_run::Printable("a\0b\nc\r\x1b[2J\x7f"s), "a\\0b\\nc\\r\\x1b[2J\\x7f");
  EXPECT_EQ(tfjs_run::Printable("tab\tkept, caf\xC3\xA9, \xE2\x82\xAC, \xF0\x9F\x98\x80"s), "tab\tkept, caf\xC3\xA9, \xE2\x82\xAC, \xF0\x9F\x98\x80");
  // A lone continuation byte, a truncated sequence, an overlong '/', a surrogate: each byte escaped.
  EXPECT_EQ(tfjs_run::Printable("\x80|\xE2\x82|\xC0\xAF|\xED\xA0\x80"s), "\\x80|\\xe2\\x82|\\xc0\\xaf|\\xed\\xa0\\x80");
  EXPECT_EQ(tfjs_run::Printable("line\nnext"s, 4096, /*keep_newlines=*/true), "line\nnext");
  const std::string huge(1 << 20, 'x');
  const std::string cut = tfjs_run::Printable(huge, 100);
  EXPECT_EQ(cut, std::string(100, 'x') + "... (1048576 bytes in all)");
  // Cut at a character boundary, never inside a UTF-8 sequence.
  EXPECT_EQ(tfjs_run::Printable("ab\xE2\x82\xAC"s, 4), "ab... (5 bytes in all)");
  // Idempotent: an already printable message is unchanged.
  EXPECT_EQ(tfjs_run::Printable(tfjs_run::Printable("a\0b"s)), tfjs_run::Printable("a\0b"s));
}

TEST(PrintableTest, AnErrorsMessageIsPrintable) {
  using namespace std::string_literals;
  const tfjs_run::Error e(tfjs_run::ErrorKind::kPredict, "threw \0 and \x1b[31m"s, "at x\nat y", "n\0ame"s, "1");
  EXPECT_EQ(e.message(), "threw \\0 and \\x1b[31m");
  EXPECT_EQ(e.js_stack(), "at x\nat y");
  EXPECT_EQ(e.bundle_name(), "n\\0ame");
}
