// The public Model API: parity with tfjs in Node, both contracts, and every way a bundle can fail.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
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

}  // namespace
}  // namespace tfjs_run
